// two-leaders (ElectionSafety, TLA+ models of Raft and KRaft): at most one node leads the metadata quorum in any Raft
// epoch, and at most one broker leads a partition at any leader epoch (a leader epoch names one election of the
// controller). From the evidence: raft-role events of role leader, become-leader events.
import type { RunResult } from "../../sim/result.ts";
import type { Finding } from "../types.ts";
import { fmtTime } from "../explain.ts";

export function checkTwoLeaders(result: RunResult): Finding[] {
  const out: Finding[] = [];
  const quorum = new Map<number, { node: string; timeUs: number }>();
  const partitions = new Map<string, { broker: number; timeUs: number }>();
  for (const e of result.evidence) {
    if (e.type === "raft-role" && e.role === "leader") {
      const seen = quorum.get(e.epoch);
      if (seen === undefined) quorum.set(e.epoch, { node: e.node, timeUs: e.timeUs });
      else if (seen.node !== e.node) {
        out.push({ type: "two-leaders", partition: null, offset: null, value: null, sinceUs: e.timeUs, explanation: `${seen.node} (at ${fmtTime(seen.timeUs)}) and ${e.node} (at ${fmtTime(e.timeUs)}) both led the metadata quorum in Raft epoch ${e.epoch}` });
      }
    } else if (e.type === "become-leader") {
      const key = `${e.tp}@${e.leaderEpoch}`;
      const seen = partitions.get(key);
      if (seen === undefined) partitions.set(key, { broker: e.broker, timeUs: e.timeUs });
      else if (seen.broker !== e.broker) {
        out.push({ type: "two-leaders", partition: e.tp, offset: null, value: null, sinceUs: e.timeUs, explanation: `brokers ${seen.broker} (at ${fmtTime(seen.timeUs)}) and ${e.broker} (at ${fmtTime(e.timeUs)}) both became leader of ${e.tp} at leader epoch ${e.leaderEpoch}` });
      }
    }
  }
  return out;
}
