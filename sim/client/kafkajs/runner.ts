// kafkajs's consumer runner (src/consumer/runner.js, consumerGroup.js, offsetManager/index.js) as the application
// of a modelled consumer (sim/client/consumer/: membership, fetching, commits). What it does as kafkajs does
// (kafka-facts KJ1–KJ8):
//  - each fetched partition is a batch; up to partitionsConsumedConcurrently batches at once, each one's messages
//    one after the other through the user's async eachMessage (or the batch through eachBatch);
//  - a message is resolved (its offset + 1 is the next to fetch and to commit) once its handler resolved; then the
//    runner heartbeats if heartbeatInterval has passed since the last heartbeat (there is no heartbeat thread: a
//    handler that runs longer than sessionTimeout loses the member its partitions) and, with autoCommit, commits
//    when autoCommitInterval or autoCommitThreshold says so; at the end of each batch it commits the resolved
//    offsets (autoCommit) and heartbeats;
//  - a handler that throws: the resolved offsets are committed (autoCommit), the batch stops, the other batches
//    finish, and the runner's retrier waits (300 ms × 2^n, randomised ±20 %) before fetching again from the resolved
//    offsets — so the failed message is fetched and handed to the handler again; after `retries` (5) retries the
//    consumer crashes (KafkaJSNumberOfRetriesExceeded): it leaves the group and, unless restartOnFailure says no,
//    starts again after the last wait as a new member, from the committed offsets; a non-retriable error
//    (TypeError, or `retriable: false`) crashes it for good;
//  - a rebalance (a heartbeat or commit answered REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION or NOT_COORDINATOR):
//    the resolved offsets are committed, running batches stop after their current message, then the member rejoins
//    (UNKNOWN_MEMBER_ID: as a new member) and the retrier starts afresh;
//  - seek and pause take effect between messages; a paused partition is not fetched.
// Records count as processed (the history's `process` ok) only when their handler resolved (eachBatch: when
// resolved with resolveOffset or, eachBatchAutoResolve, when the handler resolved).
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { Consumer } from "../consumer/consumer.ts";
import type { PartState } from "../consumer/positions.ts";
import type { ConsumerApp, ConsumerProcessing, Ctx, TopicPartitionOffset } from "../consumer/types.ts";
import type { KafkaMessage as SimRecord } from "../user-code.ts";
import type { NodeOwner } from "./host.ts";
import type { KafkaMessage } from "./messages.ts";
import { Retrier, isRetriableError } from "./retry.ts";
import { KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, kafkaJSErrorOf } from "./errors.ts";
import type { KafkaJSError } from "./errors.ts";
import type { KafkaJSConsumer, RunConfig } from "./consumer.ts";
import { OffsetManager } from "./offset-manager.ts";
import { HandlerCalls, callHandler, decideRestart } from "./handler-calls.ts";
import { Heartbeats } from "./heartbeat.ts";

const START = { t: "kafkajs-start" } as const;
const RETRY = { t: "kafkajs-retry" } as const;

/** A fetched partition's records being processed. */
interface BatchRun {
  readonly p: PartState;
  /** The payload's heartbeat() and pause(), one pair per batch. */
  readonly heartbeat: () => Promise<void>;
  readonly pause: () => () => void;
  readonly records: readonly SimRecord[];
  /** Next record to hand to eachMessage (eachBatch: the first not yet resolved). */
  i: number;
  readonly assignEpoch: number;
  /** eachBatch: the payload's messages. */
  messages?: KafkaMessage[];
}

/** Why the fetch manager stopped (runner.js scheduleFetchManager's catch). */
type Stop = { readonly kind: "rebalance" } | { readonly kind: "error"; readonly error: Error };

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

