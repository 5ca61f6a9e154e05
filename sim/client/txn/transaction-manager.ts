// Kafka's TransactionManager (clients/.../producer/internals/TransactionManager.java), the part both transactional
// clients share — the transactional producer (sim/client/transactions.ts) and a consume-transform-produce
// pipeline's output producer (sim/client/consumer/pipeline.ts): the transaction coordinator (FindCoordinator, key
// type transaction), the producer id and epoch (InitProducerId), the requests of a transaction (AddPartitionsToTxn,
// EndTxn), what an error from the coordinator means (txnCoordinatorErrorAction), the sequence numbers per
// partition under the current epoch, and the epoch rules: KIP-360's bump after a batch whose sequence is
// unresolved (2.5+ clients: InitProducerId with the current id and epoch once the abort is done), and under
// transaction.version 2 (KIP-890 part 2) the bumped epoch the EndTxn answer carries (kafka-facts T13, T14). A new
// epoch starts every partition's sequence at 0. The batches themselves are txn-batches.ts's.
import type { NodeId } from "../../core/ids.ts";
import { brokerNode } from "../../core/ids.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { Message } from "../../kafka/protocol.ts";
import type { InitProducerIdResponse } from "../../kafka/protocol-group.ts";
import type { RequestBook, Ctx } from "./requests.ts";
import type { ProtocolVersion } from "../../kafka/config.ts";
import type { TxnSupportedOperation } from "../../kafka/protocol-txn.ts";
import { needsExplicitAdd, txnRequestSupport } from "../txn-version-rules.ts";

/** What a transactional producer does with a transaction coordinator's error (TransactionManager's handlers): find
 *  the coordinator again and retry, retry (CONCURRENT_TRANSACTIONS: the previous transaction is still completing),
 *  or treat it as fatal (fenced: PRODUCER_FENCED, INVALID_PRODUCER_EPOCH, and what it does not handle). */
export function txnCoordinatorErrorAction(error: KafkaErrorCode): "find-coordinator" | "retry" | "fatal" {
  switch (error) {
    case "NOT_COORDINATOR":
    case "COORDINATOR_NOT_AVAILABLE":
    case "COORDINATOR_LOAD_IN_PROGRESS":
      return "find-coordinator";
    case "CONCURRENT_TRANSACTIONS":
      return "retry";
    default:
      return "fatal";
  }
}

export interface TransactionManagerOptions {
  readonly transactionalId: string;
  readonly transactionTimeoutMs: number;
  /** Kafka 2.5+ clients (kafkasim's 2.7+ profiles) bump the epoch after a batch's sequence is left unresolved. */
  readonly kip360: boolean;
  /** The client's profile: which transactional request versions it sends (txn-version-rules.ts). */
  readonly protocol: ProtocolVersion | undefined;
  /** The node a FindCoordinator goes to (a bootstrap broker), or null when there is none. */
  readonly findNode: () => NodeId | null;
}

export class TransactionManager {
  readonly transactionalId: string;
  producerId = -1;
  producerEpoch = -1;
  /** The coordinator runs transaction.version 2 (KIP-890 part 2; its InitProducerId answer says so): EndTxn v5,
   *  whose answer bumps the epoch. */
  tv2 = false;
  coordinator: NodeId | null = null;
  /** KIP-360 (TransactionManager.epochBumpRequired): a batch's sequence is unresolved; once the transaction is
   *  aborted, bump the epoch. */
  epochBumpRequired = false;
  /** Next sequence per partition under the current epoch. */
  private readonly sequences = new Map<string, number>();
  /** The coordinator knows the open transaction: a partition or the group's offsets were added to it
   *  (TransactionManager.transactionStarted). Without, commit and abort complete with no EndTxn. */
  transactionStarted = false;
  /** Partitions in the open transaction (added), new to it (to add), and in the AddPartitionsToTxn in flight. */
  private readonly inTransaction = new Set<string>();
  private newPartitions: { readonly topic: string; readonly partition: number; readonly tp: string }[] = [];
  private pendingPartitions: { readonly topic: string; readonly partition: number; readonly tp: string }[] = [];

  constructor(
    private readonly opts: TransactionManagerOptions,
    private readonly book: RequestBook,
  ) {
    this.transactionalId = opts.transactionalId;
  }

  get kip360(): boolean {
    return this.opts.kip360;
  }

  // ---------------------------------------------------------------- the coordinator's requests

