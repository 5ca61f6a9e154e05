// The application's poll loop (KafkaConsumer.poll): rejoin when needed, auto-commit, take up to max.poll.records
// buffered records and hand them to processing. enable.auto.commit: at the start of poll() every
// auto.commit.interval.ms and before a rebalance, committing the positions handed out by earlier polls (fact 21).
// Sync processing: poll waits for the batch; async: a worker processes while poll goes on (the auto-commit hazard).
import type { Consumer } from "./consumer.ts";
import type { Processing } from "./processing.ts";
import type { ConsumerApp, Ctx } from "./types.ts";

/** How often an idle application calls poll() again (its poll timeout). */
const IDLE_POLL_MS = 50;
/** In async mode, how soon the poll loop polls again after handing records to the worker. */
const ASYNC_POLL_MS = 10;

const POLL = { t: "poll" } as const;

export class PollLoop implements ConsumerApp {
  readonly heartbeatThread = true;
  /** The application is blocked in a synchronous commit. */
  blocked = false;
  /** The poll loop came round while the application was blocked in a synchronous commit: poll once it returns. */
  private pollDeferred = false;
  private pollHandle = -1;
  private nextAutoCommitUs = 0;
  lastManualCommitUs = 0;

  constructor(
    private readonly c: Consumer,
    private readonly processing: Processing,
  ) {}

  start(ctx: Ctx, startUs: number): void {
    const firstPollUs = ctx.nowUs + startUs;
    this.nextAutoCommitUs = firstPollUs + this.c.cfg["auto.commit.interval.ms"] * 1000;
    this.lastManualCommitUs = firstPollUs;
    this.pollHandle = ctx.setTimer(startUs, POLL);
  }

  onTimer(ctx: Ctx, tag: unknown): boolean {
    if (tag !== POLL) return false;
    this.pollHandle = -1;
    this.poll(ctx);
    return true;
  }

  schedulePoll(ctx: Ctx, delayMs: number): void {
    this.pollDeferred = false;
    if (this.pollHandle >= 0) ctx.cancelTimer(this.pollHandle);
    this.pollHandle = ctx.setTimer(delayMs * 1000, POLL);
  }

  /** New data or a finished rebalance: an application waiting in poll() returns now. */
  wakeApp(ctx: Ctx): void {
    if (this.blocked || (!this.c.proc.async && this.processing.working)) return;
    if (this.pollHandle >= 0) this.schedulePoll(ctx, 0);
  }

  /** A synchronous commit returned: the application goes on with `then`, and polls if it was due. */
  unblock(ctx: Ctx, then: () => void): void {
    this.blocked = false;
    then();
    if (this.pollDeferred && this.pollHandle < 0 && !this.blocked) {
      this.pollDeferred = false;
      this.schedulePoll(ctx, 0);
    }
  }

  private poll(ctx: Ctx): void {
    const c = this.c;
    const m = c.membership;
    if (this.blocked) {
      this.pollDeferred = true;
      return;
    }
    if (!c.proc.async && this.processing.working) return;
    m.lastPollUs = ctx.nowUs;
    const autoCommit = c.cfg["enable.auto.commit"];
    // ConsumerCoordinator.poll → maybeAutoCommitOffsetsAsync: positions handed out by earlier polls.
    if (autoCommit && m.state === "stable" && ctx.nowUs >= this.nextAutoCommitUs) {
      this.nextAutoCommitUs = ctx.nowUs + c.cfg["auto.commit.interval.ms"] * 1000;
      const pos = c.positions.positions();
      if (pos.length > 0) c.commits.commit(ctx, "auto", pos, null);
    }
    if (m.needsRejoin || m.state !== "stable") {
      // onJoinPrepare: with auto-commit, a synchronous commit of the positions before revoking (fact 21).
      if (autoCommit && m.state === "stable" && m.generation >= 0) {
        const pos = c.positions.positions();
        if (pos.length > 0) {
          m.state = "unjoined";
          c.commits.commit(ctx, "auto-sync", pos, () => {
            m.ensureGroup(ctx);
            this.schedulePoll(ctx, IDLE_POLL_MS);
          });
          return;
        }
      }
      if (m.state === "stable") m.state = "unjoined";
      m.ensureGroup(ctx);
      this.schedulePoll(ctx, IDLE_POLL_MS);
      return;
    }
    const records = c.positions.takeRecords();
    c.positions.kickFetch(ctx);
    if (records.length === 0) {
      this.schedulePoll(ctx, IDLE_POLL_MS);
      return;
    }
    c.env.history.recordPoll(ctx.nowUs, c.name, c.groupId, records);
    const p = this.processing;
    const beforeBatch = (c.proc.commit === "before-processing" && c.proc.commitEvery === "batch") || c.env.bugs.commitBeforeProcessing === true;
    const start = (): void => {
      // An exactly-once pipeline's batch, from poll() to commitTransaction(), is one stretch of the application
      // thread: no poll, so no JoinGroup (sent only from poll(): AbstractCoordinator.ensureActiveGroup), until its
      // transaction ends (fact T11). Rejoining mid-batch would reset the positions the transaction is about to
      // commit past, and the next poll would read the batch again.
      if (c.pipeline?.transactional === true) this.blocked = true;
      p.enqueue(records);
      if (!p.working) p.startNext(ctx);
      if (c.proc.async) this.schedulePoll(ctx, ASYNC_POLL_MS);
    };
    if (beforeBatch) {
      c.commits.commit(ctx, c.proc.commitMode, c.positions.positions(), c.proc.commitMode === "sync" ? start : null);
      if (c.proc.commitMode !== "sync") start();
      return;
    }
    start();
  }
}
