// A minimal KRaft broker for the quorum world's tests: a Raft observer of __cluster_metadata that registers with the
// active controller (a new incarnation id per process start, its clean-shutdown epoch if it stopped cleanly) and
// heartbeats every broker.heartbeat.interval.ms with how far it has applied the metadata. No replicas: the real
// broker lifecycle (BrokerLifecycleManager, metadata publishing into the replica manager) is the integration's.
import type { NodeId } from "../../../core/ids.ts";
import type { Actor } from "../../../core/node.ts";
import type { ControllerConfig, QuorumConfig } from "../config.ts";
import type { KRaftTraceEvent } from "../events.ts";
import { isRaftMessage } from "../raft/messages.ts";
import { RaftNode, RaftWake } from "../raft/raft-node.ts";
import type { RaftBatch } from "../raft/log.ts";
import type { LeaderAndEpoch, RaftListener } from "../raft/quorum.ts";
import type { MetadataRecord } from "../controller/records.ts";
import type { KRaftContext, KRaftMessage } from "../controller/controller-node.ts";
import type { CreateTopicRequest } from "../controller/messages.ts";

export const CLEAN_SHUTDOWN_FILE = "clean-shutdown";

class BrokerTick {}

export interface TestBrokerOptions {
  readonly brokerId: number;
  readonly voters: readonly NodeId[];
  readonly quorum: QuorumConfig;
  readonly controller: ControllerConfig;
}

export class TestBroker implements Actor<KRaftMessage, KRaftTraceEvent>, RaftListener<MetadataRecord> {
  readonly raft: RaftNode<MetadataRecord>;
  private ctx!: KRaftContext;
  private readonly tick = new BrokerTick();
  private incarnationId = "";
  private previousBrokerEpoch = -1;
  brokerEpoch = -1;
  fenced = true;
  /** Offset of the last metadata record applied (-1: none). */
  metadataOffset = -1;
  /** Topics seen in committed metadata. */
  readonly topics = new Set<string>();
  private corr = 0;
  private inflight = 0;
  private inflightTo: NodeId | null = null;
  private lastSentUs = -Infinity;

  constructor(private readonly opts: TestBrokerOptions) {
    this.raft = new RaftNode<MetadataRecord>({ voters: opts.voters, config: opts.quorum, listener: this });
  }

  handleCommit(batch: RaftBatch<MetadataRecord>): void {
    for (const r of batch.records) if (r.kind === "data" && r.data.type === "TopicRecord") this.topics.add(r.data.name);
    this.metadataOffset = batch.lastOffset;
  }
  handleLeaderChange(_leader: LeaderAndEpoch): void {}

  onStart(ctx: KRaftContext): void {
    this.ctx = ctx;
    this.incarnationId = `${ctx.self}@${ctx.nowUs}`;
    // LogManager reads the clean-shutdown file at startup and deletes it.
    this.previousBrokerEpoch = ctx.disk.readBlob<number>(CLEAN_SHUTDOWN_FILE) ?? -1;
    ctx.disk.writeBlob(CLEAN_SHUTDOWN_FILE, -1, { flush: true });
    this.raft.onStart(ctx);
    ctx.setTimer(100_000, this.tick);
  }

  onMessage(ctx: KRaftContext, from: NodeId, msg: KRaftMessage): void {
    this.ctx = ctx;
    if (isRaftMessage<MetadataRecord>(msg)) return this.raft.onMessage(ctx, from, msg);
    if (!("corr" in msg) || msg.corr !== this.inflight) return;
    this.inflight = 0;
    switch (msg.type) {
      case "kraft-broker-registration-response":
        if (msg.error === "NONE") {
          this.brokerEpoch = msg.brokerEpoch;
          this.fenced = true;
        }
        break;
      case "kraft-broker-heartbeat-response":
        if (msg.error === "NONE") this.fenced = msg.isFenced;
        // A heartbeat from an incarnation the controller no longer knows: register again.
        else if (msg.error === "STALE_BROKER_EPOCH") this.brokerEpoch = -1;
        break;
      default:
        break;
    }
  }

  onTimer(ctx: KRaftContext, tag: unknown): void {
    this.ctx = ctx;
    if (tag instanceof RaftWake) return this.raft.onTimer(ctx, tag);
    if (tag !== this.tick) return;
    ctx.setTimer(100_000, this.tick);
    const controller = this.raft.leaderAndEpoch().leaderId;
    const now = ctx.nowUs;
    // A request unanswered for a heartbeat interval is given up (the controller channel's timeout).
    if (this.inflight !== 0 && now - this.lastSentUs < this.opts.controller.brokerHeartbeatIntervalMs * 1000) return;
    if (controller === null) return;
    if (this.brokerEpoch < 0) this.send(controller, { type: "kraft-broker-registration", corr: 0, brokerId: this.opts.brokerId, incarnationId: this.incarnationId, previousBrokerEpoch: this.previousBrokerEpoch });
    else if (now - this.lastSentUs >= this.opts.controller.brokerHeartbeatIntervalMs * 1000) {
      this.send(controller, { type: "kraft-broker-heartbeat", corr: 0, brokerId: this.opts.brokerId, brokerEpoch: this.brokerEpoch, currentMetadataOffset: this.metadataOffset, wantFence: false, wantShutDown: false });
    }
  }

  private send(to: NodeId, msg: KRaftMessage & { corr: number }): void {
    const corr = ++this.corr;
    this.inflight = corr;
    this.inflightTo = to;
    this.lastSentUs = this.ctx.nowUs;
    this.ctx.send(to, { ...msg, corr });
  }

  /** Ask the active controller to create a topic (an admin's CreateTopics, for tests). */
  createTopic(req: Omit<CreateTopicRequest, "type" | "corr">): boolean {
    const controller = this.raft.leaderAndEpoch().leaderId;
    if (controller === null) return false;
    this.ctx.send(controller, { type: "kraft-create-topic", corr: 0, ...req });
    return true;
  }

  onDisconnect(ctx: KRaftContext, peer: NodeId): void {
    this.ctx = ctx;
    if (peer === this.inflightTo) this.inflight = 0;
    this.raft.onDisconnect(ctx, peer);
  }

  /** A clean stop writes the clean-shutdown file with the broker epoch (CleanShutdownFileHandler). */
  onShutdown(ctx: KRaftContext): void {
    if (this.brokerEpoch >= 0) ctx.disk.writeBlob(CLEAN_SHUTDOWN_FILE, this.brokerEpoch, { flush: true });
    this.raft.onShutdown(ctx);
  }
}
