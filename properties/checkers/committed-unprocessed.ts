// committed-unprocessed (at-most-once loss): the group's committed offset of a partition is past a record of
// the final log that no member of the group ever processed. The one pass over the history (properties/scan.ts)
// feeds where each group started on each partition and its acknowledged commits; the processed values are the
// scan's per-group processing tables.
import type { RunResult } from "../../sim/result.ts";
import type { Finding } from "../types.ts";
import { historyScan, isUserTopic, valueAt } from "../context.ts";
import type { FinalLog } from "../context.ts";
import type { GroupProcessing } from "../scan.ts";
import { invisibleOffsets } from "../transactions.ts";
import type { TxnView } from "../transactions.ts";
import { nested3 } from "./common.ts";

export class CommittedUnprocessed {
  /** group → topic → partition → first offset the group started from */
  private readonly start = new Map<string, Map<string, Map<number, number>>>();
  private readonly lastCommit = new Map<string, Map<string, Map<number, number>>>();

  noteStart(group: string, topic: string, partition: number, offset: number): void {
    const m = nested3(this.start, group, topic);
    const s = m.get(partition);
    if (s === undefined || offset < s) m.set(partition, offset);
  }

  /** An acknowledged commit. */
  commit(group: string, offsets: readonly { readonly topic: string; readonly partition: number; readonly offset: number }[]): void {
    for (const o of offsets) nested3(this.lastCommit, group, o.topic).set(o.partition, o.offset);
  }

  findings(result: RunResult, logs: Map<string, (FinalLog | undefined)[]>, processing: ReadonlyMap<string, GroupProcessing>, txn: TxnView): Finding[] {
    // The committed offsets at the end: the final state's, else the last acknowledged commit.
    const finalCommitted = new Map<string, Map<string, Map<number, number>>>();
    for (const c of result.final.committedOffsets) nested3(finalCommitted, c.group, c.topic).set(c.partition, c.offset);
    for (const [g, byTopic] of this.lastCommit) {
      for (const [t, byPart] of byTopic) {
        const m = nested3(finalCommitted, g, t);
        for (const [p, o] of byPart) if (!m.has(p)) m.set(p, o);
      }
    }
    const out: Finding[] = [];
    for (const [group, byTopic] of finalCommitted) {
      const done = processing.get(group)?.done;
      if (!done) continue; // this group's clients record no processing
      for (const [topic, byPart] of byTopic) {
        if (!isUserTopic(topic)) continue;
        for (const [partition, committedOffset] of byPart) {
          const log = logs.get(topic)?.[partition];
          const from = this.start.get(group)?.get(topic)?.get(partition);
          if (!log || from === undefined) continue;
          const to = Math.min(committedOffset, log.start + log.length);
          // Offsets the group never gets (markers; aborted or open transactions under read_committed).
          const invisible = invisibleOffsets(txn, group, log.tp);
          for (let o = Math.max(from, log.start); o < to; o++) {
            const v = valueAt(log, o);
            if (v === undefined || done.get(v) !== 0 || invisible?.has(o) === true) continue;
            out.push({
              type: "committed-unprocessed",
              partition: log.tp,
              offset: o,
              value: v,
              group,
              explanation: `group ${group} committed ${log.tp} up to offset ${committedOffset}, but no member processed value ${v} at offset ${o}: at-most-once loss (the offset was committed before the record was processed and the member stopped or lost the partition in between)`,
            });
          }
        }
      }
    }
    return out;
  }
}

export function checkCommittedUnprocessed(result: RunResult): Finding[] {
  return historyScan(result).committedUnprocessed;
}
