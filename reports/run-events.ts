// A run's events placed on lanes (one per node: the coordinator, each broker, each client), as the run charts draw
// them: faults on the lanes they affect (a network cut on every node it cuts, "heal all" where a cut ends), down
// and paused intervals, elections, ISR changes, truncations, session expiry, the HW at the moments that matter.
// Read from RunResult.evidence (every run has it; its indices are what the oracle's justifications cite), and the
// recorded trace for the HW. Internal topics (__consumer_offsets) only when asked for.
import type { RunResult } from "../sim/result.ts";
import type { FaultAction, FaultTarget } from "../sim/faults/types.ts";
import type { SymbolKind } from "./symbols.ts";
import { downIntervals } from "./series.ts";
import { hwAt } from "./records.ts";
import { describeFired, laneTitle, leaderAt, leaderSteps, resolveTarget, short } from "./resolve.ts";
export { laneTitle } from "./resolve.ts";

export interface LaneEvent {
  readonly lane: string;
  readonly tMs: number;
  readonly kind: SymbolKind;
  /** Short label drawn next to the symbol. */
  readonly label: string;
  /** The whole sentence (tooltip, tables). */
  readonly detail: string;
  /** Which labels to keep when not all fit (higher first). */
  readonly priority: number;
  /** Index into RunResult.evidence (the anchor `ev-<index>`), when it is one. */
  readonly evidence?: number;
  readonly tp?: string;
}

export interface LaneInterval {
  readonly lane: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly kind: "down" | "paused" | "cut";
  readonly label: string;
}

export function consumerLanes(r: RunResult): string[] {
  return r.scenario.consumers.flatMap((c) => Array.from({ length: c.members }, (_, m) => `${c.group}/${m}`));
}

/** Every lane of a run: ZooKeeper, the brokers, the producers, the consumer members. */
export function allLanes(r: RunResult): string[] {
  return ["zk", ...Array.from({ length: r.scenario.brokers }, (_, b) => `broker-${b + 1}`), ...r.scenario.producers.map((p) => p.id), ...consumerLanes(r)];
}

const nodesOf = (r: RunResult, ts: readonly FaultTarget[], tMs: number): string[] => [...new Set(ts.flatMap((t) => resolveTarget(r, t, tMs)))];
/** What a network fault does to each node it touches, in words for that node's lane. */
function networkEffect(r: RunResult, a: FaultAction, nodes: readonly string[], tMs: number): Map<string, string> {
  const out = new Map<string, string>();
  switch (a.kind) {
    case "partition": {
      const groups = a.groups.map((g) => nodesOf(r, g, tMs));
      groups.forEach((g, i) => {
        const others = groups.filter((_, k) => k !== i).flat();
        for (const n of g) out.set(n, `cut from ${short(others)}`);
      });
      break;
    }
    case "partition-oneway": {
      const from = nodesOf(r, a.from, tMs);
      const to = nodesOf(r, a.to, tMs);
      for (const n of new Set([...from, ...to])) {
        const parts: string[] = [];
        const reach = to.filter((x) => x !== n);
        const hear = from.filter((x) => x !== n);
        if (from.includes(n) && reach.length > 0) parts.push(`cannot reach ${short(reach)}`);
        if (to.includes(n) && hear.length > 0) parts.push(`hears nothing from ${short(hear)}`);
        if (parts.length > 0) out.set(n, parts.join("; "));
      }
      break;
    }
    case "isolate":
      for (const n of nodes) out.set(n, "isolated");
      break;
    case "slow":
      for (const n of nodes) out.set(n, `slow links ×${a.factor}`);
      break;
    case "flaky":
      for (const n of nodes) out.set(n, `lossy links (${a.lossProb})`);
      break;
    default:
      break;
  }
  // Nodes the run names but the words missed (a target resolved differently): still on their lane.
  for (const n of nodes) if (!out.has(n)) out.set(n, a.kind === "partition-oneway" ? "one-way cut" : "network fault");
  return out;
}

const isNetwork = (a: FaultAction): boolean => a.kind === "partition" || a.kind === "partition-oneway" || a.kind === "isolate" || a.kind === "slow" || a.kind === "flaky";

/** Network faults as intervals on each lane they touch, until a heal of that node, a heal of all, or the end of
 *  the workload (the drain heals everything). */
export function networkIntervals(r: RunResult): LaneInterval[] {
  const open = new Map<string, { startMs: number; label: string }[]>();
  const out: LaneInterval[] = [];
  const close = (lane: string, tMs: number): void => {
    for (const o of open.get(lane) ?? []) out.push({ lane, startMs: o.startMs, endMs: tMs, kind: "cut", label: o.label });
    open.delete(lane);
  };
  for (const f of r.faults) {
    const tMs = f.timeUs / 1000;
    const a = f.action;
    if (a.kind === "heal") {
      const lanes = a.target ? f.nodes : [...open.keys()];
      for (const n of lanes) close(n, tMs);
      continue;
    }
    if (!isNetwork(a)) continue;
    for (const [lane, label] of networkEffect(r, a, f.nodes, tMs)) {
      const l = open.get(lane);
      if (l) l.push({ startMs: tMs, label });
      else open.set(lane, [{ startMs: tMs, label }]);
    }
  }
  for (const lane of [...open.keys()]) close(lane, r.workloadEndMs);
  return out.sort((a, b) => a.startMs - b.startMs);
}

