// The transaction coordinator (core/.../coordinator/transaction/TransactionCoordinator.scala with
// TransactionStateManager): each broker coordinates the transactional ids of the
// __transaction_state partitions it leads (abs(hash(transactional.id)) % transaction.state.log.num.partitions),
// loads their state when it becomes leader of one, and writes every transition to that partition with acks=all
// before it applies it (appendTransactionToLog). InitProducerId bumps the producer epoch (fencing older instances)
// and first aborts a transaction the previous instance left open; AddPartitionsToTxn / AddOffsetsToTxn start or
// widen a transaction; EndTxn writes PrepareCommit / PrepareAbort, answers, and hands the markers to the marker
// channel, after which CompleteCommit / CompleteAbort is written. A sweep aborts transactions open longer than their
// timeout, fencing their producer. Under transaction.version 2 (KIP-890 part 2, a client's EndTxn v5) every EndTxn
// bumps the epoch and a late EndTxn of an earlier transaction is fenced (kafka-facts T12, T13).
import type { NodeId } from "../../core/ids.ts";
import { tpKey } from "../../core/ids.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import { coordinatorAppendError } from "../../kafka/errors.ts";
import type { FindCoordinatorRequest, InitProducerIdRequest, TopicPartitionRef } from "../../kafka/protocol-group.ts";
import type { AddOffsetsToTxnRequest, AddPartitionsToTxnRequest, EndTxnRequest, VerifyPartitionsRequest } from "../../kafka/protocol-txn.ts";
import { OFFSETS_TOPIC } from "../group/host.ts";
import type { BrokerCtx } from "../group/host.ts";
import { offsetsPartitionFor } from "../group/partition.ts";
import type { TxnState } from "./events.ts";
import type { TxnHost } from "./host.ts";
import { TXN_TOPIC, txnPartitionFor } from "./host.ts";
import type { TxnMetadata, TxnTransit } from "./metadata.ts";
import { applyTransit, decodeTransit, metadataFrom, transactionalIdOfKey, tvField, txnKeyName, txnValueName } from "./metadata.ts";
import { MarkerChannel, PendingMarkers } from "./markers.ts";

/** How long a transaction log append may wait for replication (the broker's request.timeout.ms is 30 s in Kafka;
 *  kafkasim's coordinators use 5 s, as its group coordinator does). */
const LOG_APPEND_TIMEOUT_MS = 5000;
/** Back-off before retrying a Complete* write that failed while the coordinator still leads its partition. */
const COMPLETE_RETRY_US = 100_000;

class SweepTag {}
class CompleteRetry {
  constructor(
    readonly transactionalId: string,
    readonly m: TxnMetadata,
    readonly commit: boolean,
    readonly coordinatorEpoch: number,
  ) {}
}

type Lookup = { readonly partition: number; readonly coordinatorEpoch: number } | KafkaErrorCode;

export class TxnCoordinator {
  private readonly txns = new Map<string, TxnMetadata>();
  /** __transaction_state partitions loaded here → the coordinator epoch (the leader epoch) they were loaded at. */
  private readonly loaded = new Map<number, number>();
  readonly markers: MarkerChannel;
  private readonly sweepTag = new SweepTag();
  /** The sweep timer runs once this broker has coordinated a __transaction_state partition (a run without
   *  transactions has no such topic and no sweep: its trace is unchanged). */
  private sweeping = false;

  constructor(private readonly host: TxnHost) {
    this.markers = new MarkerChannel(host);
  }

  onStart(_ctx: BrokerCtx): void {
    // A restart forgets the timer: it is set again when this broker loads a partition.
    this.sweeping = false;
  }

  /** TransactionCoordinator.startup schedules "transaction-abort" every
   *  transaction.abort.timed.out.transaction.cleanup.interval.ms; here from the first partition loaded. */
  private startSweep(ctx: BrokerCtx): void {
    if (this.sweeping) return;
    this.sweeping = true;
    ctx.setTimer(this.sweepIntervalUs(), this.sweepTag);
  }

  private sweepIntervalUs(): number {
    return Math.max(1, this.host.config["transaction.abort.timed.out.transaction.cleanup.interval.ms"] * 1000);
  }

  onTimer(ctx: BrokerCtx, tag: unknown): boolean {
    if (tag === this.sweepTag) {
      this.abortTimedOut(ctx);
      ctx.setTimer(this.sweepIntervalUs(), this.sweepTag);
      return true;
    }
    if (tag instanceof CompleteRetry) {
      if (this.txns.get(tag.transactionalId) === tag.m) this.writeComplete(ctx, tag.m, tag.commit, tag.coordinatorEpoch);
      return true;
    }
    return this.markers.onTimer(ctx, tag);
  }

