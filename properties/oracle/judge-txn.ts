// The oracle for the transaction checkers (duplicate-output, lost-transaction, hanging-transaction): what Kafka
// permits them by. An at-least-once pipeline (no transactions) writes an output again whenever its member processes
// the input again; a transaction still open when the run ended may just not have timed out yet; and an unclean
// election or a power loss of unflushed replicas can take a transaction's records, its markers or the group's
// transactional offsets with them. Nothing else does: exactly-once with acks=all and clean elections permits none.
import { topicOfTp } from "../context.ts";
import { fmtTime } from "../explain.ts";
import type { Finding } from "../types.ts";
import { txnView } from "../transactions.ts";
import type { Justification, OracleContext } from "./context.ts";
import { powerLossCause, uncleanCause } from "./losses.ts";
import { historyRef, traceRef } from "./evidence.ts";
import { RULES } from "./rules.ts";
import { inputDuplicate, justifyProcessedTwice, rereadAfterReset } from "./judge-consumer.ts";
import { lazyJustification } from "./context.ts";
import { versionAtLeast } from "../../sim/kafka/profiles.ts";
import { partitionVerificationOf, transactionVersionOf } from "../../sim/kafka/profiles.ts";

/** An unclean election or a power loss of unflushed in-sync replicas, of any partition, after `sinceUs`: it may have
 *  taken a transaction's records, a marker, or the transactional offsets of the group. */
function markerLossCause(ctx: OracleContext, sinceUs: number): Justification | null {
  for (const tp of ctx.idx.partitions.keys()) {
    const j = uncleanCause(ctx, { tp, offset: null, sinceUs }) ?? powerLossCause(ctx, { tp, offset: null, sinceUs });
    if (j !== null) return j;
  }
  return null;
}

export function justifyDuplicateOutput(ctx: OracleContext, f: Finding): Justification | null {
  const output = ctx.result.scenario.consumers.find((c) => c.group === f.group)?.processing.output;
  if (output === undefined || f.group === undefined || f.value === null) return null;
  // Its input is in the input topic twice (the input producer's duplicate): each copy is an input of its own, and
  // exactly-once writes one output for each.
  const input = inputDuplicate(ctx, f.value, f.group);
  if (input) return lazyJustification(input.rule, input.events, () => `${input.sentence}; each copy was an input, transformed once`);
  if (output.transactional) {
    const j = reprocessed(ctx, f);
    // The input was read again from a rewound position, not from the committed offsets (a reset to earliest after a
    // deposed leader's stale metadata): each reading was a batch of its own, transformed and committed.
    const reset = rereadAfterResetOf(ctx, f);
    if (reset !== null) return lazyJustification(reset.rule, reset.events, () => `${reset.sentence}; each reading's output was committed with its offsets`);
    // Before KIP-447 (2.5) a member's transactional offsets are not fenced by the group's generation: a member the
    // group replaced can still commit the batch its successor reads again.
    if (!versionAtLeast(ctx.result.scenario.protocol, "2.7")) {
      if (j !== null && j.rule === "at-least-once-redelivery") return ctx.justify("eos-before-kip447", j.events, () => `${j.sentence.startsWith(RULES[j.rule].when) ? j.sentence.slice(RULES[j.rule].when.length + 2) : j.sentence}; the replaced member's transaction committed its output too`);
    }
    // A late EndTxn(COMMIT) of a member's earlier transaction committed its next one early, without that batch's
    // offsets: the batch was read and written again (the classic protocol, KAFKA-17754).
    const member = ctx.result.evidence.find((e) => e.type === "txn-request-timeout" && e.producer.startsWith(`${f.group}/`));
    const late = member !== undefined && member.type === "txn-request-timeout" ? lateEndTxnCause(ctx, { producer: member.producer }, Number.POSITIVE_INFINITY) : null;
    if (late !== null) return late;
    return markerLossCause(ctx, 0);
  }
  // At-least-once: the member processed the input again (a crash, rebalance or failed commit after its output was
  // written and before its offsets were committed), and wrote its output again.
  const j = reprocessed(ctx, f);
  if (j === null) return outputSequenceReset(ctx, f.group, f.value);
  // The redelivery's own sentence without its rule's "when" (this rule has its own).
  const what = (): string => (j.sentence.startsWith(RULES[j.rule].when) ? j.sentence.slice(RULES[j.rule].when.length + 2) : j.sentence);
  return ctx.justify("at-least-once-pipeline", j.events, () => `${what()}; its output was written each time`);
}