export class KafkaJSRunner implements ConsumerApp, ConsumerProcessing {
  readonly heartbeatThread = false;
  /** kafkajs's OffsetFetch is v1–v4: no require_stable (KIP-447), whatever its isolation level (kafka-facts KJ13). */
  readonly requireStableOffsets = false;
  lastManualCommitUs = 0;
  sum = 0;
  processedCount = 0;
  owner: NodeOwner | null = null;
  private ctx: Ctx | null = null;
  private phase: "idle" | "running" | "retry-wait" | "restart-wait" | "stopping" | "stopped" = "idle";
  private cfg: RunConfig | null = null;
  private retrier: Retrier | null = null;
  private readonly batches = new Map<string, BatchRun>();
  private stop: Stop | null = null;
  private commitsInFlight = 0;
  /** ConsumerGroup's heartbeat between records (heartbeat.ts). */
  private readonly heartbeats: Heartbeats;
  /** The committed offsets as the runner knows them, and the auto-commits (kafkajs's OffsetManager). */
  private readonly offsets: OffsetManager;
  private committedEpoch = -1;
  /** The handlers' calls, and seek and pause (handler-calls.ts); its seeks and paused partitions. */
  private readonly calls: HandlerCalls;
  readonly seeks: Map<string, number>;
  readonly paused: Set<string>;
  private rotation = 0;
  /** The assigned partitions as a list (for the rotation), as of assignment epoch partsEpoch. */
  private parts: PartState[] = [];
  private partsEpoch = -1;
  private stopWaiters: (() => void)[] = [];

  constructor(
    private readonly c: Consumer,
    readonly api: KafkaJSConsumer,
  ) {
    this.heartbeats = new Heartbeats(c);
    this.offsets = new OffsetManager(c, {
      config: () => this.cfg as RunConfig,
      rebalancing: (error) => this.rebalancing(error),
      pump: (ctx) => this.pump(ctx),
    });
    this.calls = new HandlerCalls(c, api, this.offsets, {
      context: () => this.ctx,
      owner: () => this.owner,
      config: () => this.cfg as RunConfig,
      inBatch: (tp) => this.batches.has(tp),
      heartbeat: (ctx, then) => this.heartbeats.heartbeat(ctx, then),
      rebalancing: (error) => this.rebalancing(error),
      moveTo: (ctx, p, offset, reason) => this.moveTo(ctx, p, offset, reason),
      pump: (ctx) => this.pump(ctx),
    });
    this.seeks = this.calls.seeks;
    this.paused = this.calls.paused;
  }

  // ---------------------------------------------------------------- ConsumerApp

  /** Commits mark the application blocked; a rejoin waits while batches or commits are in flight. */
  get blocked(): boolean {
    return this.commitsInFlight > 0 || this.batches.size > 0 || this.phase !== "running" || this.stop !== null;
  }
  set blocked(v: boolean) {
    if (v) this.commitsInFlight++;
  }

  unblock(_ctx: Ctx, then: () => void): void {
    this.commitsInFlight--;
    then();
  }

  start(ctx: Ctx, startUs: number): void {
    this.ctx = ctx;
    if (this.c.owner === null) throw new KafkaJSNonRetriableError("kafkasim: a kafkajs consumer runs only under `await sim.run()`");
    this.owner = this.c.owner;
    this.api.attach(this);
    // A process that had run() called (before a crash or a restart) runs again, as a supervised app would.
    if (this.api.runConfig !== null) ctx.setTimer(startUs, START);
  }

  /** consumer.run(): start consuming (now, or when the process boots). */
  begin(ctx: Ctx): void {
    if (this.phase !== "idle" && this.phase !== "restart-wait") return;
    this.cfg = this.api.runConfig;
    if (this.cfg === null) return;
    this.phase = "running";
    this.stop = null;
    this.retrier = new Retrier(ctx.rng, this.api.retry);
    this.c.membership.needsRejoin = true;
    this.c.membership.ensureGroup(ctx);
  }

  onTimer(ctx: Ctx, tag: unknown): boolean {
    if (tag === START) this.begin(ctx);
    else if (tag === RETRY) {
      if (this.phase === "retry-wait") {
        this.phase = "running";
        this.pump(ctx);
      } else if (this.phase === "restart-wait") this.begin(ctx);
    } else return false;
    return true;
  }

  wakeApp(ctx: Ctx): void {
    if (this.c.membership.state === "stable" && this.c.positions.assignEpoch !== this.committedEpoch) this.assigned(ctx);
    this.pump(ctx);
  }

  /** A fetch came back empty: runner.fetch heartbeats then (Runner.fetch: `if (batches.length === 0) heartbeat`). */
  fetchedNothing(ctx: Ctx): void {
    if (this.phase !== "running" || this.stop !== null || this.batches.size > 0) return;
    this.heartbeats.heartbeat(ctx, (error) => {
      if (error !== "NONE") this.failed(ctx, this.heartbeatStop(error));
    });
  }

  heartbeatDone(ctx: Ctx, error: KafkaErrorCode): void {
    this.heartbeats.answered(ctx, error);
  }

