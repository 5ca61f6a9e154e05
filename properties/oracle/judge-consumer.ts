// The rules for what consumer groups see: at-most-once skips need the commit strategy that allows them and the
// crash or rebalance that exposed it; at-least-once re-deliveries need an event that re-delivers; unread records
// need a reset to latest, a group too slow for its producers, or a log rewritten by a committed loss.
import type { Finding } from "../types.ts";
import { fmtTime } from "../explain.ts";
import { topicOfTp } from "../context.ts";
import { OFFSETS_TOPIC } from "../../sim/broker/group/host.ts";
import type { HistoryColumns, HistoryOp } from "../../sim/history.ts";
import type { FaultAction } from "../../sim/faults/types.ts";
import type { Justification, OracleContext } from "./context.ts";
import { lazyJustification } from "./context.ts";
import { justifyDuplicate } from "./judge-producer.ts";
import { justifyDuplicateOutput } from "./judge-txn.ts";
import type { EvidenceRef } from "./evidence.ts";
import { historyRef, historyRefAt, traceRef, zombieLeaderAt } from "./evidence.ts";
import { committedLossCause } from "./losses.ts";
import type { CapacityFinding } from "./liveness.ts";

/** A committed loss on the partition or on the group's offsets (a resumed group starts elsewhere). */
function rewriteCause(ctx: OracleContext, tp: string, offset: number | null): Justification | null {
  const direct = committedLossCause(ctx, { tp, offset, sinceUs: 0 });
  if (direct) return direct;
  for (const p of ctx.idx.partitions.keys()) {
    if (!p.startsWith(`${OFFSETS_TOPIC}-`)) continue;
    const c = committedLossCause(ctx, { tp: p, offset: null, sinceUs: 0 });
    if (c) return c;
  }
  return null;
}

/** What, in a group, may re-deliver or drop a record polled at `fromUs` by `member`: a rebalance, a poll timeout,
 *  a failed commit, a member leaving, or the member's crash; the first in (fromUs, toUs]. */
function disruption(ctx: OracleContext, group: string, member: string | undefined, fromUs: number, toUs: number): EvidenceRef | undefined {
  const inWindow = (r: EvidenceRef): boolean => r.timeUs > fromUs && r.timeUs <= toUs;
  const candidates: EvidenceRef[] = [];
  const g = ctx.idx.groups.get(group);
  if (g) for (const r of g.disruptions) if (inWindow(r)) candidates.push(r);
  for (const r of ctx.idx.failedCommits.get(group) ?? []) if (inWindow(r)) candidates.push(r);
  const members = member !== undefined ? [member] : [...ctx.idx.crashes.keys()].filter((p) => p.startsWith(`${group}/`));
  for (const m of members) for (const r of ctx.idx.crashes.get(m) ?? []) if (inWindow(r)) candidates.push(r);
  let best: EvidenceRef | undefined;
  for (const c of candidates) if (!best || c.timeUs < best.timeUs) best = c;
  return best;
}

/** The member's last leaving of the group before `atUs`, when it had not rejoined since: a zombie then. */
function zombieSince(ctx: OracleContext, group: string, member: string, atUs: number): EvidenceRef | undefined {
  let left: EvidenceRef | undefined;
  for (const m of ctx.idx.groups.get(group)?.membership ?? []) {
    if (m.ref.timeUs > atUs) break;
    if (m.member === member) left = m.joined ? undefined : m.ref;
  }
  return left;
}

/** The first poll of a value by a member of the group: its history index, or -1. */
function firstPoll(ctx: OracleContext, group: string, value: number): number {
  return ctx.consumption().firstPoll(group, value);
}

/** The group's first processing of `value` that failed or went to the dead-letter topic: its history index, or -1. */
function failedProcessing(h: HistoryColumns, group: string, value: number): number {
  for (let i = 0; i < h.length; i++) if (h.f(i) === "process" && h.value(i) === value && (h.result(i) === "failed" || h.result(i) === "dead-letter") && h.group(i) === group) return i;
  return -1;
}

