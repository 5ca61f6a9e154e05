// lost-transaction: a transaction its producer saw committed (EndTxn answered NONE for a COMMIT: the txn-ended
// event) whose records a read_committed consumer cannot read at the end — missing from the final logs, or left
// behind an ABORT marker or no marker at all. Kafka promises a committed transaction's records all become
// readable (KIP-98); an unclean election or a power loss of unflushed replicas can lose them or their markers.
import type { RunResult } from "../../sim/result.ts";
import type { Finding } from "../types.ts";
import { fmtTime } from "../explain.ts";
import { committedPositions } from "../transactions.ts";

export function checkLostTransactions(result: RunResult): Finding[] {
  const out: Finding[] = [];
  const byTopic = new Map<string, ReturnType<typeof committedPositions>>();
  for (const e of result.evidence) {
    if (e.type !== "txn-ended" || !e.commit || e.values.length === 0) continue;
    let visible = byTopic.get(e.topic);
    if (visible === undefined) byTopic.set(e.topic, (visible = committedPositions(result, e.topic)));
    const missing = e.values.filter((v) => !visible.has(v));
    if (missing.length === 0) continue;
    const text = `${e.producer} (transactional.id ${e.transactionalId}, producer id ${e.producerId} epoch ${e.producerEpoch}) saw its transaction committed at ${fmtTime(e.timeUs)}, but ${missing.length} of its ${e.values.length} records on ${e.topic} are not readable with read_committed at the end (value ${missing[0] as number}${missing.length > 1 ? ", …" : ""})`;
    out.push({ type: "lost-transaction", partition: null, offset: null, value: missing[0] as number, sinceUs: e.timeUs, process: e.producer, explanation: text });
  }
  return out;
}
