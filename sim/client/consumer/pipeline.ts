// Consume-transform-produce: the output stage of a consumer group member whose processing writes each record it
// processed to an output topic (processing.output), as an application calls producer.send per record:
//   transactional (exactly-once, KIP-98/KIP-447): the member's own transactional producer (transactional.id
//     "<group>/<member>") sends each output record inside the open transaction (AddPartitionsToTxn before a
//     partition's first write), and at the end of each poll batch commits the batch's input offsets in it —
//     AddOffsetsToTxn (the group's __consumer_offsets partition joins the transaction), TxnOffsetCommit with the
//     member's generation and member id (sendOffsetsToTransaction(offsets, consumer.groupMetadata()), 2.5+) — and
//     ends it with EndTxn COMMIT. An abortable error (a refused write, an output batch past delivery.timeout.ms,
//     CommitFailedException: the member left its generation) aborts the transaction at the batch's end and rewinds the member to its committed offsets; a
//     fenced producer (PRODUCER_FENCED / INVALID_PRODUCER_EPOCH) is replaced — the application closes it and
//     creates a new one, whose InitProducerId aborts what was open — and the member rewinds. A crash mid-batch
//     leaves the transaction open until the restarted member's InitProducerId (or the timeout) aborts it.
//   plain (at-least-once): each output record with acks=all as it is processed, by an idempotent producer (Kafka's
//     default from 3.0: a retried batch is not written twice); at the batch's end the producer is
//     flushed (every send acknowledged), then the processing commits the offsets as usual (processing.ts). A crash
//     between an output write and the commit writes that output again after the restart.
// The output record is the input record (value and key): an identity transform, so the output topic says which
// input each output came from (properties/checkers/duplicate-output.ts). The output producer is the transaction
// machinery the transactional producer has too (sim/client/txn/): its TransactionManager (coordinator, producer id
// and epoch, AddPartitionsToTxn, EndTxn; KIP-360's bump after an abort with a sequence unresolved, or under
// transaction.version 2 the epoch the EndTxn answer carries) and its accumulator (each output record to its
// partition's batch, sent when ready, Java's producer defaults: linger.ms 0, batch.size 16384, delivery.timeout.ms
// 120000 — without transactions, no expiry: the batch waits for its output). This file holds what is the pipeline's
// own: the batch's offsets (AddOffsetsToTxn, TxnOffsetCommit; one transactional request at a time, once every
// output is acknowledged), the group interaction and the rewind after an abort.
import type { NodeId } from "../../core/ids.ts";
import { brokerOfNode } from "../../core/ids.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { Message } from "../../kafka/protocol.ts";
import { versionAtLeast } from "../../kafka/profiles.ts";
import { partitionForKey } from "../partitioner.ts";
import { RequestBook, TxnRequest } from "../txn/requests.ts";
import { TransactionManager } from "../txn/transaction-manager.ts";
import { TxnAccumulator } from "../txn/txn-batches.ts";
import type { TxnBatchesHost } from "../txn/txn-batches.ts";
import { PRODUCER_DEFAULTS } from "../../kafka/config.ts";
import type { Consumer } from "./consumer.ts";
import type { Ctx, TopicPartitionOffset, WorkItem } from "./types.ts";

/** The pipeline's correlation ids start here, apart from the consumer's own (one connection per broker carries both). */
const CORR_BASE = 1_000_000_000;
/** Java's producer default transaction.timeout.ms. */
const TRANSACTION_TIMEOUT_MS = 60_000;

/** The end of a poll batch: its offsets to commit in the transaction (none for a plain pipeline), then `then`. */
interface Job {
  readonly offsets: readonly TopicPartitionOffset[];
  readonly then: (ctx: Ctx) => void;
  /** After the records: "add-offsets" → "offset-commit" → "end" (transactional), or done (plain). */
  step: "add-offsets" | "offset-commit" | "end";
}

