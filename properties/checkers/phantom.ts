// phantom: a value read by a consumer, or present in a final log, that no producer ever sent.
import type { RunResult } from "../../sim/result.ts";
import type { Finding } from "../types.ts";
import { runIndex } from "../context.ts";
import { fmtTime } from "../explain.ts";

export function checkPhantoms(result: RunResult): Finding[] {
  const idx = runIndex(result);
  const produced = new Set<string>();
  for (const p of result.scenario.producers) produced.add(p.topic);
  const out: Finding[] = [];
  const reported = new Set<number>();
  for (const op of result.history) {
    if (op.f !== "poll" || op.type !== "ok") continue;
    const recs = op.value.records;
    for (let j = 0; j < recs.length; j++) {
      const r = recs[j];
      if (!r || !produced.has(r.topic) || idx.sends.has(r.value) || reported.has(r.value)) continue;
      reported.add(r.value);
      out.push({ type: "phantom", partition: `${r.topic}-${r.partition}`, offset: r.offset, value: r.value, explanation: `${op.process} polled value ${r.value} at offset ${r.offset} at ${fmtTime(op.timeUs)}, but no producer ever sent it` });
    }
  }
  for (const log of idx.logs.values()) {
    if (!produced.has(log.topic)) continue;
    const vs = log.values;
    for (let i = 0; i < vs.length; i++) {
      const v = vs[i] as number;
      if (v < 0 || idx.sends.has(v) || reported.has(v)) continue; // v < 0: a transaction marker
      reported.add(v);
      out.push({ type: "phantom", partition: log.tp, offset: log.start + i, value: v, explanation: `the final log of ${log.tp} holds value ${v} at offset ${log.start + i}, but no producer ever sent it` });
    }
  }
  return out;
}
