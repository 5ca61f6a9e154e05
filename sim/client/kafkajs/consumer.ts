// kafkajs's Consumer (src/consumer/index.js): connect, subscribe, run({ eachMessage | eachBatch, autoCommit,
// autoCommitInterval, autoCommitThreshold, eachBatchAutoResolve, partitionsConsumedConcurrently }), commitOffsets,
// seek, pause / resume / paused, stop, disconnect and the crash event, over a modelled consumer-group member whose
// application is the kafkajs runner (runner.ts). One KafkaJSConsumer is one member (node `<groupId>/<n>`, a fault
// target); the members of a group share one configuration and the union of their subscriptions.
import type { ConsumerSpec } from "../../scenario/types.ts";
import type { Consumer } from "../consumer/consumer.ts";
import type { Ctx, TopicPartitionOffset } from "../consumer/types.ts";
import type { KafkaJSLink } from "./link.ts";
import type { KafkaMessage } from "./messages.ts";
import type { RetryOptions } from "./retry.ts";
import { KafkaJSNonRetriableError, KafkaJSNotImplemented } from "./errors.ts";
import type { KafkaJSError } from "./errors.ts";
import { KafkaJSRunner } from "./runner.ts";

export interface EachMessagePayload {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
  heartbeat(): Promise<void>;
  pause(): () => void;
}

export interface Batch {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: string;
  readonly messages: KafkaMessage[];
  isEmpty(): boolean;
  firstOffset(): string | null;
  lastOffset(): string;
  offsetLag(): string;
  offsetLagLow(): string;
}

export interface OffsetsByTopicPartition {
  readonly topics: { readonly topic: string; readonly partitions: { readonly partition: number; readonly offset: string }[] }[];
}

export interface EachBatchPayload {
  readonly batch: Batch;
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  pause(): () => void;
  commitOffsetsIfNecessary(offsets?: OffsetsByTopicPartition): Promise<void>;
  uncommittedOffsets(): OffsetsByTopicPartition;
  isRunning(): boolean;
  isStale(): boolean;
}

export interface ConsumerRunConfig {
  readonly autoCommit?: boolean;
  readonly autoCommitInterval?: number | null;
  readonly autoCommitThreshold?: number | null;
  readonly eachBatchAutoResolve?: boolean;
  readonly partitionsConsumedConcurrently?: number;
  readonly eachBatch?: (payload: EachBatchPayload) => Promise<void>;
  readonly eachMessage?: (payload: EachMessagePayload) => Promise<void>;
}

export interface RunConfig {
  readonly autoCommit: boolean;
  readonly autoCommitInterval: number | null;
  readonly autoCommitThreshold: number | null;
  readonly eachBatchAutoResolve: boolean;
  readonly concurrency: number;
  readonly eachBatch: ((payload: EachBatchPayload) => unknown) | null;
  readonly eachMessage: ((payload: EachMessagePayload) => unknown) | null;
}

type TopicPartitions = { readonly topic: string; readonly partitions?: readonly number[] };

/** consumer.events (src/consumer/instrumentationEvents.js): the ones kafkasim emits are CRASH and GROUP_JOIN. */
export const CONSUMER_EVENTS = {
  HEARTBEAT: "consumer.heartbeat",
  COMMIT_OFFSETS: "consumer.commit_offsets",
  GROUP_JOIN: "consumer.group_join",
  FETCH_START: "consumer.fetch_start",
  FETCH: "consumer.fetch",
  START_BATCH_PROCESS: "consumer.start_batch_process",
  END_BATCH_PROCESS: "consumer.end_batch_process",
  CONNECT: "consumer.connect",
  DISCONNECT: "consumer.disconnect",
  STOP: "consumer.stop",
  CRASH: "consumer.crash",
  REBALANCING: "consumer.rebalancing",
  RECEIVED_UNSUBSCRIBED_TOPICS: "consumer.received_unsubscribed_topics",
  REQUEST: "consumer.network.request",
  REQUEST_TIMEOUT: "consumer.network.request_timeout",
  REQUEST_QUEUE_SIZE: "consumer.network.request_queue_size",
} as const;

type Listener = (event: { readonly type: string; readonly payload: Record<string, unknown> }) => unknown;

