// Group membership (Kafka's AbstractCoordinator / ConsumerCoordinator, eager protocol): JoinGroup / SyncGroup
// (the leader assigns: range or round-robin), generations, heartbeats in the background every
// heartbeat.interval.ms, and LeaveGroup when poll() was not called within max.poll.interval.ms (fact 22).
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { JoinGroupResponse, SyncGroupResponse, TopicPartitionRef } from "../../kafka/protocol-group.ts";
import { assign } from "../assignors.ts";
import type { Consumer } from "./consumer.ts";
import type { Ctx } from "./types.ts";

export type GroupState = "unjoined" | "joining" | "syncing" | "stable";

const HEARTBEAT = { t: "heartbeat" } as const;
const RETRY_GROUP = { t: "retry-group" } as const;

export class Membership {
  memberId = "";
  generation = -1;
  /** KafkaConsumer.groupMetadata(): the generation and member id of the last completed join. Set only when a join
   *  completes (ConsumerCoordinator.onJoinComplete), not reset with the generation: a member that lost its
   *  membership keeps handing out the old one, so its transactional offset commit is fenced (KIP-447). */
  groupMetadata: { readonly generation: number; readonly memberId: string } = { generation: -1, memberId: "" };
  state: GroupState = "unjoined";
  needsRejoin = true;
  /** When the application last called poll() (the heartbeat thread's max.poll.interval.ms check). */
  lastPollUs = 0;
  private retryPending = false;
  /** No JoinGroup before then: retry.backoff.ms after a join or sync failed with a retriable error. */
  private rejoinAtUs = 0;
  private hbInFlight = false;
  /** As leader: the partition counts it assigned from (ConsumerCoordinator's assignmentSnapshot). */
  private assignedCounts: Map<string, number> | null = null;

  constructor(private readonly c: Consumer) {}

  /** The heartbeat thread starts with the consumer. */
  startHeartbeats(ctx: Ctx, startUs: number): void {
    if (!this.c.app.heartbeatThread) return;
    ctx.setTimer(startUs + this.c.cfg["heartbeat.interval.ms"] * 1000, HEARTBEAT);
  }

  onTimer(ctx: Ctx, tag: unknown): boolean {
    if (tag === HEARTBEAT) {
      this.heartbeatTick(ctx);
      return true;
    }
    if (tag === RETRY_GROUP) {
      this.retryPending = false;
      this.retryGroup(ctx);
      return true;
    }
    return false;
  }

  retryGroupLater(ctx: Ctx): void {
    if (this.retryPending) return;
    this.retryPending = true;
    ctx.setTimer(this.c.cfg["retry.backoff.ms"] * 1000, RETRY_GROUP);
  }

  private retryGroup(ctx: Ctx): void {
    if (this.state !== "stable") return this.ensureGroup(ctx);
    const inFlight = this.c.requests.isInFlight("offset-fetch");
    if (this.c.positions.hasUnknownPosition() && !inFlight) this.c.positions.fetchCommitted(ctx);
  }

  /** Drive membership forward (join when needed). Safe to call any time. */
  ensureGroup(ctx: Ctx): void {
    const c = this.c;
    if (!this.needsRejoin || this.state === "joining" || this.state === "syncing" || c.app.blocked) return;
    if (ctx.nowUs < this.rejoinAtUs) {
      if (!this.retryPending) {
        this.retryPending = true;
        ctx.setTimer(this.rejoinAtUs - ctx.nowUs, RETRY_GROUP);
      }
      return;
    }
    // The leader assigns from its metadata (ConsumerCoordinator.performAssignment): join once the subscribed
    // topics are known (the metadata answer calls this again).
    if (!c.requests.knowsTopics(c.spec.topics)) {
      c.requests.refreshMetadata(ctx);
      return;
    }
    const coord = c.requests.findCoordinator(ctx);
    if (coord === null) {
      this.retryGroupLater(ctx);
      return;
    }
    c.positions.revokeAll();
    this.state = "joining";
    c.requests.send(
      ctx,
      coord,
      "join",
      { type: "group.join", corr: c.requests.nextCorr(), group: c.groupId, memberId: this.memberId, sessionTimeoutMs: c.cfg["session.timeout.ms"], rebalanceTimeoutMs: c.cfg["max.poll.interval.ms"], topics: c.spec.topics, strategy: c.cfg["partition.assignment.strategy"] },
      // A JoinGroup waits for the whole rebalance: Kafka gives it rebalance timeout + 5 s.
      { timeoutMs: Math.max(c.cfg["request.timeout.ms"], c.cfg["max.poll.interval.ms"] + 5000) },
    );
  }

