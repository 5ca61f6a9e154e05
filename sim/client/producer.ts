// The producer: Kafka's KafkaProducer + RecordAccumulator + Sender + (idempotent) TransactionManager, as one
// actor. Records are batched per partition (linger.ms, batch.size at 100 bytes a record), partitioned by
// murmur2 of the key or a sticky partition, sent to the partition leader from metadata, with acks, retries,
// retry.backoff.ms, request.timeout.ms, delivery.timeout.ms and max.in.flight.requests.per.connection per
// broker connection. Without idempotence a retry after a lost response really duplicates and a retried batch
// can really land after a later one. With idempotence: producer id (InitProducerId), epoch, per-partition
// sequences, OUT_OF_ORDER_SEQUENCE_NUMBER / UNKNOWN_PRODUCER_ID handling with an epoch bump (KIP-360).
import type { NodeContext, Actor } from "../core/node.ts";
import type { NodeId } from "../core/ids.ts";
import { brokerNode } from "../core/ids.ts";
import { invariant } from "../core/errors.ts";
import { acksNumber } from "../kafka/config.ts";
import type { ProducerConfig } from "../kafka/config.ts";
import { isRetriable } from "../kafka/errors.ts";
import type { KafkaErrorCode } from "../kafka/errors.ts";
import type { Message, MetadataResponse, ProduceBatch, ProduceResponse } from "../kafka/protocol.ts";
import type { TraceEvent } from "../events.ts";
import type { FailurePolicy, ProducerSpec } from "../scenario/types.ts";
import { effectiveProducerConfig } from "./producer-config.ts";
import { partitionForKey } from "./partitioner.ts";
import type { ClientEnv } from "./env.ts";
import { recordRestart } from "./env.ts";

type Ctx = NodeContext<Message, TraceEvent>;

export const BYTES_PER_RECORD = 100;

interface Batch {
  readonly topic: string;
  readonly partition: number;
  readonly tp: string;
  readonly values: number[];
  readonly keys: number[];
  /** Records of this batch are dead-letter copies (their failure is only logged). */
  readonly deadLetter: boolean;
  readonly createdUs: number;
  /** Retries so far (Kafka's ProducerBatch.attempts counts re-enqueues). */
  attempts: number;
  lastAttemptUs: number;
  baseSequence: number;
  epoch: number;
  /** Some attempt may have appended it (timeout, disconnect, NOT_ENOUGH_REPLICAS_AFTER_APPEND, ...). */
  maybeWritten: boolean;
  /** The last retriable error, reported if the batch then expires. */
  lastError: KafkaErrorCode;
}

interface InFlight {
  readonly kind: "produce" | "metadata" | "init-pid";
  readonly corr: number;
  readonly node: NodeId;
  readonly batches: Batch[];
  timer: number;
}

interface TopicMeta {
  readonly partitions: number;
  readonly leaders: (number | null)[];
}

const TICK = { t: "produce-tick" } as const;
const WAKE = { t: "sender-wake" } as const;

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

export class Producer implements Actor<Message, TraceEvent> {
  private readonly cfg: ProducerConfig;
  private readonly idempotent: boolean;
  private readonly name: string;
  private readonly acks: -1 | 0 | 1;
  private readonly recordsPerBatch: number;
  private readonly dltTopic: string;

  private corr = 0;
  private sent = 0;
  private halted = false;
  private ticking = false;
  private tickCarry = 0;
  private readonly tpNames = new Map<string, string[]>();
  private readonly meta = new Map<string, TopicMeta>();
  private metaStale = true;
  private lastMetadataUs = -Infinity;
  private metaNode = 0;
  private metaRetryAtUs = 0;
  private readonly queues = new Map<string, Batch[]>();
  /** The same queues in creation order (the Map's order): the sender walks them without an iterator. */
  private readonly queueList: Batch[][] = [];
  /** The queue the last record went to (queues are never replaced): most records go where the last one went. */
  private lastAppendTopic = "";
  private lastAppendPartition = -1;
  private lastAppendTp = "";
  private lastAppendQueue: Batch[] = [];
  /** runSender's scratch: leaders with ready batches this round, in order, and their batches by broker id. */
  private readonly drainLeaders: number[] = [];
  private readonly drainByLeader: (Batch[] | undefined)[] = [];
  /** Node ids of leaders by broker id, interned. */
  private readonly leaderNodes: NodeId[] = [];
  /** Records whose topic has no metadata yet: [topic, value, key, forcedPartition, createdUs, deadLetter]. */
  private readonly pending: { topic: string; value: number; key: number | null; partition: number | null; createdUs: number; deadLetter: boolean }[] = [];
  private readonly inflight = new Map<number, InFlight>();
  private readonly inflightPerNode = new Map<NodeId, number>();
  private readonly sticky = new Map<string, number>();
  private roundRobin = 0;
  // idempotence
  private producerId = -1;
  private epoch = 0;
  private pidRequested = false;
  private pidRetryAtUs = 0;
  private bumpRequested = false;
  private readonly nextSeq = new Map<string, number>();
  private wakeAtUs = Infinity;
  private wakeHandle = -1;

