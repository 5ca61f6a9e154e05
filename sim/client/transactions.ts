// A transactional producer (KafkaProducer with a transactional.id, its TransactionManager; KIP-98): it finds its transaction coordinator (FindCoordinator, key type transaction), gets its producer id and a bumped
// epoch (InitProducerId: the coordinator aborts what an earlier instance left open and fences it), then runs one
// transaction after another: AddPartitionsToTxn for the partitions it is about to write, the records as
// transactional, idempotent produce requests (acks from its config), then EndTxn — COMMIT, or ABORT with the
// workload's abort probability. A newer instance or the coordinator's timeout fences it (PRODUCER_FENCED /
// INVALID_PRODUCER_EPOCH): fatal, it stops (Java: a ProducerFencedException closes the producer). Under
// transaction.version 2 (KIP-890 part 2; the coordinator says so with its InitProducerId answer) it sends EndTxn v5
// and runs its next transaction under the bumped epoch the answer carries (kafka-facts T13).
//
// First slice, simpler than the Java client: no accumulator (a transaction's records go in one batch per partition,
// sent when the transaction's records are all generated), one transaction at a time, records partitioned by key
// (murmur2) or round-robin. The records' send ops are recorded as usual; whether their transaction committed is
// what the markers in the log say (properties/ reads it from the final logs).
import { WorkloadPacer } from "./workload-pacer.ts";
import type { Actor } from "../core/node.ts";
import type { NodeId } from "../core/ids.ts";
import { brokerNode, brokerOfNode, tpKey } from "../core/ids.ts";
import { acksNumber } from "../kafka/config.ts";
import { versionAtLeast } from "../kafka/profiles.ts";
import type { ProducerConfig } from "../kafka/config.ts";
import type { KafkaErrorCode } from "../kafka/errors.ts";
import type { Message, ProduceResponse } from "../kafka/protocol.ts";
import type { TraceEvent } from "../events.ts";
import type { ProducerSpec } from "../scenario/types.ts";
import type { ClientEnv } from "./env.ts";
import { recordRestart } from "./env.ts";
import { ProducerMetadata } from "./producer-metadata.ts";
import { partitionForKey } from "./partitioner.ts";
import { RequestBook } from "./txn/requests.ts";
import type { Ctx } from "./txn/requests.ts";
import { TransactionManager } from "./txn/transaction-manager.ts";
import { byLeader, failRecords, newBatch, produceOutcome, recordAcked, wireBatches } from "./txn/txn-batches.ts";
import type { TxnBatch } from "./txn/txn-batches.ts";

export { txnCoordinatorErrorAction } from "./txn/transaction-manager.ts";

const TICK = { t: "txn-produce-tick" } as const;

interface TxnRecord {
  readonly value: number;
  readonly key: number | null;
  readonly partition: number;
}

type Phase =
  /** Looking for the coordinator, then InitProducerId. */
  | "init"
  /** Collecting the records of the next transaction. */
  | "ready"
  /** AddPartitionsToTxn in flight or to retry. */
  | "adding"
  /** Produce requests in flight or to retry. */
  | "producing"
  /** EndTxn in flight or to retry. */
  | "ending"
  /** Fenced or failed fatally: stopped. */
  | "fenced";

