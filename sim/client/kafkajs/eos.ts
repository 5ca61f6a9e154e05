// kafkajs's transactional producer (tulios/kafkajs 2.2.x src/producer/eosManager/index.js, its state machine
// transactionStateMachine.js, and the transactional side of sendMessages.js), transliterated: it runs as async code
// of the producer's process and sends the simulation's messages through its TxnChannel (txn-channel.ts), so the
// brokers' transaction coordinator (sim/broker/txn/) and partition leaders answer it as they answer the modelled
// transactional producer (sim/client/transactions.ts). What kafkajs does, and therefore what this does (kafka-facts
// KJ11–KJ13):
//  - a FindCoordinator (key type transaction) before every coordinator request — kafkajs keeps no coordinator;
//  - InitProducerId with the transactionalId and transactionTimeout, once, under kafkajs's retrier (retried on
//    NOT_COORDINATOR_FOR_GROUP, GROUP_COORDINATOR_NOT_AVAILABLE, GROUP_LOAD_IN_PROGRESS, CONCURRENT_TRANSACTIONS);
//  - each transactional send: AddPartitionsToTxn for the partitions not yet in the transaction, then one produce
//    per leader (idempotent: sequence numbers per partition, rolled back when the request fails), the whole send
//    under kafkajs's retrier (retriable errors refresh the metadata and send again; others reject at once);
//  - sendOffsets: AddOffsetsToTxn (no retry), then TxnOffsetCommit to the group's coordinator under the retrier —
//    without the consumer's generation or member id (kafkajs has no KIP-447);
//  - commit / abort: EndTxn (no retry), skipped when nothing joined the transaction. A failed EndTxn leaves the
//    state machine in COMMITTING / ABORTING: the producer can begin no transaction again (kafkajs's own limit).
// Simplified: FindCoordinator asks the brokers in turn under one retrier (kafkajs's brokerPool.withBroker tries them
// in a shuffled order, each under its own retrier), and a send's keyless messages get their partitions once.
// kafkajs speaks the old request versions (InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn v0–v1,
// TxnOffsetCommit v0–v1), to which a broker answers a fenced producer INVALID_PRODUCER_EPOCH, not PRODUCER_FENCED
// (KIP-588, KafkaApis); kafkajs throws it as a non-retriable KafkaJSProtocolError.
import type { NodeContext } from "../../core/node.ts";
import type { NodeId } from "../../core/ids.ts";
import { brokerNode, brokerOfNode } from "../../core/ids.ts";
import { KAFKA_ERRORS, kafkaErrorNumber } from "../../kafka/errors.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { Message } from "../../kafka/protocol.ts";
import type { TraceEvent } from "../../events.ts";
import type { CommitValue } from "../../history.ts";
import type { ClientEnv } from "../env.ts";
import type { ProducerMetadata, TopicMeta } from "../producer-metadata.ts";
import type { KafkaJSLink } from "./link.ts";
import type { TxnChannel } from "./txn-channel.ts";
import { Retrier, isRetriableError } from "./retry.ts";
import type { RetryOptions } from "./retry.ts";
import { KafkaJSConnectionError, KafkaJSError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, createErrorFromCode } from "./errors.ts";
import type { KafkaJSProtocolError } from "./errors.ts";

type Ctx = NodeContext<Message, TraceEvent>;

export type TxnState = "UNINITIALIZED" | "READY" | "TRANSACTING" | "COMMITTING" | "ABORTING";

/** transactionStateMachine.js VALID_STATE_TRANSITIONS. */
const VALID: Readonly<Record<TxnState, readonly TxnState[]>> = {
  UNINITIALIZED: ["READY"],
  READY: ["READY", "TRANSACTING"],
  TRANSACTING: ["COMMITTING", "ABORTING"],
  COMMITTING: ["READY"],
  ABORTING: ["READY"],
};