  constructor(
    private readonly spec: ProducerSpec,
    private readonly env: ClientEnv,
  ) {
    const eff = effectiveProducerConfig(spec);
    this.cfg = eff.config;
    this.idempotent = eff.idempotent;
    this.name = spec.id;
    this.acks = acksNumber(this.cfg.acks);
    this.recordsPerBatch = Math.max(1, Math.floor(this.cfg["batch.size"] / BYTES_PER_RECORD));
    this.dltTopic = spec.deadLetterTopic ?? `${spec.topic}.dlt`;
  }

  // ---------------------------------------------------------------- lifecycle

  onStart(ctx: Ctx): void {
    recordRestart(ctx, this.env, this.name);
    this.sent = ctx.disk.readBlob<number>("producer/sent") ?? 0;
    this.halted = ctx.disk.readBlob<boolean>("producer/halted") ?? false;
    const startUs = (this.spec.startMs ?? 0) * 1000;
    this.ticking = true;
    ctx.setTimer(Math.max(0, startUs - ctx.nowUs), TICK);
    this.runSender(ctx);
  }

  onTimer(ctx: Ctx, tag: unknown): void {
    if (tag === TICK) return this.tick(ctx);
    if (tag === WAKE) {
      this.wakeAtUs = Infinity;
      return this.runSender(ctx);
    }
    if (typeof tag === "object" && tag !== null && "kind" in tag) {
      const f = tag as InFlight;
      if (this.inflight.get(f.corr) === f) {
        // NetworkClient.handleTimedOutRequests: a request timeout closes the connection; every request in
        // flight on it fails with a NetworkException (retriable; the outcome of a produce is unknown).
        ctx.closeConnection(f.node);
        this.failConnection(ctx, f.node, "NETWORK_EXCEPTION");
      }
    }
  }

  onDisconnect(ctx: Ctx, peer: NodeId): void {
    // NetworkClient: a disconnect requests a metadata update (DefaultMetadataUpdater.handleServerDisconnect);
    // for acks=0 it is the only sign that the leader moved.
    this.metaStale = true;
    this.failConnection(ctx, peer, "NETWORK_EXCEPTION");
    this.runSender(ctx);
  }

  onMessage(ctx: Ctx, _from: NodeId, msg: Message): void {
    switch (msg.type) {
      case "produce-response":
        return this.onProduceResponse(ctx, msg);
      case "metadata-response":
        return this.onMetadata(ctx, msg);
      case "group.init-producer-id-response": {
        const f = this.take(ctx, msg.corr);
        if (f === undefined) return;
        this.pidRequested = false;
        if (msg.error === "NONE") {
          this.producerId = msg.producerId;
          this.epoch = msg.producerEpoch;
        } else this.pidRetryAtUs = ctx.nowUs + this.cfg["retry.backoff.ms"] * 1000;
        return this.runSender(ctx);
      }
      default:
        return;
    }
  }

  // ---------------------------------------------------------------- workload

  /** Records are generated evenly: one per tick up to 1000/s; above that, one tick per millisecond carries
   *  rate/1000 records (fractions carried over), so a fast producer costs one timer event per ms, not per record. */
  private tick(ctx: Ctx): void {
    const rate = this.spec.ratePerSec;
    if (this.stopSending()) {
      this.ticking = false;
      return;
    }
    let n = 1;
    if (rate > 1000) {
      this.tickCarry += rate / 1000;
      n = Math.floor(this.tickCarry);
      this.tickCarry -= n;
      ctx.setTimer(1000, TICK);
    } else ctx.setTimer(Math.max(1, Math.round(1_000_000 / rate)), TICK);
    const before = this.sent;
    while (n-- > 0 && !this.stopSending()) this.produceOne(ctx);
    if (this.sent !== before) ctx.disk.writeBlob("producer/sent", this.sent);
    this.runSender(ctx);
  }

