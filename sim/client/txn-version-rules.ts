// What transaction.version changes for a transactional client (KIP-890; kafka-facts T13, T14), in one place for
// every transactional client (TransactionalProducer, the consume-transform-produce Pipeline). The client learns the
// cluster's finalized level from its coordinator's InitProducerId answer here (Kafka: ApiVersions' finalized
// features, TransactionManager.isTransactionV2Enabled).
import { versionAtLeast } from "../kafka/profiles.ts";
import type { ProtocolVersion } from "../kafka/config.ts";
import type { TxnSupportedOperation } from "../kafka/protocol-txn.ts";

/** Does the client add a partition to its transaction itself (AddPartitionsToTxn before the partition's first
 *  write, AddOffsetsToTxn before TxnOffsetCommit)? Not under transaction.version 2 (KIP-890 part 2):
 *  TransactionManager.maybeAddPartition only records the partition (`isTransactionV2Enabled()`: no
 *  AddPartitionsToTxn), sendOffsetsToTransaction goes straight to TxnOffsetCommit, and the partition's leader and the
 *  group coordinator add them while handling the request (Produce v12+, TxnOffsetCommit v5+). */
export function needsExplicitAdd(tv2: boolean): boolean {
  return !tv2;
}

/** The version class of the client's transactional Produce and TxnOffsetCommit requests: v12+ / v5+ under
 *  transaction.version 2 ("add-partition": ProduceRequest.Builder caps the version at 11 and TxnOffsetCommit at 4
 *  otherwise); from 3.8 Produce v11 / TxnOffsetCommit v4 ("generic-error": the client handles TRANSACTION_ABORTABLE);
 *  older clients neither (AddPartitionsToTxnManager.produceRequestVersionToTransactionSupportedOperation). */
export function txnRequestSupport(tv2: boolean, protocol: ProtocolVersion | undefined): { readonly transactionSupport?: TxnSupportedOperation } {
  if (tv2) return ADD_PARTITION;
  return versionAtLeast(protocol ?? "3.7", "3.9") ? GENERIC_ERROR : DEFAULT_ERROR;
}

const ADD_PARTITION = { transactionSupport: "add-partition" } as const;
const GENERIC_ERROR = { transactionSupport: "generic-error" } as const;
const DEFAULT_ERROR = {} as const;
