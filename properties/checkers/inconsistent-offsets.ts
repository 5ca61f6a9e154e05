// inconsistent-offsets (Jepsen): two different values seen at the same offset of a partition (by polls, or a
// poll against the acknowledged offset of a send). Fed by the one pass over the history (properties/scan.ts):
// per partition, the first op that saw each offset (an int32 per offset); the value it saw is the final log's
// unless noted as an exception, so nothing is kept per record beyond that.
import type { RunResult } from "../../sim/result.ts";
import type { HistoryColumns } from "../../sim/history.ts";
import type { Finding } from "../types.ts";
import type { FinalLog } from "../context.ts";
import { historyScan, tpName } from "../context.ts";
import { IntColumn } from "../../sim/core/value-table.ts";
import { withStory } from "./common.ts";

interface Seen {
  readonly log: FinalLog | undefined;
  /** offset → history index of the first op that saw it (-1: none). */
  readonly first: IntColumn;
  /** offset → the value first seen there, where it is not the final log's. */
  readonly odd: Map<number, number>;
  readonly reported: Set<number>;
}

export class OffsetsSeen {
  readonly findings: Finding[] = [];
  private readonly seen = new Map<string, Seen[]>();

  constructor(
    private readonly result: RunResult,
    private readonly logs: Map<string, (FinalLog | undefined)[]>,
  ) {}

  /** Op `i` (an acknowledged send, or a poll) saw `value` at `offset` of (topic, partition). */
  note(h: HistoryColumns, i: number, topic: string, partition: number, offset: number, value: number): void {
    let arr = this.seen.get(topic);
    if (!arr) this.seen.set(topic, (arr = []));
    let s = arr[partition];
    if (!s) {
      const log = this.logs.get(topic)?.[partition];
      arr[partition] = s = { log, first: new IntColumn(log ? log.logEndOffset + 1 : 16), odd: new Map(), reported: new Set() };
    }
    const finalValue = s.log?.log.valueAtOffset(offset);
    const firstOp = s.first.get(offset);
    if (firstOp < 0) {
      s.first.set(offset, i);
      if (value !== finalValue) s.odd.set(offset, value);
      return;
    }
    const prev = (s.odd.get(offset) ?? finalValue) as number; // the first value seen: the final log's unless noted
    if (prev === value || s.reported.has(offset)) return;
    s.reported.add(offset);
    const tp = tpName(topic, partition);
    const who = h.f(i) === "send" ? `the ack to ${h.process(i)}` : h.process(i);
    const text = `offset ${offset} of ${tp} held value ${prev} and later value ${value} (seen by ${who}): the log was truncated and rewritten`;
    this.findings.push({ type: "inconsistent-offsets", partition: tp, offset, value, relatedValue: prev, sinceUs: h.timeUs(firstOp), process: h.process(firstOp), explanation: withStory(this.result, this.findings.length, text, tp, Math.max(0, h.timeUs(i) - 1_000_000)) });
  }
}

export function checkInconsistentOffsets(result: RunResult): Finding[] {
  return historyScan(result).inconsistentOffsets.findings;
}
