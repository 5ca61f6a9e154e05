// uncommitted-read (Jepsen's precommitted-read): a consumer polled a record that is not in the final log at
// that offset — it read above the HW, or from a replica whose log was later truncated. Fed each polled record by
// the one pass over the history (properties/scan.ts).
import type { RunResult } from "../../sim/result.ts";
import type { HistoryColumns } from "../../sim/history.ts";
import type { Finding } from "../types.ts";
import type { FinalLog } from "../context.ts";
import { historyScan, valueAt } from "../context.ts";
import { fmtTime } from "../explain.ts";
import { logLine, withStory } from "./common.ts";

export class UncommittedReads {
  readonly findings: Finding[] = [];
  private readonly reported = new Map<string, Set<number>>();

  constructor(
    private readonly result: RunResult,
    private readonly logs: Map<string, (FinalLog | undefined)[]>,
  ) {}

  /** Record `j` of poll `i`. */
  read(h: HistoryColumns, i: number, j: number): void {
    const log = this.logs.get(h.recTopic(i, j))?.[h.recPartition(i, j)];
    if (!log) return;
    const offset = h.recOffset(i, j);
    if (offset < log.start) return; // below the log start: cannot tell
    const v = valueAt(log, offset);
    const value = h.recValue(i, j);
    if (v === value) return;
    let seen = this.reported.get(log.tp);
    if (!seen) this.reported.set(log.tp, (seen = new Set()));
    if (seen.has(offset)) return;
    seen.add(offset);
    const process = h.process(i);
    const timeUs = h.timeUs(i);
    const now = v === undefined ? "the final log ends before it" : `the final log has value ${v} there`;
    const text = `${process} polled value ${value} at ${log.tp} offset ${offset} at ${fmtTime(timeUs)}, but ${now} (${logLine(log)})`;
    this.findings.push({ type: "uncommitted-read", partition: log.tp, offset, value, sinceUs: timeUs, process, explanation: withStory(this.result, this.findings.length, text, log.tp, Math.max(0, timeUs - 500_000)) });
  }
}

export function checkUncommittedReads(result: RunResult): Finding[] {
  return historyScan(result).uncommittedReads.findings;
}
