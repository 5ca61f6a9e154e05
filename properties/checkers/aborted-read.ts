// aborted-read (Jepsen's G1a, aborted read): a consumer with isolation.level=read_committed polled a record whose
// transaction was aborted (an ABORT marker of its producer follows it in the final log). read_committed promises
// it never returns such a record (KIP-98: the fetch carries the aborted transactions and the consumer drops them).
// The state machine is fed each polled record by the one pass over the history (properties/scan.ts).
import type { RunResult } from "../../sim/result.ts";
import type { HistoryColumns } from "../../sim/history.ts";
import type { Finding } from "../types.ts";
import { fmtTime } from "../explain.ts";
import { historyScan } from "../context.ts";
import type { TxnView } from "../transactions.ts";
import { withStory } from "./common.ts";

export class AbortedReads {
  readonly findings: Finding[] = [];
  private readonly reported = new Set<number>();

  private constructor(
    private readonly result: RunResult,
    private readonly view: TxnView,
  ) {}

  /** The state machine, or null when the run has no read_committed group or no aborted record. */
  static of(result: RunResult, view: TxnView): AbortedReads | null {
    return view.readCommitted.size === 0 || view.abortedValues.size === 0 ? null : new AbortedReads(result, view);
  }

  /** Record `j` of poll `i` (an ok) by a member of `group`. */
  read(h: HistoryColumns, i: number, j: number, group: string): void {
    const value = h.recValue(i, j);
    if (!this.view.abortedValues.has(value) || this.reported.has(value) || !this.view.readCommitted.has(group)) return;
    this.reported.add(value);
    const tp = `${h.recTopic(i, j)}-${h.recPartition(i, j)}`;
    const offset = h.recOffset(i, j);
    const timeUs = h.timeUs(i);
    const process = h.process(i);
    const text = `${process} (isolation.level=read_committed) polled value ${value} at ${tp} offset ${offset} at ${fmtTime(timeUs)}, but its transaction was aborted (an ABORT marker of its producer follows it in the final log)`;
    this.findings.push({ type: "aborted-read", partition: tp, offset, value, sinceUs: timeUs, process, explanation: withStory(this.result, this.findings.length, text, tp, Math.max(0, timeUs - 500_000)) });
  }
}

export function checkAbortedReads(result: RunResult): Finding[] {
  return historyScan(result).abortedReads?.findings ?? [];
}
