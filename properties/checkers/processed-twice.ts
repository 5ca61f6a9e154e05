// processed-twice: one record processed successfully more than once by a group (at-least-once re-delivery).
import type { RunResult } from "../../sim/result.ts";
import type { Finding } from "../types.ts";
import { fmtTime } from "../explain.ts";

export function checkProcessedTwice(result: RunResult): Finding[] {
  // group → value → process that first processed it, and when
  const first = new Map<string, Map<number, { process: string; timeUs: number; twice: boolean }>>();
  const out: Finding[] = [];
  for (const op of result.history) {
    if (op.f !== "process" || op.type !== "ok" || op.value.result !== "ok") continue;
    let m = first.get(op.value.group);
    if (!m) first.set(op.value.group, (m = new Map()));
    const prev = m.get(op.value.value);
    if (!prev) {
      m.set(op.value.value, { process: op.process, timeUs: op.timeUs, twice: false });
      continue;
    }
    if (prev.twice) continue;
    prev.twice = true;
    const tp = `${op.value.topic}-${op.value.partition}`;
    out.push({
      type: "processed-twice",
      partition: tp,
      offset: op.value.offset,
      value: op.value.value,
      sinceUs: prev.timeUs,
      process: prev.process,
      group: op.value.group,
      explanation: `group ${op.value.group} processed value ${op.value.value} (${tp} offset ${op.value.offset}) twice: by ${prev.process} at ${fmtTime(prev.timeUs)} and by ${op.process} at ${fmtTime(op.timeUs)}`,
    });
  }
  return out;
}
