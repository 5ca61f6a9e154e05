// uncommitted-read (Jepsen's precommitted-read): a consumer polled a record that is not in the final log at
// that offset — it read above the HW, or from a replica whose log was later truncated.
import type { RunResult } from "../../sim/result.ts";
import type { Finding } from "../types.ts";
import { valueAt } from "../context.ts";
import { fmtTime } from "../explain.ts";
import { logLine, logsByTopic, withStory } from "./common.ts";

export function checkUncommittedReads(result: RunResult): Finding[] {
  const logs = logsByTopic(result);
  const reported = new Map<string, Set<number>>();
  const out: Finding[] = [];
  for (const op of result.history) {
    if (op.f !== "poll" || op.type !== "ok") continue;
    const recs = op.value.records;
    for (let j = 0; j < recs.length; j++) {
      const r = recs[j];
      if (!r) continue;
      const log = logs.get(r.topic)?.[r.partition];
      if (!log) continue;
      if (r.offset < log.start) continue; // below the log start: cannot tell
      const v = valueAt(log, r.offset);
      if (v === r.value) continue;
      let seen = reported.get(log.tp);
      if (!seen) reported.set(log.tp, (seen = new Set()));
      if (seen.has(r.offset)) continue;
      seen.add(r.offset);
      const now = v === undefined ? "the final log ends before it" : `the final log has value ${v} there`;
      const text = `${op.process} polled value ${r.value} at ${log.tp} offset ${r.offset} at ${fmtTime(op.timeUs)}, but ${now} (${logLine(log)})`;
      out.push({ type: "uncommitted-read", partition: log.tp, offset: r.offset, value: r.value, sinceUs: op.timeUs, process: op.process, explanation: withStory(result, out.length, text, log.tp, Math.max(0, op.timeUs - 500_000)) });
    }
  }
  return out;
}
