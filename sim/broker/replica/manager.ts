// The broker's data plane (core/.../server/ReplicaManager.scala): routes messages and timers to its parts, each
// a file of functions over the shared ReplicaState (state.ts):
//   partition-state.ts  the entry point of partition state from the control plane (leader-and-isr today)
//   produce.ts          the produce path and its purgatory (acks, min ISR, idempotence)
//   leader-fetch.ts     fetches on the leader (consumers and followers), long polls, OffsetsForLeaderEpoch
//   fetcher.ts          the follower's fetchers and truncation
//   isr.ts              HW and ISR maintenance; ISR changes leave through the IsrChangePort (hooks)
//   recovery.ts         logs and HW checkpoint after a restart, periodic checkpoints and flushes
// and itself checks the controller's requests (controller epoch, KIP-380 broker epoch) and keeps the metadata
// cache (update-metadata) that answers clients' metadata requests.
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
//         back, inline, on every fetch); no offsets-for-leader-epoch round trip. KIP-497: ISR changes go to the
//         controller (AlterPartition); before, the leader writes the state znode itself (control/zk-isr-writer.ts).
//   3.7   KAFKA-15583: the leader does not advance the HW while the ISR is below min.insync.replicas.
import type { NodeId } from "../../core/ids.ts";
import { tpKey } from "../../core/ids.ts";
import { msToUs } from "../../core/time.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { Message, MetadataRequest, PartitionMetadata, ProduceRequest } from "../../kafka/protocol.ts";
import type { ControllerMessage } from "../../kafka/protocol-cluster.ts";
import type { BrokerCtx } from "../group/host.ts";
import type { Partition } from "./partition.ts";
import { DeadlineQueue, PendingProduce } from "./purgatory.ts";
import type { ParkedFetch } from "./purgatory.ts";
import { ReplicaState } from "./state.ts";
import type { ReplicaHooks, ReplicaSpec } from "./state.ts";
import { applyPartitionState } from "./partition-state.ts";
import type { PartitionStateUpdate } from "./partition-state.ts";
import { appendInternal, appendMarker, expireProduce, handleProduce } from "./produce.ts";
import type { InternalAppendProducer } from "./produce.ts";
import { answerFetch, answerParked, handleListOffsets, handleOffsetsForLeaderEpoch } from "./leader-fetch.ts";
import { FetcherTag, handleFetchResponse, handleOffsetsForLeaderEpochResponse, onFetcherDisconnect, onFetcherTimer, stopFollowing } from "./fetcher.ts";
import { checkIsrShrink } from "./isr.ts";
import { checkpointHw, flushDueLogs, recoverLogs } from "./recovery.ts";

export { HW_CHECKPOINT_BLOB, MAX_FETCH_RECORDS } from "./state.ts";
export type { IsrChangePort, ReplicaHooks, ReplicaSpec } from "./state.ts";
export type { PartitionStateUpdate } from "./partition-state.ts";
// The ISR change item and its answer are the control plane's types.
export type { IsrChangeRequest, IsrChangeResult as IsrChangeResponse } from "../control/control-plane.ts";

const TAG_ISR_CHECK = { timer: "isr-check" } as const;
const TAG_HW_CHECKPOINT = { timer: "hw-checkpoint" } as const;
const TAG_FLUSH = { timer: "log-flush" } as const;

const EMPTY: readonly number[] = [];

type ControllerRequest = Extract<ControllerMessage, { type: "leader-and-isr" | "update-metadata" | "stop-replica" }>;

export class ReplicaManager {
  private readonly rs: ReplicaState;

  constructor(brokerId: number, spec: ReplicaSpec, hooks: ReplicaHooks) {
    this.rs = new ReplicaState(brokerId, spec, hooks);
  }

  get brokerId(): number {
    return this.rs.brokerId;
  }
  /** Every replica this broker holds, by "topic-p". */
  get partitions(): ReadonlyMap<string, Partition> {
    return this.rs.partitions;
  }
  /** The live brokers of the metadata cache (the last update-metadata applied). */
  get liveBrokers(): readonly number[] {
    return this.rs.liveBrokers;
  }

  // ---------------------------------------------------------------- lifecycle

  /** Boot or restart: reload every log, epoch cache and the HW checkpoint; every replica starts as neither
   *  leader nor follower and waits for leader-and-isr (it is outside the ISR until the leader re-admits it). */
  onStart(ctx: BrokerCtx): void {
    recoverLogs(this.rs, ctx);
    const b = this.rs.spec.broker;
    ctx.setTimer(Math.max(1, Math.floor(this.rs.lagUs / 2)), TAG_ISR_CHECK);
    ctx.setTimer(msToUs(b["replica.high.watermark.checkpoint.interval.ms"]), TAG_HW_CHECKPOINT);
    // LogManager schedules "kafka-log-flusher" every log.flush.scheduler.interval.ms (default Long.MAX_VALUE: never).
    const flushEvery = b["log.flush.scheduler.interval.ms"];
    if (flushEvery !== null) ctx.setTimer(Math.max(1, msToUs(flushEvery)), TAG_FLUSH);
  }