/** What the members of one group share: its spec (its topics grow with the subscriptions) and its members. */
export interface GroupBinding {
  readonly spec: ConsumerSpec;
  readonly topics: string[];
  readonly members: KafkaJSConsumer[];
}

export class KafkaJSConsumer {
  /** Set by run(); a restarted process runs it again. */
  runConfig: RunConfig | null = null;
  private runner: KafkaJSRunner | null = null;
  private fromBeginning: boolean | null = null;
  private readonly listeners = new Map<string, Listener[]>();
  /** Handler calls per record of the partition's head (the history's `attempts`). */
  private readonly attempts = new Map<string, { offset: number; n: number }>();
  private runWaiters: (() => void)[] = [];
  readonly events = CONSUMER_EVENTS;

  constructor(
    readonly link: KafkaJSLink,
    readonly group: GroupBinding,
    readonly member: number,
    readonly retry: RetryOptions,
  ) {}

  /** The node id of its process (a fault target). */
  get id(): string {
    return `${this.group.spec.group}/${this.member}`;
  }

  /** The runner of a consumer process (ConsumerSpec.engine). */
  static engine(group: GroupBinding): NonNullable<ConsumerSpec["engine"]> {
    return (c: Consumer, member: number) => {
      const api = group.members[member] as KafkaJSConsumer;
      const runner = new KafkaJSRunner(c, api);
      return { app: runner, processing: runner };
    };
  }

  /** Its process booted. */
  attach(runner: KafkaJSRunner): void {
    this.runner = runner;
  }

  /** The live runner, or an error naming the process that is down. */
  private live(): KafkaJSRunner {
    const r = this.runner;
    if (r === null || r.owner === null || !r.owner.alive()) throw new KafkaJSNonRetriableError(`kafkasim: the process of consumer ${this.id} is down`);
    return r;
  }

  /** Run `fn` in the consumer's process (an event of its own: in order, held while it is paused). */
  private inProcess(fn: (ctx: Ctx, r: KafkaJSRunner) => void): void {
    const r = this.live();
    const ctx = r.context as Ctx;
    (r.owner as NonNullable<KafkaJSRunner["owner"]>).after(0, () => fn(ctx, r));
  }

  /** A promise that settles for the code running now, when `start` (in the consumer's process) calls back. */
  private request<T>(start: (ctx: Ctx, r: KafkaJSRunner, done: (error: KafkaJSError | null, value?: T) => void) => void): Promise<T> {
    const host = this.link.host;
    const caller = host.current;
    return new Promise<T>((resolve, reject) => {
      this.inProcess((ctx, r) => start(ctx, r, (error, value) => host.run(caller, () => (error === null ? resolve(value as T) : reject(error)))));
    });
  }

  async connect(): Promise<void> {}

  async disconnect(): Promise<void> {
    await this.stop();
  }

