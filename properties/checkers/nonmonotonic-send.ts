// nonmonotonic-send (reorder): one producer's acknowledged sends to a partition are in the final log out of the
// order in which the producer sent them.
import type { RunResult } from "../../sim/result.ts";
import type { Finding } from "../types.ts";
import { runIndex } from "../context.ts";
import { withStory } from "./common.ts";

export function checkNonmonotonicSends(result: RunResult): Finding[] {
  const idx = runIndex(result);
  const out: Finding[] = [];
  // process → tp → [offset, value] of the latest acknowledged send in send order
  const last = new Map<string, Map<string, { offset: number; value: number; sentUs: number }>>();
  const h = result.history;
  for (let i = 0; i < h.length; i++) {
    const op = h[i];
    if (!op || op.f !== "send" || op.type !== "invoke") continue;
    const v = op.value.value;
    const s = idx.sends.get(v);
    if (!s || s.outcome !== "ok" || s.invoke !== op.index) continue;
    const tp = idx.valueTp.get(v);
    const offset = idx.valueOffset.get(v);
    if (tp === undefined || offset === undefined) continue;
    let m = last.get(op.process);
    if (!m) last.set(op.process, (m = new Map()));
    const prev = m.get(tp);
    if (prev && offset < prev.offset) {
      const text = `${op.process} sent value ${prev.value} before value ${v} to ${tp}, both acknowledged, but the final log has ${v} at offset ${offset} before ${prev.value} at offset ${prev.offset}`;
      out.push({ type: "nonmonotonic-send", partition: tp, offset, value: v, relatedValue: prev.value, sinceUs: prev.sentUs, process: op.process, explanation: withStory(result, out.length, text, tp, op.timeUs) });
      continue; // keep the highest offset as the reference
    }
    if (prev) {
      prev.offset = offset;
      prev.value = v;
      prev.sentUs = op.timeUs;
    } else m.set(tp, { offset, value: v, sentUs: op.timeUs });
  }
  return out;
}