export class Pipeline {
  readonly topic: string;
  readonly transactional: boolean;
  readonly transactionalId: string;
  private readonly book: RequestBook;
  private readonly tm: TransactionManager;
  private readonly acc: TxnAccumulator;
  /** Has a producer id and epoch (transactional: InitProducerId answered). */
  private ready: boolean;
  /** The next InitProducerId bumps the current epoch (KIP-360: with the producer id and epoch). */
  private bumpEpoch = false;
  /** The batch's offsets as a commit op, once its EndTxn(COMMIT) went out (recorded as invoked then). */
  private commitOp: { readonly group: string; readonly generation: number; readonly offsets: readonly TopicPartitionOffset[]; readonly mode: "sync" } | null = null;
  private findNode = 0;
  /** Records processed while the output topic's partitions are unknown, by -1-(input partition). */
  private readonly waiting = new Map<number, { values: number[]; keys: number[] }>();
  /** Values written in the open transaction. */
  private txnValues: number[] = [];
  /** False once the open transaction must be aborted (an abortable error; the producer fenced). */
  private commitOk = true;
  /** The abortable error that dooms it (its undrained batches fail with it). */
  private abortError: KafkaErrorCode = "NONE";
  /** The producer was fenced in this batch: the coordinator aborted the transaction; the member rewinds. */
  private fencedInBatch = false;
  private job: Job | null = null;
  /** Transactions ended (for tests). */
  committed = 0;
  aborted = 0;

  constructor(
    private readonly c: Consumer,
    output: { readonly topic: string; readonly transactional: boolean },
  ) {
    this.topic = output.topic;
    this.transactional = output.transactional;
    this.transactionalId = c.name;
    this.ready = false;
    this.book = new RequestBook(CORR_BASE, { requestTimeoutMs: c.cfg["request.timeout.ms"], retryBackoffMs: c.cfg["retry.backoff.ms"] });
    const findNode = (): NodeId | null => (c.env.bootstrap.length === 0 ? null : (c.env.bootstrap[this.findNode % c.env.bootstrap.length] as NodeId));
    this.tm = new TransactionManager({ transactionalId: this.transactionalId, transactionTimeoutMs: TRANSACTION_TIMEOUT_MS, kip360: versionAtLeast(c.env.protocol ?? "3.7", "2.7"), protocol: c.env.protocol, findNode }, this.book);
    // The output producer has Java's producer defaults (linger.ms, batch.size, delivery.timeout.ms) and acks=all;
    // without transactions it waits for its output however long it takes (the batch is flushed before the commit).
    const host: TxnBatchesHost = {
      process: c.name,
      env: c.env,
      book: this.book,
      tm: this.tm,
      transactionalId: this.transactional ? this.transactionalId : null,
      acks: -1,
      requestTimeoutMs: c.cfg["request.timeout.ms"],
      retryBackoffMs: c.cfg["retry.backoff.ms"],
      lingerMs: PRODUCER_DEFAULTS["linger.ms"],
      batchSizeBytes: PRODUCER_DEFAULTS["batch.size"],
      deliveryTimeoutMs: this.transactional ? PRODUCER_DEFAULTS["delivery.timeout.ms"] : Infinity,
      leaderOf: (topic, partition) => c.requests.leaderOf(topic, partition),
      leaderNode: (leader) => c.requests.broker(leader),
      refreshMetadata: (ctx) => c.requests.refreshMetadata(ctx),
      batchFailed: (_ctx, error) => this.abortable(error),
      fenced: (ctx, error) => this.fenced(ctx, error),
      resetProducer: (ctx) => {
        this.ready = false;
        this.book.retryLater(ctx);
      },
    };
    this.acc = new TxnAccumulator(host);
  }

  get producerId(): number {
    return this.tm.producerId;
  }

  get producerEpoch(): number {
    return this.tm.producerEpoch;
  }

  /** The producer's InitProducerId (KafkaProducer.initTransactions, or the idempotent producer's), before the
   *  first poll's output. */
  onStart(ctx: Ctx): void {
    this.step(ctx);
  }

