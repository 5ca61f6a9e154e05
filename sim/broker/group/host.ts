// The seam between a broker and the group coordinator it hosts (Kafka's GroupCoordinator runs inside the
// broker that leads the group's __consumer_offsets partition). The broker implements GroupHost; the group
// coordinator module (clients work) implements GroupCoordinatorModule. Committed offsets are ordinary records
// of __consumer_offsets written with acks=all (fact 23), so they too can be lost or survive.
import type { NodeContext } from "../../core/node.ts";
import type { NodeId } from "../../core/ids.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { Message } from "../../kafka/protocol.ts";
import type { GroupMessage } from "../../kafka/protocol-group.ts";
import type { TxnOffsetCommitRequest } from "../../kafka/protocol-txn.ts";
import type { TraceEvent } from "../../events.ts";
import type { BrokerConfig } from "../../kafka/config.ts";

export const OFFSETS_TOPIC = "__consumer_offsets";

export type BrokerCtx = NodeContext<Message, TraceEvent>;

export interface GroupHost {
  readonly brokerId: number;
  readonly config: BrokerConfig;
  /** Partitions of __consumer_offsets (offsets.topic.num.partitions). */
  readonly offsetsPartitions: number;
  /** True while this broker is the leader of __consumer_offsets-<partition>. */
  isOffsetsLeader(partition: number): boolean;
  /** The leader of __consumer_offsets-<partition> in this broker's metadata cache when that broker is alive there,
   *  else null (what FindCoordinator answers: KafkaApis.getCoordinator). */
  cachedOffsetsLeader(partition: number): number | null;
  /** Append records to __consumer_offsets-<partition> as its leader, with acks=all semantics (purgatory,
   *  min.insync.replicas, request timeout). `done` runs once: NONE when the HW passed them, else the error. */
  appendOffsets(ctx: BrokerCtx, partition: number, keys: readonly number[], values: readonly number[], timeoutMs: number, done: (error: KafkaErrorCode) => void): void;
  /** As appendOffsets, for a transaction's offsets: a transactional batch of the producer (TxnOffsetCommit). */
  appendTxnOffsets?(ctx: BrokerCtx, partition: number, keys: readonly number[], values: readonly number[], producerId: number, producerEpoch: number, timeoutMs: number, done: (error: KafkaErrorCode) => void): void;
  /** KIP-890 part 2 (TxnOffsetCommit v5+, a client of transaction.version 2): have __consumer_offsets-<partition>
   *  added to the producer's transaction by its coordinator; `done` gets the error for the TxnOffsetCommit. */
  addTxnOffsetsPartition?(ctx: BrokerCtx, transactionalId: string, producerId: number, producerEpoch: number, partition: number, done: (error: KafkaErrorCode) => void): void;
  /** Records of __consumer_offsets-<partition> up to the log end (for loading groups on election, as
   *  GroupMetadataManager.doLoadGroupsAndOffsets does), with each record's producer id and attributes (a
   *  transaction's offsets count only once its COMMIT marker follows). */
  readOffsets(partition: number): { readonly keys: ArrayLike<number>; readonly values: ArrayLike<number>; readonly count: number; readonly producerIds?: ArrayLike<number>; readonly attributes?: ArrayLike<number> };
  /** Interned ids for offset-record keys ("group/topic/partition" ↔ number), deterministic and world-wide. */
  internKey(name: string): number;
  keyName(id: number): string | undefined;
}

export interface GroupCoordinatorModule {
  onMessage(ctx: BrokerCtx, from: NodeId, msg: GroupMessage): void;
  /** Returns true if the timer tag belonged to the group coordinator. */
  onTimer(ctx: BrokerCtx, tag: unknown): boolean;
  /** This broker became leader of __consumer_offsets-<partition>: load its groups. */
  onElected(ctx: BrokerCtx, partition: number): void;
  /** It lost that leadership: unload its groups (requests get NOT_COORDINATOR). */
  onResigned(ctx: BrokerCtx, partition: number): void;
  /** The groups this broker coordinates now, as the final state reports them. */
  groupStates?(): readonly GroupSnapshot[];
  /** TxnOffsetCommit (KIP-98, KIP-447): a transaction's offsets, pending until its marker. */
  onTxnOffsetCommit?(ctx: BrokerCtx, from: NodeId, msg: TxnOffsetCommitRequest): void;
  /** A marker of `producerId` was written on __consumer_offsets-<partition>: its pending offsets are committed
   *  or dropped (GroupCoordinator.scheduleHandleTxnCompletion). */
  onTxnCompletion?(ctx: BrokerCtx, partition: number, producerId: number, commit: boolean): void;
}

/** A group as its coordinator holds it (GroupMetadata's state, generation and members). */
export interface GroupSnapshot {
  readonly group: string;
  /** Kafka's states: Empty, PreparingRebalance, CompletingRebalance, Stable. */
  readonly state: "empty" | "preparing" | "completing" | "stable";
  readonly generation: number;
  readonly members: number;
}

/** Placeholder factory until the clients work lands: refuses every group request with COORDINATOR_NOT_AVAILABLE. */
export type GroupCoordinatorFactory = (host: GroupHost) => GroupCoordinatorModule;
