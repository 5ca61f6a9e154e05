// The rules for what a producer's retries do: a duplicate needs a retry of the record's batch by a producer that is
// not idempotent; a reorder needs a retry of the earlier record's batch with more than one request in flight, or
// (acks=0) the two sends on different connections (one closed between them, or two brokers).
import type { Finding } from "../types.ts";
import { fmtTime } from "../explain.ts";
import type { Justification, OracleContext } from "./context.ts";
import { lazyJustification } from "./context.ts";
import type { EvidenceRef } from "./evidence.ts";
import { historyRef } from "./evidence.ts";
import { committedLossCause, protocolCause } from "./losses.ts";
import { justifyLostWrite } from "./judge-writes.ts";

/** One request in flight, yet the earlier record sits after the later one: its acknowledged copy was lost (as a lost
 *  write is permitted: an acks=1 leader change, or a committed loss) and what the final log holds is another copy of
 *  it from a retry of its batch (or an earlier attempt a closed connection still delivered), written later. */
function lostThenRetried(ctx: OracleContext, f: Finding, earlier: number, retry: EvidenceRef): Justification | null {
  const s = ctx.run.sends.get(earlier);
  if (s === undefined || s.ackOffset === undefined || f.partition === null || ctx.run.valueOffset.get(earlier) === s.ackOffset) return null;
  const loss = justifyLostWrite(ctx, { type: "lost-write", partition: f.partition, offset: s.ackOffset, value: earlier, explanation: "" });
  if (loss === null) return null;
  return lazyJustification(loss.rule, [...loss.events, retry], () => `${loss.sentence}; value ${earlier}'s acknowledged copy at offset ${s.ackOffset} was lost, and a copy from a retry of its batch (${fmtTime(retry.timeUs)}) was written after value ${f.value}`);
}

function retryOf(ctx: OracleContext, producer: string, value: number): EvidenceRef | undefined {
  for (const r of ctx.idx.retries.get(producer) ?? []) if (r.values.includes(value)) return r.ref;
  return undefined;
}

export function justifyDuplicate(ctx: OracleContext, f: Finding): Justification | null {
  if (f.value === null || f.process === undefined) return null;
  const p = ctx.producer(f.process);
  if (!p) return null;
  const retry = retryOf(ctx, p.id, f.value);
  if (!retry) return null;
  if (ctx.nonIdempotent(p)) {
    const why = ctx.rank < 1 ? "protocol 0.10 has no idempotent producer" : `${p.id} has enable.idempotence=false`;
    return ctx.justify("retry-without-idempotence", [retry], () => `${why}; it retried the batch holding value ${f.value} at ${fmtTime(retry.timeUs)}, after it had been written`);
  }
  // An idempotent producer's sequence check needs the producer state the partition lost with its records.
  if (f.partition !== null) {
    const cause = committedLossCause(ctx, { tp: f.partition, offset: null, sinceUs: f.sinceUs ?? 0 });
    if (cause) return lazyJustification(cause.rule, [...cause.events, retry], () => `${cause.sentence}; the idempotent producer's retry at ${fmtTime(retry.timeUs)} was written again`);
  }
  // TransactionManager.canRetry (KIP-360): a sequence error with no earlier batch unresolved is taken for a gap; the
  // producer bumps its epoch and sends the batch again under sequence 0, which no broker can match with its first
  // write (a zombie leader that missed the writes answers OUT_OF_ORDER_SEQUENCE_NUMBER to a batch the real one has).
  const reset = (ctx.idx.retries.get(p.id) ?? []).find((r) => r.values.includes(f.value as number) && (r.error === "OUT_OF_ORDER_SEQUENCE_NUMBER" || r.error === "UNKNOWN_PRODUCER_ID"));
  if (!reset) return null;
  return ctx.justify("idempotent-sequence-reset", [retry, reset.ref], () => `${p.id} got ${reset.error} for the batch holding value ${f.value} at ${fmtTime(reset.ref.timeUs)} after an attempt of it had been written, bumped its epoch and wrote the batch again under new sequence numbers`);
}

export function justifyReorder(ctx: OracleContext, f: Finding): Justification | null {
  if (f.process === undefined || f.relatedValue === undefined) return null;
  const p = ctx.producer(f.process);
  if (!p) return null;
  if (p.config.acks === 0) {
    // acks=0's "acknowledgement" is the write to the socket: the earlier record went out on a connection that
    // closed before the later one was written (on the next connection).
    const prev = ctx.run.sends.get(f.relatedValue);
    const v = f.value === null ? undefined : ctx.run.sends.get(f.value);
    const from = prev && prev.ackTimeUs >= 0 ? prev.ackTimeUs : (f.sinceUs ?? 0);
    const to = v && v.ackTimeUs >= 0 ? v.ackTimeUs : Number.POSITIVE_INFINITY;
    const d = (ctx.idx.disconnects.get(p.id) ?? []).find((x) => x.timeUs >= from && x.timeUs <= to);
    if (d) return ctx.justify("acks0-reconnect-reorder", [d], () => `${p.id} lost its connection at ${fmtTime(d.timeUs)}, after writing value ${f.relatedValue} to it and before writing value ${f.value}`);
    // Written to two brokers (the producer's metadata moved the leader between them): two connections, no order.
    const a = prev ? ctx.result.history[prev.outcomeIndex] : undefined;
    const b = v ? ctx.result.history[v.outcomeIndex] : undefined;
    if (a && b && a.f === "send" && b.f === "send" && a.value.broker !== undefined && b.value.broker !== undefined && a.value.broker !== b.value.broker) {
      const [ab, bb] = [a.value.broker, b.value.broker];
      return ctx.justify("acks0-reconnect-reorder", [historyRef(a, () => `${p.id} wrote value ${f.relatedValue} to broker ${ab}`), historyRef(b, () => `${p.id} wrote value ${f.value} to broker ${bb}`)], () => `${p.id} wrote value ${f.relatedValue} to broker ${ab} at ${fmtTime(a.timeUs)} and value ${f.value} to broker ${bb} at ${fmtTime(b.timeUs)}: two connections, in no order`);
    }
    return null;
  }
  const retry = ctx.nonIdempotent(p) ? retryOf(ctx, p.id, f.relatedValue) : undefined;
  // Before KIP-101 (0.10; 0.11 without KIP-279) a follower keeps its own records below its HW and appends the new
  // leader's after them: a zombie's earlier record can land after a later one (fuzz seed 97004, unclean election).
  if (!retry) return f.partition === null ? null : protocolCause(ctx, { tp: f.partition, offset: f.offset, sinceUs: f.sinceUs ?? 0 });
  if (p.config["max.in.flight.requests.per.connection"] <= 1) return lostThenRetried(ctx, f, f.relatedValue, retry);
  return ctx.justify("retry-without-idempotence", [retry], () => `${p.id} (max.in.flight.requests.per.connection=${p.config["max.in.flight.requests.per.connection"]}) retried the batch holding value ${f.relatedValue} at ${fmtTime(retry.timeUs)}, behind the later value ${f.value}`);
}
