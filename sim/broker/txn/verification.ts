// KIP-890 part 1, partition verification (3.6+, `transaction.partition.verification.enable`; kafka-facts T14): a
// partition leader that receives a transactional batch from a producer with no ongoing transaction on that
// partition first asks the producer's transaction coordinator whether the partition is in the producer's
// transaction (ReplicaManager.appendRecords → maybeStartTransactionVerificationForPartitions →
// AddPartitionsToTxnManager: AddPartitionsToTxn v4 verifyOnly; the coordinator answers with
// handleVerifyPartitionsInTransaction), and appends only what it verified. A late produce request of a transaction
// that has since been aborted is refused (INVALID_TXN_STATE) instead of starting a transaction on the partition that
// no coordinator knows and nothing ends (the classic "hanging transaction"). Requests of non-transactional producers
// never come here (the broker checks transactionalId first).
// KIP-890 part 2 (4.0+, a client of transaction.version 2 sends Produce v12+): the leader asks the coordinator to
// ADD the partition instead (AddPartitionsToTxn with verifyOnly=false; the client sent no AddPartitionsToTxn), also
// when verification is disabled, and retries CONCURRENT_TRANSACTIONS itself for a while (the previous transaction is
// still writing its markers). The group coordinator adds a group's __consumer_offsets partition the same way for
// TxnOffsetCommit v5+ (addOffsetsPartition). kafka-facts T13, T14.
import type { NodeId } from "../../core/ids.ts";
import { brokerNode, tpKey } from "../../core/ids.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { ProduceRequest } from "../../kafka/protocol.ts";
import type { TopicPartitionRef } from "../../kafka/protocol-group.ts";
import type { TxnSupportedOperation, VerifyPartitionsResponse } from "../../kafka/protocol-txn.ts";
import type { BrokerCtx } from "../group/host.ts";
import { OFFSETS_TOPIC } from "../group/host.ts";
import { TXN_TOPIC, txnPartitionFor } from "./host.ts";

/** ReplicaManager.handleProduceAppend retries an add answered CONCURRENT_TRANSACTIONS after
 *  add.partitions.to.txn.retry.backoff.ms (20) until min(add.partitions.to.txn.retry.backoff.max.ms (100),
 *  request.timeout.ms) has passed since the first attempt, then answers the producer with it (not converted). */
const ADD_RETRY_BACKOFF_US = 20_000;
const ADD_RETRY_MAX_MS = 100;

/** What the verifier needs of its broker. */
export interface VerifierHost {
  readonly brokerId: number;
  /** Partitions of __transaction_state. */
  readonly txnPartitions: number;
  /** The inter-broker request.timeout.ms. */
  readonly requestTimeoutMs: number;
  /** transaction.partition.verification.enable: verify-only requests need it; KIP-890 part 2's adds do not
   *  (maybeSendPartitionsToTransactionCoordinator: `!supportsEpochBump && !transactionPartitionVerificationEnable`). */
  readonly verificationEnabled: boolean;
  /** The leader of a partition in this broker's metadata cache when that broker is alive there, else null. */
  cachedLeaderOf(topic: string, partition: number): number | null;
  /** true: this broker leads the partition and the producer has no ongoing transaction there — at `producerEpoch`
   *  when it is not null (UnifiedLog.hasOngoingTransaction(producerId, producerEpoch): a transaction open under an
   *  earlier epoch may be finished already) — so verification (or the add) is needed; false otherwise (not the
   *  leader: the append answers that; or the transaction is open). */
  needsVerification(topic: string, partition: number, producerId: number, producerEpoch: number | null): boolean;
  /** Run the produce request with the verification's refusals (batch index → error). */
  resumeProduce(ctx: BrokerCtx, from: NodeId, req: ProduceRequest, refused: ReadonlyMap<number, KafkaErrorCode>): void;
}

/** One AddPartitionsToTxn to a coordinator: its errors per partition (in order), `answered` false when no answer came
 *  (no coordinator, a timeout). */
