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
import type { NodeContext, Actor } from "../core/node.ts";
import type { NodeId } from "../core/ids.ts";
import { brokerNode, brokerOfNode, tpKey } from "../core/ids.ts";
import { acksNumber } from "../kafka/config.ts";
import { versionAtLeast } from "../kafka/profiles.ts";
import type { ProducerConfig } from "../kafka/config.ts";
import { isRetriable } from "../kafka/errors.ts";
import type { KafkaErrorCode } from "../kafka/errors.ts";
import type { Message, ProduceResponse } from "../kafka/protocol.ts";
import type { TraceEvent } from "../events.ts";
import type { ProducerSpec } from "../scenario/types.ts";
import type { ClientEnv } from "./env.ts";
import { recordRestart } from "./env.ts";
import { ProducerMetadata } from "./producer-metadata.ts";
import { partitionForKey } from "./partitioner.ts";
import { needsExplicitAdd, txnRequestSupport } from "./txn-version-rules.ts";

type Ctx = NodeContext<Message, TraceEvent>;

const TICK = { t: "txn-produce-tick" } as const;
const RETRY = { t: "txn-retry" } as const;

interface TxnRecord {
  readonly value: number;
  readonly key: number | null;
  readonly partition: number;
}

/** One partition's records of the current transaction. */
interface TxnBatch {
  readonly topic: string;
  readonly partition: number;
  readonly values: number[];
  readonly keys: number[];
  baseSequence: number;
  acked: boolean;
  /** Failed by delivery.timeout.ms (its records failed; an answer to a copy still in flight is ignored). */
  expired: boolean;
  /** When the batch was created (the transaction began): delivery.timeout.ms counts from here. */
  readonly createdUs: number;
  /** A produce request carried it: it may have been written. */
  sent: boolean;
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

type Request = { readonly kind: "find" | "init" | "add" | "end" | "metadata" | "produce"; readonly node: NodeId; readonly batches: readonly TxnBatch[]; timer: number };


/** What a transactional producer does with a transaction coordinator's error (TransactionManager's handlers): find
 *  the coordinator again and retry, retry (CONCURRENT_TRANSACTIONS: the previous transaction is still completing),
 *  or treat it as fatal (fenced: PRODUCER_FENCED, INVALID_PRODUCER_EPOCH, and what it does not handle). */
export function txnCoordinatorErrorAction(error: KafkaErrorCode): "find-coordinator" | "retry" | "fatal" {
  switch (error) {
    case "NOT_COORDINATOR":
    case "COORDINATOR_NOT_AVAILABLE":
    case "COORDINATOR_LOAD_IN_PROGRESS":
      return "find-coordinator";
    case "CONCURRENT_TRANSACTIONS":
      return "retry";
    default:
      return "fatal";
  }
}
export class TransactionalProducer implements Actor<Message, TraceEvent> {
  readonly cfg: ProducerConfig;
  readonly name: string;
  readonly transactionalId: string;
  private readonly acks: -1 | 0 | 1;
  private readonly recordsPerTxn: number;
  private readonly abortProb: number;
  private readonly metadata: ProducerMetadata;
  private phase: Phase = "init";
  private coordinator: NodeId | null = null;
  producerId = -1;
  producerEpoch = -1;
  /** The coordinator runs transaction.version 2 (KIP-890 part 2): EndTxn v5, whose answer bumps the epoch. */
  private tv2 = false;
  /** KIP-360 (2.5+): a batch expired with its sequence unresolved; once the abort is done the producer asks its
   *  coordinator for a bumped epoch (InitProducerId with its id and epoch; TransactionManager.epochBumpRequired). */
  private bumpEpoch = false;
  /** Kafka 2.5+ clients (here: the 2.7+ profiles) bump the epoch after an expired batch. */
  private readonly kip360: boolean;
  /** Next sequence per partition under the current epoch. */
  private readonly sequences = new Map<string, number>();
  private pending: TxnRecord[] = [];
  private batches: TxnBatch[] = [];
  private commit = true;
  private readonly inflight = new Map<number, Request>();
  private corr = 0;
  private sent = 0;
  private roundRobin = 0;
  private readonly pacer = new WorkloadPacer();
  private retryArmed = false;
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
    this.kip360 = versionAtLeast(env.protocol ?? "3.7", "2.7");
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
    if (tag === RETRY) {
      this.retryArmed = false;
      return this.step(ctx);
    }
    // A request timed out: NetworkClient closes the connection; whatever it carried is retried.
    const entry = [...this.inflight].find(([, r]) => r === tag);
    if (entry === undefined) return;
    // The EndTxn may still be on the old connection's wire: evidence for a late EndTxn (KAFKA-17754).
    if (entry[1].kind === "end") ctx.emit({ type: "txn-request-timeout", producer: this.name, transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, request: "end-txn", commit: this.commit, broker: brokerOfNode(entry[1].node) ?? -1 });
    ctx.closeConnection(entry[1].node);
    this.failNode(ctx, entry[1].node);
  }

