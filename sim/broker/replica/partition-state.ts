// The one entry point through which partition state arrives from the control plane
// (ReplicaManager.becomeLeaderOrFollower / applyDelta, Partition.makeLeader / makeFollower): the ZooKeeper-era
// controller's leader-and-isr (manager.ts checks the request's controller and broker epochs, then applies each
// partition here), and in KRaft mode each committed partition change a broker's metadata publisher applies
// (sim/broker/kraft): those are ordered by partition epoch, so a change of the ISR alone reaches the replicas too.
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { BrokerCtx } from "../group/host.ts";
import type { Partition } from "./partition.ts";
import type { ReplicaState } from "./state.ts";
import { UNDEFINED_EPOCH } from "./epoch-cache.ts";
import { startFollowing, stopFollowing, truncate } from "./fetcher.ts";
import { maybeIncrementHw, onHwAdvanced } from "./isr.ts";
import { failProduceWaiters } from "./produce.ts";

/** One partition's state as the control plane decided it. */
export interface PartitionStateUpdate {
  readonly topic: string;
  readonly partition: number;
  /** The leader's broker id, -1 when the partition is offline. */
  readonly leader: number;
  readonly leaderEpoch: number;
  /** The version of the partition's state (the state znode's version; KRaft's partition epoch). */
  readonly partitionEpoch: number;
  readonly isr: readonly number[];
  readonly replicas: readonly number[];
  /** "metadata" (KRaft): applied unless its partition epoch is older than the replica's; a newer leader epoch makes
   *  the replica leader or follower, the same leader epoch only updates the ISR (Partition.makeLeader/makeFollower
   *  from ReplicaManager.applyDelta). Absent: leader-and-isr's rule (a strictly newer leader epoch). */
  readonly source?: "metadata";
}

/** Apply a partition state: become its leader or a follower of its leader. Only a strictly newer leader epoch
 *  is applied (fact 26). Returns the partition's error as leader-and-isr reports it. */
export function applyPartitionState(rs: ReplicaState, ctx: BrokerCtx, st: PartitionStateUpdate): KafkaErrorCode {
  if (!st.replicas.includes(rs.brokerId)) return "UNKNOWN_TOPIC_OR_PARTITION"; // not assigned here
  const p = rs.getPartition(ctx, st.topic, st.partition);
  p.touchQuiet();
  if (st.source === "metadata") return applyMetadataState(rs, ctx, p, st);
  // RM.becomeLeaderOrFollower: only a strictly newer leader epoch is applied (fact 26).
  if (st.leaderEpoch <= p.leaderEpoch && !(rs.spec.bugs.acceptStaleEpoch && st.leaderEpoch < p.leaderEpoch)) {
    ctx.emit({ type: "stale-request-rejected", broker: rs.brokerId, request: `leader-and-isr ${p.key}`, reason: `leader epoch ${st.leaderEpoch} <= ${p.leaderEpoch}` });
    return "STALE_CONTROLLER_EPOCH";
  }
  if (st.leader === rs.brokerId) makeLeader(rs, ctx, p, st);
  else makeFollower(rs, ctx, p, st);
  return "NONE";
}

/** KRaft: a committed partition state, in partition-epoch order. A state older than the replica's (it may have
 *  learned a newer partition epoch from its own AlterPartition's answer) is skipped; a newer leader epoch is a
 *  leadership change; the same leader epoch with a newer partition epoch changes the ISR in place, superseding the
 *  leader's pending ISR change (Partition.makeLeader: updateAssignmentAndIsr replaces the in-flight state). */
