// hanging-transaction: a partition whose last stable offset is stuck below its high watermark at the end of the run
// — a transaction with records and no COMMIT or ABORT marker after them — so read_committed consumers cannot read
// past it (KIP-98's LSO; Kafka's "hanging transactions", KIP-664). The coordinator's timeout aborts an abandoned
// transaction (transaction.timeout.ms, then the sweep); a lost marker (an unclean election) leaves it hanging.
import type { RunResult } from "../../sim/result.ts";
import type { Finding } from "../types.ts";
import { txnView } from "../transactions.ts";

export function checkHangingTransactions(result: RunResult): Finding[] {
  const out: Finding[] = [];
  for (const [tp, open] of txnView(result).openFirst) {
    const p = result.final.partitions.find((x) => `${x.topic}-${x.partition}` === tp);
    const hw = p === undefined ? -1 : Math.max(...p.replicas.map((r) => r.highWatermark));
    const text = `${tp}: the transaction of producer id ${open.producerId} has records from offset ${open.offset} and no marker at the end of the run, so the last stable offset is stuck at ${open.offset}${hw > open.offset ? ` below the high watermark ${hw}` : ""}: read_committed consumers read nothing past it`;
    out.push({ type: "hanging-transaction", partition: tp, offset: open.offset, value: open.value, explanation: text });
  }
  return out;
}