  /** producer.send of a processed record's output. */
  add(ctx: Ctx, w: WorkItem): void {
    if (!this.commitOk) return; // the transaction will be aborted and the batch read again
    const n = this.c.requests.partitionCount(this.topic);
    const key = w.message.key;
    if (n === 0) {
      // Unknown output topic: KafkaProducer.send blocks on metadata; here the record waits in partition -1-p.
      let q = this.waiting.get(-1 - w.partition);
      if (q === undefined) this.waiting.set(-1 - w.partition, (q = { values: [], keys: [] }));
      q.values.push(w.message.value);
      q.keys.push(key ?? -1);
    } else this.append(ctx, key !== null ? partitionForKey(key, n) : w.partition % n, w.message.value, key ?? -1);
    this.step(ctx);
  }

  private append(ctx: Ctx, partition: number, value: number, key: number): void {
    const k = key < 0 ? null : key;
    this.c.env.history.recordSendInvoke(ctx.nowUs, this.c.name, this.topic, k, value, partition);
    if (this.transactional) this.txnValues.push(value);
    this.acc.append(ctx, this.topic, partition, value, k);
  }

  /** The batch is processed: once every output is acknowledged (producer.flush: every batch ready now), commit
   *  `offsets` in the transaction and end it (transactional), then `then`. A plain pipeline leaves the offsets to
   *  the processing's commit. */
  flush(ctx: Ctx, offsets: readonly TopicPartitionOffset[], then: () => void): void {
    this.acc.flushing = true;
    if (!this.transactional) {
      this.job = { offsets, then: () => then(), step: "end" };
      return this.step(ctx);
    }
    // commitTransaction() (and initTransactions() before it) block the application's poll loop (fact T11): no poll, so no
    // rejoin, until the transaction is over — a rebalance waits for it (the JoinGroup is sent from poll()), as for a
    // synchronous commit. Otherwise the member could rejoin, read the batch again from offsets the transaction has
    // not committed yet, and write its outputs a second time.
    const app = this.c.app;
    app.blocked = true;
    this.job = { offsets, then: (c) => app.unblock(c, then), step: "add-offsets" };
    this.step(ctx);
  }

  owns(msg: Message): boolean {
    return this.book.owns(msg);
  }

  onTimer(ctx: Ctx, tag: unknown): boolean {
    if (this.book.isRetry(tag) || this.acc.isWake(tag)) {
      this.step(ctx);
      return true;
    }
    if (!(tag instanceof TxnRequest)) return false;
    const r = this.book.timedOut(tag);
    if (r === undefined) return true;
    // NetworkClient: a request timeout closes the connection; what it carried is retried. A timed-out EndTxn may
    // still arrive later (evidence for the late-EndTxn anomaly under transaction.version below 2).
    if (r.kind === "end") ctx.emit({ type: "txn-request-timeout", producer: this.c.name, transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, request: "end-txn", commit: this.commitOk, broker: brokerOfNode(r.node) ?? -1 });
    ctx.closeConnection(r.node);
    this.c.connectionClosed(ctx, r.node);
    return true;
  }

  onDisconnect(ctx: Ctx, peer: NodeId): void {
    this.failNode(ctx, peer);
  }

  private failNode(ctx: Ctx, node: NodeId): void {
    const failed = this.book.failNode(ctx, node);
    if (failed.length === 0) return;
    for (const r of failed) {
      if (r.kind === "offset-commit") this.c.requests.coordinatorDead();
      else if (r.kind === "produce") this.acc.requestFailed(ctx, r);
      else this.tm.coordinator = null;
      if (r.kind === "add") this.tm.onAddPartitions(false);
    }
    this.c.requests.refreshMetadata(ctx);
    this.book.retryLater(ctx);
  }

  // ---------------------------------------------------------------- the state machine

  /** A transactional request in flight (TransactionManager sends one at a time). */
  private txnRequestInFlight(): boolean {
    for (const r of this.book.inflight.values()) if (r.kind !== "produce" && r.kind !== "metadata") return true;
    return false;
  }

