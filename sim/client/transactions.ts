// A transactional producer (KafkaProducer with a transactional.id, its TransactionManager; KIP-98): it finds its transaction coordinator (FindCoordinator, key type transaction), gets its producer id and a bumped
// epoch (InitProducerId: the coordinator aborts what an earlier instance left open and fences it), then runs one
// transaction after another: AddPartitionsToTxn for the partitions it is about to write, the records as
// transactional, idempotent produce requests (acks from its config), then EndTxn — COMMIT, or ABORT with the
// workload's abort probability. A newer instance or the coordinator's timeout fences it (PRODUCER_FENCED /
// INVALID_PRODUCER_EPOCH): fatal, it stops (Java: a ProducerFencedException closes the producer). Under
// transaction.version 2 (KIP-890 part 2; the coordinator says so with its InitProducerId answer) it sends EndTxn v5
// and runs its next transaction under the bumped epoch the answer carries (kafka-facts T13).
//
// Built on the transaction machinery it shares with the pipeline's output producer (sim/client/txn/): the
// TransactionManager (coordinator, producer id and epoch, partitions of the transaction, EndTxn), and the
// accumulator with the produce side of the Sender (txn-batches.ts): while a transaction is open each record goes to
// its partition's open batch and is sent when the batch is ready (linger.ms, batch.size), a partition new to the
// transaction is added (AddPartitionsToTxn) before its first batch leaves, and commitTransaction/abortTransaction
// flush, wait for every send, then EndTxn. This file holds the workload: records generated at the spec's rate,
// transactions of `transaction.records` records (the application's sends between beginTransaction and
// commitTransaction; records generated meanwhile wait for the next one), the abort draw (once the transaction's
// sends completed, right before EndTxn), one transaction at a time,
// records partitioned by key (murmur2) or, without a key, by KIP-480's sticky partitioner (partitioner-sticky.ts: a
// partition until its batch is full or sent; Kafka ≥ 3.3's built-in partitioner, which the plain producer uses on
// the 3.7+ profiles, sticks for batch.size bytes instead — not modelled here). The records' send ops are recorded as usual; whether their
// transaction committed is what the markers in the log say (properties/ reads it from the final logs).
import { WorkloadPacer } from "./workload-pacer.ts";
import type { Actor } from "../core/node.ts";
import type { Rng } from "../core/rng.ts";
import type { NodeId } from "../core/ids.ts";
import { brokerNode, brokerOfNode } from "../core/ids.ts";
import { acksNumber } from "../kafka/config.ts";
import { versionAtLeast } from "../kafka/profiles.ts";
import type { ProducerConfig } from "../kafka/config.ts";
import type { KafkaErrorCode } from "../kafka/errors.ts";
import type { Message } from "../kafka/protocol.ts";
import type { TraceEvent } from "../events.ts";
import type { ProducerSpec } from "../scenario/types.ts";
import type { ClientEnv } from "./env.ts";
import { recordRestart } from "./env.ts";
import { ProducerMetadata } from "./producer-metadata.ts";
import { partitionForKey } from "./partitioner.ts";
import { StickyPartitioner } from "./partitioner-sticky.ts";
import { BYTES_PER_RECORD } from "./producer-accumulator.ts";
import { RequestBook } from "./txn/requests.ts";
import type { Ctx } from "./txn/requests.ts";
import { TransactionManager } from "./txn/transaction-manager.ts";
import { TxnAccumulator, failRecords } from "./txn/txn-batches.ts";
import type { TxnBatchesHost } from "./txn/txn-batches.ts";

export { txnCoordinatorErrorAction } from "./txn/transaction-manager.ts";

const TICK = { t: "txn-produce-tick" } as const;

/** A pending record's numbers in `pending`: its value, key (-1: none) and partition. */
const PENDING_STRIDE = 3;

type Phase =
  /** Looking for the coordinator, then InitProducerId. */
  | "init"
  /** No transaction open: waiting for the next one's first record. */
  | "ready"
  /** A transaction open: its records go to the accumulator as they come. */
  | "open"
  /** commitTransaction / abortTransaction: flushing, then EndTxn. */
  | "ending"
  /** Fenced or failed fatally: stopped. */
  | "fenced";