  findCoordinator(ctx: Ctx): void {
    const node = this.opts.findNode();
    if (node === null) return;
    this.book.send(ctx, node, "find", (corr) => ({ type: "group.find-coordinator", corr, keyType: "transaction", key: this.transactionalId }));
  }

  /** A request to the coordinator, after finding it. */
  private toCoordinator(ctx: Ctx, kind: "init" | "add-offsets" | "end", make: (corr: number) => Message): void {
    if (this.coordinator === null) return this.findCoordinator(ctx);
    this.book.send(ctx, this.coordinator, kind, make);
  }

  /** InitProducerId (initTransactions). `bump`: with the current producer id and epoch (KIP-360: the coordinator
   *  bumps that epoch); a new producer sends neither. */
  initProducerId(ctx: Ctx, bump: boolean): void {
    const withId = bump && this.producerId >= 0 ? { producerId: this.producerId, producerEpoch: this.producerEpoch } : {};
    this.toCoordinator(ctx, "init", (corr) => ({ type: "group.init-producer-id", corr, transactionalId: this.transactionalId, transactionTimeoutMs: this.opts.transactionTimeoutMs, ...withId }));
  }

  // ---------------------------------------------------------------- partitions of the transaction

  /** Whether a partition new to the transaction needs an AddPartitionsToTxn before its first batch is drained
   *  (TransactionManager.maybeAddPartition; Sender sends one request for all new partitions). Not under
   *  transaction.version 2: the partition's leader adds it (KIP-890 part 2, txn-version-rules.ts). */
  needsExplicitAdd(): boolean {
    return needsExplicitAdd(this.tv2);
  }

  /** The version class of this client's transactional Produce and TxnOffsetCommit requests (txn-version-rules.ts). */
  requestSupport(): { readonly transactionSupport?: TxnSupportedOperation } {
    return txnRequestSupport(this.tv2, this.opts.protocol);
  }

  /** A partition's first batch in the transaction (TransactionManager.maybeAddPartition). */
  maybeAddPartition(topic: string, partition: number, tp: string): void {
    if (this.inTransaction.has(tp) || this.newPartitions.some((x) => x.tp === tp) || this.pendingPartitions.some((x) => x.tp === tp)) return;
    if (this.needsExplicitAdd()) this.newPartitions.push({ topic, partition, tp });
    else {
      // transaction.version 2: the partition is in the transaction as of its first write (TransactionManager
      // maybeAddPartition under isTransactionV2Enabled: transactionStarted = true).
      this.inTransaction.add(tp);
      this.transactionStarted = true;
    }
  }

  /** Its batches may be drained: the partition is in the transaction (TransactionManager.isSendToPartitionAllowed). */
  isSendToPartitionAllowed(tp: string): boolean {
    return this.inTransaction.has(tp);
  }

  /** Partitions of the transaction not yet added (to send, or their AddPartitionsToTxn in flight). */
  hasPendingAdds(): boolean {
    return this.newPartitions.length > 0 || this.pendingPartitions.length > 0;
  }

  /** Whether any partition joined the transaction. */
  hasPartitions(): boolean {
    return this.inTransaction.size > 0 || this.hasPendingAdds();
  }

  /** AddPartitionsToTxn for every partition new to the transaction, in one request, unless one is in flight
   *  (TransactionManager.addPartitionsToTransactionHandler, one transactional request at a time). */
  maybeSendAddPartitions(ctx: Ctx): void {
    if (this.newPartitions.length === 0 || this.pendingPartitions.length > 0 || this.book.has("find")) return;
    if (this.coordinator === null) return this.findCoordinator(ctx);
    this.pendingPartitions = this.newPartitions;
    this.newPartitions = [];
    const partitions = this.pendingPartitions.map((x) => ({ topic: x.topic, partition: x.partition }));
    this.book.send(ctx, this.coordinator, "add", (corr) => ({ type: "txn.add-partitions", corr, transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, partitions }));
  }

  /** AddPartitionsToTxn answered: NONE adds its partitions; otherwise (or when it was lost) they are sent again. */
  onAddPartitions(ok: boolean): void {
    if (ok) {
      for (const x of this.pendingPartitions) this.inTransaction.add(x.tp);
      this.transactionStarted = true;
    } else this.newPartitions = [...this.pendingPartitions, ...this.newPartitions];
    this.pendingPartitions = [];
  }

