// The ZooKeeper controller's partition states as data (Kafka's ControllerContext and the PartitionStateMachine's
// decisions): the changes a live set calls for, AlterPartition's checks, the trace event each change announces, and
// the leader-and-isr and metadata views brokers are sent. Pure: the controller (controller.ts) writes and sends them.
import type { PartitionMetadata } from "../../kafka/protocol.ts";
import type { ControllerMessage, LeaderAndIsrPartition } from "../../kafka/protocol-cluster.ts";
import type { TraceEvent } from "../../events.ts";
import type { ClusterSpec } from "../spec.ts";
import { uncleanElectionEnabled } from "../spec.ts";
import { initialLeaderAndIsr, offlinePartitionLeaderElection, removeDeadFromIsr, sameMembers } from "./election.ts";

export type AlterPartitionRequest = Extract<ControllerMessage, { type: "alter-partition" }>;

export interface PartitionState {
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
  /** The state znode's version (zkVersion). */
  readonly partitionEpoch: number;
}

export interface PartitionInfo {
  readonly key: string;
  readonly topic: string;
  readonly partition: number;
  readonly replicas: readonly number[];
}

type UpdateKind = "init" | "elect-clean" | "elect-unclean" | "offline" | "shrink";

export interface Update {
  readonly info: PartitionInfo;
  readonly prev: PartitionState | undefined;
  readonly next: Omit<PartitionState, "partitionEpoch">;
  readonly kind: UpdateKind;
  readonly removed: readonly number[];
  /** An election's view: the replicas the controller held live when it elected (the evidence of a clean or unclean
   *  election: the oracle checks that an unclean one found no live in-sync replica). */
  readonly live?: readonly number[];
}

/** The partition-state changes of `infos` under the live set (PartitionStateMachine
 *  .triggerOnlinePartitionStateChange + ReplicaStateMachine OfflineReplica): new partitions created (once every
 *  replica is live, or the grace is over), offline ones given a leader or kept offline, dead replicas out of ISRs. */
export function partitionChanges(
  infos: readonly PartitionInfo[],
  states: ReadonlyMap<string, PartitionState>,
  isLive: (b: number) => boolean,
  opts: { readonly graceOver: boolean; readonly spec: ClusterSpec },
): Update[] {
  const out: Update[] = [];
  for (const info of infos) {
    const prev = states.get(info.key);
    if (prev === undefined) {
      // NewPartition → OnlinePartition. Wait (within the grace) until every replica is live.
      const allLive = info.replicas.every(isLive);
      if (!allLive && !opts.graceOver) continue;
      const init = initialLeaderAndIsr(info.replicas, isLive);
      if (init !== null) out.push({ info, prev, next: init, kind: "init", removed: [] });
      continue;
    }
    if (prev.leader < 0 || !isLive(prev.leader)) {
      // OfflinePartition → OnlinePartition (or stays offline).
      const rules = { uncleanEnabled: uncleanElectionEnabled(opts.spec, info.topic), electOutOfSync: opts.spec.bugs.electOutOfSync === true };
      const e = offlinePartitionLeaderElection(info.replicas, prev.isr, isLive, rules);
      if (e.kind !== "none") {
        out.push({ info, prev, next: { leader: e.leader, leaderEpoch: prev.leaderEpoch + 1, isr: e.isr }, kind: e.kind === "clean" ? "elect-clean" : "elect-unclean", removed: prev.isr.filter((r) => !e.isr.includes(r)), live: info.replicas.filter(isLive) });
      } else {
        const isr = removeDeadFromIsr(prev.isr, isLive);
        if (prev.leader >= 0 || !sameMembers(isr, prev.isr)) {
          out.push({ info, prev, next: { leader: -1, leaderEpoch: prev.leaderEpoch + 1, isr }, kind: "offline", removed: prev.isr.filter((r) => !isr.includes(r)) });
        }
      }
      continue;
    }
    // Leader alive: dead replicas leave the ISR (the leader is live, so it never empties).
    const isr = removeDeadFromIsr(prev.isr, isLive);
    if (!sameMembers(isr, prev.isr)) {
      out.push({ info, prev, next: { leader: prev.leader, leaderEpoch: prev.leaderEpoch + 1, isr }, kind: "shrink", removed: prev.isr.filter((r) => !isr.includes(r)) });
    }
  }
  return out;
}

