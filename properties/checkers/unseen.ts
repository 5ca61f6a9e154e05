// unseen (Jepsen): an acknowledged send that is in the final log but that no consumer of its topic ever
// polled by the end of the run.
import type { RunResult } from "../../sim/result.ts";
import type { Finding } from "../types.ts";
import { runIndex } from "../context.ts";
import { txnView } from "../transactions.ts";
import { fmtTime } from "../explain.ts";

export function checkUnseen(result: RunResult): Finding[] {
  const consumed = new Set<string>();
  for (const c of result.scenario.consumers) for (const t of c.topics) consumed.add(t);
  if (consumed.size === 0) return [];
  const polled = new Set<number>();
  for (const op of result.history) {
    if (op.f !== "poll" || op.type !== "ok") continue;
    const recs = op.value.records;
    for (let j = 0; j < recs.length; j++) {
      const r = recs[j];
      if (r) polled.add(r.value);
    }
  }
  const idx = runIndex(result);
  // A record of an aborted transaction, or of one still open at the end, is not for read_committed consumers.
  const txn = txnView(result);
  const out: Finding[] = [];
  for (const [value, s] of idx.sends) {
    if (s.outcome !== "ok" || !consumed.has(s.topic) || polled.has(value)) continue;
    if (txn.abortedValues.has(value) || txn.openValues.has(value)) continue;
    const tp = idx.valueTp.get(value);
    if (tp === undefined) continue; // lost, not unseen
    const offset = idx.valueOffset.get(value) ?? null;
    out.push({
      type: "unseen",
      partition: tp,
      offset,
      value,
      sinceUs: s.ackTimeUs,
      process: s.process,
      explanation: `${s.process} sent value ${value}, acknowledged at ${fmtTime(s.ackTimeUs)}; it is in ${tp} at offset ${offset} but no consumer polled it by the end (${fmtTime(result.virtualMs * 1000)})`,
    });
  }
  return out;
}
