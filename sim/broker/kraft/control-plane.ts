// A broker's control plane in KRaft mode (BrokerServer's control side): a Raft observer of __cluster_metadata
// (it fetches from the quorum's leader, never votes, and does not fsync its copy), the metadata publisher that
// applies committed partition changes to the replica manager at this broker's own lag (publisher.ts), the lifecycle
// of registration, heartbeats, fencing and controlled shutdown (lifecycle.ts), and AlterPartition to the active
// controller (alter-partition.ts). No LeaderAndIsr or UpdateMetadata: the metadata log is the only source of
// partition state. A broker cut off from the quorum keeps its leaderships until metadata reaches it (the KRaft
// zombie), and is fenced by the controller once its heartbeats stop for broker.session.timeout.ms.
import type { NodeId } from "../../core/ids.ts";
import { brokerOfNode } from "../../core/ids.ts";
import { CONN_CLIENT, CONN_FETCHER } from "../../kafka/channels.ts";
import type { Message } from "../../kafka/protocol.ts";
import type { BrokerCtx } from "../group/host.ts";
import type { ControlPlaneApi, ControlPlaneHooks } from "../broker.ts";
import type { ReplicaManager } from "../replica/manager.ts";
import type { IsrChangeRequest, IsrChangeResult } from "../control/control-plane.ts";
import type { ControllerConfig, QuorumConfig } from "../../controller/kraft/config.ts";
import { isRaftMessage } from "../../controller/kraft/raft/messages.ts";
import type { RaftMessage } from "../../controller/kraft/raft/messages.ts";
import { RaftNode, RaftWake } from "../../controller/kraft/raft/raft-node.ts";
import type { RaftContext } from "../../controller/kraft/raft/raft-node.ts";
import type { RaftBatch } from "../../controller/kraft/raft/log.ts";
import { METADATA_LOG } from "../../controller/kraft/raft/log.ts";
import type { LeaderAndEpoch, RaftListener } from "../../controller/kraft/raft/quorum.ts";
import type { MetadataRecord } from "../../controller/kraft/controller/records.ts";
import { BrokerLifecycle } from "./lifecycle.ts";
import { AlterPartitionManager } from "./alter-partition.ts";
import { MetadataPublisher } from "./publisher.ts";
import { KRaftTimer } from "./timers.ts";

/** The broker's copy of the metadata log: Kafka keeps it as <log.dir>/__cluster_metadata-0/*.log. The name is not a
 *  "topic-partition" key, so the replica manager's recovery does not take it for a data partition. */
export const BROKER_METADATA_LOG = `${METADATA_LOG}/00000000000000000000.log`;

export interface KRaftBrokerOptions {
  readonly voters: readonly NodeId[];
  readonly quorum: QuorumConfig;
  readonly controller: ControllerConfig;
}

type Ctx = BrokerCtx;

/** A request another node sends a broker's listeners (clients, followers), not the Raft or controller traffic the
 *  broker itself starts. */
function isInboundRequest(type: string): boolean {
  return !type.endsWith("-response") && !type.startsWith("raft-") && !type.startsWith("kraft-") && !type.startsWith("zk.");
}

export class KRaftControlPlane implements ControlPlaneApi, RaftListener<MetadataRecord> {
  readonly raft: RaftNode<MetadataRecord>;
  readonly publisher: MetadataPublisher;
  readonly lifecycle: BrokerLifecycle;
  private readonly alter: AlterPartitionManager;
  private ctx!: Ctx;
  private readonly releaseTag = new KRaftTimer("metadata.release", this);
  private readonly lagEndTag = new KRaftTimer("metadata.lag-end", this);
  private releaseAtUs = Infinity;
  private releaseHandle = -1;
  private knownController: NodeId | null = null;