/** The trace event of a partition-state change (announced by the coordinator when ZooKeeper applies it). */
export function updateEvent(u: Update): TraceEvent | null {
  const tp = u.info.key;
  switch (u.kind) {
    case "init":
    case "elect-clean":
    case "elect-unclean":
      return { type: "leader-elected", tp, leader: u.next.leader, leaderEpoch: u.next.leaderEpoch, isr: u.next.isr, unclean: u.kind === "elect-unclean", isrBefore: u.prev?.isr ?? [], live: u.live ?? u.next.isr };
    case "offline":
      return u.prev !== undefined && u.prev.leader >= 0 ? { type: "partition-offline", tp, leaderEpoch: u.next.leaderEpoch } : null;
    case "shrink":
      return { type: "isr-shrink", tp, leader: u.next.leader, isr: u.next.isr, removed: u.removed, by: "controller" };
  }
}

/** What an AlterPartition request gets: an error answer; the current state when the partition already has the
 *  requested ISR (a retry whose answer was lost); or the write of the new ISR over `cur`. */
export type AlterPartitionCheck =
  | { readonly kind: "reject"; readonly error: string }
  | { readonly kind: "unchanged" }
  | { readonly kind: "write"; readonly cur: PartitionState };

/** KafkaController.processAlterPartition's checks, in its order. `live`: the live brokers and their epochs. */
export function checkAlterPartition(req: AlterPartitionRequest, info: PartitionInfo | undefined, cur: PartitionState | undefined, live: ReadonlyMap<number, number>): AlterPartitionCheck {
  const reject = (error: string): AlterPartitionCheck => ({ kind: "reject", error });
  // The requester's broker epoch must be the one its live registration has (a zombie's is stale).
  if (live.get(req.brokerId) !== req.brokerEpoch) return reject("STALE_BROKER_EPOCH");
  if (info === undefined || cur === undefined) return reject("UNKNOWN_TOPIC_OR_PARTITION");
  // A newer epoch than ours: this controller is probably deposed; let the leader find the new one.
  if (req.partitionEpoch > cur.partitionEpoch || req.leaderEpoch > cur.leaderEpoch) return reject("NOT_CONTROLLER");
  if (req.leaderEpoch < cur.leaderEpoch) return reject("FENCED_LEADER_EPOCH");
  if (cur.leader !== req.brokerId) return reject("NOT_LEADER_OR_FOLLOWER");
  // Already in the requested state (a retry whose answer was lost): answer with it.
  if (sameMembers(req.newIsr, cur.isr)) return { kind: "unchanged" };
  if (req.partitionEpoch < cur.partitionEpoch) return reject("INVALID_UPDATE_VERSION");
  if (!req.newIsr.includes(req.brokerId)) return reject("INVALID_REQUEST");
  // KAFKA-7128 / KIP-841: only live replicas of the partition may be in the ISR.
  if (req.newIsr.some((r) => !info.replicas.includes(r) || !live.has(r))) return reject("INELIGIBLE_REPLICA");
  return { kind: "write", cur };
}

/** The leader-and-isr entries of `keys` that `broker` replicates and that have a state. */
export function leaderAndIsrOf(partitions: ReadonlyMap<string, PartitionInfo>, states: ReadonlyMap<string, PartitionState>, broker: number, keys: readonly string[]): LeaderAndIsrPartition[] {
  const parts: LeaderAndIsrPartition[] = [];
  for (const k of keys) {
    const pi = partitions.get(k);
    const st = states.get(k);
    if (pi !== undefined && st !== undefined && pi.replicas.includes(broker)) {
      parts.push({ topic: pi.topic, partition: pi.partition, leader: st.leader, leaderEpoch: st.leaderEpoch, isr: st.isr, partitionEpoch: st.partitionEpoch, replicas: pi.replicas });
    }
  }
  return parts;
}

/** Metadata of every partition as the controller knows it. */
export function metadataOf(partitions: ReadonlyMap<string, PartitionInfo>, states: ReadonlyMap<string, PartitionState>): PartitionMetadata[] {
  const out: PartitionMetadata[] = [];
  for (const pi of partitions.values()) {
    const st = states.get(pi.key);
    if (st === undefined || st.leader < 0) {
      out.push({ topic: pi.topic, partition: pi.partition, error: "LEADER_NOT_AVAILABLE", leader: null, leaderEpoch: st?.leaderEpoch ?? -1, replicas: pi.replicas, isr: st?.isr ?? [] });
    } else {
      out.push({ topic: pi.topic, partition: pi.partition, error: "NONE", leader: st.leader, leaderEpoch: st.leaderEpoch, replicas: pi.replicas, isr: st.isr });
    }
  }
  return out;
}
