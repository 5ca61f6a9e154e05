// Messages derived from what a run recorded (the trace has no per-message network events): a produce goes from
// the producer's invoke to the leader's append (the produce-append covering the acknowledged offset) and back to
// the producer's ok; a poll is the leader's answer arriving at the consumer. Two uses:
// - the message diagram of the run report (reports/diagram.ts): the interesting window around the first
//   anomaly and its cause, every anomalous record in it drawn at its real times, a sample of the rest;
// - the Mermaid export (a sample of the whole run).
import type { RunResult } from "../sim/result.ts";
import type { AnomalyGroup, RunJudgement } from "./anomaly-groups.ts";
import { causesOf } from "./causes.ts";
import type { Mark, MarkKind } from "./marks.ts";
import { appendsOf, allSends, commitCovering, hwPassed, pollsOf, processingsOf, sendOf } from "./records.ts";
import { leaderAt } from "./resolve.ts";
import { describeAction } from "./series.ts";

export type { RunJudgement, ReportAnomaly as MinimalAnomaly } from "./anomaly-groups.ts";

/** The window of the message diagram and why it was chosen. */
export interface FocusWindow {
  readonly windowMs: [number, number];
  /** The anomaly group it is about (null: no anomaly with a record; the first fault instead). */
  readonly group: string | null;
  readonly reason: string;
}

/** Around the first anomaly's record and its cause (the faults in effect, the events the oracle cites), else the
 *  first fault, else the start. */
export function focusWindow(r: RunResult, j: RunJudgement, groups: readonly AnomalyGroup[], marks: readonly Mark[]): FocusWindow {
  const end = r.virtualMs;
  const clampW = (a: number, b: number, reason: string, group: string | null): FocusWindow => {
    const span = Math.max(b - a, 150);
    const pad = Math.max(30, span * 0.06);
    const mid = (a + b) / 2;
    const lo = Math.max(0, Math.min(a, mid - 75) - pad);
    return { windowMs: [lo, Math.min(end, Math.max(b, mid + 75) + pad)], group, reason };
  };
  for (const g of groups) {
    const first = marks.filter((m) => m.group === g.key).sort((x, y) => x.tMs - y.tMs)[0];
    if (!first) continue;
    const a = j.anomalies[first.anomaly]!;
    const send = sendOf(r, first.value);
    // A write from its send; a read from its poll (its send may be long before).
    let lo = first.side === "read" ? first.tMs : Math.min(first.tMs, send?.invokeMs ?? first.tMs);
    let hi = first.tMs;
    for (const c of causesOf(r, a)) {
      lo = Math.min(lo, c.tMs);
      hi = Math.max(hi, c.tMs);
    }
    return clampW(lo, hi, `around the first ${g.type} (value ${first.value}) and what caused it`, g.key);
  }
  const f = r.faults[0];
  if (f) return clampW(f.timeUs / 1000 - 100, f.timeUs / 1000 + 1000, "around the first fault", null);
  return clampW(0, Math.min(end, 1000), "the start of the run", null);
}

/** How a consumer got a record the anomaly is about: the poll, the commit that covered it, its processing. */
export interface ReadSide {
  readonly lane: string;
  readonly pollMs: number;
  /** The leader that answered the fetch (as the run's elections tell). */
  readonly broker: string | null;
  readonly commitMs: number | null;
  readonly processedMs: number | null;
}

export interface DiagramRecord {
  readonly value: number;
  readonly kind: MarkKind | "context";
  /** The anomaly type ("context" for the sample). */
  readonly type: string;
  /** For a consumer-side anomaly: the read, drawn in colour (the record's produce then drawn grey). */
  readonly read: ReadSide | null;
  /** Every leader append of the record (a duplicate has two), in time order. */
  readonly appendsMs: readonly number[];
  readonly group: string | null;
  readonly anomaly: number | null;
  readonly lane: string;
  /** Lane of the broker that appended it (or was its leader when it was sent). */
  readonly broker: string | null;
  readonly invokeMs: number;
  /** When the leader appended it (null: no append traced, e.g. not yet written when it failed). */
  readonly appendMs: number | null;
  readonly endMs: number | null;
  readonly endType: "ok" | "fail" | "info" | null;
  readonly offset: number | null;
  readonly tp: string;
  /** When the leader's HW passed it (the ISR held it then); null if never while that broker led. */
  readonly replicatedMs: number | null;
}

/** Every anomalous record with its produce, append, acknowledgement and replication; then up to `sample` other
 *  sends evenly spread over the window (context, drawn grey). */
