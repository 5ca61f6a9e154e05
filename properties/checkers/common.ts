// Small helpers the checkers share.
import type { RunResult } from "../../sim/result.ts";
import type { FinalLog } from "../context.ts";
import { runIndex, tpName } from "../context.ts";
import type { FinalPartition, FinalReplica } from "../../sim/history.ts";
import { storyOf } from "../explain.ts";

/** Only the first few findings of a checker get a full story from the trace (building one is not free). */
export const STORY_LIMIT = 20;

/** The final logs by topic, then by partition number (no string building per record). */
export function logsByTopic(result: RunResult): Map<string, (FinalLog | undefined)[]> {
  const out = new Map<string, (FinalLog | undefined)[]>();
  for (const log of runIndex(result).logs.values()) {
    let arr = out.get(log.topic);
    if (!arr) out.set(log.topic, (arr = []));
    arr[log.partition] = log;
  }
  return out;
}

export function logLine(log: FinalLog | undefined): string {
  if (!log) return "the partition has no final log";
  return `the final log of ${log.tp} (broker ${log.broker ?? "none"}, offsets ${log.start}..${log.logEndOffset - 1}, HW ${log.highWatermark})`;
}

/** Append the trace story when within the limit. */
export function withStory(result: RunResult, n: number, text: string, tp: string | null, fromUs: number, toUs?: number): string {
  if (n >= STORY_LIMIT) return text;
  return `${text}. Steps: ${storyOf(result, tp, fromUs, toUs)}`;
}

/** Three-level map get-or-create: a → b → c. */
export function nested3<V>(m: Map<string, Map<string, Map<number, V>>>, a: string, b: string): Map<number, V> {
  let m1 = m.get(a);
  if (!m1) m.set(a, (m1 = new Map()));
  let m2 = m1.get(b);
  if (!m2) m1.set(b, (m2 = new Map()));
  return m2;
}

/** Each partition of the final state that has a leader, with the leader's replica and Kafka's "topic-partition"
 *  name (the prologue of the replica-invariant checkers). */
export function* ledPartitions(result: RunResult): Generator<{ readonly p: FinalPartition; readonly leader: FinalReplica; readonly tp: string }> {
  for (const p of result.final.partitions) {
    if (p.leader === null) continue;
    const leader = p.replicas.find((r) => r.broker === p.leader);
    if (leader) yield { p, leader, tp: tpName(p.topic, p.partition) };
  }
}
