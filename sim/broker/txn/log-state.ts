// The transactional state of one partition's log on its leader (storage/.../log/ProducerStateManager.java's
// ongoing and unreplicated transactions, TransactionIndex.java's aborted transactions, UnifiedLog's
// lastStableOffset): which producers have a transaction open on the partition and from which offset, the
// completed transactions whose marker the high watermark has not passed yet, and the aborted transactions
// (producer id, first offset, marker offset) that read_committed fetches carry. Kept up to date by the leader's
// appends and rebuilt from the log (its attributes column) when a replica becomes leader, as the producer state is.
import type { LogFile } from "../../disk/disk.ts";
import { ATTR_CONTROL, ATTR_TRANSACTIONAL, CONTROL_ABORT, markerCoordinatorEpoch } from "../../kafka/records.ts";

export interface AbortedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  /** Offset of its ABORT marker. */
  readonly lastOffset: number;
}

interface CompletedTxn {
  readonly firstOffset: number;
  readonly lastOffset: number;
}

const NONE: readonly AbortedTxn[] = [];

export class TxnLogState {
  /** Records [0, upTo) of the log (indexes from its start) are reflected here. */
  upTo = 0;
  /** Producer id → first offset of its open transaction on this partition (ProducerStateEntry.currentTxnFirstOffset). */
  readonly ongoing = new Map<number, number>();
  /** Completed transactions whose marker is at or above the HW (ProducerStateManager.unreplicatedTxns). */
  private unreplicated: CompletedTxn[] = [];
  /** Aborted transactions in marker order (the transaction index). */
  readonly aborted: AbortedTxn[] = [];
  /** Producer id → coordinator epoch of its last marker (ProducerStateEntry.coordinatorEpoch). */
  readonly coordinatorEpochs = new Map<number, number>();
  /** Records [0, upTo) hold a transactional record or a marker: fetch responses carry the attributes column. */
  seen = false;

  /** Nothing transactional is going on: the LSO is the HW. */
  get idle(): boolean {
    return this.ongoing.size === 0 && this.unreplicated.length === 0;
  }

  clear(): void {
    this.upTo = 0;
    this.seen = false;
    this.ongoing.clear();
    this.unreplicated = [];
    this.aborted.length = 0;
    this.coordinatorEpochs.clear();
  }

  /** A batch of `producerId` at `offset`: a transactional one opens its transaction on the partition
   *  (ProducerAppendInfo.appendDataBatch: "Began a new transaction"). */
  onData(producerId: number, offset: number, attributes: number): void {
    this.seen = true;
    if ((attributes & ATTR_TRANSACTIONAL) !== 0 && !this.ongoing.has(producerId)) this.ongoing.set(producerId, offset);
  }

  /** A marker of `producerId` at `offset` completes its transaction; an abort goes to the index
   *  (UnifiedLog.updateProducers → ProducerStateManager.completeTxn, TransactionIndex.append). A marker without an
   *  open transaction (an empty transaction) changes nothing (appendEndTxnMarker returns no CompletedTxn). */
  onMarker(producerId: number, offset: number, controlType: number, coordinatorEpoch: number): void {
    this.seen = true;
    this.coordinatorEpochs.set(producerId, coordinatorEpoch);
    const first = this.ongoing.get(producerId);
    if (first === undefined) return;
    this.ongoing.delete(producerId);
    this.unreplicated.push({ firstOffset: first, lastOffset: offset });
    if (controlType === CONTROL_ABORT) this.aborted.push({ producerId, firstOffset: first, lastOffset: offset });
  }

  /** Replay records [from, to) of the log (indexes from its start). */
  apply(log: LogFile, from: number, to: number): void {
    const end = Math.min(to, log.length);
    for (let i = from; i < end; i++) {
      const a = log.attributes[i] as number;
      if (a === 0) continue;
      const pid = log.producerId[i] as number;
      const off = log.startOffset + i;
      if ((a & ATTR_CONTROL) !== 0) this.onMarker(pid, off, log.key[i] as number, markerCoordinatorEpoch(log.value[i] as number));
      else this.onData(pid, off, a);
    }
    if (end > this.upTo) this.upTo = end;
  }

  /** UnifiedLog.lastStableOffset: min(first unstable offset, HW). The first unstable offset is the first offset of an
   *  open transaction, or of a completed one whose marker is not below the HW yet (ProducerStateManager
   *  .firstUndecidedOffset / firstUnstableOffset). */
  lastStableOffset(hw: number): number {
    let lso = hw;
    if (this.unreplicated.length > 0) {
      // onHighWatermarkUpdated: transactions whose marker is below the HW are replicated (stable) now.
      const keep = this.unreplicated.filter((t) => t.lastOffset >= hw);
      if (keep.length !== this.unreplicated.length) this.unreplicated = keep;
      for (const t of keep) if (t.firstOffset < lso) lso = t.firstOffset;
    }
    for (const first of this.ongoing.values()) if (first < lso) lso = first;
    return lso;
  }

  /** UnifiedLog.collectAbortedTransactions: the aborted transactions a read of [from, upTo) overlaps. */
  abortedIn(from: number, upTo: number): readonly AbortedTxn[] {
    let out: AbortedTxn[] | null = null;
    // Markers are in offset order: skip (binary search) those below the read.
    const a = this.aborted;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((a[mid] as AbortedTxn).lastOffset < from) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < a.length; i++) {
      const t = a[i] as AbortedTxn;
      if (t.firstOffset >= upTo) continue;
      (out ??= []).push(t);
    }
    return out ?? NONE;
  }
}
