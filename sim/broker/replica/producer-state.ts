// Idempotent producer state of one partition on its leader: per producer id its epoch and the last 5 batches
// (storage/.../internals/log/ProducerStateEntry.java, NUM_BATCHES_TO_RETAIN = 5; ProducerAppendInfo.checkSequence).
// Rebuilt from the log when a replica becomes leader (the log keeps producer id, epoch and sequence of each record).
import type { LogFile } from "../../disk/disk.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import { ATTR_CONTROL } from "../../kafka/records.ts";

const BATCHES_TO_RETAIN = 5;
const UNKNOWN_EPOCH = -1;

interface BatchMeta {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
}

interface ProducerEntry {
  epoch: number;
  batches: BatchMeta[];
}

export class ProducerState {
  private readonly producers = new Map<number, ProducerEntry>();
  /** Set by check(): the original base offset of a duplicate batch. */
  duplicateOffset = -1;

  /** Validate a batch before append. NONE = append it; "DUPLICATE" = already in the log at duplicateOffset. */
  check(producerId: number, producerEpoch: number, baseSequence: number, count: number): KafkaErrorCode | "DUPLICATE" {
    const e = this.producers.get(producerId);
    if (e === undefined) return baseSequence === 0 ? "NONE" : "OUT_OF_ORDER_SEQUENCE_NUMBER";
    if (e.epoch !== UNKNOWN_EPOCH && producerEpoch < e.epoch) return "INVALID_PRODUCER_EPOCH";
    if (e.epoch !== UNKNOWN_EPOCH && producerEpoch > e.epoch) return baseSequence === 0 ? "NONE" : "OUT_OF_ORDER_SEQUENCE_NUMBER";
    const lastSeq = count - 1 + baseSequence;
    for (const b of e.batches) {
      if (baseSequence >= b.firstSeq && lastSeq <= b.lastSeq) {
        this.duplicateOffset = b.firstOffset + (baseSequence - b.firstSeq);
        return "DUPLICATE";
      }
    }
    const last = e.batches[e.batches.length - 1];
    const expected = last === undefined ? 0 : last.lastSeq + 1;
    return baseSequence === expected ? "NONE" : "OUT_OF_ORDER_SEQUENCE_NUMBER";
  }

  /** Record an appended batch (leader append or log replay). */
  update(producerId: number, producerEpoch: number, firstSeq: number, lastSeq: number, firstOffset: number): void {
    let e = this.producers.get(producerId);
    if (e === undefined) {
      e = { epoch: producerEpoch, batches: [] };
      this.producers.set(producerId, e);
    } else if (producerEpoch !== UNKNOWN_EPOCH && producerEpoch !== e.epoch) {
      if (e.epoch !== UNKNOWN_EPOCH) e.batches.length = 0;
      e.epoch = producerEpoch;
    }
    e.batches.push({ firstSeq, lastSeq, firstOffset });
    if (e.batches.length > BATCHES_TO_RETAIN) e.batches.shift();
  }

  /** A transaction marker of the producer at `producerEpoch` (ProducerAppendInfo.appendEndTxnMarker →
   *  ProducerStateEntry.update): a newer epoch (a fenced producer's transaction aborted by its coordinator) becomes
   *  the producer's epoch and forgets the old epoch's batches, so the old epoch's writes are refused from then on. */
  markerEpoch(producerId: number, producerEpoch: number): void {
    const e = this.producers.get(producerId);
    if (e === undefined) this.producers.set(producerId, { epoch: producerEpoch, batches: [] });
    else if (producerEpoch > e.epoch) {
      e.epoch = producerEpoch;
      e.batches.length = 0;
    }
  }

  /** The producer's epoch as the partition knows it (-1: unknown producer). */
  epochOf(producerId: number): number {
    return this.producers.get(producerId)?.epoch ?? UNKNOWN_EPOCH;
  }

  clear(): void {
    this.producers.clear();
  }

  /** An independent copy (batches copied too: applyRange extends the last batch in place). */
  clone(): ProducerState {
    const c = new ProducerState();
    for (const [pid, e] of this.producers) c.producers.set(pid, { epoch: e.epoch, batches: e.batches.map((b) => ({ ...b })) });
    return c;
  }

  /** Rebuild from the log (UnifiedLog.rebuildProducerState): records of one producer and epoch with consecutive
   *  sequences count as one batch; the producer epoch is kept per record, so a bumped epoch (KIP-360) is known
   *  and its sequence 0 is not mistaken for a retry of the old epoch's first batch. */
  rebuild(log: LogFile): void {
    this.producers.clear();
    this.applyRange(log, 0, log.length);
  }

  /** Replay records [from, to) of the log (indexes from its start) on top of this state, as rebuild() would:
   *  rebuild(log) is clear() then applyRange(log, 0, log.length), so a state kept up to date range by range as
   *  the log grows equals the rebuilt one. */
  applyRange(log: LogFile, from: number, to: number): void {
    const end = Math.min(to, log.length);
    for (let i = from; i < end; i++) {
      const pid = log.producerId[i] as number;
      if (pid < 0) continue;
      const seq = log.sequence[i] as number;
      if (((log.attributes[i] as number) & ATTR_CONTROL) !== 0 || seq < 0) {
        // A marker, or a coordinator's transactional offsets (no sequence): only the producer epoch counts.
        this.markerEpoch(pid, log.producerEpoch[i] as number);
        continue;
      }
      const epoch = log.producerEpoch[i] as number;
      const off = log.startOffset + i;
      const e = this.producers.get(pid);
      const last = e?.batches[e.batches.length - 1];
      if (e !== undefined && last !== undefined && e.epoch === epoch && seq === last.lastSeq + 1 && off === last.firstOffset + (last.lastSeq - last.firstSeq) + 1) last.lastSeq = seq;
      else this.update(pid, epoch, seq, seq, off);
    }
  }
}
