// Kafka's Sender (with the parts of NetworkClient it relies on): each run expires queued batches past
// delivery.timeout.ms, refreshes metadata, gets a producer id, drains ready batches into produce requests per
// leader (max.in.flight.requests.per.connection per connection), and handles what comes back: responses, request
// timeouts (which close the connection), disconnects, retries with retry.backoff.ms, and final failures.
import type { NodeContext } from "../core/node.ts";
import type { NodeId } from "../core/ids.ts";
import { brokerNode, brokerOfNode } from "../core/ids.ts";
import type { ProducerConfig } from "../kafka/config.ts";
import { isRetriable } from "../kafka/errors.ts";
import type { KafkaErrorCode } from "../kafka/errors.ts";
import type { Message, ProduceBatch, ProduceResponse } from "../kafka/protocol.ts";
import type { TraceEvent } from "../events.ts";
import type { ClientEnv } from "./env.ts";
import type { Batch, RecordAccumulator } from "./producer-accumulator.ts";
import type { ProducerMetadata } from "./producer-metadata.ts";
import type { IdempotenceState } from "./producer-idempotence.ts";
import type { StickyStrategy } from "./partitioner.ts";

type Ctx = NodeContext<Message, TraceEvent>;

export interface InFlight {
  readonly kind: "produce" | "metadata" | "init-pid";
  readonly corr: number;
  readonly node: NodeId;
  readonly batches: Batch[];
  timer: number;
}

/** What the sender needs from the producer around it. */
export interface SenderHost {
  readonly name: string;
  readonly cfg: ProducerConfig;
  readonly idempotent: boolean;
  readonly acks: -1 | 0 | 1;
  readonly env: ClientEnv;
  readonly accumulator: RecordAccumulator;
  readonly metadata: ProducerMetadata;
  readonly idempotence: IdempotenceState;
  readonly partitioner: StickyStrategy;
  /** Topics of a metadata request. */
  readonly metadataTopics: readonly string[];
  /** Told of each acknowledged record (the kafkajs API); null for the workload's records. */
  readonly recordListener: RecordListener | null;
  /** A record failed for good: record it and apply the failure policy. */
  finalFailure(ctx: Ctx, topic: string, partition: number, value: number, key: number | null, error: KafkaErrorCode, maybeWritten: boolean, deadLetter: boolean): void;
}

export const WAKE = { t: "sender-wake" } as const;

/** Who waits for the outcome of records by value (the kafkajs API's send() promises). */
export interface RecordListener {
  acked(value: number, topic: string, partition: number, offset: number): void;
  failed(value: number, error: KafkaErrorCode): void;
}

/** Outcome of one attempt's error: was the batch possibly appended? (fail vs info in the history) */
function attemptMayHaveWritten(error: KafkaErrorCode): boolean {
  switch (error) {
    // NOT_LEADER_OR_FOLLOWER too: DelayedProduce answers it when the leader lost leadership after appending
    // (Partition.checkEnoughReplicasReachOffset), and the record may survive on the new leader.
    case "REQUEST_TIMED_OUT":
    case "NETWORK_EXCEPTION":
    case "NOT_ENOUGH_REPLICAS_AFTER_APPEND":
    case "KAFKA_STORAGE_ERROR":
    case "NOT_LEADER_OR_FOLLOWER":
      return true;
    default:
      return false;
  }
}

/** Errors after which Kafka refreshes metadata (InvalidMetadataException and disconnects). */
function needsMetadata(error: KafkaErrorCode): boolean {
  switch (error) {
    case "NOT_LEADER_OR_FOLLOWER":
    case "UNKNOWN_TOPIC_OR_PARTITION":
    case "LEADER_NOT_AVAILABLE":
    case "FENCED_LEADER_EPOCH":
    case "UNKNOWN_LEADER_EPOCH":
    case "NETWORK_EXCEPTION":
    case "REQUEST_TIMED_OUT":
    case "KAFKA_STORAGE_ERROR":
      return true;
    default:
      return false;
  }
}

function responseFor(msg: ProduceResponse, b: Batch): ProduceResponse["partitions"][number] | undefined {
  for (const p of msg.partitions) if (p.topic === b.topic && p.partition === b.partition) return p;
  return undefined;
}