  /** The transactions this broker coordinates now (final state, tests). */
  transactions(): readonly TxnMetadata[] {
    return [...this.txns.values()];
  }

  // ---------------------------------------------------------------- partitions of __transaction_state

  /** Became leader of __transaction_state-<partition>: load its transactional ids (to the log end) and finish what a
   *  previous coordinator left prepared (loadTransactionsForTxnTopicPartition). */
  onElected(ctx: BrokerCtx, partition: number): void {
    const epoch = this.host.txnLeaderEpoch(partition);
    this.markers.removeFor(ctx, partition);
    for (const [id, m] of this.txns) if (txnPartitionFor(m.transactionalId, this.host.txnPartitions) === partition) this.txns.delete(id);
    const { keys, values, count } = this.host.readTxnLog(partition);
    const latest = new Map<string, TxnTransit>();
    for (let i = 0; i < count; i++) {
      const id = transactionalIdOfKey(this.host.keyName(keys[i] as number));
      const t = decodeTransit(this.host.keyName(values[i] as number));
      if (id !== undefined && t !== undefined) latest.set(id, t);
    }
    this.loaded.set(partition, epoch);
    this.startSweep(ctx);
    for (const [id, t] of latest) {
      const m = metadataFrom(id, t);
      this.txns.set(id, m);
      if (m.state === "PrepareCommit" || m.state === "PrepareAbort") {
        const commit = m.state === "PrepareCommit";
        m.pending = commit ? "CompleteCommit" : "CompleteAbort";
        this.sendMarkers(ctx, m, partition, epoch, commit);
      }
    }
  }

  /** Lost that leadership: forget its transactional ids and stop their markers (onResignation). */
  onResigned(ctx: BrokerCtx, partition: number): void {
    this.loaded.delete(partition);
    this.markers.removeFor(ctx, partition);
    for (const [id, m] of this.txns) if (txnPartitionFor(m.transactionalId, this.host.txnPartitions) === partition) this.txns.delete(id);
  }

  private lookup(transactionalId: string): Lookup {
    const partition = txnPartitionFor(transactionalId, this.host.txnPartitions);
    const epoch = this.loaded.get(partition);
    if (epoch === undefined || !this.host.isTxnLeader(partition)) return "NOT_COORDINATOR";
    return { partition, coordinatorEpoch: epoch };
  }

  /** Write a transition, then apply it (appendTransactionToLog): append errors become coordinator errors, and a
   *  coordinator that lost or reloaded its partition meanwhile answers NOT_COORDINATOR without applying it. */
  private write(ctx: BrokerCtx, m: TxnMetadata, partition: number, coordinatorEpoch: number, t: TxnTransit, done: (error: KafkaErrorCode) => void): void {
    m.pending = t.state;
    const key = this.host.internKey(txnKeyName(m.transactionalId));
    const value = this.host.internKey(txnValueName(t));
    this.host.appendTxnLog(ctx, partition, [key], [value], LOG_APPEND_TIMEOUT_MS, (error) => {
      const current = this.txns.get(m.transactionalId) === m && this.loaded.get(partition) === coordinatorEpoch;
      if (error !== "NONE") {
        if (current && m.pending === t.state) m.pending = null;
        return done(coordinatorAppendError(error));
      }
      if (!current) return done("NOT_COORDINATOR");
      applyTransit(m, t);
      ctx.emit({ type: "txn-transition", broker: this.host.brokerId, transactionalId: m.transactionalId, producerId: t.producerId, producerEpoch: t.producerEpoch, state: t.state, partitions: t.partitions });
      done("NONE");
    });
  }

  // ---------------------------------------------------------------- requests

  /** FindCoordinator (key type transaction), answered from the metadata cache like the group's (KafkaApis.getCoordinator). */
  handleFindCoordinator(ctx: BrokerCtx, from: NodeId, msg: FindCoordinatorRequest): void {
    const leader = this.host.cachedLeaderOf(TXN_TOPIC, txnPartitionFor(msg.key, this.host.txnPartitions));
    ctx.send(from, { type: "group.find-coordinator-response", corr: msg.corr, error: leader === null ? "COORDINATOR_NOT_AVAILABLE" : "NONE", nodeId: leader ?? -1 });
  }

