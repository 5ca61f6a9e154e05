// kafkajs's error classes (tulios/kafkajs 2.2.x src/errors.js), with the same names, `name`, `retriable` and `cause`
// shapes, so user code that checks `e instanceof KafkaJSError`, `e.name`, `e.retriable` or `e.type` behaves as with
// the real client; and the mapping from kafkasim's Kafka error codes to what kafkajs throws for them
// (src/protocol/error.js: createErrorFromCode; its `type` names are kafkajs's, e.g. NOT_LEADER_FOR_PARTITION for
// code 6). The table is checked against kafkajs's own in sim/client/kafkajs/errors.test.ts.
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import { kafkaErrorNumber } from "../../kafka/errors.ts";

type ErrorInput = string | { readonly message: string; readonly helpUrl?: string | undefined };

export class KafkaJSError extends Error {
  retriable: boolean;
  helpUrl: string | undefined;
  override cause: unknown;
  constructor(e: ErrorInput, { retriable = true, cause }: { readonly retriable?: boolean; readonly cause?: unknown } = {}) {
    super(typeof e === "string" ? e : e.message, { cause });
    this.message = typeof e === "string" ? e : e.message;
    this.name = "KafkaJSError";
    this.retriable = retriable;
    this.helpUrl = typeof e === "string" ? undefined : e.helpUrl;
    this.cause = cause;
  }
}

export class KafkaJSNonRetriableError extends KafkaJSError {
  constructor(e: ErrorInput, { cause }: { readonly cause?: unknown } = {}) {
    super(e, { retriable: false, cause });
    this.name = "KafkaJSNonRetriableError";
  }
}

/** A Kafka error code from a broker: `type` is kafkajs's name for it, `code` Kafka's number. */
export class KafkaJSProtocolError extends KafkaJSError {
  readonly type: string;
  readonly code: number;
  constructor(e: { readonly message: string; readonly type: string; readonly code: number; readonly retriable: boolean }, { retriable = e.retriable }: { readonly retriable?: boolean } = {}) {
    super(e, { retriable });
    this.type = e.type;
    this.code = e.code;
    this.name = "KafkaJSProtocolError";
  }
}

/** The retrier gave up: `cause` is the last error, `retryCount` and `retryTime` where it stopped. */
export class KafkaJSNumberOfRetriesExceeded extends KafkaJSNonRetriableError {
  readonly retryCount: number;
  readonly retryTime: number;
  constructor(e: Error, { retryCount, retryTime }: { readonly retryCount: number; readonly retryTime: number }) {
    super(e, { cause: e });
    this.stack = `${this.name}\n  Caused by: ${e.stack ?? String(e)}`;
    this.retryCount = retryCount;
    this.retryTime = retryTime;
    this.name = "KafkaJSNumberOfRetriesExceeded";
  }
}

export class KafkaJSConnectionError extends KafkaJSError {
  readonly broker: string | undefined;
  readonly code: string | undefined;
  constructor(e: ErrorInput, { broker, code }: { readonly broker?: string; readonly code?: string } = {}) {
    super(e);
    this.broker = broker;
    this.code = code;
    this.name = "KafkaJSConnectionError";
  }
}

export class KafkaJSRequestTimeoutError extends KafkaJSError {
  readonly broker: string | undefined;
  constructor(e: ErrorInput, { broker }: { readonly broker?: string } = {}) {
    super(e);
    this.broker = broker;
    this.name = "KafkaJSRequestTimeoutError";
  }
}

export class KafkaJSNotImplemented extends KafkaJSNonRetriableError {
  constructor(e: ErrorInput) {
    super(e);
    this.name = "KafkaJSNotImplemented";
  }
}

