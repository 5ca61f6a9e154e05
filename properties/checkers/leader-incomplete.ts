// leader-incomplete (leader completeness, from the TLA+ models): the final leader holds every record that any
// replica considers committed — no replica's high watermark is above the leader's log end, and the leader
// agrees with each replica below that replica's high watermark.
import type { RunResult } from "../../sim/result.ts";
import type { Finding } from "../types.ts";
import { ledPartitions, withStory } from "./common.ts";
import { firstMismatch, recordAt } from "./log-divergence.ts";

export function checkLeaderIncomplete(result: RunResult): Finding[] {
  const out: Finding[] = [];
  for (const { p, leader, tp } of ledPartitions(result)) {
    for (const r of p.replicas) {
      if (r === leader) continue;
      let offset = -1;
      if (r.highWatermark > leader.logEndOffset) offset = leader.logEndOffset;
      else {
        // Only records the leader lacks or holds differently, below the other replica's HW and above the
        // leader's own HW (below both HWs, log-divergence reports it).
        const o = firstMismatch(leader, r, r.highWatermark);
        if (o >= leader.highWatermark) offset = o;
      }
      if (offset < 0) continue;
      const value = recordAt(r, offset).value;
      const text = `leader ${leader.broker} of ${tp} (epoch ${p.leaderEpoch}, LEO ${leader.logEndOffset}, HW ${leader.highWatermark}) lacks the record at offset ${offset} that broker ${r.broker} holds as committed (value ${value}, HW ${r.highWatermark})`;
      out.push({ type: "leader-incomplete", partition: tp, offset, value: value ?? null, explanation: withStory(result, out.length, text, tp, 0) });
    }
  }
  return out;
}