  handleInitProducerId(ctx: BrokerCtx, from: NodeId, msg: InitProducerIdRequest & { readonly transactionalId: string }): void {
    // The cluster's finalized transaction.version, as a client learns it (ApiVersions) when it is 2.
    const tv = this.host.transactionVersion >= 2 ? { transactionVersion: this.host.transactionVersion } : {};
    const reply = (error: KafkaErrorCode, producerId = -1, producerEpoch = -1): void => ctx.send(from, { type: "group.init-producer-id-response", corr: msg.corr, error, producerId, producerEpoch, ...tv });
    const where = this.lookup(msg.transactionalId);
    if (typeof where === "string") return reply(where);
    const timeoutMs = msg.transactionTimeoutMs ?? 60_000;
    if (timeoutMs > this.host.config["transaction.max.timeout.ms"]) return reply("INVALID_TRANSACTION_TIMEOUT");
    let m = this.txns.get(msg.transactionalId);
    if (m === undefined) {
      m = { transactionalId: msg.transactionalId, producerId: this.host.allocateProducerId(ctx), producerEpoch: -1, timeoutMs, state: "Empty", partitions: new Set(), startUs: ctx.nowUs, pending: null, clientTransactionVersion: 0 };
      this.txns.set(msg.transactionalId, m);
    }
    if (m.pending !== null) return reply("CONCURRENT_TRANSACTIONS");
    // KIP-360: a producer that names the id and epoch it has must still own them.
    const expected = msg.producerId !== undefined && msg.producerId >= 0;
    if (expected && m.producerEpoch !== -1 && (msg.producerId !== m.producerId || msg.producerEpoch !== m.producerEpoch)) return reply("PRODUCER_FENCED");
    const meta = m;
    switch (m.state) {
      case "PrepareCommit":
      case "PrepareAbort":
        return reply("CONCURRENT_TRANSACTIONS");
      case "Empty":
      case "CompleteCommit":
      case "CompleteAbort": {
        // prepareIncrementProducerEpoch.
        const t: TxnTransit = { producerId: m.producerId, producerEpoch: m.producerEpoch + 1, timeoutMs, state: "Empty", partitions: [], startUs: ctx.nowUs, ...tvField(m.clientTransactionVersion) };
        return this.write(ctx, m, where.partition, where.coordinatorEpoch, t, (error) => (error === "NONE" ? reply("NONE", meta.producerId, meta.producerEpoch) : reply(error)));
      }
      case "Ongoing":
        // prepareFenceProducerEpoch: abort the open transaction with a bumped epoch (never returned to anyone), and
        // answer CONCURRENT_TRANSACTIONS so the client retries and gets the epoch after that.
        return this.endTransaction(ctx, m, where.partition, where.coordinatorEpoch, false, m.producerEpoch + 1, this.host.transactionVersion, (error) => reply(error === "NONE" ? "CONCURRENT_TRANSACTIONS" : error));
      case "PrepareEpochFence":
        return reply("CONCURRENT_TRANSACTIONS");
    }
  }

  /** The checks AddPartitionsToTxn, AddOffsetsToTxn and EndTxn share: the id is ours and known, the producer id
   *  and epoch are the current ones, no transition is being written. */
  private checkProducer(transactionalId: string, producerId: number, producerEpoch: number): { readonly m: TxnMetadata; readonly partition: number; readonly coordinatorEpoch: number } | KafkaErrorCode {
    const where = this.lookup(transactionalId);
    if (typeof where === "string") return where;
    const m = this.txns.get(transactionalId);
    if (m === undefined || m.producerId !== producerId) return "INVALID_PRODUCER_ID_MAPPING";
    if (m.producerEpoch !== producerEpoch) return "PRODUCER_FENCED";
    if (m.pending !== null) return "CONCURRENT_TRANSACTIONS";
    return { m, partition: where.partition, coordinatorEpoch: where.coordinatorEpoch };
  }

  handleAddPartitions(ctx: BrokerCtx, from: NodeId, msg: AddPartitionsToTxnRequest): void {
    this.addPartitions(ctx, msg.transactionalId, msg.producerId, msg.producerEpoch, msg.partitions, (error) =>
      ctx.send(from, { type: "txn.add-partitions-response", corr: msg.corr, results: msg.partitions.map((p) => ({ topic: p.topic, partition: p.partition, error })) }),
    );
  }