  /** Send whatever is next: the output's batches as they are ready; at the batch's end, once they are all
   *  acknowledged, the offsets and EndTxn, one transactional request at a time. */
  private step(ctx: Ctx): void {
    if (!this.ready) {
      // A new producer id or epoch once nothing is in flight (the batches sent under the old one are answered).
      if (!this.book.has("find") && !this.book.has("init") && !this.book.has("produce")) this.initialise(ctx);
      return;
    }
    if (this.fencedInBatch) {
      // The new producer is ready; the fenced one's transaction was aborted by its InitProducerId.
      if (this.job === null) return;
      return this.endBatch(ctx, false);
    }
    if (!this.commitOk) {
      // Aborting: what is not sent yet is not (abortUndrainedBatches; the batch is read again after the abort).
      this.waiting.clear();
      this.acc.abortUndrained(ctx, this.abortError === "NONE" ? "TRANSACTION_ABORTABLE" : this.abortError);
      this.acc.flushing = true;
    } else if (!this.placeWaiting(ctx)) return;
    if (this.transactional) this.tm.maybeSendAddPartitions(ctx);
    this.acc.run(ctx, true);
    if (!this.ready || this.fencedInBatch) return;
    const job = this.job;
    if (job === null || this.acc.hasIncomplete() || this.tm.hasPendingAdds()) return;
    if (!this.transactional) return this.finish(ctx);
    if (this.txnRequestInFlight()) return;
    if (this.txnValues.length === 0 && !this.tm.hasPartitions() && job.step === "add-offsets" && job.offsets.length === 0) return this.finish(ctx);
    if (!this.commitOk) job.step = "end";
    switch (job.step) {
      case "add-offsets":
        if (job.offsets.length === 0) {
          job.step = "end";
          return this.step(ctx);
        }
        if (!this.tm.needsExplicitAdd()) {
          // transaction.version 2: no AddOffsetsToTxn, the group coordinator adds the offsets partition while handling
          // TxnOffsetCommit v5 (KIP-890 part 2; TransactionManager.sendOffsetsToTransaction: transactionStarted).
          this.tm.transactionStarted = true;
          job.step = "offset-commit";
          return this.step(ctx);
        }
        return this.tm.addOffsets(ctx, this.c.groupId);
      case "offset-commit": {
        const coord = this.c.requests.findCoordinator(ctx);
        if (coord === null) return this.book.retryLater(ctx);
        // KIP-447 (TxnOffsetCommit v3, 2.5+): the consumer's group metadata fences a zombie member's commit.
        const kip447 = versionAtLeast(this.c.env.protocol ?? "3.7", "2.7");
        const m = this.c.membership.groupMetadata;
        return this.book.send(ctx, coord, "offset-commit", (corr) => ({ type: "txn.offset-commit", corr, transactionalId: this.transactionalId, groupId: this.c.groupId, producerId: this.producerId, producerEpoch: this.producerEpoch, generation: kip447 ? m.generation : -1, memberId: kip447 ? m.memberId : "", offsets: job.offsets, ...this.tm.requestSupport() }));
      }
      case "end":
        if (this.commitOk && this.commitOp === null && job.offsets.length > 0) {
          // The batch's offsets are committed with the transaction: from the EndTxn(COMMIT) on, the coordinator may
          // complete it even if this member never hears (a crash): the history's commit, as a sync commit's.
          this.commitOp = { group: this.c.groupId, generation: this.c.membership.generation, offsets: job.offsets, mode: "sync" };
          this.c.env.history.record({ timeUs: ctx.nowUs, process: this.c.name, type: "invoke", f: "commit", value: this.commitOp });
        }
        // A transaction the coordinator never heard of (nothing added: its outputs failed undrained) ends at once.
        if (!this.tm.transactionStarted) return this.endBatch(ctx, this.commitOk);
        return this.tm.endTxn(ctx, this.commitOk);
    }
  }