/** A member's plain (idempotent) output producer sent the output's batch again under new sequence numbers: a retry
 *  met a leader without its producer state (a zombie cut off before the writes) and was answered
 *  OUT_OF_ORDER_SEQUENCE_NUMBER or UNKNOWN_PRODUCER_ID, after an attempt had been written on the leader that kept
 *  it (the input producer's duplicate by the same rule: judge-producer.ts). */
function outputSequenceReset(ctx: OracleContext, group: string, value: number): Justification | null {
  for (const [producer, retries] of ctx.idx.retries) {
    if (!producer.startsWith(`${group}/`)) continue;
    const r = retries.find((x) => x.values.includes(value) && (x.error === "OUT_OF_ORDER_SEQUENCE_NUMBER" || x.error === "UNKNOWN_PRODUCER_ID"));
    if (r !== undefined) return ctx.justify("idempotent-sequence-reset", [r.ref], () => `${producer}'s output producer got ${r.error} for the batch holding value ${value} at ${fmtTime(r.ref.timeUs)} after an attempt of it had been written, and sent it again under new sequence numbers`);
  }
  return null;
}

/** The output's input read again from a position reset to earliest (between its first poll and its second
 *  processing), or null. */
function rereadAfterResetOf(ctx: OracleContext, f: Finding): Justification | null {
  if (f.group === undefined || f.value === null) return null;
  const c = ctx.consumption();
  const procs = c.processings(f.group, f.value);
  const second = procs[1];
  const poll = c.firstPoll(f.group, f.value);
  if (second === undefined || poll < 0) return null;
  const log = ctx.run.logOf(f.value);
  if (log === undefined) return null;
  return rereadAfterReset(ctx, { type: "processed-twice", partition: log.tp, offset: ctx.run.offsetOf(f.value), value: f.value, group: f.group, explanation: "" }, c.h.timeUs(poll), c.h.timeUs(second));
}

/** Why the group processed the output's input twice (processed-twice's permission), or null. */
function reprocessed(ctx: OracleContext, f: Finding): Justification | null {
  if (f.group === undefined || f.value === null) return null;
  const c = ctx.consumption();
  const procs = c.processings(f.group, f.value);
  const first = procs[0];
  if (procs.length < 2 || first === undefined) return null;
  const log = ctx.run.logOf(f.value);
  return justifyProcessedTwice(ctx, { type: "processed-twice", partition: log?.tp ?? null, offset: log ? ctx.run.offsetOf(f.value) : null, value: f.value, group: f.group, process: c.h.process(first), sinceUs: c.h.timeUs(first), explanation: "" });
}

/** The lost transaction's markers were still on their way at the end: its coordinator wrote nothing after
 *  PrepareCommit (no CompleteCommit), and the run ended within the broker's request.timeout.ms (+5 s) of the answer. */
function markersPending(ctx: OracleContext, f: Finding): Justification | null {
  const ev = ctx.result.evidence;
  const ended = ev.find((e) => e.type === "txn-ended" && e.timeUs === f.sinceUs && e.producer === f.process);
  if (ended === undefined || ended.type !== "txn-ended") return null;
  const next = ev.find((e) => e.type === "txn-transition" && e.transactionalId === ended.transactionalId && e.timeUs >= ended.timeUs && e.state !== "PrepareCommit");
  // Any later state (CompleteCommit, or an abort's) settled it; a PrepareCommit again is a new coordinator's load.
  if (next !== undefined) return null;
  const endUs = ctx.result.virtualMs * 1000;
  const timeoutMs = ctx.result.scenario.broker["request.timeout.ms"];
  if (endUs >= ended.timeUs + (timeoutMs + 5000) * 1000) return null;
  return ctx.justify("markers-pending-at-end", [], () => `${ended.producer}'s transaction was answered committed at ${fmtTime(ended.timeUs)}; its coordinator had not written CompleteCommit when the run ended at ${fmtTime(endUs)}, within the broker's request.timeout.ms (${timeoutMs} ms) after which an unanswered WriteTxnMarkers request is sent again`);
}

/** transaction.version below 2 on some broker (the classic EndTxn: the epoch does not move between transactions). */
function classicTransactions(ctx: OracleContext): boolean {
  const s = ctx.result.scenario;
  return [s.broker, ...Object.values(s.brokerOverrides ?? {})].some((b) => transactionVersionOf(s.protocol, { "transaction.version": b["transaction.version"] ?? s.broker["transaction.version"] }) < 2);
}

/** A late produce request (KIP-890 part 1's hanging transaction): under the classic protocol on a broker without
 *  partition verification, a batch of the producer for the partition expired (delivery.timeout.ms) while a copy
 *  may still be on the wire: it can land after the abort's marker and open a transaction nobody ends. */