  // ---------------------------------------------------------------- ConsumerProcessing

  dltDone(): void {}

  // ---------------------------------------------------------------- the loop

  /** A new assignment: OffsetManager starts over (committed offsets from the positions fetched). */
  private assigned(ctx: Ctx): void {
    this.offsets.committed.clear();
    this.committedEpoch = this.c.positions.assignEpoch;
    this.offsets.lastCommitUs = ctx.nowUs;
    this.heartbeats.lastUs = ctx.nowUs;
    // runner.js: a completed joinAndSync → scheduleFetchManager → a fresh retrier.
    this.retrier = new Retrier(ctx.rng, this.api.retry);
    for (const p of this.c.positions.parts.values()) p.hold = this.isPaused(p.topic, p.partition);
    this.api.joined(this.c.membership.memberId, this.c.positions.assignment);
  }

  /** Take batches while allowed; rejoin or act on a stop once nothing is in flight. */
  pump(ctx: Ctx): void {
    if (this.phase === "stopping") return this.maybeStopped(ctx);
    if (this.phase !== "running") return;
    if (this.stop !== null) {
      if (this.batches.size === 0 && this.commitsInFlight === 0) this.afterStop(ctx);
      return;
    }
    const m = this.c.membership;
    if (m.needsRejoin || m.state !== "stable") {
      if (this.batches.size > 0 || this.commitsInFlight > 0) return;
      if (m.state === "stable") m.state = "unjoined";
      m.ensureGroup(ctx);
      return;
    }
    const cfg = this.cfg as RunConfig;
    const positions = this.c.positions;
    if (this.partsEpoch !== positions.assignEpoch) {
      this.partsEpoch = positions.assignEpoch;
      this.parts = [...positions.parts.values()];
    }
    const parts = this.parts;
    if (parts.length === 0) return;
    const first = this.rotation++ % parts.length;
    for (let k = 0; k < parts.length && this.batches.size < cfg.concurrency; k++) {
      const p = parts[(first + k) % parts.length] as PartState;
      if (this.batches.has(p.tp) || p.position < 0) continue;
      if (!this.offsets.committed.has(p.tp)) this.offsets.committed.set(p.tp, p.processed);
      const seek = this.seeks.get(p.tp);
      if (seek !== undefined) {
        this.calls.applySeek(ctx, p, seek);
        continue;
      }
      if (p.buffer.length === 0 || (this.paused.size > 0 && this.isPaused(p.topic, p.partition))) continue;
      this.startBatch(ctx, p);
    }
  }

  private startBatch(ctx: Ctx, p: PartState): void {
    const c = this.c;
    const records = p.buffer;
    p.buffer = [];
    p.position = (records[records.length - 1] as SimRecord).offset + 1;
    p.hold = true;
    const polled = records.map((r) => ({ topic: p.topic, partition: p.partition, offset: r.offset, value: r.value, key: r.key }));
    c.env.history.record({ timeUs: ctx.nowUs, process: c.name, type: "invoke", f: "poll", value: { group: c.groupId, records: [] } });
    c.env.history.record({ timeUs: ctx.nowUs, process: c.name, type: "ok", f: "poll", value: { group: c.groupId, records: polled } });
    const b: BatchRun = { p, records, i: 0, assignEpoch: c.positions.assignEpoch, heartbeat: () => this.calls.heartbeat(), pause: () => this.calls.pauseFromHandler(p.topic, p.partition) };
    this.batches.set(p.tp, b);
    if ((this.cfg as RunConfig).eachMessage !== null) this.nextMessage(ctx, b);
    else this.runEachBatch(ctx, b);
  }

  /** processEachMessage's loop: the next message, unless the runner stops, the partition was sought, or the batch
   *  is done. */
  private nextMessage(ctx: Ctx, b: BatchRun): void {
    if (this.phase !== "running" || this.seeks.has(b.p.tp) || b.i >= b.records.length) return this.endBatch(ctx, b);
    const r = b.records[b.i] as SimRecord;
    const c = this.c;
    const host = c.env.async;
    const owner = this.owner;
    const h = (this.cfg as RunConfig).eachMessage;
    if (host === undefined || owner === null || h === null) return;
    const p = b.p;
    c.env.history.record({ timeUs: ctx.nowUs, process: c.name, type: "invoke", f: "process", value: { group: c.groupId, topic: p.topic, partition: p.partition, offset: r.offset, value: r.value, result: "ok" } });
    const attempt = this.api.attemptOf(p.tp, r.offset);
    const payload = {
      topic: p.topic,
      partition: p.partition,
      message: this.api.link.store.message(r.value, r.key, r.offset),
      heartbeat: b.heartbeat,
      pause: b.pause,
    };
    callHandler(host, owner, () => h(payload), (ok, v) => this.messageDone(ctx, b, r, attempt, ok, v));
  }

