// The processing model: the records poll() handed out, processed one at a time (eachMessage) or one partition's
// records per call (eachBatch): per-record time, failure probability, failing downstream, retries with backoff,
// skip or dead-letter; commits per the processing spec (per record, per batch, per interval; before or after).
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import { SimInputError } from "../../core/errors.ts";
import type { BatchOutcome, EachBatchPayload, EachMessagePayload, KafkaMessage, MessageOutcome } from "../user-code.ts";
import { isThenable } from "../kafkajs/host.ts";
import type { Consumer } from "./consumer.ts";
import type { PollLoop } from "./poll-loop.ts";
import type { ConsumerProcessing, Ctx, TopicPartitionOffset, WorkItem } from "./types.ts";

const PROCESS = { t: "process" } as const;
const PROCESS_BATCH = { t: "process-batch" } as const;
const RETRY_ATTEMPT = { t: "retry-attempt" } as const;

/** Call user code; a throw is a value (a failed attempt), not the end of the run. */
function callUser<T>(fn: () => T): { readonly ok: true; readonly value: T } | { readonly ok: false; readonly value: unknown } | PromiseLike<unknown> {
  let v: T;
  try {
    v = fn();
  } catch (e) {
    return { ok: false, value: e };
  }
  return isThenable(v) ? v : { ok: true, value: v };
}

function asyncInSyncRun(group: string, handler: string): SimInputError {
  return new SimInputError("ASYNC_USER_CODE", `consumer group ${group}: ${handler} returned a Promise; async handlers run in virtual time with \`await runScenarioAsync(scenario)\` (or the kafkajs API: \`sim.kafka()\`, \`await sim.run()\`)`, `consumers.${group}.handler`);
}

export class Processing implements ConsumerProcessing {
  /** The poll loop it hands control back to (set by the consumer). */
  loop: PollLoop | null = null;
  private readonly work: WorkItem[] = [];
  /** A record (or batch) is being processed. */
  working = false;
  private attempt = 0;
  private attemptOk = true;
  /** The consumer's state: running sum of processed values (proc.state memory or stored). */
  sum = 0;
  processedCount = 0;
  private resolvedOffset = -1;
  private batchCommitAsked = false;

  constructor(private readonly c: Consumer) {}

  onTimer(ctx: Ctx, tag: unknown): boolean {
    if (tag === PROCESS) this.finishAttempt(ctx);
    else if (tag === PROCESS_BATCH) this.finishBatch(ctx);
    else if (tag === RETRY_ATTEMPT) this.beginAttempt(ctx);
    else return false;
    return true;
  }

  /** The group's downstream (its database) is failing now: the `downstream-down` fault, kept by the world so
   *  that it outlives a crashed member. */
  private downstreamDown(ctx: Ctx): boolean {
    return ctx.nowUs < (this.c.env.downstreamDownUntilUs?.(this.c.groupId) ?? -1);
  }

  /** Queue a poll's records (eachBatch: one work item per partition). */
  enqueue(records: readonly WorkItem[]): void {
    if (this.c.spec.handler?.eachBatch) this.pushBatches(records);
    else for (const w of records) this.work.push(w);
  }

  private pushBatches(records: readonly WorkItem[]): void {
    const byTp = new Map<string, WorkItem[]>();
    for (const w of records) {
      const k = `${w.topic}-${w.partition}`;
      let l = byTp.get(k);
      if (l === undefined) byTp.set(k, (l = []));
      l.push(w);
    }
    let i = 0;
    for (const l of byTp.values()) {
      const first = l[0] as WorkItem;
      this.work.push({ topic: first.topic, partition: first.partition, message: first.message, endOfBatch: ++i === byTp.size, batch: l.map((w) => w.message) });
    }
  }

  // ---------------------------------------------------------------- eachBatch