  /** Clean shutdown: checkpoint the HW (the runtime then flushes the disk). */
  onShutdown(ctx: BrokerCtx): void {
    checkpointHw(this.rs, ctx);
  }

  onTimer(ctx: BrokerCtx, tag: unknown): boolean {
    const rs = this.rs;
    if (tag instanceof FetcherTag) {
      onFetcherTimer(rs, ctx, tag);
      return true;
    }
    if (tag instanceof DeadlineQueue) {
      const items = rs.wheel.take(ctx, tag);
      for (let i = 0; i < items.length; i++) {
        const it = items[i] as PendingProduce | ParkedFetch;
        if (it.done) continue;
        if (it instanceof PendingProduce) expireProduce(ctx, it);
        else {
          it.done = true;
          answerParked(rs, ctx, it);
        }
      }
      return true;
    }
    if (tag === TAG_ISR_CHECK) {
      checkIsrShrink(rs, ctx);
      ctx.setTimer(Math.max(1, Math.floor(rs.lagUs / 2)), TAG_ISR_CHECK);
      return true;
    }
    if (tag === TAG_HW_CHECKPOINT) {
      checkpointHw(rs, ctx);
      ctx.setTimer(msToUs(rs.spec.broker["replica.high.watermark.checkpoint.interval.ms"]), TAG_HW_CHECKPOINT);
      return true;
    }
    if (tag === TAG_FLUSH) {
      flushDueLogs(rs, ctx);
      ctx.setTimer(Math.max(1, msToUs(rs.spec.broker["log.flush.scheduler.interval.ms"] ?? 0)), TAG_FLUSH);
      return true;
    }
    return false;
  }

  onDisconnect(ctx: BrokerCtx, peer: NodeId): void {
    onFetcherDisconnect(this.rs, ctx, peer);
  }

  // ---------------------------------------------------------------- messages

