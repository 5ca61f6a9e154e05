// Time series and intervals read from one RunResult (history + fired faults + recorded trace), shared by the
// charts, the run timeline and the Perfetto export. Times in virtual ms.
import type { RunResult } from "../sim/result.ts";
import type { FaultAction } from "../sim/faults/types.ts";
import { describeTarget } from "../sim/faults/interpreter.ts";
import { describeFired } from "./resolve.ts";

export interface LatencyPoint {
  readonly timeMs: number;
  readonly latencyMs: number;
  readonly process: string;
  readonly partition: number | null;
}

/** Per acknowledged send: when it was invoked and how long it took to be acknowledged. */
export function latencyPoints(r: RunResult): LatencyPoint[] {
  const invoked = new Map<number, number>();
  const out: LatencyPoint[] = [];
  for (const op of r.history) {
    if (op.f !== "send") continue;
    if (op.type === "invoke") invoked.set(op.value.value, op.timeUs);
    else if (op.type === "ok") {
      const t0 = invoked.get(op.value.value);
      if (t0 !== undefined) out.push({ timeMs: t0 / 1000, latencyMs: (op.timeUs - t0) / 1000, process: op.process, partition: op.value.partition ?? null });
    }
  }
  return out;
}

export function describeAction(a: FaultAction): string {
  switch (a.kind) {
    case "partition":
      return `partition ${a.groups.map((g) => `[${g.map(describeTarget).join(", ")}]`).join(" | ")}`;
    case "partition-oneway":
      return `one-way partition ${a.from.map(describeTarget).join(", ")} → ${a.to.map(describeTarget).join(", ")}`;
    case "heal":
      return a.target ? `heal ${describeTarget(a.target)}` : "heal all";
    case "downstream-down":
      return `downstream of ${a.group} down for ${a.durationMs} ms`;
    case "slow":
      return `slow ${describeTarget(a.target)} ×${a.factor}`;
    case "flaky":
      return `flaky ${describeTarget(a.target)} (loss ${a.lossProb})`;
    case "pause":
      return `pause ${describeTarget(a.target)}${a.durationMs !== undefined ? ` for ${a.durationMs} ms` : ""}`;
    default:
      return `${a.kind} ${describeTarget(a.target)}`;
  }
}

export interface FaultPeriod {
  readonly startMs: number;
  readonly endMs: number;
  /** The fault in words, its targets resolved ("kill leader of orders-0 (broker 2)"). */
  readonly label: string;
  readonly kind: FaultAction["kind"];
  readonly nodes: readonly string[];
}

const CURES = new Set<FaultAction["kind"]>(["restart", "resume", "heal"]);

/** Each disruptive fault from when it fired until it was cured (restart / resume / heal of its nodes, a pause's
 *  own duration) or the workload phase ended (the drain heals everything). */
export function faultPeriods(r: RunResult): FaultPeriod[] {
  const out: FaultPeriod[] = [];
  const faults = r.faults;
  for (let i = 0; i < faults.length; i++) {
    const f = faults[i]!;
    if (CURES.has(f.action.kind)) continue;
    const startMs = f.timeUs / 1000;
    let endMs = r.workloadEndMs;
    if (f.action.kind === "pause" && f.action.durationMs !== undefined) endMs = Math.min(endMs, startMs + f.action.durationMs);
    else {
      for (let j = i + 1; j < faults.length; j++) {
        const c = faults[j]!;
        if (!CURES.has(c.action.kind)) continue;
        const healsAll = c.action.kind === "heal" && c.action.target === undefined;
        if (healsAll || c.nodes.some((n) => f.nodes.includes(n))) {
          endMs = Math.min(endMs, c.timeUs / 1000);
          break;
        }
      }
    }
    out.push({ startMs, endMs: Math.max(endMs, startMs), label: describeFired(r, f), kind: f.action.kind, nodes: [...new Set(f.nodes)] });
  }
  return out;
}

