// Consume-transform-produce: the output stage of a consumer group member whose processing writes each record it
// processed to an output topic (processing.output), as an application calls producer.send per record:
//   transactional (exactly-once, KIP-98/KIP-447): the member's own transactional producer (transactional.id
//     "<group>/<member>") sends each output record inside the open transaction (AddPartitionsToTxn before a
//     partition's first write), and at the end of each poll batch commits the batch's input offsets in it —
//     AddOffsetsToTxn (the group's __consumer_offsets partition joins the transaction), TxnOffsetCommit with the
//     member's generation and member id (sendOffsetsToTransaction(offsets, consumer.groupMetadata()), 2.5+) — and
//     ends it with EndTxn COMMIT. An abortable error (a refused write, CommitFailedException: the member left its
//     generation) aborts the transaction at the batch's end and rewinds the member to its committed offsets; a
//     fenced producer (PRODUCER_FENCED / INVALID_PRODUCER_EPOCH) is replaced — the application closes it and
//     creates a new one, whose InitProducerId aborts what was open — and the member rewinds. A crash mid-batch
//     leaves the transaction open until the restarted member's InitProducerId (or the timeout) aborts it.
//   plain (at-least-once): each output record with acks=all as it is processed, by an idempotent producer (Kafka's
//     default from 3.0: a retried batch is not written twice); at the batch's end the producer is
//     flushed (every send acknowledged), then the processing commits the offsets as usual (processing.ts). A crash
//     between an output write and the commit writes that output again after the restart.
// The output record is the input record (value and key): an identity transform, so the output topic says which
// input each output came from (properties/checkers/duplicate-output.ts). Like the first-slice transactional
// producer (sim/client/transactions.ts): one request in flight at a time (records queue meanwhile, as in the
// accumulator); under transaction.version 2 (KIP-890 part 2) its EndTxn (v5) answer bumps the epoch for the next
// transaction, as the producer's does.
import type { NodeId } from "../../core/ids.ts";
import { brokerOfNode, tpKey } from "../../core/ids.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { Message, ProduceResponse } from "../../kafka/protocol.ts";
import { versionAtLeast } from "../../kafka/profiles.ts";
import { partitionForKey } from "../partitioner.ts";
import { RequestBook, TxnRequest } from "../txn/requests.ts";
import { TransactionManager } from "../txn/transaction-manager.ts";
import { byLeader, newBatch, produceOutcome, recordAcked, resultFor, wireBatches } from "../txn/txn-batches.ts";
import type { TxnBatch } from "../txn/txn-batches.ts";
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
  /** Has a producer id and epoch (transactional: InitProducerId answered). */
  private ready: boolean;
  /** The batch's offsets as a commit op, once its EndTxn(COMMIT) went out (recorded as invoked then). */
  private commitOp: { readonly group: string; readonly generation: number; readonly offsets: readonly TopicPartitionOffset[]; readonly mode: "sync" } | null = null;
  private findNode = 0;
  /** Output partition → records processed and not yet in a sent batch. */
  private readonly queued = new Map<number, { values: number[]; keys: number[] }>();
  /** Batches sent and not yet acknowledged (sent again on a retriable error). */
  private unacked: TxnBatch[] = [];
  /** Output partitions added to the open transaction (AddPartitionsToTxn). */
  private readonly added = new Set<number>();
  /** Values written in the open transaction. */
  private txnValues: number[] = [];
  /** False once the open transaction must be aborted (an abortable error; the producer fenced). */
  private commitOk = true;
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
    this.tm = new TransactionManager({ transactionalId: this.transactionalId, transactionTimeoutMs: TRANSACTION_TIMEOUT_MS, kip360: versionAtLeast(c.env.protocol ?? "3.7", "2.7"), findNode }, this.book);
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
    // Unknown output topic: KafkaProducer.send blocks on metadata; here the record waits in partition -1-p.
    const key = w.message.key;
    const partition = n === 0 ? -1 - w.partition : key !== null ? partitionForKey(key, n) : w.partition % n;
    let q = this.queued.get(partition);
    if (q === undefined) this.queued.set(partition, (q = { values: [], keys: [] }));
    q.values.push(w.message.value);
    q.keys.push(key ?? -1);
    this.step(ctx);
  }

  /** The batch is processed: once every output is acknowledged, commit `offsets` in the transaction and end it
   *  (transactional), then `then`. A plain pipeline leaves the offsets to the processing's commit. */
  flush(ctx: Ctx, offsets: readonly TopicPartitionOffset[], then: () => void): void {
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
    if (this.book.isRetry(tag)) {
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
    this.failNode(ctx, r.node);
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
      else if (r.kind !== "produce") this.tm.coordinator = null;
    }
    this.c.requests.refreshMetadata(ctx);
    this.book.retryLater(ctx);
  }

  // ---------------------------------------------------------------- the state machine

  /** Send whatever is next, one request at a time. */
  private step(ctx: Ctx): void {
    if (this.book.inflight.size > 0) return;
    if (!this.ready) return this.initialise(ctx);
    if (this.fencedInBatch) {
      // The new producer is ready; the fenced one's transaction was aborted by its InitProducerId.
      if (this.job === null) return;
      return this.endBatch(ctx, false);
    }
    if (!this.commitOk) {
      // Aborting: what is not written yet is not sent (the batch is read again after the abort). Batches that took
      // sequence numbers and were never acknowledged leave a gap the leader would refuse: bump the epoch after.
      this.queued.clear();
      if (this.unacked.length > 0) this.tm.epochBumpRequired = true;
      this.unacked = [];
    } else {
      if (!this.placeQueued(ctx)) return;
      if (this.transactional) {
        const toAdd = [...this.queued.keys()].filter((p) => !this.added.has(p));
        if (toAdd.length > 0) return this.tm.addPartitions(ctx, toAdd.map((partition) => ({ topic: this.topic, partition })));
      }
      if (this.queued.size > 0 || this.unacked.length > 0) return this.produce(ctx);
    }
    const job = this.job;
    if (job === null) return;
    if (!this.transactional) return this.finish(ctx);
    if (this.txnValues.length === 0 && this.added.size === 0 && job.step === "add-offsets" && job.offsets.length === 0) return this.finish(ctx);
    if (!this.commitOk) job.step = "end";
    switch (job.step) {
      case "add-offsets":
        if (job.offsets.length === 0) {
          job.step = "end";
          return this.step(ctx);
        }
        return this.tm.addOffsets(ctx, this.c.groupId);
      case "offset-commit": {
        const coord = this.c.requests.findCoordinator(ctx);
        if (coord === null) return this.book.retryLater(ctx);
        // KIP-447 (TxnOffsetCommit v3, 2.5+): the consumer's group metadata fences a zombie member's commit.
        const kip447 = versionAtLeast(this.c.env.protocol ?? "3.7", "2.7");
        const m = this.c.membership.groupMetadata;
        return this.book.send(ctx, coord, "offset-commit", (corr) => ({ type: "txn.offset-commit", corr, transactionalId: this.transactionalId, groupId: this.c.groupId, producerId: this.producerId, producerEpoch: this.producerEpoch, generation: kip447 ? m.generation : -1, memberId: kip447 ? m.memberId : "", offsets: job.offsets }));
      }
      case "end":
        if (this.commitOk && this.commitOp === null && job.offsets.length > 0) {
          // The batch's offsets are committed with the transaction: from the EndTxn(COMMIT) on, the coordinator may
          // complete it even if this member never hears (a crash): the history's commit, as a sync commit's.
          this.commitOp = { group: this.c.groupId, generation: this.c.membership.generation, offsets: job.offsets, mode: "sync" };
          this.c.env.history.record({ timeUs: ctx.nowUs, process: this.c.name, type: "invoke", f: "commit", value: this.commitOp });
        }
        return this.tm.endTxn(ctx, this.commitOk);
    }
  }

  /** Records queued before the output topic's metadata came move to their partitions; false while it is unknown. */
  private placeQueued(ctx: Ctx): boolean {
    const n = this.c.requests.partitionCount(this.topic);
    if (n > 0) {
      for (const [p, q] of [...this.queued]) {
        if (p >= 0) continue;
        this.queued.delete(p);
        for (let i = 0; i < q.values.length; i++) {
          const key = q.keys[i] as number;
          const partition = key >= 0 ? partitionForKey(key, n) : (-1 - p) % n;
          let t = this.queued.get(partition);
          if (t === undefined) this.queued.set(partition, (t = { values: [], keys: [] }));
          t.values.push(q.values[i] as number);
          t.keys.push(key);
        }
      }
      return true;
    }
    if (this.queued.size === 0) return true;
    this.c.requests.refreshMetadata(ctx);
    this.book.retryLater(ctx);
    return false;
  }

  private initialise(ctx: Ctx): void {
    if (!this.transactional) {
      // An idempotent producer (enable.idempotence, the default from 3.0) asks any broker for its producer id.
      const nodes = this.c.env.bootstrap;
      if (nodes.length === 0) return;
      return this.book.send(ctx, nodes[this.findNode % nodes.length] as NodeId, "init", (corr) => ({ type: "group.init-producer-id", corr }));
    }
    this.tm.initProducerId(ctx, false);
  }

  /** The queued records become batches (the next sequences of their partitions), sent with the unacknowledged ones
   *  to each partition's leader. */
  private produce(ctx: Ctx): void {
    const c = this.c;
    for (const [partition, q] of this.queued) {
      if (this.transactional && !this.added.has(partition)) continue;
      const b = newBatch(this.topic, partition, ctx.nowUs);
      for (let i = 0; i < q.values.length; i++) {
        b.values.push(q.values[i] as number);
        b.keys.push(q.keys[i] as number);
      }
      b.baseSequence = this.tm.nextSequence(tpKey(this.topic, partition), b.values.length);
      if (this.transactional) for (const v of b.values) this.txnValues.push(v);
      for (let i = 0; i < b.values.length; i++) c.env.history.recordSendInvoke(ctx.nowUs, c.name, b.topic, b.keys[i] as number, b.values[i] as number, b.partition);
      this.unacked.push(b);
      this.queued.delete(partition);
    }
    const groups = byLeader(this.unacked, (topic, partition) => c.requests.leaderOf(topic, partition), () => {
      c.requests.refreshMetadata(ctx);
      this.book.retryLater(ctx);
    });
    for (const [leader, batches] of groups) {
      const wire = wireBatches(batches);
      const pid = this.transactional ? { producerId: this.producerId, producerEpoch: this.producerEpoch, transactionalId: this.transactionalId } : { producerId: this.producerId, producerEpoch: this.producerEpoch };
      this.book.send(ctx, c.requests.broker(leader), "produce", (corr) => ({ type: "produce", corr, acks: -1, timeoutMs: c.cfg["request.timeout.ms"], batches: wire, ...pid }), batches);
    }
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
        // A new producer id or epoch: the batches still unacknowledged get the new sequences, in order.
        for (const b of this.unacked) b.baseSequence = this.tm.nextSequence(tpKey(b.topic, b.partition), b.values.length);
        this.ready = true;
        return this.step(ctx);
      case "txn.add-partitions-response": {
        if (this.book.take(ctx, msg.corr) === undefined) return;
        const error = msg.results.find((r) => r.error !== "NONE")?.error ?? "NONE";
        if (error !== "NONE") return this.coordinatorError(ctx, error);
        for (const r of msg.results) this.added.add(r.partition);
        return this.step(ctx);
      }
      case "txn.add-offsets-response":
        if (this.book.take(ctx, msg.corr) === undefined) return;
        if (msg.error !== "NONE") return this.coordinatorError(ctx, msg.error);
        if (this.job !== null) this.job.step = "offset-commit";
        return this.step(ctx);
      case "txn.offset-commit-response":
        if (this.book.take(ctx, msg.corr) === undefined) return;
        return this.onOffsetCommit(ctx, msg.error);
      case "produce-response":
        return this.onProduceResponse(ctx, msg);
      case "txn.end-response":
        if (this.book.take(ctx, msg.corr) === undefined) return;
        if (msg.error !== "NONE") return this.coordinatorError(ctx, msg.error);
        return this.endBatch(ctx, this.commitOk, msg.producerEpoch);
      default:
        return;
    }
  }

  private onProduceResponse(ctx: Ctx, msg: ProduceResponse): void {
    const r = this.book.take(ctx, msg.corr);
    if (r === undefined) return;
    const broker = brokerOfNode(r.node) ?? -1;
    let fenced: KafkaErrorCode | null = null;
    let retriable = false;
    let resetProducer = false;
    r.batches.forEach((b, i) => {
      const res = resultFor(msg, b, i);
      const error: KafkaErrorCode = res?.error ?? "NETWORK_EXCEPTION";
      const outcome = produceOutcome(error);
      if (outcome === "acked") {
        this.unacked = this.unacked.filter((x) => x !== b);
        recordAcked(ctx, this.c.env, this.c.name, b, res?.baseOffset ?? -1, broker);
      } else if (!this.transactional && (error === "UNKNOWN_PRODUCER_ID" || error === "OUT_OF_ORDER_SEQUENCE_NUMBER")) {
        // The leader lost the producer's state (an unclean election, a truncation): the idempotent producer bumps its
        // epoch and restarts its sequences (KIP-360; Sender / TransactionManager.canRetry, requestEpochBumpForPartition)
        // and sends the batch again. Without it the batch is refused until the end and the output is never flushed.
        resetProducer = true;
      } else if (this.transactional && outcome === "fenced") {
        fenced = error;
      } else if (this.transactional && outcome === "abortable") {
        // An abortable error (TransactionManager.transitionToAbortableError): the transaction will be aborted.
        // The batch's sequence numbers are spent: the producer bumps its epoch once the transaction is aborted
        // (TransactionManager epochBumpRequired, KIP-360, 2.5+), or every later batch is OUT_OF_ORDER_SEQUENCE_NUMBER.
        this.unacked = this.unacked.filter((x) => x !== b);
        this.commitOk = false;
        this.tm.epochBumpRequired = true;
      } else retriable = true;
    });
    if (fenced !== null) return this.fenced(ctx, fenced);
    if (resetProducer) {
      this.ready = false;
      return this.book.retryLater(ctx);
    }
    if (retriable) {
      this.c.requests.refreshMetadata(ctx);
      return this.book.retryLater(ctx);
    }
    this.step(ctx);
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
    this.fencedInBatch = false;
    if (bump) this.ready = false;
    if (!committed) this.c.positions.rewindToCommitted(ctx);
    this.finish(ctx);
  }

  private clearTransaction(): void {
    this.added.clear();
    this.txnValues = [];
    this.queued.clear();
    this.unacked = [];
  }

  private finish(ctx: Ctx): void {
    const job = this.job;
    this.job = null;
    job?.then(ctx);
  }
}
