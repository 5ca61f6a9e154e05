// A consumer group member: Kafka's KafkaConsumer + ConsumerCoordinator (eager protocol) + Fetcher, and the
// application around it (poll loop, processing model, commits), as one actor.
//
// - Coordinator: the leader of __consumer_offsets-<abs(javaHash(group)) % n>, found through a metadata request
//   (FindCoordinator's answer in Kafka); NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE / timeouts → rediscover.
// - JoinGroup / SyncGroup (the leader assigns: range or round-robin), heartbeats in the background every
//   heartbeat.interval.ms, LeaveGroup when poll() was not called within max.poll.interval.ms (fact 22).
// - Positions from OffsetFetch after each assignment, else auto.offset.reset (earliest / latest via
//   list-offsets, none: the partition is not consumed) — also on OFFSET_OUT_OF_RANGE (fact 24).
// - enable.auto.commit: at the start of poll() every auto.commit.interval.ms and before a rebalance, committing
//   the positions handed out by earlier polls (fact 21). Manual commits per the processing spec.
// - Processing: per-record time, failure probability, failing downstream, retries with backoff, skip or
//   dead-letter; sync (poll waits for the batch) or async (a worker; poll goes on: the auto-commit hazard).
import type { Actor, NodeContext } from "../core/node.ts";
import type { NodeId } from "../core/ids.ts";
import { assertNever } from "../core/errors.ts";
import type { ConsumerConfig } from "../kafka/config.ts";
import type { KafkaErrorCode } from "../kafka/errors.ts";
import type { FetchPartition, FetchResponse, ListOffsetsResponse, Message, MetadataResponse } from "../kafka/protocol.ts";
import type { JoinGroupResponse, OffsetFetchResponse, SyncGroupResponse, TopicPartitionRef } from "../kafka/protocol-group.ts";
import type { TraceEvent } from "../events.ts";
import type { PolledRecord } from "../history.ts";
import type { ConsumerSpec, ProcessingSpec } from "../scenario/types.ts";
import { offsetsPartitionFor } from "../broker/group/partition.ts";
import { OFFSETS_TOPIC } from "../broker/group/host.ts";
import type { KafkaMessage } from "./user-code.ts";
import { assign } from "./assignors.ts";
import type { ClientEnv } from "./env.ts";
import { recordRestart } from "./env.ts";

type Ctx = NodeContext<Message, TraceEvent>;

/** Kafka's default.api.timeout.ms: how long commitSync keeps retrying retriable errors. */
const DEFAULT_API_TIMEOUT_MS = 60_000;
/** How often an idle application calls poll() again (its poll timeout). */
const IDLE_POLL_MS = 50;
/** In async mode, how soon the poll loop polls again after handing records to the worker. */
const ASYNC_POLL_MS = 10;

type ReqKind = "metadata" | "join" | "sync" | "heartbeat" | "leave" | "commit" | "offset-fetch" | "list-offsets" | "fetch" | "dlt";

interface Req {
  readonly kind: ReqKind;
  readonly corr: number;
  readonly node: NodeId;
  timer: number;
  /** Assignment epoch when sent (fetch / offset-fetch / list-offsets answers from before a rebalance are dropped). */
  readonly assignEpoch: number;
  readonly commit?: PendingCommit;
  /** Partitions of a fetch or list-offsets request. */
  readonly tps?: readonly string[];
}

interface PendingCommit {
  readonly mode: "sync" | "async" | "auto";
  readonly offsets: { topic: string; partition: number; offset: number }[];
  readonly generation: number;
  readonly deadlineUs: number;
  /** Consumer state (running sum) as of these offsets, stored with the commit when state is "stored". */
  readonly stateSum: number;
  maybeCommitted: boolean;
  /** Sync commits: what the application does next (it was blocked). */
  readonly then: (() => void) | null;
}

interface PartState {
  readonly topic: string;
  readonly partition: number;
  readonly tp: string;
  /** Next offset poll() hands out; -1 while unknown (offset fetch / reset pending). */
  position: number;
  fetchOffset: number;
  /** Next offset after the last processed record (what after-processing commits may commit). */
  processed: number;
  buffer: KafkaMessage[];
  fetching: boolean;
  /** auto.offset.reset=none and nothing valid: not consumed. */
  stuck: boolean;
  /** Waiting for a list-offsets answer (auto.offset.reset) for this reason. */
  resetReason: "no-committed-offset" | "out-of-range" | null;
  highWatermark: number;
}

interface WorkItem {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
  /** Last record of its poll's batch. */
  readonly endOfBatch: boolean;
  /** eachBatch: the partition's records of one poll, handled in one call (message = the first of them). */
  readonly batch?: readonly KafkaMessage[];
}

/** Consumer state kept "stored": the running sum with the offsets it covers, flushed before each commit is sent
 *  (like keeping offsets in the state's own store); on assignment the consumer starts from the later of the
 *  committed and the stored offset, so the sum never counts a record twice nor misses one. */
interface StoredState {
  readonly sum: number;
  readonly offsets: Readonly<Record<string, number>>;
}
const STATE_BLOB = "consumer/state";

const POLL = { t: "poll" } as const;
const HEARTBEAT = { t: "heartbeat" } as const;
const PROCESS = { t: "process" } as const;
const PROCESS_BATCH = { t: "process-batch" } as const;
const RETRY_ATTEMPT = { t: "retry-attempt" } as const;
const RETRY_GROUP = { t: "retry-group" } as const;
const KICK = { t: "kick-fetch" } as const;
const META_RETRY = { t: "metadata-retry" } as const;

class CommitRetry {
  constructor(readonly c: PendingCommit) {}
}

