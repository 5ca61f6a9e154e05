// lost-write (Jepsen): an acknowledged send whose value is absent from the final log.
import type { RunResult } from "../../sim/result.ts";
import type { Finding } from "../types.ts";
import { historyScan, isUserTopic, runIndex, tpName } from "../context.ts";
import { fmtTime } from "../explain.ts";
import { logLine, withStory } from "./common.ts";

export function checkLostWrites(result: RunResult): Finding[] {
  const idx = runIndex(result);
  const { h } = historyScan(result);
  const out: Finding[] = [];
  idx.sends.forEachSend((value, invoke) => {
    if (!idx.sends.acked(value) || idx.logOf(value) !== undefined) return;
    const topic = h.topic(invoke);
    if (!isUserTopic(topic)) return;
    const s = idx.sends.get(value);
    if (s === undefined) return;
    const tp = s.partition !== undefined ? tpName(topic, s.partition) : null;
    const log = tp === null ? undefined : idx.logs.get(tp);
    const at = s.ackOffset !== undefined && s.ackOffset >= 0 ? ` at offset ${s.ackOffset}` : "";
    const text = `${s.process} sent value ${value} to ${tp ?? topic}, acknowledged${at} at ${fmtTime(s.ackTimeUs)}; ${logLine(log)} does not hold it`;
    out.push({ type: "lost-write", partition: tp, offset: s.ackOffset !== undefined && s.ackOffset >= 0 ? s.ackOffset : null, value, sinceUs: s.ackTimeUs, process: s.process, explanation: withStory(result, out.length, text, tp, s.ackTimeUs) });
  });
  return out;
}