  onDisconnect(ctx: Ctx, peer: NodeId): void {
    this.failNode(ctx, peer);
  }

  private failNode(ctx: Ctx, node: NodeId): void {
    for (const [corr, r] of [...this.inflight]) {
      if (r.node !== node) continue;
      this.take(ctx, corr);
      if (r.kind === "find" || r.kind === "init" || r.kind === "add" || r.kind === "end") this.coordinator = null;
      if (r.kind === "metadata") this.metadata.failed(ctx.nowUs);
    }
    this.metadata.stale = true;
    this.retryLater(ctx);
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
    if (this.metadata.stale && !this.has("metadata") && ctx.nowUs >= this.metadata.retryAtUs) this.requestMetadata(ctx);
    switch (this.phase) {
      case "init":
        if (this.has("find") || this.has("init")) return;
        if (this.coordinator === null) return this.findCoordinator(ctx);
        return this.send(ctx, this.coordinator, "init", (corr) => ({ type: "group.init-producer-id", corr, transactionalId: this.transactionalId, transactionTimeoutMs: this.cfg["transaction.timeout.ms"], ...(this.producerId >= 0 ? { producerId: this.producerId, producerEpoch: this.producerEpoch } : {}) }));
      case "ready": {
        const full = this.pending.length >= this.recordsPerTxn || (this.pending.length > 0 && !this.env.workloadActive());
        if (!full) return;
        this.beginTransaction(ctx);
        return this.step(ctx);
      }
      case "adding":
        if (this.has("add") || this.has("find")) return;
        if (this.coordinator === null) return this.findCoordinator(ctx);
        return this.send(ctx, this.coordinator, "add", (corr) => ({ type: "txn.add-partitions", corr, transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, partitions: this.batches.map((b) => ({ topic: b.topic, partition: b.partition })) }));
      case "producing":
        return this.produce(ctx);
      case "ending":
        if (this.has("end") || this.has("find")) return;
        if (this.coordinator === null) return this.findCoordinator(ctx);
        return this.send(ctx, this.coordinator, "end", (corr) => ({ type: "txn.end", corr, transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, commit: this.commit, ...(this.tv2 ? { transactionVersion: 2 } : {}) }));
    }
  }

  /** beginTransaction + the sends of its records: one batch per partition, with the partition's next sequences. */
  private beginTransaction(ctx: Ctx): void {
    const take = this.pending.splice(0, this.recordsPerTxn);
    const byTp = new Map<string, TxnBatch>();
    for (const r of take) {
      const tp = tpKey(this.spec.topic, r.partition);
      let b = byTp.get(tp);
      if (b === undefined) byTp.set(tp, (b = { topic: this.spec.topic, partition: r.partition, values: [], keys: [], baseSequence: -1, acked: false, expired: false, createdUs: ctx.nowUs, sent: false }));
      b.values.push(r.value);
      b.keys.push(r.key ?? -1);
    }
    this.batches = [...byTp.values()];
    this.commit = true;
    for (const b of this.batches) {
      const tp = tpKey(b.topic, b.partition);
      b.baseSequence = this.sequences.get(tp) ?? 0;
      this.sequences.set(tp, b.baseSequence + b.values.length);
    }
    // Under transaction.version 2 the partitions' leaders add them to the transaction (KIP-890 part 2).
    this.phase = needsExplicitAdd(this.tv2) ? "adding" : "producing";
  }

  private produce(ctx: Ctx): void {
    const byLeader = new Map<number, TxnBatch[]>();
    const busy = new Set<TxnBatch>();
    for (const r of this.inflight.values()) for (const b of r.batches) busy.add(b);
    const deliveryUs = this.cfg["delivery.timeout.ms"] * 1000;
    for (const b of this.batches) {
      if (b.acked || busy.has(b)) continue;
      if (ctx.nowUs - b.createdUs >= deliveryUs) {
        this.expire(ctx, b);
        if (this.phase === "fenced") return;
        continue;
      }
      const leader = this.metadata.leaderOf(b.topic, b.partition);
      if (leader === null) {
        this.metadata.stale = true;
        this.retryLater(ctx);
        continue;
      }
      let l = byLeader.get(leader);
      if (l === undefined) byLeader.set(leader, (l = []));
      l.push(b);
    }
    if (this.batches.every((b) => b.acked)) return this.sendsCompleted(ctx);
    for (const [leader, batches] of byLeader) {
      for (const b of batches) b.sent = true;
      const wire = batches.map((b) => ({ topic: b.topic, partition: b.partition, baseSequence: b.baseSequence, values: b.values, keys: b.keys }));
      this.send(ctx, brokerNode(leader), "produce", (corr) => ({ type: "produce", corr, acks: this.acks, timeoutMs: this.cfg["request.timeout.ms"], producerId: this.producerId, producerEpoch: this.producerEpoch, batches: wire, transactionalId: this.transactionalId, ...txnRequestSupport(this.tv2, this.env.protocol) }), batches);
    }
  }