export function diagramRecords(r: RunResult, windowMs: readonly [number, number], marks: readonly Mark[], sample = 24): DiagramRecord[] {
  const [w0, w1] = windowMs;
  const inWin = (t: number | null | undefined): boolean => t !== null && t !== undefined && t >= w0 && t <= w1;
  const out: DiagramRecord[] = [];
  const marked = new Set<number>();
  const build = (value: number, kind: DiagramRecord["kind"], type: string, group: string | null, anomaly: number | null, read: ReadSide | null): DiagramRecord | null => {
    const s = sendOf(r, value);
    if (!s) return null;
    const end = s.end;
    const tp = `${s.topic}-${end?.partition ?? 0}`;
    let appendMs: number | null = null;
    let broker: number | null = end?.broker ?? null;
    if (end?.offset !== null && end?.offset !== undefined) {
      const app = appendsOf(r, tp, end.offset, s.invokeMs, end.tMs)[0];
      if (app) {
        appendMs = app.tMs;
        broker = app.broker;
      }
    }
    // A duplicate was written twice: every offset of the final log holding it, each with its append.
    const appendsMs: number[] = [];
    if (kind === "duplicate") {
      const fp = r.final.partitions.find((p) => `${p.topic}-${p.partition}` === tp);
      const rep = fp?.replicas.find((x) => x.broker === fp.leader) ?? fp?.replicas[0];
      rep?.values.forEach((v, i) => {
        if (v === value) for (const a of appendsOf(r, tp, rep.logStartOffset + i, s.invokeMs)) appendsMs.push(a.tMs);
      });
    } else if (appendMs !== null) appendsMs.push(appendMs);
    if (broker === null) broker = leaderAt(r, tp, s.invokeMs);
    let replicatedMs: number | null = null;
    if (appendMs !== null && broker !== null && end?.offset !== null && end?.offset !== undefined) {
      const until = nextLeaderChange(r, tp, appendMs);
      replicatedMs = hwPassed(r, tp, broker, end.offset, appendMs, until);
    }
    return { value, kind, type, group, anomaly, read, appendsMs: appendsMs.sort((a, b) => a - b), lane: s.process, broker: broker === null ? null : `broker-${broker}`, invokeMs: s.invokeMs, appendMs, endMs: end?.tMs ?? null, endType: end?.type ?? null, offset: end?.offset ?? null, tp, replicatedMs };
  };
  for (const m of marks) {
    if (marked.has(m.value)) continue;
    const s = sendOf(r, m.value);
    if (!s || !(inWin(s.invokeMs) || inWin(s.end?.tMs) || inWin(m.tMs))) continue;
    const d = build(m.value, m.kind, m.type, m.group, m.anomaly, m.side === "read" ? readSide(r, m) : null);
    if (d) {
      out.push(d);
      marked.add(m.value);
    }
  }
  // Context: other sends invoked in the window, one per time slot.
  const slots = new Map<number, number>();
  const slotMs = (w1 - w0) / Math.max(1, sample);
  for (const s of allSends(r)) {
    if (marked.has(s.value) || !inWin(s.invokeMs)) continue;
    const k = Math.floor((s.invokeMs - w0) / slotMs);
    if (!slots.has(k)) slots.set(k, s.value);
  }
  for (const v of slots.values()) {
    const d = build(v, "context", "context", null, null, null);
    if (d) out.push(d);
  }
  return out.sort((a, b) => a.invokeMs - b.invokeMs);
}

/** The read of a consumer-side mark: the poll at the mark, the commit that covered the record after it, when it
 *  was processed (null: never). */
function readSide(r: RunResult, m: Mark): ReadSide {
  const poll = pollsOf(r, m.value).find((p) => p.process === m.lane && Math.abs(p.tMs - m.tMs) < 1e-6);
  const tp = poll?.tp ?? m.tp ?? "";
  const offset = poll?.offset ?? m.offset ?? -1;
  const leader = tp ? leaderAt(r, tp, m.tMs) : null;
  const commit = commitCovering(r, m.lane, tp, offset, m.tMs);
  const done = processingsOf(r, m.value).find((p) => p.tMs >= m.tMs);
  return { lane: m.lane, pollMs: m.tMs, broker: leader === null ? null : `broker-${leader}`, commitMs: commit?.tMs ?? null, processedMs: done?.tMs ?? null };
}

/** When tp next changes leader after tMs (or the end of time). */
function nextLeaderChange(r: RunResult, tp: string, tMs: number): number {
  const now = leaderAt(r, tp, tMs);
  for (const ev of r.evidence) {
    const t = ev.timeUs / 1000;
    if (t <= tMs) continue;
    if ((ev.type === "leader-elected" && ev.tp === tp && ev.leader !== now) || (ev.type === "partition-offline" && ev.tp === tp)) return t;
    if ((ev.type === "node-kill" || ev.type === "node-power-loss" || ev.type === "node-stop") && ev.node === `broker-${now}`) return t;
  }
  return Number.POSITIVE_INFINITY;
}