  /** Records processed before the output topic's metadata came go to their partitions; false while it is unknown. */
  private placeWaiting(ctx: Ctx): boolean {
    if (this.waiting.size === 0) return true;
    const n = this.c.requests.partitionCount(this.topic);
    if (n === 0) {
      this.c.requests.refreshMetadata(ctx);
      this.book.retryLater(ctx);
      return false;
    }
    for (const [p, q] of this.waiting) {
      for (let i = 0; i < q.values.length; i++) {
        const key = q.keys[i] as number;
        this.append(ctx, key >= 0 ? partitionForKey(key, n) : (-1 - p) % n, q.values[i] as number, key);
      }
    }
    this.waiting.clear();
    return true;
  }

  private initialise(ctx: Ctx): void {
    if (!this.transactional) {
      // An idempotent producer (enable.idempotence, the default from 3.0) asks any broker for its producer id.
      const nodes = this.c.env.bootstrap;
      if (nodes.length === 0) return;
      return this.book.send(ctx, nodes[this.findNode % nodes.length] as NodeId, "init", (corr) => ({ type: "group.init-producer-id", corr }));
    }
    // A new producer (after a fence) has no id; the KIP-360 bump sends the current id and epoch.
    this.tm.initProducerId(ctx, this.bumpEpoch);
  }

  onMessage(ctx: Ctx, msg: Message): void {
    switch (msg.type) {
      case "group.find-coordinator-response":
        if (this.book.take(ctx, msg.corr) === undefined) return;
        if (!this.tm.onFindCoordinator(msg.error, msg.nodeId)) {
          this.findNode++;
          return this.book.retryLater(ctx);
        }
        return this.step(ctx);
      case "group.init-producer-id-response":
        if (this.book.take(ctx, msg.corr) === undefined) return;
        if (msg.error !== "NONE" && !this.transactional) {
          this.findNode++;
          return this.book.retryLater(ctx);
        }
        if (msg.error !== "NONE") return this.coordinatorError(ctx, msg.error);
        this.tm.onInitProducerId(msg);
        // A new producer id or epoch: the batches that had sequences get new ones, in order.
        this.acc.resequence();
        this.ready = true;
        this.bumpEpoch = false;
        return this.step(ctx);
      case "txn.add-partitions-response": {
        if (this.book.take(ctx, msg.corr) === undefined) return;
        const error = msg.results.find((r) => r.error !== "NONE")?.error ?? "NONE";
        this.tm.onAddPartitions(error === "NONE");
        if (error !== "NONE") return this.coordinatorError(ctx, error);
        return this.step(ctx);
      }
      case "txn.add-offsets-response":
        if (this.book.take(ctx, msg.corr) === undefined) return;
        if (msg.error !== "NONE") return this.coordinatorError(ctx, msg.error);
        this.tm.onAddOffsets();
        if (this.job !== null) this.job.step = "offset-commit";
        return this.step(ctx);
      case "txn.offset-commit-response":
        if (this.book.take(ctx, msg.corr) === undefined) return;
        return this.onOffsetCommit(ctx, msg.error);
      case "produce-response": {
        const r = this.book.take(ctx, msg.corr);
        if (r === undefined) return;
        this.acc.onProduceResponse(ctx, r, msg);
        return this.step(ctx);
      }
      case "txn.end-response":
        if (this.book.take(ctx, msg.corr) === undefined) return;
        if (msg.error !== "NONE") return this.coordinatorError(ctx, msg.error);
        return this.endBatch(ctx, this.commitOk, msg.producerEpoch);
      default:
        return;
    }
  }

  /** A batch failed for good (expired, refused): an abortable error (TransactionManager.transitionToAbortableError);
   *  the transaction is aborted at the batch's end. */
  private abortable(error: KafkaErrorCode): void {
    this.commitOk = false;
    if (this.abortError === "NONE") this.abortError = error;
  }

