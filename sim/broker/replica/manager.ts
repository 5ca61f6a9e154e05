// The broker's data plane (core/.../server/ReplicaManager.scala): partition replicas, leader-and-isr handling,
// produce with its purgatory, fetch (consumers and followers) with long polling, the follower fetchers
// (AbstractFetcherThread / ReplicaFetcherThread), ISR shrink/expand through the control plane (AlterPartition),
// HW checkpoints, the flush policy and recovery after a restart.
//
// Replication protocol versions (scenario.protocol), cumulative:
//   0.10  a follower truncates to its own HW on becoming follower (also after a restart): KIP-101's data loss;
//         followers send no leader epochs in fetches.
//   0.11  KIP-101: the follower asks the leader (offsets-for-leader-epoch) for the end offset of its latest
//         epoch and truncates to it; the leader answers with the start of the next higher epoch it knows, which
//         leaves diverged logs after fast successive leader changes (KIP-279's case).
//   2.0   KIP-279: the leader answers (largest epoch ≤ requested, its end offset); the follower truncates to the
//         smaller end offset and walks back epoch by epoch until both agree. Truncation happens only on
//         leader-and-isr: a follower that misses one keeps fetching by offset alone and can diverge.
//   2.7   KIP-320 (2.1) + KAFKA-10554: follower fetches carry currentLeaderEpoch (a stale one is fenced) and
//         lastFetchedEpoch; the leader answers divergingEpoch, on which the follower truncates (the same walk
//         back, inline, on every fetch); no offsets-for-leader-epoch round trip.
//   3.7   KAFKA-15583: the leader does not advance the HW while the ISR is below min.insync.replicas.
import type { NodeId } from "../../core/ids.ts";
import { brokerNode, brokerOfNode, tpKey } from "../../core/ids.ts";
import { msToUs } from "../../core/time.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { BrokerConfig, ProtocolVersion } from "../../kafka/config.ts";
import type {
  FetchPartition,
  FetchPartitionResponse,
  FetchRequest,
  FetchResponse,
  ListOffsetsRequest,
  Message,
  MetadataRequest,
  OffsetsForLeaderEpochRequest,
  OffsetsForLeaderEpochResponse,
  PartitionMetadata,
  ProduceRequest,
  RecordSlice,
} from "../../kafka/protocol.ts";
import type { ControllerMessage, LeaderAndIsrPartition } from "../../kafka/protocol-cluster.ts";
import type { BugSwitches, TopicSpec } from "../../scenario/types.ts";
import type { BrokerCtx } from "../group/host.ts";
import { Partition } from "./partition.ts";
import { DeadlineQueue, DeadlineWheel, ParkedFetch, PendingProduce } from "./purgatory.ts";
import type { ProduceResult } from "./purgatory.ts";
import { UNDEFINED_EPOCH } from "./epoch-cache.ts";

/** What the data plane needs of the cluster spec (structurally a subset of ClusterSpec, sim/broker/spec.ts). */
export interface ReplicaSpec {
  readonly broker: BrokerConfig;
  readonly topics: readonly TopicSpec[];
  readonly protocol: ProtocolVersion;
  readonly bugs: BugSwitches;
}

// The AlterPartition item and the controller's answer are the control plane's types.
export type { IsrChangeRequest, IsrChangeResult as IsrChangeResponse } from "../control/control-plane.ts";
import type { IsrChangeRequest, IsrChangeResult as IsrChangeResponse } from "../control/control-plane.ts";

/** What the data plane asks of the rest of the broker. */
export interface ReplicaHooks {
  /** AlterPartition through the control plane; `done` runs once with the controller's answer or an error. */
  requestIsrChange(ctx: BrokerCtx, req: IsrChangeRequest, done: (resp: IsrChangeResponse) => void): void;
  /** The broker's current epoch (czxid of its registration), -1 before registering. */
  brokerEpoch(): number;
  /** This broker became / stopped being leader of a partition (the group coordinator follows __consumer_offsets). */
  onLeadershipChange?(ctx: BrokerCtx, topic: string, partition: number, leader: boolean): void;
  /** A valid leader-and-isr / update-metadata named this controller (the control plane routes AlterPartition). */
  onControllerSeen?(ctx: BrokerCtx, controllerId: number, controllerEpoch: number): void;
  /** Drop a pending AlterPartition of a partition this broker no longer leads. */
  cancelIsrChange?(ctx: BrokerCtx, topic: string, partition: number): void;
}

/** Records per partition in one fetch response (≈ replica.fetch.max.bytes 1 MiB at ~100 bytes a record). */
export const MAX_FETCH_RECORDS = 10_000;
export const HW_CHECKPOINT_BLOB = "replication-offset-checkpoint";

const TAG_ISR_CHECK = { timer: "isr-check" } as const;
const TAG_HW_CHECKPOINT = { timer: "hw-checkpoint" } as const;
const TAG_FLUSH = { timer: "log-flush" } as const;

/** One fetcher per leader broker: a single fetch (or offsets-for-leader-epoch) request in flight covering every
 *  partition followed there (AbstractFetcherThread). */
class Fetcher {
  readonly parts: Partition[] = [];
  inFlight = false;
  corr = -1;
  /** The request-timeout watchdog is armed (one timer at a time, re-armed rather than cancelled). */
  timeoutTimer = -1;
  sentAtUs = 0;
  backoffTimer = -1;
  readonly timeoutTag: FetcherTag;
  readonly backoffTag: FetcherTag;
  constructor(
    readonly leader: number,
    readonly node: NodeId,
  ) {
    this.timeoutTag = new FetcherTag(this, "timeout");
    this.backoffTag = new FetcherTag(this, "backoff");
  }
}

class FetcherTag {
  constructor(
    readonly fetcher: Fetcher,
    readonly kind: "timeout" | "backoff",
  ) {}
}

function versionAtLeast(v: ProtocolVersion, min: ProtocolVersion): boolean {
  const order: readonly ProtocolVersion[] = ["0.10", "0.11", "2.0", "2.7", "3.7"];
  return order.indexOf(v) >= order.indexOf(min);
}

const EMPTY: readonly number[] = [];
/** AlterPartition answers that mean our leadership view is stale (the controller knows a newer state). */
const FENCING_ERRORS: ReadonlySet<string> = new Set(["FENCED_LEADER_EPOCH", "INVALID_UPDATE_VERSION", "STALE_BROKER_EPOCH", "NOT_LEADER_OR_FOLLOWER", "UNKNOWN_TOPIC_OR_PARTITION"]);

export class ReplicaManager {
  readonly partitions = new Map<string, Partition>();
  private readonly byTopic = new Map<string, Partition[]>();
  private readonly fetchers = new Map<number, Fetcher>();
  private controllerEpoch = -1;
  private nextCorr = 1;
  private readonly protocol: ProtocolVersion;
  private readonly lagUs: number;
  private readonly truncateOnFetch: boolean;
  private readonly holdHwUnderMinIsr: boolean;
  private readonly usesEpochs: boolean;
  private readonly socketTimeoutUs: number;
  private readonly wheel = new DeadlineWheel();
  // metadata cache (update-metadata)
  private liveBrokers: readonly number[] = [];
  private controllerId: number | null = null;
  private readonly metadata = new Map<string, PartitionMetadata>();

