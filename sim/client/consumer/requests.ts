// How a consumer talks to brokers: requests with their timeouts (NetworkClient), metadata (leaders of the
// partitions it reads and writes to), and where its group coordinator is. A client knows brokers only through
// their answers: the coordinator is what FindCoordinator says (AbstractCoordinator.lookupCoordinator, asked of
// one broker at a time); NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE / a broken connection forget it
// (markCoordinatorUnknown) and the next request that needs it asks again.
import type { NodeId } from "../../core/ids.ts";
import type { Message, MetadataResponse } from "../../kafka/protocol.ts";
import type { FindCoordinatorResponse } from "../../kafka/protocol-group.ts";
import type { Consumer } from "./consumer.ts";
import type { PendingCommit } from "./commits.ts";
import type { Ctx } from "./types.ts";
import { LeaderEpochs } from "../leader-epochs.ts";

export type ReqKind = "metadata" | "find-coordinator" | "join" | "sync" | "heartbeat" | "leave" | "commit" | "offset-fetch" | "list-offsets" | "fetch" | "dlt";

/** A request in flight; also its own timeout timer's tag. */
export interface Req {
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

const META_RETRY = { t: "metadata-retry" } as const;
const LOOKUP_RETRY = { t: "find-coordinator-retry" } as const;

export class Requests {
  private corr = 0;
  readonly inFlight = new Map<number, Req>();
  private readonly leaders = new Map<string, (number | null)[]>();
  /** KIP-320: the leader epochs seen (stale metadata is ignored; fetches carry the epoch). */
  readonly epochs: LeaderEpochs;
  private metaNode = 0;
  private metaInFlight = false;
  private metaRetryAtUs = 0;
  private metaRetryScheduled = false;
  private coordinator: NodeId | null = null;
  private lookupInFlight = false;
  /** Which bootstrap broker the next FindCoordinator goes to (the next one after a failure). */
  private lookupNode = 0;
  private lookupRetryAtUs = 0;
  private lookupRetryScheduled = false;

  constructor(private readonly c: Consumer) {
    this.epochs = LeaderEpochs.forProtocol(c.env.protocol);
  }

  /** The next correlation id. */
  nextCorr(): number {
    return ++this.corr;
  }

  onTimer(ctx: Ctx, tag: unknown): boolean {
    if (tag === META_RETRY) {
      this.metaRetryScheduled = false;
      this.refreshMetadata(ctx);
      return true;
    }
    if (tag === LOOKUP_RETRY) {
      this.lookupRetryScheduled = false;
      if (this.coordinator === null) this.lookupCoordinator(ctx);
      return true;
    }
    if (typeof tag === "object" && tag !== null && "kind" in tag) {
      const r = tag as Req;
      if (this.inFlight.get(r.corr) === r) {
        // NetworkClient.handleTimedOutRequests: a request timeout closes the connection (the next request opens a
        // new one, which does not wait behind what the old one is still retransmitting).
        ctx.emit({ type: "consumer-request-timeout", member: this.c.name, group: this.c.groupId, request: r.kind, node: r.node });
        ctx.closeConnection(r.node);
        this.c.connectionClosed(ctx, r.node);
      }
      return true;
    }
    return false;
  }

  send(ctx: Ctx, node: NodeId, kind: ReqKind, msg: Message, extra: { commit?: PendingCommit; tps?: readonly string[]; timeoutMs?: number } = {}): number {
    const corr = (msg as { corr: number }).corr;
    const r: Req = { kind, corr, node, timer: -1, assignEpoch: this.c.positions.assignEpoch, ...(extra.commit ? { commit: extra.commit } : {}), ...(extra.tps ? { tps: extra.tps } : {}) };
    r.timer = ctx.setTimer((extra.timeoutMs ?? this.c.cfg["request.timeout.ms"]) * 1000, r);
    this.inFlight.set(corr, r);
    ctx.send(node, msg);
    return corr;
  }

  take(ctx: Ctx, corr: number): Req | undefined {
    const r = this.inFlight.get(corr);
    if (r === undefined) return undefined;
    this.inFlight.delete(corr);
    ctx.cancelTimer(r.timer);
    return r;
  }

  isInFlight(kind: ReqKind, node?: NodeId): boolean {
    for (const r of this.inFlight.values()) if (r.kind === kind && (node === undefined || r.node === node)) return true;
    return false;
  }

  broker(id: number): NodeId {
    return `broker-${id}` as NodeId;
  }

  // ---------------------------------------------------------------- metadata

  refreshMetadata(ctx: Ctx): void {
    const c = this.c;
    if (this.metaInFlight || c.env.bootstrap.length === 0) return;
    if (ctx.nowUs < this.metaRetryAtUs) {
      if (!this.metaRetryScheduled) {
        this.metaRetryScheduled = true;
        ctx.setTimer(this.metaRetryAtUs - ctx.nowUs, META_RETRY);
      }
      return;
    }
    this.metaInFlight = true;
    const node = c.env.bootstrap[this.metaNode % c.env.bootstrap.length] as NodeId;
    const topics = [...c.spec.topics];
    if (c.proc.onFailure === "dead-letter") topics.push(c.dltTopic);
    if (c.proc.output !== undefined) topics.push(c.proc.output.topic);
    ctx.emit({ type: "metadata-refresh", client: c.name });
    this.send(ctx, node, "metadata", { type: "metadata", corr: this.nextCorr(), topics });
  }

