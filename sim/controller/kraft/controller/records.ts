// The metadata records of __cluster_metadata (metadata/src/main/resources/common/metadata/*.json) that the
// QuorumController writes and every controller and broker replays. Topics are named by their name (kafkasim never
// deletes and recreates a topic, so the name identifies it as Kafka's topic id does).

export const NO_LEADER = -1;
/** PartitionChangeRecord.leader when the leader does not change. */
export const NO_LEADER_CHANGE = -2;

export type LeaderRecoveryState = "RECOVERED" | "RECOVERING";

/** A partition's state (PartitionRegistration): epochs, leader, ISR, ELR (KIP-966), recovery state (KIP-704). */
export interface PartitionRegistration {
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  /** Eligible leader replicas: left the ISR while it was below min.insync.replicas, so still hold every
   *  committed record (KIP-966). Empty when ELR is off. */
  readonly elr: readonly number[];
  readonly lastKnownElr: readonly number[];
  readonly leader: number;
  readonly leaderRecoveryState: LeaderRecoveryState;
  /** Bumped by every leader change. */
  readonly leaderEpoch: number;
  /** Bumped by every change (AlterPartition compares it: INVALID_UPDATE_VERSION). */
  readonly partitionEpoch: number;
}

/** The fields a PartitionChangeRecord sets; null (or NO_LEADER_CHANGE) leaves a field unchanged. */
export interface PartitionChange {
  readonly leader: number;
  readonly isr: readonly number[] | null;
  readonly elr: readonly number[] | null;
  readonly lastKnownElr: readonly number[] | null;
  readonly leaderRecoveryState: LeaderRecoveryState | null;
}

export type MetadataRecord =
  | { readonly type: "FeatureLevelRecord"; readonly name: "eligible.leader.replicas.version"; readonly featureLevel: number }
  | {
      readonly type: "RegisterBrokerRecord";
      readonly brokerId: number;
      readonly incarnationId: string;
      readonly brokerEpoch: number;
      /** A new incarnation registers fenced; it is unfenced once caught up with this record. */
      readonly fenced: boolean;
      readonly inControlledShutdown: boolean;
    }
  | {
      readonly type: "BrokerRegistrationChangeRecord";
      readonly brokerId: number;
      readonly brokerEpoch: number;
      readonly fenced: "FENCE" | "UNFENCE" | "NONE";
      /** true: IN_CONTROLLED_SHUTDOWN; false: no change. */
      readonly inControlledShutdown: boolean;
    }
  /** The records of metadata versions before BrokerRegistrationChangeRecord (3.3): replayed, not written. */
  | { readonly type: "FenceBrokerRecord"; readonly id: number; readonly epoch: number }
  | { readonly type: "UnfenceBrokerRecord"; readonly id: number; readonly epoch: number }
  | { readonly type: "TopicRecord"; readonly name: string }
  /** A topic config (ConfigRecord of resource type TOPIC); value null deletes it. */
  | { readonly type: "ConfigRecord"; readonly resourceName: string; readonly name: "min.insync.replicas" | "unclean.leader.election.enable"; readonly value: string | null }
  | ({ readonly type: "PartitionRecord"; readonly topic: string; readonly partition: number } & PartitionRegistration)
  | ({ readonly type: "PartitionChangeRecord"; readonly topic: string; readonly partition: number } & PartitionChange)
  | { readonly type: "NoOpRecord" };

/** Apply a change (PartitionRegistration.merge): a leader change bumps the leader epoch; every change bumps the
 *  partition epoch. */
export function mergePartitionChange(p: PartitionRegistration, c: PartitionChange): PartitionRegistration {
  const leaderChanged = c.leader !== NO_LEADER_CHANGE;
  return {
    replicas: p.replicas,
    isr: c.isr ?? p.isr,
    elr: c.elr ?? p.elr,
    lastKnownElr: c.lastKnownElr ?? p.lastKnownElr,
    leader: leaderChanged ? c.leader : p.leader,
    leaderRecoveryState: c.leaderRecoveryState ?? p.leaderRecoveryState,
    leaderEpoch: leaderChanged ? p.leaderEpoch + 1 : p.leaderEpoch,
    partitionEpoch: p.partitionEpoch + 1,
  };
}

export function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
