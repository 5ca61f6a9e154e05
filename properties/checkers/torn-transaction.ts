// torn-transaction (Jepsen's name, Bufstream 0.1.0 analysis: "transactions can be torn into parts: some of their
// effects committed, others lost"): a consumer group with isolation.level=read_committed polled part of a
// transaction its producer saw committed (EndTxn answered NONE for a COMMIT: the txn-ended event), and its position
// passed the rest of it — another of the transaction's records that sits in the final log below a record the group
// polled on that partition, but is not readable with read_committed there (an ABORT marker or no marker follows it).
// A committed transaction is all or nothing for read_committed readers (KIP-98), so the group saw part of it at its
// position and can never see the rest. Under transaction.version below 2 a late EndTxn of an earlier transaction
// can commit a transaction before its last records land, which then join (and share the fate of) the next one.
import type { RunResult } from "../../sim/result.ts";
import type { Finding } from "../types.ts";
import { fmtTime } from "../explain.ts";
import { finalLogOf, isUserTopic } from "../context.ts";
import { readCommittedGroups, txnView } from "../transactions.ts";

interface Seen {
  readonly values: Set<number>;
  /** "topic-partition" → the highest offset the group polled there. */
  readonly top: Map<string, number>;
}

export function checkTornTransactions(result: RunResult): Finding[] {
  const ended = result.evidence.filter((e) => e.type === "txn-ended" && e.commit && e.values.length > 1);
  const groups = readCommittedGroups(result);
  if (ended.length === 0 || groups.size === 0) return [];
  const view = txnView(result);
  // Where each value of a transactional topic is in the final logs, and whether read_committed hides it there.
  const topics = new Set(ended.map((e) => (e.type === "txn-ended" ? e.topic : "")));
  const where = new Map<number, { readonly tp: string; readonly offset: number; readonly hidden: boolean }>();
  for (const p of result.final.partitions) {
    if (!topics.has(p.topic) || !isUserTopic(p.topic)) continue;
    const log = finalLogOf(p);
    const hidden = view.hiddenCommitted.get(log.tp);
    for (let i = 0; i < log.length; i++) {
      const v = log.log.valueAt(i);
      const offset = log.start + i;
      if (v >= 0 && !where.has(v)) where.set(v, { tp: log.tp, offset, hidden: hidden?.has(offset) === true });
    }
  }
  const seen = new Map<string, Seen>();
  for (const op of result.history) {
    if (op.f !== "poll" || op.type !== "ok" || !groups.has(op.value.group)) continue;
    let s = seen.get(op.value.group);
    if (s === undefined) seen.set(op.value.group, (s = { values: new Set(), top: new Map() }));
    for (const r of op.value.records) {
      s.values.add(r.value);
      const tp = `${r.topic}-${r.partition}`;
      if (r.offset > (s.top.get(tp) ?? -1)) s.top.set(tp, r.offset);
    }
  }
  const out: Finding[] = [];
  for (const e of ended) {
    if (e.type !== "txn-ended") continue;
    for (const [group, s] of seen) {
      const polled = e.values.filter((v) => s.values.has(v));
      if (polled.length === 0) continue;
      const passed = e.values.find((v) => {
        const at = where.get(v);
        return at !== undefined && at.hidden && !s.values.has(v) && (s.top.get(at.tp) ?? -1) > at.offset;
      });
      if (passed === undefined) continue;
      const at = where.get(passed) as { tp: string; offset: number };
      const text = `${e.producer} (transactional.id ${e.transactionalId}, producer id ${e.producerId} epoch ${e.producerEpoch}) saw its transaction of ${e.values.length} records committed at ${fmtTime(e.timeUs)}; group ${group} (isolation.level=read_committed) polled ${polled.length} of them (value ${polled[0] as number}) and read past value ${passed} at ${at.tp} offset ${at.offset}, which is not committed in the final log (an ABORT marker or no marker follows it): it saw part of the transaction`;
      out.push({ type: "torn-transaction", partition: at.tp, offset: at.offset, value: passed, group, sinceUs: e.timeUs, process: e.producer, explanation: text });
    }
  }
  return out;
}