export class Consumer implements Actor<Message, TraceEvent> {
  readonly name: string;
  private readonly cfg: ConsumerConfig;
  private readonly proc: ProcessingSpec;
  private readonly group: string;
  private readonly dltTopic: string;
  private corr = 0;
  private readonly reqs = new Map<number, Req>();
  // metadata
  private readonly leaders = new Map<string, (number | null)[]>();
  private metaNode = 0;
  private metaInFlight = false;
  private metaRetryAtUs = 0;
  private metaRetryScheduled = false;
  /** Broker → no fetch / list-offsets to it before then (retry.backoff.ms after an error). */
  private readonly nodeBackoffUs = new Map<NodeId, number>();
  private kickScheduled = false;
  private pollRotation = 0;
  // group membership
  private coordinator: NodeId | null = null;
  private memberId = "";
  private generation = -1;
  private groupState: "unjoined" | "joining" | "syncing" | "stable" = "unjoined";
  private needsRejoin = true;
  private groupRetryPending = false;
  private assignEpoch = 0;
  private assignment: TopicPartitionRef[] = [];
  private readonly parts = new Map<string, PartState>();
  private hbInFlight = false;
  private lastPollUs = 0;
  // application
  private appBlocked = false;
  /** The poll loop came round while the application was blocked in a synchronous commit: poll once it returns. */
  private pollDeferred = false;
  private pollHandle = -1;
  private nextAutoCommitUs = 0;
  private lastManualCommitUs = 0;
  private readonly work: WorkItem[] = [];
  private working = false;
  private attempt = 0;
  private sum = 0;
  private processedCount = 0;
  /** The failing-downstream fault: every processing attempt fails until then. */
  /** The group's downstream (its database) is failing now: the `downstream-down` fault, kept by the world so
   *  that it outlives a crashed member. */
  private downstreamDown(ctx: Ctx): boolean {
    return ctx.nowUs < (this.env.downstreamDownUntilUs?.(this.group) ?? -1);
  }

  constructor(
    private readonly spec: ConsumerSpec,
    member: number,
    private readonly env: ClientEnv,
  ) {
    this.name = `${spec.group}/${member}`;
    this.cfg = spec.config;
    this.proc = spec.processing;
    this.group = spec.group;
    this.dltTopic = this.proc.deadLetterTopic ?? `${spec.topics[0] ?? "topic"}.dlt`;
  }

  // ---------------------------------------------------------------- lifecycle

  onStart(ctx: Ctx): void {
    recordRestart(ctx, this.env, this.name);
    if (this.proc.state === "stored") this.sum = ctx.disk.readBlob<StoredState>(STATE_BLOB)?.sum ?? 0;
    const startUs = Math.max(0, (this.spec.startMs ?? 0) * 1000 - ctx.nowUs);
    this.lastPollUs = ctx.nowUs + startUs;
    this.nextAutoCommitUs = this.lastPollUs + this.cfg["auto.commit.interval.ms"] * 1000;
    this.lastManualCommitUs = this.lastPollUs;
    this.pollHandle = ctx.setTimer(startUs, POLL);
    ctx.setTimer(startUs + this.cfg["heartbeat.interval.ms"] * 1000, HEARTBEAT);
  }

  onTimer(ctx: Ctx, tag: unknown): void {
    if (tag === POLL) {
      this.pollHandle = -1;
      return this.poll(ctx);
    }
    if (tag === HEARTBEAT) return this.heartbeatTick(ctx);
    if (tag === PROCESS) return this.finishAttempt(ctx);
    if (tag === PROCESS_BATCH) return this.finishBatch(ctx);
    if (tag === RETRY_ATTEMPT) return this.beginAttempt(ctx);
    if (tag === KICK) {
      this.kickScheduled = false;
      return this.kickFetch(ctx);
    }
    if (tag === META_RETRY) {
      this.metaRetryScheduled = false;
      return this.refreshMetadata(ctx);
    }
    if (tag === RETRY_GROUP) {
      this.groupRetryPending = false;
      return this.retryGroup(ctx);
    }
    if (tag instanceof CommitRetry) return this.sendCommit(ctx, tag.c);
    if (typeof tag === "object" && tag !== null && "kind" in tag) {
      const r = tag as Req;
      if (this.reqs.get(r.corr) === r) {
        // NetworkClient.handleTimedOutRequests: a request timeout closes the connection (the next request opens a
        // new one, which does not wait behind what the old one is still retransmitting).
        ctx.closeConnection(r.node);
        this.failConnection(ctx, r.node);
      }
    }
  }

  onDisconnect(ctx: Ctx, peer: NodeId): void {
    this.failConnection(ctx, peer);
  }

  /** A clean stop (KafkaConsumer.close): leave the group so it rebalances at once instead of after the session
   *  timeout. The pending work is dropped, as a closing application would. */
  onShutdown(ctx: Ctx): void {
    if (this.memberId !== "" && this.coordinator !== null) ctx.send(this.coordinator, { type: "group.leave", corr: ++this.corr, group: this.group, memberId: this.memberId });
  }

  onMessage(ctx: Ctx, _from: NodeId, msg: Message): void {
    switch (msg.type) {
      case "metadata-response":
        return this.onMetadata(ctx, msg);
      case "group.join-response":
        return this.onJoin(ctx, msg);
      case "group.sync-response":
        return this.onSync(ctx, msg);
      case "group.heartbeat-response": {
        if (!this.take(ctx, msg.corr)) return;
        this.hbInFlight = false;
        return this.onGroupError(ctx, msg.error);
      }
      case "group.leave-response":
        this.take(ctx, msg.corr);
        return;
      case "group.offset-commit-response": {
        const r = this.take(ctx, msg.corr);
        if (r?.commit) this.commitDone(ctx, r.commit, msg.error);
        return;
      }
      case "group.offset-fetch-response":
        return this.onOffsetFetch(ctx, msg);
      case "list-offsets-response":
        return this.onListOffsets(ctx, msg);
      case "fetch-response":
        return this.onFetch(ctx, msg);
      case "produce-response": {
        const r = this.take(ctx, msg.corr);
        if (r) this.dltDone(ctx, msg.partitions[0]?.error ?? "NETWORK_EXCEPTION");
        return;
      }
      default:
        return;
    }
  }

  // ---------------------------------------------------------------- requests

  private send(ctx: Ctx, node: NodeId, kind: ReqKind, msg: Message, extra: { commit?: PendingCommit; tps?: readonly string[]; timeoutMs?: number } = {}): number {
    const corr = (msg as { corr: number }).corr;
    const r: Req = { kind, corr, node, timer: -1, assignEpoch: this.assignEpoch, ...(extra.commit ? { commit: extra.commit } : {}), ...(extra.tps ? { tps: extra.tps } : {}) };
    r.timer = ctx.setTimer((extra.timeoutMs ?? this.cfg["request.timeout.ms"]) * 1000, r);
    this.reqs.set(corr, r);
    ctx.send(node, msg);
    return corr;
  }