function lateProduceCause(ctx: OracleContext, producerId: number, tp: string): Justification | null {
  if (!unverifiedTransactions(ctx)) return null;
  const ev = ctx.result.evidence;
  for (let i = 0; i < ev.length; i++) {
    const e = ev[i];
    if (e === undefined || e.type !== "txn-batch-expired" || e.producerId !== producerId || e.tp !== tp) continue;
    const ref = { source: "trace" as const, index: i, type: e.type, timeUs: e.timeUs, text: `${e.producer}'s batch of ${e.tp} (epoch ${e.producerEpoch}) expired after delivery.timeout.ms at ${fmtTime(e.timeUs)}` };
    return ctx.justify("unverified-late-produce", [ref], () => `${ref.text} and its transaction was aborted; a copy still on the wire may have reached the leader after the ABORT marker, which took it as a new transaction (no partition verification, KIP-890 part 1)`);
  }
  return null;
}

/** A late EndTxn (KAFKA-17754): under the classic protocol, an EndTxn of the producer (by name, or by producer id)
 *  timed out before `beforeUs` — its closed connection may still deliver it to the coordinator during a later
 *  transaction of the same epoch. */
function lateEndTxnCause(ctx: OracleContext, who: { readonly producer?: string | undefined; readonly producerId?: number | undefined }, beforeUs: number): Justification | null {
  if (!classicTransactions(ctx)) return null;
  const ev = ctx.result.evidence;
  for (let i = 0; i < ev.length; i++) {
    const e = ev[i];
    if (e === undefined || e.timeUs > beforeUs) break;
    if (e.type !== "txn-request-timeout" || (e.producer !== who.producer && e.producerId !== who.producerId)) continue;
    const ref = { source: "trace" as const, index: i, type: e.type, timeUs: e.timeUs, text: `${e.producer}'s EndTxn(${e.commit ? "COMMIT" : "ABORT"}) to broker ${e.broker} timed out at ${fmtTime(e.timeUs)} (epoch ${e.producerEpoch})` };
    return ctx.justify("tv1-late-end-txn", [ref], () => `${ref.text}; sent again on a new connection, the first one may still have reached the coordinator during a later transaction of the same epoch and ended it early`);
  }
  return null;
}

export function justifyLostTransaction(ctx: OracleContext, f: Finding): Justification | null {
  return markersPending(ctx, f) ?? lateEndTxnCause(ctx, { producer: f.process }, Number.POSITIVE_INFINITY) ?? zombieCoordinatorCause(ctx, f.process, f.sinceUs ?? Number.POSITIVE_INFINITY) ?? sequenceReuseCause(ctx, f.process, sentTp(ctx, f.process, f.value), f.sinceUs ?? Number.POSITIVE_INFINITY) ?? markerLossCause(ctx, 0);
}

/** The partition `process` sent `value` to (its own send: a pipeline's output carries its input's value), or null. */
function sentTp(ctx: OracleContext, process: string | undefined, value: number | null): string | null {
  if (process === undefined || value === null) return null;
  const h = ctx.h;
  let tp: string | null = null;
  for (let i = 0; i < h.length; i++) {
    if (h.f(i) !== "send" || h.process(i) !== process || h.value(i) !== value || h.partition(i) === undefined) continue;
    tp = `${h.topic(i)}-${h.partition(i) as number}`;
  }
  return tp;
}

/** Before KIP-360 (2.5) the producer took back the sequence of a failed batch of the lost record's partition `tp` that
 *  had been retried (an earlier attempt may have been written), before `untilUs` (the record's acknowledgement, or the
 *  end of its transaction): the leader then took a later batch under that sequence for a duplicate of the written one
 *  and answered with its offset (fuzz seeds 97014, 97017). */
export function sequenceReuseCause(ctx: OracleContext, process: string | undefined, tp: string | null, untilUs: number): Justification | null {
  if (process === undefined || tp === null) return null;
  const ev = ctx.result.evidence;
  for (let i = 0; i < ev.length; i++) {
    const e = ev[i] as (typeof ev)[number];
    if (e.timeUs > untilUs) break;
    // `attempts` counts the batch's retries: one or more, and an earlier attempt may have been written.
    if (e.type !== "txn-sequence-reset" || e.producer !== process || e.tp !== tp || e.attempts < 1) continue;
    const r = e;
    return ctx.justify("pre-kip360-sequence-reuse", [traceRef(r, i)], () => `${r.producer}'s batch of ${r.tp} at sequence ${r.baseSequence}, sent ${r.attempts + 1} times, failed with ${r.error} at ${fmtTime(r.timeUs)}, and the producer took that sequence back for the partition's next batch under the same epoch: a leader holding an earlier attempt took a later batch for a duplicate of it`);
  }
  return null;
}

