// duplicate-output: in a consume-transform-produce pipeline (processing.output), an input record whose output is
// committed on the output topic twice — visible twice to a read_committed reader of it. The output is the input
// record itself (sim/client/consumer/pipeline.ts), so its value names the input. Exactly-once (transactions +
// read_committed input) promises none; an at-least-once pipeline (commit after processing) makes them whenever a
// member processes a record again after writing its output (properties/oracle/judge-txn.ts).
import type { RunResult } from "../../sim/result.ts";
import type { Finding } from "../types.ts";
import { committedPositions } from "../transactions.ts";
import { withStory } from "./common.ts";

export function checkDuplicateOutputs(result: RunResult): Finding[] {
  const out: Finding[] = [];
  for (const c of result.scenario.consumers) {
    const output = c.processing.output;
    if (output === undefined) continue;
    for (const [value, at] of committedPositions(result, output.topic)) {
      if (at.length < 2) continue;
      const [first, second] = at as [{ tp: string; offset: number }, { tp: string; offset: number }];
      const kind = output.transactional ? "transactional (exactly-once)" : "at-least-once";
      const text = `group ${c.group}'s ${kind} output of input value ${value} is committed on ${output.topic} ${at.length} times: ${first.tp} offset ${first.offset} and ${second.tp} offset ${second.offset}${at.length > 2 ? ", …" : ""}`;
      out.push({ type: "duplicate-output", partition: second.tp, offset: second.offset, value, group: c.group, explanation: withStory(result, out.length, text, second.tp, 0) });
    }
  }
  return out;
}
