// log-divergence (log matching, from the TLA+ models of Kafka replication): any two replicas of a partition
// hold the same records (value and leader epoch) below both their high watermarks.
import type { RunResult } from "../../sim/result.ts";
import type { FinalReplica } from "../../sim/history.ts";
import type { Finding } from "../types.ts";
import { tpName } from "../context.ts";
import { replicaLog } from "../../sim/final-log.ts";
import { withStory } from "./common.ts";

/** First offset below `below` where a and b differ (value or epoch, where both hold records), or -1. */
export function firstMismatch(a: FinalReplica, b: FinalReplica, below: number): number {
  const la = replicaLog(a);
  const lb = replicaLog(b);
  return la.firstMismatch(lb, Math.max(la.start, lb.start), Math.min(below, la.end, lb.end));
}

/** Value and epoch of a replica's record at `offset` (undefined outside its log). */
export function recordAt(r: FinalReplica, offset: number): { value: number | undefined; epoch: number | undefined } {
  const l = replicaLog(r);
  const i = offset - l.start;
  return i >= 0 && i < l.length ? { value: l.valueAt(i), epoch: l.epochAt(i) } : { value: undefined, epoch: undefined };
}

export function checkLogDivergence(result: RunResult): Finding[] {
  const out: Finding[] = [];
  for (const p of result.final.partitions) {
    const tp = tpName(p.topic, p.partition);
    const rs = p.replicas;
    for (let i = 0; i < rs.length; i++) {
      for (let j = i + 1; j < rs.length; j++) {
        const a = rs[i] as FinalReplica;
        const b = rs[j] as FinalReplica;
        const o = firstMismatch(a, b, Math.min(a.highWatermark, b.highWatermark));
        if (o < 0) continue;
        const ra = recordAt(a, o);
        const rb = recordAt(b, o);
        const text = `replicas of ${tp} disagree below their high watermarks (broker ${a.broker} HW ${a.highWatermark}, broker ${b.broker} HW ${b.highWatermark}): at offset ${o} broker ${a.broker} has value ${ra.value} (epoch ${ra.epoch}) and broker ${b.broker} has value ${rb.value} (epoch ${rb.epoch})`;
        out.push({ type: "log-divergence", partition: tp, offset: o, value: ra.value ?? null, explanation: withStory(result, out.length, text, tp, 0) });
      }
    }
  }
  return out;
}
