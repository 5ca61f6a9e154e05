// The seam between a broker and the transaction module it hosts (Kafka's TransactionCoordinator runs in every
// broker and coordinates the transactional ids of the __transaction_state partitions that broker leads). The broker
// implements TxnHost; sim/broker/txn/ implements the coordinator, its marker channel and the partition leaders'
// side of WriteTxnMarkers.
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { BrokerConfig } from "../../kafka/config.ts";
import type { BrokerCtx } from "../group/host.ts";
import { kafkaAbs, javaStringHash } from "../group/partition.ts";

export const TXN_TOPIC = "__transaction_state";

/** TransactionStateManager.partitionFor: Utils.abs(transactionalId.hashCode) % transactionTopicPartitionCount. */
export function txnPartitionFor(transactionalId: string, partitions: number): number {
  return kafkaAbs(javaStringHash(transactionalId)) % partitions;
}

export interface TxnHost {
  readonly brokerId: number;
  readonly config: BrokerConfig;
  /** The cluster's finalized transaction.version (0–2; 2: KIP-890 part 2, an epoch bump per transaction). */
  readonly transactionVersion: number;
  /** Partitions of __transaction_state. */
  readonly txnPartitions: number;
  /** Partitions of __consumer_offsets (a group's offsets partition joins a transaction with AddOffsetsToTxn). */
  readonly offsetsPartitions: number;
  /** This broker leads __transaction_state-<partition> (and is not fenced). */
  isTxnLeader(partition: number): boolean;
  /** Its leader epoch there: the coordinator epoch of the markers it writes. */
  txnLeaderEpoch(partition: number): number;
  /** The leader of a partition in this broker's metadata cache when that broker is alive there, else null. */
  cachedLeaderOf(topic: string, partition: number): number | null;
  /** Append records to __transaction_state-<partition> as its leader, acks=all (TransactionLog.EnforcedRequiredAcks). */
  appendTxnLog(ctx: BrokerCtx, partition: number, keys: readonly number[], values: readonly number[], timeoutMs: number, done: (error: KafkaErrorCode) => void): void;
  /** Records of __transaction_state-<partition> up to the log end (TransactionStateManager loads with
   *  FetchIsolation.LOG_END). */
  readTxnLog(partition: number): { readonly keys: ArrayLike<number>; readonly values: ArrayLike<number>; readonly count: number };
  /** As the partition's leader, append a marker of the producer (acks=all); `done` gets the outcome. */
  appendMarker(ctx: BrokerCtx, topic: string, partition: number, producerId: number, producerEpoch: number, commit: boolean, coordinatorEpoch: number, timeoutMs: number, done: (error: KafkaErrorCode) => void): void;
  /** A marker was written on a partition this broker leads (the group coordinator completes transactional offsets
   *  on __consumer_offsets: GroupCoordinator.scheduleHandleTxnCompletion). */
  onMarkerWritten(ctx: BrokerCtx, topic: string, partition: number, producerId: number, commit: boolean): void;
  /** A world-unique producer id (ProducerIdManager). */
  allocateProducerId(ctx: BrokerCtx): number;
  internKey(name: string): number;
  keyName(id: number): string | undefined;
}
