// The kafkajs runner's side facing user code (runner.ts): running a handler, the calls a handler's payload offers
// (heartbeat, commitOffsetsIfNecessary, pause; eachBatch's batch and resolveOffset), consumer.seek / pause / resume
// taking effect between messages, and restartOnFailure deciding a crashed consumer's restart (kafka-facts KJ1–KJ8).
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { Consumer } from "../consumer/consumer.ts";
import type { PartState } from "../consumer/positions.ts";
import type { Ctx, TopicPartitionOffset } from "../consumer/types.ts";
import type { KafkaMessage as SimRecord } from "../user-code.ts";
import type { AsyncHost, NodeOwner, Owner } from "./host.ts";
import { isThenable } from "./host.ts";
import type { KafkaMessage } from "./messages.ts";
import { kafkaJSErrorOf } from "./errors.ts";
import type { KafkaJSError } from "./errors.ts";
import type { RetryOptions } from "./retry.ts";
import type { EachBatchPayload, KafkaJSConsumer, RunConfig } from "./consumer.ts";
import type { OffsetManager } from "./offset-manager.ts";

/** commitOffsetsIfNecessary's argument, as kafkajs takes it. */
type TopicOffsets = { topics: { topic: string; partitions: { partition: number; offset: string }[] }[] };

/** What the handler calls need of their runner. */
export interface HandlerCallsHost {
  /** The live context, and the process the handlers run as (null before the runner started). */
  context(): Ctx | null;
  owner(): NodeOwner | null;
  config(): RunConfig;
  /** Whether a batch of partition `tp` is being processed. */
  inBatch(tp: string): boolean;
  /** ConsumerGroup.heartbeat({ interval }): `then("NONE")` when none was due or it was answered without error. */
  heartbeat(ctx: Ctx, then: (error: KafkaErrorCode) => void): void;
  /** isRebalancing (src/errors.js), and UNKNOWN_MEMBER_ID. */
  rebalancing(error: KafkaErrorCode): boolean;
  /** The partition's next fetch starts at `offset` (recorded when the position moves). */
  moveTo(ctx: Ctx, p: PartState, offset: number, reason: "refetch" | "seek"): void;
  /** The runner's loop goes on. */
  pump(ctx: Ctx): void;
}

export class HandlerCalls {
  /** consumer.seek's offsets not applied yet, by partition (`topic-partition`). */
  readonly seeks = new Map<string, number>();
  /** Paused topics (`topic`) and partitions (`topic-partition`). */
  readonly paused = new Set<string>();

  constructor(
    private readonly c: Consumer,
    private readonly api: KafkaJSConsumer,
    private readonly offsets: OffsetManager,
    private readonly host: HandlerCallsHost,
  ) {}

  // ---------------------------------------------------------------- user calls from handlers

  /** The payload's heartbeat(): the runner's heartbeat, settled in the caller's async context. */
  heartbeat(): Promise<void> {
    return this.inCaller((ctx, done) =>
      this.host.heartbeat(ctx, (error) => {
        if (error !== "NONE") this.c.membership.needsRejoin ||= this.host.rebalancing(error);
        done(error);
      }),
    );
  }

  /** eachBatch's commitOffsetsIfNecessary(): the auto-commit check, or a commit of the offsets given. */
  commitIfNecessary(offsets?: TopicOffsets): Promise<void> {
    return this.inCaller((ctx, done) => {
      if (offsets === undefined) return this.offsets.autoCommitIfNecessary(ctx, done);
      const list: TopicPartitionOffset[] = [];
      for (const t of offsets.topics) for (const p of t.partitions) list.push({ topic: t.topic, partition: p.partition, offset: Number(p.offset) });
      this.offsets.commit(ctx, list, done);
    });
  }

  /** A call from a handler: `start` runs on the member's next turn, and its outcome settles the promise in the
   *  caller's async context (NONE resolves, an error rejects with kafkajs's error); nothing to do outside a run. */
  private inCaller(start: (ctx: Ctx, done: (error: KafkaErrorCode) => void) => void): Promise<void> {
    const ctx = this.host.context();
    const owner = this.host.owner();
    const host = this.c.env.async;
    if (ctx === null || owner === null || host === undefined) return Promise.resolve();
    const caller = host.current;
    return new Promise<void>((resolve, reject) => {
      owner.after(0, () => start(ctx, (error) => host.run(caller, () => (error === "NONE" ? resolve() : reject(kafkaJSErrorOf(error))))));
    });
  }

  /** The payload's pause(): pauses the partition; returns its resume. */
  pauseFromHandler(topic: string, partition: number): () => void {
    this.api.pause([{ topic, partitions: [partition] }]);
    return () => this.api.resume([{ topic, partitions: [partition] }]);
  }

