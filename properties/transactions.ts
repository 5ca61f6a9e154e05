// What the final logs say about transactions (for the checkers): which records an ABORT marker aborted, which
// transactions were still open at the end, and the offsets a consumer never gets — control records for every
// consumer; aborted records and open transactions' records, too, for isolation.level=read_committed. Read from
// each partition's final replica (its producer ids and attributes: sim/history.ts FinalReplica), as Kafka's
// consumers do from the log (a producer's transactional records up to its next marker belong to one transaction).
// Built from the final state alone (not the run index), so the one pass over the history can read it.
import type { RunResult } from "../sim/result.ts";
import { ATTR_CONTROL, CONTROL_ABORT } from "../sim/kafka/records.ts";
import { finalLogOf, isUserTopic, pipelineOutputTopics } from "./context.ts";

export interface TxnView {
  /** Values of records whose transaction was aborted. */
  readonly abortedValues: ReadonlySet<number>;
  /** Values of records whose transaction had no marker at the end (a hanging transaction). */
  readonly openValues: ReadonlySet<number>;
  /** Per "topic-partition": offsets of control records. */
  readonly control: ReadonlyMap<string, ReadonlySet<number>>;
  /** Per "topic-partition": offsets a read_committed consumer skips (control, aborted, open). */
  readonly hiddenCommitted: ReadonlyMap<string, ReadonlySet<number>>;
  /** The consumer groups of the run with isolation.level=read_committed. */
  readonly readCommitted: ReadonlySet<string>;
  /** Per "topic-partition" with a transaction still open at the end (no marker): its first record — the last
   *  stable offset is stuck there (hanging-transaction). */
  readonly openFirst: ReadonlyMap<string, { readonly offset: number; readonly producerId: number; readonly value: number }>;
}

/** The view of a run without transactions (no final log has producer ids and attributes). */
export const NO_TXN: TxnView = { abortedValues: new Set(), openValues: new Set(), control: new Map(), hiddenCommitted: new Map(), readCommitted: new Set(), openFirst: new Map() };
const CACHE = new WeakMap<RunResult, TxnView>();

export function txnView(result: RunResult): TxnView {
  const hit = CACHE.get(result);
  if (hit) return hit;
  let view = NO_TXN;
  const aborted = new Set<number>();
  const openValues = new Set<number>();
  const controlByTp = new Map<string, Set<number>>();
  const hiddenByTp = new Map<string, Set<number>>();
  const openFirst = new Map<string, { offset: number; producerId: number; value: number }>();
  // The output topics of pipelines hold copies of input values: their transactions are not the input sends'.
  const copies = pipelineOutputTopics(result.scenario);
  for (const p of result.final.partitions) {
    if (!isUserTopic(p.topic)) continue;
    const log = finalLogOf(p);
    const replica = p.replicas.find((r) => r.broker === log.broker);
    const attrs = replica?.attributes;
    const pids = replica?.producerIds;
    if (attrs === undefined || pids === undefined) continue;
    if (view === NO_TXN) view = { abortedValues: aborted, openValues, control: controlByTp, hiddenCommitted: hiddenByTp, readCommitted: readCommittedGroups(result), openFirst };
    const copy = copies.has(p.topic);
    const control = new Set<number>();
    const hidden = new Set<number>();
    const open = new Map<number, number[]>();
    const l = log.log;
    for (let i = 0; i < attrs.length; i++) {
      const a = attrs[i] as number;
      if (a === 0) continue;
      const pid = pids[i] as number;
      const offset = log.start + i;
      if ((a & ATTR_CONTROL) !== 0) {
        control.add(offset);
        hidden.add(offset);
        const records = open.get(pid) ?? [];
        open.delete(pid);
        if (l.keyAt(i) !== CONTROL_ABORT) continue;
        for (const j of records) {
          hidden.add(log.start + j);
          if (!copy) aborted.add(l.valueAt(j));
        }
        continue;
      }
      let records = open.get(pid);
      if (records === undefined) open.set(pid, (records = []));
      records.push(i);
    }
    for (const [pid, records] of open) {
      for (const j of records) {
        hidden.add(log.start + j);
        if (!copy) openValues.add(l.valueAt(j));
      }
      const first = records[0];
      const seen = openFirst.get(log.tp);
      if (first !== undefined && (seen === undefined || log.start + first < seen.offset)) openFirst.set(log.tp, { offset: log.start + first, producerId: pid, value: l.valueAt(first) });
    }
    controlByTp.set(log.tp, control);
    hiddenByTp.set(log.tp, hidden);
  }
  CACHE.set(result, view);
  return view;
}

/** The consumer groups of the run with isolation.level=read_committed. */
export function readCommittedGroups(result: RunResult): ReadonlySet<string> {
  const out = new Set<string>();
  for (const c of result.scenario.consumers) if (c.config["isolation.level"] === "read_committed") out.add(c.group);
  return out;
}

/** The offsets of "topic-partition" a consumer of `group` never gets (undefined: none). */
export function invisibleOffsets(view: TxnView, group: string, tp: string): ReadonlySet<number> | undefined {
  if (view === NO_TXN) return undefined;
  return view.readCommitted.has(group) ? view.hiddenCommitted.get(tp) : view.control.get(tp);
}

/** Where each value of `topic` is visible to a read_committed consumer in the final logs (not a marker, not in an
 *  aborted or open transaction): value → its positions, in partition then offset order. */
export function committedPositions(result: RunResult, topic: string): Map<number, { readonly tp: string; readonly offset: number }[]> {
  const view = txnView(result);
  const out = new Map<number, { tp: string; offset: number }[]>();
  for (const p of result.final.partitions) {
    if (p.topic !== topic) continue;
    const log = finalLogOf(p);
    const hidden = view.hiddenCommitted.get(log.tp);
    for (let i = 0; i < log.length; i++) {
      const offset = log.start + i;
      const v = log.log.valueAt(i);
      if (v < 0 || hidden?.has(offset) === true) continue;
      let l = out.get(v);
      if (l === undefined) out.set(v, (l = []));
      l.push({ tp: log.tp, offset });
    }
  }
  return out;
}
