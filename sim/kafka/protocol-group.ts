// Consumer-group messages (clients ↔ the group coordinator hosted by a broker): FindCoordinator, JoinGroup,
// SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, and InitProducerId (Kafka also serves it from a
// coordinator; here any broker answers with a world-unique id). Every type starts with "group.": the broker
// forwards them all to its GroupCoordinatorModule (sim/broker/group/host.ts).
import type { KafkaErrorCode } from "./errors.ts";

/** Which broker coordinates a group (FindCoordinator, key type GROUP; transactions are not modelled). Any broker
 *  answers from its metadata cache (KafkaApis.getCoordinator): the leader of the group's __consumer_offsets
 *  partition, abs(javaStringHash(group.id)) % offsets.topic.num.partitions, when that broker is alive; else
 *  COORDINATOR_NOT_AVAILABLE. Clients know no more than this answer. */
export interface FindCoordinatorRequest {
  readonly type: "group.find-coordinator";
  readonly corr: number;
  /** "transaction": the transaction coordinator of a transactional.id (the leader of its __transaction_state
   *  partition), answered by the broker's transaction module. */
  readonly keyType: "group" | "transaction";
  /** The group.id, or the transactional.id. */
  readonly key: string;
}
export interface FindCoordinatorResponse {
  readonly type: "group.find-coordinator-response";
  readonly corr: number;
  readonly error: KafkaErrorCode;
  /** The coordinator's broker id; -1 with an error. */
  readonly nodeId: number;
}

/** One of a member's protocols (assignors) with its metadata (the ConsumerProtocol subscription), opaque to the
 *  coordinator as in Kafka: it stores the bytes and hands the chosen protocol's to the leader. Base64 here, so the
 *  group's metadata record (JSON) keeps them. Only real clients (the wire gateway) send protocols; the modelled
 *  consumer sends `strategy` alone. */
export interface GroupProtocol {
  readonly name: string;
  readonly metadata: string;
}

export interface JoinGroupRequest {
  readonly type: "group.join";
  readonly corr: number;
  readonly group: string;
  /** "" on the first join: the coordinator assigns one. */
  readonly memberId: string;
  readonly sessionTimeoutMs: number;
  /** Kafka's rebalance timeout = the member's max.poll.interval.ms. */
  readonly rebalanceTimeoutMs: number;
  readonly topics: readonly string[];
  readonly strategy: "range" | "roundrobin";
  /** The member's protocols in its order of preference (JoinGroupRequest.protocols); absent for modelled clients. */
  readonly protocols?: readonly GroupProtocol[];
}
export interface JoinGroupResponse {
  readonly type: "group.join-response";
  readonly corr: number;
  readonly error: KafkaErrorCode;
  readonly generation: number;
  readonly memberId: string;
  readonly leaderId: string;
  /** Only for the leader: every member with its subscription, in join order (with its metadata for the chosen
   *  protocol when members sent protocols). */
  readonly members: readonly { readonly memberId: string; readonly topics: readonly string[]; readonly metadata?: string }[];
  /** The protocol the coordinator chose (GroupMetadata.selectProtocol), when members sent protocols. */
  readonly protocol?: string;
}

export interface TopicPartitionRef {
  readonly topic: string;
  readonly partition: number;
}

export interface SyncGroupRequest {
  readonly type: "group.sync";
  readonly corr: number;
  readonly group: string;
  readonly generation: number;
  readonly memberId: string;
  /** Only the leader sends the assignment; followers send an empty list. `assignment`: the ConsumerProtocol
   *  assignment bytes (base64) of a real client's leader, handed back to that member as they are. */
  readonly assignments: readonly { readonly memberId: string; readonly partitions: readonly TopicPartitionRef[]; readonly assignment?: string }[];
}
export interface SyncGroupResponse {
  readonly type: "group.sync-response";
  readonly corr: number;
  readonly error: KafkaErrorCode;
  readonly partitions: readonly TopicPartitionRef[];
  /** The member's assignment bytes (base64) as its leader sent them, when it sent bytes. */
  readonly assignment?: string;
}

