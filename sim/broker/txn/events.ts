// Trace events of transactions: the coordinators' state transitions (each one written to __transaction_state),
// their timeouts, and the COMMIT / ABORT markers partition leaders write. Rare: every one is evidence.

/** TransactionState (TransactionMetadata.scala). PrepareEpochFence is the fence of an open transaction by a new
 *  InitProducerId or a timeout, before its abort. */
export type TxnState = "Empty" | "Ongoing" | "PrepareCommit" | "PrepareAbort" | "CompleteCommit" | "CompleteAbort" | "PrepareEpochFence";

export type TxnTraceEvent =
  /** A transaction coordinator wrote a transition of `transactionalId` to __transaction_state (and applied it). */
  | { readonly type: "txn-transition"; readonly broker: number; readonly transactionalId: string; readonly producerId: number; readonly producerEpoch: number; readonly state: TxnState; readonly partitions: readonly string[] }
  /** The coordinator's periodic sweep found the transaction open past transaction.timeout.ms: it aborts it, fencing
   *  the producer (TransactionCoordinator.abortTimedOutTransactions). */
  | { readonly type: "txn-timed-out"; readonly broker: number; readonly transactionalId: string; readonly producerId: number; readonly producerEpoch: number }
  /** A partition leader appended a COMMIT or ABORT marker of `producerId` at `offset`. */
  | { readonly type: "txn-marker"; readonly tp: string; readonly broker: number; readonly producerId: number; readonly producerEpoch: number; readonly offset: number; readonly control: "commit" | "abort"; readonly coordinatorEpoch: number }
  /** A transactional producer before 2.5 (no KIP-360) took a failed batch's sequence back for the partition's next
   *  batch under the same epoch (TransactionManager.adjustSequencesDueToFailedBatch). If an earlier attempt of that
   *  batch was written (`attempts` > 1: one went unanswered), the leader takes the next batch for a duplicate of it. */
  | { readonly type: "txn-sequence-reset"; readonly producer: string; readonly transactionalId: string; readonly producerId: number; readonly producerEpoch: number; readonly tp: string; readonly baseSequence: number; readonly attempts: number; readonly error: string }
  /** A group coordinator completed a transaction's pending offsets once the write of its marker on the group's
   *  __consumer_offsets partition was acknowledged (KafkaApis.handleWriteTxnMarkersRequest →
   *  GroupCoordinator.scheduleHandleTxnCompletion → GroupMetadata.completePendingTxnOffsetCommit): on COMMIT they are
   *  what OffsetFetch answers from then on; the marker's local append (txn-marker) comes first. */
  | { readonly type: "txn-offsets-completed"; readonly broker: number; readonly group: string; readonly partition: number; readonly producerId: number; readonly commit: boolean }
  /** A transactional producer was fenced (PRODUCER_FENCED / INVALID_PRODUCER_EPOCH): a newer instance with its
   *  transactional.id, or its coordinator's timeout, took over; it stops (a fatal error in the Java client). */
  | { readonly type: "producer-fenced"; readonly producer: string; readonly transactionalId: string; readonly producerId: number; readonly producerEpoch: number; readonly error: string }
  /** A coordinator refused an EndTxn for its epoch (PRODUCER_FENCED): under transaction.version 2 a late EndTxn of
   *  an earlier transaction meets the epoch that transaction's end bumped (KIP-890 part 2). */
  | { readonly type: "txn-end-fenced"; readonly broker: number; readonly transactionalId: string; readonly producerId: number; readonly producerEpoch: number; readonly currentEpoch: number; readonly state: TxnState }
  /** A transactional producer's EndTxn timed out (request.timeout.ms): it closed the connection and sends the EndTxn
   *  again on a new one, while the old connection may still deliver the first one later (TCP retransmission). Under
   *  transaction.version below 2 that late EndTxn can end the producer's next transaction (KAFKA-17754). */
  | { readonly type: "txn-request-timeout"; readonly producer: string; readonly transactionalId: string; readonly producerId: number; readonly producerEpoch: number; readonly request: "end-txn"; readonly commit: boolean; readonly broker: number }
  /** A transactional producer failed a batch after delivery.timeout.ms (an abortable error: it aborts the
   *  transaction) while a copy may still be on the wire: without KIP-890 part 1's verification, under the classic
   *  protocol, that late copy starts a transaction on the partition after the abort's marker (kafka-facts T14). */
  | { readonly type: "txn-batch-expired"; readonly producer: string; readonly transactionalId: string; readonly producerId: number; readonly producerEpoch: number; readonly tp: string; readonly values: readonly number[] }
  /** KIP-890 part 1: a partition leader's verification refused a transactional batch (the coordinator does not
   *  have the partition in the producer's ongoing transaction, or has another epoch): nothing was appended. */
  | { readonly type: "txn-verify-refused"; readonly tp: string; readonly broker: number; readonly producerId: number; readonly producerEpoch: number; readonly error: string }
  /** A transactional producer's EndTxn was answered NONE: it saw its transaction committed (or aborted). `values`
   *  are the records it wrote in it (the lost-committed-transaction checker looks for them in the final logs). */
  | { readonly type: "txn-ended"; readonly producer: string; readonly transactionalId: string; readonly producerId: number; readonly producerEpoch: number; readonly topic: string; readonly commit: boolean; readonly values: readonly number[] };