export function justifyCommittedUnprocessed(ctx: OracleContext, f: Finding, capacity: readonly CapacityFinding[]): Justification | null {
  if (f.group === undefined || f.value === null || f.partition === null) return null;
  const c = ctx.group(f.group);
  if (!c) return null;
  const proc = c.processing;
  const h = ctx.h;
  const failed = proc.onFailure === "skip" ? failedProcessing(h, f.group, f.value) : -1;
  if (failed >= 0) return ctx.justify("processing-failure-skipped", [historyRefAt(h, failed, () => `${h.process(failed)} gave up processing value ${f.value} at ${fmtTime(h.timeUs(failed))}`)], () => `group ${f.group} gave up on value ${f.value}`);
  const atMostOnce = proc.commit === "before-processing" ? "commit-before-processing" : proc.commit === "auto" && c.config["enable.auto.commit"] && proc.async ? "auto-commit-async" : null;
  if (atMostOnce !== null) {
    const poll = firstPoll(ctx, f.group, f.value);
    if (poll >= 0) {
      const member = h.process(poll);
      const pollUs = h.timeUs(poll);
      const polled = historyRefAt(h, poll, () => `${member} polled value ${f.value} at ${fmtTime(pollUs)}`);
      const d = disruption(ctx, f.group, member, pollUs, Number.POSITIVE_INFINITY);
      if (d) return ctx.justify(atMostOnce, [polled, d], () => `${member} polled value ${f.value} at ${fmtTime(pollUs)}; then ${d.text} before it was processed`);
      // Nothing stopped the member: the record is still waiting in its worker's queue at the end of the run.
      const cap = capacity.find((x) => x.group === f.group);
      if (cap && proc.async) return ctx.justify("capacity", [polled], () => `${member} polled value ${f.value} at ${fmtTime(pollUs)} and its offset was committed, but the worker (${cap.processingRatePerSec} records/s against ${cap.produceRatePerSec}/s produced) had not reached it when the run ended`);
      // Or its worker, fast enough on average, was still working through a backlog (built while the group could not
      // read) when the run ended: the record is queued behind the one it was processing.
      const busy = proc.async ? unfinishedProcessing(h, member) : -1;
      if (busy >= 0 && h.partition(busy) !== undefined && `${h.topic(busy)}-${h.partition(busy) as number}` === f.partition && (h.offset(busy) ?? Number.POSITIVE_INFINITY) <= (f.offset ?? -1)) {
        const at = historyRefAt(h, busy, () => `${member} was processing value ${h.value(busy)} (offset ${h.offset(busy)}) from ${fmtTime(h.timeUs(busy))} when the run ended`);
        return ctx.justify("capacity", [polled, at], () => `${member} polled value ${f.value} at ${fmtTime(pollUs)} and its offset was committed; its worker was still working through its backlog at the end (${at.text})${h.value(busy) === f.value ? "" : " and had not reached it"}`);
      }
    }
  }
  return rewriteCause(ctx, f.partition, f.offset);
}

export function justifyProcessedTwice(ctx: OracleContext, f: Finding): Justification | null {
  if (f.group === undefined || f.value === null) return null;
  const c = ctx.consumption();
  const second = c.processings(f.group, f.value).find((i) => c.h.timeUs(i) > (f.sinceUs ?? 0));
  const toUs = second !== undefined ? c.h.timeUs(second) : Number.POSITIVE_INFINITY;
  // The re-delivery follows the first delivery (the first poll), not necessarily the first processing: a member
  // paused mid-batch processes its stale batch after the rebalance gave the record to another member.
  const poll = firstPoll(ctx, f.group, f.value);
  const fromUs = poll >= 0 ? c.h.timeUs(poll) : (f.sinceUs ?? 0);
  const d = disruption(ctx, f.group, undefined, fromUs, toUs);
  if (d) return ctx.justify("at-least-once-redelivery", [d], () => `value ${f.value} was delivered at ${fmtTime(fromUs)}; then ${d.text}, and it was processed again at ${fmtTime(toUs)}`);
  // A zombie member: one of the two processors had been removed from the group (and not rejoined) when it processed
  // the record — it still held a partition the rebalance had given to another member.
  for (const [member, atUs] of [
    [f.process, f.sinceUs ?? 0],
    [second !== undefined ? c.h.process(second) : undefined, toUs],
  ] as const) {
    if (member === undefined) continue;
    const left = zombieSince(ctx, f.group, member, atUs);
    if (left) return ctx.justify("at-least-once-redelivery", [left], () => `${member} processed value ${f.value} at ${fmtTime(atUs)} after ${left.text} at ${fmtTime(left.timeUs)}, still holding a partition the group had given to another member`);
  }
  const reset = rereadAfterReset(ctx, f, fromUs, toUs);
  if (reset) return reset;
  // The record is in the log twice (a permitted duplicate), or the log or the group's offsets were rewritten.
  const dupJ = inputDuplicate(ctx, f.value, f.group);
  if (dupJ) return lazyJustification(dupJ.rule, dupJ.events, () => `${dupJ.sentence}; both copies were processed`);
  // A reader of a pipeline's output topic: the output is there twice (duplicate-output), by that one's permission.
  const copy = f.partition === null ? undefined : ctx.result.scenario.consumers.find((x) => x.processing.output?.topic === topicOfTp(f.partition as string));
  if (copy !== undefined && f.value !== null) {
    const j = justifyDuplicateOutput(ctx, { type: "duplicate-output", partition: f.partition, offset: f.offset, value: f.value, group: copy.group, explanation: "" });
    if (j) return lazyJustification(j.rule, j.events, () => `${j.sentence}; both copies were processed`);
  }
  return f.partition === null ? null : rewriteCause(ctx, f.partition, f.offset);
}

