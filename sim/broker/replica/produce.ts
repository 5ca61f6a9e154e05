// The produce path on the leader (ReplicaManager.appendRecords, Partition.appendRecordsToLeader, DelayedProduce):
// acks 0/1/all, INVALID_REQUIRED_ACKS, NOT_ENOUGH_REPLICAS(_AFTER_APPEND), the idempotent producer's sequence
// check, the append itself, and the purgatory wait of acks=all requests until the HW passes them or they time out.
import type { NodeId } from "../../core/ids.ts";
import { tpKey } from "../../core/ids.ts";
import { msToUs } from "../../core/time.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { ProduceRequest } from "../../kafka/protocol.ts";
import type { BrokerCtx } from "../group/host.ts";
import type { Partition } from "./partition.ts";
import { PendingProduce } from "./purgatory.ts";
import type { ProduceResult } from "./purgatory.ts";
import type { ReplicaState } from "./state.ts";
import { maybeIncrementHw, onHwAdvanced } from "./isr.ts";
import { wakeFetches } from "./leader-fetch.ts";
import { ATTR_CONTROL, ATTR_TRANSACTIONAL, markerValue } from "../../kafka/records.ts";

/** A producer id and epoch an internal append writes under (a coordinator's transactional offsets or marker). */
export interface InternalAppendProducer {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly attributes: number;
}

const NO_PRODUCER: InternalAppendProducer = { producerId: -1, producerEpoch: -1, attributes: 0 };

/** `refused`: batches KIP-890 part 1's verification refused (sim/broker/txn/verification.ts), by index. */
export function handleProduce(rs: ReplicaState, ctx: BrokerCtx, from: NodeId, req: ProduceRequest, refused: ReadonlyMap<number, KafkaErrorCode> | null = null): void {
  const acks = req.acks;
  const results: ProduceResult[] = [];
  if (acks !== -1 && acks !== 0 && acks !== 1) {
    for (const b of req.batches) results.push({ topic: b.topic, partition: b.partition, error: "INVALID_REQUIRED_ACKS", baseOffset: -1 });
    ctx.send(from, { type: "produce-response", corr: req.corr, partitions: results });
    return;
  }
  const pp = new PendingProduce(acks === 0 ? null : from, req.corr, results, null);
  // A transactional producer's batches carry the transactional flag (ProduceRequest.transactionalId).
  const attributes = req.transactionalId === undefined || req.transactionalId === null ? 0 : ATTR_TRANSACTIONAL;
  for (let i = 0; i < req.batches.length; i++) {
    const b = req.batches[i] as (typeof req.batches)[number];
    const refusal = refused === null ? undefined : refused.get(i);
    results.push({ topic: b.topic, partition: b.partition, error: refusal ?? "NONE", baseOffset: -1 });
    if (refusal === undefined) appendToLeader(rs, ctx, pp, i, b.topic, b.partition, acks, req.producerId, req.producerEpoch, b.baseSequence, b.values, b.keys, attributes);
  }
  settleProduce(rs, ctx, pp, req.timeoutMs);
  // acks=0 has no response to carry an error: the broker closes the connection instead, and the client
  // refreshes its metadata (KafkaApis.handleProduceRequest: "closeConnection" when acks == 0 and an error).
  if (acks === 0 && results.some((r) => r.error !== "NONE")) ctx.closeConnection(from, { side: "server" });
}

/** Internal acks=all append (group coordinator offsets, the transaction log; `producer`: a transactional offset
 *  commit's producer id and epoch). */
export function appendInternal(rs: ReplicaState, ctx: BrokerCtx, topic: string, partition: number, keys: readonly number[], values: readonly number[], timeoutMs: number, done: (error: KafkaErrorCode) => void, producer: InternalAppendProducer = NO_PRODUCER): void {
  const results: ProduceResult[] = [{ topic, partition, error: "NONE", baseOffset: -1 }];
  const pp = new PendingProduce(null, -1, results, done);
  appendToLeader(rs, ctx, pp, 0, topic, partition, -1, producer.producerId, producer.producerEpoch, -1, values, keys, producer.attributes);
  settleProduce(rs, ctx, pp, timeoutMs);
}

/** A transaction marker from a coordinator (KafkaApis.handleWriteTxnMarkersRequest → ReplicaManager.appendRecords
 *  with acks=all, origin Coordinator): one control record of `producerId` at `producerEpoch`, COMMIT or ABORT
 *  (`controlType`), answered once the HW passes it. */
