// Offset commits (ConsumerCoordinator.commitOffsetsSync / commitOffsetsAsync and auto-commit): sync commits
// block the application and retry retriable errors until default.api.timeout.ms; async and auto commits are sent
// once. A commit refused because the member left its generation is Kafka's CommitFailedException.
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { Consumer } from "./consumer.ts";
import { STATE_BLOB } from "./types.ts";
import type { Ctx, StoredState, TopicPartitionOffset } from "./types.ts";

/** Kafka's default.api.timeout.ms: how long commitSync keeps retrying retriable errors. */
const DEFAULT_API_TIMEOUT_MS = 60_000;

export interface PendingCommit {
  readonly mode: "sync" | "async" | "auto";
  readonly offsets: TopicPartitionOffset[];
  readonly generation: number;
  readonly deadlineUs: number;
  /** Consumer state (running sum) as of these offsets, stored with the commit when state is "stored". */
  readonly stateSum: number;
  maybeCommitted: boolean;
  /** Sync commits: what the application does next (it was blocked). */
  readonly then: (() => void) | null;
  /** Sync commits retry retriable errors until default.api.timeout.ms (the Java client); false: one attempt
   *  (kafkajs's OffsetManager.commitOffsets, whose caller handles the error). */
  readonly retry: boolean;
  /** How it ended ("NONE": committed), once it did. */
  result: KafkaErrorCode | null;
}

class CommitRetry {
  constructor(readonly c: PendingCommit) {}
}

export class Commits {
  constructor(private readonly c: Consumer) {}

  onTimer(ctx: Ctx, tag: unknown): boolean {
    if (!(tag instanceof CommitRetry)) return false;
    this.sendCommit(ctx, tag.c);
    return true;
  }

  /** Commit offsets. Sync commits block the application until done (`then`), retrying retriable errors until
   *  default.api.timeout.ms; async and auto commits are sent once. "auto-sync" = the auto-commit before a rejoin. */
  commit(ctx: Ctx, mode: "sync" | "async" | "auto" | "auto-sync", offsets: TopicPartitionOffset[], then: (() => void) | null, retry = true): PendingCommit {
    const c = this.c;
    const m = c.membership;
    const histMode = mode === "auto-sync" ? "auto" : mode;
    const pc: PendingCommit = { mode: histMode, offsets, generation: m.generation, deadlineUs: ctx.nowUs + DEFAULT_API_TIMEOUT_MS * 1000, stateSum: c.processing.sum, maybeCommitted: false, then, retry, result: null };
    if (mode !== "auto") c.app.lastManualCommitUs = ctx.nowUs;
    c.env.history.record({ timeUs: ctx.nowUs, process: c.name, type: "invoke", f: "commit", value: { group: c.groupId, generation: m.generation, offsets, mode: histMode } });
    if (then !== null) c.app.blocked = true;
    if (c.proc.state === "stored" && mode !== "auto" && mode !== "auto-sync") {
      const prev = ctx.disk.readBlob<StoredState>(STATE_BLOB)?.offsets ?? {};
      const next: Record<string, number> = { ...prev };
      for (const o of offsets) next[`${o.topic}-${o.partition}`] = o.offset;
      ctx.disk.writeBlob<StoredState>(STATE_BLOB, { sum: c.processing.sum, offsets: next }, { flush: true });
    }
    // ConsumerCoordinator.sendOffsetCommitRequest: not part of an active group → fail at once.
    if (m.generation < 0 || m.memberId === "") this.commitDone(ctx, pc, m.state === "joining" || m.state === "syncing" ? "REBALANCE_IN_PROGRESS" : "UNKNOWN_MEMBER_ID", true);
    else this.sendCommit(ctx, pc);
    return pc;
  }

  private sendCommit(ctx: Ctx, pc: PendingCommit): void {
    const c = this.c;
    const coord = c.requests.findCoordinator(ctx);
    if (coord === null) return this.commitDone(ctx, pc, "COORDINATOR_NOT_AVAILABLE", true);
    c.requests.send(ctx, coord, "commit", { type: "group.offset-commit", corr: c.requests.nextCorr(), group: c.groupId, generation: pc.generation, memberId: c.membership.memberId, offsets: pc.offsets }, { commit: pc });
  }

  /** The commit's connection broke: the offsets may or may not have been written. */
  requestLost(ctx: Ctx, pc: PendingCommit): void {
    pc.maybeCommitted = true;
    this.c.requests.coordinatorDead();
    this.commitDone(ctx, pc, "NETWORK_EXCEPTION");
  }

  commitDone(ctx: Ctx, pc: PendingCommit, error: KafkaErrorCode, local = false): void {
    const c = this.c;
    const retriable = error === "NOT_COORDINATOR" || error === "COORDINATOR_NOT_AVAILABLE" || error === "COORDINATOR_LOAD_IN_PROGRESS" || error === "NETWORK_EXCEPTION" || error === "REQUEST_TIMED_OUT";
    if (retriable) c.membership.onGroupError(ctx, error);
    // The coordinator maps append failures (some after the append: NOT_ENOUGH_REPLICAS_AFTER_APPEND, a purgatory
    // timeout, a lost leadership) to these: the offsets may still become committed, so the outcome is unknown.
    if (retriable && !local) pc.maybeCommitted = true;
    if (retriable && pc.then !== null && pc.retry && ctx.nowUs + c.cfg["retry.backoff.ms"] * 1000 < pc.deadlineUs) {
      ctx.setTimer(c.cfg["retry.backoff.ms"] * 1000, new CommitRetry(pc));
      return;
    }
    pc.result = error;
    const value = { group: c.groupId, generation: pc.generation, offsets: pc.offsets, mode: pc.mode };
    if (error === "NONE") {
      c.env.history.record({ timeUs: ctx.nowUs, process: c.name, type: "ok", f: "commit", value });
    } else {
      // CommitFailedException: the member is no longer part of that generation (rebalanced or removed).
      const failed = error === "ILLEGAL_GENERATION" || error === "UNKNOWN_MEMBER_ID" || error === "REBALANCE_IN_PROGRESS";
      if (!local) c.membership.onGroupError(ctx, error);
      if (failed) ctx.emit({ type: "commit-failed", member: c.name, group: c.groupId, generation: pc.generation, error });
      const type = pc.maybeCommitted && !failed ? "info" : "fail";
      c.env.history.record({ timeUs: ctx.nowUs, process: c.name, type, f: "commit", value: { ...value, error: failed ? "COMMIT_FAILED" : error } });
    }
    if (pc.then !== null) c.app.unblock(ctx, pc.then);
  }
}
