// KIP-890 part 1, partition verification (3.6+, `transaction.partition.verification.enable`; kafka-facts T14): a
// partition leader that receives a transactional batch from a producer with no ongoing transaction on that
// partition first asks the producer's transaction coordinator whether the partition is in the producer's
// transaction (ReplicaManager.appendRecords → maybeStartTransactionVerificationForPartitions →
// AddPartitionsToTxnManager: AddPartitionsToTxn v4 verifyOnly; the coordinator answers with
// handleVerifyPartitionsInTransaction), and appends only what it verified. A late produce request of a transaction
// that has since been aborted is refused (INVALID_TXN_STATE) instead of starting a transaction on the partition that
// no coordinator knows and nothing ends (the classic "hanging transaction"). Requests of non-transactional producers
// never come here (the broker checks transactionalId first).
import type { NodeId } from "../../core/ids.ts";
import { brokerNode, tpKey } from "../../core/ids.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { ProduceRequest } from "../../kafka/protocol.ts";
import type { VerifyPartitionsResponse } from "../../kafka/protocol-txn.ts";
import type { BrokerCtx } from "../group/host.ts";
import { TXN_TOPIC, txnPartitionFor } from "./host.ts";

/** What the verifier needs of its broker. */
export interface VerifierHost {
  readonly brokerId: number;
  /** Partitions of __transaction_state. */
  readonly txnPartitions: number;
  /** The inter-broker request.timeout.ms. */
  readonly requestTimeoutMs: number;
  /** The leader of a partition in this broker's metadata cache when that broker is alive there, else null. */
  cachedLeaderOf(topic: string, partition: number): number | null;
  /** true: this broker leads the partition and the producer has no ongoing transaction there (verification is
   *  needed); false otherwise (not the leader: the append answers that; or the transaction is open). */
  needsVerification(topic: string, partition: number, producerId: number): boolean;
  /** Run the produce request with the verification's refusals (batch index → error). */
  resumeProduce(ctx: BrokerCtx, from: NodeId, req: ProduceRequest, refused: ReadonlyMap<number, KafkaErrorCode>): void;
}

interface PendingVerification {
  readonly from: NodeId;
  readonly req: ProduceRequest;
  /** Batch indexes sent for verification, in the request's order. */
  readonly indexes: readonly number[];
  /** The request timeout's timer. */
  timer: number;
}

class VerifyTimeout {
  constructor(readonly corr: number) {}
}

export class PartitionVerifier {
  private readonly pending = new Map<number, PendingVerification>();
  private nextCorr = 1;

  constructor(private readonly host: VerifierHost) {}

  /** A transactional produce request: true when it waits for verification (it is resumed on the answer). */
  intercept(ctx: BrokerCtx, from: NodeId, req: ProduceRequest): boolean {
    const transactionalId = req.transactionalId;
    if (transactionalId === undefined || transactionalId === null || req.producerId < 0) return false;
    let indexes: number[] | null = null;
    for (let i = 0; i < req.batches.length; i++) {
      const b = req.batches[i] as (typeof req.batches)[number];
      if (!this.host.needsVerification(b.topic, b.partition, req.producerId)) continue;
      (indexes ??= []).push(i);
    }
    if (indexes === null) return false;
    const refuseAll = (error: KafkaErrorCode): void => this.host.resumeProduce(ctx, from, req, new Map((indexes as number[]).map((i) => [i, error])));
    const coordinator = this.host.cachedLeaderOf(TXN_TOPIC, txnPartitionFor(transactionalId, this.host.txnPartitions));
    // getTransactionCoordinator: no live leader → COORDINATOR_NOT_AVAILABLE, which ReplicaManager hands a produce
    // request older than v12 as NOT_ENOUGH_REPLICAS (retriable).
    if (coordinator === null) {
      refuseAll("NOT_ENOUGH_REPLICAS");
      return true;
    }
    const corr = this.nextCorr++;
    const pending: PendingVerification = { from, req, indexes, timer: -1 };
    this.pending.set(corr, pending);
    const partitions = indexes.map((i) => {
      const b = req.batches[i] as (typeof req.batches)[number];
      return { topic: b.topic, partition: b.partition };
    });
    pending.timer = ctx.setTimer(this.host.requestTimeoutMs * 1000, new VerifyTimeout(corr));
    ctx.send(brokerNode(coordinator), { type: "txn.verify-partitions", corr, transactionalId, producerId: req.producerId, producerEpoch: req.producerEpoch, partitions });
    return true;
  }

  /** The coordinator's answer (AddPartitionsToTxnManager.AddPartitionsToTxnHandler.onComplete). */
  onResponse(ctx: BrokerCtx, msg: VerifyPartitionsResponse): void {
    const p = this.pending.get(msg.corr);
    if (p === undefined) return;
    this.pending.delete(msg.corr);
    ctx.cancelTimer(p.timer);
    const refused = new Map<number, KafkaErrorCode>();
    for (const i of p.indexes) {
      const b = p.req.batches[i] as (typeof p.req.batches)[number];
      const r = msg.results.find((x) => x.topic === b.topic && x.partition === b.partition);
      const error = r?.error ?? "NETWORK_EXCEPTION";
      if (error === "NONE") continue;
      refused.set(i, produceErrorOf(error));
      ctx.emit({ type: "txn-verify-refused", tp: tpKey(b.topic, b.partition), broker: this.host.brokerId, producerId: p.req.producerId, producerEpoch: p.req.producerEpoch, error });
    }
    this.host.resumeProduce(ctx, p.from, p.req, refused);
  }

  /** The verification request timed out (the inter-broker channel's request.timeout.ms): NETWORK_EXCEPTION. */
  onTimer(ctx: BrokerCtx, tag: unknown): boolean {
    if (!(tag instanceof VerifyTimeout)) return false;
    const p = this.pending.get(tag.corr);
    if (p === undefined) return true;
    this.pending.delete(tag.corr);
    this.host.resumeProduce(ctx, p.from, p.req, new Map(p.indexes.map((i) => [i, "NETWORK_EXCEPTION" as KafkaErrorCode])));
    return true;
  }

  /** A restart forgets the requests waiting for verification (their clients time out). */
  clear(): void {
    this.pending.clear();
  }
}

/** What a produce request gets for a coordinator's verification error (AddPartitionsToTxnManager: PRODUCER_FENCED →
 *  INVALID_PRODUCER_EPOCH, "producers expect to handle" it; ReplicaManager: the coordinator's retriable errors →
 *  NOT_ENOUGH_REPLICAS for a produce request older than v12). */
export function produceErrorOf(error: KafkaErrorCode): KafkaErrorCode {
  switch (error) {
    case "PRODUCER_FENCED":
      return "INVALID_PRODUCER_EPOCH";
    case "COORDINATOR_NOT_AVAILABLE":
    case "NOT_COORDINATOR":
    case "COORDINATOR_LOAD_IN_PROGRESS":
    case "CONCURRENT_TRANSACTIONS":
      return "NOT_ENOUGH_REPLICAS";
    default:
      return error;
  }
}
