// The Kafka errors of the KRaft RPCs (Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch; BrokerRegistration,
// BrokerHeartbeat, AlterPartition, CreateTopics): members of the one error table, sim/kafka/errors.ts
// (clients/.../common/protocol/Errors.java names and numbers).
import type { KafkaErrorCode } from "../../kafka/errors.ts";

export type KRaftErrorCode = Extract<
  KafkaErrorCode,
  | "NONE"
  | "UNKNOWN_TOPIC_OR_PARTITION"
  | "NOT_LEADER_OR_FOLLOWER"
  | "BROKER_NOT_AVAILABLE"
  | "TOPIC_ALREADY_EXISTS"
  | "INVALID_REPLICATION_FACTOR"
  | "NOT_CONTROLLER"
  | "INVALID_REQUEST"
  | "FENCED_LEADER_EPOCH"
  | "UNKNOWN_LEADER_EPOCH"
  | "STALE_BROKER_EPOCH"
  | "INVALID_UPDATE_VERSION"
  | "DUPLICATE_BROKER_REGISTRATION"
  | "INELIGIBLE_REPLICA"
  | "NEW_LEADER_ELECTED"
>;

/** Errors a Raft RPC answers with (KafkaRaftClient). */
export type RaftErrorCode = Extract<KRaftErrorCode, "NONE" | "FENCED_LEADER_EPOCH" | "UNKNOWN_LEADER_EPOCH" | "NOT_LEADER_OR_FOLLOWER" | "BROKER_NOT_AVAILABLE" | "INVALID_REQUEST">;

