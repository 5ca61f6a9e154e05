// aborted-read (Jepsen's G1a, aborted read): a consumer with isolation.level=read_committed polled a record whose
// transaction was aborted (an ABORT marker of its producer follows it in the final log). read_committed promises
// it never returns such a record (KIP-98: the fetch carries the aborted transactions and the consumer drops them).
import type { RunResult } from "../../sim/result.ts";
import type { Finding } from "../types.ts";
import { fmtTime } from "../explain.ts";
import { readCommittedGroups, txnView } from "../transactions.ts";
import { withStory } from "./common.ts";

export function checkAbortedReads(result: RunResult): Finding[] {
  const groups = readCommittedGroups(result);
  if (groups.size === 0) return [];
  const aborted = txnView(result).abortedValues;
  if (aborted.size === 0) return [];
  const out: Finding[] = [];
  const reported = new Set<number>();
  for (const op of result.history) {
    if (op.f !== "poll" || op.type !== "ok" || !groups.has(op.value.group)) continue;
    for (const r of op.value.records) {
      if (!aborted.has(r.value) || reported.has(r.value)) continue;
      reported.add(r.value);
      const tp = `${r.topic}-${r.partition}`;
      const text = `${op.process} (isolation.level=read_committed) polled value ${r.value} at ${tp} offset ${r.offset} at ${fmtTime(op.timeUs)}, but its transaction was aborted (an ABORT marker of its producer follows it in the final log)`;
      out.push({ type: "aborted-read", partition: tp, offset: r.offset, value: r.value, sinceUs: op.timeUs, process: op.process, explanation: withStory(result, out.length, text, tp, Math.max(0, op.timeUs - 500_000)) });
    }
  }
  return out;
}
