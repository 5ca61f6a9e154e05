// Hand-built RunResults for the reports' tests: a history of sends and polls, fired faults and an optional trace,
// without running the simulator.
import { buildScenario } from "../sim/scenario/defaults.ts";
import type { ScenarioInput } from "../sim/scenario/defaults.ts";
import type { HistoryOp, FinalState } from "../sim/history.ts";
import { countSendsAcked } from "../sim/history.ts";
import type { RunResult } from "../sim/result.ts";
import type { FaultAction, FiredFault } from "../sim/faults/types.ts";
import { HOT_EVENT_TYPES } from "../sim/events.ts";
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
  /** Offset on ok (default: the value). */
  readonly offset?: number;
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
      const value = { ...base, partition: s.partition ?? 0, ...(s.outcome === "ok" ? { offset: s.offset ?? s.value } : {}), ...(s.error ? { error: s.error } : {}) };
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
    sendsAcked: countSendsAcked(history),
    final: f.final ?? { partitions: [], committedOffsets: [] },
    faults,
    trace,
    evidence: trace.filter((e) => !HOT_EVENT_TYPES.has(e.type)),
    diskBytes: f.diskBytes ?? 0,
    network: { sent: 0, delivered: 0, dropped: 0 },
  };
}

export const NO_ANOMALIES = { lostWrites: 0, duplicates: 0, reorders: 0, skipped: 0, processedTwice: 0, duplicateOutputs: 0 } as const;

/** A run with a recorded trace: leader broker-1 killed at 1 s, broker-2 takes over, broker-1 restarts at 2.5 s
 *  and rejoins the ISR; one send lost (acks=1 style) — enough for every chart and export to have content. */
export function richRun(seed = 1, opts: { latencyMs?: number; lose?: boolean } = {}): RunResult {
  const lat = opts.latencyMs ?? 3;
  const sends: FakeSend[] = [];
  const trace: (TraceEvent & { readonly atMs: number })[] = [
    { atMs: 0, type: "phase", phase: "workload" },
    { atMs: 5, type: "leader-elected", tp: "orders-0", leader: 1, leaderEpoch: 0, isr: [1, 2, 3], unclean: false },
  ];
  let leader = 1;
  let hw = 0;
  for (let i = 0; i < 40; i++) {
    const t = 50 + i * 100;
    if (t > 1000 && t < 1400) {
      sends.push({ value: i, invokeMs: t, endMs: 1500 + i, outcome: "ok", partition: 0, offset: 1000 + i });
      continue;
    }
    if (t >= 1000 && leader === 1) {
      trace.push({ atMs: 1000, type: "node-kill", node: "broker-1" as never });
      trace.push({ atMs: 1000, type: "fault", action: { kind: "kill", target: { leaderOf: "orders-0" } }, nodes: ["broker-1"] });
      trace.push({ atMs: 1450, type: "leader-elected", tp: "orders-0", leader: 2, leaderEpoch: 1, isr: [2, 3], unclean: false });
      leader = 2;
    }
    const ack = t + lat + (i % 5);
    trace.push({ atMs: t + lat / 2, type: "produce-append", tp: "orders-0", broker: leader, baseOffset: hw, count: 1, leaderEpoch: leader - 1 });
    sends.push({ value: i, invokeMs: t, endMs: ack, outcome: "ok", partition: 0, offset: hw });
    hw++;
    trace.push({ atMs: ack - 0.5, type: "hw-advance", tp: "orders-0", broker: leader, highWatermark: hw });
  }
  trace.push({ atMs: 2500, type: "node-restart", node: "broker-1" as never });
  trace.push({ atMs: 2500, type: "fault", action: { kind: "restart", target: { broker: 1 } }, nodes: ["broker-1"] });
  trace.push({ atMs: 2600, type: "truncate", tp: "orders-0", broker: 1, fromOffset: 10, toOffset: 9, reason: "diverging epoch" });
  trace.push({ atMs: 2900, type: "isr-expand", tp: "orders-0", leader: 2, isr: [2, 3, 1], added: [1] });
  trace.push({ atMs: 4000, type: "phase", phase: "drain" });
  trace.sort((a, b) => a.atMs - b.atMs);
  const polls = Array.from({ length: 8 }, (_, k) => ({ atMs: 600 + k * 500, values: sends.filter((s) => s.invokeMs < 600 + k * 500 && s.invokeMs >= 100 + k * 500).map((s) => s.value) })).filter((p) => p.values.length > 0);
  return fakeRun({
    seed,
    scenario: { name: "rich", producers: [{ id: "p1", topic: "orders" }], consumers: [{ group: "g1", topics: ["orders"] }] },
    sends,
    polls,
    faults: [
      { atMs: 1000, action: { kind: "kill", target: { leaderOf: "orders-0" } }, nodes: ["broker-1"] },
      { atMs: 2500, action: { kind: "restart", target: { broker: 1 } }, nodes: ["broker-1"] },
    ],
    trace,
    workloadEndMs: 4000,
    virtualMs: 6000,
    diskBytes: 3 * 40 * 100,
  });
}