  private runBatch(ctx: Ctx, w: WorkItem, batch: readonly KafkaMessage[]): void {
    const c = this.c;
    const h = c.spec.handler?.eachBatch;
    const p = c.positions.parts.get(`${w.topic}-${w.partition}`);
    this.resolvedOffset = -1;
    this.batchCommitAsked = false;
    const payload: EachBatchPayload = {
      batch: { topic: w.topic, partition: w.partition, highWatermark: p?.highWatermark ?? -1, messages: batch },
      resolveOffset: (offset: number) => {
        if (offset > this.resolvedOffset) this.resolvedOffset = offset;
      },
      heartbeat: () => {},
      commitOffsetsIfNecessary: () => {
        this.batchCommitAsked = true;
      },
      nowMs: ctx.nowUs / 1000,
      downstreamDown: this.downstreamDown(ctx),
      random: () => ctx.rng.next(),
    };
    const host = c.env.async;
    if (h !== undefined && host !== undefined && c.owner !== null) {
      // Async user code: the batch takes the virtual time until its Promise settles; what it resolved counts.
      const owner = c.owner;
      host.run(owner, () => {
        const out = callUser(() => h(payload));
        if (!isThenable(out)) return this.batchTimer(ctx, out.ok ? (out.value as BatchOutcome) : undefined, batch.length);
        host.await(owner, out, () => ctx.setTimer(0, PROCESS_BATCH));
      });
      return;
    }
    const out = h === undefined ? undefined : callUser(() => h(payload));
    if (out !== undefined && isThenable(out)) throw asyncInSyncRun(c.groupId, "eachBatch");
    // A handler that throws resolved what it resolved before the throw.
    this.batchTimer(ctx, out?.ok ? (out.value as BatchOutcome) : undefined, batch.length);
  }

  private batchTimer(ctx: Ctx, out: BatchOutcome, records: number): void {
    const processMs = out?.processMs ?? this.c.proc.timeMs * records;
    ctx.setTimer(Math.max(0, Math.round(processMs * 1000)), PROCESS_BATCH);
  }

  private finishBatch(ctx: Ctx): void {
    const c = this.c;
    const w = this.work.shift();
    if (w === undefined || w.batch === undefined) return;
    let lastDone = -1;
    for (const m of w.batch) {
      if (m.offset > this.resolvedOffset) break;
      c.env.history.recordProcess(ctx.nowUs, c.name, "invoke", c.groupId, w.topic, w.partition, m.offset, m.value, "ok", -1);
      c.env.history.recordProcess(ctx.nowUs, c.name, "ok", c.groupId, w.topic, w.partition, m.offset, m.value, "ok", 1);
      if (c.proc.state !== "none") this.sum += m.value;
      this.processedCount++;
      lastDone = m.offset;
    }
    const p = c.positions.parts.get(`${w.topic}-${w.partition}`);
    if (p !== undefined) {
      if (lastDone >= 0 && lastDone + 1 > p.processed) p.processed = lastDone + 1;
      const first = w.batch[0];
      const unresolvedFrom = lastDone >= 0 ? lastDone + 1 : first ? first.offset : -1;
      const last = w.batch[w.batch.length - 1];
      // kafkajs: records after the last resolved offset are fetched again (seek back).
      if (last !== undefined && unresolvedFrom <= last.offset && unresolvedFrom >= 0) {
        c.positions.setPosition(p, unresolvedFrom);
        this.work.splice(0, this.work.length, ...this.work.filter((x) => !(x.topic === w.topic && x.partition === w.partition)));
      }
    }
    const next = (): void => this.startNext(ctx);
    const manual = c.proc.commit === "after-processing" && c.proc.commitEvery !== "interval";
    if ((this.batchCommitAsked || manual) && p !== undefined && p.processed >= 0) {
      c.commits.commit(ctx, c.proc.commitMode, [{ topic: w.topic, partition: w.partition, offset: p.processed }], c.proc.commitMode === "sync" ? next : null);
      if (c.proc.commitMode === "sync") return;
    }
    next();
  }

  // ---------------------------------------------------------------- eachMessage