/** Down and paused intervals (kernel events) plus network cuts. */
export function laneIntervals(r: RunResult): LaneInterval[] {
  const down: LaneInterval[] = downIntervals(r).map((d) => ({ lane: d.node, startMs: d.startMs, endMs: d.endMs, kind: d.state === "paused" ? "paused" : "down", label: d.state }));
  return [...down, ...networkIntervals(r)];
}

/** A fault in a few words, for a lane label ("kill", "one-way cut"). */
export function faultWords(a: FaultAction): string {
  switch (a.kind) {
    case "partition":
      return "partition";
    case "partition-oneway":
      return "one-way cut";
    case "heal":
      return a.target ? "heal" : "heal all";
    case "power":
      return "power loss";
    case "expire-session":
      return "session expired (fault)";
    case "downstream-down":
      return `downstream down ${a.durationMs} ms`;
    case "pause":
      return a.durationMs !== undefined ? `pause ${a.durationMs} ms` : "pause";
    default:
      return a.kind;
  }
}

const internal = (tp: string): boolean => tp.startsWith("__");

/** Every event worth a symbol, on its lane. `keepTps`: internal partitions to keep (those an anomaly is about). */
export function laneEvents(r: RunResult, keepTps: ReadonlySet<string> = new Set()): LaneEvent[] {
  const out: LaneEvent[] = [];
  const skip = (tp: string): boolean => internal(tp) && !keepTps.has(tp);
  let controller = "zk";
  const cuts = networkIntervals(r);
  const cutsAt = (tMs: number): string[] => cuts.filter((i) => i.startMs < tMs && i.endMs >= tMs - 1e-6).map((i) => i.lane);
  r.evidence.forEach((ev, evidence) => {
    const tMs = ev.timeUs / 1000;
    const e = (lane: string, kind: SymbolKind, label: string, detail: string, priority: number, tp?: string): void => {
      out.push({ lane, tMs, kind, label, detail, priority, evidence, ...(tp !== undefined ? { tp } : {}) });
    };
    switch (ev.type) {
      case "fault": {
        const a = ev.action;
        if (a.kind === "heal" && !a.target) {
          for (const lane of [...new Set(cutsAt(tMs))]) e(lane, "heal", "heal all", "heal all: every network fault ends", 7);
          break;
        }
        const kind: SymbolKind = a.kind === "restart" || a.kind === "resume" || a.kind === "heal" ? "heal" : "fault";
        // A network fault says what it does to each lane ("one-way cut: cannot reach broker 2").
        const effect = isNetwork(a) ? networkEffect(r, a, ev.nodes, tMs) : null;
        for (const lane of [...new Set(ev.nodes)]) e(lane, kind, effect?.get(lane) !== undefined ? `${faultWords(a)}: ${effect.get(lane)!}` : faultWords(a), describeFired(r, { timeUs: ev.timeUs, action: a }), 9);
        break;
      }
      case "leader-elected":
        if (skip(ev.tp)) break;
        e(`broker-${ev.leader}`, ev.unclean ? "unclean-leader" : "leader", `${ev.unclean ? "UNCLEAN " : ""}leads ${ev.tp} e${ev.leaderEpoch}`, `broker ${ev.leader} elected leader of ${ev.tp} (epoch ${ev.leaderEpoch}, ISR [${ev.isr.join(",")}])${ev.unclean ? ", UNCLEAN: not in the ISR" : ""}`, 8, ev.tp);
        break;
      case "partition-offline":
        if (skip(ev.tp)) break;
        e(controller, "offline", `${ev.tp} offline`, `${ev.tp} offline: no eligible leader (epoch ${ev.leaderEpoch})`, 8, ev.tp);
        break;
      case "isr-shrink":
      case "isr-expand":
        if (skip(ev.tp)) break;
        e(`broker-${ev.leader}`, ev.type, `${ev.tp} ISR [${ev.isr.join(",")}]`, `ISR of ${ev.tp} ${ev.type === "isr-shrink" ? "shrank" : "grew"} to [${ev.isr.join(",")}]`, 6, ev.tp);
        break;
      case "truncate":
        if (skip(ev.tp)) break;
        e(`broker-${ev.broker}`, "truncate", `truncates ${ev.tp} ${ev.fromOffset}→${ev.toOffset}`, `broker ${ev.broker} truncated ${ev.tp} from LEO ${ev.fromOffset} to ${ev.toOffset} (${ev.reason})`, 8, ev.tp);
        break;
      case "session-expired":
        e(`broker-${ev.broker}`, "session-expired", "session expired", `the ZooKeeper session of broker ${ev.broker} expired`, 5);
        break;
      case "controller-elected":
        controller = `broker-${ev.broker}`;
        e(controller, "controller", `controller e${ev.controllerEpoch}`, `broker ${ev.broker} became controller (epoch ${ev.controllerEpoch})`, 3);
        break;
      case "produce-retry":
        e(ev.producer, "retry", `retry (${ev.error})`, `${ev.producer} retried a batch of ${ev.values.length} record(s) to ${ev.tp} after ${ev.error}`, 2, ev.tp);
        break;
      case "rebalance":
        for (const lane of consumerLanes(r).filter((l) => l.startsWith(`${ev.group}/`))) e(lane, "rebalance", `rebalance g${ev.generation}`, `group ${ev.group} rebalanced to generation ${ev.generation}`, 4);
        break;
      case "member-left":
        e(ev.member, "member-left", `left (${ev.reason})`, `${ev.member} left group ${ev.group} (${ev.reason})`, 4);
        break;
      case "node-power-loss":
        e(ev.node, "fault", `lost ${ev.lostRecords} unflushed records`, `${laneTitle(ev.node)} lost power: ${ev.lostRecords} records not yet fsynced are gone`, 8);
        break;
      case "broker-recovered": {
        const leos = Object.entries(ev.logEndOffsets).filter(([tp]) => !skip(tp));
        if (leos.length > 0) e(`broker-${ev.broker}`, "recovered", `recovered ${leos.map(([tp, leo]) => `${tp} LEO ${leo}`).join(", ")}`, `broker ${ev.broker} recovered its logs from disk (${leos.map(([tp, leo]) => `${tp} LEO ${leo}`).join(", ")})`, 6);
        break;
      }
      case "poll-timeout":
        e(ev.member, "member-left", "poll timeout", `${ev.member} left group ${ev.group}: poll() not called within max.poll.interval.ms`, 4);
        break;
      case "commit-failed":
        e(ev.member, "send-failed", `commit failed (${ev.error})`, `${ev.member}'s commit in group ${ev.group} (generation ${ev.generation}) failed with ${ev.error}`, 4);
        break;
      case "consumer-request-timeout":
        e(ev.member, "send-failed", `${ev.request} timed out`, `${ev.member}'s ${ev.request} request to ${laneTitle(ev.node)} timed out; it closed the connection`, 2);
        break;
      case "producer-disconnect":
        e(ev.producer, "send-failed", `closed its connection to broker ${ev.broker}`, `${ev.producer} closed its connection to broker ${ev.broker} (${ev.reason})`, 1);
        break;
      case "become-leader":
        if (skip(ev.tp)) break;
        // Said by leader-elected; kept (low) because the oracle cites it with the new leader's LEO.
        e(`broker-${ev.broker}`, "leader", `LEO ${ev.logEndOffset} as leader`, `broker ${ev.broker} became leader of ${ev.tp} at epoch ${ev.leaderEpoch} with LEO ${ev.logEndOffset}`, 1, ev.tp);
        break;
      default:
        break;
    }
  });
  // The leader's HW when its leadership starts and just before each fault: what was committed then.
  if (r.trace.length > 0) {
    const moments = r.faults.map((f) => f.timeUs / 1000 - 0.001);
    for (const [tp, steps] of leaderSteps(r)) {
      if (skip(tp)) continue;
      const times = [...steps.map((s) => ({ t: s.tMs + 1, leader: s.leader })), ...moments.map((t) => ({ t, leader: leaderAt(r, tp, t) }))];
      for (const { t, leader } of times) {
        if (leader === null || t < 0) continue;
        const hw = hwAt(r, tp, leader, t);
        if (hw === null) continue;
        out.push({ lane: `broker-${leader}`, tMs: t, kind: "hw", label: `HW ${hw}`, detail: `HW of ${tp} on its leader, broker ${leader}: ${hw}`, priority: 0, tp });
      }
    }
  }
  return out.sort((a, b) => a.tMs - b.tMs);
}

/** Runs of like events on one lane (same kind and label) closer than gapMs share one label, "×n", on the first:
 *  a producer retrying fifty batches in a second is one label, not fifty. Every event keeps its symbol (and its
 *  anchor, when the oracle cites it). */
export function mergeRuns(events: readonly LaneEvent[], gapMs: number): LaneEvent[] {
  const out: LaneEvent[] = [];
  const open = new Map<string, { at: number; n: number; lastMs: number }>();
  for (const e of events) {
    const k = `${e.lane}/${e.kind}/${e.label}`;
    const o = open.get(k);
    if (o && e.tMs - o.lastMs <= gapMs && e.kind !== "fault" && e.kind !== "heal") {
      o.n++;
      o.lastMs = e.tMs;
      const first = out[o.at]!;
      out[o.at] = { ...first, label: `${first.label.replace(/ ×\d+$/, "")} ×${o.n}`, detail: `${first.detail} (and ${o.n - 1} more until ${(e.tMs / 1000).toFixed(3)} s)` };
      out.push({ ...e, label: "" });
      continue;
    }
    open.set(k, { at: out.length, n: 1, lastMs: e.tMs });
    out.push(e);
  }
  return out;
}