export function appendMarker(rs: ReplicaState, ctx: BrokerCtx, topic: string, partition: number, producerId: number, producerEpoch: number, controlType: number, coordinatorEpoch: number, timeoutMs: number, done: (error: KafkaErrorCode) => void): void {
  const results: ProduceResult[] = [{ topic, partition, error: "NONE", baseOffset: -1 }];
  const pp = new PendingProduce(null, -1, results, done);
  appendToLeader(rs, ctx, pp, 0, topic, partition, -1, producerId, producerEpoch, coordinatorEpoch, [markerValue(coordinatorEpoch)], [controlType], ATTR_CONTROL | ATTR_TRANSACTIONAL);
  settleProduce(rs, ctx, pp, timeoutMs);
}

function settleProduce(rs: ReplicaState, ctx: BrokerCtx, pp: PendingProduce, timeoutMs: number): void {
  if (pp.remaining === 0) {
    pp.done = true;
    if (pp.callback !== null) pp.callback((pp.results[0] as ProduceResult).error);
    else if (pp.from !== null) ctx.send(pp.from, { type: "produce-response", corr: pp.corr, partitions: pp.results });
    return;
  }
  rs.wheel.add(ctx, pp, msToUs(timeoutMs));
}

/** Partition.appendRecordsToLeader for one batch. Sets the result; registers a wait for acks=all. */
function appendToLeader(
  rs: ReplicaState,
  ctx: BrokerCtx,
  pp: PendingProduce,
  index: number,
  topic: string,
  partition: number,
  acks: number,
  producerId: number,
  producerEpoch: number,
  baseSequence: number,
  values: readonly number[],
  keys: readonly number[],
  /** The batch's attributes; for a control batch (a marker) `baseSequence` is the coordinator epoch. */
  attributes: number,
): void {
  const r = pp.results[index] as ProduceResult;
  const p = rs.lookup(topic, partition);
  // A fenced leader (its AlterPartition was rejected as stale) appends like a Kafka zombie until a
  // leader-and-isr tells it otherwise (Partition.appendRecordsToLeader: only isLeader and the ISR size count).
  if (p === undefined || !p.isLeader) {
    r.error = p === undefined && !rs.metadata.has(tpKey(topic, partition)) ? "UNKNOWN_TOPIC_OR_PARTITION" : "NOT_LEADER_OR_FOLLOWER";
    return;
  }
  if (acks === -1 && p.isr.length < p.effectiveMinIsr()) {
    r.error = "NOT_ENOUGH_REPLICAS";
    return;
  }
  const n = values.length;
  let base: number;
  const control = (attributes & ATTR_CONTROL) !== 0;
  const idempotent = producerId >= 0 && baseSequence >= 0 && !control;
  let duplicate = false;
  if (producerId >= 0 && attributes !== 0) {
    const error = checkTransactional(p, producerId, producerEpoch, attributes, control ? baseSequence : -1);
    if (error !== "NONE") {
      r.error = error;
      return;
    }
  } else if (producerId >= 0 && !p.txn.idle && p.txn.ongoing.has(producerId)) {
    // ProducerAppendInfo.appendDataBatch: a non-transactional write while the producer's transaction is open.
    r.error = "INVALID_TXN_STATE";
    return;
  }
  if (idempotent) {
    const check = p.producers.check(producerId, producerEpoch, baseSequence, n);
    if (check === "DUPLICATE") {
      duplicate = true;
      base = p.producers.duplicateOffset;
    } else if (check !== "NONE") {
      r.error = check;
      return;
    } else base = p.leo;
  } else base = p.leo;
  if (!duplicate) {
    const log = p.log;
    const epoch = p.leaderEpoch;
    const now = ctx.nowUs;
    const withPid = idempotent || attributes !== 0;
    log.appendBatch(epoch, values, keys, withPid ? producerId : -1, idempotent ? baseSequence : -1, now, withPid ? producerEpoch : -1, attributes);
    p.touchQuiet();
    if (idempotent) p.producers.update(producerId, producerEpoch, baseSequence, baseSequence + n - 1, base);
    if (attributes !== 0) {
      if (control) {
        p.producers.markerEpoch(producerId, producerEpoch);
        p.txn.onMarker(producerId, base, keys[0] as number, baseSequence);
        ctx.emit({ type: "txn-marker", tp: p.key, broker: rs.brokerId, producerId, producerEpoch, offset: base, control: keys[0] === 1 ? "commit" : "abort", coordinatorEpoch: baseSequence });
      } else {
        if (!idempotent) p.producers.markerEpoch(producerId, producerEpoch);
        p.txn.onData(producerId, base, attributes);
      }
    }
    p.txn.upTo = log.length;
    ctx.emit({ type: "produce-append", tp: p.key, broker: rs.brokerId, baseOffset: base, count: n, leaderEpoch: epoch });
    if (p.flushMessages !== null && log.unflushed >= p.flushMessages) {
      log.flush();
      p.lastFlushUs = now;
    }
    // New data: wake follower long polls; the HW may move (a lone leader).
    if (p.fetchWaiters.length > 0) wakeFetches(rs, ctx, p, false);
    if (maybeIncrementHw(rs, ctx, p)) onHwAdvanced(rs, ctx, p);
  }
  r.baseOffset = base;
  if (acks !== -1 || rs.spec.bugs.ackBeforeReplication) return;
  const required = base + n;
  if (p.hw >= required) {
    if (p.maximalIsr.length < p.effectiveMinIsr()) r.error = "NOT_ENOUGH_REPLICAS_AFTER_APPEND";
    return;
  }
  // Wait in the purgatory; baseOffset -2 marks "waiting" until completion.
  r.baseOffset = -2;
  pp.remaining++;
  if (p.produceWaiters.length > 256) p.produceWaiters = p.produceWaiters.filter((w) => !w.p.done); // timed out while the HW was stuck
  p.produceWaiters.push({ p: pp, index, requiredOffset: required, baseOffset: base });
}

