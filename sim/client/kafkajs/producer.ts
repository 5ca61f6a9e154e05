// kafkajs's Producer (src/producer/index.js, messageProducer.js) over the modelled producer: `connect`,
// `send({ topic, acks, messages })` and `sendBatch({ topicMessages })` resolve to kafkajs's RecordMetadata per
// partition, or reject with kafkajs's errors, in virtual time. Each message becomes one record of the modelled
// producer (sim/client/producer.ts: batching, in-flight limit, retries, idempotence, the history the checkers read)
// under the next unique record number; its bytes stay in the link's message store. Partitions are chosen as
// kafkajs's DefaultPartitioner does: the message's own, else murmur2 of the key bytes, else round robin over the
// partitions with a leader from a random start (src/producer/partitioners/legacy/partitioner.js).
import type { NodeContext } from "../../core/node.ts";
import type { NodeId } from "../../core/ids.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { Message as WireMessage } from "../../kafka/protocol.ts";
import type { TraceEvent } from "../../events.ts";
import type { ProducerSpec } from "../../scenario/types.ts";
import type { ClientEnv } from "../env.ts";
import { Producer } from "../producer.ts";
import type { TopicMeta } from "../producer-metadata.ts";
import type { RecordListener } from "../producer-sender.ts";
import { fireOwnerTimer } from "./host.ts";
import type { NodeOwner, Owner } from "./host.ts";
import type { KafkaJSLink } from "./link.ts";
import type { Message } from "./messages.ts";
import { KafkaJSEos } from "./eos.ts";
import type { EosProcess, TxnRecord } from "./eos.ts";
import { TxnChannel } from "./txn-channel.ts";
import { KafkaJSTransaction } from "./transaction.ts";
import type { RetryOptions } from "./retry.ts";
import { KafkaJSConnectionError, KafkaJSError, KafkaJSNonRetriableError, sendFailure } from "./errors.ts";

type Ctx = NodeContext<WireMessage, TraceEvent>;

export interface RecordMetadata {
  readonly topicName: string;
  readonly partition: number;
  readonly errorCode: number;
  readonly baseOffset: string;
  readonly logAppendTime: string;
  readonly logStartOffset: string;
}

export interface ProducerRecord {
  readonly topic: string;
  readonly messages: readonly Message[];
  readonly acks?: number;
  readonly timeout?: number;
  readonly compression?: number;
}

export interface ProducerBatch {
  readonly acks?: number;
  readonly timeout?: number;
  readonly compression?: number;
  readonly topicMessages?: readonly { readonly topic: string; readonly messages: readonly Message[] }[];
}

interface OutRecord {
  readonly topic: string;
  readonly value: number;
  readonly keyId: number | null;
  readonly partition: number | null;
}

/** A send() in flight: its records by number, and who awaits it. */
interface PendingSend {
  readonly owner: Owner;
  left: number;
  settled: boolean;
  /** Per topic-partition, in first-seen order: the lowest offset acknowledged. */
  readonly byTp: Map<string, { topicName: string; partition: number; baseOffset: number }>;
  readonly resolve: (r: RecordMetadata[]) => void;
  readonly reject: (e: Error) => void;
}

/** A timer tag: records handed to the producer's process by user code. */
class ExternalSend {
  constructor(readonly records: readonly OutRecord[]) {}
}

/** The producer's process: the modelled producer whose records come from send() instead of a workload; with a
 *  transactionalId, also the process kafkajs's transactional code runs in (eos.ts, through its TxnChannel). */
export class KafkaJSProducerActor extends Producer implements EosProcess {
  private readonly rrCounters = new Map<string, number>();
  private owner: NodeOwner | null = null;
  ctx!: Ctx;

  constructor(
    spec: ProducerSpec,
    env: ClientEnv,
    private readonly api: KafkaJSProducer,
  ) {
    super(spec, env);
    this.recordListener = api;
  }

