// duplicate (Jepsen): one sent value at two offsets of the final logs.
import type { RunResult } from "../../sim/result.ts";
import type { Finding } from "../types.ts";
import { historyScan, runIndex } from "../context.ts";
import { withStory } from "./common.ts";

export function checkDuplicates(result: RunResult): Finding[] {
  const idx = runIndex(result);
  const { h } = historyScan(result);
  const out: Finding[] = [];
  for (const d of idx.duplicates) {
    const s = idx.sends.get(d.value);
    const who = s ? `${s.process} sent value ${d.value} once (outcome ${s.outcome})` : `value ${d.value}`;
    const text = `${who}, but it is in the final logs twice: ${d.firstTp} offset ${d.firstOffset} and ${d.tp} offset ${d.offset} (a retry of a batch that had been written)`;
    const from = s ? h.timeUs(s.invoke) : 0;
    out.push({ type: "duplicate", partition: d.tp, offset: d.offset, value: d.value, sinceUs: from, ...(s ? { process: s.process } : {}), explanation: withStory(result, out.length, text, d.tp, from) });
  }
  return out;
}
