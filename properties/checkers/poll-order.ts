// The state machine over the polls of every consumer, per partition, that poll-skip and nonmonotonic-poll read,
// fed by the one pass over the history (properties/scan.ts). A consumer's next offset must follow the previous one
// it polled; after an assignment (a rebalance) it must start where the group committed (or where it was, if it kept
// the partition); after a reset or a seek (the consumer moving its own position: kafkajs after a handler threw,
// consumer.seek), at that offset. Commits whose outcome is unknown are accepted as possible starting points.
import { NO_TXN, invisibleOffsets } from "../transactions.ts";
import type { TxnView } from "../transactions.ts";
import type { RunResult } from "../../sim/result.ts";
import type { HistoryColumns, HistoryOp } from "../../sim/history.ts";
import type { Finding } from "../types.ts";
import { historyScan, tpName } from "../context.ts";
import { fmtTime } from "../explain.ts";
import { nested3, withStory } from "./common.ts";

interface Pos {
  /** Next offset expected; -1 unknown. */
  next: number;
  /** After an assignment: the acceptable starting offsets (null when none pending). */
  starts: number[] | null;
  lastPollUs: number;
}

interface Committed {
  ok: number;
  /** The member whose commit set `ok`. */
  okBy: string;
  pending: number[];
}

export interface PollOrder {
  readonly skips: Finding[];
  readonly backs: Finding[];
}

export class PollOrderScan implements PollOrder {
  readonly skips: Finding[] = [];
  readonly backs: Finding[] = [];
  /** process → topic → partition → Pos */
  private readonly pos = new Map<string, Map<string, Map<number, Pos>>>();
  /** group → topic → partition → Committed */
  private readonly committed = new Map<string, Map<string, Map<number, Committed>>>();

  constructor(
    private readonly result: RunResult,
    private readonly txn: TxnView,
  ) {}

  private getPos(process: string, topic: string, partition: number): Pos {
    const m = nested3(this.pos, process, topic);
    let p = m.get(partition);
    if (!p) m.set(partition, (p = { next: -1, starts: null, lastPollUs: 0 }));
    return p;
  }

  private report(kind: "skip" | "back", process: string, topic: string, partition: number, offset: number, value: number, expected: string, timeUs: number, fromUs: number): void {
    const tp = tpName(topic, partition);
    const list = kind === "skip" ? this.skips : this.backs;
    const text =
      kind === "skip"
        ? `${process} polled ${tp} offset ${offset} at ${fmtTime(timeUs)} where it should have continued from ${expected}: the offsets in between were skipped`
        : `${process} polled ${tp} offset ${offset} at ${fmtTime(timeUs)} after ${expected}: it went back`;
    list.push({ type: kind === "skip" ? "poll-skip" : "nonmonotonic-poll", partition: tp, offset, value, sinceUs: timeUs, process, explanation: withStory(this.result, list.length, text, tp, fromUs, timeUs) });
  }

  /** A commit, assign, reset, crash or restart op. */
  op(op: HistoryOp): void {
    switch (op.f) {
      case "commit": {
        if (op.type === "fail") break;
        for (const o of op.value.offsets) {
          const m = nested3(this.committed, op.value.group, o.topic);
          let c = m.get(o.partition);
          if (!c) m.set(o.partition, (c = { ok: -1, okBy: "", pending: [] }));
          if (op.type === "ok") {
            // Another member's commit answered earlier may still stand: a commit is answered after it took effect,
            // and a transaction's offsets take effect at its marker, possibly long before a slow EndTxn answer
            // reaches its member (and Kafka keeps the offset appended last: GroupMetadata `olderThan`). Either may
            // be where the group resumes.
            const keep = c.ok >= 0 && c.okBy !== op.process ? c.ok : -1;
            c.ok = o.offset;
            c.okBy = op.process;
            c.pending.length = 0;
            if (keep >= 0) c.pending.push(keep);
          } else if (c.pending.length < 16) c.pending.push(o.offset);
          // A member assigned the partition and not yet polling it waits for the group's pending transactional
          // offsets (OffsetFetch requireStable, KIP-447): a commit landing meanwhile is where it may start.
          for (const [proc, byTopic] of this.pos) {
            if (!proc.startsWith(`${op.value.group}/`)) continue;
            const p = byTopic.get(o.topic)?.get(o.partition);
            if (p !== undefined && p.starts !== null && !p.starts.includes(o.offset)) p.starts.push(o.offset);
          }
        }
        break;
      }
      case "assign": {
        if (op.type !== "ok") break;
        for (const tp of op.value.partitions) {
          const p = this.getPos(op.process, tp.topic, tp.partition);
          const starts: number[] = [];
          if (p.next >= 0) starts.push(p.next);
          const c = this.committed.get(op.value.group)?.get(tp.topic)?.get(tp.partition);
          if (c) {
            if (c.ok >= 0) starts.push(c.ok);
            for (const x of c.pending) starts.push(x);
          }
          p.starts = starts.length > 0 ? starts : null;
          if (starts.length === 0) p.next = -1;
        }
        break;
      }
      case "seek":
      case "reset": {
        const p = this.getPos(op.process, op.value.topic, op.value.partition);
        p.next = op.value.offset;
        p.starts = null;
        break;
      }
      case "crash":
      case "restart":
        this.pos.delete(op.process);
        break;
      default:
        break;
    }
  }

  /** Record `j` of poll `i` (an ok). */
  record(h: HistoryColumns, i: number, j: number): void {
    const process = h.process(i);
    const topic = h.recTopic(i, j);
    const partition = h.recPartition(i, j);
    const offset = h.recOffset(i, j);
    const timeUs = h.timeUs(i);
    const p = this.getPos(process, topic, partition);
    // Offsets the consumer never gets (markers; aborted or open transactions under read_committed).
    const invisible = this.txn === NO_TXN ? undefined : invisibleOffsets(this.txn, h.group(i), tpName(topic, partition));
    if (invisible !== undefined) {
      const past = (o: number): number => {
        while (o < offset && invisible.has(o)) o++;
        return o;
      };
      if (p.starts !== null) p.starts = p.starts.map(past);
      else if (p.next >= 0) p.next = past(p.next);
    }
    if (p.starts !== null) {
      const st = p.starts;
      if (!st.includes(offset)) {
        const max = Math.max(...st);
        const min = Math.min(...st);
        const what = st.length === 1 ? `offset ${min} (its position or the group's committed offset)` : `one of offsets ${st.join(", ")} (its position or the group's committed offsets)`;
        if (offset > max) this.report("skip", process, topic, partition, offset, h.recValue(i, j), what, timeUs, p.lastPollUs);
        else if (offset < min) this.report("back", process, topic, partition, offset, h.recValue(i, j), `a rebalance that should have resumed it at ${what}`, timeUs, p.lastPollUs);
      }
      p.starts = null;
    } else if (p.next >= 0 && offset !== p.next) {
      if (offset > p.next) this.report("skip", process, topic, partition, offset, h.recValue(i, j), `offset ${p.next}`, timeUs, p.lastPollUs);
      else this.report("back", process, topic, partition, offset, h.recValue(i, j), `offset ${p.next - 1}`, timeUs, p.lastPollUs);
    }
    p.next = offset + 1;
    p.lastPollUs = timeUs;
  }
}

export function scanPollOrder(result: RunResult): PollOrder {
  return historyScan(result).pollOrder;
}