/** kafkajs's errorCodes entries for the codes kafkasim produces: [type, retriable, message]. */
const KAFKAJS_CODES: Readonly<Record<number, readonly [string, boolean, string]>> = {
  1: ["OFFSET_OUT_OF_RANGE", false, "The requested offset is not within the range of offsets maintained by the server"],
  2: ["CORRUPT_MESSAGE", true, "This message has failed its CRC checksum, exceeds the valid size, or is otherwise corrupt"],
  3: ["UNKNOWN_TOPIC_OR_PARTITION", true, "This server does not host this topic-partition"],
  5: ["LEADER_NOT_AVAILABLE", true, "There is no leader for this topic-partition as we are in the middle of a leadership election"],
  6: ["NOT_LEADER_FOR_PARTITION", true, "This server is not the leader for that topic-partition"],
  7: ["REQUEST_TIMED_OUT", true, "The request timed out"],
  8: ["BROKER_NOT_AVAILABLE", false, "The broker is not available"],
  10: ["MESSAGE_TOO_LARGE", false, "The request included a message larger than the max message size the server will accept"],
  11: ["STALE_CONTROLLER_EPOCH", false, "The controller moved to another broker"],
  13: ["NETWORK_EXCEPTION", true, "The server disconnected before a response was received"],
  14: ["GROUP_LOAD_IN_PROGRESS", true, "The coordinator is loading and hence can't process requests for this group"],
  15: ["GROUP_COORDINATOR_NOT_AVAILABLE", true, "The group coordinator is not available"],
  16: ["NOT_COORDINATOR_FOR_GROUP", true, "This is not the correct coordinator for this group"],
  17: ["INVALID_TOPIC_EXCEPTION", false, "The request attempted to perform an operation on an invalid topic"],
  19: ["NOT_ENOUGH_REPLICAS", true, "Messages are rejected since there are fewer in-sync replicas than required"],
  20: ["NOT_ENOUGH_REPLICAS_AFTER_APPEND", true, "Messages are written to the log, but to fewer in-sync replicas than required"],
  21: ["INVALID_REQUIRED_ACKS", false, "Produce request specified an invalid value for required acks"],
  22: ["ILLEGAL_GENERATION", false, "Specified group generation id is not valid"],
  23: ["INCONSISTENT_GROUP_PROTOCOL", false, "The group member's supported protocols are incompatible with those of existing members"],
  24: ["INVALID_GROUP_ID", false, "The configured groupId is invalid"],
  25: ["UNKNOWN_MEMBER_ID", false, "The coordinator is not aware of this member"],
  26: ["INVALID_SESSION_TIMEOUT", false, "The session timeout is not within the range allowed by the broker (as configured by group.min.session.timeout.ms and group.max.session.timeout.ms)"],
  27: ["REBALANCE_IN_PROGRESS", false, "The group is rebalancing, so a rejoin is needed"],
  36: ["TOPIC_ALREADY_EXISTS", false, "Topic with this name already exists"],
  38: ["INVALID_REPLICATION_FACTOR", false, "Replication-factor is invalid"],
  41: ["NOT_CONTROLLER", true, "This is not the correct controller for this cluster"],
  42: ["INVALID_REQUEST", false, "This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details"],
  45: ["OUT_OF_ORDER_SEQUENCE_NUMBER", false, "The broker received an out of order sequence number"],
  46: ["DUPLICATE_SEQUENCE_NUMBER", false, "The broker received a duplicate sequence number"],
  47: ["INVALID_PRODUCER_EPOCH", false, "Producer attempted an operation with an old epoch. Either there is a newer producer with the same transactionalId, or the producer's transaction has been expired by the broker"],
  48: ["INVALID_TXN_STATE", false, "The producer attempted a transactional operation in an invalid state"],
  49: ["INVALID_PRODUCER_ID_MAPPING", false, "The producer attempted to use a producer id which is not currently assigned to its transactional id"],
  50: ["INVALID_TRANSACTION_TIMEOUT", false, "The transaction timeout is larger than the maximum value allowed by the broker (as configured by max.transaction.timeout.ms)"],
  51: ["CONCURRENT_TRANSACTIONS", true, "The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing"],
  52: ["TRANSACTION_COORDINATOR_FENCED", false, "Indicates that the transaction coordinator sending a WriteTxnMarker is no longer the current coordinator for a given producer"],
  56: ["KAFKA_STORAGE_ERROR", true, "Disk error when trying to access log file on the disk"],
  59: ["UNKNOWN_PRODUCER_ID", false, "This exception is raised by the broker if it could not locate the producer metadata associated with the producerId in question. This could happen if, for instance, the producer's records were deleted because their retention time had elapsed. Once the last records of the producerId are removed, the producer's metadata is removed from the broker, and future appends by the producer will return this exception"],
  70: ["FETCH_SESSION_ID_NOT_FOUND", true, "The fetch session ID was not found"],
  71: ["INVALID_FETCH_SESSION_EPOCH", true, "The fetch session epoch is invalid"],
  74: ["FENCED_LEADER_EPOCH", true, "The leader epoch in the request is older than the epoch on the broker"],
  75: ["UNKNOWN_LEADER_EPOCH", true, "The leader epoch in the request is newer than the epoch on the broker"],
  77: ["STALE_BROKER_EPOCH", false, "Broker epoch has changed"],
  79: ["MEMBER_ID_REQUIRED", false, "The group member needs to have a valid member id before actually entering a consumer group"],
  88: ["UNSTABLE_OFFSET_COMMIT", true, "There are unstable offsets that need to be cleared"],
};

/** createErrorFromCode: a KafkaJSProtocolError for a Kafka error number (an unknown one as kafkajs does). */
export function createErrorFromCode(code: number): KafkaJSProtocolError {
  const e = KAFKAJS_CODES[code];
  if (e === undefined) return new KafkaJSProtocolError({ type: "KAFKAJS_UNKNOWN_ERROR_CODE", code: -99, retriable: false, message: `Unknown error code ${code}` });
  return new KafkaJSProtocolError({ type: e[0], retriable: e[1], message: e[2], code });
}

/** The error kafkajs raises for a kafkasim error code: a broker's code as a KafkaJSProtocolError; a lost
 *  connection as a KafkaJSConnectionError; a client-side timeout as a KafkaJSRequestTimeoutError. */
export function kafkaJSErrorOf(code: KafkaErrorCode, where = ""): KafkaJSError {
  switch (code) {
    case "NETWORK_EXCEPTION":
      return new KafkaJSConnectionError(`Connection error${where === "" ? "" : `: ${where}`}`, where === "" ? {} : { broker: where });
    case "DELIVERY_TIMEOUT":
    case "METADATA_TIMEOUT":
      return new KafkaJSRequestTimeoutError(`Request timed out (${code === "DELIVERY_TIMEOUT" ? "delivery.timeout.ms" : "max.block.ms"} of the modelled producer)`);
    default:
      return createErrorFromCode(kafkaErrorNumber(code));
  }
}

/** What a send() that failed for good rejects with: kafkajs's retrier wraps a retriable error whose retries ran
 *  out in KafkaJSNumberOfRetriesExceeded and a non-retriable one in KafkaJSNonRetriableError (src/retry/index.js). */
export function sendFailure(code: KafkaErrorCode, retries: number): KafkaJSError {
  const e = kafkaJSErrorOf(code);
  if (e.retriable) return new KafkaJSNumberOfRetriesExceeded(e, { retryCount: retries, retryTime: 0 });
  return new KafkaJSNonRetriableError(e, { cause: e });
}