export class Sender {
  private corr = 0;
  readonly inflight = new Map<number, InFlight>();
  private readonly inflightPerNode = new Map<NodeId, number>();
  /** run's scratch: leaders with ready batches this round, in order, and their batches by broker id. */
  private readonly drainLeaders: number[] = [];
  private readonly drainByLeader: (Batch[] | undefined)[] = [];
  /** Node ids of leaders by broker id, interned. */
  private readonly leaderNodes: NodeId[] = [];
  private wakeAtUs = Infinity;
  private wakeHandle = -1;

  constructor(private readonly p: SenderHost) {}

  onWake(ctx: Ctx): void {
    this.wakeAtUs = Infinity;
    this.run(ctx);
  }

  private wakeAt(ctx: Ctx, atUs: number): void {
    if (atUs >= this.wakeAtUs) return;
    if (this.wakeHandle >= 0) ctx.cancelTimer(this.wakeHandle);
    this.wakeAtUs = atUs;
    this.wakeHandle = ctx.setTimer(Math.max(0, atUs - ctx.nowUs), WAKE);
  }

  private hasInflightFor(tp: string): boolean {
    for (const f of this.inflight.values()) for (const b of f.batches) if (b.tp === tp) return true;
    return false;
  }

  /** Sender.runOnce. */
  run(ctx: Ctx): void {
    const { cfg, accumulator, metadata, idempotence } = this.p;
    const now = ctx.nowUs;
    const deliveryUs = cfg["delivery.timeout.ms"] * 1000;
    const backoffUs = cfg["retry.backoff.ms"] * 1000;
    // Expire queued batches past delivery.timeout.ms; in-flight ones wait. RecordAccumulator.expiredBatches looks at
    // each partition's deque from its head and stops at the first batch that has not expired.
    const queues = accumulator.queueList;
    let oldest = Infinity;
    for (let qi = 0; qi < queues.length; qi++) {
      const q = queues[qi] as Batch[];
      while (q.length > 0 && now - (q[0] as Batch).createdUs >= deliveryUs) {
        const b = q.shift() as Batch;
        this.failBatch(ctx, b, b.lastError === "NONE" ? "DELIVERY_TIMEOUT" : b.lastError);
      }
      // RecordAccumulator.nextExpiryTimeMs: the earliest head batch.
      if (q.length > 0) oldest = Math.min(oldest, (q[0] as Batch).createdUs);
    }
    // KafkaProducer.waitOnMetadata: a record whose topic has no metadata fails after max.block.ms.
    const maxBlockUs = cfg["max.block.ms"] * 1000;
    // Waiting records are in creation order (appended at their creation), so the expired ones are a prefix: the
    // check stops at the first that is not (this runs on every sender pass, with up to ~1.5 s of records waiting
    // while a KRaft cluster starts).
    const waiting = metadata.waiting;
    while (waiting.length > 0 && now - (waiting[0] as (typeof waiting)[number]).createdUs >= maxBlockUs) {
      const r = waiting.shift() as (typeof waiting)[number];
      this.p.finalFailure(ctx, r.topic, -1, r.value, r.key, "METADATA_TIMEOUT", false, r.deadLetter);
    }
    if (now - metadata.lastUpdateUs >= cfg["metadata.max.age.ms"] * 1000) metadata.stale = true;
    this.maybeUpdateMetadata(ctx);
    // Idempotence: a producer id first; an epoch bump only once nothing is in flight.
    if (this.p.idempotent) {
      if (idempotence.producerId < 0) {
        if (!idempotence.pidRequested && now >= idempotence.pidRetryAtUs) this.requestPid(ctx);
        else if (!idempotence.pidRequested) this.wakeAt(ctx, idempotence.pidRetryAtUs);
        return;
      }
      // KIP-360 / TransactionManager: bump only once every batch sent under this epoch is resolved (acknowledged,
      // or failed for good); until then such batches keep their sequence and are retried, new ones wait.
      if (idempotence.bumpRequested && !this.hasKind("produce") && !idempotence.hasUnresolvedRetry(queues)) this.bumpEpoch(ctx);
    }
    // Drain: per leader, one batch per partition, while the connection has room (RecordAccumulator.drain).
    const lingerUs = cfg["linger.ms"] * 1000;
    const maxInflight = cfg["max.in.flight.requests.per.connection"];
    const recordsPerBatch = accumulator.recordsPerBatch;
    let nextUs = Infinity;
    let unknownLeader = false;
    this.p.partitioner.updateLoadStats();
    // Several rounds: a connection with room takes another request at once (up to max in flight).
    for (let round = 0; round <= maxInflight; round++) {
      // Ready batches by leader, leaders in the order their first batch was met (no map per call: the lists
      // themselves are new, they become the requests' batch lists).
      const leaders = this.drainLeaders;
      const byLeader = this.drainByLeader;
      let nLeaders = 0; // leaders[0, nLeaders) (a count: setting an array's length is a slow path)
      for (let qi = 0; qi < queues.length; qi++) {
        const q = queues[qi] as Batch[];
        const b = q[0];
        if (b === undefined) continue;
        const leader = metadata.leaderOf(b.topic, b.partition);
        if (leader === null) {
          unknownLeader = true;
          continue;
        }
        const readyAtUs = b.attempts > 0 ? b.lastAttemptUs + backoffUs : b.values.length >= recordsPerBatch || q.length > 1 || !this.p.env.workloadActive() ? now : b.createdUs + lingerUs;
        if (readyAtUs > now) {
          nextUs = Math.min(nextUs, readyAtUs);
          continue;
        }
        // While an epoch bump waits, only batches that keep their sequence under this epoch are sent.
        if (idempotence.bumpRequested && !idempotence.keepsSequence(b)) continue;
        // With idempotence a retried batch waits until its partition has nothing in flight, so sequences resolve
        // in order (TransactionManager's unresolved-sequence rules, simplified).
        if (this.p.idempotent && b.attempts > 0 && this.hasInflightFor(b.tp)) continue;
        // With in-flight 1 Kafka mutes the partition while a batch is in flight, idempotent or not (KafkaProducer:
        // guaranteeMessageOrder = max.in.flight == 1; RecordAccumulator.drain skips muted partitions): else a new
        // batch goes to a new leader while the previous one is still in flight to the old one, ahead of its retry.
        if (maxInflight === 1 && this.hasInflightFor(b.tp)) continue;
        const list = byLeader[leader];
        if (list === undefined) {
          // A one-element literal, not [] then push (which reserves 17): the list lives as long as the request.
          byLeader[leader] = [b];
          leaders[nLeaders++] = leader;
        } else list.push(b);
      }
      if (nLeaders === 0) break;
      let sent = false;
      for (let li = 0; li < nLeaders; li++) {
        const leader = leaders[li] as number;
        const batches = byLeader[leader] as Batch[];
        byLeader[leader] = undefined;
        const node = (this.leaderNodes[leader] ??= brokerNode(leader));
        const canDrain = (this.inflightPerNode.get(node) ?? 0) < maxInflight;
        this.p.partitioner.nodeReady(leader, now, canDrain);
        if (!canDrain) continue;
        for (const b of batches) {
          const q = accumulator.queues.get(b.tp) as Batch[];
          q.shift();
          this.p.partitioner.onDrain(ctx.rng, b);
          if (this.p.idempotent) idempotence.assignSequence(b);
        }
        this.sendProduce(ctx, node, batches);
        sent = true;
      }
      if (!sent) break;
    }
    // Sender.sendProducerData: a partition with batches and no known leader requests a metadata update, which the
    // NetworkClient sends as soon as the refresh backoff allows (Metadata.timeToNextUpdate bounds its poll).
    if (unknownLeader) {
      metadata.stale = true;
      this.maybeUpdateMetadata(ctx);
    }
    if (nextUs < Infinity) this.wakeAt(ctx, nextUs);
    // Next delivery-timeout expiry of anything queued (the heads as they were before this drain: a batch sent
    // since then only makes the wake-up early, and a wake-up that finds nothing due just drains again).
    if (oldest < Infinity) this.wakeAt(ctx, oldest + deliveryUs);
    // And of the records waiting for metadata.
    if (waiting.length > 0) this.wakeAt(ctx, (waiting[0] as (typeof waiting)[number]).createdUs + maxBlockUs);
  }