  onMessage(ctx: Ctx, _from: NodeId, msg: Message): void {
    switch (msg.type) {
      case "metadata-response":
        if (this.take(ctx, msg.corr) === undefined) return;
        this.metadata.update(ctx.nowUs, msg);
        return this.step(ctx);
      case "group.find-coordinator-response":
        if (this.take(ctx, msg.corr) === undefined) return;
        if (msg.error === "NONE") this.coordinator = brokerNode(msg.nodeId);
        else this.retryLater(ctx);
        return this.step(ctx);
      case "group.init-producer-id-response":
        if (this.take(ctx, msg.corr) === undefined) return;
        if (msg.error === "NONE") {
          this.producerId = msg.producerId;
          this.producerEpoch = msg.producerEpoch;
          this.tv2 = (msg.transactionVersion ?? 0) >= 2;
          this.sequences.clear();
          this.phase = "ready";
        } else this.coordinatorError(ctx, msg.error);
        return this.step(ctx);
      case "txn.add-partitions-response": {
        if (this.take(ctx, msg.corr) === undefined) return;
        const error = msg.results.find((r) => r.error !== "NONE")?.error ?? "NONE";
        if (error === "NONE") this.phase = "producing";
        else this.coordinatorError(ctx, error);
        return this.step(ctx);
      }
      case "produce-response":
        return this.onProduceResponse(ctx, msg);
      case "txn.end-response":
        if (this.take(ctx, msg.corr) === undefined) return;
        if (msg.error === "NONE") {
          if (this.commit) this.committed++;
          else this.aborted++;
          ctx.emit({ type: "txn-ended", producer: this.name, transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, topic: this.spec.topic, commit: this.commit, values: this.batches.flatMap((b) => b.values) });
          this.takeBumpedEpoch(msg.producerEpoch);
          this.batches = [];
          this.phase = "ready";
          if (this.bumpEpoch) {
            // TransactionManager: after the abort, InitProducerId with the current id and epoch bumps the epoch.
            this.bumpEpoch = false;
            this.phase = "init";
          }
        } else this.coordinatorError(ctx, msg.error);
        return this.step(ctx);
      default:
        return;
    }
  }

  /** transaction.version 2: the next transaction runs under the epoch the EndTxn answer carries (KIP-890 part 2), its
   *  sequences from 0 again (TransactionManager: a new epoch resets the sequence numbers). */
  private takeBumpedEpoch(producerEpoch: number | undefined): void {
    if (!this.tv2 || producerEpoch === undefined || producerEpoch <= this.producerEpoch) return;
    this.producerEpoch = producerEpoch;
    this.sequences.clear();
  }

  private onProduceResponse(ctx: Ctx, msg: ProduceResponse): void {
    const r = this.take(ctx, msg.corr);
    if (r === undefined) return;
    const broker = brokerOfNode(r.node) ?? -1;
    for (const b of r.batches) {
      if (b.expired) continue;
      const res = msg.partitions.find((p) => p.topic === b.topic && p.partition === b.partition);
      const error: KafkaErrorCode = res?.error ?? "NETWORK_EXCEPTION";
      if (error === "NONE" || error === "DUPLICATE_SEQUENCE_NUMBER") {
        b.acked = true;
        const base = res?.baseOffset ?? -1;
        for (let i = 0; i < b.values.length; i++) this.env.history.recordSendOk(ctx.nowUs, this.name, b.topic, b.keys[i] as number, b.values[i] as number, b.partition, base < 0 ? -1 : base + i, broker);
      } else if (error === "PRODUCER_FENCED" || error === "INVALID_PRODUCER_EPOCH") {
        // Refused by the leader: certainly not written; the producer is done (a fatal error in the Java client).
        return this.fenced(ctx, error);
      } else if (isRetriable(error)) {
        this.metadata.stale = true;
      } else {
        // An abortable error (TransactionManager.transitionToAbortableError): the transaction is aborted.
        b.acked = true;
        this.commit = false;
        this.failRecords(ctx, b, error);
      }
    }
    if (this.batches.every((b) => b.acked)) return this.sendsCompleted(ctx);
    this.retryLater(ctx);
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
    // Under transaction.version 2 the abort itself bumps the epoch. Before 2.5 a batch never sent gives its sequence
    // back; one that was sent may have been written, and reusing its sequence would have the leader take the next
    // records for duplicates of it (DUPLICATE_SEQUENCE_NUMBER: acknowledged, lost): the producer cannot go on, a
    // fatal error (KIP-360's motivation: "the producer can't continue because it doesn't know what sequence number
    // to assign").
    const fatal = !this.kip360 && !this.tv2 && b.sent;
    if (this.kip360 && !this.tv2) this.bumpEpoch = true;
    else if (!fatal) this.sequences.set(tpKey(b.topic, b.partition), b.baseSequence);
    ctx.emit({ type: "txn-batch-expired", producer: this.name, transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, tp: tpKey(b.topic, b.partition), values: b.values });
    this.failRecords(ctx, b, "DELIVERY_TIMEOUT");
    if (fatal) this.fenced(ctx, "DELIVERY_TIMEOUT");
  }