  startNext(ctx: Ctx): void {
    const c = this.c;
    const w = this.work[0];
    if (w === undefined) {
      this.working = false;
      if (!c.proc.async) this.loop?.schedulePoll(ctx, 0);
      return;
    }
    this.working = true;
    this.attempt = 0;
    if (w.batch !== undefined) return this.runBatch(ctx, w, w.batch);
    c.env.history.recordProcess(ctx.nowUs, c.name, "invoke", c.groupId, w.topic, w.partition, w.message.offset, w.message.value, "ok", -1);
    const go = (): void => this.beginAttempt(ctx);
    if (c.proc.commit === "before-processing" && c.proc.commitEvery === "record") {
      const offsets = [{ topic: w.topic, partition: w.partition, offset: w.message.offset + 1 }];
      c.commits.commit(ctx, c.proc.commitMode, offsets, c.proc.commitMode === "sync" ? go : null);
      if (c.proc.commitMode !== "sync") go();
      return;
    }
    if (c.proc.commitEvery === "interval" && c.proc.commit === "before-processing" && ctx.nowUs - c.app.lastManualCommitUs >= c.proc.commitIntervalMs * 1000) {
      c.app.lastManualCommitUs = ctx.nowUs;
      c.commits.commit(ctx, c.proc.commitMode, c.positions.positions(), c.proc.commitMode === "sync" ? go : null);
      if (c.proc.commitMode !== "sync") go();
      return;
    }
    go();
  }

  private beginAttempt(ctx: Ctx): void {
    const c = this.c;
    const w = this.work[0] as WorkItem;
    this.attempt++;
    const down = this.downstreamDown(ctx);
    const processMs = c.proc.timeMs;
    const ok = !down && !ctx.rng.chance(c.proc.failureProb);
    const h = c.spec.handler?.eachMessage;
    if (h) {
      const payload: EachMessagePayload = { topic: w.topic, partition: w.partition, message: w.message, attempt: this.attempt, nowMs: ctx.nowUs / 1000, downstreamDown: down, random: () => ctx.rng.next() };
      const host = c.env.async;
      if (host !== undefined && c.owner !== null) {
        // Async user code: the attempt lasts until its Promise settles; a rejection is a failed attempt, retried
        // per the processing spec, and the record counts as processed only once an attempt resolved.
        const owner = c.owner;
        host.run(owner, () => {
          const r = callUser(() => h(payload));
          if (!isThenable(r)) return this.attemptDone(ctx, r.ok ? (r.value as MessageOutcome) : { ok: false }, processMs, down);
          host.await(owner, r, (fulfilled, v) => {
            const out = fulfilled ? (v as MessageOutcome) : { ok: false };
            this.attemptOk = (out?.ok ?? true) && fulfilled;
            ctx.setTimer(0, PROCESS);
          });
        });
        return;
      }
      const r = callUser(() => h(payload));
      if (isThenable(r)) throw asyncInSyncRun(c.groupId, "eachMessage");
      // A handler that throws failed this attempt (retried per the processing spec), as one returning ok: false.
      return this.attemptDone(ctx, r.ok ? (r.value as MessageOutcome) : { ok: false }, processMs, down);
    }
    this.attemptOk = ok;
    ctx.setTimer(Math.max(0, Math.round(processMs * 1000)), PROCESS);
  }

  private attemptDone(ctx: Ctx, out: MessageOutcome, defaultMs: number, down: boolean): void {
    let processMs = defaultMs;
    let ok = !down;
    if (out) {
      if (out.processMs !== undefined) processMs = out.processMs;
      if (out.ok !== undefined) ok = out.ok && !down;
    }
    this.attemptOk = ok;
    ctx.setTimer(Math.max(0, Math.round(processMs * 1000)), PROCESS);
  }

  private finishAttempt(ctx: Ctx): void {
    const c = this.c;
    const w = this.work[0];
    if (w === undefined) return;
    if (!this.attemptOk && this.attempt <= c.proc.retries) {
      // Retry after the backoff: the processing time of the next attempt starts then.
      this.attemptOk = true;
      ctx.setTimer(c.proc.retryBackoffMs * 1000, RETRY_ATTEMPT);
      return;
    }
    if (this.attemptOk) return this.recordDone(ctx, w, "ok");
    if (c.proc.onFailure === "dead-letter") return this.sendDeadLetter(ctx, w);
    return this.recordDone(ctx, w, "failed");
  }

