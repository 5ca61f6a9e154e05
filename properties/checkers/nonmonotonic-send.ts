// nonmonotonic-send (reorder): one producer's acknowledged sends to a partition are in the final log out of the
// order in which the producer sent them.
import type { RunResult } from "../../sim/result.ts";
import type { Finding } from "../types.ts";
import { historyScan, runIndex } from "../context.ts";
import { withStory } from "./common.ts";

export function checkNonmonotonicSends(result: RunResult): Finding[] {
  const idx = runIndex(result);
  const { h } = historyScan(result);
  const out: Finding[] = [];
  // process → tp → [offset, value] of the latest acknowledged send in send order
  const last = new Map<string, Map<string, { offset: number; value: number; sentUs: number }>>();
  idx.sends.forEachSend((v, invoke) => {
    if (!idx.sends.acked(v)) return;
    const log = idx.logOf(v);
    if (log === undefined) return;
    const tp = log.tp;
    const offset = idx.offsetOf(v);
    const process = h.process(invoke);
    const timeUs = h.timeUs(invoke);
    let m = last.get(process);
    if (!m) last.set(process, (m = new Map()));
    const prev = m.get(tp);
    if (prev && offset < prev.offset) {
      const text = `${process} sent value ${prev.value} before value ${v} to ${tp}, both acknowledged, but the final log has ${v} at offset ${offset} before ${prev.value} at offset ${prev.offset}`;
      out.push({ type: "nonmonotonic-send", partition: tp, offset, value: v, relatedValue: prev.value, sinceUs: prev.sentUs, process, explanation: withStory(result, out.length, text, tp, timeUs) });
      return; // keep the highest offset as the reference
    }
    if (prev) {
      prev.offset = offset;
      prev.value = v;
      prev.sentUs = timeUs;
    } else m.set(tp, { offset, value: v, sentUs: timeUs });
  });
  return out;
}