/** A read_committed member read the record under its transaction's COMMIT marker, which an unclean election or a power
 *  loss of unflushed replicas of the partition took afterwards: the record then belongs to its producer's next
 *  transaction (the same producer id and epoch before transaction.version 2), whose ABORT ends it in the final log. */
export function justifyAbortedRead(ctx: OracleContext, f: Finding): Justification | null {
  if (f.partition === null) return null;
  // The record may have waited in the consumer's fetch buffer: fetched under its COMMIT marker, polled after an
  // unclean election took the marker (fuzz seed 97011). The cause counts from the record's send on, not its poll.
  const send = f.value === null ? undefined : ctx.run.sends.get(f.value);
  const sentUs = send !== undefined ? ctx.h.timeUs(send.invoke) : (f.sinceUs ?? 0);
  const q = { tp: f.partition, offset: null, sinceUs: Math.min(sentUs, f.sinceUs ?? sentUs) };
  const j = uncleanCause(ctx, q) ?? powerLossCause(ctx, q);
  if (j === null) return null;
  return lazyJustification(j.rule, j.events, () => `${j.sentence}; the COMMIT marker the record was read under may have gone with it, and a later ABORT of its producer then ends the record's transaction`);
}

/** Transactions without partition verification (transaction.version below 2, verification off or before 3.6). */
function unverifiedTransactions(ctx: OracleContext): boolean {
  const s = ctx.result.scenario;
  return [s.broker, ...Object.values(s.brokerOverrides ?? {})].some((b) => {
    const tv = transactionVersionOf(s.protocol, { "transaction.version": b["transaction.version"] ?? s.broker["transaction.version"] });
    return tv < 2 && !partitionVerificationOf(s.protocol, { "transaction.partition.verification.enable": b["transaction.partition.verification.enable"] ?? s.broker["transaction.partition.verification.enable"] });
  });
}

/** A deposed coordinator of the producer's transactional.id that still held one of its transactions open when
 *  another broker took over before the lost transaction ended (at `endedUs`): it may have answered the producer's
 *  AddPartitionsToTxn from its cache (zombie-coordinator-add). */
function zombieCoordinatorCause(ctx: OracleContext, producer: string | undefined, endedUs: number): Justification | null {
  if (producer === undefined) return null;
  const unverified = unverifiedTransactions(ctx);
  const ev = ctx.result.evidence;
  const ended = ev.find((e) => e.type === "txn-ended" && e.producer === producer);
  if (ended === undefined || ended.type !== "txn-ended") return null;
  const id = ended.transactionalId;
  // Each broker's last transition of the transactional.id, in order.
  const last = new Map<number, number>();
  for (let i = 0; i < ev.length; i++) {
    const e = ev[i] as (typeof ev)[number];
    if (e.type === "txn-transition" && e.transactionalId === id) last.set(e.broker, i);
  }
  for (const [broker, i] of last) {
    const open = ev[i] as Extract<(typeof ev)[number], { type: "txn-transition" }>;
    if (open.state === "CompleteCommit") {
      const j = zombieEndTxn(ctx, id, broker, i, endedUs);
      if (j !== null) return j;
      continue;
    }
    if (open.state !== "Ongoing" || !unverified) continue;
    // Another broker coordinated the transactional.id after it.
    const k = ev.findIndex((e, j) => j > i && e.type === "txn-transition" && e.transactionalId === id && e.broker !== broker);
    // The lost transaction ended (its producer saw the commit) after the coordinator had moved.
    if (k < 0 || (ev[k] as (typeof ev)[number]).timeUs > endedUs) continue;
    const next = ev[k] as Extract<(typeof ev)[number], { type: "txn-transition" }>;
    const a = { source: "trace" as const, index: i, type: open.type, timeUs: open.timeUs, text: `broker ${broker} last held ${id}'s transaction Ongoing (${open.partitions.join(", ")}) at ${fmtTime(open.timeUs)}` };
    const b = { source: "trace" as const, index: k, type: next.type, timeUs: next.timeUs, text: `broker ${next.broker} coordinated ${id} from ${fmtTime(next.timeUs)}` };
    return ctx.justify("zombie-coordinator-add", [a, b], () => `${a.text}, and ${b.text}: until broker ${broker} heard of it, it answered AddPartitionsToTxn for those partitions from its cache (no partition verification), and the new coordinator took the EndTxn(COMMIT) for a retry of the transaction it had completed`);
  }
  return null;
}