const INIT_PRODUCER_RETRIABLE = ["NOT_COORDINATOR_FOR_GROUP", "GROUP_COORDINATOR_NOT_AVAILABLE", "GROUP_LOAD_IN_PROGRESS", "CONCURRENT_TRANSACTIONS"];
// kafkajs's lists for TxnOffsetCommit name the Java errors; its own types for codes 14–16 are GROUP_*, so only
// UNKNOWN_TOPIC_OR_PARTITION ever matches (a moved group coordinator fails sendOffsets): kept as kafkajs has them.
const COMMIT_RETRIABLE = ["UNKNOWN_TOPIC_OR_PARTITION", "COORDINATOR_LOAD_IN_PROGRESS"];
const COMMIT_STALE_COORDINATOR = ["COORDINATOR_NOT_AVAILABLE", "NOT_COORDINATOR"];
const STALE_METADATA = ["UNKNOWN_TOPIC_OR_PARTITION", "LEADER_NOT_AVAILABLE", "NOT_LEADER_FOR_PARTITION"];
/** kafkajs's default produce timeout (messageProducer: timeout = 30000). */
const PRODUCE_TIMEOUT_MS = 30_000;

/** A broker's answer to kafkajs's request versions: PRODUCER_FENCED is INVALID_PRODUCER_EPOCH for them (KIP-588). */
export function protocolError(code: KafkaErrorCode): KafkaJSProtocolError {
  return createErrorFromCode(kafkaErrorNumber(code === "PRODUCER_FENCED" ? "INVALID_PRODUCER_EPOCH" : code));
}

/** One record of a transactional send. */
export interface TxnRecord {
  readonly topic: string;
  readonly value: number;
  readonly keyId: number | null;
  /** The message's own partition, else chosen (kafkajs's partitioner) once the topic's metadata is known. */
  partition: number;
  written: boolean;
  /** An attempt ended without knowing whether the broker appended it. */
  maybeWritten: boolean;
  /** The last error an attempt to write it got (the history's fail / info). */
  lastError: KafkaErrorCode;
}

/** What the transactional producer needs of its process. */
export interface EosProcess {
  readonly name: string;
  readonly env: ClientEnv;
  readonly metadata: ProducerMetadata;
  readonly ctx: Ctx;
  /** kafkajs's DefaultPartitioner for a record without a partition. */
  partitionOf(ctx: Ctx, topic: string, m: TopicMeta, value: number, keyId: number | null): number;
}

export class KafkaJSEos {
  state: TxnState = "UNINITIALIZED";
  producerId = -1;
  producerEpoch = 0;
  private readonly sequences = new Map<string, number>();
  /** transactionTopicPartitions: "topic-partition" of the partitions added to the transaction. */
  private readonly inTxn = new Set<string>();
  private offsetsAdded = false;
  /** The open transaction's acknowledged records per topic (the txn-ended event), and its offsets per group. */
  private readonly txnValues = new Map<string, number[]>();
  private readonly txnOffsets = new Map<string, Map<string, { topic: string; partition: number; offset: number }>>();
  /** Per broker, the tail of kafkajs's broker lock (one produce at a time per broker). */
  private readonly brokerLocks = new Map<number, Promise<void>>();
  private findNode = 0;
  private fencedNoted = false;

  constructor(
    private readonly link: KafkaJSLink,
    private readonly chan: TxnChannel,
    private readonly proc: EosProcess,
    private readonly cfg: { readonly transactionalId: string; readonly transactionTimeoutMs: number; readonly retry: RetryOptions; readonly requestTimeoutMs: number },
  ) {}

  // ---------------------------------------------------------------- the state machine

  isInitialized(): boolean {
    return this.producerId !== -1;
  }

  isInTransaction(): boolean {
    return this.state === "TRANSACTING";
  }

  /** createGuarded: a method called in a state it is not legal in. */
  guard(method: string, legal: readonly TxnState[]): void {
    if (!legal.includes(this.state)) throw new KafkaJSNonRetriableError(`Transaction state exception: Cannot call "${method}" in state "${this.state}"`);
  }

  private transitionTo(to: TxnState): void {
    if (!VALID[this.state].includes(to)) throw new KafkaJSNonRetriableError(`Transaction state exception: Invalid transition ${this.state} --> ${to}`);
    this.state = to;
    if (to === "READY") {
      this.inTxn.clear();
      this.offsetsAdded = false;
      this.txnValues.clear();
      this.txnOffsets.clear();
    }
  }

  /** A transaction is ongoing once partitions or offsets were added to it. */
  private isOngoing(): boolean {
    return this.offsetsAdded || this.inTxn.size > 0;
  }

  beginTransaction(): void {
    this.guard("beginTransaction", ["READY"]);
    this.transitionTo("TRANSACTING");
  }

  // ---------------------------------------------------------------- eosManager