  /** NetworkClient's metadata updater: one request at a time, not before the refresh backoff has passed. */
  private maybeUpdateMetadata(ctx: Ctx): void {
    const metadata = this.p.metadata;
    if (!metadata.stale || this.hasKind("metadata")) return;
    if (ctx.nowUs >= metadata.retryAtUs) this.requestMetadata(ctx);
    else this.wakeAt(ctx, metadata.retryAtUs);
  }

  private hasKind(kind: InFlight["kind"]): boolean {
    for (const f of this.inflight.values()) if (f.kind === kind) return true;
    return false;
  }

  private track(ctx: Ctx, f: InFlight): void {
    this.inflight.set(f.corr, f);
    this.inflightPerNode.set(f.node, (this.inflightPerNode.get(f.node) ?? 0) + 1);
    f.timer = ctx.setTimer(this.p.cfg["request.timeout.ms"] * 1000, f);
  }

  /** Remove a completed request from the books; undefined if it was already failed (late response). */
  take(ctx: Ctx, corr: number): InFlight | undefined {
    const f = this.inflight.get(corr);
    if (f === undefined) return undefined;
    this.inflight.delete(corr);
    this.inflightPerNode.set(f.node, (this.inflightPerNode.get(f.node) ?? 1) - 1);
    ctx.cancelTimer(f.timer);
    return f;
  }