  private take(ctx: Ctx, corr: number): Req | undefined {
    const r = this.reqs.get(corr);
    if (r === undefined) return undefined;
    this.reqs.delete(corr);
    ctx.cancelTimer(r.timer);
    return r;
  }

  /** A request timed out or the peer died: every request on that connection fails (NetworkClient). */
  private failConnection(ctx: Ctx, node: NodeId): void {
    const failed: Req[] = [];
    for (const r of this.reqs.values()) if (r.node === node) failed.push(r);
    for (const r of failed) {
      this.take(ctx, r.corr);
      switch (r.kind) {
        case "metadata":
          this.metaInFlight = false;
          this.metaNode++;
          this.metaRetryAtUs = ctx.nowUs + this.cfg["retry.backoff.ms"] * 1000;
          break;
        case "join":
        case "sync":
        case "offset-fetch":
          this.coordinatorDead(ctx);
          if (r.kind !== "offset-fetch") this.groupState = "unjoined";
          this.retryGroupLater(ctx);
          break;
        case "heartbeat":
          this.hbInFlight = false;
          this.coordinatorDead(ctx);
          break;
        case "leave":
          break;
        case "commit":
          if (r.commit) {
            r.commit.maybeCommitted = true;
            this.coordinatorDead(ctx);
            this.commitDone(ctx, r.commit, "NETWORK_EXCEPTION");
          }
          break;
        case "list-offsets":
        case "fetch":
          if (r.assignEpoch === this.assignEpoch) for (const tp of r.tps ?? []) this.partFetchDone(tp);
          this.backoffNode(ctx, r.node);
          this.refreshMetadata(ctx);
          break;
        case "dlt":
          this.dltDone(ctx, "NETWORK_EXCEPTION");
          break;
        default:
          assertNever(r.kind, "request kind");
      }
    }
    if (failed.length > 0) this.kickFetch(ctx);
  }

  private partFetchDone(tp: string): void {
    const p = this.parts.get(tp);
    if (p !== undefined) p.fetching = false;
  }

  private backoffNode(ctx: Ctx, node: NodeId): void {
    const backoffUs = this.cfg["retry.backoff.ms"] * 1000;
    this.nodeBackoffUs.set(node, ctx.nowUs + backoffUs);
    if (!this.kickScheduled) {
      this.kickScheduled = true;
      ctx.setTimer(backoffUs, KICK);
    }
  }

  private broker(id: number): NodeId {
    return `broker-${id}` as NodeId;
  }

  // ---------------------------------------------------------------- metadata and coordinator

  private refreshMetadata(ctx: Ctx): void {
    if (this.metaInFlight || this.env.bootstrap.length === 0) return;
    if (ctx.nowUs < this.metaRetryAtUs) {
      if (!this.metaRetryScheduled) {
        this.metaRetryScheduled = true;
        ctx.setTimer(this.metaRetryAtUs - ctx.nowUs, META_RETRY);
      }
      return;
    }
    this.metaInFlight = true;
    const node = this.env.bootstrap[this.metaNode % this.env.bootstrap.length] as NodeId;
    const topics = [...this.spec.topics, OFFSETS_TOPIC];
    if (this.proc.onFailure === "dead-letter") topics.push(this.dltTopic);
    ctx.emit({ type: "metadata-refresh", client: this.name });
    this.send(ctx, node, "metadata", { type: "metadata", corr: ++this.corr, topics });
  }

  private onMetadata(ctx: Ctx, msg: MetadataResponse): void {
    if (!this.take(ctx, msg.corr)) return;
    this.metaInFlight = false;
    // Metadata.refreshBackoffMs: the next refresh waits retry.backoff.ms.
    this.metaRetryAtUs = ctx.nowUs + this.cfg["retry.backoff.ms"] * 1000;
    const byTopic = new Map<string, (number | null)[]>();
    for (const p of msg.partitions) {
      let l = byTopic.get(p.topic);
      if (l === undefined) byTopic.set(p.topic, (l = []));
      l[p.partition] = p.error === "NONE" ? p.leader : null;
    }
    for (const [t, l] of byTopic) this.leaders.set(t, Array.from({ length: l.length }, (_, i) => l[i] ?? null));
    if (byTopic.size === 0) this.metaNode++;
    this.ensureGroup(ctx);
    this.kickFetch(ctx);
  }

  private leaderOf(topic: string, partition: number): number | null {
    return this.leaders.get(topic)?.[partition] ?? null;
  }

  /** markCoordinatorUnknown: forget it and look it up again from fresh metadata. */
  private coordinatorDead(ctx: Ctx): void {
    if (this.coordinator === null) return;
    this.coordinator = null;
    this.leaders.delete(OFFSETS_TOPIC);
    this.refreshMetadata(ctx);
  }

  private findCoordinator(ctx: Ctx): NodeId | null {
    if (this.coordinator !== null) return this.coordinator;
    const p = offsetsPartitionFor(this.group, this.env.offsetsPartitions);
    const leader = this.leaderOf(OFFSETS_TOPIC, p);
    if (leader === null) {
      this.refreshMetadata(ctx);
      return null;
    }
    this.coordinator = this.broker(leader);
    return this.coordinator;
  }

  // ---------------------------------------------------------------- group membership

  private retryGroupLater(ctx: Ctx): void {
    if (this.groupRetryPending) return;
    this.groupRetryPending = true;
    ctx.setTimer(this.cfg["retry.backoff.ms"] * 1000, RETRY_GROUP);
  }

  private retryGroup(ctx: Ctx): void {
    if (this.groupState !== "stable") return this.ensureGroup(ctx);
    let inFlight = false;
    for (const r of this.reqs.values()) if (r.kind === "offset-fetch") inFlight = true;
    let unknown = false;
    for (const p of this.parts.values()) if (p.position < 0 && !p.fetching && !p.stuck) unknown = true;
    if (unknown && !inFlight) this.fetchCommitted(ctx);
  }