/** ProducerAppendInfo's checks of a transactional batch or marker: an older producer epoch is refused
 *  (checkProducerEpoch: INVALID_PRODUCER_EPOCH since 2.7), and a marker from an older coordinator epoch than the
 *  producer's last marker (checkCoordinatorEpoch: TRANSACTION_COORDINATOR_FENCED). `coordinatorEpoch` -1: data. */
function checkTransactional(p: Partition, producerId: number, producerEpoch: number, _attributes: number, coordinatorEpoch: number): KafkaErrorCode {
  const known = p.producers.epochOf(producerId);
  if (known >= 0 && producerEpoch < known) return "INVALID_PRODUCER_EPOCH";
  if (coordinatorEpoch >= 0 && coordinatorEpoch < (p.txn.coordinatorEpochs.get(producerId) ?? -1)) return "TRANSACTION_COORDINATOR_FENCED";
  return "NONE";
}

/** The HW moved: complete the acks=all requests it satisfies (DelayedProduce.tryComplete). */
export function checkProduceWaiters(ctx: BrokerCtx, p: Partition): void {
  const ws = p.produceWaiters;
  let keep = 0;
  // Partition.checkEnoughReplicasReachOffset counts the maximal ISR (a pending expansion's replica has the data).
  const enough = p.maximalIsr.length >= p.effectiveMinIsr();
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i] as (typeof ws)[number];
    if (w.p.done) continue;
    if (p.hw >= w.requiredOffset) {
      // DelayedProduce / Partition.checkEnoughReplicasReachOffset
      completeWait(ctx, w.p, w.index, enough ? "NONE" : "NOT_ENOUGH_REPLICAS_AFTER_APPEND", w.baseOffset);
      continue;
    }
    ws[keep++] = w;
  }
  // All done is the common case: a fresh array beats shrinking one (the length setter is a slow path).
  if (keep === 0) p.produceWaiters = [];
  else if (keep !== ws.length) ws.length = keep;
}

/** Losing leadership: every waiting acks=all request completes with NOT_LEADER_OR_FOLLOWER. */
export function failProduceWaiters(ctx: BrokerCtx, p: Partition): void {
  const ws = p.produceWaiters;
  p.produceWaiters = [];
  for (const w of ws) completeWait(ctx, w.p, w.index, "NOT_LEADER_OR_FOLLOWER", -1);
}

function completeWait(ctx: BrokerCtx, pp: PendingProduce, index: number, error: KafkaErrorCode, baseOffset: number): void {
  if (pp.done) return;
  const r = pp.results[index] as ProduceResult;
  r.error = error;
  r.baseOffset = error === "NONE" ? baseOffset : -1;
  if (--pp.remaining === 0) finishProduce(ctx, pp);
}

function finishProduce(ctx: BrokerCtx, pp: PendingProduce): void {
  if (pp.done) return;
  pp.done = true;
  if (pp.callback !== null) {
    const r = pp.results[0];
    pp.callback(r === undefined ? "UNKNOWN_TOPIC_OR_PARTITION" : r.error);
  } else if (pp.from !== null) ctx.send(pp.from, { type: "produce-response", corr: pp.corr, partitions: pp.results });
}

/** request.timeout (the produce request's timeoutMs) passed: what still waits fails with REQUEST_TIMED_OUT. */
export function expireProduce(ctx: BrokerCtx, pp: PendingProduce): void {
  if (pp.done) return;
  for (const r of pp.results) {
    if (r.error === "NONE" && r.baseOffset === -2) {
      r.error = "REQUEST_TIMED_OUT";
      r.baseOffset = -1;
    }
  }
  finishProduce(ctx, pp);
}
