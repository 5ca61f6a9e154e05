// One streaming pass over the polls of every consumer, per partition, that poll-skip and nonmonotonic-poll
// read. A consumer's next offset must follow the previous one it polled; after an assignment (a rebalance) it
// must start where the group committed (or where it was, if it kept the partition); after a reset, at the
// reset offset. Commits whose outcome is unknown are accepted as possible starting points.
import { invisibleOffsets } from "../transactions.ts";
import type { RunResult } from "../../sim/result.ts";
import type { Finding } from "../types.ts";
import { tpName } from "../context.ts";
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
  pending: number[];
}

export interface PollOrder {
  readonly skips: Finding[];
  readonly backs: Finding[];
}

const CACHE = new WeakMap<RunResult, PollOrder>();

export function scanPollOrder(result: RunResult): PollOrder {
  const hit = CACHE.get(result);
  if (hit) return hit;
  const skips: Finding[] = [];
  const backs: Finding[] = [];
  // process → topic → partition → Pos
  const pos = new Map<string, Map<string, Map<number, Pos>>>();
  // group → topic → partition → Committed
  const committed = new Map<string, Map<string, Map<number, Committed>>>();
  const getPos = (process: string, topic: string, partition: number): Pos => {
    const m = nested3(pos, process, topic);
    let p = m.get(partition);
    if (!p) m.set(partition, (p = { next: -1, starts: null, lastPollUs: 0 }));
    return p;
  };
  const report = (kind: "skip" | "back", process: string, topic: string, partition: number, offset: number, value: number, expected: string, timeUs: number, fromUs: number): void => {
    const tp = tpName(topic, partition);
    const list = kind === "skip" ? skips : backs;
    const text =
      kind === "skip"
        ? `${process} polled ${tp} offset ${offset} at ${fmtTime(timeUs)} where it should have continued from ${expected}: the offsets in between were skipped`
        : `${process} polled ${tp} offset ${offset} at ${fmtTime(timeUs)} after ${expected}: it went back`;
    list.push({ type: kind === "skip" ? "poll-skip" : "nonmonotonic-poll", partition: tp, offset, value, sinceUs: timeUs, process, explanation: withStory(result, list.length, text, tp, fromUs, timeUs) });
  };
  for (const op of result.history) {
    switch (op.f) {
      case "commit": {
        if (op.type === "fail") break;
        for (const o of op.value.offsets) {
          const m = nested3(committed, op.value.group, o.topic);
          let c = m.get(o.partition);
          if (!c) m.set(o.partition, (c = { ok: -1, pending: [] }));
          if (op.type === "ok") {
            c.ok = o.offset;
            c.pending.length = 0;
          } else if (c.pending.length < 16) c.pending.push(o.offset);
        }
        break;
      }
      case "assign": {
        if (op.type !== "ok") break;
        for (const tp of op.value.partitions) {
          const p = getPos(op.process, tp.topic, tp.partition);
          const starts: number[] = [];
          if (p.next >= 0) starts.push(p.next);
          const c = committed.get(op.value.group)?.get(tp.topic)?.get(tp.partition);
          if (c) {
            if (c.ok >= 0) starts.push(c.ok);
            for (const x of c.pending) starts.push(x);
          }
          p.starts = starts.length > 0 ? starts : null;
          if (starts.length === 0) p.next = -1;
        }
        break;
      }
      case "reset": {
        const p = getPos(op.process, op.value.topic, op.value.partition);
        p.next = op.value.offset;
        p.starts = null;
        break;
      }
      case "crash":
      case "restart":
        pos.delete(op.process);
        break;
      case "poll": {
        if (op.type !== "ok") break;
        const recs = op.value.records;
        for (let j = 0; j < recs.length; j++) {
          const r = recs[j];
          if (!r) continue;
          const p = getPos(op.process, r.topic, r.partition);
          // Offsets the consumer never gets (markers; aborted or open transactions under read_committed).
          const invisible = invisibleOffsets(result, op.value.group, `${r.topic}-${r.partition}`);
          if (invisible !== undefined) {
            const past = (o: number): number => {
              while (o < r.offset && invisible.has(o)) o++;
              return o;
            };
            if (p.starts !== null) p.starts = p.starts.map(past);
            else if (p.next >= 0) p.next = past(p.next);
          }
          if (p.starts !== null) {
            const st = p.starts;
            if (!st.includes(r.offset)) {
              const max = Math.max(...st);
              const min = Math.min(...st);
              const what = st.length === 1 ? `offset ${min} (its position or the group's committed offset)` : `one of offsets ${st.join(", ")} (its position or the group's committed offsets)`;
              if (r.offset > max) report("skip", op.process, r.topic, r.partition, r.offset, r.value, what, op.timeUs, p.lastPollUs);
              else if (r.offset < min) report("back", op.process, r.topic, r.partition, r.offset, r.value, `a rebalance that should have resumed it at ${what}`, op.timeUs, p.lastPollUs);
            }
            p.starts = null;
          } else if (p.next >= 0 && r.offset !== p.next) {
            if (r.offset > p.next) report("skip", op.process, r.topic, r.partition, r.offset, r.value, `offset ${p.next}`, op.timeUs, p.lastPollUs);
            else report("back", op.process, r.topic, r.partition, r.offset, r.value, `offset ${p.next - 1}`, op.timeUs, p.lastPollUs);
          }
          p.next = r.offset + 1;
          p.lastPollUs = op.timeUs;
        }
        break;
      }
      default:
        break;
    }
  }
  const res = { skips, backs };
  CACHE.set(result, res);
  return res;
}