  /** Drive membership forward (join when needed). Safe to call any time. */
  private ensureGroup(ctx: Ctx): void {
    if (!this.needsRejoin || this.groupState === "joining" || this.groupState === "syncing" || this.appBlocked) return;
    const coord = this.findCoordinator(ctx);
    if (coord === null) {
      this.retryGroupLater(ctx);
      return;
    }
    this.revokeAll();
    this.groupState = "joining";
    this.send(
      ctx,
      coord,
      "join",
      { type: "group.join", corr: ++this.corr, group: this.group, memberId: this.memberId, sessionTimeoutMs: this.cfg["session.timeout.ms"], rebalanceTimeoutMs: this.cfg["max.poll.interval.ms"], topics: this.spec.topics, strategy: this.cfg["partition.assignment.strategy"] },
      // A JoinGroup waits for the whole rebalance: Kafka gives it rebalance timeout + 5 s.
      { timeoutMs: Math.max(this.cfg["request.timeout.ms"], this.cfg["max.poll.interval.ms"] + 5000) },
    );
  }

  /** Eager protocol: every partition is revoked before joining; fetched data is dropped. */
  private revokeAll(): void {
    this.assignEpoch++;
    this.assignment = [];
    this.parts.clear();
  }

  private onJoin(ctx: Ctx, msg: JoinGroupResponse): void {
    if (!this.take(ctx, msg.corr)) return;
    if (msg.error !== "NONE") {
      this.groupState = "unjoined";
      this.onGroupError(ctx, msg.error);
      this.retryGroupLater(ctx);
      return;
    }
    this.memberId = msg.memberId;
    this.generation = msg.generation;
    this.groupState = "syncing";
    let assignments: { memberId: string; partitions: TopicPartitionRef[] }[] = [];
    if (msg.leaderId === msg.memberId) {
      const counts = new Map<string, number>();
      for (const m of msg.members) for (const t of m.topics) counts.set(t, this.leaders.get(t)?.length ?? 0);
      assignments = assign(this.cfg["partition.assignment.strategy"], msg.members, counts);
    }
    const coord = this.coordinator;
    if (coord === null) {
      this.groupState = "unjoined";
      this.retryGroupLater(ctx);
      return;
    }
    this.send(ctx, coord, "sync", { type: "group.sync", corr: ++this.corr, group: this.group, generation: this.generation, memberId: this.memberId, assignments });
  }

  private onSync(ctx: Ctx, msg: SyncGroupResponse): void {
    if (!this.take(ctx, msg.corr)) return;
    if (msg.error !== "NONE") {
      this.groupState = "unjoined";
      this.onGroupError(ctx, msg.error);
      this.retryGroupLater(ctx);
      return;
    }
    this.groupState = "stable";
    this.needsRejoin = false;
    this.assignEpoch++;
    this.assignment = msg.partitions.slice();
    this.parts.clear();
    for (const p of this.assignment) {
      const tp = `${p.topic}-${p.partition}`;
      this.parts.set(tp, { topic: p.topic, partition: p.partition, tp, position: -1, fetchOffset: -1, processed: -1, buffer: [], fetching: false, stuck: false, resetReason: null, highWatermark: -1 });
    }
    this.env.history.record({ timeUs: ctx.nowUs, process: this.name, type: "ok", f: "assign", value: { group: this.group, generation: this.generation, partitions: this.assignment.map((p) => ({ topic: p.topic, partition: p.partition })) } });
    this.fetchCommitted(ctx);
    this.wakeApp(ctx);
  }

  /** Errors from the coordinator (AbstractCoordinator's handlers). */
  private onGroupError(ctx: Ctx, error: KafkaErrorCode): void {
    switch (error) {
      case "NONE":
        return;
      case "REBALANCE_IN_PROGRESS":
        this.needsRejoin = true;
        return;
      case "UNKNOWN_MEMBER_ID":
        this.memberId = "";
        this.generation = -1;
        this.needsRejoin = true;
        if (this.groupState === "stable") this.groupState = "unjoined";
        return;
      case "ILLEGAL_GENERATION":
        this.generation = -1;
        this.needsRejoin = true;
        if (this.groupState === "stable") this.groupState = "unjoined";
        return;
      case "NOT_COORDINATOR":
      case "COORDINATOR_NOT_AVAILABLE":
      case "COORDINATOR_LOAD_IN_PROGRESS":
      case "NETWORK_EXCEPTION":
      case "REQUEST_TIMED_OUT":
        this.coordinatorDead(ctx);
        this.refreshMetadata(ctx);
        return;
      default:
        this.needsRejoin = true;
        return;
    }
  }

  private heartbeatTick(ctx: Ctx): void {
    ctx.setTimer(this.cfg["heartbeat.interval.ms"] * 1000, HEARTBEAT);
    if (this.groupState !== "stable") {
      this.ensureGroup(ctx);
      return;
    }
    // The heartbeat thread leaves the group when the application has not polled within max.poll.interval.ms.
    if (ctx.nowUs - this.lastPollUs > this.cfg["max.poll.interval.ms"] * 1000 && this.memberId !== "") {
      ctx.emit({ type: "poll-timeout", member: this.name, group: this.group });
      if (this.coordinator !== null) this.send(ctx, this.coordinator, "leave", { type: "group.leave", corr: ++this.corr, group: this.group, memberId: this.memberId });
      this.memberId = "";
      this.generation = -1;
      this.needsRejoin = true;
      this.groupState = "unjoined";
      return;
    }
    if (this.hbInFlight) return;
    const coord = this.findCoordinator(ctx);
    if (coord === null) return;
    this.hbInFlight = true;
    this.send(ctx, coord, "heartbeat", { type: "group.heartbeat", corr: ++this.corr, group: this.group, generation: this.generation, memberId: this.memberId });
  }

  // ---------------------------------------------------------------- positions

  private fetchCommitted(ctx: Ctx): void {
    const coord = this.findCoordinator(ctx);
    if (coord === null || this.assignment.length === 0) {
      if (this.assignment.length > 0) this.retryGroupLater(ctx);
      return;
    }
    this.send(ctx, coord, "offset-fetch", { type: "group.offset-fetch", corr: ++this.corr, group: this.group, partitions: this.assignment });
  }