export class TransactionalProducer implements Actor<Message, TraceEvent> {
  readonly cfg: ProducerConfig;
  readonly name: string;
  readonly transactionalId: string;
  private readonly acks: -1 | 0 | 1;
  private readonly recordsPerTxn: number;
  private readonly abortProb: number;
  private readonly metadata: ProducerMetadata;
  private readonly book: RequestBook;
  private readonly tm: TransactionManager;
  private phase: Phase = "init";
  private pending: TxnRecord[] = [];
  private batches: TxnBatch[] = [];
  private commit = true;
  private sent = 0;
  private roundRobin = 0;
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
    this.acks = acksNumber(this.cfg.acks);
    this.recordsPerTxn = Math.max(1, spec.transaction?.records ?? 10);
    this.abortProb = spec.transaction?.abortProb ?? 0;
    this.metadata = new ProducerMetadata(this.cfg["retry.backoff.ms"] * 1000);
    this.book = new RequestBook(0, { requestTimeoutMs: this.cfg["request.timeout.ms"], retryBackoffMs: this.cfg["retry.backoff.ms"] });
    const findNode = (): NodeId | null => (env.bootstrap.length === 0 ? null : (env.bootstrap[this.metadata.node++ % env.bootstrap.length] as NodeId));
    this.tm = new TransactionManager({ transactionalId: this.transactionalId, transactionTimeoutMs: this.cfg["transaction.timeout.ms"], kip360: versionAtLeast(env.protocol ?? "3.7", "2.7"), findNode }, this.book);
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
    if (this.book.isRetry(tag)) return this.step(ctx);
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
      if (r.kind === "metadata") this.metadata.failed(ctx.nowUs);
    }
    this.metadata.stale = true;
    this.book.retryLater(ctx);
  }

  // ---------------------------------------------------------------- workload

  /** Records are generated evenly, as the plain producer's are (workload-pacer.ts). */
  private tick(ctx: Ctx): void {
    const limit = this.spec.messages;
    const stop = (): boolean => !this.env.workloadActive() || this.phase === "fenced" || (limit !== undefined && this.sent >= limit);
    if (stop()) return this.step(ctx);
    let n = this.pacer.tick(ctx, this.spec.ratePerSec, TICK);
    const m = this.metadata.topics.get(this.spec.topic);
    // A transactional producer blocks in send() until it has metadata (KafkaProducer.waitOnMetadata): no record yet.
    if (m === undefined) return this.step(ctx);
    const before = this.sent;
    while (n-- > 0 && !stop()) {
      const key = this.spec.keys > 0 ? ctx.rng.int(0, this.spec.keys - 1) : null;
      const partition = key !== null ? partitionForKey(key, m.partitions) : this.roundRobin++ % m.partitions;
      const value = this.env.nextValue();
      this.sent++;
      this.env.history.recordSendInvoke(ctx.nowUs, this.name, this.spec.topic, key, value, partition);
      this.pending.push({ value, key, partition });
    }
    if (this.sent !== before) ctx.disk.writeBlob("producer/sent", this.sent);
    this.step(ctx);
  }

  // ---------------------------------------------------------------- the state machine

  /** Do whatever the phase wants next and nothing is in flight for. */
  private step(ctx: Ctx): void {
    if (this.phase === "fenced") return;
    if (this.metadata.stale && !this.book.has("metadata") && ctx.nowUs >= this.metadata.retryAtUs) this.requestMetadata(ctx);
    switch (this.phase) {
      case "init":
        if (this.book.has("find") || this.book.has("init")) return;
        return this.tm.initProducerId(ctx, true);
      case "ready": {
        const full = this.pending.length >= this.recordsPerTxn || (this.pending.length > 0 && !this.env.workloadActive());
        if (!full) return;
        this.beginTransaction(ctx);
        return this.step(ctx);
      }
      case "adding":
        if (this.book.has("add") || this.book.has("find")) return;
        return this.tm.addPartitions(ctx, this.batches.map((b) => ({ topic: b.topic, partition: b.partition })));
      case "producing":
        return this.produce(ctx);
      case "ending":
        if (this.book.has("end") || this.book.has("find")) return;
        return this.tm.endTxn(ctx, this.commit);
    }
  }

  /** beginTransaction + the sends of its records: one batch per partition, with the partition's next sequences. */
  private beginTransaction(ctx: Ctx): void {
    const take = this.pending.splice(0, this.recordsPerTxn);
    const byTp = new Map<string, TxnBatch>();
    for (const r of take) {
      const tp = tpKey(this.spec.topic, r.partition);
      let b = byTp.get(tp);
      if (b === undefined) byTp.set(tp, (b = newBatch(this.spec.topic, r.partition, ctx.nowUs)));
      b.values.push(r.value);
      b.keys.push(r.key ?? -1);
    }
    this.batches = [...byTp.values()];
    this.commit = true;
    for (const b of this.batches) b.baseSequence = this.tm.nextSequence(tpKey(b.topic, b.partition), b.values.length);
    this.phase = "adding";
  }

  private produce(ctx: Ctx): void {
    const busy = new Set<TxnBatch>();
    for (const r of this.book.inflight.values()) for (const b of r.batches) busy.add(b);
    const deliveryUs = this.cfg["delivery.timeout.ms"] * 1000;
    const sendable: TxnBatch[] = [];
    for (const b of this.batches) {
      if (b.acked || busy.has(b)) continue;
      if (ctx.nowUs - b.createdUs >= deliveryUs) this.expire(ctx, b);
      else sendable.push(b);
    }
    const groups = byLeader(sendable, (topic, partition) => this.metadata.leaderOf(topic, partition), () => {
      this.metadata.stale = true;
      this.book.retryLater(ctx);
    });
    if (this.batches.every((b) => b.acked)) return this.sendsCompleted(ctx);
    for (const [leader, batches] of groups) {
      const wire = wireBatches(batches);
      this.book.send(ctx, brokerNode(leader), "produce", (corr) => ({ type: "produce", corr, acks: this.acks, timeoutMs: this.cfg["request.timeout.ms"], producerId: this.producerId, producerEpoch: this.producerEpoch, batches: wire, transactionalId: this.transactionalId }), batches);
    }
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
        if (error === "NONE") this.phase = "producing";
        else this.coordinatorError(ctx, error);
        return this.step(ctx);
      }
      case "produce-response":
        return this.onProduceResponse(ctx, msg);
      case "txn.end-response":
        if (this.book.take(ctx, msg.corr) === undefined) return;
        if (msg.error === "NONE") {
          if (this.commit) this.committed++;
          else this.aborted++;
          ctx.emit({ type: "txn-ended", producer: this.name, transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, topic: this.spec.topic, commit: this.commit, values: this.batches.flatMap((b) => b.values) });
          this.batches = [];
          // TransactionManager: after the abort, InitProducerId with the current id and epoch bumps the epoch.
          this.phase = this.tm.onEndTxn(msg.producerEpoch) ? "init" : "ready";
        } else this.coordinatorError(ctx, msg.error);
        return this.step(ctx);
      default:
        return;
    }
  }

  private onProduceResponse(ctx: Ctx, msg: ProduceResponse): void {
    const r = this.book.take(ctx, msg.corr);
    if (r === undefined) return;
    const broker = brokerOfNode(r.node) ?? -1;
    for (const b of r.batches) {
      if (b.expired) continue;
      const res = msg.partitions.find((p) => p.topic === b.topic && p.partition === b.partition);
      const error: KafkaErrorCode = res?.error ?? "NETWORK_EXCEPTION";
      switch (produceOutcome(error)) {
        case "acked":
          b.acked = true;
          recordAcked(ctx, this.env, this.name, b, res?.baseOffset ?? -1, broker);
          break;
        case "fenced":
          // Refused by the leader: certainly not written; the producer is done (a fatal error in the Java client).
          return this.fenced(ctx, error);
        case "retriable":
          this.metadata.stale = true;
          break;
        case "abortable":
          // An abortable error (TransactionManager.transitionToAbortableError): the transaction is aborted.
          b.acked = true;
          this.commit = false;
          failRecords(ctx, this.env, this.name, b, error);
          break;
      }
    }
    if (this.batches.every((b) => b.acked)) return this.sendsCompleted(ctx);
    this.book.retryLater(ctx);
    this.step(ctx);
  }

  /** commitTransaction (or abortTransaction) once every send of the transaction completed. */
  private sendsCompleted(ctx: Ctx): void {
    if (this.commit) this.commit = !(this.abortProb > 0 && ctx.rng.next() < this.abortProb);
    this.phase = "ending";
    this.step(ctx);
  }

  /** delivery.timeout.ms passed since the batch was created (Sender: RecordAccumulator.expiredBatches, checked when a
   *  batch is ready to be sent again — kafkasim, like its idempotent producer, lets an in-flight attempt finish or
   *  time out first): its records fail with a TimeoutException, an abortable error in a transaction
   *  (TransactionManager.handleFailedBatch → transitionToAbortableError); the application aborts. A copy of the
   *  batch still on the wire (a cut or lossy link retransmits it, fact 42) can reach the leader after the abort's
   *  marker: KIP-890 part 1's verification refuses it, and under transaction.version 2 the marker's bumped epoch
   *  fences it (kafka-facts T14). */
  private expire(ctx: Ctx, b: TxnBatch): void {
    b.acked = true;
    b.expired = true;
    this.commit = false;
    this.tm.sequenceUnresolved(tpKey(b.topic, b.partition), b.baseSequence);
    ctx.emit({ type: "txn-batch-expired", producer: this.name, transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, tp: tpKey(b.topic, b.partition), values: b.values });
    failRecords(ctx, this.env, this.name, b, "DELIVERY_TIMEOUT");
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
    for (const b of this.batches) if (!b.acked) failRecords(ctx, this.env, this.name, b, error);
    for (const r of this.pending) this.env.history.record({ timeUs: ctx.nowUs, process: this.name, type: "fail", f: "send", value: { topic: this.spec.topic, key: r.key, value: r.value, partition: r.partition, error, policy: "log" } });
    this.pending = [];
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