  /** AddPartitionsToTxn from a broker (AddPartitionsToTxnManager). verifyOnly: TransactionCoordinator
   *  .handleVerifyPartitionsInTransaction (KIP-890 part 1) — nothing is written; pending transitions are not checked
   *  (the append re-checks). For a client of transaction.version 2 (KIP-890 part 2, verifyOnly=false):
   *  handleAddPartitionsToTransaction, as for a client's AddPartitionsToTxn — it starts the transaction from
   *  Empty/CompleteCommit/CompleteAbort at the current epoch (prepareAddPartitions). */
  handleVerifyPartitions(ctx: BrokerCtx, from: NodeId, msg: VerifyPartitionsRequest): void {
    const answer = (errorOf: (p: TopicPartitionRef) => KafkaErrorCode): void =>
      ctx.send(from, { type: "txn.verify-partitions-response", corr: msg.corr, results: msg.partitions.map((p) => ({ topic: p.topic, partition: p.partition, error: errorOf(p) })) });
    if (msg.operation === "add-partition") return this.addPartitions(ctx, msg.transactionalId, msg.producerId, msg.producerEpoch, msg.partitions, (error) => answer(() => error), 2);
    const where = this.lookup(msg.transactionalId);
    if (typeof where === "string") return answer(() => where);
    const m = this.txns.get(msg.transactionalId);
    if (m === undefined || m.producerId !== msg.producerId) return answer(() => "INVALID_PRODUCER_ID_MAPPING");
    if (m.producerEpoch !== msg.producerEpoch) return answer(() => "PRODUCER_FENCED");
    if (m.state === "PrepareCommit" || m.state === "PrepareAbort") return answer(() => "CONCURRENT_TRANSACTIONS");
    // A partition is in the transaction from its AddPartitionsToTxn until the transaction completes (the partitions
    // are cleared at CompleteCommit/CompleteAbort). The coordinator answers TRANSACTION_ABORTABLE, which
    // AddPartitionsToTxnManager turns into INVALID_TXN_STATE for a client request of the default operation (Produce
    // below v11, "for backward compatibility with clients"); kafkasim answers the leader's request that way directly.
    const ongoing = m.state === "Ongoing";
    const refusal: KafkaErrorCode = msg.operation === undefined ? "INVALID_TXN_STATE" : "TRANSACTION_ABORTABLE";
    return answer((p) => (ongoing && m.partitions.has(tpKey(p.topic, p.partition)) ? "NONE" : refusal));
  }

  handleAddOffsets(ctx: BrokerCtx, from: NodeId, msg: AddOffsetsToTxnRequest): void {
    // TransactionCoordinator.handleAddPartitionsToTransaction with the group's __consumer_offsets partition.
    const offsets = { topic: OFFSETS_TOPIC, partition: offsetsPartitionFor(msg.groupId, this.host.offsetsPartitions) };
    this.addPartitions(ctx, msg.transactionalId, msg.producerId, msg.producerEpoch, [offsets], (error) => ctx.send(from, { type: "txn.add-offsets-response", corr: msg.corr, error }));
  }

  /** TransactionCoordinator.handleAddPartitionsToTransaction; `clientTv` 2: a broker's add for a client of
   *  transaction.version 2 (the transaction's clientTransactionVersion becomes 2), else the transaction's own. */
  private addPartitions(ctx: BrokerCtx, transactionalId: string, producerId: number, producerEpoch: number, partitions: readonly TopicPartitionRef[], done: (error: KafkaErrorCode) => void, clientTv = -1): void {
    const c = this.checkProducer(transactionalId, producerId, producerEpoch);
    if (typeof c === "string") return done(c);
    const m = c.m;
    if (m.state === "PrepareCommit" || m.state === "PrepareAbort") return done("CONCURRENT_TRANSACTIONS");
    const keys = partitions.map((p) => tpKey(p.topic, p.partition));
    if (m.state === "Ongoing" && keys.every((k) => m.partitions.has(k))) return done("NONE");
    // prepareAddPartitions: a new transaction starts its clock.
    const startUs = m.state === "Ongoing" ? m.startUs : ctx.nowUs;
    const t: TxnTransit = { producerId: m.producerId, producerEpoch: m.producerEpoch, timeoutMs: m.timeoutMs, state: "Ongoing", partitions: [...new Set([...m.partitions, ...keys])], startUs, ...tvField(clientTv >= 0 ? clientTv : m.clientTransactionVersion) };
    this.write(ctx, m, c.partition, c.coordinatorEpoch, t, done);
  }

