// inconsistent-offsets (Jepsen): two different values seen at the same offset of a partition (by polls, or a
// poll against the acknowledged offset of a send).
import type { RunResult } from "../../sim/result.ts";
import type { Finding } from "../types.ts";
import { runIndex, tpName } from "../context.ts";
import { withStory } from "./common.ts";

export function checkInconsistentOffsets(result: RunResult): Finding[] {
  // topic → partition → offset → value first seen
  const seen = new Map<string, Map<number, { value: number; by: string; timeUs: number }>[]>();
  const reported = new Map<string, Map<number, true>[]>();
  const out: Finding[] = [];
  const note = (topic: string, partition: number, offset: number, value: number, by: string, process: string, timeUs: number): void => {
    let arr = seen.get(topic);
    if (!arr) seen.set(topic, (arr = []));
    let m = arr[partition];
    if (!m) arr[partition] = m = new Map();
    const prev = m.get(offset);
    if (prev === undefined) {
      m.set(offset, { value, by: process, timeUs });
      return;
    }
    if (prev.value === value) return;
    let rarr = reported.get(topic);
    if (!rarr) reported.set(topic, (rarr = []));
    let rm = rarr[partition];
    if (!rm) rarr[partition] = rm = new Map();
    if (rm.has(offset)) return;
    rm.set(offset, true);
    const tp = tpName(topic, partition);
    const text = `offset ${offset} of ${tp} held value ${prev.value} and later value ${value} (seen by ${by}): the log was truncated and rewritten`;
    out.push({ type: "inconsistent-offsets", partition: tp, offset, value, relatedValue: prev.value, sinceUs: prev.timeUs, process: prev.by, explanation: withStory(result, out.length, text, tp, Math.max(0, timeUs - 1_000_000)) });
  };
  const idx = runIndex(result);
  for (const op of result.history) {
    if (op.f === "send" && op.type === "ok") {
      const s = idx.sends.get(op.value.value);
      if (s && s.outcomeIndex === op.index && op.value.partition !== undefined && op.value.offset !== undefined && op.value.offset >= 0) {
        note(op.value.topic, op.value.partition, op.value.offset, op.value.value, `the ack to ${op.process}`, op.process, op.timeUs);
      }
    } else if (op.f === "poll" && op.type === "ok") {
      const recs = op.value.records;
      for (let j = 0; j < recs.length; j++) {
        const r = recs[j];
        if (r) note(r.topic, r.partition, r.offset, r.value, op.process, op.process, op.timeUs);
      }
    }
  }
  return out;
}