  /** A request timer fired: if the request is still waiting, NetworkClient.handleTimedOutRequests closes the
   *  connection and every request in flight on it fails with a NetworkException (retriable; the outcome of a
   *  produce is unknown). */
  onRequestTimeout(ctx: Ctx, f: InFlight): void {
    if (this.inflight.get(f.corr) !== f) return;
    ctx.closeConnection(f.node);
    this.emitDisconnect(ctx, f.node, "request-timeout");
    this.failConnection(ctx, f.node, "NETWORK_EXCEPTION");
  }

  emitDisconnect(ctx: Ctx, node: NodeId, reason: "request-timeout" | "disconnected"): void {
    const broker = brokerOfNode(node);
    if (broker !== undefined) ctx.emit({ type: "producer-disconnect", producer: this.p.name, broker, reason });
  }

  private requestMetadata(ctx: Ctx): void {
    const nodes = this.p.env.bootstrap;
    if (nodes.length === 0) return;
    const node = nodes[this.p.metadata.node % nodes.length] as NodeId;
    const corr = ++this.corr;
    ctx.emit({ type: "metadata-refresh", client: this.p.name });
    this.track(ctx, { kind: "metadata", corr, node, batches: [], timer: -1 });
    ctx.send(node, { type: "metadata", corr, topics: this.p.metadataTopics });
  }

  private requestPid(ctx: Ctx): void {
    const nodes = this.p.env.bootstrap;
    if (nodes.length === 0) return;
    const node = nodes[this.p.metadata.node % nodes.length] as NodeId;
    const corr = ++this.corr;
    this.p.idempotence.pidRequested = true;
    this.track(ctx, { kind: "init-pid", corr, node, batches: [], timer: -1 });
    ctx.send(node, { type: "group.init-producer-id", corr });
  }

  private bumpEpoch(ctx: Ctx): void {
    const idem = this.p.idempotence;
    idem.bump();
    ctx.emit({ type: "producer-epoch-bump", producer: this.p.name, producerId: idem.producerId, producerEpoch: idem.epoch });
  }

  private sendProduce(ctx: Ctx, node: NodeId, batches: Batch[]): void {
    const { cfg, idempotent, idempotence } = this.p;
    const corr = ++this.corr;
    // The record arrays are shared, not copied: a batch that has left its queue is never appended to again.
    const wire: ProduceBatch[] = batches.map((b) => ({ topic: b.topic, partition: b.partition, baseSequence: idempotent ? b.baseSequence : -1, values: b.values, keys: b.keys }));
    const epoch = idempotent ? idempotence.epoch : -1;
    ctx.send(node, { type: "produce", corr, acks: this.p.acks, timeoutMs: cfg["request.timeout.ms"], producerId: idempotent ? idempotence.producerId : -1, producerEpoch: epoch, batches: wire });
    if (this.p.acks === 0) {
      // acks=0: the broker answers nothing; the send completes as soon as it is written to the socket.
      const broker = brokerOfNode(node) ?? -1;
      for (const b of batches) for (let i = 0; i < b.values.length; i++) this.recordOk(ctx, b, i, -1, broker);
      return;
    }
    this.track(ctx, { kind: "produce", corr, node, batches, timer: -1 });
  }

