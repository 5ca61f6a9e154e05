// The wire protocol between simulated nodes: one discriminated union of every message.
// Client-facing requests (produce, fetch, metadata, list-offsets) are defined here; the cluster-internal
// ones (ZooKeeper-like coordinator, controller, replication) in protocol-cluster.ts; consumer-group ones in
// protocol-group.ts. Records travel as compact columnar slices, never as one object per record.
import type { KafkaErrorCode } from "./errors.ts";
import type { ClusterMessage } from "./protocol-cluster.ts";
import type { GroupMessage } from "./protocol-group.ts";
import type { KRaftMessage } from "../controller/kraft/controller/controller-node.ts";
import type { TxnMessage, TxnSupportedOperation } from "./protocol-txn.ts";

/** A log column of integers kept as int32 until one does not fit, then as doubles (a log's values, append times:
 *  sim/disk/disk.ts LogFile). */
export type WideningColumn = Int32Array | Float64Array;
/** A log column kept as int16 until a value does not fit, then as int32 (leader epochs, keys, producer ids and
 *  epochs: small numbers in a simulation). */
export type ShortColumn = Int16Array | Int32Array;

/** The records of a fetch response: a read-only view of the leader's log columns at [at, at + count), taken when
 *  the fetch was answered. A log never writes over indices it has handed out (it copies its columns when it
 *  shrinks: LogFile.truncateTo / loseUnflushed), so the view keeps what was read, like a real response's bytes;
 *  and answering a fetch allocates one object, not a copy per column. */
export interface RecordSlice {
  readonly baseOffset: number;
  readonly count: number;
  /** Index of baseOffset in the columns below. */
  readonly at: number;
  readonly epochs: ShortColumn;
  readonly values: WideningColumn;
  readonly keys: ShortColumn;
  readonly producerIds: ShortColumn;
  readonly sequences: Int32Array;
  /** Virtual time (µs) the leader first appended each record (for end-to-end latency). */
  readonly appendUs: WideningColumn;
  /** Idempotent producer epoch of each record (-1 for none). */
  readonly producerEpochs: ShortColumn;
  /** Batch attributes of each record (sim/kafka/records.ts: transactional, control); undefined: all 0. */
  readonly attributes?: Uint8Array | undefined;
  /** The era of the leader's columns (LogFile.columnsEra): a follower sharing columns of this era moves to these. */
  readonly era?: object | undefined;
}

/** One partition's batch in a produce request. */
export interface ProduceBatch {
  readonly topic: string;
  readonly partition: number;
  /** -1 without idempotence. */
  readonly baseSequence: number;
  readonly values: readonly number[];
  /** -1 for a record without a key. */
  readonly keys: readonly number[];
}

export interface ProduceRequest {
  readonly type: "produce";
  readonly corr: number;
  /** -1 (all), 0, 1; anything else is answered INVALID_REQUIRED_ACKS. */
  readonly acks: number;
  readonly timeoutMs: number;
  /** -1 without idempotence. */
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly batches: readonly ProduceBatch[];
  /** A transactional producer's transactional.id (its batches are transactional); absent or null otherwise. */
  readonly transactionalId?: string | null;
  /** A transactional request's version class (Produce v11 / v12+: protocol-txn.ts TxnSupportedOperation). */
  readonly transactionSupport?: TxnSupportedOperation;
}

export interface ProducePartitionResponse {
  readonly topic: string;
  readonly partition: number;
  readonly error: KafkaErrorCode;
  /** Offset of the batch's first record; -1 on error. */
  readonly baseOffset: number;
}

export interface ProduceResponse {
  readonly type: "produce-response";
  readonly corr: number;
  readonly partitions: readonly ProducePartitionResponse[];
}

export interface FetchPartition {
  readonly topic: string;
  readonly partition: number;
  readonly fetchOffset: number;
  /** The fetcher's view of the leader epoch (KIP-320); -1 if unknown. */
  readonly currentLeaderEpoch: number;
  /** Epoch of the last record the fetcher has (KAFKA-10554, protocol ≥ 2.7); -1 if none/unused. */
  readonly lastFetchedEpoch: number;
}

export interface FetchRequest {
  readonly type: "fetch";
  readonly corr: number;
  /** -1 for a consumer; the follower's broker id for replication. */
  readonly replicaId: number;
  /** The follower's broker epoch (replication only); -1 for consumers. */
  readonly brokerEpoch: number;
  readonly maxWaitMs: number;
  readonly partitions: readonly FetchPartition[];
  /** FetchRequest isolation_level: 1 = READ_COMMITTED (up to the last stable offset); absent or 0: READ_UNCOMMITTED. */
  readonly isolationLevel?: 0 | 1;
  /** KIP-227 (v7+): the fetch session this request belongs to. Absent: a sessionless full fetch. */
  readonly session?: FetchSessionMetadata;
}

