// committed-unprocessed (at-most-once loss): the group's committed offset of a partition is past a record of
// the final log that no member of the group ever processed.
import type { RunResult } from "../../sim/result.ts";
import type { Finding } from "../types.ts";
import { isUserTopic, valueAt } from "../context.ts";
import { logsByTopic, nested3 } from "./common.ts";
import { invisibleOffsets } from "../transactions.ts";

export function checkCommittedUnprocessed(result: RunResult): Finding[] {
  // group → processed values; group → topic → partition → first offset the group started from
  const processed = new Map<string, Set<number>>();
  const start = new Map<string, Map<string, Map<number, number>>>();
  const lastCommit = new Map<string, Map<string, Map<number, number>>>();
  const noteStart = (group: string, topic: string, partition: number, offset: number): void => {
    const m = nested3(start, group, topic);
    const s = m.get(partition);
    if (s === undefined || offset < s) m.set(partition, offset);
  };
  for (const op of result.history) {
    switch (op.f) {
      case "process": {
        let s = processed.get(op.value.group);
        if (!s) processed.set(op.value.group, (s = new Set()));
        if (op.type === "ok") s.add(op.value.value);
        break;
      }
      case "reset":
        noteStart(op.value.group, op.value.topic, op.value.partition, op.value.offset);
        break;
      case "poll": {
        if (op.type !== "ok") break;
        const recs = op.value.records;
        for (let j = 0; j < recs.length; j++) {
          const r = recs[j];
          if (r) noteStart(op.value.group, r.topic, r.partition, r.offset);
        }
        break;
      }
      case "commit":
        if (op.type === "ok") for (const o of op.value.offsets) nested3(lastCommit, op.value.group, o.topic).set(o.partition, o.offset);
        break;
      default:
        break;
    }
  }
  // The committed offsets at the end: the final state's, else the last acknowledged commit.
  const finalCommitted = new Map<string, Map<string, Map<number, number>>>();
  for (const c of result.final.committedOffsets) nested3(finalCommitted, c.group, c.topic).set(c.partition, c.offset);
  for (const [g, byTopic] of lastCommit) {
    for (const [t, byPart] of byTopic) {
      const m = nested3(finalCommitted, g, t);
      for (const [p, o] of byPart) if (!m.has(p)) m.set(p, o);
    }
  }
  const logs = logsByTopic(result);
  const out: Finding[] = [];
  for (const [group, byTopic] of finalCommitted) {
    const done = processed.get(group);
    if (!done) continue; // this group's clients record no processing
    for (const [topic, byPart] of byTopic) {
      if (!isUserTopic(topic)) continue;
      for (const [partition, committedOffset] of byPart) {
        const log = logs.get(topic)?.[partition];
        const from = start.get(group)?.get(topic)?.get(partition);
        if (!log || from === undefined) continue;
        const to = Math.min(committedOffset, log.start + log.values.length);
        // Offsets the group never gets (markers; aborted or open transactions under read_committed).
        const invisible = invisibleOffsets(result, group, log.tp);
        for (let o = Math.max(from, log.start); o < to; o++) {
          const v = valueAt(log, o);
          if (v === undefined || done.has(v) || invisible?.has(o) === true) continue;
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
