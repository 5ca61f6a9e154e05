// A transactional client's RecordAccumulator and the produce side of its Sender (clients/.../producer/internals/
// RecordAccumulator.java, Sender.java, with TransactionManager): while a transaction is open each record is appended
// to its partition's open batch (batch.size at 100 bytes a record, as producer-accumulator.ts counts), and a batch is
// drained when it is ready — batch.size reached, a newer batch behind it, linger.ms elapsed since its creation, the
// workload over, or the transaction completing (commitTransaction / abortTransaction flush: every batch ready,
// RecordAccumulator.ready's `transactionCompleting`). A partition's batches are drained only once it is in the
// transaction (TransactionManager.isSendToPartitionAllowed: AddPartitionsToTxn answered), and one at a time: a
// batch takes its sequence when first drained and its partition has nothing else in flight, so a retry keeps its
// sequence and nothing overtakes it (kafkasim's idempotent producer pipelines up to
// max.in.flight.requests.per.connection batches per connection; here, as with max.in.flight 1, a partition
// waits). delivery.timeout.ms counts from a batch's creation (ProducerBatch.createdMs): a batch past it that is not
// in flight fails (RecordAccumulator.expiredBatches), an abortable error in a transaction; so does a batch refused
// with a non-retriable error. An abort fails the batches not drained yet (Sender: abortUndrainedBatches — those with
// a sequence are sent to the end), and EndTxn waits until none is incomplete (TransactionManager.nextRequest: "Do
// not send the EndTxn until all batches have been flushed").
import { TpNames } from "../tp-names.ts";
import type { NodeId } from "../../core/ids.ts";
import { brokerOfNode } from "../../core/ids.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import { isRetriable } from "../../kafka/errors.ts";
import type { ProduceBatch, ProduceResponse } from "../../kafka/protocol.ts";
import type { ClientEnv } from "../env.ts";
import { BYTES_PER_RECORD } from "../producer-accumulator.ts";
import type { Ctx, RequestBook, TxnRequest } from "./requests.ts";
import type { TransactionManager } from "./transaction-manager.ts";

/** One batch of a partition. */
export interface TxnBatch {
  readonly topic: string;
  readonly partition: number;
  /** "topic-partition" (interned). */
  readonly tp: string;
  readonly values: number[];
  readonly keys: number[];
  /** -1 until first drained (then closed to appends). */
  baseSequence: number;
  /** When the batch was created: delivery.timeout.ms counts from here. */
  readonly createdUs: number;
  /** Attempts that failed retriably (ProducerBatch.attempts). */
  attempts: number;
  /** When the last attempt failed: the retry backoff counts from it. */
  lastAttemptUs: number;
  inflight: boolean;
  /** Acknowledged or failed for good. */
  done: boolean;
}

/** What a produce answer means for one transactional batch (Sender.completeBatch with TransactionManager):
 *  acknowledged (DUPLICATE_SEQUENCE_NUMBER too: written before), fenced (fatal), retriable, or an abortable error
 *  (TransactionManager.transitionToAbortableError: the transaction will be aborted). */
export type ProduceOutcome = "acked" | "fenced" | "retriable" | "abortable";

export function produceOutcome(error: KafkaErrorCode): ProduceOutcome {
  if (error === "NONE" || error === "DUPLICATE_SEQUENCE_NUMBER") return "acked";
  if (error === "PRODUCER_FENCED" || error === "INVALID_PRODUCER_EPOCH") return "fenced";
  return isRetriable(error) ? "retriable" : "abortable";
}

/** The answer for batch `i` of a request: one result per batch, in the request's order, else the partition's. */
export function resultFor(msg: ProduceResponse, b: TxnBatch, i: number): ProduceResponse["partitions"][number] | undefined {
  const at = msg.partitions[i];
  if (at !== undefined && at.topic === b.topic && at.partition === b.partition) return at;
  return msg.partitions.find((p) => p.topic === b.topic && p.partition === b.partition);
}

/** The batch's records failed for good (certainly not written, or aborted with their transaction). */
export function failRecords(ctx: Ctx, env: ClientEnv, process: string, b: { readonly topic: string; readonly partition: number; readonly values: readonly number[]; readonly keys: readonly number[] }, error: KafkaErrorCode): void {
  for (let i = 0; i < b.values.length; i++) {
    const key = b.keys[i] as number;
    env.history.record({ timeUs: ctx.nowUs, process, type: "fail", f: "send", value: { topic: b.topic, key: key < 0 ? null : key, value: b.values[i] as number, partition: b.partition, error, policy: "log" } });
  }
}