  private messageDone(ctx: Ctx, b: BatchRun, r: SimRecord, attempt: number, ok: boolean, v: unknown): void {
    const c = this.c;
    const p = b.p;
    if (!ok) {
      const error = asError(v);
      c.env.history.record({ timeUs: ctx.nowUs, process: c.name, type: "fail", f: "process", value: { group: c.groupId, topic: p.topic, partition: p.partition, offset: r.offset, value: r.value, result: "error", attempts: attempt } });
      ctx.emit({ type: "handler-error", member: c.name, group: c.groupId, topic: p.topic, partition: p.partition, offset: r.offset, value: r.value, error: `${error.name}: ${error.message}` });
      // runner.js processEachMessage: commit what was resolved before, then rethrow.
      return this.offsets.autoCommitOffsets(ctx, () => this.batchFailed(ctx, b, { kind: "error", error }));
    }
    this.api.resolvedAttempt(p.tp, r.offset);
    c.env.history.record({ timeUs: ctx.nowUs, process: c.name, type: "ok", f: "process", value: { group: c.groupId, topic: p.topic, partition: p.partition, offset: r.offset, value: r.value, result: "ok", attempts: attempt } });
    this.resolve(p, r.offset);
    b.i++;
    // resolveOffset, await heartbeat(), await autoCommitOffsetsIfNecessary(), break when paused.
    this.heartbeats.heartbeat(ctx, (error) => {
      if (error !== "NONE") return this.autoCommitIfRebalancing(ctx, error, () => this.batchFailed(ctx, b, this.heartbeatStop(error)));
      this.offsets.autoCommitIfNecessary(ctx, (cerr) => {
        if (cerr !== "NONE") return this.batchFailed(ctx, b, this.commitStop(cerr));
        if (this.isPaused(p.topic, p.partition)) return this.endBatch(ctx, b);
        this.nextMessage(ctx, b);
      });
    });
  }

  /** resolveOffset: the record at `offset` is processed; the next fetch and the next commit start after it. */
  private resolve(p: PartState, offset: number): void {
    if (offset + 1 > p.processed) p.processed = offset + 1;
    this.processedCount++;
  }

  private runEachBatch(ctx: Ctx, b: BatchRun): void {
    const c = this.c;
    const host = c.env.async;
    const owner = this.owner;
    const h = (this.cfg as RunConfig).eachBatch;
    if (host === undefined || owner === null || h === null) return;
    const p = b.p;
    const store = this.api.link.store;
    const messages = b.records.map((r) => store.message(r.value, r.key, r.offset));
    b.messages = messages;
    const last = b.records[b.records.length - 1] as SimRecord;
    const live = (): boolean => this.batches.get(p.tp) === b && owner.alive();
    const payload = this.calls.eachBatchPayload(p, b.records, messages, {
      resolveOffset: (offset: string | number) => {
        if (live()) this.resolveUpTo(ctx, b, Number(offset));
      },
      isRunning: () => this.phase === "running",
    });
    for (const r of b.records) c.env.history.record({ timeUs: ctx.nowUs, process: c.name, type: "invoke", f: "process", value: { group: c.groupId, topic: p.topic, partition: p.partition, offset: r.offset, value: r.value, result: "ok" } });
    callHandler(host, owner, () => h(payload), (ok, v) => {
      if (!ok) {
        const error = asError(v);
        ctx.emit({ type: "handler-error", member: c.name, group: c.groupId, topic: p.topic, partition: p.partition, offset: (b.records[b.i] ?? last).offset, value: (b.records[b.i] ?? last).value, error: `${error.name}: ${error.message}` });
        return this.offsets.autoCommitOffsets(ctx, () => this.batchFailed(ctx, b, { kind: "error", error }));
      }
      // eachBatchAutoResolve: the batch's last offset is resolved when the handler resolved.
      if ((this.cfg as RunConfig).eachBatchAutoResolve) this.resolveUpTo(ctx, b, last.offset);
      this.endBatch(ctx, b);
    });
  }

