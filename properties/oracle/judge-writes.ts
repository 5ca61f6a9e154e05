// The rules for anomalies of the written logs: lost writes, rewritten offsets, reads later truncated, replicas
// that disagree, and phantoms (never permitted).
import type { Finding } from "../types.ts";
import type { HistoryOp } from "../../sim/history.ts";
import { topicOfTp } from "../context.ts";
import { fmtTime } from "../explain.ts";
import type { Justification, OracleContext } from "./context.ts";
import { committedLossCause, leaderChangeCause, protocolCause, uncleanCause } from "./losses.ts";
import { epochLedAt } from "./evidence.ts";
import { historyRefAt } from "./evidence.ts";
import { sequenceReuseCause } from "./judge-txn.ts";

/** The leader epoch a record was appended at: the epoch the acknowledging broker led at when it answered (else
 *  the latest leadership of the partition before the ack). */
function appendEpoch(ctx: OracleContext, tp: string, ackTimeUs: number, broker: number | undefined): number {
  const p = ctx.idx.partitions.get(tp);
  if (!p) return -1;
  if (broker !== undefined) return epochLedAt(p, broker, ackTimeUs);
  let epoch = -1;
  for (const l of p.leaderships) {
    if (l.ref.timeUs > ackTimeUs) break;
    epoch = l.epoch;
  }
  return epoch;
}

export function justifyLostWrite(ctx: OracleContext, f: Finding): Justification | null {
  const value = f.value;
  const send = value === null ? undefined : ctx.run.sends.get(value);
  if (!send || f.partition === null) return null;
  const producer = ctx.producer(send.process);
  const acks = producer?.config.acks;
  const ok = send.outcomeIndex;
  const h = ctx.h;
  if (acks === 0) {
    return ctx.justify("acks0-unacknowledged", ok >= 0 ? [historyRefAt(h, ok, () => `${send.process}'s send of value ${value} "succeeded" at ${fmtTime(h.timeUs(ok))} without an answer from the broker`)] : [], () => `${send.process} never heard whether value ${value} was written`);
  }
  const okOp = ok >= 0 ? h.op(ok) : undefined;
  const broker = okOp && okOp.f === "send" ? okOp.value.broker : undefined;
  const epoch = appendEpoch(ctx, f.partition, send.ackTimeUs, broker);
  if (acks === 1) {
    const cause = leaderChangeCause(ctx, { tp: f.partition, offset: f.offset, appendEpoch: epoch });
    if (cause) return cause;
  }
  const invoke = ctx.result.history[send.invoke];
  return committedLossCause(ctx, { tp: f.partition, offset: f.offset, sinceUs: send.ackTimeUs, appendEpoch: epoch, ...(invoke ? { existedFromUs: invoke.timeUs } : {}) }) ?? sequenceReuseCause(ctx, send.process, f.partition, send.ackTimeUs);
}

/** An offset seen with two values: one of them an acks=1 acknowledgement that a later-epoch leader did not keep
 *  (the first, rewritten after a leader change; or the second, a zombie leader's at an older epoch), or a
 *  committed loss. */
export function justifyInconsistentOffsets(ctx: OracleContext, f: Finding): Justification | null {
  if (f.partition === null) return null;
  // Each observation is an acknowledgement (the value's own ok at this offset) or a read.
  const acks: { readonly send: NonNullable<ReturnType<typeof ctx.run.sends.get>>; readonly op: HistoryOp & { f: "send" } }[] = [];
  let aRead = false;
  for (const [value, byProducer] of [
    [f.relatedValue, f.process !== undefined && f.relatedValue !== undefined && ctx.run.sends.get(f.relatedValue)?.process === f.process],
    [f.value, true],
  ] as const) {
    const send = value === undefined || value === null ? undefined : ctx.run.sends.get(value);
    const op = send ? ctx.result.history[send.outcomeIndex] : undefined;
    if (send && byProducer && op && op.f === "send" && op.value.offset === f.offset) acks.push({ send, op });
    else aRead = true;
  }
  for (const { send, op } of acks) {
    const epoch = appendEpoch(ctx, f.partition, op.timeUs, op.value.broker);
    // acks=1: a later-epoch leader did not keep it (the first, rewritten after a leader change; or a zombie's).
    if (ctx.producer(send.process)?.config.acks === 1) {
      const cause = leaderChangeCause(ctx, { tp: f.partition, offset: f.offset, appendEpoch: epoch });
      if (cause) return cause;
    }
    // A committed loss from its append epoch on (an unclean election at a later epoch counts even when it came first
    // in time: the acknowledging leader was a zombie).
    const invoke = ctx.result.history[send.invoke];
    const cause = committedLossCause(ctx, { tp: f.partition, offset: f.offset, sinceUs: op.timeUs, appendEpoch: epoch, ...(invoke ? { existedFromUs: invoke.timeUs } : {}) });
    if (cause) return cause;
  }
  // A read: consumers read only committed records, so one that was rewritten was lost by a committed-loss cause.
  return aRead ? committedLossCause(ctx, { tp: f.partition, offset: f.offset, sinceUs: 0 }) : null;
}

/** A read the final log does not hold: consumers read only below the HW, so a committed record was lost. The cause
 *  may come before the read (a leader elected uncleanly while the old one still served reads). */
export function justifyUncommittedRead(ctx: OracleContext, f: Finding): Justification | null {
  if (f.partition === null) return null;
  return committedLossCause(ctx, { tp: f.partition, offset: f.offset, sinceUs: 0 });
}

/** Replicas that disagree below their HWs, a leader missing committed records, an ISR member behind: a power loss of
 *  a replica without fsync, an unclean election (the new leader lacks what the old lineage committed, until the old
 *  replicas hear of it and truncate), or the 0.10 / 0.11 protocols. */
export function justifyReplicaInvariant(ctx: OracleContext, f: Finding): Justification | null {
  if (f.partition === null) return null;
  const topic = topicOfTp(f.partition);
  const replicas = ctx.result.final.partitions.find((p) => `${p.topic}-${p.partition}` === f.partition)?.replicas.map((r) => r.broker) ?? [];
  const pl = ctx.idx.powerLosses.find((x) => replicas.includes(x.broker) && ctx.unflushed(topic, x.broker));
  if (pl) {
    const events = pl.recovered ? [pl.ref, pl.recovered.ref] : [pl.ref];
    return ctx.justify("power-loss-unflushed", events, () => `broker ${pl.broker}, a replica of ${f.partition}, lost power at ${fmtTime(pl.ref.timeUs)} and restarted without its unflushed records, still in the ISR`);
  }
  const q = { tp: f.partition, offset: null, sinceUs: 0 };
  // The old protocols' own divergence first: with a correct protocol an unclean election's lineages re-converge.
  return protocolCause(ctx, q) ?? uncleanCause(ctx, q);
}
