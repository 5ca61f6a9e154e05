// The leader epoch cache of one partition replica: (epoch → start offset) entries, ascending in both
// (storage/.../epoch/LeaderEpochFileCache.java). Persisted as a small blob on the node's disk, flushed on every
// change as Kafka does with leader-epoch-checkpoint, and cut back to the log end after a restart.
import type { Disk } from "../../disk/disk.ts";

export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_OFFSET = -1;

export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

export class EpochCache {
  private epochs: number[] = [];
  private starts: number[] = [];
  private readonly blobName: string;
  /** Result registers of endOffsetFor (no tuple allocation on the fetch path). */
  resultEpoch = UNDEFINED_EPOCH;
  resultOffset = UNDEFINED_OFFSET;

  constructor(
    private readonly disk: Disk,
    key: string,
  ) {
    this.blobName = `leader-epoch-checkpoint/${key}`;
    const saved = disk.readBlob<readonly EpochEntry[]>(this.blobName);
    if (saved !== undefined) {
      for (const e of saved) {
        this.epochs.push(e.epoch);
        this.starts.push(e.startOffset);
      }
    }
  }

  get size(): number {
    return this.epochs.length;
  }
  get latestEpoch(): number {
    return this.epochs.length === 0 ? UNDEFINED_EPOCH : (this.epochs[this.epochs.length - 1] as number);
  }
  entries(): EpochEntry[] {
    return this.epochs.map((epoch, i) => ({ epoch, startOffset: this.starts[i] as number }));
  }

  private persist(): void {
    this.disk.writeBlob(this.blobName, this.entries(), { flush: true });
  }

  /** Record that `epoch` starts at `startOffset` (a new leader, or a follower appending a batch of a new epoch).
   *  Entries with a higher or equal epoch or a start offset at/after it are replaced (LeaderEpochFileCache.assign). */
  assign(epoch: number, startOffset: number): void {
    if (this.epochs.length > 0 && epoch === this.latestEpoch) return;
    while (this.epochs.length > 0 && ((this.epochs[this.epochs.length - 1] as number) >= epoch || (this.starts[this.starts.length - 1] as number) >= startOffset)) {
      this.epochs.pop();
      this.starts.pop();
    }
    this.epochs.push(epoch);
    this.starts.push(startOffset);
    this.persist();
  }

  /** Start offset of an epoch, or UNDEFINED_OFFSET. */
  startOffsetOf(epoch: number): number {
    const i = this.epochs.indexOf(epoch);
    return i < 0 ? UNDEFINED_OFFSET : (this.starts[i] as number);
  }

  /** KIP-279 (Kafka ≥ 2.0) semantics: the largest epoch ≤ requested and its end offset (the next epoch's start,
   *  or the log end for the latest). Sets resultEpoch/resultOffset; (-1, -1) when there is none. */
  endOffsetFor(requested: number, logEndOffset: number): void {
    let i = this.epochs.length - 1;
    while (i >= 0 && (this.epochs[i] as number) > requested) i--;
    if (i < 0) {
      this.resultEpoch = UNDEFINED_EPOCH;
      this.resultOffset = UNDEFINED_OFFSET;
      return;
    }
    this.resultEpoch = this.epochs[i] as number;
    this.resultOffset = i === this.epochs.length - 1 ? logEndOffset : (this.starts[i + 1] as number);
  }

  /** KIP-101 (Kafka 0.11) semantics: the requested epoch's end offset is the log end if it is the latest,
   *  else the start offset of the first epoch above it; UNDEFINED when it is above the latest. Sets resultOffset
   *  (resultEpoch = requested). */
  endOffsetFor011(requested: number, logEndOffset: number): void {
    this.resultEpoch = requested;
    if (this.epochs.length === 0 || requested > this.latestEpoch) {
      this.resultOffset = UNDEFINED_OFFSET;
      return;
    }
    if (requested === this.latestEpoch) {
      this.resultOffset = logEndOffset;
      return;
    }
    let i = 0;
    while (i < this.epochs.length && (this.epochs[i] as number) <= requested) i++;
    this.resultOffset = this.starts[i] as number;
  }

  /** Drop entries starting at or after `endOffset` (log truncated there, or lost on power loss). */
  truncateFromEnd(endOffset: number): void {
    let changed = false;
    while (this.starts.length > 0 && (this.starts[this.starts.length - 1] as number) >= endOffset) {
      this.epochs.pop();
      this.starts.pop();
      changed = true;
    }
    if (changed) this.persist();
  }
}