  async initProducerId(): Promise<void> {
    this.guard("initProducerId", ["UNINITIALIZED", "READY"]);
    await this.retry(async (bail) => {
      try {
        const coordinator = await this.findCoordinator(this.cfg.transactionalId, "transaction");
        const r = await this.chan.request(coordinator, (corr) => ({ type: "group.init-producer-id", corr, transactionalId: this.cfg.transactionalId, transactionTimeoutMs: this.cfg.transactionTimeoutMs }));
        if (r.type !== "group.init-producer-id-response") throw unexpected(r);
        if (r.error !== "NONE") throw this.refused(r.error);
        this.transitionTo("READY");
        this.producerId = r.producerId;
        this.producerEpoch = r.producerEpoch;
        this.sequences.clear();
        this.brokerLocks.clear();
      } catch (e) {
        if (INIT_PRODUCER_RETRIABLE.includes((e as { type?: string }).type ?? "")) throw e;
        bail(e);
      }
    });
  }

  private async addPartitionsToTransaction(partitions: readonly { topic: string; partition: number }[]): Promise<void> {
    this.guard("addPartitionsToTransaction", ["TRANSACTING"]);
    const fresh = partitions.filter((p) => !this.inTxn.has(`${p.topic}-${p.partition}`));
    if (fresh.length > 0) {
      const coordinator = await this.findCoordinator(this.cfg.transactionalId, "transaction");
      const r = await this.chan.request(coordinator, (corr) => ({ type: "txn.add-partitions", corr, transactionalId: this.cfg.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, partitions: fresh }));
      if (r.type !== "txn.add-partitions-response") throw unexpected(r);
      // AddPartitionsToTxn v0–v1 response: the first partition's error is thrown.
      const failed = r.results.find((x) => x.error !== "NONE");
      if (failed !== undefined) throw this.refused(failed.error);
    }
    for (const p of fresh) this.inTxn.add(`${p.topic}-${p.partition}`);
  }