/** A sent value the final logs hold twice, or that `group` read at two offsets of one partition, by the duplicate's
 *  own permission (whichever rule that is): a consumer reads both copies, a pipeline writes an output for each. */
export function inputDuplicate(ctx: OracleContext, value: number, group?: string): Justification | null {
  const send = ctx.run.sends.get(value);
  if (!send) return null;
  const dup = ctx.run.duplicates.find((x) => x.value === value) ?? (group === undefined ? undefined : polledTwice(ctx, group, value));
  if (!dup) return null;
  const sinceUs = ctx.result.history[send.invoke]?.timeUs ?? 0;
  return justifyDuplicate(ctx, { type: "duplicate", partition: dup.tp, offset: dup.offset, value, sinceUs, process: send.process, explanation: "" });
}

/** The group processed `value` at two offsets of one partition: the log it read held the value twice, though the
 *  final logs may not (an unclean election or a power loss truncated that log after the group read it). */
function polledTwice(ctx: OracleContext, group: string, value: number): { tp: string; offset: number } | undefined {
  const c = ctx.consumption();
  const procs = c.processings(group, value);
  for (let k = 1; k < procs.length; k++) {
    const a = procs[0] as number;
    const b = procs[k] as number;
    if (c.h.topic(a) === c.h.topic(b) && c.h.partition(a) === c.h.partition(b) && c.h.offset(a) !== c.h.offset(b)) return { tp: `${c.h.topic(b)}-${c.h.partition(b) as number}`, offset: c.h.offset(b) as number };
  }
  return undefined;
}

/** Faults under which TCP holds messages and delivers them late (a lossy link's retransmissions, a cut link's
 *  data after the heal — fact 32, fact 42): a request its client gave up on can still be handled. */
function holdsMessages(a: FaultAction): boolean {
  return (a.kind === "flaky" && a.lossProb > 0) || a.kind === "partition" || a.kind === "partition-oneway" || a.kind === "isolate";
}

/** Did `member` have a commit invoked before `atUs` and not answered until after it? */
function commitInFlight(ctx: OracleContext, member: string, atUs: number): boolean {
  // Commits are kept as objects: only those ops are read.
  const h = ctx.h;
  let open = 0;
  for (const i of h.objectIndices()) {
    const op = h.op(i);
    if (op.timeUs > atUs) return open > 0;
    if (op.f !== "commit" || op.process !== member) continue;
    open += op.type === "invoke" ? 1 : open > 0 ? -1 : 0;
  }
  return false;
}

/** Skips and going back: a rewritten log or lost committed offsets; going back also a commit that timed out on a
 *  lossy link and landed after a later one (fact 32). */