  private onOffsetFetch(ctx: Ctx, msg: OffsetFetchResponse): void {
    const r = this.take(ctx, msg.corr);
    if (!r || r.assignEpoch !== this.assignEpoch) return;
    if (msg.error !== "NONE") {
      this.onGroupError(ctx, msg.error);
      this.retryGroupLater(ctx);
      return;
    }
    const resets: { tp: string; reason: "no-committed-offset" }[] = [];
    for (const o of msg.offsets) {
      const p = this.parts.get(`${o.topic}-${o.partition}`);
      if (p === undefined) continue;
      if (p.position >= 0 || p.stuck) continue;
      const stored = this.proc.state === "stored" ? (ctx.disk.readBlob<StoredState>(STATE_BLOB)?.offsets[p.tp] ?? -1) : -1;
      const start = Math.max(o.offset, stored);
      if (start >= 0) this.setPosition(p, start);
      else resets.push({ tp: p.tp, reason: "no-committed-offset" });
    }
    this.resetPositions(ctx, resets);
    this.kickFetch(ctx);
  }

  private setPosition(p: PartState, offset: number): void {
    p.position = offset;
    p.fetchOffset = offset;
    p.processed = offset;
    p.buffer = [];
  }

  /** auto.offset.reset: mark the partitions; kickFetch asks each leader (earliest / latest), or none: stuck. */
  private resetPositions(ctx: Ctx, resets: readonly { readonly tp: string; readonly reason: "no-committed-offset" | "out-of-range" }[]): void {
    const strategy = this.cfg["auto.offset.reset"];
    for (const x of resets) {
      const p = this.parts.get(x.tp);
      if (p === undefined) continue;
      p.position = -1;
      p.buffer = [];
      if (strategy === "none") {
        // NoOffsetForPartitionException / OffsetOutOfRangeException to the application: not consumed.
        p.stuck = true;
        this.env.history.record({ timeUs: ctx.nowUs, process: this.name, type: "fail", f: "reset", value: { group: this.group, topic: p.topic, partition: p.partition, offset: -1, reason: x.reason, strategy } });
        continue;
      }
      p.resetReason = x.reason;
    }
  }

  private onListOffsets(ctx: Ctx, msg: ListOffsetsResponse): void {
    const r = this.take(ctx, msg.corr);
    if (!r || r.assignEpoch !== this.assignEpoch) return;
    for (const o of msg.partitions) {
      const p = this.parts.get(`${o.topic}-${o.partition}`);
      if (p === undefined) continue;
      p.fetching = false;
      const reason = p.resetReason;
      if (reason === null) continue;
      if (o.error !== "NONE") {
        this.backoffNode(ctx, r.node);
        this.refreshMetadata(ctx);
        continue;
      }
      p.resetReason = null;
      this.setPosition(p, o.offset);
      const strategy = this.cfg["auto.offset.reset"];
      this.env.history.record({ timeUs: ctx.nowUs, process: this.name, type: "ok", f: "reset", value: { group: this.group, topic: p.topic, partition: p.partition, offset: o.offset, reason, strategy } });
    }
    this.kickFetch(ctx);
  }

  // ---------------------------------------------------------------- fetching

  /** Per leader not in backoff: list-offsets for partitions being reset, then one fetch for the partitions with a
   *  position and nothing buffered (Fetcher.fetchablePartitions), one fetch in flight per broker. */
  private kickFetch(ctx: Ctx): void {
    if (this.groupState !== "stable") return;
    const strategy = this.cfg["auto.offset.reset"] === "earliest" ? ("earliest" as const) : ("latest" as const);
    const resets = new Map<number, PartState[]>();
    const fetches = new Map<number, PartState[]>();
    for (const p of this.parts.values()) {
      if (p.fetching || p.stuck) continue;
      const wantsReset = p.resetReason !== null;
      if (!wantsReset && (p.position < 0 || p.buffer.length > 0)) continue;
      const leader = this.leaderOf(p.topic, p.partition);
      if (leader === null) {
        this.refreshMetadata(ctx);
        continue;
      }
      if ((this.nodeBackoffUs.get(this.broker(leader)) ?? 0) > ctx.nowUs) continue;
      const target = wantsReset ? resets : fetches;
      let l = target.get(leader);
      if (l === undefined) target.set(leader, (l = []));
      l.push(p);
    }
    for (const [leader, ps] of resets) {
      for (const p of ps) p.fetching = true;
      const partitions = ps.map((p) => ({ topic: p.topic, partition: p.partition, timestamp: strategy, currentLeaderEpoch: -1 }));
      this.send(ctx, this.broker(leader), "list-offsets", { type: "list-offsets", corr: ++this.corr, partitions }, { tps: ps.map((p) => p.tp) });
    }
    for (const [leader, ps] of fetches) {
      const node = this.broker(leader);
      let busy = false;
      for (const r of this.reqs.values()) if (r.kind === "fetch" && r.node === node) busy = true;
      if (busy) continue;
      for (const p of ps) p.fetching = true;
      const partitions: FetchPartition[] = ps.map((p) => ({ topic: p.topic, partition: p.partition, fetchOffset: p.fetchOffset, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }));
      this.send(ctx, node, "fetch", { type: "fetch", corr: ++this.corr, replicaId: -1, brokerEpoch: -1, maxWaitMs: this.cfg["fetch.max.wait.ms"], partitions }, { tps: ps.map((p) => p.tp) });
    }
  }

  private onFetch(ctx: Ctx, msg: FetchResponse): void {
    const r = this.take(ctx, msg.corr);
    if (!r) return;
    if (r.assignEpoch !== this.assignEpoch) return this.kickFetch(ctx);
    for (const tp of r.tps ?? []) this.partFetchDone(tp);
    const outOfRange: { tp: string; reason: "out-of-range" }[] = [];
    let got = false;
    for (const fp of msg.partitions) {
      const p = this.parts.get(`${fp.topic}-${fp.partition}`);
      if (p === undefined) continue;
      p.fetching = false;
      switch (fp.error) {
        case "NONE": {
          p.highWatermark = fp.highWatermark;
          const s = fp.records;
          if (s === null) break;
          for (let i = 0; i < s.count; i++) {
            const off = s.baseOffset + i;
            const j = s.at + i;
            if (off < p.fetchOffset) continue;
            // Fetcher: data for an offset other than the position (a seek or reset happened meanwhile) is dropped.
            if (off > p.fetchOffset || p.position < 0) break;
            const key = s.keys[j] as number;
            p.buffer.push({ offset: off, key: key < 0 ? null : key, value: s.values[j] as number });
            p.fetchOffset = off + 1;
            got = true;
          }
          break;
        }
        case "OFFSET_OUT_OF_RANGE":
          outOfRange.push({ tp: p.tp, reason: "out-of-range" });
          break;
        default:
          // NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, ...: new metadata, and back off that broker.
          this.backoffNode(ctx, r.node);
          this.refreshMetadata(ctx);
      }
    }
    if (outOfRange.length > 0) this.resetPositions(ctx, outOfRange);
    this.kickFetch(ctx);
    if (got) this.wakeApp(ctx);
  }