  constructor(
    readonly brokerId: number,
    private readonly opts: KRaftBrokerOptions,
    private readonly hooks: ControlPlaneHooks,
  ) {
    this.raft = new RaftNode<MetadataRecord>({ voters: opts.voters, config: opts.quorum, listener: this, logName: BROKER_METADATA_LOG });
    this.publisher = new MetadataPublisher(brokerId, opts.controller);
    const activeController = (): NodeId | null => this.raft.leaderAndEpoch().leaderId;
    this.lifecycle = new BrokerLifecycle({
      brokerId,
      heartbeatIntervalMs: opts.controller.brokerHeartbeatIntervalMs,
      sessionTimeoutMs: opts.controller.brokerSessionTimeoutMs,
      activeController,
      publishedOffset: () => this.publisher.publishedOffset,
      publications: () => this.publisher.publications,
      onRegistered: (ctx, epoch) => {
        this.hooks.onRegistered(ctx, epoch);
        this.alter.resendWaiting(ctx);
      },
    });
    this.alter = new AlterPartitionManager({ brokerId, brokerEpoch: () => this.lifecycle.brokerEpoch, activeController, brokerEpochOf: (b) => this.publisher.brokerEpochOf(b) });
  }

  /** The listeners are open: the broker was unfenced once since it started (RUNNING). */
  private get serving(): boolean {
    return this.lifecycle.servedSince;
  }

  get brokerEpoch(): number {
    return this.lifecycle.brokerEpoch;
  }
  /** Brokers never are the controller in KRaft mode (controllers are their own nodes). */
  get isController(): boolean {
    return false;
  }

  private rm(): ReplicaManager | undefined {
    return this.hooks.replicaManager?.();
  }

  private raftCtx(ctx: Ctx): RaftContext<MetadataRecord> {
    return ctx as unknown as RaftContext<MetadataRecord>;
  }

  onStart(ctx: Ctx): void {
    this.ctx = ctx;
    this.raft.onStart(this.raftCtx(ctx));
    this.lifecycle.start(ctx);
  }

  /** A clean stop: the clean-shutdown file, then the Raft observer's goodbye. */
  onShutdown(ctx: Ctx): void {
    this.ctx = ctx;
    this.lifecycle.onShutdown(ctx);
    this.raft.onShutdown(this.raftCtx(ctx));
  }

  /** Controlled shutdown before a clean stop (BrokerServer.shutdown); `done` runs once it may stop. */
  beginControlledShutdown(ctx: Ctx, done: () => void): void {
    this.ctx = ctx;
    this.lifecycle.beginControlledShutdown(ctx, done);
  }

  /** The metadata-lag fault: committed metadata is applied `delayUs` late until `untilUs`. */
  setMetadataLag(ctx: Ctx, delayUs: number, untilUs: number): void {
    this.ctx = ctx;
    this.publisher.setLag(delayUs, untilUs);
    ctx.emit({ type: "metadata-lag", broker: this.brokerId, delayMs: delayUs / 1000 });
    if (Number.isFinite(untilUs)) ctx.setTimer(Math.max(0, untilUs - ctx.nowUs), this.lagEndTag);
  }

  onMessage(ctx: Ctx, from: NodeId, msg: Message): boolean {
    this.ctx = ctx;
    if (!this.serving && isInboundRequest(msg.type)) {
      // BrokerServer.startup enables its listeners only once the controller has unfenced it: until then a
      // connection is refused (a restarted broker must not serve the leaderships its old metadata still names).
      ctx.closeConnection(from, { side: "server", kind: brokerOfNode(from) !== undefined && (msg.type === "fetch" || msg.type === "offsets-for-leader-epoch") ? CONN_FETCHER : CONN_CLIENT });
      return true;
    }
    if (isRaftMessage<MetadataRecord>(msg)) {
      this.raft.onMessage(this.raftCtx(ctx), from, msg as RaftMessage<MetadataRecord>);
      this.maybeNewController(ctx);
      return true;
    }
    switch (msg.type) {
      case "kraft-broker-registration-response":
      case "kraft-broker-heartbeat-response":
        return this.lifecycle.onResponse(ctx, from, msg);
      case "kraft-alter-partition-response":
        this.alter.onResponse(ctx, msg);
        return true;
      case "kraft-broker-registration":
      case "kraft-broker-heartbeat":
      case "kraft-alter-partition":
      case "kraft-create-topic":
      case "kraft-create-topic-response":
        return true; // meant for a controller
      default:
        return false;
    }
  }