  private stopSending(): boolean {
    const limit = this.spec.messages;
    return !this.env.workloadActive() || this.halted || this.spec.ratePerSec <= 0 || (limit !== undefined && this.sent >= limit);
  }

  private produceOne(ctx: Ctx): void {
    let key: number | null = this.spec.keys > 0 ? ctx.rng.int(0, this.spec.keys - 1) : null;
    let partition: number | null = null;
    if (this.spec.logic) {
      const d = this.spec.logic({ nowMs: ctx.nowUs / 1000, sent: this.sent, random: () => ctx.rng.next() });
      if (d === null) return;
      if (d.key !== undefined) key = d.key;
      if (d.partition !== undefined) partition = d.partition;
    }
    this.sent++;
    const value = this.env.nextValue();
    this.send(ctx, this.spec.topic, value, key, partition, false);
  }

  /** KafkaProducer.send: record the invoke and hand the record to the accumulator. */
  private send(ctx: Ctx, topic: string, value: number, key: number | null, partition: number | null, deadLetter: boolean): void {
    this.env.history.recordSendInvoke(ctx.nowUs, this.name, topic, key, value, partition);
    const m = this.meta.get(topic);
    if (m === undefined) {
      this.pending.push({ topic, value, key, partition, createdUs: ctx.nowUs, deadLetter });
      this.metaStale = true;
      return;
    }
    this.append(ctx, topic, m, value, key, partition, ctx.nowUs, deadLetter);
  }

  private choosePartition(ctx: Ctx, topic: string, m: TopicMeta, key: number | null): number {
    if (key !== null && this.cfg.partitioner === "default") return partitionForKey(key, m.partitions);
    if (this.cfg.partitioner === "round-robin") return this.roundRobin++ % m.partitions;
    let p = this.sticky.get(topic);
    if (p === undefined || p >= m.partitions) {
      p = ctx.rng.int(0, m.partitions - 1);
      this.sticky.set(topic, p);
    }
    return p;
  }

  private switchSticky(ctx: Ctx, topic: string, partition: number): void {
    const m = this.meta.get(topic);
    if (m === undefined || this.sticky.get(topic) !== partition || m.partitions < 2) return;
    let p = ctx.rng.int(0, m.partitions - 2);
    if (p >= partition) p++;
    this.sticky.set(topic, p);
  }

  private append(ctx: Ctx, topic: string, m: TopicMeta, value: number, key: number | null, forced: number | null, createdUs: number, deadLetter: boolean): void {
    const partition = forced !== null && forced >= 0 && forced < m.partitions ? forced : this.choosePartition(ctx, topic, m, key);
    let q: Batch[];
    let tp: string;
    if (partition === this.lastAppendPartition && topic === this.lastAppendTopic) {
      q = this.lastAppendQueue;
      tp = this.lastAppendTp;
    } else {
      tp = this.tpName(topic, partition);
      q = this.queue(tp);
      this.lastAppendTopic = topic;
      this.lastAppendPartition = partition;
      this.lastAppendTp = tp;
      this.lastAppendQueue = q;
    }
    let last = q[q.length - 1];
    if (last === undefined || last.attempts > 0 || last.values.length >= this.recordsPerBatch || last.deadLetter !== deadLetter) {
      last = { topic, partition, tp, values: [], keys: [], deadLetter, createdUs, attempts: 0, lastAttemptUs: -Infinity, baseSequence: -1, epoch: this.epoch, maybeWritten: false, lastError: "NONE" };
      q.push(last);
    }
    last.values.push(value);
    last.keys.push(key ?? -1);
    if (last.values.length >= this.recordsPerBatch && key === null) this.switchSticky(ctx, topic, partition);
  }

  private queue(tp: string): Batch[] {
    let q = this.queues.get(tp);
    if (q === undefined) {
      q = [];
      this.queues.set(tp, q);
      this.queueList.push(q);
    }
    return q;
  }

  /** "topic-partition", interned (the accumulator's hot path would otherwise build a string per record). */
  private tpName(topic: string, partition: number): string {
    let names = this.tpNames.get(topic);
    if (names === undefined) this.tpNames.set(topic, (names = []));
    return (names[partition] ??= `${topic}-${partition}`);
  }

