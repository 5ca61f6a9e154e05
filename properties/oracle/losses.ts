// How records leave a partition's log in ways Kafka permits, with the events that show it: an unclean election,
// a power loss of an in-sync replica without fsync, the old protocols' truncation rules, and (acks=1) a clean
// leader change before the followers had the record. Every rule about lost, rewritten or unreadable records rests
// on these.
import { topicOfTp } from "../context.ts";
import { fmtTime } from "../explain.ts";
import type { OracleContext, Justification } from "./context.ts";
import type { EvidenceRef, Leadership, PartitionEvidence } from "./evidence.ts";
import { electionOf, isrAt } from "./evidence.ts";

export interface LossQuery {
  readonly tp: string;
  /** The record's offset, when known (a cause must reach it: a leader or a recovered log that ends at or below it). */
  readonly offset: number | null;
  /** Causes count from this time on (the record existed from then). */
  readonly sinceUs: number;
  /** The leader epoch the record was appended at, when known: an unclean election at a later epoch loses it even if
   *  it came first in time (the old leader, a zombie, went on appending at its epoch). */
  readonly appendEpoch?: number;
  /** When replicas may have held the record from (its send): a power loss from then on may have taken it even when it
   *  came before the acknowledgement (the replica had fetched it; the leader counted that fetch after the loss). */
  readonly existedFromUs?: number;
}

function reaches(end: number, offset: number | null): boolean {
  return offset === null || end <= offset;
}

function leadershipAt(p: PartitionEvidence, broker: number, sinceUs: number): Leadership | undefined {
  return p.leaderships.find((l) => l.broker === broker && l.ref.timeUs >= sinceUs);
}

/** Committed records may be lost: an unclean election, an in-sync replica's power loss, or the 0.10/0.11 rules.
 *  The first cause found, in that order, that reaches the record; null when none did (then a loss is a bug). */
export function committedLossCause(ctx: OracleContext, q: LossQuery): Justification | null {
  return uncleanCause(ctx, q) ?? powerLossCause(ctx, q) ?? protocolCause(ctx, q) ?? zkIsrWriteCause(ctx, q);
}

/** Before 2.7 the leader writes its ISR to ZooKeeper itself and takes the new ISR only when the write's answer comes
 *  (Partition.updateIsr). A write applied in ZooKeeper whose answer was lost, retried after the controller had
 *  rewritten the znode, fails the version check: the leader goes on with its old ISR (and its HW over it) while the
 *  controller elects from ZooKeeper's. A clean election of a replica ZooKeeper listed in the ISR but the partition's
 *  leader did not, at an epoch after the record's, that lacked the record. */
export function zkIsrWriteCause(ctx: OracleContext, q: LossQuery): Justification | null {
  const p = ctx.idx.partitions.get(q.tp);
  if (!p || ctx.rank > 2) return null;
  for (const e of p.elections) {
    if (e.unclean || !e.legitimate || (q.appendEpoch !== undefined && q.appendEpoch >= 0 ? e.epoch <= q.appendEpoch : e.ref.timeUs < q.sinceUs)) continue;
    const leaders = isrAt(p, e.ref.timeUs - 1);
    if (leaders === null || leaders.includes(e.leader) || !e.isrBefore.includes(e.leader)) continue;
    const l = p.leaderships.find((x) => x.broker === e.leader && x.epoch === e.epoch);
    if (!l || !reaches(l.logEndOffset, q.offset)) continue;
    return ctx.justify("protocol-zk-isr-write", [e.ref, l.ref], () => `at ${fmtTime(e.ref.timeUs)} broker ${e.leader} was elected leader of ${q.tp} from ZooKeeper's ISR [${e.isrBefore.join(",")}], which the old leader's ISR [${leaders.join(",")}] did not match (its write adding broker ${e.leader} had gone through unanswered), with log end offset ${l.logEndOffset}`);
  }
  return null;
}

/** An election from outside the ISR, where the topic allows it; one whose leader lacked the record first. */
export function uncleanCause(ctx: OracleContext, q: LossQuery): Justification | null {
  const p = ctx.idx.partitions.get(q.tp);
  const topic = topicOfTp(q.tp);
  if (p) {
    if (ctx.topicSetting(topic, "unclean.leader.election.enable")) {
      let fallback: Justification | null = null;
      for (const e of p.elections) {
        if (!e.unclean || !e.legitimate || (q.appendEpoch !== undefined && q.appendEpoch >= 0 ? e.epoch <= q.appendEpoch : e.ref.timeUs < q.sinceUs)) continue;
        const l = p.leaderships.find((x) => x.broker === e.leader && x.epoch === e.epoch);
        const events: EvidenceRef[] = l ? [e.ref, l.ref] : [e.ref];
        const j = ctx.justify("unclean-election", events, () => `at ${fmtTime(e.ref.timeUs)} broker ${e.leader} was elected leader of ${q.tp} from outside the ISR [${e.isrBefore.join(",")}]${l ? ` with log end offset ${l.logEndOffset}` : ""}`);
        if (l && reaches(l.logEndOffset, q.offset)) return j;
        fallback ??= j;
      }
      if (fallback) return fallback;
    }
  }
  return null;
}