  handleEndTxn(ctx: BrokerCtx, from: NodeId, msg: EndTxnRequest): void {
    // KafkaApis.handleEndTxnRequest: EndTxn v5+ is a client of transaction.version 2 (it sends v5 only when the
    // cluster finalized TV_2). Its answer carries the producer id and the (bumped) epoch.
    const clientTv = (msg.transactionVersion ?? 0) >= 2 && this.host.transactionVersion >= 2 ? 2 : 0;
    const reply = (error: KafkaErrorCode, m?: TxnMetadata): void => {
      if (clientTv >= 2 && error === "NONE" && m !== undefined) ctx.send(from, { type: "txn.end-response", corr: msg.corr, error, producerId: m.producerId, producerEpoch: m.producerEpoch });
      else ctx.send(from, { type: "txn.end-response", corr: msg.corr, error });
    };
    const where = this.lookup(msg.transactionalId);
    if (typeof where === "string") return reply(where);
    const m = this.txns.get(msg.transactionalId);
    if (m === undefined || m.producerId !== msg.producerId) return reply("INVALID_PRODUCER_ID_MAPPING");
    if (!endTxnEpochValid(m, msg.producerEpoch)) {
      ctx.emit({ type: "txn-end-fenced", broker: this.host.brokerId, transactionalId: m.transactionalId, producerId: m.producerId, producerEpoch: msg.producerEpoch, currentEpoch: m.producerEpoch, state: m.state });
      return reply("PRODUCER_FENCED");
    }
    if (m.pending !== null) return reply("CONCURRENT_TRANSACTIONS");
    if (clientTv >= 2 && msg.producerEpoch === m.producerEpoch && (m.state === "Empty" || m.state === "CompleteCommit" || m.state === "CompleteAbort")) {
      // Transaction version 2, not a retry (its epoch is the current one, not one below): a transaction the client
      // began but the coordinator never heard of — its partitions' implicit adds all failed (an abortable error such
      // as TRANSACTION_ABORTABLE). An ABORT bumps the epoch with no partitions and no markers (endTransaction:
      // generateTxnTransitMetadataForTxnCompletion(PrepareAbort, noPartitionAdded = true)); a COMMIT is
      // INVALID_TXN_STATE (logInvalidStateTransitionAndReturnError).
      if (msg.commit) return reply("INVALID_TXN_STATE");
      return this.prepareEnd(ctx, m, where.partition, where.coordinatorEpoch, false, m.producerEpoch + 1, clientTv, ctx.nowUs, (error) => reply(error, m));
    }
    this.endTransaction(ctx, m, where.partition, where.coordinatorEpoch, msg.commit, m.producerEpoch, clientTv, (error) => reply(error, m));
  }

  /** TransactionCoordinator.endTransaction: from Ongoing, write PrepareCommit / PrepareAbort at `producerEpoch` (the
   *  current one, or the bumped one of a fence) — one more under transaction.version 2 (prepareAbortOrCommit: the
   *  epoch bump per transaction, KIP-890 part 2) — answer, then send the markers (at that epoch); a retried EndTxn
   *  of a completed transaction is answered NONE. */
  private endTransaction(ctx: BrokerCtx, m: TxnMetadata, partition: number, coordinatorEpoch: number, commit: boolean, producerEpoch: number, clientTv: number, done: (error: KafkaErrorCode) => void): void {
    const sameResult = (s: TxnState): boolean => (commit ? s.endsWith("Commit") : s.endsWith("Abort"));
    switch (m.state) {
      case "Ongoing":
        return this.prepareEnd(ctx, m, partition, coordinatorEpoch, commit, clientTv >= 2 ? producerEpoch + 1 : producerEpoch, clientTv, m.startUs, done);
      case "CompleteCommit":
      case "CompleteAbort":
        return done(sameResult(m.state) ? "NONE" : "INVALID_TXN_STATE");
      case "PrepareCommit":
      case "PrepareAbort":
        return done(sameResult(m.state) ? "CONCURRENT_TRANSACTIONS" : "INVALID_TXN_STATE");
      case "Empty":
      case "PrepareEpochFence":
        return done("INVALID_TXN_STATE");
    }
  }

