// Who a fault target meant when it fired ("the leader of orders-0" was broker 2 then), read from the run's
// evidence, and node names as people write them. Shared by the charts, the run report and `kafkasim explain`.
import { controllerNodes } from "../sim/world-kraft.ts";
import type { RunResult } from "../sim/result.ts";
import type { FaultAction, FaultTarget } from "../sim/faults/types.ts";
import type { FiredFault } from "../sim/faults/types.ts";
import { describeTarget } from "../sim/faults/interpreter.ts";

/** Node id as people write it: "broker 2", "zk" as "ZooKeeper". */
export function laneTitle(lane: string): string {
  if (lane === "zk") return "ZooKeeper";
  return lane.replace(/^broker-(\d+)$/, "broker $1");
}

/** "brokers 1,3, p1". */
export function short(nodes: readonly string[]): string {
  const brokers = nodes.filter((n) => /^broker-\d+$/.test(n)).map((n) => n.slice(7));
  const others = nodes.filter((n) => !/^broker-\d+$/.test(n)).map(laneTitle);
  return [...(brokers.length > 0 ? [`broker${brokers.length > 1 ? "s" : ""} ${brokers.join(",")}`] : []), ...others].join(", ");
}

export interface LeaderStep {
  readonly tMs: number;
  readonly leader: number | null;
}

const LEADERS = new WeakMap<RunResult, Map<string, LeaderStep[]>>();

/** Leaders of every partition over time (from the evidence). */
export function leaderSteps(r: RunResult): Map<string, LeaderStep[]> {
  const hit = LEADERS.get(r);
  if (hit) return hit;
  const out = new Map<string, LeaderStep[]>();
  const push = (tp: string, s: LeaderStep): void => {
    const l = out.get(tp);
    if (l) l.push(s);
    else out.set(tp, [s]);
  };
  for (const ev of r.evidence) {
    if (ev.type === "leader-elected") push(ev.tp, { tMs: ev.timeUs / 1000, leader: ev.leader });
    else if (ev.type === "partition-offline") push(ev.tp, { tMs: ev.timeUs / 1000, leader: null });
  }
  LEADERS.set(r, out);
  return out;
}

export function leaderAt(r: RunResult, tp: string, tMs: number): number | null {
  let l: number | null = null;
  for (const s of leaderSteps(r).get(tp) ?? []) {
    if (s.tMs > tMs) break;
    l = s.leader;
  }
  return l;
}

/** The replicas of tp (from the final state). */
export function replicasOf(r: RunResult, tp: string): number[] {
  const p = r.final.partitions.find((x) => `${x.topic}-${x.partition}` === tp);
  return p ? p.replicas.map((x) => x.broker) : [];
}

/** The nodes a target meant at tMs, as far as the run tells (a controller from its elections). */
export function resolveTarget(r: RunResult, t: FaultTarget, tMs: number): string[] {
  if ("broker" in t) return [`broker-${t.broker}`];
  if ("leaderOf" in t) {
    const l = leaderAt(r, t.leaderOf, tMs);
    return l === null ? [] : [`broker-${l}`];
  }
  if ("followersOf" in t) {
    const l = leaderAt(r, t.followersOf, tMs);
    return replicasOf(r, t.followersOf)
      .filter((b) => b !== l)
      .map((b) => `broker-${b}`);
  }
  if ("controller" in t) {
    let c: string[] = [];
    for (const ev of r.evidence) {
      if (ev.timeUs / 1000 > tMs) break;
      if (ev.type === "controller-elected") c = [`broker-${ev.broker}`];
    }
    return c;
  }
  if ("coordinator" in t) return ["zk"];
  if ("controllerNode" in t) return [`controller-${t.controllerNode}`];
  if ("quorum" in t) return controllerNodes(r.scenario).map(String);
  const group = r.scenario.consumers.find((c) => c.group === t.client);
  return group ? Array.from({ length: group.members }, (_, m) => `${group.group}/${m}`) : [t.client];
}


/** A target in words, with what it resolved to when that is not plain ("leader of orders-0 (broker 2)"). */
export function targetWords(r: RunResult, t: FaultTarget, tMs: number): string {
  const words = describeTarget(t);
  if ("broker" in t || "coordinator" in t) return words;
  const nodes = resolveTarget(r, t, tMs);
  if ("client" in t && nodes.length === 1 && nodes[0] === t.client) return words;
  return `${words} (${nodes.length > 0 ? short(nodes) : "nobody"})`;
}

/** A fired fault in words, its targets resolved: "one-way partition brokers 1, 2, 3 -/-> leader of orders-0
 *  (broker 2)", "kill leader of orders-0 (broker 2)", "heal all". */
export function describeFired(r: RunResult, f: Pick<FiredFault, "timeUs" | "action">): string {
  const a: FaultAction = f.action;
  const tMs = f.timeUs / 1000;
  const list = (ts: readonly FaultTarget[]): string => ts.map((t) => targetWords(r, t, tMs)).join(", ");
  switch (a.kind) {
    case "partition":
      return `network partition ${a.groups.map((g) => `{${list(g)}}`).join(" | ")}`;
    case "partition-oneway":
      return `one-way partition ${list(a.from)} -/-> ${list(a.to)}`;
    case "heal":
      return a.target ? `heal ${targetWords(r, a.target, tMs)}` : "heal all";
    case "downstream-down":
      return `downstream of ${a.group} down for ${a.durationMs} ms`;
    case "slow":
      return `slow links of ${targetWords(r, a.target, tMs)} ×${a.factor}`;
    case "flaky":
      return `lossy links of ${targetWords(r, a.target, tMs)} (loss ${a.lossProb})`;
    case "pause":
      return `pause ${targetWords(r, a.target, tMs)}${a.durationMs !== undefined ? ` for ${a.durationMs} ms` : ""}`;
    case "power":
      return `power loss of ${targetWords(r, a.target, tMs)}`;
    case "expire-session":
      return `expire the session of ${targetWords(r, a.target, tMs)}`;
    default:
      return `${a.kind} ${targetWords(r, a.target, tMs)}`;
  }
}
