// Every trace event of a kafkasim world, one discriminated union.
import type { KernelTraceEvent } from "./core/runtime.ts";
import type { BrokerTraceEvent } from "./broker/events.ts";
import type { ClientTraceEvent } from "./client/events.ts";
import type { FaultAction } from "./faults/types.ts";
import type { KRaftTraceEvent } from "./controller/kraft/events.ts";
import { KRAFT_HOT_EVENT_TYPES } from "./controller/kraft/events.ts";
import type { TxnTraceEvent } from "./broker/txn/events.ts";

export type WorldTraceEvent =
  | { readonly type: "fault"; readonly action: FaultAction; readonly nodes: readonly string[] }
  | { readonly type: "phase"; readonly phase: "workload" | "drain" | "end" };

export type TraceEvent = KernelTraceEvent | BrokerTraceEvent | ClientTraceEvent | KRaftTraceEvent | WorldTraceEvent | TxnTraceEvent;
export type TraceEventType = TraceEvent["type"];

/** Events too frequent to keep as evidence when the trace is not recorded (one per batch or HW move): the oracle
 *  never needs them. Every other event is kept in `RunResult.evidence` on every run. */
export const HOT_EVENT_TYPES: ReadonlySet<TraceEventType> = new Set<TraceEventType>(["hw-advance", "produce-append", "metadata-refresh", ...KRAFT_HOT_EVENT_TYPES]);