/** What the accumulator needs of the client around it. */
export interface TxnBatchesHost {
  /** The history's process name (the producer, or the pipeline's member). */
  readonly process: string;
  readonly env: ClientEnv;
  readonly book: RequestBook;
  readonly tm: TransactionManager;
  /** The transactional.id its produce requests carry; null for an idempotent (non-transactional) producer. */
  readonly transactionalId: string | null;
  readonly acks: -1 | 0 | 1;
  readonly requestTimeoutMs: number;
  readonly retryBackoffMs: number;
  readonly lingerMs: number;
  readonly batchSizeBytes: number;
  /** Infinity: never expire (the plain pipeline waits for its output). */
  readonly deliveryTimeoutMs: number;
  leaderOf(topic: string, partition: number): number | null;
  leaderNode(leader: number): NodeId;
  /** A partition's leader is unknown, or an attempt failed retriably: refresh the metadata. */
  refreshMetadata(ctx: Ctx): void;
  /** A batch failed for good (expired, refused): an abortable error in a transaction. */
  batchFailed(ctx: Ctx, error: KafkaErrorCode): void;
  /** A produce answer fenced the producer (fatal). */
  fenced(ctx: Ctx, error: KafkaErrorCode): void;
  /** A batch left the accumulator for the first time (the sticky partitioner moves on). */
  drained?(ctx: Ctx, b: TxnBatch): void;
  /** An idempotent producer's sequence is unknown to the leader (UNKNOWN_PRODUCER_ID, OUT_OF_ORDER_SEQUENCE_NUMBER):
   *  a new producer id or epoch, then the batches again (KIP-360). Transactional: never called. */
  resetProducer(ctx: Ctx): void;
}

class WakeTag {}

export class TxnAccumulator {
  /** Partition queues in creation order; each holds its batches not yet done, oldest first. */
  private readonly queues: TxnBatch[][] = [];
  private readonly byTp = new Map<string, TxnBatch[]>();
  private readonly tpNames = new TpNames();
  /** The queue the last record went to (queues are never dropped: clear() empties them). */
  private lastQueue: TxnBatch[] | null = null;
  private lastTopic = "";
  private lastPartition = -1;
  private lastTp = "";
  private readonly recordsPerBatch: number;
  private incomplete = 0;
  /** The transaction is completing (or the producer flushing): every batch is ready. */
  flushing = false;
  private readonly wakeTag = new WakeTag();
  private wakeAtUs = Infinity;
  private wakeHandle = -1;

  constructor(private readonly host: TxnBatchesHost) {
    this.recordsPerBatch = Math.max(1, Math.floor(host.batchSizeBytes / BYTES_PER_RECORD));
  }

  /** A batch's send or the transaction is not over (RecordAccumulator.hasIncomplete). */
  hasIncomplete(): boolean {
    return this.incomplete > 0;
  }

  /** Whether the timer that fired is the accumulator's wake-up (linger.ms, a retry's backoff, an expiry). */
  isWake(tag: unknown): boolean {
    if (tag !== this.wakeTag) return false;
    this.wakeAtUs = Infinity;
    this.wakeHandle = -1;
    return true;
  }

  /** RecordAccumulator.append (the caller has recorded the send's invoke): into the partition's open batch, or a
   *  new one (full, or drained already). A partition's first batch in the transaction makes it a partition of the
   *  transaction (TransactionManager.maybeAddPartition). */
  append(ctx: Ctx, topic: string, partition: number, value: number, key: number | null): TxnBatch {
    // Consecutive records mostly go to one partition (sticky, or one key): its queue is kept at hand.
    let q = this.lastQueue;
    let tp = this.lastTp;
    if (q === null || partition !== this.lastPartition || topic !== this.lastTopic) {
      tp = this.tpNames.of(topic, partition);
      q = this.byTp.get(tp) ?? null;
      if (q === null) {
        q = [];
        this.byTp.set(tp, q);
        this.queues.push(q);
      }
      this.lastQueue = q;
      this.lastTopic = topic;
      this.lastPartition = partition;
      this.lastTp = tp;
    }
    const last = q[q.length - 1];
    if (last === undefined || last.baseSequence >= 0 || last.values.length >= this.recordsPerBatch) {
      if (this.host.transactionalId !== null) this.host.tm.maybeAddPartition(topic, partition, tp);
      const b: TxnBatch = { topic, partition, tp, values: [value], keys: [key ?? -1], baseSequence: -1, createdUs: ctx.nowUs, attempts: 0, lastAttemptUs: -Infinity, inflight: false, done: false };
      q.push(b);
      this.incomplete++;
      return b;
    }
    last.values.push(value);
    last.keys.push(key ?? -1);
    return last;
  }

  private get env(): ClientEnv {
    return this.host.env;
  }

