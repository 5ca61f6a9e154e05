// Explanations in words, like Elle's: the steps that led to an anomaly — who led the partition, the ISR,
// HW, LEO and epochs at each step — read from the recorded trace. Without a trace, the faults that fired.
import type { RunResult } from "../sim/result.ts";
import type { TraceEvent } from "../sim/events.ts";
import type { FaultAction, FaultTarget } from "../sim/faults/types.ts";
import { describeTarget } from "../sim/faults/interpreter.ts";

interface Step {
  readonly timeUs: number;
  readonly text: string;
}

interface TraceIndex {
  /** Steps about one partition (leader, ISR, HW, truncation), by tp. */
  readonly byTp: Map<string, Step[]>;
  /** Cluster-wide steps (faults, node kills, session expiry). */
  readonly global: Step[];
}

const CACHE = new WeakMap<RunResult, TraceIndex>();

export function fmtTime(us: number): string {
  return `${(us / 1_000_000).toFixed(3)} s`;
}

function fmtTarget(t: FaultTarget): string {
  return describeTarget(t);
}

export function fmtFault(a: FaultAction): string {
  switch (a.kind) {
    case "partition":
      return `network partition ${a.groups.map((g) => `{${g.map(fmtTarget).join(", ")}}`).join(" | ")}`;
    case "partition-oneway":
      return `one-way partition ${a.from.map(fmtTarget).join(", ")} -/-> ${a.to.map(fmtTarget).join(", ")}`;
    case "heal":
      return a.target ? `heal ${fmtTarget(a.target)}` : "heal all";
    case "downstream-down":
      return `downstream of ${a.group} down for ${a.durationMs} ms`;
    case "slow":
      return `slow links of ${fmtTarget(a.target)} ×${a.factor}`;
    case "flaky":
      return `flaky links of ${fmtTarget(a.target)} (loss ${a.lossProb})`;
    case "power":
      return `power loss of ${fmtTarget(a.target)}`;
    case "metadata-lag":
      return `metadata of ${fmtTarget(a.target)} ${a.delayMs} ms late${a.durationMs !== undefined ? ` for ${a.durationMs} ms` : ""}`;
    default:
      return `${a.kind} ${fmtTarget(a.target)}`;
  }
}

export function describeEvent(ev: TraceEvent): { tp: string | null; text: string } | null {
  switch (ev.type) {
    case "leader-elected": {
      // KRaft: how PartitionChangeBuilder chose, from the ISR and (KIP-966) the ELR it elected from.
      const how = ev.election === "elr" ? `, from the ELR [${(ev.isrBefore ?? []).join(",")}]` : ev.election === "last-known-leader" ? ", the last known leader (ISR and ELR empty)" : "";
      const elr = ev.elr !== undefined && ev.elr.length > 0 ? `, ELR [${ev.elr.join(",")}]` : "";
      return { tp: ev.tp, text: `broker ${ev.leader} elected leader of ${ev.tp} (epoch ${ev.leaderEpoch}, ISR [${ev.isr.join(",")}]${elr}${how}${ev.unclean ? ", UNCLEAN: not in the ISR" : ""}${ev.recovering === true ? ", RECOVERING" : ""})` };
    }
    case "partition-offline":
      return { tp: ev.tp, text: `${ev.tp} offline (no eligible leader, epoch ${ev.leaderEpoch})` };
    case "isr-shrink":
      return { tp: ev.tp, text: `ISR of ${ev.tp} shrank to [${ev.isr.join(",")}] (removed ${ev.removed.join(",")}, leader ${ev.leader}, by ${ev.by})` };
    case "alter-partition-preempted":
      return { tp: ev.tp, text: `controller broker ${ev.controller} resigned with broker ${ev.broker}'s AlterPartition for ${ev.tp} unanswered (it is sent again after controller.socket.timeout.ms)` };
    case "isr-expand":
      return { tp: ev.tp, text: `ISR of ${ev.tp} grew to [${ev.isr.join(",")}] (added ${ev.added.join(",")})` };
    case "become-leader":
      return { tp: ev.tp, text: `broker ${ev.broker} became leader of ${ev.tp} at epoch ${ev.leaderEpoch} with LEO ${ev.logEndOffset}` };
    case "become-follower":
      return { tp: ev.tp, text: `broker ${ev.broker} follows broker ${ev.leader} on ${ev.tp} (epoch ${ev.leaderEpoch})` };
    case "hw-advance":
      return { tp: ev.tp, text: `HW of ${ev.tp} on broker ${ev.broker} = ${ev.highWatermark}` };
    case "truncate":
      return { tp: ev.tp, text: `broker ${ev.broker} truncated ${ev.tp} from LEO ${ev.fromOffset} to ${ev.toOffset} (${ev.reason})` };
    case "produce-append":
      return null;
    case "fault":
      return { tp: null, text: `fault: ${fmtFault(ev.action)}${ev.nodes.length ? ` (${ev.nodes.join(", ")})` : ""}` };
    case "node-kill":
      return { tp: null, text: `${ev.node} killed` };
    case "node-power-loss":
      return { tp: null, text: `${ev.node} lost power (${ev.lostRecords} unflushed records gone)` };
    case "node-restart":
      return { tp: null, text: `${ev.node} restarted` };
    case "session-expired":
      return { tp: null, text: `session of broker ${ev.broker} expired` };
    case "controller-elected":
      return { tp: null, text: `broker ${ev.broker} became controller (epoch ${ev.controllerEpoch})` };
    case "rebalance":
      return { tp: null, text: `group ${ev.group} rebalanced to generation ${ev.generation} (members ${ev.members.join(", ") || "none"})` };
    case "consumer-request-timeout":
      return { tp: null, text: `${ev.member}'s ${ev.request} request to ${ev.node} timed out; it closed the connection` };
    case "poll-timeout":
      return { tp: null, text: `${ev.member} left group ${ev.group}: poll() not called within max.poll.interval.ms` };
    case "commit-failed":
      return { tp: null, text: `${ev.member}'s commit in group ${ev.group} (generation ${ev.generation}) failed with ${ev.error}` };
    case "producer-epoch-bump":
      return { tp: null, text: `${ev.producer} bumped its producer epoch to ${ev.producerEpoch}` };
    case "node-stop":
      return { tp: null, text: `${ev.node} shut down cleanly` };
    case "node-pause":
      return { tp: null, text: `${ev.node} paused` };
    case "node-resume":
      return { tp: null, text: `${ev.node} resumed` };
    case "kraft-controller":
      return { tp: null, text: `${ev.node} ${ev.active ? "became" : "stopped being"} the active controller (Raft epoch ${ev.epoch})` };
    case "kraft-broker":
      return ev.change === "registered" ? null : { tp: null, text: `the controller ${ev.change === "controlled-shutdown" ? "began the controlled shutdown of" : ev.change} broker ${ev.broker} (broker epoch ${ev.brokerEpoch})` };
    case "metadata-lag":
      return { tp: null, text: ev.delayMs > 0 ? `broker ${ev.broker} applies metadata ${ev.delayMs} ms late` : `broker ${ev.broker}'s metadata lag ends` };
    case "raft-resign":
      return { tp: null, text: `${ev.node} resigned the leadership of the metadata quorum (epoch ${ev.epoch}, ${ev.reason})` };
    case "broker-recovered":
      return { tp: null, text: `broker ${ev.broker} recovered its logs (${Object.entries(ev.logEndOffsets).map(([k, v]) => `${k} LEO ${v}`).join(", ")})` };
    default:
      return null;
  }
}

