// lost-write (Jepsen): an acknowledged send whose value is absent from the final log.
import type { RunResult } from "../../sim/result.ts";
import type { Finding } from "../types.ts";
import { isUserTopic, runIndex, tpName } from "../context.ts";
import { fmtTime } from "../explain.ts";
import { logLine, withStory } from "./common.ts";

export function checkLostWrites(result: RunResult): Finding[] {
  const idx = runIndex(result);
  const out: Finding[] = [];
  for (const [value, s] of idx.sends) {
    if (s.outcome !== "ok" || !isUserTopic(s.topic) || idx.valueTp.has(value)) continue;
    const tp = s.partition !== undefined ? tpName(s.topic, s.partition) : null;
    const log = tp === null ? undefined : idx.logs.get(tp);
    const at = s.ackOffset !== undefined && s.ackOffset >= 0 ? ` at offset ${s.ackOffset}` : "";
    const text = `${s.process} sent value ${value} to ${tp ?? s.topic}, acknowledged${at} at ${fmtTime(s.ackTimeUs)}; ${logLine(log)} does not hold it`;
    out.push({ type: "lost-write", partition: tp, offset: s.ackOffset !== undefined && s.ackOffset >= 0 ? s.ackOffset : null, value, sinceUs: s.ackTimeUs, process: s.process, explanation: withStory(result, out.length, text, tp, s.ackTimeUs) });
  }
  return out;
}
