// What the final logs say about transactions (for the checkers): which records an ABORT marker aborted, which
// transactions were still open at the end, and the offsets a consumer never gets — control records for every
// consumer; aborted records and open transactions' records, too, for isolation.level=read_committed. Read from
// each partition's final replica (its producer ids and attributes: sim/history.ts FinalReplica), as Kafka's
// consumers do from the log (a producer's transactional records up to its next marker belong to one transaction).
import type { RunResult } from "../sim/result.ts";
import { ATTR_CONTROL, CONTROL_ABORT } from "../sim/kafka/records.ts";
import { runIndex } from "./context.ts";

export interface TxnView {
  /** Values of records whose transaction was aborted. */
  readonly abortedValues: ReadonlySet<number>;
  /** Values of records whose transaction had no marker at the end (a hanging transaction). */
  readonly openValues: ReadonlySet<number>;
  /** Per "topic-partition": offsets of control records. */
  readonly control: ReadonlyMap<string, ReadonlySet<number>>;
  /** Per "topic-partition": offsets a read_committed consumer skips (control, aborted, open). */
  readonly hiddenCommitted: ReadonlyMap<string, ReadonlySet<number>>;
}

const EMPTY: TxnView = { abortedValues: new Set(), openValues: new Set(), control: new Map(), hiddenCommitted: new Map() };
const CACHE = new WeakMap<RunResult, TxnView>();

export function txnView(result: RunResult): TxnView {
  const hit = CACHE.get(result);
  if (hit) return hit;
  let view = EMPTY;
  for (const log of runIndex(result).logs.values()) {
    const replica = log.source.replicas.find((r) => r.broker === log.broker);
    const attrs = replica?.attributes;
    const pids = replica?.producerIds;
    if (attrs === undefined || pids === undefined) continue;
    if (view === EMPTY) view = { abortedValues: new Set(), openValues: new Set(), control: new Map(), hiddenCommitted: new Map() };
    const control = new Set<number>();
    const hidden = new Set<number>();
    const open = new Map<number, number[]>();
    const keys = replica?.keys ?? [];
    for (let i = 0; i < attrs.length; i++) {
      const a = attrs[i] as number;
      if (a === 0) continue;
      const pid = pids[i] as number;
      const offset = log.start + i;
      if ((a & ATTR_CONTROL) !== 0) {
        control.add(offset);
        hidden.add(offset);
        const records = open.get(pid) ?? [];
        open.delete(pid);
        if (keys[i] !== CONTROL_ABORT) continue;
        for (const j of records) {
          hidden.add(log.start + j);
          (view.abortedValues as Set<number>).add(log.values[j] as number);
        }
        continue;
      }
      let records = open.get(pid);
      if (records === undefined) open.set(pid, (records = []));
      records.push(i);
    }
    for (const records of open.values()) {
      for (const j of records) {
        hidden.add(log.start + j);
        (view.openValues as Set<number>).add(log.values[j] as number);
      }
    }
    (view.control as Map<string, Set<number>>).set(log.tp, control);
    (view.hiddenCommitted as Map<string, Set<number>>).set(log.tp, hidden);
  }
  CACHE.set(result, view);
  return view;
}

/** The consumer groups of the run with isolation.level=read_committed. */
export function readCommittedGroups(result: RunResult): ReadonlySet<string> {
  const out = new Set<string>();
  for (const c of result.scenario.consumers) if (c.config["isolation.level"] === "read_committed") out.add(c.group);
  return out;
}

/** The offsets of "topic-partition" a consumer of `group` never gets (undefined: none). */
export function invisibleOffsets(result: RunResult, group: string, tp: string): ReadonlySet<number> | undefined {
  const view = txnView(result);
  if (view === EMPTY) return undefined;
  return readCommittedGroups(result).has(group) ? view.hiddenCommitted.get(tp) : view.control.get(tp);
}
