// Transaction messages (KIP-98, KIP-447): a transactional producer ↔ its transaction coordinator (the broker leading
// the transactional.id's __transaction_state partition): AddPartitionsToTxn, AddOffsetsToTxn, EndTxn; the producer ↔
// the group coordinator: TxnOffsetCommit; and coordinator → partition leaders: WriteTxnMarkers. FindCoordinator
// (key type transaction) and InitProducerId (with a transactional.id) are the group messages' own types
// (protocol-group.ts). Every type starts with "txn.".
import type { KafkaErrorCode } from "./errors.ts";
import type { TopicPartitionRef } from "./protocol-group.ts";

/** What a transactional request's version lets the broker do (AddPartitionsToTxnManager.TransactionSupportedOperation,
 *  from the request's version: Produce v12+ / TxnOffsetCommit v5+ "add-partition", a client of transaction.version 2
 *  (KIP-890 part 2: the broker adds the partition to the transaction); Produce v11 / TxnOffsetCommit v4 (3.8+)
 *  "generic-error" (the client knows TRANSACTION_ABORTABLE); older: absent, the default (verification refusals are
 *  INVALID_TXN_STATE). */
export type TxnSupportedOperation = "generic-error" | "add-partition";

export interface AddPartitionsToTxnRequest {
  readonly type: "txn.add-partitions";
  readonly corr: number;
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly partitions: readonly TopicPartitionRef[];
}
export interface AddPartitionsToTxnResponse {
  readonly type: "txn.add-partitions-response";
  readonly corr: number;
  /** One error per partition (a request-level error is given to every partition). */
  readonly results: readonly { readonly topic: string; readonly partition: number; readonly error: KafkaErrorCode }[];
}

/** Adds the group's __consumer_offsets partition to the transaction (before TxnOffsetCommit). */
export interface AddOffsetsToTxnRequest {
  readonly type: "txn.add-offsets";
  readonly corr: number;
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly groupId: string;
}
export interface AddOffsetsToTxnResponse {
  readonly type: "txn.add-offsets-response";
  readonly corr: number;
  readonly error: KafkaErrorCode;
}

export interface EndTxnRequest {
  readonly type: "txn.end";
  readonly corr: number;
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  /** true: COMMIT, false: ABORT. */
  readonly commit: boolean;
  /** 2: EndTxn v5+, a client of transaction.version 2 (KafkaApis.handleEndTxnRequest: the version > 4 is TV_2). */
  readonly transactionVersion?: number;
}
export interface EndTxnResponse {
  readonly type: "txn.end-response";
  readonly corr: number;
  readonly error: KafkaErrorCode;
  /** EndTxn v5+ (transaction.version 2): the producer id and the epoch bumped by this EndTxn, which the producer
   *  takes for its next transaction (KIP-890 part 2). */
  readonly producerId?: number;
  readonly producerEpoch?: number;
}

/** The offsets a transaction commits, sent to the group coordinator (TxnOffsetCommit v3, KIP-447: with the member's
 *  generation, so a zombie member's commit is refused). */
export interface TxnOffsetCommitRequest {
  readonly type: "txn.offset-commit";
  readonly corr: number;
  readonly transactionalId: string;
  readonly groupId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  /** -1 and "" when the producer does not know the consumer's group metadata. */
  readonly generation: number;
  readonly memberId: string;
  readonly offsets: readonly { readonly topic: string; readonly partition: number; readonly offset: number }[];
  /** "add-partition" (v5, a client of transaction.version 2): the group coordinator adds the group's
   *  __consumer_offsets partition to the transaction itself; the client sent no AddOffsetsToTxn. */
  readonly transactionSupport?: TxnSupportedOperation;
}
export interface TxnOffsetCommitResponse {
  readonly type: "txn.offset-commit-response";
  readonly corr: number;
  readonly error: KafkaErrorCode;
}

export interface TxnMarkerEntry {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly commit: boolean;
  readonly coordinatorEpoch: number;
  readonly partitions: readonly TopicPartitionRef[];
}
/** Coordinator → partition leader: write these markers (one control record per partition). */
export interface WriteTxnMarkersRequest {
  readonly type: "txn.write-markers";
  readonly corr: number;
  readonly markers: readonly TxnMarkerEntry[];
}
export interface WriteTxnMarkersResponse {
  readonly type: "txn.write-markers-response";
  readonly corr: number;
  readonly markers: readonly { readonly producerId: number; readonly partitions: readonly { readonly topic: string; readonly partition: number; readonly error: KafkaErrorCode }[] }[];
}

/** Partition leader (or group coordinator) → transaction coordinator, sent by AddPartitionsToTxnManager: KIP-890
 *  part 1's AddPartitionsToTxn v4 with verifyOnly (are these partitions in the producer's ongoing transaction?), or
 *  for an "add-partition" request KIP-890 part 2's verifyOnly=false (add them, starting the transaction if none is
 *  open: `setVerifyOnly(!transactionSupportedOperation.supportsEpochBump)`). */
export interface VerifyPartitionsRequest {
  readonly type: "txn.verify-partitions";
  readonly corr: number;
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly partitions: readonly TopicPartitionRef[];
  /** The operation of the client request behind it; absent: verify only, refusals answered INVALID_TXN_STATE. */
  readonly operation?: TxnSupportedOperation;
}
export interface VerifyPartitionsResponse {
  readonly type: "txn.verify-partitions-response";
  readonly corr: number;
  readonly results: readonly { readonly topic: string; readonly partition: number; readonly error: KafkaErrorCode }[];
}

export type TxnMessage =
  | AddPartitionsToTxnRequest
  | AddPartitionsToTxnResponse
  | AddOffsetsToTxnRequest
  | AddOffsetsToTxnResponse
  | EndTxnRequest
  | EndTxnResponse
  | TxnOffsetCommitRequest
  | TxnOffsetCommitResponse
  | WriteTxnMarkersRequest
  | WriteTxnMarkersResponse
  | VerifyPartitionsRequest
  | VerifyPartitionsResponse;