export interface IsrPoint {
  readonly timeMs: number;
  readonly tp: string;
  readonly isrSize: number;
  readonly isr: string;
}
export interface HwPoint {
  readonly timeMs: number;
  readonly tp: string;
  readonly highWatermark: number;
  readonly broker: number;
}
export interface LeaderPoint {
  readonly timeMs: number;
  readonly tp: string;
  readonly leader: number | null;
  readonly leaderEpoch: number;
  readonly unclean: boolean;
}

/** ISR size, the leader's HW and leader changes per partition over time (from the recorded trace; empty when the
 *  run was not recorded). Internal topics (__consumer_offsets) are left out. */
export function partitionSeries(r: RunResult): { isr: IsrPoint[]; hw: HwPoint[]; leaders: LeaderPoint[] } {
  const isr: IsrPoint[] = [];
  const hw: HwPoint[] = [];
  const leaders: LeaderPoint[] = [];
  const leaderOf = new Map<string, number | null>();
  const internal = (tp: string): boolean => tp.startsWith("__");
  for (const ev of r.trace) {
    const t = ev.timeUs / 1000;
    switch (ev.type) {
      case "leader-elected":
        if (internal(ev.tp)) break;
        leaderOf.set(ev.tp, ev.leader);
        leaders.push({ timeMs: t, tp: ev.tp, leader: ev.leader, leaderEpoch: ev.leaderEpoch, unclean: ev.unclean });
        isr.push({ timeMs: t, tp: ev.tp, isrSize: ev.isr.length, isr: ev.isr.join(",") });
        break;
      case "partition-offline":
        if (internal(ev.tp)) break;
        leaderOf.set(ev.tp, null);
        leaders.push({ timeMs: t, tp: ev.tp, leader: null, leaderEpoch: ev.leaderEpoch, unclean: false });
        break;
      case "isr-shrink":
      case "isr-expand":
        if (internal(ev.tp)) break;
        isr.push({ timeMs: t, tp: ev.tp, isrSize: ev.isr.length, isr: ev.isr.join(",") });
        break;
      case "hw-advance":
        if (internal(ev.tp)) break;
        if (leaderOf.get(ev.tp) === undefined || leaderOf.get(ev.tp) === ev.broker) hw.push({ timeMs: t, tp: ev.tp, highWatermark: ev.highWatermark, broker: ev.broker });
        break;
      case "become-leader":
        if (internal(ev.tp)) break;
        leaderOf.set(ev.tp, ev.broker);
        break;
      default:
        break;
    }
  }
  return { isr, hw, leaders };
}

export interface DownInterval {
  readonly node: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly state: "killed" | "powered-off" | "stopped" | "paused";
}

/** When each node was down or paused (from the kernel's trace events). */
export function downIntervals(r: RunResult): DownInterval[] {
  const open = new Map<string, { startMs: number; state: DownInterval["state"] }>();
  const out: DownInterval[] = [];
  const close = (node: string, t: number): void => {
    const o = open.get(node);
    if (o) {
      out.push({ node, startMs: o.startMs, endMs: t, state: o.state });
      open.delete(node);
    }
  };
  for (const ev of r.trace) {
    const t = ev.timeUs / 1000;
    switch (ev.type) {
      case "node-kill":
        if (!open.has(ev.node)) open.set(ev.node, { startMs: t, state: "killed" });
        break;
      case "node-power-loss":
        close(ev.node, t);
        open.set(ev.node, { startMs: t, state: "powered-off" });
        break;
      case "node-stop":
        if (!open.has(ev.node)) open.set(ev.node, { startMs: t, state: "stopped" });
        break;
      case "node-pause":
        if (!open.has(ev.node)) open.set(ev.node, { startMs: t, state: "paused" });
        break;
      case "node-restart":
      case "node-resume":
        close(ev.node, t);
        break;
      default:
        break;
    }
  }
  for (const node of [...open.keys()]) close(node, r.virtualMs);
  return out;
}