function applyMetadataState(rs: ReplicaState, ctx: BrokerCtx, p: Partition, st: PartitionStateUpdate): KafkaErrorCode {
  if (st.partitionEpoch < p.partitionEpoch || st.leaderEpoch < p.leaderEpoch) return "NONE";
  if (st.leaderEpoch > p.leaderEpoch) {
    if (st.leader === rs.brokerId) makeLeader(rs, ctx, p, st);
    else makeFollower(rs, ctx, p, st);
    return "NONE";
  }
  if (st.partitionEpoch === p.partitionEpoch) return "NONE";
  p.partitionEpoch = st.partitionEpoch;
  p.isr = st.isr;
  if (p.isLeader) {
    if (p.pendingIsr !== null) rs.hooks.cancelIsrChange?.(ctx, p.topic, p.partition);
    p.pendingIsr = null;
    p.fenced = false;
    if (maybeIncrementHw(rs, ctx, p) || p.produceWaiters.length > 0) onHwAdvanced(rs, ctx, p);
  }
  return "NONE";
}

function setState(p: Partition, st: PartitionStateUpdate): void {
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
function makeLeader(rs: ReplicaState, ctx: BrokerCtx, p: Partition, st: PartitionStateUpdate): void {
  const wasLeader = p.isLeader;
  const epochBumped = wasLeader && st.leaderEpoch > p.leaderEpoch;
  stopFollowing(rs, p);
  setState(p, st);
  p.role = "leader";
  p.cache.assign(st.leaderEpoch, p.leo);
  p.epochStartOffset = p.leo;
  p.resetFollowers(rs.brokerId, ctx.nowUs, !wasLeader);
  // ProducerState.rebuild(log), without rescanning what the log state already covers.
  p.logState.applyRange(p.log, p.logStateUpTo, p.log.length);
  p.logStateUpTo = p.log.length;
  p.producers = p.logState.clone();
  p.txn.apply(p.log, p.txn.upTo, p.log.length);
  ctx.emit({ type: "become-leader", tp: p.key, broker: rs.brokerId, leaderEpoch: st.leaderEpoch, logEndOffset: p.leo });
  if (maybeIncrementHw(rs, ctx, p)) onHwAdvanced(rs, ctx, p);
  if (!wasLeader) rs.hooks.onLeadershipChange?.(ctx, p.topic, p.partition, true);
  else if (epochBumped) rs.hooks.onLeaderEpochBump?.(ctx, p.topic, p.partition);
}

/** Partition.makeFollower + the truncation of the protocol version in force. */
function makeFollower(rs: ReplicaState, ctx: BrokerCtx, p: Partition, st: PartitionStateUpdate): void {
  const wasLeader = p.isLeader;
  stopFollowing(rs, p);
  if (wasLeader) resign(rs, ctx, p);
  setState(p, st);
  p.role = "follower";
  ctx.emit({ type: "become-follower", tp: p.key, broker: rs.brokerId, leader: st.leader, leaderEpoch: st.leaderEpoch });
  if (wasLeader) rs.hooks.onLeadershipChange?.(ctx, p.topic, p.partition, false);
  if (st.leader < 0) return;
  p.delayedUntilUs = 0;
  if (!rs.usesEpochs) {
    // 0.10: truncate to the own HW, then fetch (the data loss KIP-101 fixed).
    truncate(rs, ctx, p, p.hw, "become-follower: truncate to high watermark (0.10)");
    p.follow = "fetching";
  } else if (rs.truncateOnFetch) {
    p.follow = "fetching"; // 2.7+: lastFetchedEpoch in the fetch, the leader answers divergingEpoch
  } else {
    p.truncationEpoch = p.cache.latestEpoch;
    if (p.truncationEpoch === UNDEFINED_EPOCH) {
      truncate(rs, ctx, p, p.hw, "no leader epoch known: truncate to high watermark");
      p.follow = "fetching";
    } else p.follow = "truncating";
  }
  startFollowing(rs, ctx, p);
}

/** Losing leadership: a pending ISR change is dropped, every waiting acks=all request completes with
 *  NOT_LEADER_OR_FOLLOWER. */
function resign(rs: ReplicaState, ctx: BrokerCtx, p: Partition): void {
  if (p.pendingIsr !== null) rs.hooks.cancelIsrChange?.(ctx, p.topic, p.partition);
  failProduceWaiters(ctx, p);
}