export class TransactionalProducer implements Actor<Message, TraceEvent> {
  readonly cfg: ProducerConfig;
  readonly name: string;
  readonly transactionalId: string;
  private readonly recordsPerTxn: number;
  private readonly abortProb: number;
  private readonly metadata: ProducerMetadata;
  private readonly book: RequestBook;
  private readonly tm: TransactionManager;
  private readonly acc: TxnAccumulator;
  private phase: Phase = "init";
  /** Records generated and not yet sent (the application's backlog while a transaction commits): PENDING_STRIDE
   *  numbers a record, from `pendingAt` to `pendingEnd` (no object per record; the array is reused, never shrunk:
   *  truncating it and growing it again cost more than the records themselves). */
  private readonly pending: number[] = [];
  private pendingAt = 0;
  private pendingEnd = 0;
  /** The open transaction's records, as sent. */
  private txnValues: number[] = [];
  private commit = true;
  /** Whether the workload's abort decision was drawn for the open transaction (once its sends completed). */
  private abortDrawn = false;
  /** The abortable error that dooms the open transaction (its undrained batches fail with it). */
  private abortError: KafkaErrorCode = "NONE";
  private sent = 0;
  /** Records without a key stick to a partition until its batch is full or sent (KIP-480), drawn from a stream of
   *  their own (the abort draws stay where they were). */
  private readonly sticky: StickyPartitioner;
  private stickyRng: Rng | null = null;
  private readonly pacer = new WorkloadPacer();
  /** Transactions ended (committed, aborted), for tests. */
  committed = 0;
  aborted = 0;

  constructor(
    private readonly spec: ProducerSpec,
    readonly env: ClientEnv,
  ) {
    this.cfg = spec.config;
    this.name = spec.id;
    this.transactionalId = spec.config["transactional.id"] as string;
    this.recordsPerTxn = Math.max(1, spec.transaction?.records ?? 10);
    this.abortProb = spec.transaction?.abortProb ?? 0;
    this.metadata = new ProducerMetadata(this.cfg["retry.backoff.ms"] * 1000);
    this.sticky = new StickyPartitioner(this.metadata, Math.max(1, Math.floor(this.cfg["batch.size"] / BYTES_PER_RECORD)));
    this.book = new RequestBook(0, { requestTimeoutMs: this.cfg["request.timeout.ms"], retryBackoffMs: this.cfg["retry.backoff.ms"] });
    const findNode = (): NodeId | null => (env.bootstrap.length === 0 ? null : (env.bootstrap[this.metadata.node++ % env.bootstrap.length] as NodeId));
    this.tm = new TransactionManager({ transactionalId: this.transactionalId, transactionTimeoutMs: this.cfg["transaction.timeout.ms"], kip360: versionAtLeast(env.protocol ?? "3.7", "2.7"), protocol: env.protocol, findNode }, this.book);
    const host: TxnBatchesHost = {
      process: this.name,
      env,
      book: this.book,
      tm: this.tm,
      transactionalId: this.transactionalId,
      acks: acksNumber(this.cfg.acks),
      requestTimeoutMs: this.cfg["request.timeout.ms"],
      retryBackoffMs: this.cfg["retry.backoff.ms"],
      lingerMs: this.cfg["linger.ms"],
      batchSizeBytes: this.cfg["batch.size"],
      deliveryTimeoutMs: this.cfg["delivery.timeout.ms"],
      leaderOf: (topic, partition) => this.metadata.leaderOf(topic, partition),
      leaderNode: (leader) => brokerNode(leader),
      refreshMetadata: () => {
        this.metadata.stale = true;
      },
      batchFailed: (_ctx, error) => this.abortable(error),
      fenced: (ctx, error) => this.fenced(ctx, error),
      resetProducer: () => undefined,
      drained: (ctx, b) => this.sticky.onDrain(this.partitionRng(ctx), b),
    };
    this.acc = new TxnAccumulator(host);
  }

  private partitionRng(ctx: Ctx): Rng {
    return (this.stickyRng ??= ctx.rng.fork("sticky-partitioner"));
  }