/** Under transaction.version below 2 a deposed coordinator whose last transition of `id` was CompleteCommit (at
 *  evidence index `i`) takes a later EndTxn(COMMIT) at the same epoch for a retry of that commit and answers NONE
 *  without writing (fuzz seed 97018, 0.11): valid when another broker coordinated `id` after it, before `endedUs`. */
function zombieEndTxn(ctx: OracleContext, id: string, broker: number, i: number, endedUs: number): Justification | null {
  const ev = ctx.result.evidence;
  const done = ev[i] as Extract<(typeof ev)[number], { type: "txn-transition" }>;
  const s = ctx.result.scenario;
  if ([s.broker, ...Object.values(s.brokerOverrides ?? {})].every((b) => transactionVersionOf(s.protocol, { "transaction.version": b["transaction.version"] ?? s.broker["transaction.version"] }) >= 2)) return null;
  const k = ev.findIndex((e, j) => j > i && e.type === "txn-transition" && e.transactionalId === id && e.broker !== broker && e.producerEpoch === done.producerEpoch);
  if (k < 0 || (ev[k] as (typeof ev)[number]).timeUs > endedUs) return null;
  const next = ev[k] as Extract<(typeof ev)[number], { type: "txn-transition" }>;
  const a = { source: "trace" as const, index: i, type: done.type, timeUs: done.timeUs, text: `broker ${broker} last completed a commit of ${id} (epoch ${done.producerEpoch}) at ${fmtTime(done.timeUs)}` };
  const b = { source: "trace" as const, index: k, type: next.type, timeUs: next.timeUs, text: `broker ${next.broker} coordinated ${id} from ${fmtTime(next.timeUs)}` };
  return ctx.justify("zombie-coordinator-endtxn", [a, b], () => `${a.text}, and ${b.text}: until broker ${broker} heard of it, an EndTxn(COMMIT) at that epoch reaching it was taken for a retry of the commit it had completed and answered NONE, without markers`);
}

/** A read_committed group saw part of a committed transaction: its other records were aborted with, or left open
 *  after, a later transaction (a late EndTxn under the classic protocol), or their marker or records were lost. */
export function justifyTornTransaction(ctx: OracleContext, f: Finding): Justification | null {
  return lateEndTxnCause(ctx, { producer: f.process }, Number.POSITIVE_INFINITY) ?? markerLossCause(ctx, 0);
}

export function justifyHangingTransaction(ctx: OracleContext, f: Finding): Justification | null {
  if (f.partition === null) return null;
  const open = txnView(ctx.result).openFirst.get(f.partition);
  if (open === undefined) return null;
  // A late produce request of an aborted transaction that landed after its marker (no partition verification).
  const lateProduce = lateProduceCause(ctx, open.producerId, f.partition);
  if (lateProduce !== null) return lateProduce;
  // Records that landed after their transaction's marker, which a late EndTxn wrote early: no coordinator knows them.
  const late = lateEndTxnCause(ctx, { producerId: open.producerId }, Number.POSITIVE_INFINITY);
  if (late !== null) return late;
  const topic = topicOfTp(f.partition);
  // When the transaction's first record was sent (its producer's send of that value to that topic).
  const send = ctx.result.history.find((op) => op.f === "send" && op.type === "invoke" && op.value.topic === topic && op.value.value === open.value);
  const startUs = send?.timeUs ?? 0;
  const s = ctx.result.scenario;
  const timeoutMs = Math.max(60_000, ...s.producers.map((p) => p.config["transaction.timeout.ms"]));
  // TransactionCoordinator: aborted by the sweep once older than transaction.timeout.ms, then its markers written.
  // (+5 s: the coordinator's own log append timeout, kafkasim's, for the abort's transitions and markers.)
  const abortByUs = startUs + (timeoutMs + s.broker["transaction.abort.timed.out.transaction.cleanup.interval.ms"] + 5000) * 1000;
  const endUs = ctx.result.virtualMs * 1000;
  if (endUs < abortByUs && send !== undefined) {
    return ctx.justify("transaction-open-at-end", [historyRef(send, () => `${send.process} sent value ${open.value} to ${topic}`)], () => `its first record was sent at ${fmtTime(startUs)}; the run ended at ${fmtTime(endUs)}, before the coordinator's timeout (${timeoutMs} ms, swept every ${s.broker["transaction.abort.timed.out.transaction.cleanup.interval.ms"]} ms) could abort it`);
  }
  return markerLossCause(ctx, startUs);
}