  onTimer(ctx: Ctx, tag: unknown): boolean {
    this.ctx = ctx;
    if (tag instanceof RaftWake) {
      this.raft.onTimer(this.raftCtx(ctx), tag);
      this.maybeNewController(ctx);
      return true;
    }
    if (!(tag instanceof KRaftTimer)) return false;
    if (tag.owner === this.lifecycle) this.lifecycle.onTimer(ctx, tag);
    else if (tag.owner === this.alter) this.alter.onTimer(ctx, tag);
    else if (tag === this.releaseTag) {
      this.releaseHandle = -1;
      this.releaseAtUs = Infinity;
      if (this.publisher.release(ctx)) this.publish(ctx);
      this.armRelease(ctx);
    } else if (tag === this.lagEndTag) {
      if (ctx.nowUs >= 0) ctx.emit({ type: "metadata-lag", broker: this.brokerId, delayMs: 0 });
    }
    return true;
  }

  onDisconnect(ctx: Ctx, peer: NodeId): void {
    this.ctx = ctx;
    this.raft.onDisconnect(this.raftCtx(ctx), peer);
    this.lifecycle.onDisconnect(ctx, peer);
    this.alter.onDisconnect(ctx, peer);
  }

  /** A new active controller is known: what waited for one goes out (AlterPartition; the lifecycle polls). */
  private maybeNewController(ctx: Ctx): void {
    const c = this.raft.leaderAndEpoch().leaderId;
    if (c === this.knownController) return;
    this.knownController = c;
    if (c !== null) this.alter.resendWaiting(ctx);
  }

  // ---- the IsrChangePort ----

  requestIsrChange(ctx: Ctx, req: IsrChangeRequest, done: (resp: IsrChangeResult) => void): void {
    this.alter.submit(ctx, req, done);
  }

  cancelIsrChange(ctx: Ctx, topic: string, partition: number): void {
    this.alter.cancel(ctx, topic, partition);
  }

  /** Partition.isReplicaIsrEligible in KRaft mode: registered, unfenced, not in controlled shutdown. */
  isReplicaIsrEligible(broker: number): boolean {
    return this.publisher.isIsrEligible(broker);
  }

  // ---- RaftClient.Listener ----

  handleCommit(batch: RaftBatch<MetadataRecord>): void {
    const ctx = this.ctx;
    if (!this.publisher.receive(ctx, batch)) return this.armRelease(ctx);
    // Publish once caught up with the high watermark known now (MetadataLoader: not during catch-up).
    if (batch.lastOffset + 1 >= this.raft.highWatermark) this.publish(ctx);
  }

  handleLeaderChange(_leader: LeaderAndEpoch): void {}

  private publish(ctx: Ctx): void {
    const rm = this.rm();
    if (rm === undefined) return;
    const first = this.publisher.publications === 0;
    this.publisher.publish(ctx, rm);
    if (first || this.lifecycle.state === "RECOVERY") this.lifecycle.onPublished(ctx);
  }

  private armRelease(ctx: Ctx): void {
    const at = this.publisher.nextReleaseUs;
    if (at >= this.releaseAtUs) return;
    if (this.releaseHandle >= 0) ctx.cancelTimer(this.releaseHandle);
    this.releaseAtUs = at;
    if (at === Infinity) return;
    this.releaseHandle = ctx.setTimer(Math.max(0, at - ctx.nowUs), this.releaseTag);
  }
}
