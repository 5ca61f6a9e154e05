// The QuorumController: the listener of a controller node's Raft client. Every controller replays committed
// records into its committed image. The active one (its node leads the Raft epoch and has replayed everything
// committed before: claim) also keeps a working image: it decides against it, appends the records through the
// Raft leader, applies them to it at once, and answers each request only when its records are committed (the
// deferred event queue). When it loses the leadership it renounces: the working image is dropped (Kafka reverts
// its SnapshotRegistry to the last committed offset) and what was waiting is answered NOT_CONTROLLER.
import type { NodeId } from "../../../core/ids.ts";
import type { NodeContext } from "../../../core/node.ts";
import type { ControllerConfig } from "../config.ts";
import type { KRaftTraceEvent } from "../events.ts";
import type { RaftBatch } from "../raft/log.ts";
import type { LeaderAndEpoch, RaftListener } from "../raft/quorum.ts";
import type { RaftNode } from "../raft/raft-node.ts";
import { BrokerHeartbeatManager } from "./heartbeat-manager.ts";
import { MetadataImage } from "./image.ts";
import { errorResponse } from "./messages.ts";
import type { ControllerRequest, ControllerResponse } from "./messages.ts";
import { bootstrapTopicRecords, electNewPartitions } from "./bootstrap.ts";
import type { TopicSpec } from "./bootstrap.ts";
import { checkBrokerEpoch, maybeFenceOneStaleBroker, processBrokerHeartbeat, registerBroker } from "./cluster-control.ts";
import { RecordSink, alterPartition, createTopic, electUncleanLeaders, handleBrokerFenced } from "./replication-control.ts";
import type { ElectionKind } from "./partition-change.ts";
import type { MetadataRecord } from "./records.ts";
import { batchDigest } from "./digest.ts";

export type ControllerContext = NodeContext<ControllerResponse, KRaftTraceEvent>;

type TaskKind = "noop" | "fence-stale" | "elect-unclean";

export interface QuorumControllerOptions {
  /** The world's topics: in a new cluster's first records, their first leaders elected once the brokers are up
   *  (bootstrap.ts). */
  readonly topics?: readonly TopicSpec[];
  /** Told of every committed batch this controller's listener is handed (the world's evidence; no effect). */
  readonly onCommit?: (node: NodeId, batch: RaftBatch<MetadataRecord>) => void;
}

/** The timer tag of a periodic task (a host routes tags by instanceof). */
export class ControllerTimer {
  constructor(readonly kind: TaskKind) {}
}

/** PeriodicTaskControlManager reschedules a task that did something after 10 ms instead of its period. */
const IMMEDIATE_RESCHEDULE_US = 10_000;

type RecordSource = "alter-partition" | "controller";

interface Deferred {
  readonly offset: number;
  readonly to: NodeId;
  readonly response: ControllerResponse;
}

export class QuorumController implements RaftListener<MetadataRecord> {
  raft!: RaftNode<MetadataRecord>;
  private ctx!: ControllerContext;
  readonly committed: MetadataImage;
  private image: MetadataImage | null = null;
  private hb: BrokerHeartbeatManager | null = null;
  private claimEpoch = -1;
  private lastCommittedOffset = -1;
  private readonly deferred: Deferred[] = [];
  /** When the topics are created with the replicas that are active, whoever is missing (-1: not armed yet). */
  private topicGraceUs = -1;
  private readonly tags: Record<TaskKind, ControllerTimer> = { noop: new ControllerTimer("noop"), "fence-stale": new ControllerTimer("fence-stale"), "elect-unclean": new ControllerTimer("elect-unclean") };
  private readonly handles: Record<TaskKind, number> = { noop: -1, "fence-stale": -1, "elect-unclean": -1 };

  constructor(
    private readonly cfg: ControllerConfig,
    private readonly opts: QuorumControllerOptions = {},
  ) {
    this.committed = new MetadataImage(cfg);
  }

  attach(ctx: ControllerContext): void {
    this.ctx = ctx;
  }

  get isActive(): boolean {
    return this.claimEpoch >= 0;
  }
  /** The image the controller decides against (the working one when active). */
  get latest(): MetadataImage {
    return this.image ?? this.committed;
  }

  // ---- RaftClient.Listener ----

  handleCommit(batch: RaftBatch<MetadataRecord>): void {
    batch.records.forEach((r, i) => {
      if (r.kind === "data") this.committed.replay(r.data, batch.baseOffset + i);
    });
    this.lastCommittedOffset = batch.lastOffset;
    this.ctx.emit({ type: "metadata-batch", node: this.ctx.self, baseOffset: batch.baseOffset, lastOffset: batch.lastOffset, epoch: batch.epoch, digest: batchDigest(batch) });
    this.opts.onCommit?.(this.ctx.self, batch);
    if (this.isActive) this.completeUpTo(batch.lastOffset);
  }