  get producerId(): number {
    return this.tm.producerId;
  }

  get producerEpoch(): number {
    return this.tm.producerEpoch;
  }

  onStart(ctx: Ctx): void {
    recordRestart(ctx, this.env, this.name);
    this.sent = ctx.disk.readBlob<number>("producer/sent") ?? 0;
    const startUs = Math.max(0, (this.spec.startMs ?? 0) * 1000 - ctx.nowUs);
    ctx.setTimer(startUs, TICK);
    // The application creates its producer (initTransactions) when it starts: not before startMs.
    if (startUs === 0) this.step(ctx);
  }

  onTimer(ctx: Ctx, tag: unknown): void {
    if (tag === TICK) return this.tick(ctx);
    if (this.book.isRetry(tag) || this.acc.isWake(tag)) return this.step(ctx);
    // A request timed out: NetworkClient closes the connection; whatever it carried is retried.
    const r = this.book.timedOut(tag);
    if (r === undefined) return;
    // The EndTxn may still be on the old connection's wire: evidence for a late EndTxn (KAFKA-17754).
    if (r.kind === "end") ctx.emit({ type: "txn-request-timeout", producer: this.name, transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, request: "end-txn", commit: this.commit, broker: brokerOfNode(r.node) ?? -1 });
    ctx.closeConnection(r.node);
    this.failNode(ctx, r.node);
  }

  onDisconnect(ctx: Ctx, peer: NodeId): void {
    this.failNode(ctx, peer);
  }

  private failNode(ctx: Ctx, node: NodeId): void {
    for (const r of this.book.failNode(ctx, node)) {
      if (r.kind === "find" || r.kind === "init" || r.kind === "add" || r.kind === "end") this.tm.coordinator = null;
      if (r.kind === "add") this.tm.onAddPartitions(false);
      if (r.kind === "metadata") this.metadata.failed(ctx.nowUs);
      if (r.kind === "produce") this.acc.requestFailed(ctx, r);
    }
    this.metadata.stale = true;
    this.book.retryLater(ctx);
  }

  // ---------------------------------------------------------------- workload

  /** Records are generated evenly, as the plain producer's are (workload-pacer.ts). */
  private tick(ctx: Ctx): void {
    if (this.stopSending()) return this.step(ctx);
    let n = this.pacer.tick(ctx, this.spec.ratePerSec, TICK);
    const topic = this.spec.topic;
    const m = this.metadata.topics.get(topic);
    // A transactional producer blocks in send() until it has metadata (KafkaProducer.waitOnMetadata): no record yet.
    if (m === undefined) return this.step(ctx);
    const before = this.sent;
    const keys = this.spec.keys;
    const env = this.env;
    const history = env.history;
    const pending = this.pending;
    let end = this.pendingEnd;
    while (n-- > 0 && !this.stopSending()) {
      const key = keys > 0 ? ctx.rng.int(0, keys - 1) : null;
      const partition = key !== null ? partitionForKey(key, m.partitions) : this.sticky.partition(this.partitionRng(ctx), topic, m);
      const value = env.nextValue();
      this.sent++;
      history.recordSendInvoke(ctx.nowUs, this.name, topic, key, value, partition);
      pending[end] = value;
      pending[end + 1] = key ?? -1;
      pending[end + 2] = partition;
      end += PENDING_STRIDE;
    }
    this.pendingEnd = end;
    if (this.sent !== before) ctx.disk.writeBlob("producer/sent", this.sent);
    this.step(ctx);
  }

  private stopSending(): boolean {
    const limit = this.spec.messages;
    return !this.env.workloadActive() || this.phase === "fenced" || (limit !== undefined && this.sent >= limit);
  }

  // ---------------------------------------------------------------- the state machine