  /** eachBatch's resolveOffset: every record up to `offset` is processed now. */
  private resolveUpTo(ctx: Ctx, b: BatchRun, offset: number): void {
    const c = this.c;
    const p = b.p;
    while (b.i < b.records.length && (b.records[b.i] as SimRecord).offset <= offset) {
      const r = b.records[b.i] as SimRecord;
      c.env.history.record({ timeUs: ctx.nowUs, process: c.name, type: "ok", f: "process", value: { group: c.groupId, topic: p.topic, partition: p.partition, offset: r.offset, value: r.value, result: "ok", attempts: 1 } });
      this.resolve(p, r.offset);
      b.i++;
    }
  }

  /** onBatch's end: commit the resolved offsets (autoCommit), heartbeat, and free the partition. */
  private endBatch(ctx: Ctx, b: BatchRun): void {
    this.offsets.autoCommitOffsets(ctx, (cerr) => {
      if (cerr !== "NONE") return this.batchFailed(ctx, b, this.commitStop(cerr));
      this.heartbeats.heartbeat(ctx, (error) => {
        if (error !== "NONE") return this.autoCommitIfRebalancing(ctx, error, () => this.batchFailed(ctx, b, this.heartbeatStop(error)));
        this.release(ctx, b);
        this.pump(ctx);
      });
    });
  }

  private release(ctx: Ctx, b: BatchRun): void {
    if (this.batches.get(b.p.tp) !== b) return;
    this.batches.delete(b.p.tp);
    const p = b.p;
    const current = this.c.positions.parts.get(p.tp) === p;
    p.hold = current && this.isPaused(p.topic, p.partition);
    // Records fetched but not handed to the handler (a pause, a seek, a stop) are fetched again from the resolved
    // offset: kafkajs drops them (its next fetch asks from nextOffset).
    if (current && (b.i < b.records.length || p.hold) && !this.seeks.has(p.tp)) this.moveTo(ctx, p, p.processed, "refetch");
    if (current) this.c.positions.kickFetch(ctx);
  }

  /** The partition's next fetch starts at `offset` (recorded when the position moves). */
  private moveTo(ctx: Ctx, p: PartState, offset: number, reason: "refetch" | "seek"): void {
    const c = this.c;
    if (p.position !== offset || reason === "seek") c.env.history.record({ timeUs: ctx.nowUs, process: c.name, type: "ok", f: "seek", value: { group: c.groupId, topic: p.topic, partition: p.partition, offset, reason } });
    c.positions.setPosition(p, offset);
  }

  /** A batch stopped with an error: the fetch manager stops; once every batch is done, the runner acts. */
  private batchFailed(ctx: Ctx, b: BatchRun, stop: Stop): void {
    if (this.stop === null || (this.stop.kind === "rebalance" && stop.kind === "error")) this.stop = stop;
    this.release(ctx, b);
    this.pump(ctx);
  }

  private failed(ctx: Ctx, stop: Stop): void {
    if (this.stop === null) this.stop = stop;
    this.pump(ctx);
  }

  /** scheduleFetchManager's catch, once the fetchers stopped. */
  private afterStop(ctx: Ctx): void {
    const stop = this.stop as Stop;
    this.stop = null;
    // The next fetch asks from the resolved offsets (OffsetManager.nextOffset).
    for (const p of this.c.positions.parts.values()) if (p.position >= 0 && p.resetReason === null) this.moveTo(ctx, p, p.processed, "refetch");
    if (stop.kind === "rebalance") {
      // joinAndSync, then a new fetch manager run with a fresh retrier.
      this.c.membership.needsRejoin = true;
      return this.pump(ctx);
    }
    const e = stop.error;
    const retrier = this.retrier as Retrier;
    if (!isRetriableError(e)) return this.crash(ctx, new KafkaJSNonRetriableError(e, { cause: (e as { cause?: unknown }).cause ?? e }));
    const wait = retrier.failed();
    if (wait === null) return this.crash(ctx, new KafkaJSNumberOfRetriesExceeded(e, { retryCount: retrier.retryCount, retryTime: retrier.retryTime }));
    this.phase = "retry-wait";
    ctx.setTimer(wait * 1000, RETRY);
  }

