// Transaction messages (KIP-98, KIP-447): a transactional producer ↔ its transaction coordinator (the broker leading
// the transactional.id's __transaction_state partition): AddPartitionsToTxn, AddOffsetsToTxn, EndTxn; the producer ↔
// the group coordinator: TxnOffsetCommit; and coordinator → partition leaders: WriteTxnMarkers. FindCoordinator
// (key type transaction) and InitProducerId (with a transactional.id) are the group messages' own types
// (protocol-group.ts). Every type starts with "txn.".
import type { KafkaErrorCode } from "./errors.ts";
import type { TopicPartitionRef } from "./protocol-group.ts";

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

/** Partition leader → transaction coordinator (KIP-890 part 1: AddPartitionsToTxn v4 with verifyOnly, sent by
 *  AddPartitionsToTxnManager): are these partitions in the producer's ongoing transaction? */
export interface VerifyPartitionsRequest {
  readonly type: "txn.verify-partitions";
  readonly corr: number;
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly partitions: readonly TopicPartitionRef[];
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