  /** Do whatever the phase wants next and nothing is in flight for. */
  private step(ctx: Ctx): void {
    if (this.phase === "fenced") return;
    if (this.metadata.stale && !this.book.has("metadata") && ctx.nowUs >= this.metadata.retryAtUs) this.requestMetadata(ctx);
    if (this.phase === "init") {
      if (!this.book.has("find") && !this.book.has("init")) this.tm.initProducerId(ctx, true);
      return;
    }
    if (this.phase === "ready" && this.pendingAt < this.pendingEnd) {
      // beginTransaction: the next record opens it.
      this.phase = "open";
      this.commit = true;
      this.abortDrawn = false;
      this.abortError = "NONE";
      this.txnValues = [];
    }
    if (this.phase === "open") this.send(ctx);
    if (this.phase !== "open" && this.phase !== "ending") return;
    this.tm.maybeSendAddPartitions(ctx);
    this.acc.run(ctx, true);
    if ((this.phase as Phase) === "open" && !this.commit) this.endTransaction(ctx);
    if (this.phase !== "ending" || this.acc.hasIncomplete() || this.tm.hasPendingAdds() || this.book.has("end") || this.book.has("find")) return;
    // The workload's abort is drawn once the transaction's sends completed, right before EndTxn (an application
    // that aborts after writing its records): drawn at once, before any batch drained, its EndTxn(ABORT) under
    // transaction.version 2 would meet the coordinator still in the previous transaction's Prepare* and be fenced
    // (kafka-facts T15), which is not what the workload's abort probability means.
    if (!this.abortDrawn) {
      this.abortDrawn = true;
      if (this.commit) this.commit = !(this.abortProb > 0 && ctx.rng.next() < this.abortProb);
    }
    // A transaction with no partition added (its batches all failed undrained) ends without EndTxn.
    if (this.tm.transactionStarted) this.tm.endTxn(ctx, this.commit);
    else this.ended(ctx, undefined);
  }

  /** The application's sends of the open transaction, until it has its records: then it flushes and, once every send
   *  completed, commits or aborts (drawn with the workload's abort probability). An abortable error ends it at once: the
   *  application's next send fails, and it aborts. */
  private send(ctx: Ctx): void {
    const topic = this.spec.topic;
    const pending = this.pending;
    const txnValues = this.txnValues;
    const acc = this.acc;
    const sticky = this.sticky;
    let at = this.pendingAt;
    const end = this.pendingEnd;
    while (this.commit && txnValues.length < this.recordsPerTxn && at < end) {
      const value = pending[at] as number;
      const k = pending[at + 1] as number;
      const key = k < 0 ? null : k;
      const partition = pending[at + 2] as number;
      at += PENDING_STRIDE;
      txnValues.push(value);
      sticky.onAppend(this.partitionRng(ctx), acc.append(ctx, topic, partition, value, key), key);
    }
    if (at === end) {
      this.pendingAt = 0;
      this.pendingEnd = 0;
    } else if (at > 4096 * PENDING_STRIDE && at >= end - at) {
      // The backlog can stay tens of thousands of records long (transactions commit slower than records come):
      // compacted only once what was consumed outweighs what is left, a record is moved O(1) times.
      for (let i = at; i < end; i++) pending[i - at] = pending[i] as number;
      this.pendingAt = 0;
      this.pendingEnd = end - at;
    } else this.pendingAt = at;
    const full = txnValues.length >= this.recordsPerTxn || (this.pendingAt === this.pendingEnd && !this.env.workloadActive());
    if (!this.commit || full) this.endTransaction(ctx);
  }

  /** commitTransaction (flush: every batch ready now; the workload's abort is drawn once every send completed, in
   *  step), or abortTransaction after an abortable error: the batches not sent yet fail. */
  private endTransaction(ctx: Ctx): void {
    this.phase = "ending";
    this.acc.flushing = true;
    // abortTransaction: the partitions new to it are still added (TransactionManager.beginCompletingTransaction),
    // then EndTxn(ABORT).
    if (!this.commit) this.acc.abortUndrained(ctx, this.abortError === "NONE" ? "TRANSACTION_ABORTABLE" : this.abortError);
  }

  /** A batch failed for good (expired, refused): an abortable error (TransactionManager.transitionToAbortableError). */
  private abortable(error: KafkaErrorCode): void {
    this.commit = false;
    if (this.abortError === "NONE") this.abortError = error;
  }

