// Messages derived from what a run recorded: the trace has no per-message send/receive events, so a produce is
// drawn from the producer's invoke to the leader's append (produce-append covering the acknowledged offset) and
// back to the producer's ok; a poll as the leader's answer arriving at the consumer. Faults, elections, ISR
// changes and truncations become notes. Used by the space-time diagram and the Mermaid export.
import type { RunResult } from "../sim/result.ts";
import type { Arrow } from "./charts.ts";
import { describeAction } from "./series.ts";

export interface MinimalAnomaly {
  readonly type: string;
  readonly partition: string | null;
  readonly offset: number | null;
  readonly value: number | null;
  readonly explanation: string;
  readonly allowed?: boolean;
  readonly reason?: string;
}

/** What the run reports need of a Judgement (properties/types.ts); the real one fits. */
export interface RunJudgement {
  readonly verdict: string;
  readonly anomalies: readonly MinimalAnomaly[];
  readonly stats?: object;
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

/** The interesting window: around the first anomaly's send, else the first fault, else the start. */
export function interestingWindow(r: RunResult, j: RunJudgement | null, widthMs = 1200): [number, number] {
  let centre: number | null = null;
  const a = j?.anomalies.find((x) => x.value !== null);
  if (a && a.value !== null) {
    const op = r.history.find((o) => o.f === "send" && o.value.value === a.value);
    if (op) centre = op.timeUs / 1000;
  }
  if (centre === null && r.faults.length > 0) centre = (r.faults[0]?.timeUs ?? 0) / 1000 + widthMs / 3;
  if (centre === null) centre = widthMs / 2;
  const start = Math.max(0, centre - widthMs / 3);
  return [start, Math.min(r.virtualMs, start + widthMs)];
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

  // produce-append events per tp, in time order
  const appends = new Map<string, { t: number; broker: number; base: number; count: number }[]>();
  const leaderAt: { t: number; tp: string; leader: number | null }[] = [];
  const notes: Note[] = [];
  for (const ev of r.trace) {
    const t = ev.timeUs / 1000;
    if (ev.type === "produce-append") {
      const list = appends.get(ev.tp) ?? [];
      list.push({ t, broker: ev.broker, base: ev.baseOffset, count: ev.count });
      appends.set(ev.tp, list);
    } else if (ev.type === "leader-elected") {
      leaderAt.push({ t, tp: ev.tp, leader: ev.leader });
      if (inWin(t) && !ev.tp.startsWith("__")) notes.push({ node: `broker-${ev.leader}`, t, label: `${ev.unclean ? "UNCLEAN " : ""}leader ${ev.tp} e${ev.leaderEpoch} ISR [${ev.isr.join(",")}]` });
    } else if (ev.type === "partition-offline") {
      leaderAt.push({ t, tp: ev.tp, leader: null });
    } else if ((ev.type === "isr-shrink" || ev.type === "isr-expand") && inWin(t) && !ev.tp.startsWith("__")) {
      notes.push({ node: `broker-${ev.leader}`, t, label: `${ev.tp} ISR [${ev.isr.join(",")}]` });
    } else if (ev.type === "truncate" && inWin(t) && !ev.tp.startsWith("__")) {
      notes.push({ node: `broker-${ev.broker}`, t, label: `truncate ${ev.tp} ${ev.fromOffset}→${ev.toOffset}` });
    }
  }
  for (const f of r.faults) {
    const t = f.timeUs / 1000;
    if (inWin(t)) for (const n of f.nodes.length ? f.nodes : ["zk"]) notes.push({ node: n, t, label: `⚡ ${describeAction(f.action)}` });
  }
  const leaderOf = (tp: string, t: number): number | null => {
    let l: number | null = null;
    for (const x of leaderAt) {
      if (x.t > t) break;
      if (x.tp === tp) l = x.leader;
    }
    return l;
  };

  const arrows: Arrow[] = [];
  const invokes = new Map<number, { t: number; process: string }>();
  for (const op of r.history) {
    const t = op.timeUs / 1000;
    if (op.f === "send") {
      if (op.type === "invoke") {
        invokes.set(op.value.value, { t, process: op.process });
        continue;
      }
      const inv = invokes.get(op.value.value);
      if (!inv || !(inWin(inv.t) || inWin(t))) continue;
      const tp = `${op.value.topic}-${op.value.partition ?? 0}`;
      if (op.type === "ok" && op.value.offset !== undefined && op.value.offset >= 0) {
        const off = op.value.offset;
        const app = (appends.get(tp) ?? []).find((a) => a.t >= inv.t && a.t <= t && a.base <= off && off < a.base + a.count);
        if (app) {
          const broker = `broker-${app.broker}`;
          arrows.push({ from: inv.process, to: broker, t0: inv.t, t1: app.t, label: `produce v${op.value.value} → ${tp}`, kind: "produce" });
          arrows.push({ from: broker, to: op.process, t0: app.t, t1: t, label: `ack v${op.value.value} @${off}`, kind: "ack" });
          continue;
        }
      }
      const l = leaderOf(tp, inv.t);
      const broker = l === null ? "broker-1" : `broker-${l}`;
      if (op.type === "ok") arrows.push({ from: inv.process, to: op.process, t0: inv.t, t1: t, label: `send v${op.value.value} ok`, kind: "ack" });
      else {
        arrows.push({ from: inv.process, to: broker, t0: inv.t, t1: inv.t, label: `produce v${op.value.value}`, kind: "produce" });
        if (inWin(t)) notes.push({ node: op.process, t, label: `✗ v${op.value.value} ${op.type}${op.value.error ? ` ${op.value.error}` : ""}` });
      }
    } else if (op.f === "poll" && op.type === "ok" && inWin(t) && op.value.records.length > 0) {
      const first = op.value.records[0]!;
      const tp = `${first.topic}-${first.partition}`;
      const l = leaderOf(tp, t);
      if (l === null) continue;
      arrows.push({ from: `broker-${l}`, to: op.process, t0: Math.max(w0, t - 0.5), t1: t, label: `poll ${op.value.records.length} records from ${tp} @${first.offset}`, kind: "poll" });
    }
  }
  // Keep the diagram readable: an even sample of the arrows, keeping produce/ack pairs together.
  let kept = arrows;
  if (arrows.length > maxArrows) {
    const step = arrows.length / maxArrows;
    kept = [];
    for (let i = 0; i < maxArrows; i++) kept.push(arrows[Math.floor(i * step)]!);
  }
  for (const n of notes) lane(n.node);
  for (const a of kept) {
    lane(a.from);
    lane(a.to);
  }
  return { lanes, arrows: kept, notes: notes.sort((a, b) => a.t - b.t), windowMs };
}
