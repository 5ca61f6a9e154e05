// phantom: a value read by a consumer, or present in a final log, that no producer ever sent. The one pass over
// the history (properties/scan.ts) notes each polled record whose value had no send yet; those still without one
// at the end are phantoms.
import type { RunResult } from "../../sim/result.ts";
import type { HistoryColumns } from "../../sim/history.ts";
import type { Finding } from "../types.ts";
import type { RunIndex } from "../context.ts";
import { historyScan, runIndex } from "../context.ts";
import { fmtTime } from "../explain.ts";

export class PolledUnsent {
  /** (poll index, record index) pairs, in history order. */
  private readonly at: number[] = [];

  constructor(private readonly produced: ReadonlySet<string>) {}

  /** Record `j` of poll `i`: note it when its topic is produced and its value was not sent (so far). */
  read(h: HistoryColumns, i: number, j: number, sends: RunIndex["sends"]): void {
    if (sends.has(h.recValue(i, j)) || !this.produced.has(h.recTopic(i, j))) return;
    this.at.push(i, j);
  }

  /** The phantoms among the noted records (values never sent by the end), each value once. */
  findings(h: HistoryColumns, sends: RunIndex["sends"], reported: Set<number>): Finding[] {
    const out: Finding[] = [];
    for (let k = 0; k < this.at.length; k += 2) {
      const i = this.at[k] as number;
      const j = this.at[k + 1] as number;
      const value = h.recValue(i, j);
      if (sends.has(value) || reported.has(value)) continue;
      reported.add(value);
      const offset = h.recOffset(i, j);
      out.push({ type: "phantom", partition: `${h.recTopic(i, j)}-${h.recPartition(i, j)}`, offset, value, explanation: `${h.process(i)} polled value ${value} at offset ${offset} at ${fmtTime(h.timeUs(i))}, but no producer ever sent it` });
    }
    return out;
  }
}

export function producedTopics(result: RunResult): Set<string> {
  const produced = new Set<string>();
  for (const p of result.scenario.producers) produced.add(p.topic);
  return produced;
}

export function checkPhantoms(result: RunResult): Finding[] {
  const idx = runIndex(result);
  const scan = historyScan(result);
  const produced = producedTopics(result);
  const reported = new Set<number>();
  const out = scan.polledUnsent.findings(scan.h, idx.sends, reported);
  for (const log of idx.logs.values()) {
    if (!produced.has(log.topic)) continue;
    const l = log.log;
    for (let i = 0; i < l.length; i++) {
      const v = l.valueAt(i);
      if (v < 0 || idx.sends.has(v) || reported.has(v)) continue; // v < 0: a transaction marker
      reported.add(v);
      out.push({ type: "phantom", partition: log.tp, offset: log.start + i, value: v, explanation: `the final log of ${log.tp} holds value ${v} at offset ${log.start + i}, but no producer ever sent it` });
    }
  }
  return out;
}