  // ---------------------------------------------------------------- the application: poll loop

  private schedulePoll(ctx: Ctx, delayMs: number): void {
    this.pollDeferred = false;
    if (this.pollHandle >= 0) ctx.cancelTimer(this.pollHandle);
    this.pollHandle = ctx.setTimer(delayMs * 1000, POLL);
  }

  /** New data or a finished rebalance: an application waiting in poll() returns now. */
  private wakeApp(ctx: Ctx): void {
    if (this.appBlocked || (!this.proc.async && this.working)) return;
    if (this.pollHandle >= 0) this.schedulePoll(ctx, 0);
  }

  private positions(): { topic: string; partition: number; offset: number }[] {
    const out: { topic: string; partition: number; offset: number }[] = [];
    for (const p of this.parts.values()) if (p.position >= 0) out.push({ topic: p.topic, partition: p.partition, offset: p.position });
    return out;
  }

  private processedPositions(): { topic: string; partition: number; offset: number }[] {
    const out: { topic: string; partition: number; offset: number }[] = [];
    for (const p of this.parts.values()) if (p.processed >= 0) out.push({ topic: p.topic, partition: p.partition, offset: p.processed });
    return out;
  }

  private poll(ctx: Ctx): void {
    if (this.appBlocked) {
      this.pollDeferred = true;
      return;
    }
    if (!this.proc.async && this.working) return;
    this.lastPollUs = ctx.nowUs;
    const autoCommit = this.cfg["enable.auto.commit"];
    // ConsumerCoordinator.poll → maybeAutoCommitOffsetsAsync: positions handed out by earlier polls.
    if (autoCommit && this.groupState === "stable" && ctx.nowUs >= this.nextAutoCommitUs) {
      this.nextAutoCommitUs = ctx.nowUs + this.cfg["auto.commit.interval.ms"] * 1000;
      const pos = this.positions();
      if (pos.length > 0) this.commit(ctx, "auto", pos, null);
    }
    if (this.needsRejoin || this.groupState !== "stable") {
      // onJoinPrepare: with auto-commit, a synchronous commit of the positions before revoking (fact 21).
      if (autoCommit && this.groupState === "stable" && this.generation >= 0) {
        const pos = this.positions();
        if (pos.length > 0) {
          this.groupState = "unjoined";
          this.commit(ctx, "auto-sync", pos, () => {
            this.ensureGroup(ctx);
            this.schedulePoll(ctx, IDLE_POLL_MS);
          });
          return;
        }
      }
      if (this.groupState === "stable") this.groupState = "unjoined";
      this.ensureGroup(ctx);
      this.schedulePoll(ctx, IDLE_POLL_MS);
      return;
    }
    const records = this.takeRecords();
    this.kickFetch(ctx);
    if (records.length === 0) {
      this.schedulePoll(ctx, IDLE_POLL_MS);
      return;
    }
    const polled: PolledRecord[] = records.map((w) => ({ topic: w.topic, partition: w.partition, offset: w.message.offset, value: w.message.value, key: w.message.key }));
    this.env.history.record({ timeUs: ctx.nowUs, process: this.name, type: "invoke", f: "poll", value: { group: this.group, records: [] } });
    this.env.history.record({ timeUs: ctx.nowUs, process: this.name, type: "ok", f: "poll", value: { group: this.group, records: polled } });
    const beforeBatch = (this.proc.commit === "before-processing" && this.proc.commitEvery === "batch") || this.env.bugs.commitBeforeProcessing === true;
    const start = (): void => {
      if (this.spec.handler?.eachBatch) this.pushBatches(records);
      else for (const w of records) this.work.push(w);
      if (!this.working) this.startNext(ctx);
      if (this.proc.async) this.schedulePoll(ctx, ASYNC_POLL_MS);
    };
    if (beforeBatch) {
      this.commit(ctx, this.proc.commitMode, this.positions(), this.proc.commitMode === "sync" ? start : null);
      if (this.proc.commitMode !== "sync") start();
      return;
    }
    start();
  }

  /** Up to max.poll.records buffered records, advancing positions (what auto-commit will commit). */
  private takeRecords(): WorkItem[] {
    const max = this.cfg["max.poll.records"];
    const out: WorkItem[] = [];
    // Start from the next partition each poll, so one busy partition cannot starve the others.
    const parts = [...this.parts.values()];
    const first = parts.length > 0 ? this.pollRotation++ % parts.length : 0;
    for (let k = 0; k < parts.length; k++) {
      const p = parts[(first + k) % parts.length] as PartState;
      let n = 0;
      while (n < p.buffer.length && out.length < max) {
        const m = p.buffer[n] as KafkaMessage;
        out.push({ topic: p.topic, partition: p.partition, message: m, endOfBatch: false });
        p.position = m.offset + 1;
        n++;
      }
      if (n > 0) p.buffer = p.buffer.slice(n);
      if (out.length >= max) break;
    }
    const last = out[out.length - 1];
    if (last) out[out.length - 1] = { ...last, endOfBatch: true };
    return out;
  }

  // ---------------------------------------------------------------- processing

  /** eachBatch: one work item per partition of the poll. */
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

  private resolvedOffset = -1;
  private batchCommitAsked = false;

  private runBatch(ctx: Ctx, w: WorkItem, batch: readonly KafkaMessage[]): void {
    const h = this.spec.handler?.eachBatch;
    const p = this.parts.get(`${w.topic}-${w.partition}`);
    this.resolvedOffset = -1;
    this.batchCommitAsked = false;
    const out = h?.({
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
    });
    const processMs = out?.processMs ?? this.proc.timeMs * batch.length;
    ctx.setTimer(Math.max(0, Math.round(processMs * 1000)), PROCESS_BATCH);
  }