  onJoin(ctx: Ctx, msg: JoinGroupResponse): void {
    const c = this.c;
    if (!c.requests.take(ctx, msg.corr)) return;
    if (msg.error !== "NONE") return this.joinFailed(ctx, msg.error);
    this.memberId = msg.memberId;
    this.generation = msg.generation;
    this.state = "syncing";
    let assignments: { memberId: string; partitions: TopicPartitionRef[] }[] = [];
    if (msg.leaderId === msg.memberId) {
      const counts = new Map<string, number>();
      for (const m of msg.members) for (const t of m.topics) counts.set(t, c.requests.partitionCount(t));
      assignments = assign(c.cfg["partition.assignment.strategy"], msg.members, counts);
      this.assignedCounts = counts;
    } else this.assignedCounts = null;
    const coord = c.requests.knownCoordinator();
    if (coord === null) {
      this.state = "unjoined";
      this.retryGroupLater(ctx);
      return;
    }
    c.requests.send(ctx, coord, "sync", { type: "group.sync", corr: c.requests.nextCorr(), group: c.groupId, generation: this.generation, memberId: this.memberId, assignments });
  }

  onSync(ctx: Ctx, msg: SyncGroupResponse): void {
    const c = this.c;
    if (!c.requests.take(ctx, msg.corr)) return;
    if (msg.error !== "NONE") return this.joinFailed(ctx, msg.error);
    this.state = "stable";
    this.needsRejoin = false;
    this.groupMetadata = { generation: this.generation, memberId: this.memberId };
    c.positions.assign(msg.partitions);
    c.env.history.record({ timeUs: ctx.nowUs, process: c.name, type: "ok", f: "assign", value: { group: c.groupId, generation: this.generation, partitions: c.positions.assignment.map((p) => ({ topic: p.topic, partition: p.partition })) } });
    c.positions.fetchCommitted(ctx);
    c.app.wakeApp(ctx);
  }

  /** ConsumerCoordinator.rejoinNeededOrPending: the leader rejoins when the metadata it assigned from has changed
   *  ("cached metadata has changed": a topic's partition count differs from its assignment snapshot). */
  checkAssignmentSnapshot(): void {
    const counts = this.assignedCounts;
    if (counts === null || this.state !== "stable") return;
    for (const [t, n] of counts) {
      if (!this.c.requests.knowsTopics([t]) || this.c.requests.partitionCount(t) === n) continue;
      this.assignedCounts = null;
      this.needsRejoin = true;
      return;
    }
  }

  /** AbstractCoordinator.joinGroupIfNeeded: a JoinGroup or SyncGroup failed. UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION
   *  and REBALANCE_IN_PROGRESS are retried at once (with the member id / generation the error reset); any other
   *  retriable error (the coordinator moved or cannot store the group, a timeout) after retry.backoff.ms. */
  private joinFailed(ctx: Ctx, error: KafkaErrorCode): void {
    this.state = "unjoined";
    this.onGroupError(ctx, error);
    this.needsRejoin = true;
    if (error === "UNKNOWN_MEMBER_ID" || error === "ILLEGAL_GENERATION" || error === "REBALANCE_IN_PROGRESS") return this.ensureGroup(ctx);
    this.rejoinAtUs = ctx.nowUs + this.c.cfg["retry.backoff.ms"] * 1000;
    this.retryGroupLater(ctx);
  }

  onHeartbeatResponse(ctx: Ctx, corr: number, error: KafkaErrorCode): void {
    if (!this.c.requests.take(ctx, corr)) return;
    this.hbInFlight = false;
    this.onGroupError(ctx, error);
    this.c.app.heartbeatDone?.(ctx, error);
  }

