// unseen (Jepsen): an acknowledged send that is in the final log but that no consumer of its topic ever
// polled by the end of the run.
import type { RunResult } from "../../sim/result.ts";
import type { Finding } from "../types.ts";
import { historyScan, runIndex } from "../context.ts";
import { txnView } from "../transactions.ts";
import { fmtTime } from "../explain.ts";

export function checkUnseen(result: RunResult): Finding[] {
  const consumed = new Set<string>();
  for (const c of result.scenario.consumers) for (const t of c.topics) consumed.add(t);
  if (consumed.size === 0) return [];
  const { polled, h } = historyScan(result);
  const idx = runIndex(result);
  // A record of an aborted transaction, or of one still open at the end, is not for read_committed consumers.
  const txn = txnView(result);
  const out: Finding[] = [];
  idx.sends.forEachSend((value, invoke) => {
    if (!idx.sends.acked(value) || polled.get(value) !== 0 || !consumed.has(h.topic(invoke))) return;
    if (txn.abortedValues.has(value) || txn.openValues.has(value)) return;
    const log = idx.logOf(value);
    if (log === undefined) return; // lost, not unseen
    const offset = idx.offsetOf(value);
    const process = h.process(invoke);
    const ackUs = idx.sends.ackTimeUs(value);
    out.push({
      type: "unseen",
      partition: log.tp,
      offset,
      value,
      sinceUs: ackUs,
      process,
      explanation: `${process} sent value ${value}, acknowledged at ${fmtTime(ackUs)}; it is in ${log.tp} at offset ${offset} but no consumer polled it by the end (${fmtTime(result.virtualMs * 1000)})`,
    });
  });
  return out;
}
