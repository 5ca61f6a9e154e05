// Hand-built RunResults for the reports' tests: a history of sends and polls, fired faults and an optional trace,
// without running the simulator.
import { buildScenario } from "../sim/scenario/defaults.ts";
import type { ScenarioInput } from "../sim/scenario/defaults.ts";
import type { HistoryOp, FinalState } from "../sim/history.ts";
import type { RunResult } from "../sim/result.ts";
import type { FaultAction, FiredFault } from "../sim/faults/types.ts";
import type { TraceEvent } from "../sim/events.ts";
import type { Recorded } from "../sim/core/trace.ts";
import type { TimeUs } from "../sim/core/time.ts";
import type { KafkaErrorCode } from "../sim/kafka/errors.ts";

export interface FakeSend {
  readonly value: number;
  readonly invokeMs: number;
  readonly endMs?: number;
  readonly outcome?: "ok" | "fail" | "info";
  readonly error?: KafkaErrorCode;
  readonly partition?: number;
  readonly process?: string;
}

export interface FakeRun {
  readonly seed?: number;
  readonly scenario?: ScenarioInput;
  readonly sends?: readonly FakeSend[];
  /** Polls: at time, values returned. */
  readonly polls?: readonly { readonly atMs: number; readonly values: readonly number[]; readonly partition?: number }[];
  readonly faults?: readonly { readonly atMs: number; readonly action: FaultAction; readonly nodes?: readonly string[] }[];
  readonly trace?: readonly (TraceEvent & { readonly atMs: number })[];
  readonly workloadEndMs?: number;
  readonly virtualMs?: number;
  readonly diskBytes?: number;
  readonly final?: FinalState;
}

export function fakeRun(f: FakeRun): RunResult {
  const ops: { timeUs: number; op: Omit<HistoryOp, "index"> }[] = [];
  for (const s of f.sends ?? []) {
    const p = s.process ?? "p1";
    const base = { topic: "orders", key: null, value: s.value, ...(s.partition !== undefined ? { partition: s.partition } : {}) };
    ops.push({ timeUs: s.invokeMs * 1000, op: { timeUs: s.invokeMs * 1000, process: p, type: "invoke", f: "send", value: base } as Omit<HistoryOp, "index"> });
    if (s.outcome !== undefined && s.endMs !== undefined) {
      const value = { ...base, partition: s.partition ?? 0, ...(s.outcome === "ok" ? { offset: s.value } : {}), ...(s.error ? { error: s.error } : {}) };
      ops.push({ timeUs: s.endMs * 1000, op: { timeUs: s.endMs * 1000, process: p, type: s.outcome, f: "send", value } as Omit<HistoryOp, "index"> });
    }
  }
  for (const p of f.polls ?? []) {
    const records = p.values.map((v, i) => ({ topic: "orders", partition: p.partition ?? 0, offset: i, value: v, key: null }));
    ops.push({ timeUs: p.atMs * 1000, op: { timeUs: p.atMs * 1000, process: "g1/0", type: "ok", f: "poll", value: { group: "g1", records } } as Omit<HistoryOp, "index"> });
  }
  ops.sort((a, b) => a.timeUs - b.timeUs);
  const history = ops.map((o, index) => ({ ...o.op, index }) as HistoryOp);
  const faults: FiredFault[] = (f.faults ?? []).map((x) => ({ timeUs: x.atMs * 1000, action: x.action, nodes: x.nodes ?? ["broker-1"] }));
  const trace = (f.trace ?? []).map(({ atMs, ...ev }) => ({ ...ev, timeUs: (atMs * 1000) as TimeUs }) as Recorded<TraceEvent>);
  const workloadEndMs = f.workloadEndMs ?? 10_000;
  const seed = f.seed ?? 1;
  return {
    seed,
    scenario: buildScenario({ seed, durationMs: workloadEndMs, ...f.scenario }),
    protocol: "3.7",
    traceHash: "0000000000000000",
    end: { reason: "completed" },
    virtualMs: f.virtualMs ?? workloadEndMs * 2,
    workloadEndMs,
    events: history.length,
    history,
    final: f.final ?? { partitions: [], committedOffsets: [] },
    faults,
    trace,
    diskBytes: f.diskBytes ?? 0,
    network: { sent: 0, delivered: 0, dropped: 0 },
  };
}

export const NO_ANOMALIES = { lostWrites: 0, duplicates: 0, reorders: 0, skipped: 0 } as const;
