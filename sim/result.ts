// What one run of a world returns: everything the checkers, the oracle and the reports need, as plain data.
import type { Seed } from "./core/rng.ts";
import type { Recorded } from "./core/trace.ts";
import type { ProtocolVersion } from "./kafka/config.ts";
import type { FinalState, HistoryColumns, HistoryOp } from "./history.ts";
import { HistoryRecorder } from "./history-recorder.ts";
import type { FaultWarning, FiredFault } from "./faults/types.ts";
import type { TraceEvent } from "./events.ts";
import type { Scenario } from "./scenario/types.ts";

export type RunEnd =
  | { readonly reason: "completed" }
  | { readonly reason: "max-events"; readonly events: number }
  | { readonly reason: "max-time"; readonly atMs: number };

export interface RunOptions {
  /** Keep trace events (for explanations, timelines and exports). The hash is computed either way. */
  readonly record?: boolean;
  /** Runaway guard (default 50 million events). */
  readonly maxEvents?: number;
  /** Explore interleavings: break same-time ties with a seeded shuffle. */
  readonly shuffleTies?: boolean;
  /** Called after each second of virtual time with (virtual ms so far, total virtual ms): for progress bars.
   *  It cannot change the run (same hash with or without it). */
  readonly onProgress?: (virtualMs: number, totalMs: number) => void;
}

export interface RunResult {
  readonly seed: Seed;
  readonly scenario: Scenario;
  readonly protocol: ProtocolVersion;
  readonly traceHash: string;
  readonly end: RunEnd;
  /** Virtual time at the end of the run, and when the workload phase ended (the drain began). */
  readonly virtualMs: number;
  readonly workloadEndMs: number;
  /** Scheduler events dispatched. */
  readonly events: number;
  /** Every op as an object (materialised on first read: for users and exports; the checkers read `historyColumns`). */
  readonly history: readonly HistoryOp[];
  /** The same ops as columns, read without an object per op (non-enumerable: a clone or a JSON copy has only
   *  `history`, and `historyColumns(result)` rebuilds the columns from it). Absent in hand-built results. */
  readonly historyColumns?: HistoryColumns;
  /** Acknowledged sends (ok ops of f "send"), counted while recording: no need to read the history for it. */
  readonly sendsAcked: number;
  readonly final: FinalState;
  readonly faults: readonly FiredFault[];
  /** Faults that fired but could not apply (restart a running broker, a target that resolved to no node).
   *  Absent in hand-built results (test fixtures). */
  readonly warnings?: readonly FaultWarning[];
  /** Empty unless run with record: true. */
  readonly trace: readonly Recorded<TraceEvent>[];
  /** The rare events (elections, ISR changes, truncations, faults, crashes, rebalances, retries...: every type but
   *  HOT_EVENT_TYPES), kept on every run, recorded or not: what the oracle judges from. */
  readonly evidence: readonly Recorded<TraceEvent>[];
  /** Bytes stored on all brokers' disks at the end (cost of replication). */
  readonly diskBytes: number;
  readonly network: { readonly sent: number; readonly delivered: number; readonly dropped: number };
}

const COLUMNS = new WeakMap<RunResult, HistoryColumns>();

/** The history of a run as columns: the recorder's own, or (a hand-built, cloned or parsed result) built once from
 *  its ops. */
export function historyColumns(r: RunResult): HistoryColumns {
  if (r.historyColumns !== undefined) return r.historyColumns;
  let h = COLUMNS.get(r);
  if (h === undefined) COLUMNS.set(r, (h = HistoryRecorder.fromOps(r.history)));
  return h;
}