type AddCallback = (ctx: BrokerCtx, errors: readonly KafkaErrorCode[], answered: boolean) => void;

interface PendingRequest {
  readonly count: number;
  readonly partitions: readonly TopicPartitionRef[];
  readonly done: AddCallback;
  /** The request timeout's timer. */
  timer: number;
}

class VerifyTimeout {
  constructor(readonly corr: number) {}
}
class AddRetry {
  constructor(readonly run: (ctx: BrokerCtx) => void) {}
}

export class PartitionVerifier {
  private readonly pending = new Map<number, PendingRequest>();
  private nextCorr = 1;

  constructor(private readonly host: VerifierHost) {}

  /** A transactional produce request: true when it waits for verification or the add (it is resumed on the answer). */
  intercept(ctx: BrokerCtx, from: NodeId, req: ProduceRequest): boolean {
    const transactionalId = req.transactionalId;
    if (transactionalId === undefined || transactionalId === null || req.producerId < 0) return false;
    const add = req.transactionSupport === "add-partition";
    if (!add && !this.host.verificationEnabled) return false;
    let indexes: number[] | null = null;
    for (let i = 0; i < req.batches.length; i++) {
      const b = req.batches[i] as (typeof req.batches)[number];
      if (!this.host.needsVerification(b.topic, b.partition, req.producerId, add ? req.producerEpoch : null)) continue;
      (indexes ??= []).push(i);
    }
    if (indexes === null) return false;
    this.verifyProduce(ctx, from, req, transactionalId, indexes, ctx.nowUs);
    return true;
  }

  private verifyProduce(ctx: BrokerCtx, from: NodeId, req: ProduceRequest, transactionalId: string, indexes: readonly number[], startUs: number): void {
    const op = req.transactionSupport;
    const partitions = indexes.map((i) => {
      const b = req.batches[i] as (typeof req.batches)[number];
      return { topic: b.topic, partition: b.partition };
    });
    this.addOrVerify(ctx, transactionalId, req.producerId, req.producerEpoch, partitions, op, (c, errors, answered) => {
      if (op === "add-partition" && answered && errors.includes("CONCURRENT_TRANSACTIONS") && c.nowUs - startUs < Math.min(ADD_RETRY_MAX_MS, this.host.requestTimeoutMs) * 1000) {
        c.setTimer(ADD_RETRY_BACKOFF_US, new AddRetry((c2) => this.verifyProduce(c2, from, req, transactionalId, indexes, startUs)));
        return;
      }
      const refused = new Map<number, KafkaErrorCode>();
      indexes.forEach((i, k) => {
        const error = errors[k] as KafkaErrorCode;
        if (error === "NONE") return;
        refused.set(i, produceErrorOf(error, op));
        if (!answered) return;
        const b = req.batches[i] as (typeof req.batches)[number];
        c.emit({ type: "txn-verify-refused", tp: tpKey(b.topic, b.partition), broker: this.host.brokerId, producerId: req.producerId, producerEpoch: req.producerEpoch, error });
      });
      this.host.resumeProduce(c, from, req, refused);
    });
  }

  /** TxnOffsetCommit v5+ (a client of transaction.version 2): the group coordinator has the group's
   *  __consumer_offsets partition added to the transaction before it writes the offsets
   *  (CoordinatorPartitionWriter.maybeStartTransactionVerification with ADD_PARTITION, unless the producer's
   *  transaction is open there at this epoch). `done` gets the error for TxnOffsetCommit (GroupCoordinatorService
   *  handleOperationException: NETWORK_EXCEPTION → COORDINATOR_LOAD_IN_PROGRESS, which the client retries). */
  addOffsetsPartition(ctx: BrokerCtx, transactionalId: string, producerId: number, producerEpoch: number, partition: number, done: (error: KafkaErrorCode) => void): void {
    if (!this.host.needsVerification(OFFSETS_TOPIC, partition, producerId, producerEpoch)) return done("NONE");
    this.addOrVerify(ctx, transactionalId, producerId, producerEpoch, [{ topic: OFFSETS_TOPIC, partition }], "add-partition", (_c, errors) => {
      const error = errors[0] as KafkaErrorCode;
      done(error === "PRODUCER_FENCED" ? "INVALID_PRODUCER_EPOCH" : error === "NETWORK_EXCEPTION" ? "COORDINATOR_LOAD_IN_PROGRESS" : error);
    });
  }