  private failRecords(ctx: Ctx, b: TxnBatch, error: KafkaErrorCode): void {
    for (let i = 0; i < b.values.length; i++) {
      const key = b.keys[i] as number;
      this.env.history.record({ timeUs: ctx.nowUs, process: this.name, type: "fail", f: "send", value: { topic: b.topic, key: key < 0 ? null : key, value: b.values[i] as number, partition: b.partition, error, policy: "log" } });
    }
  }

  /** An error from the coordinator: find it again, retry, or stop when fenced. */
  private coordinatorError(ctx: Ctx, error: KafkaErrorCode): void {
    const action = txnCoordinatorErrorAction(error);
    if (action === "fatal") return this.fenced(ctx, error);
    if (action === "find-coordinator") this.coordinator = null;
    return this.retryLater(ctx);
  }

  private fenced(ctx: Ctx, error: KafkaErrorCode): void {
    if (this.phase === "fenced") return;
    // A fatal error fails the sends not yet acknowledged, in the open transaction or not yet in one (their futures:
    // ProducerFencedException).
    for (const b of this.batches) if (!b.acked) this.failRecords(ctx, b, error);
    for (const r of this.pending) this.env.history.record({ timeUs: ctx.nowUs, process: this.name, type: "fail", f: "send", value: { topic: this.spec.topic, key: r.key, value: r.value, partition: r.partition, error, policy: "log" } });
    this.pending = [];
    this.phase = "fenced";
    ctx.emit({ type: "producer-fenced", producer: this.name, transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, error });
  }

  // ---------------------------------------------------------------- requests

  private findCoordinator(ctx: Ctx): void {
    const nodes = this.env.bootstrap;
    if (nodes.length === 0) return;
    this.send(ctx, nodes[this.metadata.node++ % nodes.length] as NodeId, "find", (corr) => ({ type: "group.find-coordinator", corr, keyType: "transaction", key: this.transactionalId }));
  }

  private requestMetadata(ctx: Ctx): void {
    const nodes = this.env.bootstrap;
    if (nodes.length === 0) return;
    this.send(ctx, nodes[this.metadata.node % nodes.length] as NodeId, "metadata", (corr) => ({ type: "metadata", corr, topics: [this.spec.topic] }));
  }

  private send(ctx: Ctx, node: NodeId, kind: Request["kind"], make: (corr: number) => Message, batches: readonly TxnBatch[] = []): void {
    const corr = ++this.corr;
    const r: Request = { kind, node, batches, timer: -1 };
    r.timer = ctx.setTimer(this.cfg["request.timeout.ms"] * 1000, r);
    this.inflight.set(corr, r);
    ctx.send(node, make(corr));
  }

  private take(ctx: Ctx, corr: number): Request | undefined {
    const r = this.inflight.get(corr);
    if (r === undefined) return undefined;
    this.inflight.delete(corr);
    ctx.cancelTimer(r.timer);
    return r;
  }

  private has(kind: Request["kind"]): boolean {
    for (const r of this.inflight.values()) if (r.kind === kind) return true;
    return false;
  }

  private retryLater(ctx: Ctx): void {
    if (this.retryArmed) return;
    this.retryArmed = true;
    ctx.setTimer(this.cfg["retry.backoff.ms"] * 1000, RETRY);
  }

  get state(): { readonly producerId: number; readonly epoch: number; readonly fenced: boolean; readonly committed: number; readonly aborted: number } {
    return { producerId: this.producerId, epoch: this.producerEpoch, fenced: this.phase === "fenced", committed: this.committed, aborted: this.aborted };
  }
}