export function justifyPollOrder(ctx: OracleContext, f: Finding): Justification | null {
  if (f.partition === null) return null;
  if (f.type === "nonmonotonic-poll" && f.process !== undefined) {
    const group = f.process.slice(0, f.process.lastIndexOf("/"));
    // A link that holds what is sent on it (lost transmissions, or a cut until the heal): TCP delivers it late.
    const lossy = ctx.result.faults.find((x) => holdsMessages(x.action) && x.timeUs <= (f.sinceUs ?? Number.POSITIVE_INFINITY));
    const inWindow = (c: EvidenceRef): boolean => lossy !== undefined && c.timeUs >= lossy.timeUs && c.timeUs <= (f.sinceUs ?? Number.POSITIVE_INFINITY);
    // A request timeout that closed a connection while the member had a commit in flight on it, or a failed commit.
    const closedUnderCommit = (ctx.idx.requestTimeouts.get(group) ?? []).find((t) => inWindow(t.ref) && commitInFlight(ctx, t.member, t.ref.timeUs));
    const late = closedUnderCommit?.ref ?? (ctx.idx.failedCommits.get(group) ?? []).find(inWindow);
    const pending = ctx.rank <= 2 ? pendingTxnOffsets(ctx, f, group) : null;
    if (pending !== null) return pending;
    if (lossy && late) {
      const what = lossy.action.kind === "flaky" ? "flaky links" : `a network ${lossy.action.kind}`;
      const fault = { source: "trace" as const, index: ctx.result.evidence.findIndex((e) => e.type === "fault" && e.timeUs === lossy.timeUs), type: "fault", timeUs: lossy.timeUs, text: `${what} (${lossy.nodes.join(", ")})` };
      return ctx.justify("late-commit-on-lossy-link", [fault, late], () => `${late.text}; held on the ${lossy.action.kind === "flaky" ? "lossy" : "cut"} link, it may have reached the coordinator after a later commit`);
    }
  }
  return rewriteCause(ctx, f.partition, f.offset);
}

/** Before KIP-447 (2.5) OffsetFetch answers a group's committed offsets without the pending ones of a transaction
 *  whose COMMIT marker on __consumer_offsets is not written yet: a member assigned in between resumes from the
 *  offsets before that transaction (GroupMetadata.pendingTransactionalOffsetCommits). */
function pendingTxnOffsets(ctx: OracleContext, f: Finding, group: string): Justification | null {
  const member = f.process as string;
  const atUs = f.sinceUs ?? Number.POSITIVE_INFINITY;
  // The member's last assignment before the poll: it fetched its committed offsets then.
  let assign: HistoryOp | undefined;
  const h = ctx.h;
  for (const i of h.objectIndices()) {
    const op = h.op(i);
    if (op.timeUs > atUs) break;
    if (op.f === "assign" && op.process === member && op.type === "ok") assign = op;
  }
  if (assign === undefined) return null;
  const assignedUs = assign.timeUs;
  const ev = ctx.result.evidence;
  for (let i = 0; i < ev.length; i++) {
    const e = ev[i] as (typeof ev)[number];
    if (e.timeUs > assignedUs) break;
    if (e.type !== "txn-ended" || !e.commit || !e.producer.startsWith(`${group}/`)) continue;
    // The transaction's last COMMIT marker on __consumer_offsets (before its producer's next transaction opens): a
    // marker the leader could not replicate in time, or wrote as a leader then deposed, is written again, and the
    // offsets become visible only when a write of it succeeds (KafkaApis.handleWriteTxnMarkersRequest calls
    // onTransactionCompleted for the partitions answered NONE).
    const nextOpen = ev.findIndex((m, j) => j > i && m.type === "txn-transition" && m.transactionalId === e.transactionalId && m.state === "Ongoing");
    const untilUs = nextOpen < 0 ? Number.POSITIVE_INFINITY : (ev[nextOpen] as (typeof ev)[number]).timeUs;
    // The offsets are visible once the group coordinator completes them, when the marker's write is acknowledged
    // (txn-offsets-completed; fuzz seed 97011: appended before the member's OffsetFetch, acknowledged after it);
    // without that event (the coordinator moved and loaded them), the marker.
    let k = -1;
    let done = -1;
    for (let j = i + 1; j < ev.length; j++) {
      const m = ev[j] as (typeof ev)[number];
      if (m.timeUs >= untilUs) break;
      if (m.type === "txn-marker" && m.control === "commit" && m.producerId === e.producerId && m.producerEpoch === e.producerEpoch && topicOfTp(m.tp) === OFFSETS_TOPIC) k = j;
      if (done < 0 && m.type === "txn-offsets-completed" && m.commit && m.producerId === e.producerId && m.group === group) done = j;
    }
    const at = done >= 0 ? done : k;
    const marker = ev[at];
    if (marker === undefined || marker.timeUs <= assignedUs) continue;
    const ended = e;
    const a = assign;
    const how = done >= 0 ? `were completed by its group coordinator (its marker on ${OFFSETS_TOPIC} acknowledged)` : `became visible only with its marker on ${OFFSETS_TOPIC}`;
    return ctx.justify("pending-txn-offsets-before-kip447", [traceRef(ended, i), historyRef(a, () => `${member} was assigned ${f.partition} at ${fmtTime(a.timeUs)}`), traceRef(marker, at)], () => `${ended.producer}'s transaction committed at ${fmtTime(ended.timeUs)}, but its offsets ${how} at ${fmtTime(marker.timeUs)}: ${member}, assigned at ${fmtTime(a.timeUs)} in between, resumed from the offsets before it`);
  }
  return null;
}

