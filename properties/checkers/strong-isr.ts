// strong-isr (from the TLA+ models): every replica in the final ISR holds the leader's committed records —
// its log reaches the leader's high watermark and matches the leader's below it.
import type { RunResult } from "../../sim/result.ts";
import type { Finding } from "../types.ts";
import { ledPartitions, withStory } from "./common.ts";
import { firstMismatch } from "./log-divergence.ts";

export function checkStrongIsr(result: RunResult): Finding[] {
  const out: Finding[] = [];
  for (const { p, leader, tp } of ledPartitions(result)) {
    for (const b of p.isr) {
      if (b === leader.broker) continue;
      const r = p.replicas.find((x) => x.broker === b);
      let problem: string | null = null;
      let offset: number | null = null;
      if (!r) problem = `broker ${b} is in the ISR but holds no replica`;
      else if (r.logEndOffset < leader.highWatermark) {
        problem = `broker ${b} is in the ISR [${p.isr.join(",")}] with LEO ${r.logEndOffset}, below the leader's HW ${leader.highWatermark}`;
        offset = r.logEndOffset;
      } else {
        const o = firstMismatch(leader, r, leader.highWatermark);
        if (o >= 0) {
          problem = `broker ${b} is in the ISR [${p.isr.join(",")}] but differs from leader ${leader.broker} at offset ${o}, below the leader's HW ${leader.highWatermark}`;
          offset = o;
        }
      }
      if (problem === null) continue;
      out.push({ type: "strong-isr", partition: tp, offset, value: null, explanation: withStory(result, out.length, `${tp}: ${problem}`, tp, 0) });
    }
  }
  return out;
}