// ---------------------------------------------------------------------------------------------------------
// The Mermaid export's view: arrows and notes over a window, sampled by send (a produce and its ack together).

export interface Arrow {
  readonly from: string;
  readonly to: string;
  readonly t0: number;
  readonly t1: number;
  readonly label: string;
  readonly kind: string;
}

export interface Note {
  readonly node: string;
  readonly t: number;
  readonly label: string;
}

export interface MessageView {
  readonly lanes: string[];
  readonly arrows: Arrow[];
  readonly notes: Note[];
  readonly windowMs: [number, number];
}

export function deriveMessages(r: RunResult, windowMs: [number, number], maxArrows = 60): MessageView {
  const [w0, w1] = windowMs;
  const inWin = (t: number): boolean => t >= w0 && t <= w1;
  const lanes: string[] = [];
  const lane = (n: string): void => {
    if (!lanes.includes(n)) lanes.push(n);
  };
  for (const p of r.scenario.producers) lane(p.id);
  for (let b = 1; b <= r.scenario.brokers; b++) lane(`broker-${b}`);
  for (const c of r.scenario.consumers) for (let m = 0; m < c.members; m++) lane(`${c.group}/${m}`);
  const notes: Note[] = [];
  for (const ev of r.evidence) {
    const t = ev.timeUs / 1000;
    if (!inWin(t)) continue;
    if (ev.type === "leader-elected" && !ev.tp.startsWith("__")) notes.push({ node: `broker-${ev.leader}`, t, label: `${ev.unclean ? "UNCLEAN " : ""}leader ${ev.tp} e${ev.leaderEpoch} ISR [${ev.isr.join(",")}]` });
    else if ((ev.type === "isr-shrink" || ev.type === "isr-expand") && !ev.tp.startsWith("__")) notes.push({ node: `broker-${ev.leader}`, t, label: `${ev.tp} ISR [${ev.isr.join(",")}]` });
    else if (ev.type === "truncate" && !ev.tp.startsWith("__")) notes.push({ node: `broker-${ev.broker}`, t, label: `truncate ${ev.tp} ${ev.fromOffset}→${ev.toOffset}` });
  }
  for (const f of r.faults) {
    const t = f.timeUs / 1000;
    if (inWin(t)) for (const n of f.nodes.length ? [...new Set(f.nodes)] : ["zk"]) notes.push({ node: n, t, label: `⚡ ${describeAction(f.action)}` });
  }
  // Sends in the window, sampled evenly; each gives its produce and its ack (or failure) together.
  const sends = [...allSends(r)].filter((s) => inWin(s.invokeMs) || (s.end !== null && inWin(s.end.tMs)));
  const perSend = 2;
  const keep = Math.max(1, Math.floor(maxArrows / perSend));
  const n = Math.min(sends.length, keep);
  const arrows: Arrow[] = [];
  for (let k = 0; k < n; k++) {
    const s = sends[Math.floor((k * sends.length) / n)]!;
    const end = s.end;
    const tp = `${s.topic}-${end?.partition ?? 0}`;
    if (end?.type === "ok" && end.offset !== null) {
      const app = appendsOf(r, tp, end.offset, s.invokeMs, end.tMs)[0];
      if (app) {
        const broker = `broker-${app.broker}`;
        arrows.push({ from: s.process, to: broker, t0: s.invokeMs, t1: app.tMs, label: `produce v${s.value} → ${tp}`, kind: "produce" });
        arrows.push({ from: broker, to: s.process, t0: app.tMs, t1: end.tMs, label: `ack v${s.value} @${end.offset}`, kind: "ack" });
        continue;
      }
    }
    const l = leaderAt(r, tp, s.invokeMs);
    const broker = l === null ? "broker-1" : `broker-${l}`;
    arrows.push({ from: s.process, to: broker, t0: s.invokeMs, t1: s.invokeMs, label: `produce v${s.value} → ${tp}`, kind: "produce" });
    if (end?.type === "ok") arrows.push({ from: broker, to: s.process, t0: s.invokeMs, t1: end.tMs, label: `ack v${s.value}`, kind: "ack" });
    else if (end && inWin(end.tMs)) notes.push({ node: s.process, t: end.tMs, label: `✗ v${s.value} ${end.type}${end.error ? ` ${end.error}` : ""}` });
  }
  for (const n of notes) lane(n.node);
  return { lanes, arrows, notes: notes.sort((a, b) => a.t - b.t), windowMs };
}