  override onStart(ctx: Ctx): void {
    super.onStart(ctx);
    this.ctx = ctx;
    this.owner = this.api.link.host.nodeOwner(ctx, this);
    this.api.attach(this, ctx, this.owner);
  }

  override onTimer(ctx: Ctx, tag: unknown): void {
    if (fireOwnerTimer(this.owner, tag) || this.api.chan.onTimer(tag)) return;
    if (!(tag instanceof ExternalSend)) return super.onTimer(ctx, tag);
    for (const r of tag.records) {
      if (!this.metadataTopics.includes(r.topic)) {
        this.metadataTopics.push(r.topic);
        this.metadata.stale = true;
      }
      this.send(ctx, r.topic, r.value, r.keyId, r.partition, false);
    }
    this.sender.run(ctx);
  }

  override onMessage(ctx: Ctx, from: NodeId, msg: WireMessage): void {
    if (this.api.chan.owns(msg)) return this.api.chan.onResponse(msg);
    super.onMessage(ctx, from, msg);
  }

  override onDisconnect(ctx: Ctx, peer: NodeId): void {
    this.api.chan.onDisconnect(peer);
    super.onDisconnect(ctx, peer);
  }

  /** kafkajs's DefaultPartitioner for a record that names no partition (once its topic's metadata is known). */
  protected override append(ctx: Ctx, topic: string, m: TopicMeta, value: number, key: number | null, forced: number | null, createdUs: number, deadLetter: boolean): void {
    super.append(ctx, topic, m, value, key, forced ?? this.partitionOf(ctx, topic, m, value, key), createdUs, deadLetter);
  }

  partitionOf(ctx: Ctx, topic: string, m: TopicMeta, value: number, key: number | null): number {
    if (key !== null) return (this.api.link.store.keyHash(value) & 0x7fffffff) % m.partitions;
    // counters[topic] starts at randomBytes(32).readUInt32BE(0); round robin over the partitions with a leader.
    let counter = this.rrCounters.get(topic) ?? ctx.rng.int(0, 0xffffffff);
    counter = (counter + 1) >>> 0;
    this.rrCounters.set(topic, counter);
    const available: number[] = [];
    for (let p = 0; p < m.partitions; p++) if (m.leaders[p] !== null && m.leaders[p] !== undefined) available.push(p);
    return available.length > 0 ? (available[(counter & 0x7fffffff) % available.length] as number) : (counter & 0x7fffffff) % m.partitions;
  }
}

export interface KafkaJSProducerConfig {
  readonly idempotent?: boolean;
  readonly maxInFlightRequests?: number | null;
  readonly transactionalId?: string;
  /** InitProducerId's transaction timeout (kafkajs's default 60000). */
  readonly transactionTimeout?: number;
  readonly retry?: { readonly retries?: number; readonly initialRetryTime?: number; readonly maxRetryTime?: number };
  readonly metadataMaxAge?: number;
  readonly allowAutoTopicCreation?: boolean;
  /** kafkasim: the acks of every send (the oracle judges a producer by one acks value); kafkajs's default -1. */
  readonly acks?: -1 | 0 | 1;
  /** kafkasim: the producer's node id (a fault target); default `<clientId>-producer-<n>`. */
  readonly id?: string;
}

/** How a transactional producer's transactions run (kafka.ts sets it from the producer's options). */
export interface TxnOptions {
  readonly transactionalId: string;
  readonly transactionTimeoutMs: number;
  readonly retry: RetryOptions;
  readonly requestTimeoutMs: number;
}

/** A call into the producer's process (a transaction's operation) that the caller awaits. */
interface PendingCall {
  readonly owner: Owner;
  settled: boolean;
  readonly reject: (e: Error) => void;
}