/** The member's last processing, when it had not finished by the end of the run (an invoke with no ok after it); -1
 *  otherwise. */
function unfinishedProcessing(h: HistoryColumns, member: string): number {
  for (let i = h.length - 1; i >= 0; i--) {
    if (h.f(i) !== "process" || h.process(i) !== member) continue;
    return h.type(i) === "invoke" ? i : -1;
  }
  return -1;
}

/** The resets of consumer positions (ops kept as objects), in order. */
function resets(ctx: OracleContext): Extract<HistoryOp, { f: "reset" }>[] {
  const h = ctx.h;
  const out: Extract<HistoryOp, { f: "reset" }>[] = [];
  for (const i of h.objectIndices()) {
    const op = h.op(i);
    if (op.f === "reset") out.push(op);
  }
  return out;
}

/** An unread record: every group of its topic must have a reason (a reset to latest past it, too little capacity,
 *  a rewritten log, a run cut short). None: a liveness failure, not a permitted anomaly. */
export function justifyUnseen(ctx: OracleContext, f: Finding, capacity: readonly CapacityFinding[]): Justification | null {
  if (f.partition === null || f.offset === null) return null;
  const tp = f.partition;
  if (ctx.result.end.reason !== "completed") return ctx.justify("run-stopped-early", [], () => `the run stopped early (${ctx.result.end.reason})`);
  const topic = topicOfTp(tp);
  const groups = ctx.result.scenario.consumers.filter((c) => c.topics.includes(topic));
  let first: Justification | null = null;
  for (const c of groups) {
    let j: Justification | null = null;
    const reset = resets(ctx).find((op) => op.value.group === c.group && `${op.value.topic}-${op.value.partition}` === tp && op.value.strategy === "latest" && op.value.offset > (f.offset as number));
    if (reset) j = ctx.justify("offset-reset-latest", [historyRef(reset, () => `${reset.process} reset its position on ${tp} to the log end, offset ${reset.value.offset}, at ${fmtTime(reset.timeUs)}`)], () => `group ${c.group} started reading ${tp} at the log end, past offset ${f.offset}`);
    const cap = capacity.find((x) => x.group === c.group);
    if (!j && cap) j = ctx.justify("capacity", [], () => `group ${c.group} processed ${cap.processingRatePerSec} records/s against ${cap.produceRatePerSec} produced per second, and was still working through its backlog at the end`);
    j ??= committedLossCause(ctx, { tp, offset: f.offset, sinceUs: 0 });
    if (!j) return null;
    first ??= j;
  }
  return first;
}

/** The member read the record again from a rewound position: its position on the partition was out of range between
 *  `fromUs` and `toUs` and reset to the earliest offset, at or below the record (offset-reset-stale-leader). */
export function rereadAfterReset(ctx: OracleContext, f: Finding, fromUs: number, toUs: number): Justification | null {
  // Before KIP-320 (clients before 2.1) a consumer takes a deposed leader's stale metadata and fetches there; a
  // position past that log's end is OFFSET_OUT_OF_RANGE, and auto.offset.reset=earliest reads from the start again.
  // From 2.1 on only while a deposed leader still believed itself leader (cut off while the partition moved): a
  // member without the partition's leader epoch yet (just assigned) has nothing to fence its metadata with.
  if (f.partition === null) return null;
  const tp = f.partition;
  const part = ctx.idx.partitions.get(tp);
  const reset = resets(ctx).find((op) => op.value.group === f.group && `${op.value.topic}-${op.value.partition}` === tp && op.value.reason === "out-of-range" && op.value.strategy === "earliest" && op.timeUs > fromUs && op.timeUs < toUs && op.value.offset <= (f.offset ?? Number.POSITIVE_INFINITY) && (ctx.rank <= 2 || (part !== undefined && zombieLeaderAt(part, op.timeUs) !== undefined)));
  if (!reset) return null;
  return ctx.justify("offset-reset-stale-leader", [historyRef(reset, () => `${reset.process} found its position on ${tp} out of range and reset it to offset ${reset.value.offset} at ${fmtTime(reset.timeUs)}`)], () => `${reset.process}'s position on ${tp} was out of range at ${fmtTime(reset.timeUs)} (it asked a broker whose log ended before it: a deposed leader's stale metadata) and auto.offset.reset=earliest read value ${f.value} again`);
}