/** A fetch's session fields (FetchMetadata): epoch 0 asks for a new session (closing `id` if it is not 0) and names
 *  every partition; a later epoch names only the partitions whose fetch state changed, and those to forget. */
export interface FetchSessionMetadata {
  readonly id: number;
  readonly epoch: number;
  readonly forgotten: readonly { readonly topic: string; readonly partition: number }[];
}

export interface FetchPartitionResponse {
  readonly topic: string;
  readonly partition: number;
  readonly error: KafkaErrorCode;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  readonly records: RecordSlice | null;
  /** Set when the fetcher's log diverged from the leader's (protocol ≥ 2.7). */
  readonly divergingEpoch?: { readonly epoch: number; readonly endOffset: number };
  /** READ_COMMITTED fetches: the last stable offset, and the aborted transactions the records overlap. */
  readonly lastStableOffset?: number;
  readonly abortedTransactions?: readonly { readonly producerId: number; readonly firstOffset: number }[];
}

export interface FetchResponse {
  readonly type: "fetch-response";
  readonly corr: number;
  readonly partitions: readonly FetchPartitionResponse[];
  /** KIP-227: the session the leader keeps for this fetcher (0: none); a top-level error ends the session. */
  readonly sessionId?: number;
  readonly error?: KafkaErrorCode;
}

export interface MetadataRequest {
  readonly type: "metadata";
  readonly corr: number;
  /** null: all topics. */
  readonly topics: readonly string[] | null;
}

export interface PartitionMetadata {
  readonly topic: string;
  readonly partition: number;
  readonly error: KafkaErrorCode;
  /** null when the partition has no leader (offline). */
  readonly leader: number | null;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export interface MetadataResponse {
  readonly type: "metadata-response";
  readonly corr: number;
  /** Live brokers known to the answering broker. */
  readonly brokers: readonly number[];
  readonly controller: number | null;
  readonly partitions: readonly PartitionMetadata[];
}

export interface ListOffsetsRequest {
  readonly type: "list-offsets";
  readonly corr: number;
  readonly partitions: readonly { readonly topic: string; readonly partition: number; readonly timestamp: "earliest" | "latest"; readonly currentLeaderEpoch: number }[];
  /** 1 = READ_COMMITTED: "latest" is the last stable offset (ListOffsetsRequest isolation_level). */
  readonly isolationLevel?: 0 | 1;
}

export interface ListOffsetsResponse {
  readonly type: "list-offsets-response";
  readonly corr: number;
  readonly partitions: readonly { readonly topic: string; readonly partition: number; readonly error: KafkaErrorCode; readonly offset: number; readonly leaderEpoch: number }[];
}

/** KIP-101/KIP-320: the end offset of a leader epoch on the leader (followers, and consumers validating). */
export interface OffsetsForLeaderEpochRequest {
  readonly type: "offsets-for-leader-epoch";
  readonly corr: number;
  readonly replicaId: number;
  readonly partitions: readonly { readonly topic: string; readonly partition: number; readonly currentLeaderEpoch: number; readonly leaderEpoch: number }[];
}

export interface OffsetsForLeaderEpochResponse {
  readonly type: "offsets-for-leader-epoch-response";
  readonly corr: number;
  readonly partitions: readonly { readonly topic: string; readonly partition: number; readonly error: KafkaErrorCode; readonly leaderEpoch: number; readonly endOffset: number }[];
}

/** ApiVersions (KafkaApis.handleApiVersionsRequest): any live broker answers at once. The modelled clients never
 *  ask; the wire gateway (sim/wire/gateway/) sends it for a real client's ApiVersions request and for its TCP
 *  connect, so both cost a round trip and fail against a dead broker. The version ranges are the gateway's
 *  (sim/wire/api-keys.ts): the broker only says it is there. */
export interface ApiVersionsRequest {
  readonly type: "api-versions";
  readonly corr: number;
}

export interface ApiVersionsResponse {
  readonly type: "api-versions-response";
  readonly corr: number;
}

export type ClientMessage =
  | ApiVersionsRequest
  | ApiVersionsResponse
  | ProduceRequest
  | ProduceResponse
  | FetchRequest
  | FetchResponse
  | MetadataRequest
  | MetadataResponse
  | ListOffsetsRequest
  | ListOffsetsResponse
  | OffsetsForLeaderEpochRequest
  | OffsetsForLeaderEpochResponse;

export type Message = ClientMessage | ClusterMessage | GroupMessage | KRaftMessage | TxnMessage;
export type MessageType = Message["type"];
