// epoch-regression (epochs are monotonic, TLA+ models of KRaft): no node's Raft epoch goes back, across restarts and
// power losses too (the quorum-state file is fsynced on every durable transition), and no broker applies a partition
// leader epoch below one it applied before (leader epochs fence stale leaders: KIP-101, KIP-320). From the evidence:
// raft-role, become-leader and become-follower events.
import type { RunResult } from "../../sim/result.ts";
import type { Finding } from "../types.ts";
import { fmtTime } from "../explain.ts";

export function checkEpochRegression(result: RunResult): Finding[] {
  const out: Finding[] = [];
  const raft = new Map<string, { epoch: number; timeUs: number }>();
  const leaderEpochs = new Map<string, { epoch: number; timeUs: number }>();
  for (const e of result.evidence) {
    if (e.type === "raft-role") {
      const last = raft.get(e.node);
      if (last !== undefined && e.epoch < last.epoch) {
        out.push({ type: "epoch-regression", partition: null, offset: null, value: null, sinceUs: e.timeUs, explanation: `${e.node} went back from Raft epoch ${last.epoch} (at ${fmtTime(last.timeUs)}) to epoch ${e.epoch} (at ${fmtTime(e.timeUs)})` });
      }
      if (last === undefined || e.epoch >= last.epoch) raft.set(e.node, { epoch: e.epoch, timeUs: e.timeUs });
    } else if (e.type === "become-leader" || e.type === "become-follower") {
      const key = `${e.broker}/${e.tp}`;
      const last = leaderEpochs.get(key);
      if (last !== undefined && e.leaderEpoch < last.epoch) {
        out.push({ type: "epoch-regression", partition: e.tp, offset: null, value: null, sinceUs: e.timeUs, explanation: `broker ${e.broker} applied leader epoch ${e.leaderEpoch} of ${e.tp} at ${fmtTime(e.timeUs)} after epoch ${last.epoch} (at ${fmtTime(last.timeUs)})` });
      }
      if (last === undefined || e.leaderEpoch >= last.epoch) leaderEpochs.set(key, { epoch: e.leaderEpoch, timeUs: e.timeUs });
    }
  }
  return out;
}