  subscribe({ topic, topics, fromBeginning = false }: { readonly topic?: string | RegExp; readonly topics?: readonly (string | RegExp)[]; readonly fromBeginning?: boolean }): Promise<void> {
    try {
      if (this.runConfig !== null) throw new KafkaJSNonRetriableError("Cannot subscribe to topic while consumer is running");
      if (topic === undefined && topics === undefined) throw new KafkaJSNonRetriableError('Missing required argument "topics"');
      if (topics !== undefined && !Array.isArray(topics)) throw new KafkaJSNonRetriableError('Argument "topics" must be an array');
      const known = [...this.link.topics.keys()];
      const subs = topics ?? [topic as string | RegExp];
      const names: string[] = [];
      for (const s of subs) {
        if (s instanceof RegExp) names.push(...known.filter((t) => s.test(t)));
        else if (typeof s === "string") {
          if (!this.link.topics.has(s)) throw new KafkaJSNonRetriableError(`kafkasim: topic "${s}" does not exist (topics are the scenario's: ${known.join(", ")})`);
          names.push(s);
        } else throw new KafkaJSNonRetriableError(`Invalid topic ${String(s)} (${typeof s}), the topic name has to be a String or a RegExp`);
      }
      if (this.fromBeginning !== null && this.fromBeginning !== fromBeginning) throw new KafkaJSNonRetriableError("kafkasim: one fromBeginning per consumer (the model's auto.offset.reset)");
      this.fromBeginning = fromBeginning;
      // The group's auto.offset.reset (its spec is shared, and read by the oracle after the run).
      (this.group.spec.config as { "auto.offset.reset": string })["auto.offset.reset"] = fromBeginning ? "earliest" : "latest";
      for (const n of names) if (!this.group.topics.includes(n)) this.group.topics.push(n);
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** consumer.run: resolves once the member has joined its group (runner.start: connect, joinAndSync). */
  run(config: ConsumerRunConfig = {}): Promise<void> {
    if (this.runConfig !== null) return Promise.resolve();
    const { autoCommit = true, autoCommitInterval = null, autoCommitThreshold = null, eachBatchAutoResolve = true, partitionsConsumedConcurrently = 1, eachBatch = null, eachMessage = null } = config;
    if (eachBatch === null && eachMessage === null) return Promise.reject(new KafkaJSNonRetriableError("kafkasim: run() needs eachMessage or eachBatch"));
    try {
      this.live();
    } catch (e) {
      return Promise.reject(e);
    }
    this.runConfig = { autoCommit, autoCommitInterval, autoCommitThreshold, eachBatchAutoResolve, concurrency: Math.max(1, Math.floor(partitionsConsumedConcurrently)), eachBatch: eachMessage === null ? eachBatch : null, eachMessage };
    const host = this.link.host;
    const caller = host.current;
    return new Promise<void>((resolve) => {
      this.runWaiters.push(() => host.run(caller, resolve));
      this.inProcess((ctx, r) => r.begin(ctx));
    });
  }

  /** The member got its assignment (GROUP_JOIN). */
  joined(memberId: string, partitions: readonly { topic: string; partition: number }[]): void {
    const ws = this.runWaiters;
    this.runWaiters = [];
    for (const w of ws) w();
    const assignment: Record<string, number[]> = {};
    for (const p of partitions) (assignment[p.topic] ??= []).push(p.partition);
    this.emit(CONSUMER_EVENTS.GROUP_JOIN, { groupId: this.group.spec.group, memberId, memberAssignment: assignment });
  }

  stop(): Promise<void> {
    if (this.runner === null || this.runner.owner === null || !this.runner.owner.alive()) {
      this.runConfig = null;
      return Promise.resolve();
    }
    this.runConfig = null;
    return this.request<void>((ctx, r, done) => r.requestStop(ctx, () => done(null)));
  }

  commitOffsets(topicPartitions: readonly { readonly topic: string; readonly partition: number; readonly offset: string }[] = []): Promise<void> {
    try {
      const offsets: TopicPartitionOffset[] = [];
      for (const { topic, partition, offset } of topicPartitions) {
        if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${String(topic)}`);
        if (Number.isNaN(Number(partition))) throw new KafkaJSNonRetriableError(`Invalid partition, expected a number received ${String(partition)}`);
        const o = Number(offset);
        if (!Number.isInteger(o)) throw new KafkaJSNonRetriableError(`Invalid offset, expected a long received ${String(offset)}`);
        if (o < 0) throw new KafkaJSNonRetriableError("Offset must not be a negative number");
        offsets.push({ topic, partition: Number(partition), offset: o });
      }
      if (this.runConfig === null) throw new KafkaJSNonRetriableError("Consumer group was not initialized, consumer#run must be called first");
      return this.request<void>((ctx, r, done) => r.commit(ctx, offsets, (error) => done(error === "NONE" ? null : new KafkaJSNonRetriableError(`kafkasim: the commit failed: ${error}`)), true));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  seek({ topic, partition, offset }: { readonly topic: string; readonly partition: number; readonly offset: string }): void {
    if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${String(topic)}`);
    if (Number.isNaN(Number(partition))) throw new KafkaJSNonRetriableError(`Invalid partition, expected a number received ${String(partition)}`);
    const o = Number(offset);
    if (!Number.isInteger(o)) throw new KafkaJSNonRetriableError(`Invalid offset, expected a long received ${String(offset)}`);
    if (o < 0) throw new KafkaJSNonRetriableError(o === -1 || o === -2 ? "kafkasim: seek to the earliest or latest offset (-2 / -1) is not modelled: seek to an offset" : "Offset must not be a negative number");
    if (this.runConfig === null) throw new KafkaJSNonRetriableError("Consumer group was not initialized, consumer#run must be called first");
    this.live().seeks.set(`${topic}-${Number(partition)}`, o);
    this.inProcess((ctx, r) => r.pump(ctx));
  }

  pause(topicPartitions: readonly TopicPartitions[] = []): void {
    this.changePaused(topicPartitions, true);
  }

  resume(topicPartitions: readonly TopicPartitions[] = []): void {
    this.changePaused(topicPartitions, false);
  }

  private changePaused(topicPartitions: readonly TopicPartitions[], pause: boolean): void {
    for (const tp of topicPartitions) {
      if (!tp || !tp.topic) throw new KafkaJSNonRetriableError(`Invalid topic ${String(tp?.topic ?? tp)}`);
      if (tp.partitions !== undefined && (!Array.isArray(tp.partitions) || tp.partitions.some((p) => Number.isNaN(Number(p))))) throw new KafkaJSNonRetriableError(`Array of valid partitions required to ${pause ? "pause" : "resume"} specific partitions instead of ${String(tp.partitions)}`);
    }
    if (this.runConfig === null) throw new KafkaJSNonRetriableError("Consumer group was not initialized, consumer#run must be called first");
    const r = this.live();
    for (const tp of topicPartitions) {
      const keys = tp.partitions === undefined ? [tp.topic] : tp.partitions.map((p) => `${tp.topic}-${p}`);
      for (const k of keys) {
        if (pause) r.paused.add(k);
        else r.paused.delete(k);
      }
      // SubscriptionState.resume of a whole topic resumes its partitions too.
      if (!pause && tp.partitions === undefined) for (const k of [...r.paused]) if (k.startsWith(`${tp.topic}-`)) r.paused.delete(k);
    }
    this.inProcess((ctx, run) => run.pausedChanged(ctx));
  }

  paused(): { topic: string; partitions: number[] }[] {
    const r = this.runner;
    if (r === null) return [];
    const byTopic = new Map<string, number[]>();
    for (const k of r.paused) {
      const i = k.lastIndexOf("-");
      const partition = Number(k.slice(i + 1));
      if (i < 0 || !Number.isInteger(partition) || this.link.topics.has(k)) {
        byTopic.set(k, Array.from({ length: this.link.topics.get(k) ?? 0 }, (_, p) => p));
        continue;
      }
      const t = k.slice(0, i);
      const l = byTopic.get(t) ?? [];
      if (!l.includes(partition)) l.push(partition);
      byTopic.set(t, l);
    }
    return [...byTopic].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) }));
  }

  async describeGroup(): Promise<never> {
    throw new KafkaJSNotImplemented("kafkasim: describeGroup is not modelled");
  }

  on(eventName: string, listener: Listener): () => void {
    if (!(Object.values(CONSUMER_EVENTS) as string[]).includes(eventName)) throw new KafkaJSNonRetriableError(`Event name should be one of ${Object.keys(CONSUMER_EVENTS).map((k) => `consumer.events.${k}`).join(", ")}`);
    const l = this.listeners.get(eventName) ?? [];
    l.push(listener);
    this.listeners.set(eventName, l);
    return () => {
      const i = l.indexOf(listener);
      if (i >= 0) l.splice(i, 1);
    };
  }

  private emit(type: string, payload: Record<string, unknown>): void {
    const ls = this.listeners.get(type);
    const r = this.runner;
    if (ls === undefined || ls.length === 0 || r === null || r.owner === null) return;
    const owner = r.owner;
    const host = this.link.host;
    for (const l of ls) host.run(owner, () => void Promise.resolve(l({ type, payload })).catch(() => {}));
  }

  /** The runner crashed (onCrash). */
  crashed(error: KafkaJSError, restart: boolean): void {
    this.emit(CONSUMER_EVENTS.CRASH, { error, groupId: this.group.spec.group, restart });
  }

  // ---------------------------------------------------------------- the history's attempt counts

  attemptOf(tp: string, offset: number): number {
    const a = this.attempts.get(tp);
    if (a !== undefined && a.offset === offset) return ++a.n;
    this.attempts.set(tp, { offset, n: 1 });
    return 1;
  }

  resolvedAttempt(tp: string, offset: number): void {
    const a = this.attempts.get(tp);
    if (a !== undefined && a.offset === offset) this.attempts.delete(tp);
  }
}
