// log-divergence (log matching, from the TLA+ models of Kafka replication): any two replicas of a partition
// hold the same records (value and leader epoch) below both their high watermarks.
import type { RunResult } from "../../sim/result.ts";
import type { FinalReplica } from "../../sim/history.ts";
import type { Finding } from "../types.ts";
import { tpName } from "../context.ts";
import { withStory } from "./common.ts";

/** First offset below both HWs where a and b differ, or -1. */
export function firstMismatch(a: FinalReplica, b: FinalReplica, below: number): number {
  const from = Math.max(a.logStartOffset, b.logStartOffset);
  const to = Math.min(below, a.logStartOffset + a.values.length, b.logStartOffset + b.values.length);
  for (let o = from; o < to; o++) {
    const ia = o - a.logStartOffset;
    const ib = o - b.logStartOffset;
    if (a.values[ia] !== b.values[ib] || a.epochs[ia] !== b.epochs[ib]) return o;
  }
  return -1;
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
        const ia = o - a.logStartOffset;
        const ib = o - b.logStartOffset;
        const text = `replicas of ${tp} disagree below their high watermarks (broker ${a.broker} HW ${a.highWatermark}, broker ${b.broker} HW ${b.highWatermark}): at offset ${o} broker ${a.broker} has value ${a.values[ia]} (epoch ${a.epochs[ia]}) and broker ${b.broker} has value ${b.values[ib]} (epoch ${b.epochs[ib]})`;
        out.push({ type: "log-divergence", partition: tp, offset: o, value: a.values[ia] ?? null, explanation: withStory(result, out.length, text, tp, 0) });
      }
    }
  }
  return out;
}