  private finishBatch(ctx: Ctx): void {
    const w = this.work.shift();
    if (w === undefined || w.batch === undefined) return;
    let lastDone = -1;
    for (const m of w.batch) {
      if (m.offset > this.resolvedOffset) break;
      const v = { group: this.group, topic: w.topic, partition: w.partition, offset: m.offset, value: m.value };
      this.env.history.record({ timeUs: ctx.nowUs, process: this.name, type: "invoke", f: "process", value: { ...v, result: "ok" } });
      this.env.history.record({ timeUs: ctx.nowUs, process: this.name, type: "ok", f: "process", value: { ...v, result: "ok", attempts: 1 } });
      if (this.proc.state !== "none") this.sum += m.value;
      this.processedCount++;
      lastDone = m.offset;
    }
    const p = this.parts.get(`${w.topic}-${w.partition}`);
    if (p !== undefined) {
      if (lastDone >= 0 && lastDone + 1 > p.processed) p.processed = lastDone + 1;
      const first = w.batch[0];
      const unresolvedFrom = lastDone >= 0 ? lastDone + 1 : first ? first.offset : -1;
      const last = w.batch[w.batch.length - 1];
      // kafkajs: records after the last resolved offset are fetched again (seek back).
      if (last !== undefined && unresolvedFrom <= last.offset && unresolvedFrom >= 0) {
        this.setPosition(p, unresolvedFrom);
        this.work.splice(0, this.work.length, ...this.work.filter((x) => !(x.topic === w.topic && x.partition === w.partition)));
      }
    }
    const next = (): void => this.startNext(ctx);
    const manual = this.proc.commit === "after-processing" && this.proc.commitEvery !== "interval";
    if ((this.batchCommitAsked || manual) && p !== undefined && p.processed >= 0) {
      this.commit(ctx, this.proc.commitMode, [{ topic: w.topic, partition: w.partition, offset: p.processed }], this.proc.commitMode === "sync" ? next : null);
      if (this.proc.commitMode === "sync") return;
    }
    next();
  }

  private startNext(ctx: Ctx): void {
    const w = this.work[0];
    if (w === undefined) {
      this.working = false;
      if (!this.proc.async) this.schedulePoll(ctx, 0);
      return;
    }
    this.working = true;
    this.attempt = 0;
    if (w.batch !== undefined) return this.runBatch(ctx, w, w.batch);
    this.env.history.record({ timeUs: ctx.nowUs, process: this.name, type: "invoke", f: "process", value: { group: this.group, topic: w.topic, partition: w.partition, offset: w.message.offset, value: w.message.value, result: "ok" } });
    const go = (): void => this.beginAttempt(ctx);
    if (this.proc.commit === "before-processing" && this.proc.commitEvery === "record") {
      const offsets = [{ topic: w.topic, partition: w.partition, offset: w.message.offset + 1 }];
      this.commit(ctx, this.proc.commitMode, offsets, this.proc.commitMode === "sync" ? go : null);
      if (this.proc.commitMode !== "sync") go();
      return;
    }
    if (this.proc.commitEvery === "interval" && this.proc.commit === "before-processing" && ctx.nowUs - this.lastManualCommitUs >= this.proc.commitIntervalMs * 1000) {
      this.lastManualCommitUs = ctx.nowUs;
      this.commit(ctx, this.proc.commitMode, this.positions(), this.proc.commitMode === "sync" ? go : null);
      if (this.proc.commitMode !== "sync") go();
      return;
    }
    go();
  }

  private attemptOk = true;

  private beginAttempt(ctx: Ctx): void {
    const w = this.work[0] as WorkItem;
    this.attempt++;
    const down = this.downstreamDown(ctx);
    let processMs = this.proc.timeMs;
    let ok = !down && !ctx.rng.chance(this.proc.failureProb);
    const h = this.spec.handler?.eachMessage;
    if (h) {
      const out = h({ topic: w.topic, partition: w.partition, message: w.message, attempt: this.attempt, nowMs: ctx.nowUs / 1000, downstreamDown: down, random: () => ctx.rng.next() });
      if (out) {
        if (out.processMs !== undefined) processMs = out.processMs;
        if (out.ok !== undefined) ok = out.ok && !down;
      } else ok = !down;
    }
    this.attemptOk = ok;
    ctx.setTimer(Math.max(0, Math.round(processMs * 1000)), PROCESS);
  }

  private finishAttempt(ctx: Ctx): void {
    const w = this.work[0];
    if (w === undefined) return;
    if (!this.attemptOk && this.attempt <= this.proc.retries) {
      // Retry after the backoff: the processing time of the next attempt starts then.
      this.attemptOk = true;
      ctx.setTimer(this.proc.retryBackoffMs * 1000, RETRY_ATTEMPT);
      return;
    }
    if (this.attemptOk) return this.recordDone(ctx, w, "ok");
    if (this.proc.onFailure === "dead-letter") return this.sendDeadLetter(ctx, w);
    return this.recordDone(ctx, w, "failed");
  }

  private recordDone(ctx: Ctx, w: WorkItem, result: "ok" | "failed" | "dead-letter"): void {
    this.work.shift();
    this.env.history.record({ timeUs: ctx.nowUs, process: this.name, type: result === "failed" ? "fail" : "ok", f: "process", value: { group: this.group, topic: w.topic, partition: w.partition, offset: w.message.offset, value: w.message.value, result, attempts: this.attempt } });
    if (result === "ok" && this.proc.state !== "none") this.sum += w.message.value;
    this.processedCount++;
    const p = this.parts.get(`${w.topic}-${w.partition}`);
    if (p !== undefined && w.message.offset + 1 > p.processed) p.processed = w.message.offset + 1;
    const next = (): void => this.startNext(ctx);
    if (this.proc.commit === "after-processing") {
      let offsets: { topic: string; partition: number; offset: number }[] | null = null;
      if (this.proc.commitEvery === "record") offsets = [{ topic: w.topic, partition: w.partition, offset: w.message.offset + 1 }];
      else if (this.proc.commitEvery === "batch" && w.endOfBatch) offsets = this.processedPositions();
      else if (this.proc.commitEvery === "interval" && ctx.nowUs - this.lastManualCommitUs >= this.proc.commitIntervalMs * 1000) {
        this.lastManualCommitUs = ctx.nowUs;
        offsets = this.processedPositions();
      }
      if (offsets !== null && offsets.length > 0) {
        this.commit(ctx, this.proc.commitMode, offsets, this.proc.commitMode === "sync" ? next : null);
        if (this.proc.commitMode === "sync") return;
      }
    }
    next();
  }