  /** prepareAbortOrCommit at `epoch`: write PrepareCommit / PrepareAbort, answer (sendTxnMarkersCallback: at once),
   *  then write the markers to the transaction's partitions (none: CompleteAbort right away). */
  private prepareEnd(ctx: BrokerCtx, m: TxnMetadata, partition: number, coordinatorEpoch: number, commit: boolean, epoch: number, clientTv: number, startUs: number, done: (error: KafkaErrorCode) => void): void {
    const t: TxnTransit = { producerId: m.producerId, producerEpoch: epoch, timeoutMs: m.timeoutMs, state: commit ? "PrepareCommit" : "PrepareAbort", partitions: [...m.partitions], startUs, ...tvField(clientTv) };
    this.write(ctx, m, partition, coordinatorEpoch, t, (error) => {
      if (error !== "NONE") return done(error);
      done("NONE");
      m.pending = commit ? "CompleteCommit" : "CompleteAbort";
      this.sendMarkers(ctx, m, partition, coordinatorEpoch, commit);
    });
  }

  private sendMarkers(ctx: BrokerCtx, m: TxnMetadata, partition: number, coordinatorEpoch: number, commit: boolean): void {
    const pm = new PendingMarkers(m.transactionalId, partition, m.producerId, m.producerEpoch, commit, coordinatorEpoch, (c) => this.writeComplete(c, m, commit, coordinatorEpoch));
    this.markers.send(ctx, pm, m.partitions);
  }

  /** Every partition has its marker: write CompleteCommit / CompleteAbort (prepareComplete), retrying while this
   *  broker still coordinates the transaction (TransactionMarkerChannelManager.tryAppendToLog). */
  private writeComplete(ctx: BrokerCtx, m: TxnMetadata, commit: boolean, coordinatorEpoch: number): void {
    const where = this.lookup(m.transactionalId);
    if (typeof where === "string" || where.coordinatorEpoch !== coordinatorEpoch || this.txns.get(m.transactionalId) !== m) return;
    const t: TxnTransit = { producerId: m.producerId, producerEpoch: m.producerEpoch, timeoutMs: m.timeoutMs, state: commit ? "CompleteCommit" : "CompleteAbort", partitions: [], startUs: m.startUs, ...tvField(m.clientTransactionVersion) };
    this.write(ctx, m, where.partition, coordinatorEpoch, t, (error) => {
      if (error === "COORDINATOR_NOT_AVAILABLE") {
        m.pending = t.state;
        ctx.setTimer(COMPLETE_RETRY_US, new CompleteRetry(m.transactionalId, m, commit, coordinatorEpoch));
      }
    });
  }

  /** abortTimedOutTransactions: every open transaction past its timeout is aborted with a bumped epoch. */
  private abortTimedOut(ctx: BrokerCtx): void {
    for (const m of this.txns.values()) {
      if (m.state !== "Ongoing" || m.pending !== null || m.startUs + m.timeoutMs * 1000 >= ctx.nowUs) continue;
      const where = this.lookup(m.transactionalId);
      if (typeof where === "string") continue;
      ctx.emit({ type: "txn-timed-out", broker: this.host.brokerId, transactionalId: m.transactionalId, producerId: m.producerId, producerEpoch: m.producerEpoch });
      this.endTransaction(ctx, m, where.partition, where.coordinatorEpoch, false, m.producerEpoch + 1, this.host.transactionVersion, () => {});
    }
  }
}

/** TransactionCoordinator.endTransaction's isValidEpoch for a client's EndTxn. Classic (transaction.version below 2):
 *  the epoch must be the current one — a late EndTxn of the previous transaction has it too, and acts on the next
 *  one (the late-message anomaly, KAFKA-17754). Version 2 (the transaction's clientTransactionVersion): in Ongoing
 *  or Empty the current epoch; in Prepare* the epoch one below (a retry of the EndTxn that bumped it,
 *  retryOnEpochBump); in Complete* that or the current one (the next transaction, whose partitions the coordinator
 *  may never have been asked to add: handleEndTxn); anything else is fenced (PRODUCER_FENCED), which is what stops a
 *  late one. */
export function endTxnEpochValid(m: Pick<TxnMetadata, "state" | "producerEpoch" | "clientTransactionVersion">, producerEpoch: number): boolean {
  if (m.clientTransactionVersion < 2) return producerEpoch === m.producerEpoch;
  switch (m.state) {
    case "Ongoing":
    case "Empty":
    case "PrepareEpochFence":
      return producerEpoch === m.producerEpoch;
    case "PrepareCommit":
    case "PrepareAbort":
      return m.producerEpoch === producerEpoch + 1;
    case "CompleteCommit":
    case "CompleteAbort":
      return m.producerEpoch === producerEpoch + 1 || m.producerEpoch === producerEpoch;
  }
}