/** A power loss of an in-sync replica without fsync, that recovered without the record. */
export function powerLossCause(ctx: OracleContext, q: LossQuery): Justification | null {
  const p = ctx.idx.partitions.get(q.tp);
  const topic = topicOfTp(q.tp);
  for (const pl of ctx.idx.powerLosses) {
    if (pl.ref.timeUs < (q.existedFromUs ?? q.sinceUs) || !ctx.unflushed(topic, pl.broker)) continue;
    const isr = p ? isrAt(p, pl.ref.timeUs) : null;
    if (isr !== null && !isr.includes(pl.broker)) continue;
    const recoveredEnd = pl.recovered?.logEndOffsets[q.tp];
    if (recoveredEnd !== undefined ? !reaches(recoveredEnd, q.offset) : pl.lostRecords === 0) continue;
    const led = p ? leadershipAt(p, pl.broker, pl.ref.timeUs) : undefined;
    // KIP-966: with ELR the replica came back out of the ISR and the ELR; its shorter log loses records only if it
    // led again (elected as the last known leader, or uncleanly). The replicas that stayed hold every committed record.
    if (ctx.elr && led === undefined) continue;
    const events: EvidenceRef[] = [pl.ref];
    if (pl.recovered) events.push(pl.recovered.ref);
    if (led) events.push(led.ref);
    const end = recoveredEnd !== undefined ? `, recovered ${q.tp} to log end offset ${recoveredEnd}` : `, losing ${pl.lostRecords} unflushed record(s)`;
    return ctx.justify("power-loss-unflushed", events, () => `broker ${pl.broker}, in the ISR of ${q.tp}, lost power at ${fmtTime(pl.ref.timeUs)}${end}${led ? ` and led it again at epoch ${led.epoch}` : ""}`);
  }
  return null;
}

/** Protocols 0.10 and 0.11: a truncation that reached the record, or failing that a leader change. */
export function protocolCause(ctx: OracleContext, q: LossQuery): Justification | null {
  const p = ctx.idx.partitions.get(q.tp);
  if (p && ctx.rank === 2) {
    // KAFKA-6880: a follower that missed a leader change fetches from the new leader by offset, without truncating.
    const s = p.staleJoins.find((x) => x.ref.timeUs >= q.sinceUs);
    if (s) return ctx.justify("protocol-2.0-stale-follower", [s.ref], () => `broker ${s.broker} was added to the ISR of ${q.tp} by broker ${s.leader} at epoch ${s.epoch} at ${fmtTime(s.ref.timeUs)}, though it had never followed that epoch: it fetched by offset alone, without truncating its log`);
  }
  if (p && ctx.rank <= 1) {
    const rule = ctx.rank === 0 ? "protocol-0.10-truncation" : "protocol-0.11-divergence";
    const t = p.truncations.find((x) => x.ref.timeUs >= q.sinceUs && reaches(x.toOffset, q.offset));
    if (t) return ctx.justify(rule, [t.ref], () => `broker ${t.broker} truncated ${q.tp} to offset ${t.toOffset} at ${fmtTime(t.ref.timeUs)} (${t.reason})`);
    const l = p.leaderships.find((x) => x.ref.timeUs >= q.sinceUs);
    if (l) return ctx.justify(rule, [l.ref], () => `broker ${l.broker} became leader of ${q.tp} at epoch ${l.epoch} at ${fmtTime(l.ref.timeUs)}: the old protocol may leave the logs diverged`);
  }
  return null;
}

/** acks=1: a leader at a higher epoch than the one that appended the record, legitimately elected, that did not
 *  have it (its log end offset at or below the record), or failing that any such leader (the logs may differ). */
export function leaderChangeCause(ctx: OracleContext, q: { readonly tp: string; readonly offset: number | null; readonly appendEpoch: number }): Justification | null {
  const p = ctx.idx.partitions.get(q.tp);
  if (!p) return null;
  const unclean = ctx.topicSetting(topicOfTp(q.tp), "unclean.leader.election.enable");
  let fallback: Justification | null = null;
  for (const l of p.leaderships) {
    if (l.epoch <= q.appendEpoch) continue;
    // Only an election the controller made, from the ISR or (where allowed) uncleanly, permits anything.
    const e = electionOf(p, l.broker, l.epoch);
    if (!e || !e.legitimate || (e.unclean && !unclean)) continue;
    const events = [e.ref, l.ref];
    const lacks = reaches(l.logEndOffset, q.offset);
    const j = ctx.justify("acks1-leader-change", events, () => `broker ${l.broker} became leader of ${q.tp} at epoch ${l.epoch} (the record was appended at epoch ${q.appendEpoch}) at ${fmtTime(l.ref.timeUs)}${lacks ? ` with log end offset ${l.logEndOffset}, without the record` : ""}`);
    if (lacks) return j;
    fallback ??= j;
  }
  if (fallback) return fallback;
  // An election whose leader never heard it (its LeaderAndIsr still on the way at the end): the old leader, a zombie,
  // went on acknowledging at its epoch, and the elected replica's log is the partition's once it leads.
  for (const e of p.elections) {
    if (e.epoch <= q.appendEpoch || !e.legitimate || (e.unclean && !unclean)) continue;
    return ctx.justify("acks1-leader-change", [e.ref], () => `broker ${e.leader} was elected leader of ${q.tp} at epoch ${e.epoch} (the record was appended at epoch ${q.appendEpoch}) at ${fmtTime(e.ref.timeUs)}`);
  }
  return null;
}