  private sendDeadLetter(ctx: Ctx, w: WorkItem): void {
    const leader = this.leaderOf(this.dltTopic, 0);
    if (leader === null) {
      this.refreshMetadata(ctx);
      return this.recordDone(ctx, w, "failed");
    }
    const corr = ++this.corr;
    this.env.history.record({ timeUs: ctx.nowUs, process: this.name, type: "invoke", f: "send", value: { topic: this.dltTopic, key: w.message.key, value: w.message.value, partition: 0 } });
    this.send(ctx, this.broker(leader), "dlt", { type: "produce", corr, acks: -1, timeoutMs: this.cfg["request.timeout.ms"], producerId: -1, producerEpoch: -1, batches: [{ topic: this.dltTopic, partition: 0, baseSequence: -1, values: [w.message.value], keys: [w.message.key ?? -1] }] });
  }

  private dltDone(ctx: Ctx, error: KafkaErrorCode): void {
    const w = this.work[0];
    if (w === undefined) return;
    const ok = error === "NONE";
    const v = { topic: this.dltTopic, key: w.message.key, value: w.message.value, partition: 0 };
    this.env.history.record({ timeUs: ctx.nowUs, process: this.name, type: ok ? "ok" : error === "NETWORK_EXCEPTION" || error === "REQUEST_TIMED_OUT" ? "info" : "fail", f: "send", value: ok ? v : { ...v, error } });
    this.recordDone(ctx, w, ok ? "dead-letter" : "failed");
  }

  // ---------------------------------------------------------------- commits

  /** Commit offsets. Sync commits block the application until done (`then`), retrying retriable errors until
   *  default.api.timeout.ms; async and auto commits are sent once. "auto-sync" = the auto-commit before a rejoin. */
  private commit(ctx: Ctx, mode: "sync" | "async" | "auto" | "auto-sync", offsets: { topic: string; partition: number; offset: number }[], then: (() => void) | null): void {
    const histMode = mode === "auto-sync" ? "auto" : mode;
    const c: PendingCommit = { mode: histMode, offsets, generation: this.generation, deadlineUs: ctx.nowUs + DEFAULT_API_TIMEOUT_MS * 1000, stateSum: this.sum, maybeCommitted: false, then };
    if (mode !== "auto") this.lastManualCommitUs = ctx.nowUs;
    this.env.history.record({ timeUs: ctx.nowUs, process: this.name, type: "invoke", f: "commit", value: { group: this.group, generation: this.generation, offsets, mode: histMode } });
    if (then !== null) this.appBlocked = true;
    // ConsumerCoordinator.sendOffsetCommitRequest: not part of an active group → fail at once.
    if (this.proc.state === "stored" && mode !== "auto" && mode !== "auto-sync") {
      const prev = ctx.disk.readBlob<StoredState>(STATE_BLOB)?.offsets ?? {};
      const next: Record<string, number> = { ...prev };
      for (const o of offsets) next[`${o.topic}-${o.partition}`] = o.offset;
      ctx.disk.writeBlob<StoredState>(STATE_BLOB, { sum: this.sum, offsets: next }, { flush: true });
    }
    if (this.generation < 0 || this.memberId === "") return this.commitDone(ctx, c, this.groupState === "joining" || this.groupState === "syncing" ? "REBALANCE_IN_PROGRESS" : "UNKNOWN_MEMBER_ID", true);
    this.sendCommit(ctx, c);
  }

  private sendCommit(ctx: Ctx, c: PendingCommit): void {
    const coord = this.findCoordinator(ctx);
    if (coord === null) return this.commitDone(ctx, c, "COORDINATOR_NOT_AVAILABLE", true);
    this.send(ctx, coord, "commit", { type: "group.offset-commit", corr: ++this.corr, group: this.group, generation: c.generation, memberId: this.memberId, offsets: c.offsets }, { commit: c });
  }

  private commitDone(ctx: Ctx, c: PendingCommit, error: KafkaErrorCode, local = false): void {
    const retriable = error === "NOT_COORDINATOR" || error === "COORDINATOR_NOT_AVAILABLE" || error === "COORDINATOR_LOAD_IN_PROGRESS" || error === "NETWORK_EXCEPTION" || error === "REQUEST_TIMED_OUT";
    if (retriable) this.onGroupError(ctx, error);
    // The coordinator maps append failures (some after the append: NOT_ENOUGH_REPLICAS_AFTER_APPEND, a purgatory
    // timeout, a lost leadership) to these: the offsets may still become committed, so the outcome is unknown.
    if (retriable && !local) c.maybeCommitted = true;
    if (retriable && c.then !== null && ctx.nowUs + this.cfg["retry.backoff.ms"] * 1000 < c.deadlineUs) {
      ctx.setTimer(this.cfg["retry.backoff.ms"] * 1000, new CommitRetry(c));
      return;
    }
    const value = { group: this.group, generation: c.generation, offsets: c.offsets, mode: c.mode };
    if (error === "NONE") {
      this.env.history.record({ timeUs: ctx.nowUs, process: this.name, type: "ok", f: "commit", value });
    } else {
      // CommitFailedException: the member is no longer part of that generation (rebalanced or removed).
      const failed = error === "ILLEGAL_GENERATION" || error === "UNKNOWN_MEMBER_ID" || error === "REBALANCE_IN_PROGRESS";
      if (!local) this.onGroupError(ctx, error);
      if (failed) ctx.emit({ type: "commit-failed", member: this.name, group: this.group, generation: c.generation, error });
      const type = c.maybeCommitted && !failed ? "info" : "fail";
      this.env.history.record({ timeUs: ctx.nowUs, process: this.name, type, f: "commit", value: { ...value, error: failed ? "COMMIT_FAILED" : error } });
    }
    if (c.then !== null) {
      this.appBlocked = false;
      c.then();
      if (this.pollDeferred && this.pollHandle < 0 && !this.appBlocked) {
        this.pollDeferred = false;
        this.schedulePoll(ctx, 0);
      }
    }
  }

  /** For final-state collection and tests. */
  get state(): { readonly sum: number; readonly processed: number; readonly generation: number; readonly memberId: string; readonly assignment: readonly TopicPartitionRef[] } {
    return { sum: this.sum, processed: this.processedCount, generation: this.generation, memberId: this.memberId, assignment: this.assignment };
  }
}
