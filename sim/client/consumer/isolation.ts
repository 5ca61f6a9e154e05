// What a consumer keeps of a fetched partition's records (clients/.../consumer/internals/CompletedFetch.java):
// control records (transaction markers) are never returned; with isolation.level=read_committed the broker stops
// at the last stable offset and lists the aborted transactions the records overlap, and the consumer drops the
// records of an aborted transaction — a producer's transactional records from the aborted transaction's first
// offset up to its ABORT marker (CompletedFetch.abortedProducerIds, consumeAbortedTransactionsUpTo).
import type { FetchPartitionResponse, RecordSlice } from "../../kafka/protocol.ts";
import { ATTR_CONTROL, ATTR_TRANSACTIONAL, CONTROL_ABORT } from "../../kafka/records.ts";

export class RecordFilter {
  private readonly aborted: readonly { readonly producerId: number; readonly firstOffset: number }[];
  private next = 0;
  private readonly abortedPids = new Set<number>();

  constructor(
    private readonly s: RecordSlice,
    fp: FetchPartitionResponse,
  ) {
    const a = fp.abortedTransactions;
    this.aborted = a === undefined || a.length === 0 ? [] : [...a].sort((x, y) => x.firstOffset - y.firstOffset);
  }

  /** Records without attributes (no transactions on the partition) are all kept: no per-record work. */
  static needed(s: RecordSlice): boolean {
    return s.attributes !== undefined;
  }

  /** True when the record at slice index `j` (offset `offset`) is not returned to the application. */
  skip(j: number, offset: number): boolean {
    const attrs = this.s.attributes;
    const a = attrs === undefined ? 0 : (attrs[j] as number);
    if (a === 0) return false;
    const aborted = this.aborted;
    while (this.next < aborted.length && (aborted[this.next] as (typeof aborted)[number]).firstOffset <= offset) this.abortedPids.add((aborted[this.next++] as (typeof aborted)[number]).producerId);
    const pid = this.s.producerIds[j] as number;
    if ((a & ATTR_CONTROL) !== 0) {
      if ((this.s.keys[j] as number) === CONTROL_ABORT) this.abortedPids.delete(pid);
      return true;
    }
    return (a & ATTR_TRANSACTIONAL) !== 0 && this.abortedPids.has(pid);
  }
}