/** kafkajs's Producer. */
export class KafkaJSProducer implements RecordListener {
  private actor: KafkaJSProducerActor | null = null;
  private ctx: Ctx | null = null;
  private status: "disconnected" | "connected" = "disconnected";
  private readonly pending = new Map<number, PendingSend>();
  /** The requests of kafkajs's transactional code (its process's). */
  readonly chan: TxnChannel;
  /** The transactional state of the process's incarnation (kafkajs's transactionalEosManager); null without a
   *  transactionalId or while the process is down. */
  private eos: KafkaJSEos | null = null;
  private readonly calls = new Set<PendingCall>();

  constructor(
    readonly link: KafkaJSLink,
    readonly spec: ProducerSpec,
    readonly acks: -1 | 0 | 1,
    private readonly idempotent: boolean,
    private readonly txn: TxnOptions | null = null,
  ) {
    this.chan = new TxnChannel(link, txn?.requestTimeoutMs ?? spec.config["request.timeout.ms"]);
  }

  /** The node id of its process (a fault target). */
  get id(): string {
    return this.spec.id;
  }

  /** Its process booted (first start or restart): a new incarnation, whose kafkajs state starts afresh. */
  attach(actor: KafkaJSProducerActor, ctx: Ctx, owner: NodeOwner): void {
    this.actor = actor;
    this.ctx = ctx;
    this.chan.attach(ctx, owner);
    const txn = this.txn;
    this.eos = txn === null ? null : new KafkaJSEos(this.link, this.chan, actor, txn);
  }

  /** Its process died: the sends and transactional calls it had in flight fail as a broken connection does; its
   *  transactions end with it (the coordinator aborts them when a new incarnation initialises, or on timeout). */
  processDied(): void {
    const host = this.link.host;
    const failed = new Set<PendingSend>();
    for (const p of this.pending.values()) failed.add(p);
    this.pending.clear();
    const error = (): KafkaJSConnectionError => new KafkaJSConnectionError(`Connection error: the process of producer ${this.spec.id} died`, { broker: this.spec.id });
    for (const p of failed) {
      if (p.settled) continue;
      p.settled = true;
      host.run(p.owner, () => p.reject(error()));
    }
    this.eos = null;
    const calls = [...this.calls];
    this.calls.clear();
    for (const c of calls) {
      if (c.settled) continue;
      c.settled = true;
      host.run(c.owner, () => c.reject(error()));
    }
  }

  private live(): { actor: KafkaJSProducerActor; ctx: Ctx } | null {
    const a = this.actor;
    const ctx = this.ctx;
    if (a === null || ctx === null || this.link.host.rt.actor(ctx.self as NodeId) !== a) return null;
    return { actor: a, ctx };
  }

  async connect(): Promise<void> {
    this.status = "connected";
  }

  async disconnect(): Promise<void> {
    this.status = "disconnected";
  }

  isIdempotent(): boolean {
    return this.idempotent;
  }

  /** The transactional state of the running incarnation (a transaction of an earlier one is over). */
  currentEos(): KafkaJSEos | null {
    return this.eos;
  }

  /** producer.transaction() (src/producer/index.js): initialise the producer id once, then begin a transaction. */
  async transaction(): Promise<KafkaJSTransaction> {
    if (this.txn === null) throw new KafkaJSNonRetriableError("Must provide transactional id for transactional producer");
    const eos = this.eos;
    if (eos === null) throw new KafkaJSConnectionError(`Connection error: the process of producer ${this.spec.id} is down`, { broker: this.spec.id });
    if (eos.isInTransaction()) throw new KafkaJSNonRetriableError("There is already an ongoing transaction for this producer. Please end the transaction before beginning another.");
    if (!eos.isInitialized()) await this.inProcess(eos, () => eos.initProducerId());
    eos.beginTransaction();
    return new KafkaJSTransaction(this, eos);
  }