  async sendOffsets(consumerGroupId: string, topics: readonly { readonly topic: string; readonly partitions: readonly { readonly partition: number; readonly offset: string }[] }[]): Promise<void> {
    this.guard("sendOffsets", ["TRANSACTING"]);
    const offsets = topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: Number(p.partition), offset: Number(p.offset) })));
    const coordinator = await this.findCoordinator(this.cfg.transactionalId, "transaction");
    const r = await this.chan.request(coordinator, (corr) => ({ type: "txn.add-offsets", corr, transactionalId: this.cfg.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, groupId: consumerGroupId }));
    if (r.type !== "txn.add-offsets-response") throw unexpected(r);
    if (r.error !== "NONE") throw this.refused(r.error);
    this.offsetsAdded = true;
    let groupCoordinator = await this.findCoordinator(consumerGroupId, "group");
    await this.retry(async (bail) => {
      try {
        // TxnOffsetCommit v0–v1: no generation, no member id (KIP-447 is not in kafkajs).
        const c = await this.chan.request(groupCoordinator, (corr) => ({ type: "txn.offset-commit", corr, transactionalId: this.cfg.transactionalId, groupId: consumerGroupId, producerId: this.producerId, producerEpoch: this.producerEpoch, generation: -1, memberId: "", offsets }));
        if (c.type !== "txn.offset-commit-response") throw unexpected(c);
        if (c.error !== "NONE") throw this.refused(c.error);
        let g = this.txnOffsets.get(consumerGroupId);
        if (g === undefined) this.txnOffsets.set(consumerGroupId, (g = new Map()));
        for (const o of offsets) g.set(`${o.topic}-${o.partition}`, o);
      } catch (e) {
        const x = e as { type?: string; code?: unknown };
        if (COMMIT_RETRIABLE.includes(x.type ?? "")) throw e;
        if (COMMIT_STALE_COORDINATOR.includes(x.type ?? "") || x.code === "ECONNREFUSED") {
          groupCoordinator = await this.findCoordinator(consumerGroupId, "group");
          throw e;
        }
        bail(e);
      }
    });
  }

  async commit(): Promise<void> {
    return this.endTransaction(true);
  }

  async abort(): Promise<void> {
    return this.endTransaction(false);
  }

  private async endTransaction(commit: boolean): Promise<void> {
    this.guard(commit ? "commit" : "abort", ["TRANSACTING"]);
    this.transitionTo(commit ? "COMMITTING" : "ABORTING");
    if (!this.isOngoing()) {
      // "No partitions or offsets registered, not sending EndTxn"
      this.transitionTo("READY");
      return;
    }
    const coordinator = await this.findCoordinator(this.cfg.transactionalId, "transaction");
    const { env, name } = this.proc;
    // From the EndTxn(COMMIT) on, the coordinator may complete the transaction even if the producer never hears:
    // its offsets are a commit in the history, invoked now (as the exactly-once pipeline records them).
    const commits: CommitValue[] = commit ? [...this.txnOffsets].map(([group, m]) => ({ group, generation: -1, offsets: [...m.values()], mode: "sync" as const })) : [];
    for (const value of commits) env.history.record({ timeUs: this.link.host.nowUs, process: name, type: "invoke", f: "commit", value });
    let error: KafkaErrorCode | null = null;
    try {
      const r = await this.chan.request(coordinator, (corr) => ({ type: "txn.end", corr, transactionalId: this.cfg.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, commit }));
      if (r.type !== "txn.end-response") throw unexpected(r);
      if (r.error !== "NONE") {
        error = r.error;
        throw this.refused(r.error);
      }
    } catch (e) {
      // Unknown whether the coordinator completes it (a lost answer) or its successor aborts it (fenced).
      for (const value of commits) env.history.record({ timeUs: this.link.host.nowUs, process: name, type: "info", f: "commit", value: { ...value, error: error ?? "NETWORK_EXCEPTION" } });
      throw e;
    }
    const nowUs = this.link.host.nowUs;
    for (const value of commits) env.history.record({ timeUs: nowUs, process: name, type: "ok", f: "commit", value });
    for (const [topic, values] of this.txnValues) this.proc.ctx.emit({ type: "txn-ended", producer: name, transactionalId: this.cfg.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, topic, commit, values });
    this.transitionTo("READY");
  }

  // ---------------------------------------------------------------- sendMessages (transactional)

  /** sendMessages for records already recorded as invoked: AddPartitionsToTxn and a produce per leader, under the
   *  retrier. Resolves to kafkajs's RecordMetadata entries, one per partition. */
  async send(records: readonly TxnRecord[]): Promise<{ topicName: string; partition: number; errorCode: number; baseOffset: string; logAppendTime: string; logStartOffset: string }[]> {
    const done = new Map<number, { topicName: string; partition: number; errorCode: number; baseOffset: string; logAppendTime: string; logStartOffset: string }[]>();
    const topics = [...new Set(records.map((r) => r.topic))];
    try {
      await this.retry(async (bail) => {
        try {
          await this.ensureMetadata(topics);
          const byLeader = new Map<number, TxnRecord[]>();
          for (const r of records) {
            const m = this.proc.metadata.topics.get(r.topic);
            if (m === undefined) throw new KafkaJSError("Producing to topic without metadata");
            if (r.partition < 0) r.partition = this.proc.partitionOf(this.proc.ctx, r.topic, m, r.value, r.keyId);
            const leader = m.leaders[r.partition] ?? null;
            if (leader === null) throw createErrorFromCode(kafkaErrorNumber("LEADER_NOT_AVAILABLE"));
            if (done.has(leader)) continue;
            let l = byLeader.get(leader);
            if (l === undefined) byLeader.set(leader, (l = []));
            l.push(r);
          }
          await Promise.all([...byLeader].map(([leader, rs]) => this.produceTo(leader, rs).then((md) => void done.set(leader, md))));
        } catch (e) {
          const x = e as { type?: string; name?: string; retriable?: boolean };
          if (STALE_METADATA.includes(x.type ?? "") || x.name === "KafkaJSConnectionError" || (x.name === "KafkaJSProtocolError" && x.retriable === true)) {
            this.proc.metadata.stale = true;
            throw e;
          }
          if (x.retriable === true) throw e;
          bail(e);
        }
      });
    } catch (e) {
      // The records not acknowledged: certainly not appended (fail), or perhaps (info).
      const { env, name } = this.proc;
      const n = (e as { code?: unknown }).code ?? (e as { cause?: { code?: unknown } }).cause?.code;
      const byNumber = typeof n === "number" ? KAFKA_ERRORS.find((k) => kafkaErrorNumber(k) === n) : undefined;
      for (const r of records) {
        if (r.written) continue;
        if (r.lastError === "NONE") r.lastError = byNumber ?? "NETWORK_EXCEPTION";
        const v = { topic: r.topic, key: r.keyId, value: r.value, ...(r.partition >= 0 ? { partition: r.partition } : {}), error: r.lastError, policy: "log" as const };
        env.history.record({ timeUs: this.link.host.nowUs, process: name, type: r.maybeWritten ? "info" : "fail", f: "send", value: v });
      }
      throw e;
    }
    return [...done.values()].flat();
  }

  /** One broker's part of a send: its partitions join the transaction, then one idempotent produce request. */
  private async produceTo(leader: number, rs: readonly TxnRecord[]): Promise<{ topicName: string; partition: number; errorCode: number; baseOffset: string; logAppendTime: string; logStartOffset: string }[]> {
    const release = await this.lock(leader);
    try {
      const byTp = new Map<string, { topic: string; partition: number; records: TxnRecord[]; baseSequence: number }>();
      for (const r of rs) {
        const k = `${r.topic}-${r.partition}`;
        let b = byTp.get(k);
        if (b === undefined) byTp.set(k, (b = { topic: r.topic, partition: r.partition, records: [], baseSequence: 0 }));
        b.records.push(r);
      }
      const batches = [...byTp.values()];
      await this.addPartitionsToTransaction(batches.map((b) => ({ topic: b.topic, partition: b.partition })));
      for (const b of batches) {
        const k = `${b.topic}-${b.partition}`;
        b.baseSequence = this.sequences.get(k) ?? 0;
        this.sequences.set(k, b.baseSequence + b.records.length);
      }
      const wire = batches.map((b) => ({ topic: b.topic, partition: b.partition, baseSequence: b.baseSequence, values: b.records.map((r) => r.value), keys: b.records.map((r) => r.keyId ?? -1) }));
      let r: Message;
      try {
        r = await this.chan.request(brokerNode(leader), (corr) => ({ type: "produce", corr, acks: -1, timeoutMs: PRODUCE_TIMEOUT_MS, producerId: this.producerId, producerEpoch: this.producerEpoch, batches: wire, transactionalId: this.cfg.transactionalId }));
        if (r.type !== "produce-response") throw unexpected(r);
        // Produce v3+ response: the first partition's error is thrown for the whole request. A duplicate of a
        // batch already appended is answered NONE with its offset by Kafka (ProducerStateManager's batch cache).
        const failed = r.partitions.find((p) => p.error !== "NONE" && p.error !== "DUPLICATE_SEQUENCE_NUMBER");
        if (failed !== undefined) {
          for (const x of rs) {
            x.lastError = failed.error;
            x.maybeWritten ||= mayHaveWritten(failed.error);
          }
          throw this.refused(failed.error);
        }
      } catch (e) {
        if (e instanceof KafkaJSConnectionError || (e as Error).name === "KafkaJSRequestTimeoutError") {
          for (const x of rs) {
            x.lastError = e instanceof KafkaJSConnectionError ? "NETWORK_EXCEPTION" : "REQUEST_TIMED_OUT";
            x.maybeWritten = true;
          }
        }
        for (const b of batches) {
          const k = `${b.topic}-${b.partition}`;
          this.sequences.set(k, (this.sequences.get(k) ?? 0) - b.records.length);
        }
        throw e;
      }
      const { env, name } = this.proc;
      const nowUs = this.link.host.nowUs;
      const broker = brokerOfNode(brokerNode(leader)) ?? leader;
      const out: { topicName: string; partition: number; errorCode: number; baseOffset: string; logAppendTime: string; logStartOffset: string }[] = [];
      for (const b of batches) {
        const base = r.partitions.find((p) => p.topic === b.topic && p.partition === b.partition)?.baseOffset ?? -1;
        b.records.forEach((x, i) => {
          x.written = true;
          env.history.recordSendOk(nowUs, name, x.topic, x.keyId ?? -1, x.value, x.partition, base < 0 ? -1 : base + i, broker);
          let l = this.txnValues.get(x.topic);
          if (l === undefined) this.txnValues.set(x.topic, (l = []));
          l.push(x.value);
        });
        out.push({ topicName: b.topic, partition: b.partition, errorCode: 0, baseOffset: String(base), logAppendTime: "-1", logStartOffset: "0" });
      }
      return out;
    } finally {
      release();
    }
  }

  /** acquireBrokerLock: one request at a time per broker for this producer. */
  private async lock(broker: number): Promise<() => void> {
    const prev = this.brokerLocks.get(broker) ?? Promise.resolve();
    let release: () => void = () => {};
    const next = new Promise<void>((resolve) => (release = resolve));
    this.brokerLocks.set(broker, prev.then(() => next));
    await prev;
    return release;
  }

  /** A broker's error answer, as kafkajs throws it; a fenced producer is noted once (the producer-fenced event the
   *  modelled transactional producer emits too). */
  private refused(code: KafkaErrorCode): KafkaJSProtocolError {
    if ((code === "PRODUCER_FENCED" || code === "INVALID_PRODUCER_EPOCH") && !this.fencedNoted) {
      this.fencedNoted = true;
      this.proc.ctx.emit({ type: "producer-fenced", producer: this.proc.name, transactionalId: this.cfg.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, error: code });
    }
    return protocolError(code);
  }

  // ---------------------------------------------------------------- the cluster

  /** cluster.refreshMetadataIfNecessary for the topics of a send. */
  private async ensureMetadata(topics: readonly string[]): Promise<void> {
    const md = this.proc.metadata;
    if (!md.stale && topics.every((t) => md.topics.has(t))) return;
    const nodes = this.proc.env.bootstrap;
    const node = nodes[md.node % nodes.length] as NodeId;
    try {
      const r = await this.chan.request(node, (corr) => ({ type: "metadata", corr, topics: [...topics] }));
      if (r.type !== "metadata-response") throw unexpected(r);
      md.update(this.link.host.nowUs, r);
    } catch (e) {
      md.failed(this.link.host.nowUs);
      throw e;
    }
  }

  /** cluster.findGroupCoordinator: FindCoordinator to the brokers in turn, under the retrier. */
  private async findCoordinator(key: string, keyType: "group" | "transaction"): Promise<NodeId> {
    return this.retry(async (bail) => {
      const nodes = this.proc.env.bootstrap;
      try {
        const node = nodes[this.findNode % nodes.length] as NodeId;
        let r: Message;
        try {
          r = await this.chan.request(node, (corr) => ({ type: "group.find-coordinator", corr, keyType, key }));
        } catch (e) {
          // brokerPool.withBroker: the next broker is tried.
          this.findNode++;
          throw e;
        }
        if (r.type !== "group.find-coordinator-response") throw unexpected(r);
        if (r.error !== "NONE") throw protocolError(r.error);
        return brokerNode(r.nodeId);
      } catch (e) {
        const x = e as { type?: string; name?: string };
        if (x.type === "GROUP_COORDINATOR_NOT_AVAILABLE" || x.name === "KafkaJSConnectionError" || x.name === "KafkaJSRequestTimeoutError") throw e;
        bail(e);
        return brokerNode(0);
      }
    });
  }

  /** kafkajs's retrier (src/retry/index.js): `bail(e)` rejects with e itself; a non-retriable error is wrapped in
   *  KafkaJSNonRetriableError; retriable ones are retried after the drawn waits, then KafkaJSNumberOfRetriesExceeded. */
  private async retry<T>(fn: (bail: (e: unknown) => void) => Promise<T>): Promise<T> {
    const r = new Retrier(this.proc.ctx.rng, this.cfg.retry);
    for (;;) {
      let bailed: { e: unknown } | null = null;
      try {
        const v = await fn((e) => {
          if (bailed === null) bailed = { e };
        });
        if (bailed !== null) throw (bailed as { e: unknown }).e;
        return v;
      } catch (e) {
        if (bailed !== null) throw (bailed as { e: unknown }).e;
        if (!isRetriableError(e)) throw new KafkaJSNonRetriableError(e as Error, { cause: (e as { cause?: unknown }).cause ?? e });
        const wait = r.failed();
        if (wait === null) throw new KafkaJSNumberOfRetriesExceeded(e as Error, { retryCount: r.retryCount, retryTime: r.retryTime });
        await this.chan.sleep(wait);
      }
    }
  }
}

function unexpected(m: Message): Error {
  return new KafkaJSNonRetriableError(`kafkasim: unexpected answer ${m.type}`);
}

/** Errors after which the batch may have been appended (the produce's outcome is unknown). */
function mayHaveWritten(error: KafkaErrorCode): boolean {
  return error === "REQUEST_TIMED_OUT" || error === "NOT_ENOUGH_REPLICAS_AFTER_APPEND" || error === "KAFKA_STORAGE_ERROR" || error === "NOT_LEADER_OR_FOLLOWER";
}
