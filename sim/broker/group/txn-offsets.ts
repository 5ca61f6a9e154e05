// A group coordinator's transactional offsets (KIP-98, KIP-447; GroupMetadata.pendingTransactionalOffsetCommits):
// TxnOffsetCommit appends a transaction's offsets to the group's __consumer_offsets partition as a transactional
// batch of its producer, and they stay pending — invisible to OffsetFetch — until the transaction's marker reaches
// that partition: COMMIT makes them the group's committed offsets, ABORT drops them
// (GroupMetadata.completePendingTxnOffsetCommit, called by GroupCoordinator.scheduleHandleTxnCompletion). While a
// partition has pending offsets, an OffsetFetch with requireStable (a read_committed consumer, 2.5+) is answered
// UNSTABLE_OFFSET_COMMIT (GroupMetadataManager.getOffsets), so a new member does not start from the offsets the
// open transaction is about to replace.
import { isControl, isTransactional, CONTROL_COMMIT } from "../../kafka/records.ts";

/** producerId → "topic/partition" → offset. */
type Pending = Map<number, Map<string, number>>;

export class TxnOffsets {
  /** group → its pending transactional offsets. */
  private readonly byGroup = new Map<string, Pending>();

  /** GroupMetadata.prepareTxnOffsetCommit: pending from before the append. */
  prepare(group: string, producerId: number, offsets: readonly { readonly topic: string; readonly partition: number; readonly offset: number }[]): void {
    for (const o of offsets) this.pend(group, producerId, `${o.topic}/${o.partition}`, o.offset);
  }

  /** One pending offset of "topic/partition" (also as loaded from the log). */
  pend(group: string, producerId: number, tp: string, offset: number): void {
    let g = this.byGroup.get(group);
    if (g === undefined) this.byGroup.set(group, (g = new Map()));
    let p = g.get(producerId);
    if (p === undefined) g.set(producerId, (p = new Map()));
    p.set(tp, offset);
  }

  /** GroupMetadata.failPendingTxnOffsetCommit: the append failed; these offsets are not pending any more. */
  fail(group: string, producerId: number, offsets: readonly { readonly topic: string; readonly partition: number; readonly offset: number }[]): void {
    const p = this.byGroup.get(group)?.get(producerId);
    if (p === undefined) return;
    for (const o of offsets) if (p.get(`${o.topic}/${o.partition}`) === o.offset) p.delete(`${o.topic}/${o.partition}`);
    if (p.size === 0) this.byGroup.get(group)?.delete(producerId);
  }

  /** The marker of `producerId` reached the group's partition: on COMMIT the offsets are applied through `apply`,
   *  on ABORT dropped. (Kafka applies a transactional offset only when the cached one was appended earlier in the
   *  log — `olderThan`; kafkasim's modelled pipelines never mix plain and transactional commits of one partition.)
   *  True when the producer had offsets pending in the group. */
  complete(group: string, producerId: number, commit: boolean, apply: (tp: string, offset: number) => void): boolean {
    const g = this.byGroup.get(group);
    const p = g?.get(producerId);
    if (g === undefined || p === undefined) return false;
    g.delete(producerId);
    if (commit) for (const [tp, offset] of p) apply(tp, offset);
    return true;
  }

  /** GroupMetadata.hasPendingOffsetCommitsForTopicPartition (the transactional part). */
  hasPending(group: string, tp: string): boolean {
    const g = this.byGroup.get(group);
    if (g === undefined) return false;
    for (const p of g.values()) if (p.has(tp)) return true;
    return false;
  }

  /** The group was unloaded (its coordinator resigned). */
  forget(group: string): void {
    this.byGroup.delete(group);
  }
}

/** What loading a __consumer_offsets record means (GroupMetadataManager.doLoadGroupsAndOffsets): a plain record, a
 *  transactional one (pending under its producer until its marker), or a marker completing the producer's. */
export type LoadedRecord = { readonly kind: "plain" } | { readonly kind: "txn"; readonly producerId: number } | { readonly kind: "marker"; readonly producerId: number; readonly commit: boolean };

const PLAIN: LoadedRecord = { kind: "plain" };

export function loadedRecord(attributes: number, producerId: number, key: number): LoadedRecord {
  if (attributes === 0) return PLAIN;
  if (isControl(attributes)) return { kind: "marker", producerId, commit: key === CONTROL_COMMIT };
  return isTransactional(attributes) ? { kind: "txn", producerId } : PLAIN;
}