  /** Sender.sendProducerData: expire what is past delivery.timeout.ms, then drain the ready head batch of every
   *  partition allowed into one produce request per leader. `canDrain`: the producer has an id and epoch. */
  run(ctx: Ctx, canDrain: boolean): void {
    const h = this.host;
    const now = ctx.nowUs;
    const deliveryUs = h.deliveryTimeoutMs * 1000;
    let next = Infinity;
    let unknownLeader = false;
    let byLeader: Map<number, TxnBatch[]> | null = null;
    for (let qi = 0; qi < this.queues.length; qi++) {
      const q = this.queues[qi] as TxnBatch[];
      // RecordAccumulator.expiredBatches: from the head, while expired; an attempt in flight finishes first.
      while (q.length > 0 && !(q[0] as TxnBatch).inflight && now - (q[0] as TxnBatch).createdUs >= deliveryUs) this.fail(ctx, q[0] as TxnBatch, "DELIVERY_TIMEOUT");
      const b = q[0];
      if (b === undefined || b.inflight) continue;
      next = Math.min(next, b.createdUs + deliveryUs);
      if (!canDrain || (h.transactionalId !== null && !h.tm.isSendToPartitionAllowed(b.tp))) continue;
      const readyAtUs = b.attempts > 0 ? b.lastAttemptUs + h.retryBackoffMs * 1000 : this.flushing || b.values.length >= this.recordsPerBatch || q.length > 1 || !this.env.workloadActive() ? now : b.createdUs + h.lingerMs * 1000;
      if (readyAtUs > now) {
        next = Math.min(next, readyAtUs);
        continue;
      }
      const leader = h.leaderOf(b.topic, b.partition);
      if (leader === null) {
        unknownLeader = true;
        continue;
      }
      if (b.baseSequence < 0) {
        b.baseSequence = h.tm.nextSequence(b.tp, b.values.length);
        h.drained?.(ctx, b);
      }
      b.inflight = true;
      byLeader ??= new Map();
      const l = byLeader.get(leader);
      if (l === undefined) byLeader.set(leader, [b]);
      else l.push(b);
    }
    if (byLeader !== null) for (const [leader, batches] of byLeader) this.sendProduce(ctx, h.leaderNode(leader), batches);
    if (unknownLeader) {
      h.refreshMetadata(ctx);
      next = Math.min(next, now + h.retryBackoffMs * 1000);
    }
    if (next < Infinity) this.wakeAt(ctx, next);
  }

  private wakeAt(ctx: Ctx, atUs: number): void {
    if (atUs >= this.wakeAtUs) return;
    if (this.wakeHandle >= 0) ctx.cancelTimer(this.wakeHandle);
    this.wakeAtUs = atUs;
    this.wakeHandle = ctx.setTimer(Math.max(0, atUs - ctx.nowUs), this.wakeTag);
  }