  /** Run kafkajs's transactional code `op` in the producer's process; the caller's promise settles (on its clock)
   *  with op's outcome, or with a KafkaJSConnectionError if the process dies first. */
  inProcess<T>(eos: KafkaJSEos, op: () => Promise<T>): Promise<T> {
    const owner = this.chan.processOwner;
    if (this.eos !== eos || owner === null || !owner.alive()) return Promise.reject(new KafkaJSConnectionError(`Connection error: the process of producer ${this.spec.id} is down`, { broker: this.spec.id }));
    const host = this.link.host;
    const caller = host.current;
    return new Promise<T>((resolve, reject) => {
      const call: PendingCall = { owner: caller, settled: false, reject };
      this.calls.add(call);
      const settle = (ok: boolean, v: unknown): void => {
        owner.after(0, () => {
          if (call.settled) return;
          call.settled = true;
          this.calls.delete(call);
          host.run(caller, () => (ok ? resolve(v as T) : reject(v)));
        });
      };
      owner.after(0, () =>
        host.run(owner, () => {
          let out: Promise<T>;
          try {
            out = op();
          } catch (e) {
            out = Promise.reject(e);
          }
          out.then(
            (v) => settle(true, v),
            (e: unknown) => settle(false, e),
          );
        }),
      );
    });
  }

  /** A transaction's send: kafkajs's validation (idempotent: acks -1), then the records, invoked in the producer's
   *  process, go through the transactional sendMessages (eos.ts). */
  sendInTransaction(eos: KafkaJSEos, { acks = -1, topicMessages = [] }: ProducerBatch): Promise<RecordMetadata[]> {
    try {
      this.validate(acks, topicMessages, true);
    } catch (e) {
      return Promise.reject(e);
    }
    const link = this.link;
    return this.inProcess(eos, () => {
      const live = this.live();
      if (live === null) return Promise.reject(new KafkaJSConnectionError(`Connection error: the process of producer ${this.spec.id} is down`, { broker: this.spec.id }));
      const { actor, ctx } = live;
      const nowMs = link.wallMs();
      const records: TxnRecord[] = [];
      for (const { topic, messages } of topicMessages) {
        for (const m of messages) {
          const value = actor.env.nextValue();
          const prep = link.store.put(value, m, nowMs);
          records.push({ topic, value, keyId: prep.keyId, partition: prep.partition ?? -1, written: false, maybeWritten: false, lastError: "NONE" });
          actor.env.history.recordSendInvoke(ctx.nowUs, this.spec.id, topic, prep.keyId, value, prep.partition);
        }
      }
      if (records.length === 0) return Promise.resolve([]);
      return eos.send(records);
    });
  }

  on(): () => void {
    return () => {};
  }