  /** onCrash (src/consumer/index.js): disconnect — leave the group — then restart after the retry time, unless the
   *  error is not retriable or restartOnFailure says no (decideRestart, handler-calls.ts). */
  private crash(ctx: Ctx, e: KafkaJSError): void {
    const c = this.c;
    this.leave(ctx);
    const retryTime = (e as { retryTime?: number }).retryTime ?? this.api.retry.initialRetryTime ?? 300;
    const decide = (restart: boolean): void => {
      ctx.emit({ type: "kafkajs-crash", member: c.name, group: c.groupId, error: `${e.name}: ${e.message}`, restart });
      this.api.crashed(e, restart);
      if (!restart) {
        this.phase = "stopped";
        return;
      }
      this.phase = "restart-wait";
      ctx.setTimer(retryTime * 1000, RETRY);
    };
    const waiting = (): void => {
      this.phase = "restart-wait";
    };
    decideRestart(e, { ask: this.api.retry.restartOnFailure, host: c.env.async, owner: this.owner, waiting, decide });
  }

  /** consumerGroup.leave(): LeaveGroup, and the member is gone (a restart joins as a new member). */
  private leave(ctx: Ctx): void {
    const c = this.c;
    const m = c.membership;
    m.leaveOnClose(ctx);
    m.memberId = "";
    m.generation = -1;
    m.needsRejoin = true;
    m.state = "unjoined";
    c.positions.revokeAll();
    this.offsets.committed.clear();
    this.committedEpoch = -1;
    this.phase = "idle";
  }

  // ---------------------------------------------------------------- stop / disconnect

  /** consumer.stop(): running batches stop after their current message, then the member leaves the group. */
  requestStop(ctx: Ctx, done: () => void): void {
    if (this.phase === "idle" || this.phase === "stopped") return done();
    this.stopWaiters.push(done);
    if (this.phase !== "running") {
      this.phase = "stopping";
      return this.maybeStopped(ctx);
    }
    this.phase = "stopping";
    this.maybeStopped(ctx);
  }

  private maybeStopped(ctx: Ctx): void {
    if (this.batches.size > 0 || this.commitsInFlight > 0) return;
    this.leave(ctx);
    this.phase = "stopped";
    const ws = this.stopWaiters;
    this.stopWaiters = [];
    for (const w of ws) w();
  }

  // ---------------------------------------------------------------- heartbeats and commits

  private heartbeatStop(error: KafkaErrorCode): Stop {
    return this.rebalancing(error) ? { kind: "rebalance" } : { kind: "error", error: kafkaJSErrorOf(error) };
  }

  private commitStop(error: KafkaErrorCode): Stop {
    return this.rebalancing(error) ? { kind: "rebalance" } : { kind: "error", error: kafkaJSErrorOf(error) };
  }

  /** isRebalancing (src/errors.js), and UNKNOWN_MEMBER_ID, after which runner.js also rejoins. */
  private rebalancing(error: KafkaErrorCode): boolean {
    return error === "REBALANCE_IN_PROGRESS" || error === "NOT_COORDINATOR" || error === "ILLEGAL_GENERATION" || error === "UNKNOWN_MEMBER_ID" || this.c.membership.needsRejoin;
  }

  /** Runner.heartbeat: on a rebalancing error, the resolved offsets are committed before the error goes on. */
  private autoCommitIfRebalancing(ctx: Ctx, error: KafkaErrorCode, then: () => void): void {
    if (!this.rebalancing(error) || this.c.membership.memberId === "") return then();
    this.offsets.autoCommitOffsets(ctx, () => then());
  }

  /** OffsetManager.commitOffsets (offset-manager.ts), for the consumer's commitOffsets and the runner's seeks. */
  commit(ctx: Ctx, offsets: TopicPartitionOffset[], then: (error: KafkaErrorCode) => void, retry = false): void {
    this.offsets.commit(ctx, offsets, then, retry);
  }

  // ---------------------------------------------------------------- seek and pause (handler-calls.ts)

  isPaused(topic: string, partition: number): boolean {
    return this.calls.isPaused(topic, partition);
  }

  /** Pause or resume took effect: a paused partition is not fetched and its buffered records are dropped. */
  pausedChanged(ctx: Ctx): void {
    this.calls.pausedChanged(ctx);
  }

  /** The live context (for the API's calls into the process). */
  get context(): Ctx | null {
    return this.ctx;
  }
}