  private sendProduce(ctx: Ctx, node: NodeId, batches: TxnBatch[]): void {
    const h = this.host;
    const wire = new Array<ProduceBatch>(batches.length);
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i] as TxnBatch;
      wire[i] = { topic: b.topic, partition: b.partition, baseSequence: b.baseSequence, values: b.values, keys: b.keys };
    }
    const tm = h.tm;
    const txn = h.transactionalId;
    const support = txn === null ? undefined : tm.requestSupport().transactionSupport;
    h.book.send(
      ctx,
      node,
      "produce",
      (corr) =>
        txn === null
          ? { type: "produce", corr, acks: h.acks, timeoutMs: h.requestTimeoutMs, producerId: tm.producerId, producerEpoch: tm.producerEpoch, batches: wire }
          : support === undefined
            ? { type: "produce", corr, acks: h.acks, timeoutMs: h.requestTimeoutMs, producerId: tm.producerId, producerEpoch: tm.producerEpoch, batches: wire, transactionalId: txn }
            : { type: "produce", corr, acks: h.acks, timeoutMs: h.requestTimeoutMs, producerId: tm.producerId, producerEpoch: tm.producerEpoch, batches: wire, transactionalId: txn, transactionSupport: support },
      batches,
    );
  }

  /** A produce request's answer (Sender.handleProduceResponse → completeBatch). */
  onProduceResponse(ctx: Ctx, r: TxnRequest, msg: ProduceResponse): void {
    const h = this.host;
    const broker = brokerOfNode(r.node) ?? -1;
    let metadata = false;
    let reset = false;
    for (let i = 0; i < r.batches.length; i++) {
      const b = r.batches[i] as TxnBatch;
      b.inflight = false;
      if (b.done) continue;
      const res = resultFor(msg, b, i);
      const error: KafkaErrorCode = res?.error ?? "NETWORK_EXCEPTION";
      switch (produceOutcome(error)) {
        case "acked": {
          this.complete(b);
          const base = res?.baseOffset ?? -1;
          for (let k = 0; k < b.values.length; k++) this.env.history.recordSendOk(ctx.nowUs, h.process, b.topic, b.keys[k] as number, b.values[k] as number, b.partition, base < 0 ? -1 : base + k, broker);
          break;
        }
        case "fenced":
          // Refused by the leader: certainly not written; fatal for the producer.
          if (h.transactionalId !== null) return h.fenced(ctx, error);
          this.retry(ctx, b);
          metadata = true;
          break;
        case "retriable":
          this.retry(ctx, b);
          metadata = true;
          break;
        case "abortable":
          if (h.transactionalId === null) {
            // The idempotent producer: the leader lost its state (an unclean election, a truncation); KIP-360 bump,
            // and the batch again (Sender / TransactionManager.canRetry, requestEpochBumpForPartition).
            if (error === "UNKNOWN_PRODUCER_ID" || error === "OUT_OF_ORDER_SEQUENCE_NUMBER") {
              reset = true;
              // Traced as the plain producer's retries are: the batch goes again under new sequence numbers, so an
              // attempt written before (on the leader that kept it) is written twice.
              this.retry(ctx, b);
              ctx.emit({ type: "produce-retry", producer: h.process, tp: b.tp, error, attempt: b.attempts, values: b.values });
              break;
            }
            metadata = true;
            this.retry(ctx, b);
          } else this.fail(ctx, b, error);
          break;
      }
    }
    if (metadata) h.refreshMetadata(ctx);
    if (reset) h.resetProducer(ctx);
  }

  /** The request carrying these batches failed (a timeout, a disconnect): each is retried after the backoff. */
  requestFailed(ctx: Ctx, r: TxnRequest): void {
    for (const b of r.batches) {
      b.inflight = false;
      if (!b.done) this.retry(ctx, b);
    }
  }

  private retry(ctx: Ctx, b: TxnBatch): void {
    b.attempts++;
    b.lastAttemptUs = ctx.nowUs;
  }

  private remove(b: TxnBatch): void {
    b.done = true;
    this.incomplete--;
    const q = this.byTp.get(b.tp) as TxnBatch[];
    const i = q.indexOf(b);
    if (i >= 0) q.splice(i, 1);
  }

  private complete(b: TxnBatch): void {
    this.remove(b);
  }

  /** A batch failed for good: its records fail; a batch that took a sequence leaves it unresolved (KIP-360 bump on
   *  2.5+ clients: TransactionManager.handleFailedBatch → epochBumpRequired); an abortable error. */
  private fail(ctx: Ctx, b: TxnBatch, error: KafkaErrorCode): void {
    const h = this.host;
    this.remove(b);
    const outcome = b.baseSequence >= 0 ? h.tm.sequenceUnresolved(b.tp, b.baseSequence, error === "DELIVERY_TIMEOUT") : null;
    const fatal = outcome === "fatal";
    if (outcome === "reset" && h.transactionalId !== null && !h.tm.tv2) ctx.emit({ type: "txn-sequence-reset", producer: h.process, transactionalId: h.transactionalId, producerId: h.tm.producerId, producerEpoch: h.tm.producerEpoch, tp: b.tp, baseSequence: b.baseSequence, attempts: b.attempts, error });
    if (error === "DELIVERY_TIMEOUT" && h.transactionalId !== null) ctx.emit({ type: "txn-batch-expired", producer: h.process, transactionalId: h.transactionalId, producerId: h.tm.producerId, producerEpoch: h.tm.producerEpoch, tp: b.tp, values: b.values });
    failRecords(ctx, this.env, h.process, b, error);
    if (fatal) return h.fenced(ctx, error);
    h.batchFailed(ctx, error);
  }

  /** abortTransaction (RecordAccumulator.abortUndrainedBatches): the batches without a sequence fail, with `error`;
   *  those sent already are sent until they are answered. */
  abortUndrained(ctx: Ctx, error: KafkaErrorCode): void {
    for (const q of this.queues) {
      for (let i = q.length - 1; i >= 0; i--) {
        const b = q[i] as TxnBatch;
        if (b.baseSequence >= 0) continue;
        this.remove(b);
        failRecords(ctx, this.env, this.host.process, b, error);
      }
    }
  }

  /** A new producer id or epoch (the idempotent producer's reset): the batches that had a sequence get new ones,
   *  in order. */
  resequence(): void {
    for (const q of this.queues) for (const b of q) if (b.baseSequence >= 0) b.baseSequence = this.host.tm.nextSequence(b.tp, b.values.length);
  }

  /** The batches not done, for a fenced producer that fails them. */
  *pending(): IterableIterator<TxnBatch> {
    for (const q of this.queues) for (const b of q) yield b;
  }

  /** Forget every batch (the transaction is over, or its producer replaced); an answer still to come is ignored. */
  clear(): void {
    for (const q of this.queues) {
      for (const b of q) b.done = true;
      q.length = 0;
    }
    this.incomplete = 0;
    this.flushing = false;
  }
}
