// The one streaming pass over a run's history that feeds every checker: each op is read once, from the columns
// (no object per op), and handed to the state machine of each checker that needs it — the run index's send table,
// uncommitted reads, rewritten offsets, poll order, processings twice, at-most-once starts and commits, unsent
// polled values, read_committed reads of aborted transactions — while the judge's counts and each group's
// processing (for the capacity findings) are gathered on the way. Built once per result with the run index (properties/context.ts), which it completes.
import type { HistoryColumns } from "../sim/history.ts";
import type { RunResult } from "../sim/result.ts";
import type { Finding } from "./types.ts";
import type { FinalLog, RunIndex } from "./context.ts";
import { pipelineOutputTopics } from "./context.ts";
import { FlagTable } from "../sim/core/value-table.ts";
import { UncommittedReads } from "./checkers/uncommitted-read.ts";
import { OffsetsSeen } from "./checkers/inconsistent-offsets.ts";
import { ProcessedTwice } from "./checkers/processed-twice.ts";
import { PollOrderScan } from "./checkers/poll-order.ts";
import type { PollOrder } from "./checkers/poll-order.ts";
import { CommittedUnprocessed } from "./checkers/committed-unprocessed.ts";
import { PolledUnsent, producedTopics } from "./checkers/phantom.ts";
import { AbortedReads } from "./checkers/aborted-read.ts";
import { txnView } from "./transactions.ts";

/** A group's successful processings (type ok): when the first and last were, how many, and of which values. */
export interface GroupProcessing {
  firstUs: number;
  lastUs: number;
  processed: number;
  /** value → 1 when processed. */
  readonly done: FlagTable;
}

export interface HistoryScan {
  readonly h: HistoryColumns;
  /** The judge's counts: send invokes (every topic), values whose last word is ok / fail, polled records, ok commits. */
  readonly counts: { readonly sent: number; readonly acked: number; readonly failed: number; readonly polled: number; readonly committed: number };
  /** value → 1 when some poll returned it. */
  readonly polled: FlagTable;
  /** Per group that recorded a processing op. */
  readonly processing: ReadonlyMap<string, GroupProcessing>;
  readonly uncommittedReads: UncommittedReads;
  readonly inconsistentOffsets: OffsetsSeen;
  readonly processedTwice: ProcessedTwice;
  readonly pollOrder: PollOrder;
  readonly committedUnprocessed: Finding[];
  readonly polledUnsent: PolledUnsent;
  /** Null when no read_committed group could have read an aborted record. */
  readonly abortedReads: AbortedReads | null;
}

const OUTCOME_OK = 1;
const OUTCOME_FAIL = 2;
const OUTCOME_INFO = 3;

/** The pass. `idx` is the run index with its final logs; its send table is filled here. */
export function scanHistory(result: RunResult, h: HistoryColumns, idx: RunIndex, size: number, deadLetter: ReadonlySet<string>): HistoryScan {
  const logs = new Map<string, (FinalLog | undefined)[]>();
  for (const log of idx.logs.values()) {
    let arr = logs.get(log.topic);
    if (!arr) logs.set(log.topic, (arr = []));
    arr[log.partition] = log;
  }
  const sends = idx.sends;
  const uncommittedReads = new UncommittedReads(result, logs);
  const inconsistentOffsets = new OffsetsSeen(result, logs);
  const processedTwice = new ProcessedTwice(size);
  const txn = txnView(result);
  const pollOrder = new PollOrderScan(result, txn);
  const abortedReads = AbortedReads.of(result, txn);
  const committed = new CommittedUnprocessed();
  const polledUnsent = new PolledUnsent(producedTopics(result));
  const polled = new FlagTable(size);
  const processing = new Map<string, GroupProcessing>();
  // value → the outcome that counts (an ok sticks, else the last), for the judge's counts
  const outcome = new FlagTable(size);
  const n = [0, 0, 0, 0];
  const outputTopics = pipelineOutputTopics(result.scenario);
  let sent = 0;
  let polledRecords = 0;
  let commitsOk = 0;
  for (let i = 0; i < h.length; i++) {
    switch (h.f(i)) {
      case "send": {
        const v = h.value(i);
        const type = h.type(i);
        const invoke = type === "invoke";
        // A pipeline's output writes copies of values sent to its input: not sends of their own (duplicate-output).
        if (outputTopics.size > 0 && outputTopics.has(h.topic(i))) break;
        if (invoke) sent++;
        else {
          const prev = outcome.get(v);
          if (prev !== OUTCOME_OK) {
            const now = type === "ok" ? OUTCOME_OK : type === "fail" ? OUTCOME_FAIL : OUTCOME_INFO;
            outcome.set(v, now);
            (n[prev] as number)--;
            (n[now] as number)++;
          }
        }
        if (deadLetter.size > 0 && deadLetter.has(h.topic(i))) break;
        sends.feed(i, v, invoke);
        if (type === "ok" && sends.outcomeRow(v) === i) {
          const partition = h.partition(i);
          const offset = h.offset(i);
          if (partition !== undefined && offset !== undefined && offset >= 0) inconsistentOffsets.note(h, i, h.topic(i), partition, offset, v);
        }
        break;
      }
      case "poll": {
        if (h.type(i) !== "ok") break;
        const records = h.records(i);
        if (records === 0) break;
        polledRecords += records;
        const group = h.group(i);
        for (let j = 0; j < records; j++) {
          const topic = h.recTopic(i, j);
          const partition = h.recPartition(i, j);
          const offset = h.recOffset(i, j);
          const value = h.recValue(i, j);
          polled.set(value, 1);
          polledUnsent.read(h, i, j, sends);
          uncommittedReads.read(h, i, j);
          inconsistentOffsets.note(h, i, topic, partition, offset, value);
          committed.noteStart(group, topic, partition, offset);
          pollOrder.record(h, i, j);
          if (abortedReads !== null) abortedReads.read(h, i, j, group);
        }
        break;
      }
      case "process": {
        const group = h.group(i);
        let g = processing.get(group);
        if (!g) processing.set(group, (g = { firstUs: -1, lastUs: -1, processed: 0, done: new FlagTable(size) }));
        if (h.type(i) === "ok") {
          const t = h.timeUs(i);
          if (g.firstUs < 0) g.firstUs = t;
          g.lastUs = t;
          g.processed++;
          g.done.set(h.value(i), 1);
        }
        processedTwice.process(h, i, group);
        break;
      }
      default: {
        // The rare ops, kept as objects.
        const op = h.op(i);
        if (op.f === "commit" && op.type === "ok") {
          commitsOk++;
          committed.commit(op.value.group, op.value.offsets);
        } else if (op.f === "reset") committed.noteStart(op.value.group, op.value.topic, op.value.partition, op.value.offset);
        pollOrder.op(op);
      }
    }
  }
  return {
    h,
    counts: { sent, acked: n[OUTCOME_OK] as number, failed: n[OUTCOME_FAIL] as number, polled: polledRecords, committed: commitsOk },
    polled,
    processing,
    uncommittedReads,
    inconsistentOffsets,
    processedTwice,
    pollOrder,
    committedUnprocessed: committed.findings(result, logs, processing, txn),
    polledUnsent,
    abortedReads,
  };
}
