// Every trace event of a kafkasim world, one discriminated union.
import type { KernelTraceEvent } from "./core/runtime.ts";
import type { BrokerTraceEvent } from "./broker/events.ts";
import type { ClientTraceEvent } from "./client/events.ts";
import type { FaultAction } from "./faults/types.ts";

export type WorldTraceEvent =
  | { readonly type: "fault"; readonly action: FaultAction; readonly nodes: readonly string[] }
  | { readonly type: "phase"; readonly phase: "workload" | "drain" | "end" };

export type TraceEvent = KernelTraceEvent | BrokerTraceEvent | ClientTraceEvent | WorldTraceEvent;
export type TraceEventType = TraceEvent["type"];
