// The idempotent producer's state: Kafka's TransactionManager without transactions. A producer id and epoch
// (InitProducerId), a sequence number per partition, and the epoch bump of KIP-360 when a sequence is unresolved
// (OUT_OF_ORDER_SEQUENCE_NUMBER / UNKNOWN_PRODUCER_ID with no earlier batch pending, or a batch that may have been
// written and then expired).
import type { Batch } from "./producer-accumulator.ts";

export class IdempotenceState {
  producerId = -1;
  epoch = 0;
  /** An InitProducerId request is in flight. */
  pidRequested = false;
  /** No InitProducerId before this time (retry.backoff.ms after a failure). */
  pidRetryAtUs = 0;
  bumpRequested = false;
  private readonly nextSeq = new Map<string, number>();

  /** A batch leaving the accumulator gets its sequence, unless it keeps the one it had under this epoch. */
  assignSequence(b: Batch): void {
    if (b.baseSequence >= 0 && b.epoch === this.epoch) return;
    const seq = this.nextSeq.get(b.tp) ?? 0;
    b.baseSequence = seq;
    b.epoch = this.epoch;
    this.nextSeq.set(b.tp, seq + b.values.length);
  }

  /** KIP-360: the idempotent producer bumps its epoch and restarts every partition's sequence at 0. */
  bump(): void {
    this.bumpRequested = false;
    this.epoch++;
    this.nextSeq.clear();
  }

  /** A batch sent under the current epoch whose sequence the broker has not rejected: it must be retried with
   *  that same sequence (a retry under a new epoch would be appended again if the first attempt was written). */
  keepsSequence(b: Batch): boolean {
    return b.baseSequence >= 0 && b.epoch === this.epoch && b.lastError !== "OUT_OF_ORDER_SEQUENCE_NUMBER" && b.lastError !== "UNKNOWN_PRODUCER_ID";
  }

  /** A retried batch in the queues that keeps its sequence (the bump must wait for it). */
  hasUnresolvedRetry(queues: readonly (readonly Batch[])[]): boolean {
    for (const q of queues) for (const b of q) if (b.attempts > 0 && this.keepsSequence(b)) return true;
    return false;
  }

  /** An earlier batch of b's partition under b's epoch still in flight or waiting for its retry: b's sequence
   *  error may be its consequence, not a real gap. */
  hasEarlierUnresolved(b: Batch, inflight: Iterable<{ readonly batches: readonly Batch[] }>, queue: readonly Batch[]): boolean {
    for (const f of inflight) for (const x of f.batches) if (x.tp === b.tp && x.epoch === b.epoch && x.baseSequence < b.baseSequence) return true;
    for (const x of queue) if (x.attempts > 0 && x.epoch === b.epoch && x.baseSequence >= 0 && x.baseSequence < b.baseSequence) return true;
    return false;
  }
}