  /** The transaction ended (or its producer was replaced): no partition is in one. */
  resetTransaction(): void {
    this.transactionStarted = false;
    this.inTransaction.clear();
    this.newPartitions = [];
    this.pendingPartitions = [];
  }

  /** AddOffsetsToTxn: the group's offsets partition joins the transaction (sendOffsetsToTransaction). */
  addOffsets(ctx: Ctx, groupId: string): void {
    this.toCoordinator(ctx, "add-offsets", (corr) => ({ type: "txn.add-offsets", corr, transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, groupId }));
  }

  /** AddOffsetsToTxn answered NONE: the group's offsets partition is in the transaction. */
  onAddOffsets(): void {
    this.transactionStarted = true;
  }

  /** EndTxn (commitTransaction / abortTransaction); v5 under transaction.version 2. Only for a transaction the
   *  coordinator knows (transactionStarted: TransactionManager.nextRequest completes the others at once). */
  endTxn(ctx: Ctx, commit: boolean): void {
    this.toCoordinator(ctx, "end", (corr) => ({ type: "txn.end", corr, transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, commit, ...(this.tv2 ? { transactionVersion: 2 } : {}) }));
  }

  // ---------------------------------------------------------------- answers

  /** FindCoordinator's answer: false when it named no coordinator. */
  onFindCoordinator(error: KafkaErrorCode, nodeId: number): boolean {
    if (error !== "NONE" || nodeId < 0) return false;
    this.coordinator = brokerNode(nodeId);
    return true;
  }

  /** InitProducerId answered NONE: a new producer id or epoch, every sequence from 0. */
  onInitProducerId(msg: InitProducerIdResponse): void {
    this.producerId = msg.producerId;
    this.producerEpoch = msg.producerEpoch;
    this.tv2 = (msg.transactionVersion ?? 0) >= 2;
    this.sequences.clear();
  }

  /** EndTxn answered NONE. Under transaction.version 2 the next transaction runs under the epoch the answer carries
   *  (KIP-890 part 2), its sequences from 0 again. Returns whether an InitProducerId must bump the epoch now
   *  (KIP-360's bump is the classic protocol's; under transaction.version 2 the answer bumped it already). */
  onEndTxn(bumpedEpoch: number | undefined): boolean {
    if (this.tv2 && bumpedEpoch !== undefined && bumpedEpoch > this.producerEpoch) {
      this.producerEpoch = bumpedEpoch;
      this.sequences.clear();
    }
    if (!this.epochBumpRequired) return false;
    this.epochBumpRequired = false;
    return !this.tv2;
  }

  /** A coordinator's error: what to do (txnCoordinatorErrorAction); forgets the coordinator when it must be found
   *  again. */
  coordinatorError(error: KafkaErrorCode): "find-coordinator" | "retry" | "fatal" {
    const action = txnCoordinatorErrorAction(error);
    if (action === "find-coordinator") this.coordinator = null;
    return action;
  }

  // ---------------------------------------------------------------- sequences

  /** The base sequence of a batch of `count` records leaving for `tp`. */
  nextSequence(tp: string, count: number): number {
    const base = this.sequences.get(tp) ?? 0;
    this.sequences.set(tp, base + count);
    return base;
  }

  /** A batch of `tp` from `baseSequence` failed without an acknowledgement (delivery.timeout.ms, or refused with an
   *  abortable error: TransactionManager.handleFailedBatch): its sequence is unresolved. 2.5+ (KIP-360,
   *  `needToTriggerEpochBumpFromClient`): bump the epoch once the transaction is aborted; under transaction.version 2
   *  the abort itself bumps it. Before 2.5 the partition's sequence goes back to the batch's when the leader
   *  refused it (nothing of the partition after it has a sequence: one batch of a partition in flight at a time);
   *  but an expired batch that was sent may have been written, and reusing its sequence would have the leader
   *  take the next records for duplicates of it: the producer cannot go on, a fatal error (KIP-360's motivation:
   *  "the producer can't continue because it doesn't know what sequence number to assign"). "reset": the sequence went
   *  back (before 2.5 also after a refusal of a batch an earlier attempt of which may have been written). */
  sequenceUnresolved(tp: string, baseSequence: number, outcomeUnknown: boolean): "bump" | "fatal" | "reset" {
    if (this.opts.kip360 && !this.tv2) {
      this.epochBumpRequired = true;
      return "bump";
    }
    if (outcomeUnknown && !this.tv2) return "fatal";
    this.sequences.set(tp, baseSequence);
    return "reset";
  }
}
