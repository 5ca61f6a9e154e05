// Kafka protocol errors as data, keyed by Kafka's own names (clients/.../common/protocol/Errors.java): one
// table with each error's number and whether a producer retries it (fact 17; the RetriableException
// subclasses in clients/.../common/errors). DELIVERY_TIMEOUT and METADATA_TIMEOUT are client-side outcomes (a
// TimeoutException in the Java client): a batch past delivery.timeout.ms, a record whose topic had no metadata
// within max.block.ms (KafkaProducer.waitOnMetadata).

const ERRORS = {
  NONE: { code: 0, retriable: false },
  NOT_LEADER_OR_FOLLOWER: { code: 6, retriable: true },
  NOT_ENOUGH_REPLICAS: { code: 19, retriable: true },
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: { code: 20, retriable: true },
  REQUEST_TIMED_OUT: { code: 7, retriable: true },
  NETWORK_EXCEPTION: { code: 13, retriable: true },
  UNKNOWN_TOPIC_OR_PARTITION: { code: 3, retriable: true },
  LEADER_NOT_AVAILABLE: { code: 5, retriable: true },
  FENCED_LEADER_EPOCH: { code: 74, retriable: true },
  UNKNOWN_LEADER_EPOCH: { code: 75, retriable: true },
  KAFKA_STORAGE_ERROR: { code: 56, retriable: true },
  CORRUPT_MESSAGE: { code: 2, retriable: true },
  NOT_COORDINATOR: { code: 16, retriable: true },
  COORDINATOR_NOT_AVAILABLE: { code: 15, retriable: true },
  COORDINATOR_LOAD_IN_PROGRESS: { code: 14, retriable: true },
  REBALANCE_IN_PROGRESS: { code: 27, retriable: true },
  ILLEGAL_GENERATION: { code: 22, retriable: false },
  UNKNOWN_MEMBER_ID: { code: 25, retriable: false },
  MEMBER_ID_REQUIRED: { code: 79, retriable: false },
  MESSAGE_TOO_LARGE: { code: 10, retriable: false },
  INVALID_REQUIRED_ACKS: { code: 21, retriable: false },
  INVALID_PRODUCER_EPOCH: { code: 47, retriable: false },
  PRODUCER_FENCED: { code: 90, retriable: false },
  OUT_OF_ORDER_SEQUENCE_NUMBER: { code: 45, retriable: false },
  DUPLICATE_SEQUENCE_NUMBER: { code: 46, retriable: false },
  UNKNOWN_PRODUCER_ID: { code: 59, retriable: false },
  OFFSET_OUT_OF_RANGE: { code: 1, retriable: false },
  // KIP-227 fetch sessions: the fetcher starts a new session with a full fetch (FetchSessionHandler.handleResponse).
  FETCH_SESSION_ID_NOT_FOUND: { code: 70, retriable: true },
  INVALID_FETCH_SESSION_EPOCH: { code: 71, retriable: true },
  INVALID_TOPIC_EXCEPTION: { code: 17, retriable: false },
  STALE_CONTROLLER_EPOCH: { code: 11, retriable: false },
  STALE_BROKER_EPOCH: { code: 77, retriable: false },
  INVALID_UPDATE_VERSION: { code: 95, retriable: false },
  INVALID_SESSION_TIMEOUT: { code: 26, retriable: false },
  INVALID_GROUP_ID: { code: 24, retriable: false },
  INCONSISTENT_GROUP_PROTOCOL: { code: 23, retriable: false },
  CONCURRENT_TRANSACTIONS: { code: 51, retriable: true },
  // KRaft: the quorum's and the controller's RPCs (Vote, Fetch, BrokerRegistration, BrokerHeartbeat, AlterPartition).
  BROKER_NOT_AVAILABLE: { code: 8, retriable: false },
  TOPIC_ALREADY_EXISTS: { code: 36, retriable: false },
  INVALID_REPLICATION_FACTOR: { code: 38, retriable: false },
  NOT_CONTROLLER: { code: 41, retriable: true },
  INVALID_REQUEST: { code: 42, retriable: false },
  DUPLICATE_BROKER_REGISTRATION: { code: 101, retriable: false },
  INELIGIBLE_REPLICA: { code: 107, retriable: false },
  NEW_LEADER_ELECTED: { code: 108, retriable: false },
  INVALID_TXN_STATE: { code: 48, retriable: false },
  INVALID_PRODUCER_ID_MAPPING: { code: 49, retriable: false },
  INVALID_TRANSACTION_TIMEOUT: { code: 50, retriable: false },
  TRANSACTION_COORDINATOR_FENCED: { code: 52, retriable: false },
  UNSTABLE_OFFSET_COMMIT: { code: 88, retriable: true },
  TRANSACTION_ABORTABLE: { code: 120, retriable: false },
  DELIVERY_TIMEOUT: { code: -1, retriable: false },
  METADATA_TIMEOUT: { code: -1, retriable: false },
} as const satisfies Record<string, { readonly code: number; readonly retriable: boolean }>;

export type KafkaErrorCode = keyof typeof ERRORS;

export const KAFKA_ERRORS = Object.keys(ERRORS) as readonly KafkaErrorCode[];

/** Errors a producer retries (fact 17). */
export function isRetriable(code: KafkaErrorCode): boolean {
  return ERRORS[code].retriable;
}

/** Kafka's numeric error code (Errors.java); -1 for client-side outcomes. */
export function kafkaErrorNumber(code: KafkaErrorCode): number {
  return ERRORS[code].code;
}

/** A coordinator's log append error as it answers its client: GroupMetadataManager.storeOffsets and
 *  TransactionStateManager.appendTransactionToLog map them alike — the client finds the coordinator again
 *  (NOT_COORDINATOR) or retries (COORDINATOR_NOT_AVAILABLE). */
export function coordinatorAppendError(error: KafkaErrorCode): KafkaErrorCode {
  switch (error) {
    case "NOT_ENOUGH_REPLICAS":
    case "NOT_ENOUGH_REPLICAS_AFTER_APPEND":
    case "REQUEST_TIMED_OUT":
    case "UNKNOWN_TOPIC_OR_PARTITION":
      return "COORDINATOR_NOT_AVAILABLE";
    case "NOT_LEADER_OR_FOLLOWER":
    case "KAFKA_STORAGE_ERROR":
      return "NOT_COORDINATOR";
    default:
      return error;
  }
}