  handleLeaderChange(leader: LeaderAndEpoch): void {
    if (this.isActive) {
      if (leader.leaderId === this.ctx.self) this.claimEpoch = leader.epoch;
      else this.renounce();
    } else if (leader.leaderId === this.ctx.self && this.raft.role === "leader") this.claim(leader.epoch);
    // A restarted former leader comes back resigned in its epoch (QuorumState.initialize): the epoch names it
    // leader but it cannot write. Kafka's controller would claim and renounce at its first failed write; here it
    // does not claim, so no spurious controller change is traced.
  }

  /** Become the active controller: the committed image becomes the working one, every registered broker gets
   *  a fresh session (ClusterControlManager.activate), a new cluster gets its bootstrap records, tasks start. */
  private claim(epoch: number): void {
    this.claimEpoch = epoch;
    this.image = this.committed.clone();
    const hb = new BrokerHeartbeatManager(this.cfg.brokerSessionTimeoutMs * 1000);
    for (const b of this.image.brokers.values()) {
      hb.register(b.id, b.fenced);
      hb.updateContactTime(b.id, b.epoch, this.ctx.nowUs);
    }
    this.hb = hb;
    this.ctx.emit({ type: "kraft-controller", node: this.ctx.self, epoch, active: true });
    // ActivationRecordsGenerator: an empty log gets the bootstrap features.
    if (this.committed.lastOffset < 0) {
      const sink = new RecordSink();
      sink.add({ type: "FeatureLevelRecord", name: "eligible.leader.replicas.version", featureLevel: this.cfg.eligibleLeaderReplicasVersion });
      for (const r of bootstrapTopicRecords(this.opts.topics ?? [])) sink.add(r);
      this.write(sink, "controller");
    }
    this.schedule("noop", this.cfg.metadataMaxIdleIntervalMs * 1000);
    // maybeFenceStaleBrokerPeriodNs: a session timeout / 8.
    this.schedule("fence-stale", Math.max(1000, Math.floor((this.cfg.brokerSessionTimeoutMs * 1000) / 8)));
    this.schedule("elect-unclean", this.cfg.uncleanLeaderElectionCheckIntervalMs * 1000);
  }

  private renounce(): void {
    if (!this.isActive) return;
    const epoch = this.claimEpoch;
    this.raft.resign(epoch);
    this.claimEpoch = -1;
    this.image = null;
    this.hb = null;
    for (const d of this.deferred) this.ctx.send(d.to, { ...d.response, error: "NOT_CONTROLLER" });
    this.deferred.length = 0;
    for (const k of Object.keys(this.handles) as TaskKind[]) {
      if (this.handles[k] >= 0) this.ctx.cancelTimer(this.handles[k]);
      this.handles[k] = -1;
    }
    this.ctx.emit({ type: "kraft-controller", node: this.ctx.self, epoch, active: false });
  }

  // ---- requests ----

  handleRequest(from: NodeId, req: ControllerRequest): void {
    const img = this.image;
    const hb = this.hb;
    if (img === null || hb === null) return this.ctx.send(from, errorResponse(req, "NOT_CONTROLLER"));
    const sink = new RecordSink();
    let response: ControllerResponse;
    let afterWrite: ((offset: number) => void) | undefined;
    let source: RecordSource = "controller";
    switch (req.type) {
      case "kraft-broker-registration": {
        const r = registerBroker(img, hb, sink, req, this.raft.nextWriteOffset(), this.ctx.nowUs);
        if (r.error !== "NONE") return this.ctx.send(from, errorResponse(req, r.error));
        response = { type: "kraft-broker-registration-response", corr: req.corr, error: "NONE", brokerEpoch: r.brokerEpoch };
        break;
      }
      case "kraft-broker-heartbeat": {
        // The contact time is recorded first, outside the event queue (QuorumController.processBrokerHeartbeat).
        hb.updateContactTime(req.brokerId, req.brokerEpoch, this.ctx.nowUs);
        const r = processBrokerHeartbeat(img, hb, sink, req);
        if (r.error !== "NONE") return this.ctx.send(from, r);
        response = r;
        if (r.inControlledShutdown) afterWrite = (offset) => hb.maybeUpdateControlledShutdownOffset(req.brokerId, offset);
        break;
      }
      case "kraft-alter-partition":
        if (!checkBrokerEpoch(img, req.brokerId, req.brokerEpoch)) return this.ctx.send(from, errorResponse(req, "STALE_BROKER_EPOCH"));
        response = alterPartition(img, sink, req);
        source = "alter-partition";
        break;
      case "kraft-create-topic": {
        const error = createTopic(img, sink, req);
        if (error !== "NONE") return this.ctx.send(from, errorResponse(req, error));
        response = { type: "kraft-create-topic-response", corr: req.corr, error: "NONE" };
        break;
      }
    }
    const offset = this.write(sink, source);
    if (offset === null) return this.ctx.send(from, errorResponse(req, "NOT_CONTROLLER"));
    afterWrite?.(offset);
    this.reply(from, response, offset);    if (req.type === "kraft-broker-heartbeat") this.maybeElectNewPartitions();
  }

  /** The first leaders of the world's partitions, once the brokers are up (bootstrap.ts). */
  private maybeElectNewPartitions(): void {
    const img = this.image;
    if (img === null) return;
    const sink = new RecordSink();
    this.topicGraceUs = electNewPartitions(img, sink, this.ctx.nowUs, this.topicGraceUs);
    this.write(sink, "controller");
  }