  onMessage(ctx: Ctx, _from: NodeId, msg: Message): void {
    switch (msg.type) {
      case "metadata-response":
        if (this.book.take(ctx, msg.corr) === undefined) return;
        this.metadata.update(ctx.nowUs, msg);
        return this.step(ctx);
      case "group.find-coordinator-response":
        if (this.book.take(ctx, msg.corr) === undefined) return;
        if (!this.tm.onFindCoordinator(msg.error, msg.nodeId)) this.book.retryLater(ctx);
        return this.step(ctx);
      case "group.init-producer-id-response":
        if (this.book.take(ctx, msg.corr) === undefined) return;
        if (msg.error === "NONE") {
          this.tm.onInitProducerId(msg);
          this.phase = "ready";
        } else this.coordinatorError(ctx, msg.error);
        return this.step(ctx);
      case "txn.add-partitions-response": {
        if (this.book.take(ctx, msg.corr) === undefined) return;
        const error = msg.results.find((r) => r.error !== "NONE")?.error ?? "NONE";
        this.tm.onAddPartitions(error === "NONE");
        if (error !== "NONE") this.coordinatorError(ctx, error);
        return this.step(ctx);
      }
      case "produce-response": {
        const r = this.book.take(ctx, msg.corr);
        if (r === undefined) return;
        this.acc.onProduceResponse(ctx, r, msg);
        return this.step(ctx);
      }
      case "txn.end-response":
        if (this.book.take(ctx, msg.corr) === undefined) return;
        if (msg.error === "NONE") return this.ended(ctx, msg.producerEpoch);
        this.coordinatorError(ctx, msg.error);
        return this.step(ctx);
      default:
        return;
    }
  }

  /** The transaction is over (EndTxn answered NONE, with the bumped epoch under transaction.version 2). */
  private ended(ctx: Ctx, bumpedEpoch: number | undefined): void {
    if (this.commit) this.committed++;
    else this.aborted++;
    ctx.emit({ type: "txn-ended", producer: this.name, transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, topic: this.spec.topic, commit: this.commit, values: this.txnValues });
    this.txnValues = [];
    this.acc.clear();
    this.tm.resetTransaction();
    // TransactionManager: after the abort, InitProducerId with the current id and epoch bumps the epoch.
    this.phase = this.tm.onEndTxn(bumpedEpoch) ? "init" : "ready";
    this.step(ctx);
  }

  /** An error from the coordinator: find it again, retry, or stop when fenced. */
  private coordinatorError(ctx: Ctx, error: KafkaErrorCode): void {
    if (this.tm.coordinatorError(error) === "fatal") return this.fenced(ctx, error);
    return this.book.retryLater(ctx);
  }

  private fenced(ctx: Ctx, error: KafkaErrorCode): void {
    if (this.phase === "fenced") return;
    // A fatal error fails the sends not yet acknowledged, in the open transaction or not yet in one (their futures:
    // ProducerFencedException).
    for (const b of this.acc.pending()) failRecords(ctx, this.env, this.name, b, error);
    this.acc.clear();
    for (let i = this.pendingAt; i < this.pendingEnd; i += PENDING_STRIDE) {
      const key = this.pending[i + 1] as number;
      this.env.history.record({ timeUs: ctx.nowUs, process: this.name, type: "fail", f: "send", value: { topic: this.spec.topic, key: key < 0 ? null : key, value: this.pending[i] as number, partition: this.pending[i + 2] as number, error, policy: "log" } });
    }
    this.pendingAt = 0;
    this.pendingEnd = 0;
    this.phase = "fenced";
    ctx.emit({ type: "producer-fenced", producer: this.name, transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, error });
  }

  // ---------------------------------------------------------------- requests

  private requestMetadata(ctx: Ctx): void {
    const nodes = this.env.bootstrap;
    if (nodes.length === 0) return;
    this.book.send(ctx, nodes[this.metadata.node % nodes.length] as NodeId, "metadata", (corr) => ({ type: "metadata", corr, topics: [this.spec.topic] }));
  }

  get state(): { readonly producerId: number; readonly epoch: number; readonly fenced: boolean; readonly committed: number; readonly aborted: number } {
    return { producerId: this.producerId, epoch: this.producerEpoch, fenced: this.phase === "fenced", committed: this.committed, aborted: this.aborted };
  }
}