  constructor(
    readonly brokerId: number,
    private readonly spec: ReplicaSpec,
    private readonly hooks: ReplicaHooks,
  ) {
    this.protocol = spec.protocol;
    this.lagUs = msToUs(spec.broker["replica.lag.time.max.ms"]);
    this.truncateOnFetch = versionAtLeast(spec.protocol, "2.7");
    this.holdHwUnderMinIsr = versionAtLeast(spec.protocol, "3.7");
    this.usesEpochs = versionAtLeast(spec.protocol, "0.11");
    this.socketTimeoutUs = msToUs(spec.broker["replica.socket.timeout.ms"]);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Boot or restart: reload every log, epoch cache and the HW checkpoint; every replica starts as neither
   *  leader nor follower and waits for leader-and-isr (it is outside the ISR until the leader re-admits it). */
  onStart(ctx: BrokerCtx): void {
    const checkpoint = ctx.disk.readBlob<Readonly<Record<string, number>>>(HW_CHECKPOINT_BLOB) ?? {};
    const leos: Record<string, number> = {};
    let any = false;
    for (const name of ctx.disk.logNames()) {
      const p = this.partitionByKey(ctx, name);
      if (p === undefined) continue;
      p.cache.truncateFromEnd(p.leo);
      p.hw = Math.min(checkpoint[name] ?? 0, p.leo);
      leos[name] = p.leo;
      any = true;
    }
    if (any) ctx.emit({ type: "broker-recovered", broker: this.brokerId, logEndOffsets: leos });
    ctx.setTimer(Math.max(1, Math.floor(this.lagUs / 2)), TAG_ISR_CHECK);
    ctx.setTimer(msToUs(this.spec.broker["replica.high.watermark.checkpoint.interval.ms"]), TAG_HW_CHECKPOINT);
    // LogManager schedules "kafka-log-flusher" every log.flush.scheduler.interval.ms (default Long.MAX_VALUE: never).
    const flushEvery = this.spec.broker["log.flush.scheduler.interval.ms"];
    if (flushEvery !== null) ctx.setTimer(Math.max(1, msToUs(flushEvery)), TAG_FLUSH);
  }

  /** Clean shutdown: checkpoint the HW (the runtime then flushes the disk). */
  onShutdown(ctx: BrokerCtx): void {
    this.checkpointHw(ctx);
  }

  private topicSpec(topic: string): TopicSpec | undefined {
    return this.spec.topics.find((t) => t.name === topic);
  }

  private getPartition(ctx: BrokerCtx, topic: string, partition: number): Partition {
    const key = tpKey(topic, partition);
    let p = this.partitions.get(key);
    if (p === undefined) {
      const t = this.topicSpec(topic);
      const b = this.spec.broker;
      const minIsr = Math.min(t?.config["min.insync.replicas"] ?? b["min.insync.replicas"], t?.["replication.factor"] ?? Infinity);
      const fm = t?.config["log.flush.interval.messages"];
      // KafkaConfig.logFlushIntervalMs: log.flush.interval.ms, else log.flush.scheduler.interval.ms.
      const fms = (t?.config["log.flush.interval.ms"] === undefined ? b["log.flush.interval.ms"] : t.config["log.flush.interval.ms"]) ?? b["log.flush.scheduler.interval.ms"];
      p = new Partition(topic, partition, key, ctx.disk, minIsr, fm === undefined ? b["log.flush.interval.messages"] : fm, fms);
      p.lastFlushUs = ctx.nowUs; // LocalLog: lastFlushedTime starts at load
      this.partitions.set(key, p);
      let arr = this.byTopic.get(topic);
      if (arr === undefined) {
        arr = [];
        this.byTopic.set(topic, arr);
      }
      arr[partition] = p;
    }
    return p;
  }

  /** Partition by topic and number without building the "topic-p" key (fetch/produce hot path). */
  private lookup(topic: string, partition: number): Partition | undefined {
    // Requests name topics with the spec's own strings: most lookups repeat the last topic (arrays are never
    // replaced, only filled in).
    if (topic !== this.lookupTopic) {
      const arr = this.byTopic.get(topic);
      if (arr === undefined) return undefined;
      this.lookupTopic = topic;
      this.lookupArr = arr;
    }
    return this.lookupArr[partition];
  }
  private lookupTopic = "";
  private lookupArr: Partition[] = [];

  private partitionByKey(ctx: BrokerCtx, key: string): Partition | undefined {
    const m = /^(.+)-(\d+)$/.exec(key);
    if (!m) return undefined;
    return this.getPartition(ctx, m[1] as string, Number(m[2]));
  }

  onTimer(ctx: BrokerCtx, tag: unknown): boolean {
    if (tag instanceof FetcherTag) {
      const f = tag.fetcher;
      if (tag.kind === "timeout") {
        f.timeoutTimer = -1;
        if (!f.inFlight) return true;
        const left = f.sentAtUs + this.socketTimeoutUs - ctx.nowUs;
        if (left > 0) {
          f.timeoutTimer = ctx.setTimer(left, f.timeoutTag);
          return true;
        }
        f.inFlight = false;
        f.corr = -1;
        this.backoff(ctx, f);
      } else {
        f.backoffTimer = -1;
        this.sendNext(ctx, f);
      }
      return true;
    }
    if (tag instanceof DeadlineQueue) {
      const items = this.wheel.take(ctx, tag);
      for (let i = 0; i < items.length; i++) {
        const it = items[i] as PendingProduce | ParkedFetch;
        if (it.done) continue;
        if (it instanceof PendingProduce) this.expireProduce(ctx, it);
        else {
          it.done = true;
          this.answerFetch(ctx, it.from, it.req, false);
        }
      }
      return true;
    }
    if (tag === TAG_ISR_CHECK) {
      this.checkIsrShrink(ctx);
      ctx.setTimer(Math.max(1, Math.floor(this.lagUs / 2)), TAG_ISR_CHECK);
      return true;
    }
    if (tag === TAG_HW_CHECKPOINT) {
      this.checkpointHw(ctx);
      ctx.setTimer(msToUs(this.spec.broker["replica.high.watermark.checkpoint.interval.ms"]), TAG_HW_CHECKPOINT);
      return true;
    }
    if (tag === TAG_FLUSH) {
      const now = ctx.nowUs;
      for (const p of this.partitions.values()) {
        if (p.flushMs !== null && now - p.lastFlushUs >= msToUs(p.flushMs)) {
          p.log.flush();
          p.lastFlushUs = now;
        }
      }
      ctx.setTimer(Math.max(1, msToUs(this.spec.broker["log.flush.scheduler.interval.ms"] ?? 0)), TAG_FLUSH);
      return true;
    }
    return false;
  }

  private checkpointHw(ctx: BrokerCtx): void {
    const cp: Record<string, number> = {};
    for (const [k, p] of this.partitions) cp[k] = p.hw;
    ctx.disk.writeBlob(HW_CHECKPOINT_BLOB, cp, { flush: true });
  }

  onDisconnect(ctx: BrokerCtx, peer: NodeId): void {
    const b = brokerOfNode(peer);
    if (b === undefined) return;
    const f = this.fetchers.get(b);
    if (f !== undefined && f.inFlight) {
      f.inFlight = false;
      f.corr = -1;
      this.backoff(ctx, f);
    }
  }

  // ---------------------------------------------------------------- messages

  /** Returns true if the message belonged to the data plane. */
  onMessage(ctx: BrokerCtx, from: NodeId, msg: Message): boolean {
    switch (msg.type) {
      case "produce":
        this.handleProduce(ctx, from, msg);
        return true;
      case "fetch":
        this.answerFetch(ctx, from, msg, true);
        return true;
      case "fetch-response":
        this.handleFetchResponse(ctx, from, msg);
        return true;
      case "offsets-for-leader-epoch":
        this.handleOffsetsForLeaderEpoch(ctx, from, msg);
        return true;
      case "offsets-for-leader-epoch-response":
        this.handleOffsetsForLeaderEpochResponse(ctx, from, msg);
        return true;
      case "list-offsets":
        this.handleListOffsets(ctx, from, msg);
        return true;
      case "metadata":
        this.handleMetadata(ctx, from, msg);
        return true;
      case "leader-and-isr":
      case "update-metadata":
      case "stop-replica":
        this.handleController(ctx, from, msg);
        return true;
      default:
        return false;
    }
  }

  // ---------------------------------------------------------------- controller requests

  private handleController(ctx: BrokerCtx, from: NodeId, msg: Extract<ControllerMessage, { type: "leader-and-isr" | "update-metadata" | "stop-replica" }>): void {
    const stale = msg.controllerEpoch < this.controllerEpoch;
    if (stale && msg.type === "leader-and-isr" && this.spec.bugs.acceptStaleEpoch) {
      // Bug switch: a deposed controller's leader-and-isr is applied (its controller epoch is not checked, nor
      // is its leader epoch below). The broker keeps the newer controller as its controller.
      return this.handleLeaderAndIsr(ctx, from, msg);
    }
    if (stale) {
      ctx.emit({ type: "stale-request-rejected", broker: this.brokerId, request: msg.type, reason: `controller epoch ${msg.controllerEpoch} < ${this.controllerEpoch}` });
      if (msg.type === "leader-and-isr") ctx.send(from, { type: "leader-and-isr-response", corr: msg.corr, error: "STALE_CONTROLLER_EPOCH", partitions: [] });
      else if (msg.type === "update-metadata") ctx.send(from, { type: "update-metadata-response", corr: msg.corr, error: "STALE_CONTROLLER_EPOCH" });
      return;
    }
    this.controllerEpoch = msg.controllerEpoch;
    this.controllerId = msg.controllerId;
    this.hooks.onControllerSeen?.(ctx, msg.controllerId, msg.controllerEpoch);
    switch (msg.type) {
      case "leader-and-isr":
        return this.handleLeaderAndIsr(ctx, from, msg);
      case "update-metadata":
        // KIP-380 (KafkaApis.handleUpdateMetadataRequest, isBrokerEpochStale): a request meant for an earlier
        // registration of this broker (sent before it bounced, delivered late) is refused, not applied.
        if (this.staleBrokerEpoch(ctx, msg.brokerEpoch, "update-metadata")) {
          ctx.send(from, { type: "update-metadata-response", corr: msg.corr, error: "STALE_BROKER_EPOCH" });
          return;
        }
        this.liveBrokers = msg.liveBrokers;
        for (const pm of msg.partitions) this.metadata.set(tpKey(pm.topic, pm.partition), pm);
        ctx.send(from, { type: "update-metadata-response", corr: msg.corr, error: "NONE" });
        return;
      case "stop-replica":
        for (const tp of msg.partitions) {
          const p = this.lookup(tp.topic, tp.partition);
          if (p !== undefined) this.stopFollowing(p);
        }
        return;
    }
  }

  /** KIP-380: a control request carrying an older broker epoch than this broker's registration is stale. */
  private staleBrokerEpoch(ctx: BrokerCtx, brokerEpoch: number, request: string): boolean {
    const myEpoch = this.hooks.brokerEpoch();
    if (!(brokerEpoch >= 0 && myEpoch >= 0 && brokerEpoch < myEpoch)) return false;
    ctx.emit({ type: "stale-request-rejected", broker: this.brokerId, request, reason: `broker epoch ${brokerEpoch} < ${myEpoch}` });
    return true;
  }

  private handleLeaderAndIsr(ctx: BrokerCtx, from: NodeId, msg: Extract<ControllerMessage, { type: "leader-and-isr" }>): void {
    if (this.staleBrokerEpoch(ctx, msg.brokerEpoch, "leader-and-isr")) {
      ctx.send(from, { type: "leader-and-isr-response", corr: msg.corr, error: "STALE_BROKER_EPOCH", partitions: [] });
      return;
    }
    const results: { topic: string; partition: number; error: string }[] = [];
    for (const st of msg.partitions) {
      if (!st.replicas.includes(this.brokerId)) {
        results.push({ topic: st.topic, partition: st.partition, error: "UNKNOWN_TOPIC_OR_PARTITION" }); // not assigned here
        continue;
      }
      const p = this.getPartition(ctx, st.topic, st.partition);
      // RM.becomeLeaderOrFollower: only a strictly newer leader epoch is applied (fact 26).
      if (st.leaderEpoch <= p.leaderEpoch && !(this.spec.bugs.acceptStaleEpoch && st.leaderEpoch < p.leaderEpoch)) {
        ctx.emit({ type: "stale-request-rejected", broker: this.brokerId, request: `leader-and-isr ${p.key}`, reason: `leader epoch ${st.leaderEpoch} <= ${p.leaderEpoch}` });
        results.push({ topic: st.topic, partition: st.partition, error: "STALE_CONTROLLER_EPOCH" });
        continue;
      }
      if (st.leader === this.brokerId) this.makeLeader(ctx, p, st);
      else this.makeFollower(ctx, p, st);
      results.push({ topic: st.topic, partition: st.partition, error: "NONE" });
    }
    ctx.send(from, { type: "leader-and-isr-response", corr: msg.corr, error: "NONE", partitions: results });
  }

  private applyState(p: Partition, st: LeaderAndIsrPartition): void {
    p.leader = st.leader;
    p.leaderEpoch = st.leaderEpoch;
    p.partitionEpoch = st.partitionEpoch;
    p.isr = st.isr;
    p.replicas = st.replicas;
    p.pendingIsr = null;
    p.fenced = false;
    p.sliceCache = null;
  }

  /** Partition.makeLeader: record the epoch's start offset, reset follower state, rebuild producer state. */
  private makeLeader(ctx: BrokerCtx, p: Partition, st: LeaderAndIsrPartition): void {
    const wasLeader = p.isLeader;
    this.stopFollowing(p);
    this.applyState(p, st);
    p.role = "leader";
    p.cache.assign(st.leaderEpoch, p.leo);
    p.epochStartOffset = p.leo;
    p.resetFollowers(this.brokerId, ctx.nowUs, !wasLeader);
    // ProducerState.rebuild(log), without rescanning what the log state already covers.
    p.logState.applyRange(p.log, p.logStateUpTo, p.log.length);
    p.logStateUpTo = p.log.length;
    p.producers = p.logState.clone();
    ctx.emit({ type: "become-leader", tp: p.key, broker: this.brokerId, leaderEpoch: st.leaderEpoch, logEndOffset: p.leo });
    if (this.maybeIncrementHw(ctx, p)) this.onHwAdvanced(ctx, p);
    if (!wasLeader) this.hooks.onLeadershipChange?.(ctx, p.topic, p.partition, true);
  }

  /** Partition.makeFollower + the truncation of the protocol version in force. */
  private makeFollower(ctx: BrokerCtx, p: Partition, st: LeaderAndIsrPartition): void {
    const wasLeader = p.isLeader;
    this.stopFollowing(p);
    if (wasLeader) this.resign(ctx, p);
    this.applyState(p, st);
    p.role = "follower";
    ctx.emit({ type: "become-follower", tp: p.key, broker: this.brokerId, leader: st.leader, leaderEpoch: st.leaderEpoch });
    if (wasLeader) this.hooks.onLeadershipChange?.(ctx, p.topic, p.partition, false);
    if (st.leader < 0) return;
    p.delayedUntilUs = 0;
    if (!this.usesEpochs) {
      // 0.10: truncate to the own HW, then fetch (the data loss KIP-101 fixed).
      this.truncate(ctx, p, p.hw, "become-follower: truncate to high watermark (0.10)");
      p.follow = "fetching";
    } else if (this.truncateOnFetch) {
      p.follow = "fetching"; // 2.7+: lastFetchedEpoch in the fetch, the leader answers divergingEpoch
    } else {
      p.truncationEpoch = p.cache.latestEpoch;
      if (p.truncationEpoch === UNDEFINED_EPOCH) {
        this.truncate(ctx, p, p.hw, "no leader epoch known: truncate to high watermark");
        p.follow = "fetching";
      } else p.follow = "truncating";
    }
    let f = this.fetchers.get(st.leader);
    if (f === undefined) {
      f = new Fetcher(st.leader, brokerNode(st.leader));
      this.fetchers.set(st.leader, f);
    }
    f.parts.push(p);
    this.sendNext(ctx, f);
  }

  /** Losing leadership: every waiting acks=all request completes with NOT_LEADER_OR_FOLLOWER. */
  private resign(ctx: BrokerCtx, p: Partition): void {
    if (p.pendingIsr !== null) this.hooks.cancelIsrChange?.(ctx, p.topic, p.partition);
    const ws = p.produceWaiters;
    p.produceWaiters = [];
    for (const w of ws) this.completeWait(ctx, w.p, w.index, "NOT_LEADER_OR_FOLLOWER", -1);
  }

  private stopFollowing(p: Partition): void {
    if (p.role === "follower") {
      const f = this.fetchers.get(p.leader);
      if (f !== undefined) {
        const i = f.parts.indexOf(p);
        if (i >= 0) f.parts.splice(i, 1);
      }
    }
    p.follow = "idle";
  }

  private truncate(ctx: BrokerCtx, p: Partition, toOffset: number, reason: string): void {
    if (this.spec.bugs.skipTruncation) return;
    const to = Math.max(toOffset, p.log.startOffset);
    if (to >= p.leo) {
      // UnifiedLog.truncateTo: always cut the epoch cache at the log end — a leader that assigned an epoch start
      // but appended nothing before losing leadership keeps a conflicting entry (else the fetch loops on it).
      p.cache.truncateFromEnd(p.leo);
      return;
    }
    const from = p.leo;
    p.sliceCache = null;
    p.log.truncateTo(to);
    if (p.logStateUpTo > to - p.log.startOffset) {
      p.logState.clear();
      p.logStateUpTo = 0;
    }
    p.cache.truncateFromEnd(to);
    if (p.hw > to) p.hw = to;
    ctx.emit({ type: "truncate", tp: p.key, broker: this.brokerId, fromOffset: from, toOffset: to, reason });
  }

  // ---------------------------------------------------------------- HW and ISR (leader)

  private maybeIncrementHw(ctx: BrokerCtx, p: Partition): boolean {
    if (!p.maybeIncrementHw(this.holdHwUnderMinIsr)) return false;
    ctx.emit({ type: "hw-advance", tp: p.key, broker: this.brokerId, highWatermark: p.hw });
    return true;
  }

  /** The HW moved: complete satisfied acks=all requests (DelayedProduce) and wake consumer long polls. */
  private onHwAdvanced(ctx: BrokerCtx, p: Partition): void {
    if (p.produceWaiters.length > 0) this.checkProduceWaiters(ctx, p);
    if (p.fetchWaiters.length > 0) this.wakeFetches(ctx, p, true);
  }

  private checkProduceWaiters(ctx: BrokerCtx, p: Partition): void {
    const ws = p.produceWaiters;
    let keep = 0;
    // Partition.checkEnoughReplicasReachOffset counts the maximal ISR (a pending expansion's replica has the data).
    const enough = p.maximalIsr.length >= p.effectiveMinIsr();
    for (let i = 0; i < ws.length; i++) {
      const w = ws[i] as (typeof ws)[number];
      if (w.p.done) continue;
      if (p.hw >= w.requiredOffset) {
        // DelayedProduce / Partition.checkEnoughReplicasReachOffset
        this.completeWait(ctx, w.p, w.index, enough ? "NONE" : "NOT_ENOUGH_REPLICAS_AFTER_APPEND", w.baseOffset);
        continue;
      }
      ws[keep++] = w;
    }
    // All done is the common case: a fresh array beats shrinking one (the length setter is a slow path).
    if (keep === 0) p.produceWaiters = [];
    else if (keep !== ws.length) ws.length = keep;
  }

  private completeWait(ctx: BrokerCtx, pp: PendingProduce, index: number, error: KafkaErrorCode, baseOffset: number): void {
    if (pp.done) return;
    const r = pp.results[index] as ProduceResult;
    r.error = error;
    r.baseOffset = error === "NONE" ? baseOffset : -1;
    if (--pp.remaining === 0) this.finishProduce(ctx, pp);
  }

  private finishProduce(ctx: BrokerCtx, pp: PendingProduce): void {
    if (pp.done) return;
    pp.done = true;
    if (pp.callback !== null) {
      const r = pp.results[0];
      pp.callback(r === undefined ? "UNKNOWN_TOPIC_OR_PARTITION" : r.error);
    } else if (pp.from !== null) ctx.send(pp.from, { type: "produce-response", corr: pp.corr, partitions: pp.results });
  }

  private expireProduce(ctx: BrokerCtx, pp: PendingProduce): void {
    if (pp.done) return;
    for (const r of pp.results) {
      if (r.error === "NONE" && r.baseOffset === -2) {
        r.error = "REQUEST_TIMED_OUT";
        r.baseOffset = -1;
      }
    }
    this.finishProduce(ctx, pp);
  }

  /** ReplicaManager.maybeShrinkIsr, every replica.lag.time.max.ms / 2 (fact 7). */
  private checkIsrShrink(ctx: BrokerCtx): void {
    for (const p of this.partitions.values()) {
      if (!p.isLeader || p.fenced || p.pendingIsr !== null) continue;
      const out = p.outOfSyncFollowers(ctx.nowUs, this.lagUs);
      if (out.length === 0) continue;
      const newIsr = p.isr.filter((r) => !out.includes(r));
      this.alterIsr(ctx, p, newIsr, p.isr, "shrink");
    }
  }

  /** Partition.maybeExpandIsr (fact 8): the follower reached the HW and the current epoch's start offset. */
  private maybeExpandIsr(ctx: BrokerCtx, p: Partition, follower: number, fetchOffset: number): void {
    if (p.pendingIsr !== null || p.fenced || p.isr.includes(follower)) return;
    if (fetchOffset < p.hw || fetchOffset < p.epochStartOffset) return;
    const newIsr = [...p.isr, follower];
    this.alterIsr(ctx, p, newIsr, newIsr, "expand");
  }

  private alterIsr(ctx: BrokerCtx, p: Partition, newIsr: readonly number[], maximal: readonly number[], kind: "shrink" | "expand"): void {
    p.pendingIsr = maximal;
    const epoch = p.leaderEpoch;
    this.hooks.requestIsrChange(ctx, { topic: p.topic, partition: p.partition, leaderEpoch: epoch, newIsr, partitionEpoch: p.partitionEpoch }, (resp) => {
      if (!p.isLeader || p.leaderEpoch !== epoch || p.pendingIsr !== maximal) return; // superseded by leader-and-isr
      p.pendingIsr = null;
      if (resp.error === "NONE") {
        const old = p.isr;
        p.isr = resp.isr;
        p.partitionEpoch = resp.partitionEpoch;
        if (kind === "shrink") {
          ctx.emit({ type: "isr-shrink", tp: p.key, leader: this.brokerId, isr: resp.isr, removed: old.filter((r) => !resp.isr.includes(r)), by: "leader" });
        } else {
          ctx.emit({ type: "isr-expand", tp: p.key, leader: this.brokerId, isr: resp.isr, added: resp.isr.filter((r) => !old.includes(r)) });
        }
      } else if (FENCING_ERRORS.has(resp.error)) {
        // Our view is stale: a newer leader epoch or partition state exists. Partition.handleAlterPartitionError
        // keeps the change pending (no retry) until leader-and-isr: the leader goes on appending, and its HW is
        // held by the maximal ISR (followers that moved on no longer fetch), so acks=all writes wait and time out.
        p.pendingIsr = maximal;
        p.fenced = true;
        ctx.emit({ type: "isr-change-rejected", tp: p.key, broker: this.brokerId, reason: resp.error });
        return;
      }
      // Other errors (controller unreachable / moving): retried at the next check.
      if (this.maybeIncrementHw(ctx, p) || p.produceWaiters.length > 0) this.onHwAdvanced(ctx, p);
    });
  }

  // ---------------------------------------------------------------- produce

  private handleProduce(ctx: BrokerCtx, from: NodeId, req: ProduceRequest): void {
    const acks = req.acks;
    const results: ProduceResult[] = [];
    if (acks !== -1 && acks !== 0 && acks !== 1) {
      for (const b of req.batches) results.push({ topic: b.topic, partition: b.partition, error: "INVALID_REQUIRED_ACKS", baseOffset: -1 });
      ctx.send(from, { type: "produce-response", corr: req.corr, partitions: results });
      return;
    }
    const pp = new PendingProduce(acks === 0 ? null : from, req.corr, results, null);
    for (let i = 0; i < req.batches.length; i++) {
      const b = req.batches[i] as (typeof req.batches)[number];
      results.push({ topic: b.topic, partition: b.partition, error: "NONE", baseOffset: -1 });
      this.appendToLeader(ctx, pp, i, b.topic, b.partition, acks, req.producerId, req.producerEpoch, b.baseSequence, b.values, b.keys);
    }
    this.settleProduce(ctx, pp, req.timeoutMs);
    // acks=0 has no response to carry an error: the broker closes the connection instead, and the client
    // refreshes its metadata (KafkaApis.handleProduceRequest: "closeConnection" when acks == 0 and an error).
    if (acks === 0 && results.some((r) => r.error !== "NONE")) ctx.closeConnection(from);
  }

  /** Internal acks=all append (group coordinator offsets). */
  appendInternal(ctx: BrokerCtx, topic: string, partition: number, keys: readonly number[], values: readonly number[], timeoutMs: number, done: (error: KafkaErrorCode) => void): void {
    const results: ProduceResult[] = [{ topic, partition, error: "NONE", baseOffset: -1 }];
    const pp = new PendingProduce(null, -1, results, done);
    this.appendToLeader(ctx, pp, 0, topic, partition, -1, -1, -1, -1, values, keys);
    this.settleProduce(ctx, pp, timeoutMs);
  }

  private settleProduce(ctx: BrokerCtx, pp: PendingProduce, timeoutMs: number): void {
    if (pp.remaining === 0) {
      pp.done = true;
      if (pp.callback !== null) pp.callback((pp.results[0] as ProduceResult).error);
      else if (pp.from !== null) ctx.send(pp.from, { type: "produce-response", corr: pp.corr, partitions: pp.results });
      return;
    }
    this.wheel.add(ctx, pp, msToUs(timeoutMs));
  }

  /** Partition.appendRecordsToLeader for one batch. Sets the result; registers a wait for acks=all. */
  private appendToLeader(
    ctx: BrokerCtx,
    pp: PendingProduce,
    index: number,
    topic: string,
    partition: number,
    acks: number,
    producerId: number,
    producerEpoch: number,
    baseSequence: number,
    values: readonly number[],
    keys: readonly number[],
  ): void {
    const r = pp.results[index] as ProduceResult;
    const p = this.lookup(topic, partition);
    // A fenced leader (its AlterPartition was rejected as stale) appends like a Kafka zombie until a
    // leader-and-isr tells it otherwise (Partition.appendRecordsToLeader: only isLeader and the ISR size count).
    if (p === undefined || !p.isLeader) {
      r.error = p === undefined && !this.metadata.has(tpKey(topic, partition)) ? "UNKNOWN_TOPIC_OR_PARTITION" : "NOT_LEADER_OR_FOLLOWER";
      return;
    }
    if (acks === -1 && p.isr.length < p.effectiveMinIsr()) {
      r.error = "NOT_ENOUGH_REPLICAS";
      return;
    }
    const n = values.length;
    let base: number;
    const idempotent = producerId >= 0 && baseSequence >= 0;
    let duplicate = false;
    if (idempotent) {
      const check = p.producers.check(producerId, producerEpoch, baseSequence, n);
      if (check === "DUPLICATE") {
        duplicate = true;
        base = p.producers.duplicateOffset;
      } else if (check !== "NONE") {
        r.error = check;
        return;
      } else base = p.leo;
    } else base = p.leo;
    if (!duplicate) {
      const log = p.log;
      const epoch = p.leaderEpoch;
      const now = ctx.nowUs;
      log.appendBatch(epoch, values, keys, idempotent ? producerId : -1, idempotent ? baseSequence : -1, now, idempotent ? producerEpoch : -1);
      if (idempotent) p.producers.update(producerId, producerEpoch, baseSequence, baseSequence + n - 1, base);
      ctx.emit({ type: "produce-append", tp: p.key, broker: this.brokerId, baseOffset: base, count: n, leaderEpoch: epoch });
      if (p.flushMessages !== null && log.unflushed >= p.flushMessages) {
        log.flush();
        p.lastFlushUs = now;
      }
      // New data: wake follower long polls; the HW may move (a lone leader).
      if (p.fetchWaiters.length > 0) this.wakeFetches(ctx, p, false);
      if (this.maybeIncrementHw(ctx, p)) this.onHwAdvanced(ctx, p);
    }
    r.baseOffset = base;
    if (acks !== -1 || this.spec.bugs.ackBeforeReplication) return;
    const required = base + n;
    if (p.hw >= required) {
      if (p.maximalIsr.length < p.effectiveMinIsr()) r.error = "NOT_ENOUGH_REPLICAS_AFTER_APPEND";
      return;
    }
    // Wait in the purgatory; baseOffset -2 marks "waiting" until completion.
    r.baseOffset = -2;
    pp.remaining++;
    if (p.produceWaiters.length > 256) p.produceWaiters = p.produceWaiters.filter((w) => !w.p.done); // timed out while the HW was stuck
    p.produceWaiters.push({ p: pp, index, requiredOffset: required, baseOffset: base });
  }

  // ---------------------------------------------------------------- fetch (leader side)

  private answerFetch(ctx: BrokerCtx, from: NodeId, req: FetchRequest, firstTime: boolean): void {
    const follower = req.replicaId >= 0;
    const now = ctx.nowUs;
    const parts = req.partitions;
    // First pass: record follower progress and see whether anything is to be returned now, so a caught-up
    // fetch is parked without building a response (the common case on the replication hot path).
    let respond = false;
    for (let i = 0; i < parts.length; i++) {
      const fp = parts[i] as FetchPartition;
      if (this.checkPartition(ctx, this.lookup(fp.topic, fp.partition), fp, follower, req.replicaId, firstTime, now)) respond = true;
    }
    if (!respond && firstTime && req.maxWaitMs > 0 && parts.length > 0) {
      // DelayedFetch: wait for data (followers) or for the HW to move (consumers), at most maxWaitMs.
      const pf = new ParkedFetch(from, req);
      this.wheel.add(ctx, pf, msToUs(req.maxWaitMs));
      for (let i = 0; i < parts.length; i++) {
        const fp = parts[i] as FetchPartition;
        const p = this.lookup(fp.topic, fp.partition);
        if (p === undefined) continue;
        if (p.fetchWaiters.length > 32) p.fetchWaiters = p.fetchWaiters.filter((w) => !w.done);
        p.fetchWaiters.push(pf);
      }
      return;
    }
    const out: FetchPartitionResponse[] = [];
    for (let i = 0; i < parts.length; i++) {
      const fp = parts[i] as FetchPartition;
      out.push(this.readPartition(this.lookup(fp.topic, fp.partition), fp, follower));
    }
    const resp: FetchResponse = { type: "fetch-response", corr: req.corr, partitions: out };
    ctx.send(from, resp);
  }

  private wakeFetches(ctx: BrokerCtx, p: Partition, hwMoved: boolean): void {
    const ws = p.fetchWaiters;
    let keep = 0;
    for (let i = 0; i < ws.length; i++) {
      const w = ws[i] as ParkedFetch;
      if (w.done) continue;
      const wake = w.isConsumer ? hwMoved || (this.spec.bugs.readAboveHighWatermark ?? false) : !hwMoved;
      if (wake) {
        w.done = true;
        this.answerFetch(ctx, w.from, w.req, false);
        continue;
      }
      ws[keep++] = w;
    }
    if (keep === 0) p.fetchWaiters = [];
    else if (keep !== ws.length) ws.length = keep;
  }

  /** Validate one fetched partition; on a valid follower fetch record its progress (Replica.updateFetchState,
   *  ISR expansion, HW). True when the response has something for it (records, an error, a divergence). */
  private checkPartition(ctx: BrokerCtx, p: Partition | undefined, fp: FetchPartition, follower: boolean, replicaId: number, firstTime: boolean, now: number): boolean {
    if (p === undefined || !p.isLeader) return true;
    if (fp.currentLeaderEpoch >= 0 && fp.currentLeaderEpoch !== p.leaderEpoch) return true;
    const leo = p.leo;
    if (follower && this.truncateOnFetch && fp.lastFetchedEpoch >= 0) {
      p.cache.endOffsetFor(fp.lastFetchedEpoch, leo);
      if (p.cache.resultEpoch !== fp.lastFetchedEpoch || p.cache.resultOffset < fp.fetchOffset) return true;
    }
    if (fp.fetchOffset > leo || fp.fetchOffset < p.log.startOffset) return true;
    if (follower && firstTime) {
      const i = p.followerIndex(replicaId);
      if (i >= 0) {
        p.updateFollower(i, fp.fetchOffset, now);
        this.maybeExpandIsr(ctx, p, replicaId, fp.fetchOffset);
        if (this.maybeIncrementHw(ctx, p)) this.onHwAdvanced(ctx, p);
      }
    }
    const upper = follower || this.spec.bugs.readAboveHighWatermark ? leo : p.hw;
    return fp.fetchOffset < upper;
  }

  /** The response for one partition (no state change). */
  private readPartition(p: Partition | undefined, fp: FetchPartition, follower: boolean): FetchPartitionResponse {
    if (p === undefined || !p.isLeader) {
      const error: KafkaErrorCode = p === undefined && !this.metadata.has(tpKey(fp.topic, fp.partition)) ? "UNKNOWN_TOPIC_OR_PARTITION" : "NOT_LEADER_OR_FOLLOWER";
      return { topic: fp.topic, partition: fp.partition, error, highWatermark: -1, logStartOffset: -1, records: null };
    }
    const hw = p.hw;
    const start = p.log.startOffset;
    // KIP-320: the fetcher's view of the leader epoch must match ours.
    if (fp.currentLeaderEpoch >= 0 && fp.currentLeaderEpoch !== p.leaderEpoch) {
      const error: KafkaErrorCode = fp.currentLeaderEpoch < p.leaderEpoch ? "FENCED_LEADER_EPOCH" : "UNKNOWN_LEADER_EPOCH";
      return { topic: fp.topic, partition: fp.partition, error, highWatermark: hw, logStartOffset: start, records: null };
    }
    const leo = p.leo;
    if (follower && this.truncateOnFetch && fp.lastFetchedEpoch >= 0) {
      // KAFKA-10554: the follower's last fetched epoch must end at or after its fetch offset on our log.
      p.cache.endOffsetFor(fp.lastFetchedEpoch, leo);
      if (p.cache.resultEpoch !== fp.lastFetchedEpoch || p.cache.resultOffset < fp.fetchOffset) {
        return { topic: fp.topic, partition: fp.partition, error: "NONE", highWatermark: hw, logStartOffset: start, records: null, divergingEpoch: { epoch: p.cache.resultEpoch, endOffset: p.cache.resultOffset } };
      }
    }
    if (fp.fetchOffset > leo || fp.fetchOffset < start) {
      return { topic: fp.topic, partition: fp.partition, error: "OFFSET_OUT_OF_RANGE", highWatermark: hw, logStartOffset: start, records: null };
    }
    const upper = follower || this.spec.bugs.readAboveHighWatermark ? leo : hw;
    const records = fp.fetchOffset < upper ? slice(p, fp.fetchOffset, Math.min(upper, fp.fetchOffset + MAX_FETCH_RECORDS)) : null;
    return { topic: fp.topic, partition: fp.partition, error: "NONE", highWatermark: hw, logStartOffset: start, records };
  }

  // ---------------------------------------------------------------- fetchers (follower side)

  private backoff(ctx: BrokerCtx, f: Fetcher): void {
    if (f.backoffTimer !== -1) return;
    f.backoffTimer = ctx.setTimer(Math.max(1, msToUs(this.spec.broker["replica.fetch.backoff.ms"])), f.backoffTag);
  }

  /** Send the fetcher's next request: offsets-for-leader-epoch for partitions still truncating, else a fetch. */
  private sendNext(ctx: BrokerCtx, f: Fetcher): void {
    if (f.inFlight || f.backoffTimer !== -1 || f.parts.length === 0) return;
    const now = ctx.nowUs;
    let delayed = false;
    const ofle: { topic: string; partition: number; currentLeaderEpoch: number; leaderEpoch: number }[] = [];
    for (const p of f.parts) {
      if (p.follow !== "truncating") continue;
      if (p.delayedUntilUs > now) delayed = true;
      else ofle.push({ topic: p.topic, partition: p.partition, currentLeaderEpoch: p.leaderEpoch, leaderEpoch: p.truncationEpoch });
    }
    const corr = this.nextCorr++;
    if (ofle.length > 0) {
      ctx.send(f.node, { type: "offsets-for-leader-epoch", corr, replicaId: this.brokerId, partitions: ofle });
    } else {
      const parts: FetchPartition[] = [];
      const withEpoch = versionAtLeast(this.protocol, "2.7"); // KIP-320 (Kafka 2.1): currentLeaderEpoch in follower fetches
      const lastFetched = this.truncateOnFetch && !this.spec.bugs.skipTruncation;
      for (const p of f.parts) {
        if (p.follow !== "fetching") continue;
        if (p.delayedUntilUs > now) {
          delayed = true;
          continue;
        }
        parts.push({ topic: p.topic, partition: p.partition, fetchOffset: p.leo, currentLeaderEpoch: withEpoch ? p.leaderEpoch : -1, lastFetchedEpoch: lastFetched ? p.cache.latestEpoch : -1 });
      }
      if (parts.length === 0) {
        if (delayed) this.backoff(ctx, f);
        return;
      }
      const req: FetchRequest = { type: "fetch", corr, replicaId: this.brokerId, brokerEpoch: this.hooks.brokerEpoch(), maxWaitMs: this.spec.broker["replica.fetch.wait.max.ms"], partitions: parts };
      ctx.send(f.node, req);
    }
    f.inFlight = true;
    f.corr = corr;
    f.sentAtUs = now;
    if (f.timeoutTimer === -1) f.timeoutTimer = ctx.setTimer(this.socketTimeoutUs, f.timeoutTag);
  }

  private fetcherFor(from: NodeId, corr: number): Fetcher | undefined {
    const b = brokerOfNode(from);
    if (b === undefined) return undefined;
    const f = this.fetchers.get(b);
    if (f === undefined || !f.inFlight || f.corr !== corr) return undefined;
    f.inFlight = false;
    f.corr = -1;
    return f;
  }

  private followedPartition(f: Fetcher, topic: string, partition: number): Partition | undefined {
    const p = this.lookup(topic, partition);
    if (p === undefined || p.role !== "follower" || p.leader !== f.leader) return undefined;
    return p;
  }

  private handleFetchResponse(ctx: BrokerCtx, from: NodeId, msg: FetchResponse): void {
    const f = this.fetcherFor(from, msg.corr);
    if (f === undefined) return;
    const backoffUs = msToUs(this.spec.broker["replica.fetch.backoff.ms"]);
    for (const r of msg.partitions) {
      const p = this.followedPartition(f, r.topic, r.partition);
      if (p === undefined || p.follow !== "fetching") continue;
      if (r.error !== "NONE") {
        if (r.error === "OFFSET_OUT_OF_RANGE" && r.highWatermark >= 0 && r.highWatermark < p.leo) {
          // The leader's log is shorter than ours (ReplicaFetcherThread.handleOffsetOutOfRange).
          this.truncate(ctx, p, r.highWatermark, "offset out of range on the leader");
          if (!this.spec.bugs.skipTruncation) continue;
        }
        p.delayedUntilUs = ctx.nowUs + backoffUs;
        continue;
      }
      if (r.divergingEpoch !== undefined) {
        this.truncateToDivergence(ctx, p, r.divergingEpoch.epoch, r.divergingEpoch.endOffset, "diverging epoch in fetch response (KAFKA-10554)");
        continue;
      }
      const rec = r.records;
      if (rec !== null && rec.baseOffset === p.leo) this.appendAsFollower(ctx, p, rec);
      const hw = Math.min(r.highWatermark, p.leo);
      if (hw !== p.hw) {
        p.hw = hw;
        ctx.emit({ type: "hw-advance", tp: p.key, broker: this.brokerId, highWatermark: hw });
      }
    }
    this.sendNext(ctx, f);
  }

  private appendAsFollower(ctx: BrokerCtx, p: Partition, rec: RecordSlice): void {
    const log = p.log;
    const cache = p.cache;
    let latest = cache.latestEpoch;
    const base = rec.baseOffset;
    // Epochs only grow along a log: a new one starts in this slice only if its last record has one.
    if (rec.count > 0 && (rec.epochs[rec.at + rec.count - 1] as number) > latest) {
      for (let i = 0, j = rec.at; i < rec.count; i++, j++) {
        const e = rec.epochs[j] as number;
        if (e > latest) {
          cache.assign(e, base + i);
          latest = e;
        }
      }
    }
    log.appendColumns(rec, rec.at, rec.count);
    if (p.flushMessages !== null && log.unflushed >= p.flushMessages) {
      log.flush();
      p.lastFlushUs = ctx.nowUs;
    }
  }

  /** Truncate to min(leader's end offset for the epoch, our end offset for it); if we do not know that epoch,
   *  the next round asks again with our latest one (the KIP-279 walk back). Returns true when done. */
  private truncateToDivergence(ctx: BrokerCtx, p: Partition, leaderEpoch: number, leaderEndOffset: number, reason: string): boolean {
    if (leaderEpoch === UNDEFINED_EPOCH) {
      this.truncate(ctx, p, p.log.startOffset, reason);
      return true;
    }
    p.cache.endOffsetFor(leaderEpoch, p.leo);
    const myEpoch = p.cache.resultEpoch;
    const myEnd = myEpoch === UNDEFINED_EPOCH ? p.log.startOffset : p.cache.resultOffset;
    this.truncate(ctx, p, Math.min(leaderEndOffset, myEnd), reason);
    return myEpoch === leaderEpoch || myEpoch === UNDEFINED_EPOCH;
  }

  // ---------------------------------------------------------------- offsets for leader epoch

  private handleOffsetsForLeaderEpoch(ctx: BrokerCtx, from: NodeId, msg: OffsetsForLeaderEpochRequest): void {
    const out: OffsetsForLeaderEpochResponse["partitions"][number][] = [];
    for (const q of msg.partitions) {
      const p = this.lookup(q.topic, q.partition);
      if (p === undefined || !p.isLeader) {
        out.push({ topic: q.topic, partition: q.partition, error: "NOT_LEADER_OR_FOLLOWER", leaderEpoch: -1, endOffset: -1 });
        continue;
      }
      if (q.currentLeaderEpoch >= 0 && q.currentLeaderEpoch !== p.leaderEpoch) {
        out.push({ topic: q.topic, partition: q.partition, error: q.currentLeaderEpoch < p.leaderEpoch ? "FENCED_LEADER_EPOCH" : "UNKNOWN_LEADER_EPOCH", leaderEpoch: -1, endOffset: -1 });
        continue;
      }
      if (this.protocol === "0.11") p.cache.endOffsetFor011(q.leaderEpoch, p.leo);
      else p.cache.endOffsetFor(q.leaderEpoch, p.leo);
      out.push({ topic: q.topic, partition: q.partition, error: "NONE", leaderEpoch: p.cache.resultEpoch, endOffset: p.cache.resultOffset });
    }
    ctx.send(from, { type: "offsets-for-leader-epoch-response", corr: msg.corr, partitions: out });
  }

  private handleOffsetsForLeaderEpochResponse(ctx: BrokerCtx, from: NodeId, msg: OffsetsForLeaderEpochResponse): void {
    const f = this.fetcherFor(from, msg.corr);
    if (f === undefined) return;
    const backoffUs = msToUs(this.spec.broker["replica.fetch.backoff.ms"]);
    for (const r of msg.partitions) {
      const p = this.followedPartition(f, r.topic, r.partition);
      if (p === undefined || p.follow !== "truncating") continue;
      if (r.error !== "NONE") {
        p.delayedUntilUs = ctx.nowUs + backoffUs;
        continue;
      }
      if (this.protocol === "0.11") {
        // KIP-101: truncate to the leader's end offset of our latest epoch; unknown → fall back to the HW.
        if (r.endOffset < 0) this.truncate(ctx, p, p.hw, "leader epoch unknown to the leader: truncate to high watermark (0.11)");
        else this.truncate(ctx, p, Math.min(r.endOffset, p.leo), "offsets-for-leader-epoch (KIP-101)");
        p.follow = "fetching";
      } else {
        // KIP-279: walk back epoch by epoch until both logs agree on an epoch.
        if (r.leaderEpoch === UNDEFINED_EPOCH) {
          this.truncate(ctx, p, p.hw, "no common leader epoch: truncate to high watermark");
          p.follow = "fetching";
        } else if (this.truncateToDivergence(ctx, p, r.leaderEpoch, r.endOffset, "offsets-for-leader-epoch (KIP-279)")) {
          p.follow = "fetching";
        } else {
          p.truncationEpoch = p.cache.latestEpoch;
          if (p.truncationEpoch === UNDEFINED_EPOCH) p.follow = "fetching";
        }
      }
    }
    this.sendNext(ctx, f);
  }

  // ---------------------------------------------------------------- list offsets, metadata

  private handleListOffsets(ctx: BrokerCtx, from: NodeId, msg: ListOffsetsRequest): void {
    const out: { topic: string; partition: number; error: KafkaErrorCode; offset: number; leaderEpoch: number }[] = [];
    for (const q of msg.partitions) {
      const p = this.lookup(q.topic, q.partition);
      if (p === undefined || !p.isLeader) {
        out.push({ topic: q.topic, partition: q.partition, error: "NOT_LEADER_OR_FOLLOWER", offset: -1, leaderEpoch: -1 });
      } else if (q.currentLeaderEpoch >= 0 && q.currentLeaderEpoch !== p.leaderEpoch) {
        out.push({ topic: q.topic, partition: q.partition, error: q.currentLeaderEpoch < p.leaderEpoch ? "FENCED_LEADER_EPOCH" : "UNKNOWN_LEADER_EPOCH", offset: -1, leaderEpoch: -1 });
      } else {
        // Consumers see the HW as the latest offset (isolation.level=read_uncommitted: the HW).
        const offset = q.timestamp === "earliest" ? p.log.startOffset : p.hw;
        out.push({ topic: q.topic, partition: q.partition, error: "NONE", offset, leaderEpoch: p.leaderEpoch });
      }
    }
    ctx.send(from, { type: "list-offsets-response", corr: msg.corr, partitions: out });
  }

  private handleMetadata(ctx: BrokerCtx, from: NodeId, msg: MetadataRequest): void {
    const parts: PartitionMetadata[] = [];
    for (const pm of this.metadata.values()) {
      if (msg.topics === null || msg.topics.includes(pm.topic)) parts.push(pm);
    }
    if (msg.topics !== null) {
      for (const t of msg.topics) {
        if (parts.some((x) => x.topic === t)) continue;
        parts.push({ topic: t, partition: -1, error: "UNKNOWN_TOPIC_OR_PARTITION", leader: null, leaderEpoch: -1, replicas: EMPTY, isr: EMPTY });
      }
    }
    ctx.send(from, { type: "metadata-response", corr: msg.corr, brokers: this.liveBrokers, controller: this.controllerId, partitions: parts });
  }

  /** The leader of a partition in the metadata cache when that broker is alive there, else null (what
   *  FindCoordinator answers for __consumer_offsets: KafkaApis.getCoordinator). */
  cachedLeaderOf(topic: string, partition: number): number | null {
    const pm = this.metadata.get(tpKey(topic, partition));
    return pm !== undefined && pm.error === "NONE" && pm.leader !== null && this.liveBrokers.includes(pm.leader) ? pm.leader : null;
  }
}

/** Records [from, to) for a response: a view of the log's columns (see RecordSlice; the log never overwrites it). */
function slice(p: Partition, from: number, to: number): RecordSlice {
  // Followers woken by the same append ask for the same range: share the (read-only) slice.
  const cached = p.sliceCache;
  if (cached !== null && cached.baseOffset === from && cached.count === to - from) return cached;
  const log = p.log;
  const made: RecordSlice = {
    baseOffset: from,
    count: to - from,
    at: from - log.startOffset,
    epochs: log.epoch,
    values: log.value,
    keys: log.key,
    producerIds: log.producerId,
    sequences: log.sequence,
    appendUs: log.appendUs,
    producerEpochs: log.producerEpoch,
  };
  p.sliceCache = made;
  return made;
}