  /** TxnOffsetCommit's answer (TransactionManager.TxnOffsetCommitHandler). */
  private onOffsetCommit(ctx: Ctx, error: KafkaErrorCode): void {
    switch (error) {
      case "NONE":
        if (this.job !== null) this.job.step = "end";
        return this.step(ctx);
      case "NOT_COORDINATOR":
      case "COORDINATOR_NOT_AVAILABLE":
      case "COORDINATOR_LOAD_IN_PROGRESS":
      case "REQUEST_TIMED_OUT":
      case "UNKNOWN_TOPIC_OR_PARTITION":
        this.c.requests.coordinatorDead();
        return this.book.retryLater(ctx);
      case "CONCURRENT_TRANSACTIONS":
        // Retriable with the same coordinator (TxnOffsetCommitHandler: RetriableException): under transaction.version 2
        // the offsets partition's add waits for the previous transaction's end.
        return this.book.retryLater(ctx);
      case "INVALID_PRODUCER_EPOCH":
      case "PRODUCER_FENCED":
        return this.fenced(ctx, error);
      case "UNKNOWN_MEMBER_ID":
      case "ILLEGAL_GENERATION":
        // CommitFailedException, abortable: the member lost its generation; it rejoins.
        this.c.membership.onGroupError(ctx, error);
        this.commitOk = false;
        return this.step(ctx);
      default:
        this.commitOk = false;
        return this.step(ctx);
    }
  }

  /** An error from the transaction coordinator: find it again, retry, or replace the fenced producer. */
  private coordinatorError(ctx: Ctx, error: KafkaErrorCode): void {
    if (this.tm.coordinatorError(error) === "fatal") return this.fenced(ctx, error);
    return this.book.retryLater(ctx);
  }

  /** The producer was fenced (or failed fatally): the application closes it and creates a new one (InitProducerId
   *  with the same transactional.id aborts what was open); at the batch's end the member rewinds. */
  private fenced(ctx: Ctx, error: KafkaErrorCode): void {
    ctx.emit({ type: "producer-fenced", producer: this.c.name, transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, error });
    this.ready = false;
    // The application's new producer starts afresh: no id to bump.
    this.bumpEpoch = false;
    this.tm.epochBumpRequired = false;
    this.tm.coordinator = null;
    this.fencedInBatch = true;
    this.commitOk = false;
    this.clearTransaction();
    this.book.retryLater(ctx);
  }

  /** EndTxn was answered (or the fenced producer's transaction aborted by its successor): the batch is done; an
   *  aborted one is read again from the committed offsets. */
  private endBatch(ctx: Ctx, committed: boolean, bumpedEpoch?: number): void {
    const op = this.commitOp;
    if (op !== null) {
      // Fenced meanwhile: the successor's InitProducerId completed or aborted it, unknown here.
      const type = this.fencedInBatch ? "info" : committed ? "ok" : "fail";
      this.c.env.history.record({ timeUs: ctx.nowUs, process: this.c.name, type, f: "commit", value: type === "ok" ? op : { ...op, error: this.fencedInBatch ? "PRODUCER_FENCED" : "TRANSACTION_ABORTABLE" } });
      this.commitOp = null;
    }
    if (!this.fencedInBatch) {
      if (committed) this.committed++;
      else this.aborted++;
      ctx.emit({ type: "txn-ended", producer: this.c.name, transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, topic: this.topic, commit: committed, values: this.txnValues });
    }
    // transaction.version 2: the next transaction runs under the epoch the EndTxn answer carries, its sequences from
    // 0; else, with a sequence left unresolved, InitProducerId again bumps the epoch (KIP-360).
    const bump = this.tm.onEndTxn(bumpedEpoch);
    this.clearTransaction();
    this.commitOk = true;
    this.abortError = "NONE";
    this.fencedInBatch = false;
    if (bump) {
      this.ready = false;
      this.bumpEpoch = true;
    }
    if (!committed) this.c.positions.rewindToCommitted(ctx);
    this.finish(ctx);
  }

  private clearTransaction(): void {
    this.tm.resetTransaction();
    this.acc.clear();
    this.txnValues = [];
    this.waiting.clear();
  }

  private finish(ctx: Ctx): void {
    const job = this.job;
    this.job = null;
    job?.then(ctx);
  }
}