  // ---------------------------------------------------------------- sender

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

  private runSender(ctx: Ctx): void {
    const now = ctx.nowUs;
    const deliveryUs = this.cfg["delivery.timeout.ms"] * 1000;
    const backoffUs = this.cfg["retry.backoff.ms"] * 1000;
    // Expire queued batches past delivery.timeout.ms; in-flight ones wait. RecordAccumulator.expiredBatches looks at
    // each partition's deque from its head and stops at the first batch that has not expired.
    const queues = this.queueList;
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
    for (let i = 0; i < this.pending.length; i++) {
      const r = this.pending[i] as (typeof this.pending)[number];
      if (now - r.createdUs >= deliveryUs) {
        this.pending.splice(i--, 1);
        this.finalFailure(ctx, r.topic, -1, r.value, r.key, "DELIVERY_TIMEOUT", false, r.deadLetter);
      }
    }
    // Metadata.
    if (now - this.lastMetadataUs >= this.cfg["metadata.max.age.ms"] * 1000) this.metaStale = true;
    if (this.metaStale && !this.hasKind("metadata")) {
      if (now >= this.metaRetryAtUs) this.requestMetadata(ctx);
      else this.wakeAt(ctx, this.metaRetryAtUs);
    }
    // Idempotence: a producer id first; an epoch bump only once nothing is in flight.
    if (this.idempotent) {
      if (this.producerId < 0) {
        if (!this.pidRequested && now >= this.pidRetryAtUs) this.requestPid(ctx);
        else if (!this.pidRequested) this.wakeAt(ctx, this.pidRetryAtUs);
        return;
      }
      // KIP-360 / TransactionManager: bump only once every batch sent under this epoch is resolved (acknowledged,
      // or failed for good); until then such batches keep their sequence and are retried, new ones wait.
      if (this.bumpRequested && !this.hasKind("produce") && !this.hasUnresolvedRetry()) this.bumpEpoch(ctx);
    }
    // Drain: per leader, one batch per partition, while the connection has room (RecordAccumulator.drain).
    const lingerUs = this.cfg["linger.ms"] * 1000;
    const maxInflight = this.cfg["max.in.flight.requests.per.connection"];
    let nextUs = Infinity;
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
        const leader = this.meta.get(b.topic)?.leaders[b.partition] ?? null;
        if (leader === null) {
          this.metaStale = true;
          continue;
        }
        const readyAtUs = b.attempts > 0 ? b.lastAttemptUs + backoffUs : b.values.length >= this.recordsPerBatch || q.length > 1 || !this.env.workloadActive() ? now : b.createdUs + lingerUs;
        if (readyAtUs > now) {
          nextUs = Math.min(nextUs, readyAtUs);
          continue;
        }
        // While an epoch bump waits, only batches that keep their sequence under this epoch are sent.
        if (this.bumpRequested && !this.keepsSequence(b)) continue;
        // With idempotence a retried batch waits until its partition has nothing in flight, so sequences resolve
        // in order (TransactionManager's unresolved-sequence rules, simplified).
        if (this.idempotent && b.attempts > 0 && this.hasInflightFor(b.tp)) continue;
        // With in-flight 1 Kafka mutes the partition while a batch is in flight, idempotent or not (KafkaProducer:
        // guaranteeMessageOrder = max.in.flight == 1; RecordAccumulator.drain skips muted partitions): else a new
        // batch goes to a new leader while the previous one is still in flight to the old one, ahead of its retry.
        if (maxInflight === 1 && this.hasInflightFor(b.tp)) continue;
        let list = byLeader[leader];
        if (list === undefined) {
          byLeader[leader] = list = [];
          leaders[nLeaders++] = leader;
        }
        list.push(b);
      }
      if (nLeaders === 0) break;
      let sent = false;
      for (let li = 0; li < nLeaders; li++) {
        const leader = leaders[li] as number;
        const batches = byLeader[leader] as Batch[];
        byLeader[leader] = undefined;
        const node = (this.leaderNodes[leader] ??= brokerNode(leader));
        if ((this.inflightPerNode.get(node) ?? 0) >= maxInflight) continue;
        for (const b of batches) {
          const q = this.queues.get(b.tp) as Batch[];
          q.shift();
          if (b.attempts === 0 && b.partition === this.sticky.get(b.topic) && b.keys[0] === -1) this.switchSticky(ctx, b.topic, b.partition);
          if (this.idempotent && (b.baseSequence < 0 || b.epoch !== this.epoch)) {
            const seq = this.nextSeq.get(b.tp) ?? 0;
            b.baseSequence = seq;
            b.epoch = this.epoch;
            this.nextSeq.set(b.tp, seq + b.values.length);
          }
          b.lastAttemptUs = now;
        }
        this.sendProduce(ctx, node, batches);
        sent = true;
      }
      if (!sent) break;
    }
    if (nextUs < Infinity) this.wakeAt(ctx, nextUs);
    // Next delivery-timeout expiry of anything queued (the heads as they were before this drain: a batch sent
    // since then only makes the wake-up early, and a wake-up that finds nothing due just drains again).
    for (const r of this.pending) oldest = Math.min(oldest, r.createdUs);
    if (oldest < Infinity) this.wakeAt(ctx, oldest + deliveryUs);
  }

  /** A batch sent under the current epoch whose sequence the broker has not rejected: it must be retried with
   *  that same sequence (a retry under a new epoch would be appended again if the first attempt was written). */
  private keepsSequence(b: Batch): boolean {
    return b.baseSequence >= 0 && b.epoch === this.epoch && b.lastError !== "OUT_OF_ORDER_SEQUENCE_NUMBER" && b.lastError !== "UNKNOWN_PRODUCER_ID";
  }

  private hasUnresolvedRetry(): boolean {
    for (const q of this.queueList) for (const b of q) if (b.attempts > 0 && this.keepsSequence(b)) return true;
    return false;
  }

  private hasKind(kind: InFlight["kind"]): boolean {
    for (const f of this.inflight.values()) if (f.kind === kind) return true;
    return false;
  }

  private track(ctx: Ctx, f: InFlight): void {
    this.inflight.set(f.corr, f);
    this.inflightPerNode.set(f.node, (this.inflightPerNode.get(f.node) ?? 0) + 1);
    f.timer = ctx.setTimer(this.cfg["request.timeout.ms"] * 1000, f);
  }

  /** Remove a completed request from the books; undefined if it was already failed (late response). */
  private take(ctx: Ctx, corr: number): InFlight | undefined {
    const f = this.inflight.get(corr);
    if (f === undefined) return undefined;
    this.inflight.delete(corr);
    this.inflightPerNode.set(f.node, (this.inflightPerNode.get(f.node) ?? 1) - 1);
    ctx.cancelTimer(f.timer);
    return f;
  }

  private requestMetadata(ctx: Ctx): void {
    const nodes = this.env.bootstrap;
    if (nodes.length === 0) return;
    const node = nodes[this.metaNode % nodes.length] as NodeId;
    const corr = ++this.corr;
    const topics = this.spec.onFailure === "dead-letter" ? [this.spec.topic, this.dltTopic] : [this.spec.topic];
    ctx.emit({ type: "metadata-refresh", client: this.name });
    this.track(ctx, { kind: "metadata", corr, node, batches: [], timer: -1 });
    ctx.send(node, { type: "metadata", corr, topics });
  }

  private requestPid(ctx: Ctx): void {
    const nodes = this.env.bootstrap;
    if (nodes.length === 0) return;
    const node = nodes[this.metaNode % nodes.length] as NodeId;
    const corr = ++this.corr;
    this.pidRequested = true;
    this.track(ctx, { kind: "init-pid", corr, node, batches: [], timer: -1 });
    ctx.send(node, { type: "group.init-producer-id", corr });
  }

  private bumpEpoch(ctx: Ctx): void {
    // KIP-360: the idempotent producer bumps its epoch and restarts every partition's sequence at 0.
    this.bumpRequested = false;
    this.epoch++;
    this.nextSeq.clear();
    ctx.emit({ type: "producer-epoch-bump", producer: this.name, producerId: this.producerId, producerEpoch: this.epoch });
  }

  private onMetadata(ctx: Ctx, msg: MetadataResponse): void {
    const f = this.take(ctx, msg.corr);
    if (f === undefined) return;
    const byTopic = new Map<string, (number | null)[]>();
    for (const p of msg.partitions) {
      let l = byTopic.get(p.topic);
      if (l === undefined) byTopic.set(p.topic, (l = []));
      l[p.partition] = p.error === "NONE" ? p.leader : null;
    }
    let complete = byTopic.size > 0;
    for (const [topic, leaders] of byTopic) {
      const filled = Array.from({ length: leaders.length }, (_, i) => leaders[i] ?? null);
      if (filled.some((l) => l === null)) complete = false;
      this.meta.set(topic, { partitions: filled.length, leaders: filled });
    }
    this.lastMetadataUs = ctx.nowUs;
    this.metaStale = !complete;
    // Metadata.refreshBackoffMs: the next refresh waits retry.backoff.ms.
    this.metaRetryAtUs = ctx.nowUs + this.cfg["retry.backoff.ms"] * 1000;
    if (!complete) this.metaNode++;
    // Records waiting for their topic's metadata go to the accumulator now.
    for (let i = 0; i < this.pending.length; i++) {
      const r = this.pending[i] as (typeof this.pending)[number];
      const m = this.meta.get(r.topic);
      if (m === undefined) continue;
      this.pending.splice(i--, 1);
      this.append(ctx, r.topic, m, r.value, r.key, r.partition, r.createdUs, r.deadLetter);
    }
    this.runSender(ctx);
  }

  private sendProduce(ctx: Ctx, node: NodeId, batches: Batch[]): void {
    const corr = ++this.corr;
    // The record arrays are shared, not copied: a batch that has left its queue is never appended to again.
    const wire: ProduceBatch[] = batches.map((b) => ({ topic: b.topic, partition: b.partition, baseSequence: this.idempotent ? b.baseSequence : -1, values: b.values, keys: b.keys }));
    const epoch = this.idempotent ? this.epoch : -1;
    ctx.send(node, { type: "produce", corr, acks: this.acks, timeoutMs: this.cfg["request.timeout.ms"], producerId: this.idempotent ? this.producerId : -1, producerEpoch: epoch, batches: wire });
    if (this.acks === 0) {
      // acks=0: the broker answers nothing; the send completes as soon as it is written to the socket.
      for (const b of batches) for (let i = 0; i < b.values.length; i++) this.recordOk(ctx, b, i, -1);
      return;
    }
    this.track(ctx, { kind: "produce", corr, node, batches, timer: -1 });
  }

  private onProduceResponse(ctx: Ctx, msg: ProduceResponse): void {
    const f = this.take(ctx, msg.corr);
    if (f === undefined) return;
    for (const b of f.batches) {
      const r = responseFor(msg, b);
      const error: KafkaErrorCode = r === undefined ? "NETWORK_EXCEPTION" : r.error;
      if (error === "NONE") {
        for (let i = 0; i < b.values.length; i++) this.recordOk(ctx, b, i, (r as { baseOffset: number }).baseOffset < 0 ? -1 : (r as { baseOffset: number }).baseOffset + i);
      } else if (error === "DUPLICATE_SEQUENCE_NUMBER" && this.idempotent) {
        // Already written by an earlier attempt: success, offsets unknown (Sender.completeBatch).
        for (let i = 0; i < b.values.length; i++) this.recordOk(ctx, b, i, -1);
      } else {
        this.attemptFailed(ctx, b, error, f.batches);
      }
    }
    this.runSender(ctx);
  }

  private failConnection(ctx: Ctx, node: NodeId, error: KafkaErrorCode): void {
    const failed: InFlight[] = [];
    for (const f of this.inflight.values()) if (f.node === node) failed.push(f);
    if (failed.length === 0) return;
    for (const f of failed) {
      this.take(ctx, f.corr);
      if (f.kind === "metadata") {
        this.metaNode++;
        this.metaStale = true;
        this.metaRetryAtUs = ctx.nowUs + this.cfg["retry.backoff.ms"] * 1000;
      } else if (f.kind === "init-pid") {
        this.metaNode++;
        this.pidRequested = false;
        this.pidRetryAtUs = ctx.nowUs + this.cfg["retry.backoff.ms"] * 1000;
      } else {
        for (const b of f.batches) this.attemptFailed(ctx, b, error, f.batches);
      }
    }
    this.runSender(ctx);
  }

  /** Sender.canRetry + TransactionManager.canRetry: retry or give up. */
  private attemptFailed(ctx: Ctx, b: Batch, error: KafkaErrorCode, _siblings: readonly Batch[]): void {
    if (attemptMayHaveWritten(error)) b.maybeWritten = true;
    if (needsMetadata(error)) this.metaStale = true;
    let retriable = isRetriable(error);
    if (this.idempotent && (error === "OUT_OF_ORDER_SEQUENCE_NUMBER" || error === "UNKNOWN_PRODUCER_ID")) {
      retriable = true;
      // A real gap (no earlier batch of this partition unresolved): bump the epoch and restart sequences.
      if (!this.hasEarlierUnresolved(b)) this.bumpRequested = true;
    }
    const withinDelivery = ctx.nowUs - b.createdUs < this.cfg["delivery.timeout.ms"] * 1000;
    if (retriable && withinDelivery && b.attempts < this.cfg.retries) {
      b.attempts++;
      b.lastError = error;
      this.reenqueue(b);
      return;
    }
    this.failBatch(ctx, b, retriable && !withinDelivery ? "DELIVERY_TIMEOUT" : error);
  }

  private hasEarlierUnresolved(b: Batch): boolean {
    for (const f of this.inflight.values()) for (const x of f.batches) if (x.tp === b.tp && x.epoch === b.epoch && x.baseSequence < b.baseSequence) return true;
    for (const x of this.queues.get(b.tp) ?? []) if (x.attempts > 0 && x.epoch === b.epoch && x.baseSequence >= 0 && x.baseSequence < b.baseSequence) return true;
    return false;
  }

  /** RecordAccumulator.reenqueue: at the front; with idempotence, in sequence order among the retries. */
  private reenqueue(b: Batch): void {
    const q = this.queue(b.tp);
    if (!this.idempotent || b.baseSequence < 0) {
      q.unshift(b);
      return;
    }
    let i = 0;
    while (i < q.length) {
      const x = q[i] as Batch;
      if (x.baseSequence < 0 || x.epoch !== b.epoch || x.baseSequence > b.baseSequence) break;
      i++;
    }
    q.splice(i, 0, b);
  }

  private recordOk(ctx: Ctx, b: Batch, i: number, offset: number): void {
    this.env.history.recordSendOk(ctx.nowUs, this.name, b.topic, b.keys[i] as number, b.values[i] as number, b.partition, offset);
  }

  private failBatch(ctx: Ctx, b: Batch, error: KafkaErrorCode): void {
    if (this.idempotent && b.maybeWritten) {
      // The sequence of a batch that may or may not have been written is unresolved: bump (KIP-360).
      this.bumpRequested = true;
    }
    for (let i = 0; i < b.values.length; i++) {
      const key = b.keys[i] as number;
      this.finalFailure(ctx, b.topic, b.partition, b.values[i] as number, key < 0 ? null : key, error, b.maybeWritten, b.deadLetter);
    }
  }

  /** A record failed for good: record fail (certainly not written) or info (maybe written), apply the policy. */
  private finalFailure(ctx: Ctx, topic: string, partition: number, value: number, key: number | null, error: KafkaErrorCode, maybeWritten: boolean, deadLetter: boolean): void {
    const policy: FailurePolicy = deadLetter ? "log" : this.spec.onFailure;
    const outcome = maybeWritten ? "info" : "fail";
    const v = partition >= 0 ? { topic, key, value, partition, error, policy } : { topic, key, value, error, policy };
    this.env.history.record({ timeUs: ctx.nowUs, process: this.name, type: outcome, f: "send", value: v });
    ctx.emit({ type: "send-failed", producer: this.name, topic, partition, value, error, policy, outcome });
    switch (policy) {
      case "drop":
      case "log":
        return;
      case "halt":
        if (!this.halted) {
          this.halted = true;
          ctx.disk.writeBlob("producer/halted", true);
          ctx.emit({ type: "producer-halted", producer: this.name, reason: `${error} on ${topic}-${partition} value ${value}` });
        }
        return;
      case "dead-letter":
        this.send(ctx, this.dltTopic, value, key, null, true);
        return;
      default: {
        const never: never = policy;
        invariant(false, `unknown failure policy ${String(never)}`);
      }
    }
  }

  /** For tests and diagnostics. */
  get state(): { readonly producerId: number; readonly epoch: number; readonly halted: boolean; readonly idempotent: boolean; readonly ticking: boolean } {
    return { producerId: this.producerId, epoch: this.epoch, halted: this.halted, idempotent: this.idempotent, ticking: this.ticking };
  }
}