  /** kafkajs has no heartbeat thread: its runner sends a heartbeat between records when heartbeat.interval.ms has
   *  passed (Runner.heartbeat → ConsumerGroup.heartbeat) and waits for the answer (app.heartbeatDone). False when
   *  none can be sent now (no member id, or the coordinator is being looked up). */
  sendHeartbeat(ctx: Ctx): boolean {
    const c = this.c;
    if (this.memberId === "" || this.hbInFlight) return false;
    const coord = c.requests.findCoordinator(ctx);
    if (coord === null) return false;
    this.hbInFlight = true;
    c.requests.send(ctx, coord, "heartbeat", { type: "group.heartbeat", corr: c.requests.nextCorr(), group: c.groupId, generation: this.generation, memberId: this.memberId });
    return true;
  }

  /** A join, sync or offset fetch was lost with its connection: find the coordinator again and retry. */
  requestLost(ctx: Ctx, kind: "join" | "sync" | "offset-fetch" | "heartbeat"): void {
    if (kind === "heartbeat") {
      this.hbInFlight = false;
      this.c.requests.coordinatorDead();
      this.c.app.heartbeatDone?.(ctx, "NETWORK_EXCEPTION");
      return;
    }
    this.c.requests.coordinatorDead();
    if (kind !== "offset-fetch") {
      this.state = "unjoined";
      this.rejoinAtUs = ctx.nowUs + this.c.cfg["retry.backoff.ms"] * 1000;
    }
    this.retryGroupLater(ctx);
  }

  /** Errors from the coordinator (AbstractCoordinator's handlers). */
  onGroupError(ctx: Ctx, error: KafkaErrorCode): void {
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
        if (this.state === "stable") this.state = "unjoined";
        return;
      case "ILLEGAL_GENERATION":
        this.generation = -1;
        this.needsRejoin = true;
        if (this.state === "stable") this.state = "unjoined";
        return;
      case "NOT_COORDINATOR":
      case "COORDINATOR_NOT_AVAILABLE":
      case "COORDINATOR_LOAD_IN_PROGRESS":
      case "NETWORK_EXCEPTION":
      case "REQUEST_TIMED_OUT":
        this.c.requests.coordinatorDead();
        return;
      default:
        this.needsRejoin = true;
        return;
    }
  }

  private heartbeatTick(ctx: Ctx): void {
    const c = this.c;
    ctx.setTimer(c.cfg["heartbeat.interval.ms"] * 1000, HEARTBEAT);
    if (this.state !== "stable") {
      this.ensureGroup(ctx);
      return;
    }
    // The heartbeat thread leaves the group when the application has not polled within max.poll.interval.ms.
    if (ctx.nowUs - this.lastPollUs > c.cfg["max.poll.interval.ms"] * 1000 && this.memberId !== "") {
      ctx.emit({ type: "poll-timeout", member: c.name, group: c.groupId });
      const coord = c.requests.knownCoordinator();
      if (coord !== null) c.requests.send(ctx, coord, "leave", { type: "group.leave", corr: c.requests.nextCorr(), group: c.groupId, memberId: this.memberId, reason: "poll-timeout" });
      this.memberId = "";
      this.generation = -1;
      this.needsRejoin = true;
      this.state = "unjoined";
      return;
    }
    if (this.hbInFlight) return;
    const coord = c.requests.findCoordinator(ctx);
    if (coord === null) return;
    this.hbInFlight = true;
    c.requests.send(ctx, coord, "heartbeat", { type: "group.heartbeat", corr: c.requests.nextCorr(), group: c.groupId, generation: this.generation, memberId: this.memberId });
  }

  /** A clean stop (KafkaConsumer.close): leave the group so it rebalances at once instead of after the session
   *  timeout (fire and forget: the process is going away). */
  leaveOnClose(ctx: Ctx): void {
    const coord = this.c.requests.knownCoordinator();
    if (this.memberId !== "" && coord !== null) ctx.send(coord, { type: "group.leave", corr: this.c.requests.nextCorr(), group: this.c.groupId, memberId: this.memberId, reason: "leave-group" });
  }
}
