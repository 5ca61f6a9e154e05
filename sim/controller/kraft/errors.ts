// The Kafka errors of the KRaft RPCs (Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch; BrokerRegistration,
// BrokerHeartbeat, AlterPartition, CreateTopics), named and numbered as in
// clients/.../common/protocol/Errors.java. Kept here until the integration merges them into sim/kafka/errors.ts.

const KRAFT_ERRORS = {
  NONE: 0,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  NOT_LEADER_OR_FOLLOWER: 6,
  BROKER_NOT_AVAILABLE: 8,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_REPLICATION_FACTOR: 38,
  NOT_CONTROLLER: 41,
  INVALID_REQUEST: 42,
  FENCED_LEADER_EPOCH: 74,
  UNKNOWN_LEADER_EPOCH: 75,
  STALE_BROKER_EPOCH: 77,
  INVALID_UPDATE_VERSION: 95,
  DUPLICATE_BROKER_REGISTRATION: 101,
  INELIGIBLE_REPLICA: 107,
  NEW_LEADER_ELECTED: 108,
} as const;

export type KRaftErrorCode = keyof typeof KRAFT_ERRORS;

/** Errors a Raft RPC answers with (KafkaRaftClient). */
export type RaftErrorCode = Extract<KRaftErrorCode, "NONE" | "FENCED_LEADER_EPOCH" | "UNKNOWN_LEADER_EPOCH" | "NOT_LEADER_OR_FOLLOWER" | "BROKER_NOT_AVAILABLE" | "INVALID_REQUEST">;

export function kraftErrorNumber(code: KRaftErrorCode): number {
  return KRAFT_ERRORS[code];
}