  /** Answer once `offset` is committed, after every answer already waiting. */
  private reply(to: NodeId, response: ControllerResponse, offset: number): void {
    if (offset <= this.lastCommittedOffset && this.deferred.length === 0) this.ctx.send(to, response);
    else this.deferred.push({ offset, to, response });
  }

  private completeUpTo(offset: number): void {
    let n = 0;
    while (n < this.deferred.length && (this.deferred[n] as Deferred).offset <= offset) {
      const d = this.deferred[n++] as Deferred;
      this.ctx.send(d.to, d.response);
    }
    if (n > 0) this.deferred.splice(0, n);
  }

  /** Append the sink's records as one batch and apply them to the working image. Returns the offset the answer
   *  waits for (the batch's last, or for no records the log's last written one), null when the Raft node no longer
   *  leads this epoch (NotLeaderException: renounce). */
  private write(sink: RecordSink, source: RecordSource): number | null {
    const img = this.image as MetadataImage;
    if (sink.records.length === 0) {
      // A write event that produced no records still answers only once everything written so far is committed
      // (QuorumController.ControllerWriteEvent.run: nextWriteOffset() - 1): its answer may rest on uncommitted state
      // (an AlterPartition refused FENCED_LEADER_EPOCH by a leader epoch not yet committed), and a controller that
      // renounces first answers NOT_CONTROLLER instead.
      return Math.max(this.raft.nextWriteOffset() - 1, this.lastCommittedOffset);
    }
    const base = this.raft.nextWriteOffset();
    const last = this.raft.append(this.claimEpoch, sink.records);
    if (last < 0) {
      this.renounce();
      return null;
    }
    sink.records.forEach((r, i) => {
      img.replay(r, base + i);
      this.trace(r, base + i, sink.elections[i] ?? "none", source);
    });
    return last;
  }

  private trace(r: MetadataRecord, offset: number, election: ElectionKind, source: RecordSource): void {
    const img = this.image as MetadataImage;
    const node = this.ctx.self;
    if (r.type === "PartitionChangeRecord" || r.type === "PartitionRecord") {
      const p = img.partition(r.topic, r.partition);
      if (p === undefined) return;
      this.ctx.emit({
        type: "kraft-partition",
        node,
        topic: r.topic,
        partition: r.partition,
        leader: p.leader,
        leaderEpoch: p.leaderEpoch,
        partitionEpoch: p.partitionEpoch,
        isr: p.isr,
        elr: p.elr,
        recovering: p.leaderRecoveryState === "RECOVERING",
        election,
        offset,
        epoch: this.claimEpoch,
        source,
      });
    } else if (r.type === "RegisterBrokerRecord") this.ctx.emit({ type: "kraft-broker", node, broker: r.brokerId, brokerEpoch: r.brokerEpoch, change: "registered", offset });
    else if (r.type === "BrokerRegistrationChangeRecord") {
      const change = r.fenced === "FENCE" ? "fenced" : r.fenced === "UNFENCE" ? "unfenced" : "controlled-shutdown";
      this.ctx.emit({ type: "kraft-broker", node, broker: r.brokerId, brokerEpoch: r.brokerEpoch, change, offset });
    }
  }

  /** Fence a broker now, as if its session had expired (the expire-session fault in KRaft mode): what
   *  maybeFenceOneStaleBroker does for an expired one. False when this controller is not active or the broker is
   *  unknown or already fenced. */
  fenceNow(broker: number): boolean {
    const img = this.image;
    const hb = this.hb;
    const reg = img?.brokers.get(broker);
    if (img === null || hb === null || reg === undefined || reg.fenced) return false;
    const sink = new RecordSink();
    handleBrokerFenced(img, sink, broker);
    hb.fence(broker);
    return this.write(sink, "controller") !== null;
  }

  // ---- periodic tasks (active only) ----

  private schedule(kind: TaskKind, delayUs: number): void {
    this.handles[kind] = this.ctx.setTimer(delayUs, this.tags[kind]);
  }

  onTimer(tag: ControllerTimer): void {
    const img = this.image;
    const hb = this.hb;
    this.handles[tag.kind] = -1;
    if (img === null || hb === null) return;
    const sink = new RecordSink();
    let again = false;
    switch (tag.kind) {
      case "noop":
        sink.add({ type: "NoOpRecord" });
        this.maybeElectNewPartitions();
        break;
      case "fence-stale":
        again = maybeFenceOneStaleBroker(img, hb, sink, this.ctx.nowUs);
        break;
      case "elect-unclean":
        electUncleanLeaders(img, sink);
        break;
    }
    if (this.write(sink, "controller") === null) return;
    const period = tag.kind === "noop" ? this.cfg.metadataMaxIdleIntervalMs * 1000 : tag.kind === "fence-stale" ? Math.max(1000, Math.floor((this.cfg.brokerSessionTimeoutMs * 1000) / 8)) : this.cfg.uncleanLeaderElectionCheckIntervalMs * 1000;
    this.schedule(tag.kind, again ? IMMEDIATE_RESCHEDULE_US : period);
  }
}