  private recordDone(ctx: Ctx, w: WorkItem, result: "ok" | "failed" | "dead-letter"): void {
    const c = this.c;
    this.work.shift();
    c.env.history.recordProcess(ctx.nowUs, c.name, result === "failed" ? "fail" : "ok", c.groupId, w.topic, w.partition, w.message.offset, w.message.value, result, this.attempt);
    if (result === "ok" && c.proc.state !== "none") this.sum += w.message.value;
    this.processedCount++;
    const p = c.positions.parts.get(`${w.topic}-${w.partition}`);
    if (p !== undefined && w.message.offset + 1 > p.processed) p.processed = w.message.offset + 1;
    const next = (): void => this.startNext(ctx);
    const pipeline = c.pipeline;
    if (pipeline !== null) {
      if (result === "ok") pipeline.add(ctx, w);
      if (w.endOfBatch) {
        // Consume-transform-produce: the batch's output is written (transactional: with its offsets, in one
        // transaction) before the next poll; a plain pipeline then commits as its strategy says.
        if (pipeline.transactional) return pipeline.flush(ctx, c.positions.processedPositions(), next);
        return pipeline.flush(ctx, [], () => this.commitAfter(ctx, w, next));
      }
    }
    this.commitAfter(ctx, w, next);
  }

  /** An after-processing commit when the strategy asks for one now; then `next`. */
  private commitAfter(ctx: Ctx, w: WorkItem, next: () => void): void {
    const c = this.c;
    if (c.proc.commit === "after-processing") {
      let offsets: TopicPartitionOffset[] | null = null;
      if (c.proc.commitEvery === "record") offsets = [{ topic: w.topic, partition: w.partition, offset: w.message.offset + 1 }];
      else if (c.proc.commitEvery === "batch" && w.endOfBatch) offsets = c.positions.processedPositions();
      else if (c.proc.commitEvery === "interval" && ctx.nowUs - c.app.lastManualCommitUs >= c.proc.commitIntervalMs * 1000) {
        c.app.lastManualCommitUs = ctx.nowUs;
        offsets = c.positions.processedPositions();
      }
      if (offsets !== null && offsets.length > 0) {
        c.commits.commit(ctx, c.proc.commitMode, offsets, c.proc.commitMode === "sync" ? next : null);
        if (c.proc.commitMode === "sync") return;
      }
    }
    next();
  }

  // ---------------------------------------------------------------- dead letters

  private sendDeadLetter(ctx: Ctx, w: WorkItem): void {
    const c = this.c;
    const leader = c.requests.leaderOf(c.dltTopic, 0);
    if (leader === null) {
      c.requests.refreshMetadata(ctx);
      return this.recordDone(ctx, w, "failed");
    }
    const corr = c.requests.nextCorr();
    c.env.history.record({ timeUs: ctx.nowUs, process: c.name, type: "invoke", f: "send", value: { topic: c.dltTopic, key: w.message.key, value: w.message.value, partition: 0 } });
    c.requests.send(ctx, c.requests.broker(leader), "dlt", { type: "produce", corr, acks: -1, timeoutMs: c.cfg["request.timeout.ms"], producerId: -1, producerEpoch: -1, batches: [{ topic: c.dltTopic, partition: 0, baseSequence: -1, values: [w.message.value], keys: [w.message.key ?? -1] }] });
  }

  dltDone(ctx: Ctx, error: KafkaErrorCode): void {
    const c = this.c;
    const w = this.work[0];
    if (w === undefined) return;
    const ok = error === "NONE";
    const v = { topic: c.dltTopic, key: w.message.key, value: w.message.value, partition: 0 };
    c.env.history.record({ timeUs: ctx.nowUs, process: c.name, type: ok ? "ok" : error === "NETWORK_EXCEPTION" || error === "REQUEST_TIMED_OUT" ? "info" : "fail", f: "send", value: ok ? v : { ...v, error } });
    this.recordDone(ctx, w, ok ? "dead-letter" : "failed");
  }
}