  /** Returns true if the message belonged to the data plane. */
  onMessage(ctx: BrokerCtx, from: NodeId, msg: Message): boolean {
    const rs = this.rs;
    switch (msg.type) {
      case "produce":
        handleProduce(rs, ctx, from, msg);
        return true;
      case "fetch":
        answerFetch(rs, ctx, from, msg, true);
        return true;
      case "fetch-response":
        handleFetchResponse(rs, ctx, from, msg);
        return true;
      case "offsets-for-leader-epoch":
        handleOffsetsForLeaderEpoch(rs, ctx, from, msg);
        return true;
      case "offsets-for-leader-epoch-response":
        handleOffsetsForLeaderEpochResponse(rs, ctx, from, msg);
        return true;
      case "list-offsets":
        handleListOffsets(rs, ctx, from, msg);
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

  // ---------------------------------------------------------------- KRaft (sim/broker/kraft)

  /** A committed partition state from the metadata log (ReplicaManager.applyDelta), in partition-epoch order. */
  applyPartitionState(ctx: BrokerCtx, st: PartitionStateUpdate): KafkaErrorCode {
    return applyPartitionState(this.rs, ctx, { ...st, source: "metadata" });
  }

  /** The metadata cache from the broker's published metadata image (KRaftMetadataCache): the live (registered,
   *  unfenced) brokers and every partition, for Metadata and FindCoordinator answers. */
  setMetadataCache(liveBrokers: readonly number[], partitions: readonly PartitionMetadata[]): void {
    const rs = this.rs;
    rs.liveBrokers = liveBrokers;
    rs.metadata.clear();
    for (const pm of partitions) rs.metadata.set(tpKey(pm.topic, pm.partition), pm);
  }

  /** Internal acks=all append (group coordinator offsets, the transaction log; a transaction's offsets with its producer). */
  appendInternal(ctx: BrokerCtx, topic: string, partition: number, keys: readonly number[], values: readonly number[], timeoutMs: number, done: (error: KafkaErrorCode) => void, producer?: InternalAppendProducer): void {
    appendInternal(this.rs, ctx, topic, partition, keys, values, timeoutMs, done, producer);
  }

  /** A transaction marker as the partition's leader (acks=all): sim/broker/txn's WriteTxnMarkers. */
  appendMarker(ctx: BrokerCtx, topic: string, partition: number, producerId: number, producerEpoch: number, controlType: number, coordinatorEpoch: number, timeoutMs: number, done: (error: KafkaErrorCode) => void): void {
    appendMarker(this.rs, ctx, topic, partition, producerId, producerEpoch, controlType, coordinatorEpoch, timeoutMs, done);
  }

  // ---------------------------------------------------------------- controller requests

  private handleController(ctx: BrokerCtx, from: NodeId, msg: ControllerRequest): void {
    const rs = this.rs;
    const stale = msg.controllerEpoch < rs.controllerEpoch;
    if (stale && msg.type === "leader-and-isr" && rs.spec.bugs.acceptStaleEpoch) {
      // Bug switch: a deposed controller's leader-and-isr is applied (its controller epoch is not checked, nor
      // is its leader epoch below). The broker keeps the newer controller as its controller.
      return this.handleLeaderAndIsr(ctx, from, msg);
    }
    if (stale) {
      ctx.emit({ type: "stale-request-rejected", broker: rs.brokerId, request: msg.type, reason: `controller epoch ${msg.controllerEpoch} < ${rs.controllerEpoch}` });
      if (msg.type === "leader-and-isr") ctx.send(from, { type: "leader-and-isr-response", corr: msg.corr, error: "STALE_CONTROLLER_EPOCH", partitions: [] });
      else if (msg.type === "update-metadata") ctx.send(from, { type: "update-metadata-response", corr: msg.corr, error: "STALE_CONTROLLER_EPOCH" });
      return;
    }
    rs.controllerEpoch = msg.controllerEpoch;
    rs.controllerId = msg.controllerId;
    rs.hooks.onControllerSeen?.(ctx, msg.controllerId, msg.controllerEpoch);
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
        rs.liveBrokers = msg.liveBrokers;
        for (const pm of msg.partitions) rs.metadata.set(tpKey(pm.topic, pm.partition), pm);
        ctx.send(from, { type: "update-metadata-response", corr: msg.corr, error: "NONE" });
        return;
      case "stop-replica":
        for (const tp of msg.partitions) {
          const p = rs.lookup(tp.topic, tp.partition);
          if (p !== undefined) stopFollowing(rs, p);
        }
        return;
    }
  }

  /** KIP-380: a control request carrying an older broker epoch than this broker's registration is stale. */
  private staleBrokerEpoch(ctx: BrokerCtx, brokerEpoch: number, request: string): boolean {
    const myEpoch = this.rs.hooks.brokerEpoch();
    if (!(brokerEpoch >= 0 && myEpoch >= 0 && brokerEpoch < myEpoch)) return false;
    ctx.emit({ type: "stale-request-rejected", broker: this.rs.brokerId, request, reason: `broker epoch ${brokerEpoch} < ${myEpoch}` });
    return true;
  }

  private handleLeaderAndIsr(ctx: BrokerCtx, from: NodeId, msg: Extract<ControllerMessage, { type: "leader-and-isr" }>): void {
    if (this.staleBrokerEpoch(ctx, msg.brokerEpoch, "leader-and-isr")) {
      ctx.send(from, { type: "leader-and-isr-response", corr: msg.corr, error: "STALE_BROKER_EPOCH", partitions: [] });
      return;
    }
    const results: { topic: string; partition: number; error: string }[] = [];
    for (const st of msg.partitions) results.push({ topic: st.topic, partition: st.partition, error: applyPartitionState(this.rs, ctx, st) });
    ctx.send(from, { type: "leader-and-isr-response", corr: msg.corr, error: "NONE", partitions: results });
  }

  // ---------------------------------------------------------------- metadata

  private handleMetadata(ctx: BrokerCtx, from: NodeId, msg: MetadataRequest): void {
    const rs = this.rs;
    const parts: PartitionMetadata[] = [];
    for (const pm of rs.metadata.values()) {
      if (msg.topics === null || msg.topics.includes(pm.topic)) parts.push(pm);
    }
    if (msg.topics !== null) {
      for (const t of msg.topics) {
        if (parts.some((x) => x.topic === t)) continue;
        parts.push({ topic: t, partition: -1, error: "UNKNOWN_TOPIC_OR_PARTITION", leader: null, leaderEpoch: -1, replicas: EMPTY, isr: EMPTY });
      }
    }
    ctx.send(from, { type: "metadata-response", corr: msg.corr, brokers: rs.liveBrokers, controller: rs.controllerId, partitions: parts });
  }

  /** The produce path with KIP-890 part 1's refusals (sim/broker/txn/verification.ts: batch index → error). */
  handleProduce(ctx: BrokerCtx, from: NodeId, req: ProduceRequest, refused: ReadonlyMap<number, KafkaErrorCode>): void {
    handleProduce(this.rs, ctx, from, req, refused);
  }

  /** This broker leads the partition and the producer has no transaction open on it — under `producerEpoch` when
   *  it is not null (UnifiedLog.hasOngoingTransaction(producerId, producerEpoch), KIP-890 part 2: under
   *  transaction.version 2 a transaction of the previous epoch may await its marker still). KIP-890 verifies or adds. */
  needsTxnVerification(topic: string, partition: number, producerId: number, producerEpoch: number | null = null): boolean {
    const p = this.rs.lookup(topic, partition);
    if (p === undefined || !p.isLeader) return false;
    if (!p.txn.ongoing.has(producerId)) return true;
    return producerEpoch !== null && p.producers.epochOf(producerId) !== producerEpoch;
  }

  /** The leader of a partition in the metadata cache when that broker is alive there, else null (what
   *  FindCoordinator answers for __consumer_offsets: KafkaApis.getCoordinator). */
  cachedLeaderOf(topic: string, partition: number): number | null {
    const rs = this.rs;
    const pm = rs.metadata.get(tpKey(topic, partition));
    return pm !== undefined && pm.error === "NONE" && pm.leader !== null && rs.liveBrokers.includes(pm.leader) ? pm.leader : null;
  }
}