  /** AddPartitionsToTxnManager.addOrVerifyTransaction: one AddPartitionsToTxn to the producer's coordinator,
   *  verifyOnly unless the operation is "add-partition". No live coordinator: COORDINATOR_NOT_AVAILABLE. */
  private addOrVerify(ctx: BrokerCtx, transactionalId: string, producerId: number, producerEpoch: number, partitions: readonly TopicPartitionRef[], operation: TxnSupportedOperation | undefined, done: AddCallback): void {
    const coordinator = this.host.cachedLeaderOf(TXN_TOPIC, txnPartitionFor(transactionalId, this.host.txnPartitions));
    if (coordinator === null) return done(ctx, partitions.map(() => "COORDINATOR_NOT_AVAILABLE"), false);
    const corr = this.nextCorr++;
    const pending: PendingRequest = { count: partitions.length, partitions, done, timer: -1 };
    this.pending.set(corr, pending);
    pending.timer = ctx.setTimer(this.host.requestTimeoutMs * 1000, new VerifyTimeout(corr));
    ctx.send(brokerNode(coordinator), { type: "txn.verify-partitions", corr, transactionalId, producerId, producerEpoch, partitions, ...(operation === undefined ? {} : { operation }) });
  }

  /** The coordinator's answer (AddPartitionsToTxnManager.AddPartitionsToTxnHandler.onComplete). */
  onResponse(ctx: BrokerCtx, msg: VerifyPartitionsResponse): void {
    const p = this.pending.get(msg.corr);
    if (p === undefined) return;
    this.pending.delete(msg.corr);
    ctx.cancelTimer(p.timer);
    const errors = p.partitions.map((tp) => msg.results.find((x) => x.topic === tp.topic && x.partition === tp.partition)?.error ?? "NETWORK_EXCEPTION");
    p.done(ctx, errors, true);
  }

  /** The request timed out (the inter-broker channel's request.timeout.ms): NETWORK_EXCEPTION; or an add's retry. */
  onTimer(ctx: BrokerCtx, tag: unknown): boolean {
    if (tag instanceof AddRetry) {
      tag.run(ctx);
      return true;
    }
    if (!(tag instanceof VerifyTimeout)) return false;
    const p = this.pending.get(tag.corr);
    if (p === undefined) return true;
    this.pending.delete(tag.corr);
    p.done(ctx, p.partitions.map(() => "NETWORK_EXCEPTION"), false);
    return true;
  }

  /** A restart forgets the requests waiting for verification (their clients time out). */
  clear(): void {
    this.pending.clear();
  }
}

/** What a produce request gets for a coordinator's verification error (AddPartitionsToTxnManager: PRODUCER_FENCED →
 *  INVALID_PRODUCER_EPOCH, "producers expect to handle" it; ReplicaManager.handleProduceAppend: the coordinator's
 *  retriable errors → NOT_ENOUGH_REPLICAS, but CONCURRENT_TRANSACTIONS as it is for an "add-partition" request —
 *  "less confusing to the client" during the previous transaction's commit). */
export function produceErrorOf(error: KafkaErrorCode, operation?: TxnSupportedOperation): KafkaErrorCode {
  switch (error) {
    case "PRODUCER_FENCED":
      return "INVALID_PRODUCER_EPOCH";
    case "CONCURRENT_TRANSACTIONS":
      return operation === "add-partition" ? error : "NOT_ENOUGH_REPLICAS";
    case "COORDINATOR_NOT_AVAILABLE":
    case "NOT_COORDINATOR":
    case "COORDINATOR_LOAD_IN_PROGRESS":
      return "NOT_ENOUGH_REPLICAS";
    default:
      return error;
  }
}