  logger(): { info(): void; warn(): void; error(): void; debug(): void } {
    const nop = (): void => {};
    return { info: nop, warn: nop, error: nop, debug: nop };
  }

  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    const batch: ProducerBatch = { topicMessages: [{ topic: record.topic, messages: record.messages }], ...(record.acks !== undefined ? { acks: record.acks } : {}) };
    return this.sendBatch(batch);
  }

  /** messageProducer.sendBatch: validate as kafkajs does, then hand every message to the producer's process. */
  sendBatch({ acks = -1, topicMessages = [] }: ProducerBatch): Promise<RecordMetadata[]> {
    try {
      return this.startSend(acks, topicMessages);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** messageProducer.sendBatch's checks (a transaction's sends are idempotent), and kafkasim's own. */
  private validate(acks: number, topicMessages: NonNullable<ProducerBatch["topicMessages"]>, idempotent: boolean): void {
    if (topicMessages.some(({ topic }) => !topic)) throw new KafkaJSNonRetriableError("Invalid topic");
    if (idempotent && acks !== -1) throw new KafkaJSNonRetriableError("Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees");
    for (const { topic, messages } of topicMessages) {
      if (!Array.isArray(messages)) throw new KafkaJSNonRetriableError(`Invalid messages array [${String(messages)}] for topic "${topic}"`);
      const without = messages.find((m) => m.value === undefined);
      if (without !== undefined) throw new KafkaJSNonRetriableError(`Invalid message without value for topic "${topic}": ${JSON.stringify(without)}`);
    }
    if (this.status !== "connected") throw new KafkaJSError("The producer is disconnected");
    if (acks !== this.acks) throw new KafkaJSNonRetriableError(`kafkasim: producer ${this.spec.id} sends with acks=${this.acks} (kafka.producer({ acks })): the oracle judges a producer by one acks value; this send asked for acks=${acks}`);
    const link = this.link;
    for (const { topic, messages } of topicMessages) {
      const partitions = link.topics.get(topic);
      if (partitions === undefined) throw new KafkaJSNonRetriableError(`kafkasim: topic "${topic}" does not exist (topics are the scenario's: ${[...link.topics.keys()].join(", ")})`);
      for (const m of messages) {
        if (m.partition !== undefined && m.partition !== null && !(Number.isInteger(m.partition) && m.partition >= 0 && m.partition < partitions)) {
          throw new KafkaJSNonRetriableError(`kafkasim: topic "${topic}" has partitions 0..${partitions - 1}; a message asks for partition ${String(m.partition)}`);
        }
      }
    }
  }

  private startSend(acks: number, topicMessages: NonNullable<ProducerBatch["topicMessages"]>): Promise<RecordMetadata[]> {
    this.validate(acks, topicMessages, this.idempotent);
    const link = this.link;
    const live = this.live();
    if (live === null) throw new KafkaJSConnectionError(`Connection error: the process of producer ${this.spec.id} is down`, { broker: this.spec.id });
    const { actor, ctx } = live;
    const owner = link.current();
    let resolve: (r: RecordMetadata[]) => void = () => {};
    let reject: (e: Error) => void = () => {};
    const promise = new Promise<RecordMetadata[]>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const records: OutRecord[] = [];
    const p: PendingSend = { owner, left: 0, settled: false, byTp: new Map(), resolve, reject };
    const nowMs = link.wallMs();
    for (const { topic, messages } of topicMessages) {
      for (const m of messages) {
        const value = actor.env.nextValue();
        const prep = link.store.put(value, m, nowMs);
        records.push({ topic, value, keyId: prep.keyId, partition: prep.partition });
        this.pending.set(value, p);
        p.left++;
      }
    }
    if (records.length === 0) return Promise.resolve([]);
    // The records reach the producer's process as an event (in order with its other events; held while it is
    // paused, lost if it dies first).
    ctx.setTimer(0, new ExternalSend(records));
    return promise;
  }

  // ---------------------------------------------------------------- the producer's process tells

  acked(value: number, topicName: string, partition: number, offset: number): void {
    const p = this.pending.get(value);
    if (p === undefined) return;
    this.pending.delete(value);
    if (p.settled) return;
    const k = `${topicName}-${partition}`;
    const e = p.byTp.get(k);
    if (e === undefined) p.byTp.set(k, { topicName, partition, baseOffset: offset });
    else if (offset >= 0 && (e.baseOffset < 0 || offset < e.baseOffset)) e.baseOffset = offset;
    if (--p.left > 0) return;
    p.settled = true;
    // acks=0: kafkajs expects no response and resolves to [] (sendMessages: expectResponse = acks !== 0).
    const out: RecordMetadata[] = this.acks === 0 ? [] : [...p.byTp.values()].map((x) => ({ topicName: x.topicName, partition: x.partition, errorCode: 0, baseOffset: String(x.baseOffset), logAppendTime: "-1", logStartOffset: "0" }));
    this.link.host.run(p.owner, () => p.resolve(out));
  }

  failed(value: number, error: KafkaErrorCode): void {
    const p = this.pending.get(value);
    if (p === undefined) return;
    this.pending.delete(value);
    if (p.settled) return;
    p.settled = true;
    const retries = this.spec.config.retries;
    this.link.host.run(p.owner, () => p.reject(sendFailure(error, retries)));
  }
}
