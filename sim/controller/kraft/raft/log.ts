// The Raft log (__cluster_metadata-0) of one node on its Disk. Records are columnar in a LogFile (epoch, payload
// id, batch size, position in batch); payloads live in an append-only table stored as a blob, so an id stays valid
// forever: the LogFile alone says which records exist (what a power loss keeps is what was flushed) and ids of
// lost or truncated records just become garbage in the table. Batches are atomic: appended, fetched and truncated
// whole, so every log end offset and high watermark falls on a batch boundary (as in Kafka, where a fetch returns
// whole batches). Epochs never decrease along the log, so the epoch boundaries are found by binary search.
import type { Disk, LogFile } from "../../../disk/disk.ts";
import type { RaftRecord, RaftRecordSlice } from "./messages.ts";

export const METADATA_LOG = "__cluster_metadata-0";

/** A batch as the listener sees it (RaftClient.Listener.handleCommit's Batch). */
export interface RaftBatch<T> {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly epoch: number;
  readonly appendUs: number;
  readonly records: readonly RaftRecord<T>[];
}

export class RaftLog<T> {
  readonly file: LogFile;
  private readonly table: RaftRecord<T>[];
  /** Out-parameters of endOffsetForEpoch / validateFetch (no allocation on the fetch path). */
  foundEpoch = 0;
  divergingEpoch = -1;
  divergingEndOffset = -1;

  constructor(disk: Disk, name = METADATA_LOG) {
    this.file = disk.log(name);
    const tableName = `${name}.payloads`;
    let table = disk.readBlob<RaftRecord<T>[]>(tableName);
    if (table === undefined) {
      table = [];
      // Written once and flushed: the array itself is the durable table (entries are only ever appended).
      disk.writeBlob(tableName, table, { flush: true });
    }
    this.table = table;
  }

  get endOffset(): number {
    return this.file.endOffset;
  }
  get startOffset(): number {
    return this.file.startOffset;
  }

  /** The epoch of the last record, 0 for an empty log (KafkaMetadataLog.lastFetchedEpoch). */
  get lastFetchedEpoch(): number {
    const f = this.file;
    return f.length === 0 ? 0 : (f.epoch[f.length - 1] as number);
  }

  epochAt(offset: number): number {
    return this.file.epochAt(offset);
  }

  recordAt(offset: number): RaftRecord<T> {
    return this.table[this.file.valueAt(offset)] as RaftRecord<T>;
  }

  /** Append one batch in `epoch` (the leader's appendAsLeader). Returns its base offset. */
  appendBatch(epoch: number, records: readonly RaftRecord<T>[], nowUs: number): number {
    const base = this.file.endOffset;
    const n = records.length;
    for (let i = 0; i < n; i++) {
      const id = this.table.length;
      this.table.push(records[i] as RaftRecord<T>);
      this.file.append(epoch, id, n, -1, i, nowUs);
    }
    return base;
  }

  /** Append the records of a fetch response (the follower's appendAsFollower); they start at our end offset. */
  appendSlice(s: RaftRecordSlice<T>, nowUs: number): void {
    for (let j = s.at, end = s.at + s.count; j < end; j++) {
      const id = this.table.length;
      this.table.push(s.table[s.ids[j] as number] as RaftRecord<T>);
      this.file.append(s.epochs[j] as number, id, s.batchSizes[j] as number, -1, s.batchPositions[j] as number, nowUs);
    }
  }

  /** Whole batches from `offset` (a batch boundary), at least one batch and at most about `maxRecords`. */
  slice(offset: number, maxRecords: number): RaftRecordSlice<T> | null {
    const f = this.file;
    const at = offset - f.startOffset;
    if (at >= f.length) return null;
    let end = at;
    while (end < f.length && (end === at || end - at < maxRecords)) end += f.key[end] as number;
    return { baseOffset: offset, count: end - at, at, epochs: f.epoch, ids: f.value, batchSizes: f.key, batchPositions: f.sequence, table: this.table };
  }

  /** The batch starting at `offset` (for the listener). */
  readBatch(offset: number): RaftBatch<T> {
    const f = this.file;
    const i = offset - f.startOffset;
    const n = f.key[i] as number;
    const records: RaftRecord<T>[] = new Array(n);
    for (let j = 0; j < n; j++) records[j] = this.table[f.value[i + j] as number] as RaftRecord<T>;
    return { baseOffset: offset, lastOffset: offset + n - 1, epoch: f.epoch[i] as number, appendUs: f.appendUs[i] as number, records };
  }

  /** The end offset of `epoch`: the start of the first later epoch, or the log end offset; `foundEpoch` is set to
   *  the largest epoch ≤ `epoch` in the log (LeaderEpochFileCache.endOffsetFor via KafkaMetadataLog). */
  endOffsetForEpoch(epoch: number): number {
    const f = this.file;
    // First index whose epoch is greater than `epoch`.
    let lo = 0;
    let hi = f.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((f.epoch[mid] as number) > epoch) hi = mid;
      else lo = mid + 1;
    }
    if (lo === f.length) {
      this.foundEpoch = this.lastFetchedEpoch;
      return f.endOffset;
    }
    // No epoch ≤ `epoch`: the requested epoch with the first epoch's start (floorEntry == null).
    this.foundEpoch = lo === 0 ? epoch : (f.epoch[lo - 1] as number);
    return f.startOffset + lo;
  }

  /** Is a fetch at (offset, lastFetchedEpoch) consistent with this log? If not, `divergingEpoch` and
   *  `divergingEndOffset` say where the fetcher must truncate (ReplicatedLog.validateOffsetAndEpoch). */
  validateFetch(offset: number, lastFetchedEpoch: number): boolean {
    if (this.file.startOffset === 0 && offset === 0) return true;
    const end = this.endOffsetForEpoch(lastFetchedEpoch);
    if (this.foundEpoch !== lastFetchedEpoch || end < offset) {
      this.divergingEpoch = this.foundEpoch;
      this.divergingEndOffset = end;
      return false;
    }
    return true;
  }

  /** Truncate after the leader's divergingEpoch answer (ReplicatedLog.truncateToEndOffset). Returns the new end. */
  truncateToEndOffset(endOffset: number, epoch: number): number {
    let to: number;
    if (epoch === 0) to = Math.min(endOffset, this.endOffset);
    else {
      const local = this.endOffsetForEpoch(epoch);
      to = this.foundEpoch === epoch ? Math.min(local, endOffset) : local;
    }
    this.file.truncateTo(to);
    return to;
  }

  /** fsync (the LogFile's truncation is durable on its own). */
  flush(): void {
    this.file.flush();
  }

  /** The epoch boundaries (epoch → start offset), for checkers and tests. */
  epochStarts(): [number, number][] {
    const f = this.file;
    const out: [number, number][] = [];
    for (let i = 0; i < f.length; i++) {
      const e = f.epoch[i] as number;
      if (out.length === 0 || (out[out.length - 1] as [number, number])[0] !== e) out.push([e, f.startOffset + i]);
    }
    return out;
  }
}