  /** The metadata request failed (timeout, disconnect): try the next bootstrap broker after the backoff. */
  metadataFailed(ctx: Ctx): void {
    this.metaInFlight = false;
    this.metaNode++;
    this.metaRetryAtUs = ctx.nowUs + this.c.cfg["retry.backoff.ms"] * 1000;
    // Fact 50: a member that cannot join before it knows its topics asks again after the backoff, as the client's network
    // thread does (NetworkClient.DefaultMetadataUpdater.maybeUpdate on its next poll), whether or not its application
    // polls meanwhile: a kafkajs-driven member waits in consumer.run() and would otherwise never join (a KRaft broker
    // refuses connections until it is unfenced, ~1.5 s after the start).
    if (!this.knowsTopics(this.c.spec.topics)) this.refreshMetadata(ctx);
  }

  onMetadata(ctx: Ctx, msg: MetadataResponse): void {
    if (!this.take(ctx, msg.corr)) return;
    this.metaInFlight = false;
    // Metadata.refreshBackoffMs: the next refresh waits retry.backoff.ms.
    this.metaRetryAtUs = ctx.nowUs + this.c.cfg["retry.backoff.ms"] * 1000;
    const byTopic = new Map<string, (number | null)[]>();
    for (const p of msg.partitions) {
      if (p.partition < 0) continue; // a topic-level error (UNKNOWN_TOPIC_OR_PARTITION before the topic's first election): not known yet
      let l = byTopic.get(p.topic);
      if (l === undefined) byTopic.set(p.topic, (l = []));
      // KIP-320: an entry older than the epoch already seen keeps what is cached.
      l[p.partition] = !this.epochs.accept(p.topic, p.partition, p.leaderEpoch) ? this.leaderOf(p.topic, p.partition) : p.error === "NONE" ? p.leader : null;
    }
    for (const [t, l] of byTopic) this.leaders.set(t, Array.from({ length: l.length }, (_, i) => l[i] ?? null));
    if (byTopic.size === 0) this.metaNode++;
    this.c.membership.checkAssignmentSnapshot();
    this.c.membership.ensureGroup(ctx);
    this.c.positions.kickFetch(ctx);
  }

  leaderOf(topic: string, partition: number): number | null {
    return this.leaders.get(topic)?.[partition] ?? null;
  }

  /** Metadata has been received for every one of these topics. */
  knowsTopics(topics: readonly string[]): boolean {
    for (const t of topics) if (!this.leaders.has(t)) return false;
    return true;
  }

  /** Partitions of a topic as far as metadata knows (0 when unknown). */
  partitionCount(topic: string): number {
    return this.leaders.get(topic)?.length ?? 0;
  }

  // ---------------------------------------------------------------- coordinator

  /** markCoordinatorUnknown: forget it; the next request that needs it looks it up again. */
  coordinatorDead(): void {
    this.coordinator = null;
  }

  /** The coordinator if known (no lookup). */
  knownCoordinator(): NodeId | null {
    return this.coordinator;
  }

  /** The coordinator if known; else null, and a FindCoordinator is on its way (ensureCoordinatorReady). */
  findCoordinator(ctx: Ctx): NodeId | null {
    if (this.coordinator === null) this.lookupCoordinator(ctx);
    return this.coordinator;
  }

  private lookupCoordinator(ctx: Ctx): void {
    const c = this.c;
    if (this.lookupInFlight || c.env.bootstrap.length === 0) return;
    if (ctx.nowUs < this.lookupRetryAtUs) {
      if (!this.lookupRetryScheduled) {
        this.lookupRetryScheduled = true;
        ctx.setTimer(this.lookupRetryAtUs - ctx.nowUs, LOOKUP_RETRY);
      }
      return;
    }
    this.lookupInFlight = true;
    const node = c.env.bootstrap[this.lookupNode % c.env.bootstrap.length] as NodeId;
    this.send(ctx, node, "find-coordinator", { type: "group.find-coordinator", corr: this.nextCorr(), keyType: "group", key: c.groupId });
  }

  onFindCoordinator(ctx: Ctx, msg: FindCoordinatorResponse): void {
    if (!this.take(ctx, msg.corr)) return;
    this.lookupInFlight = false;
    if (msg.error !== "NONE" || msg.nodeId < 0) return this.lookupFailed(ctx);
    this.coordinator = this.broker(msg.nodeId);
    this.c.membership.ensureGroup(ctx);
  }

  /** FindCoordinator failed (COORDINATOR_NOT_AVAILABLE, a broken connection): "Coordinator discovery failed,
   *  refreshing metadata" — ask again after retry.backoff.ms, the next broker. */
  lookupFailed(ctx: Ctx): void {
    this.lookupInFlight = false;
    this.lookupNode++;
    this.lookupRetryAtUs = ctx.nowUs + this.c.cfg["retry.backoff.ms"] * 1000;
    this.refreshMetadata(ctx);
    this.lookupCoordinator(ctx);
  }
}
