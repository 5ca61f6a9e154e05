// inconsistent-offsets (Jepsen): two different values seen at the same offset of a partition (by polls, or a
// poll against the acknowledged offset of a send).
import type { RunResult } from "../../sim/result.ts";
import type { Finding } from "../types.ts";
import type { HistoryOp } from "../../sim/history.ts";
import { runIndex, tpName } from "../context.ts";
import { withStory } from "./common.ts";

export function checkInconsistentOffsets(result: RunResult): Finding[] {
  // topic → partition → offset → value first seen, and the history index of the op that saw it (numbers only: this
  // runs for every acknowledged and every polled record).
  const seen = new Map<string, Map<number, number>[]>();
  const firstOp = new Map<string, Map<number, number>[]>();
  const reported = new Map<string, Map<number, true>[]>();
  const out: Finding[] = [];
  const h = result.history;
  const who = (op: HistoryOp): string => (op.f === "send" ? `the ack to ${op.process}` : op.process);
  const note = (topic: string, partition: number, offset: number, value: number, op: HistoryOp): void => {
    let arr = seen.get(topic);
    if (!arr) {
      seen.set(topic, (arr = []));
      firstOp.set(topic, []);
    }
    let m = arr[partition];
    if (!m) {
      arr[partition] = m = new Map();
      (firstOp.get(topic) as Map<number, number>[])[partition] = new Map();
    }
    const prev = m.get(offset);
    const ops = (firstOp.get(topic) as Map<number, number>[])[partition] as Map<number, number>;
    if (prev === undefined) {
      m.set(offset, value);
      ops.set(offset, op.index);
      return;
    }
    if (prev === value) return;
    let rarr = reported.get(topic);
    if (!rarr) reported.set(topic, (rarr = []));
    let rm = rarr[partition];
    if (!rm) rarr[partition] = rm = new Map();
    if (rm.has(offset)) return;
    rm.set(offset, true);
    const tp = tpName(topic, partition);
    const first = h[ops.get(offset) as number] as HistoryOp;
    const text = `offset ${offset} of ${tp} held value ${prev} and later value ${value} (seen by ${who(op)}): the log was truncated and rewritten`;
    out.push({ type: "inconsistent-offsets", partition: tp, offset, value, relatedValue: prev, sinceUs: first.timeUs, process: first.process, explanation: withStory(result, out.length, text, tp, Math.max(0, op.timeUs - 1_000_000)) });
  };
  const idx = runIndex(result);
  for (const op of h) {
    if (op.f === "send" && op.type === "ok") {
      const s = idx.sends.get(op.value.value);
      if (s && s.outcomeIndex === op.index && op.value.partition !== undefined && op.value.offset !== undefined && op.value.offset >= 0) {
        note(op.value.topic, op.value.partition, op.value.offset, op.value.value, op);
      }
    } else if (op.f === "poll" && op.type === "ok") {
      const recs = op.value.records;
      for (let j = 0; j < recs.length; j++) {
        const r = recs[j];
        if (r) note(r.topic, r.partition, r.offset, r.value, op);
      }
    }
  }
  return out;
}