function traceIndex(result: RunResult): TraceIndex {
  const hit = CACHE.get(result);
  if (hit) return hit;
  const byTp = new Map<string, Step[]>();
  const global: Step[] = [];
  for (const ev of result.trace) {
    const d = describeEvent(ev as TraceEvent);
    if (!d) continue;
    const step = { timeUs: ev.timeUs, text: d.text };
    if (d.tp === null) global.push(step);
    else {
      let l = byTp.get(d.tp);
      if (!l) byTp.set(d.tp, (l = []));
      // Collapse runs of HW advances on one broker: keep the latest.
      const last = l[l.length - 1];
      if (ev.type === "hw-advance" && last && last.text.startsWith(`HW of ${d.tp} on broker ${ev.broker} =`)) l[l.length - 1] = step;
      else l.push(step);
    }
  }
  const idx = { byTp, global };
  CACHE.set(result, idx);
  return idx;
}

/** Lower-bound search by time. */
function firstAtOrAfter(steps: readonly Step[], us: number): number {
  let lo = 0;
  let hi = steps.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((steps[mid] as Step).timeUs < us) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The story of a partition around an anomaly: the last step before `fromUs` (the state then), then the steps
 * up to `toUs`, at most `maxSteps`. Without a trace: the faults that fired in the window.
 */
export function storyOf(result: RunResult, tp: string | null, fromUs: number, toUs = Number.POSITIVE_INFINITY, maxSteps = 10): string {
  if (result.trace.length === 0) {
    const fs = result.faults.filter((f) => f.timeUs >= fromUs && f.timeUs <= toUs).slice(0, maxSteps);
    if (fs.length === 0) return result.faults.length === 0 ? "no faults fired" : `faults: ${result.faults.slice(0, maxSteps).map((f) => `${fmtTime(f.timeUs)} ${fmtFault(f.action)}`).join("; ")}`;
    return `then: ${fs.map((f) => `${fmtTime(f.timeUs)} ${fmtFault(f.action)}`).join("; ")}`;
  }
  const ti = traceIndex(result);
  const tpSteps = tp === null ? [] : (ti.byTp.get(tp) ?? []);
  const picked: Step[] = [];
  // The state before: the last leader election / ISR change before fromUs.
  const i0 = firstAtOrAfter(tpSteps, fromUs);
  for (let i = i0 - 1; i >= 0; i--) {
    const s = tpSteps[i] as Step;
    if (s.text.includes("elected leader") || s.text.includes("ISR of")) {
      picked.push(s);
      break;
    }
  }
  const merged: Step[] = [];
  for (let i = i0; i < tpSteps.length && (tpSteps[i] as Step).timeUs <= toUs; i++) {
    const s = tpSteps[i] as Step;
    if (!s.text.startsWith("HW of ")) merged.push(s); // HW advances are too many to tell; the others say enough
  }
  for (let i = firstAtOrAfter(ti.global, fromUs); i < ti.global.length && (ti.global[i] as Step).timeUs <= toUs; i++) merged.push(ti.global[i] as Step);
  merged.sort((a, b) => a.timeUs - b.timeUs);
  for (const s of merged) {
    if (picked.length >= maxSteps) break;
    picked.push(s);
  }
  if (picked.length === 0) return "no cluster events recorded around it";
  return picked.map((s) => `${fmtTime(s.timeUs)} ${s.text}`).join("; ");
}