export interface HeartbeatRequest {
  readonly type: "group.heartbeat";
  readonly corr: number;
  readonly group: string;
  readonly generation: number;
  readonly memberId: string;
}
export interface HeartbeatResponse {
  readonly type: "group.heartbeat-response";
  readonly corr: number;
  readonly error: KafkaErrorCode;
}

export interface LeaveGroupRequest {
  readonly type: "group.leave";
  readonly corr: number;
  readonly group: string;
  readonly memberId: string;
  /** Why the member leaves (KIP-800, LeaveGroup v5): its poll timer expired, or the application closed it. */
  readonly reason: "poll-timeout" | "leave-group";
}
export interface LeaveGroupResponse {
  readonly type: "group.leave-response";
  readonly corr: number;
  readonly error: KafkaErrorCode;
}

export interface OffsetCommitRequest {
  readonly type: "group.offset-commit";
  readonly corr: number;
  readonly group: string;
  readonly generation: number;
  readonly memberId: string;
  /** The next offset to read, per partition. */
  readonly offsets: readonly { readonly topic: string; readonly partition: number; readonly offset: number }[];
}
export interface OffsetCommitResponse {
  readonly type: "group.offset-commit-response";
  readonly corr: number;
  /** One error for the whole request (all partitions go to the same __consumer_offsets partition). */
  readonly error: KafkaErrorCode;
}

export interface OffsetFetchRequest {
  readonly type: "group.offset-fetch";
  readonly corr: number;
  readonly group: string;
  readonly partitions: readonly TopicPartitionRef[];
  /** KIP-447: refuse (UNSTABLE_OFFSET_COMMIT) while a transaction's offsets for these partitions are pending;
   *  a read_committed consumer asks for it. */
  readonly requireStable?: boolean;
}
export interface OffsetFetchResponse {
  readonly type: "group.offset-fetch-response";
  readonly corr: number;
  readonly error: KafkaErrorCode;
  /** -1: no committed offset. */
  readonly offsets: readonly { readonly topic: string; readonly partition: number; readonly offset: number }[];
}

/** An idempotent producer asks any broker for a producer id (Kafka: InitProducerId, ids from ZooKeeper blocks;
 *  here broker b hands out b * 1_000_000 + n with n kept in a flushed blob on its disk, so ids are world-unique). */
export interface InitProducerIdRequest {
  readonly type: "group.init-producer-id";
  readonly corr: number;
  /** A transactional producer's id (sent to its transaction coordinator, which bumps the epoch and fences older
   *  instances); absent for an idempotent producer. */
  readonly transactionalId?: string;
  readonly transactionTimeoutMs?: number;
  /** KIP-360: the producer id and epoch it has, when it asks for an epoch bump after an abortable error. */
  readonly producerId?: number;
  readonly producerEpoch?: number;
}
export interface InitProducerIdResponse {
  readonly type: "group.init-producer-id-response";
  readonly corr: number;
  readonly error: KafkaErrorCode;
  readonly producerId: number;
  readonly producerEpoch: number;
  /** A transaction coordinator's finalized transaction.version when it is 2 (KIP-890; a Java client reads it from
   *  ApiVersions' finalized features: kafkasim carries it on this first answer of the coordinator). */
  readonly transactionVersion?: number;
}

export type GroupRequest =
  | FindCoordinatorRequest
  | JoinGroupRequest
  | SyncGroupRequest
  | HeartbeatRequest
  | LeaveGroupRequest
  | OffsetCommitRequest
  | OffsetFetchRequest
  | InitProducerIdRequest;

export type GroupResponse =
  | FindCoordinatorResponse
  | JoinGroupResponse
  | SyncGroupResponse
  | HeartbeatResponse
  | LeaveGroupResponse
  | OffsetCommitResponse
  | OffsetFetchResponse
  | InitProducerIdResponse;

export type GroupMessage = GroupRequest | GroupResponse;