  onProduceResponse(ctx: Ctx, msg: ProduceResponse): void {
    const f = this.take(ctx, msg.corr);
    if (f === undefined) return;
    const broker = brokerOfNode(f.node) ?? -1;
    for (const b of f.batches) {
      const r = responseFor(msg, b);
      const error: KafkaErrorCode = r === undefined ? "NETWORK_EXCEPTION" : r.error;
      if (error === "NONE") {
        for (let i = 0; i < b.values.length; i++) this.recordOk(ctx, b, i, (r as { baseOffset: number }).baseOffset < 0 ? -1 : (r as { baseOffset: number }).baseOffset + i, broker);
      } else if (error === "DUPLICATE_SEQUENCE_NUMBER" && this.p.idempotent) {
        // Already written by an earlier attempt: success, offsets unknown (Sender.completeBatch).
        for (let i = 0; i < b.values.length; i++) this.recordOk(ctx, b, i, -1, broker);
      } else {
        this.attemptFailed(ctx, b, error);
      }
    }
    this.run(ctx);
  }

  /** Every request in flight on the connection to `node` failed with `error`. */
  failConnection(ctx: Ctx, node: NodeId, error: KafkaErrorCode): void {
    const failed: InFlight[] = [];
    for (const f of this.inflight.values()) if (f.node === node) failed.push(f);
    if (failed.length === 0) return;
    const { metadata, idempotence, cfg } = this.p;
    for (const f of failed) {
      this.take(ctx, f.corr);
      if (f.kind === "metadata") {
        metadata.failed(ctx.nowUs);
      } else if (f.kind === "init-pid") {
        metadata.node++;
        idempotence.pidRequested = false;
        idempotence.pidRetryAtUs = ctx.nowUs + cfg["retry.backoff.ms"] * 1000;
      } else {
        for (const b of f.batches) this.attemptFailed(ctx, b, error);
      }
    }
    this.run(ctx);
  }

  /** Sender.canRetry + TransactionManager.canRetry: retry or give up. */
  private attemptFailed(ctx: Ctx, b: Batch, error: KafkaErrorCode): void {
    const { cfg, idempotent, idempotence, accumulator } = this.p;
    if (attemptMayHaveWritten(error)) b.maybeWritten = true;
    if (needsMetadata(error)) this.p.metadata.stale = true;
    let retriable = isRetriable(error);
    if (idempotent && (error === "OUT_OF_ORDER_SEQUENCE_NUMBER" || error === "UNKNOWN_PRODUCER_ID")) {
      retriable = true;
      // A real gap (no earlier batch of this partition unresolved): bump the epoch and restart sequences.
      if (!idempotence.hasEarlierUnresolved(b, this.inflight.values(), accumulator.queues.get(b.tp) ?? [])) idempotence.bumpRequested = true;
    }
    const withinDelivery = ctx.nowUs - b.createdUs < cfg["delivery.timeout.ms"] * 1000;
    if (retriable && withinDelivery && b.attempts < cfg.retries) {
      b.attempts++;
      b.lastError = error;
      // ProducerBatch.reenqueued: the retry backoff counts from now, the failure (not from the last send; fact 40).
      b.lastAttemptUs = ctx.nowUs;
      ctx.emit({ type: "produce-retry", producer: this.p.name, tp: b.tp, error, attempt: b.attempts, values: b.values });
      accumulator.reenqueue(b, idempotent);
      return;
    }
    this.failBatch(ctx, b, retriable && !withinDelivery ? "DELIVERY_TIMEOUT" : error);
  }

  private recordOk(ctx: Ctx, b: Batch, i: number, offset: number, broker: number): void {
    this.p.env.history.recordSendOk(ctx.nowUs, this.p.name, b.topic, b.keys[i] as number, b.values[i] as number, b.partition, offset, broker);
    const l = this.p.recordListener;
    if (l !== null) l.acked(b.values[i] as number, b.topic, b.partition, offset);
  }

  private failBatch(ctx: Ctx, b: Batch, error: KafkaErrorCode): void {
    // The sequence of a batch that may or may not have been written is unresolved: bump (KIP-360).
    if (this.p.idempotent && b.maybeWritten) this.p.idempotence.bumpRequested = true;
    for (let i = 0; i < b.values.length; i++) {
      const key = b.keys[i] as number;
      this.p.finalFailure(ctx, b.topic, b.partition, b.values[i] as number, key < 0 ? null : key, error, b.maybeWritten, b.deadLetter);
    }
  }
}