  /** eachBatch's payload (runner.js processEachBatch): the batch, and the calls its handler makes. */
  eachBatchPayload(p: PartState, records: readonly SimRecord[], messages: KafkaMessage[], calls: { resolveOffset: (offset: string | number) => void; isRunning: () => boolean }): EachBatchPayload {
    const last = records[records.length - 1] as SimRecord;
    const first = records[0] as SimRecord;
    const hw = p.highWatermark;
    const lag = (o: number): string => String(Math.max(0, hw - 1 - o));
    return {
      batch: {
        topic: p.topic,
        partition: p.partition,
        highWatermark: String(hw),
        messages,
        isEmpty: () => messages.length === 0,
        firstOffset: () => String(first.offset),
        lastOffset: () => String(last.offset),
        offsetLag: () => lag(last.offset),
        offsetLagLow: () => lag(first.offset),
      },
      resolveOffset: calls.resolveOffset,
      heartbeat: () => this.heartbeat(),
      pause: () => this.pauseFromHandler(p.topic, p.partition),
      commitOffsetsIfNecessary: (offsets?: TopicOffsets) => this.commitIfNecessary(offsets),
      uncommittedOffsets: () => ({ topics: this.offsets.uncommittedByTopic() }),
      isRunning: calls.isRunning,
      isStale: () => this.seeks.has(p.tp),
    };
  }

  // ---------------------------------------------------------------- seek and pause

  isPaused(topic: string, partition: number): boolean {
    return this.paused.has(topic) || this.paused.has(`${topic}-${partition}`);
  }

  /** Pause or resume took effect: a paused partition is not fetched and its buffered records are dropped. */
  pausedChanged(ctx: Ctx): void {
    for (const p of this.c.positions.parts.values()) {
      const paused = this.isPaused(p.topic, p.partition);
      if (this.host.inBatch(p.tp)) continue;
      if (paused && p.buffer.length > 0 && p.position >= 0) this.host.moveTo(ctx, p, p.processed, "refetch");
      p.hold = paused;
    }
    this.c.positions.kickFetch(ctx);
    this.host.pump(ctx);
  }

  /** OffsetManager.seek: with autoCommit the offset is committed; the next fetch starts there. */
  applySeek(ctx: Ctx, p: PartState, offset: number): void {
    this.seeks.delete(p.tp);
    this.host.moveTo(ctx, p, offset, "seek");
    if (this.host.config().autoCommit) {
      this.offsets.commit(ctx, [{ topic: p.topic, partition: p.partition, offset }], () => this.c.positions.kickFetch(ctx));
      return;
    }
    this.c.positions.kickFetch(ctx);
  }
}

/** Run a user handler as `owner` (a synchronous throw is a rejection, as kafkajs's `await` makes it); `done` runs on
 *  the owner's clock once the handler's promise settled. */
export function callHandler(host: AsyncHost, owner: Owner, call: () => unknown, done: (ok: boolean, v: unknown) => void): void {
  host.run(owner, () => {
    let out: unknown;
    try {
      out = call();
    } catch (e) {
      out = Promise.reject(e);
    }
    const settled = isThenable(out) ? out : Promise.resolve(out);
    host.await(owner, settled, (ok, v) => owner.after(0, () => done(ok, v)));
  });
}

/** onCrash's restart decision (src/consumer/index.js): a crash on a retriable error (the retries exhausted, or a
 *  cause marked retriable) restarts, unless restartOnFailure — a user callback, async — says no (a rejection
 *  restarts). `decide(restart)` runs at once, or on the owner's clock once the callback settled (`waiting()` first). */
export function decideRestart(
  e: KafkaJSError,
  o: { readonly ask: RetryOptions["restartOnFailure"]; readonly host: AsyncHost | undefined; readonly owner: NodeOwner | null; readonly waiting: () => void; readonly decide: (restart: boolean) => void },
): void {
  const cause = (x: unknown): unknown => ((x as { cause?: unknown }).cause !== undefined && (x as { cause?: unknown }).cause !== x ? cause((x as { cause: unknown }).cause) : x);
  const restartable = e.name === "KafkaJSNumberOfRetriesExceeded" || (cause(e) as { retriable?: unknown }).retriable === true;
  const { ask, host, owner, decide } = o;
  if (!restartable || ask === undefined) return decide(restartable);
  // A user callback (async): its answer decides; a rejection defaults to restarting.
  if (host === undefined || owner === null) return decide(true);
  o.waiting();
  host.run(owner, () => {
    let out: unknown;
    try {
      out = ask(e);
    } catch (x) {
      out = Promise.reject(x);
    }
    host.await(owner, isThenable(out) ? out : Promise.resolve(out), (ok, v) => owner.after(0, () => decide(ok ? v !== false : true)));
  });
}
