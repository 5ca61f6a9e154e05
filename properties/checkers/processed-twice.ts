// processed-twice: one record processed successfully more than once by a group (at-least-once re-delivery). Fed
// each processing by the one pass over the history (properties/scan.ts).
import type { RunResult } from "../../sim/result.ts";
import type { HistoryColumns } from "../../sim/history.ts";
import type { Finding } from "../types.ts";
import { historyScan } from "../context.ts";
import { fmtTime } from "../explain.ts";
import { IntTable } from "../../sim/core/value-table.ts";

export class ProcessedTwice {
  readonly findings: Finding[] = [];
  /** group → value → history index of its first processing (-2 - index once reported). */
  private readonly first = new Map<string, IntTable>();

  constructor(private readonly size: number) {}

  /** Process op `i` (of group `group`). */
  process(h: HistoryColumns, i: number, group: string): void {
    if (h.type(i) !== "ok" || h.result(i) !== "ok") return;
    let m = this.first.get(group);
    if (!m) this.first.set(group, (m = new IntTable(this.size)));
    const value = h.value(i);
    const prev = m.get(value);
    if (prev === -1) {
      m.set(value, i);
      return;
    }
    if (prev < -1) return;
    m.set(value, -2 - prev);
    const tp = `${h.topic(i)}-${h.partition(i) as number}`;
    const offset = h.offset(i) as number;
    const prevProcess = h.process(prev);
    const prevUs = h.timeUs(prev);
    this.findings.push({
      type: "processed-twice",
      partition: tp,
      offset,
      value,
      sinceUs: prevUs,
      process: prevProcess,
      group,
      explanation: `group ${group} processed value ${value} (${tp} offset ${offset}) twice: by ${prevProcess} at ${fmtTime(prevUs)} and by ${h.process(i)} at ${fmtTime(h.timeUs(i))}`,
    });
  }
}

export function checkProcessedTwice(result: RunResult): Finding[] {
  return historyScan(result).processedTwice.findings;
}
