// Perfetto / Chrome trace-event JSON of a recorded run (opens in ui.perfetto.dev and chrome://tracing):
// nodes are processes, partitions are threads, leader terms and client operations are slices, produce requests
// are flows from the producer's send to the leader's append, faults are instants, ISR size and HW are counters.
// Format: https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU
import type { RunResult } from "../sim/result.ts";
import { describeAction, downIntervals, partitionSeries } from "./series.ts";

type Ev = Record<string, unknown>;

export interface PerfettoTrace {
  readonly traceEvents: Ev[];
  readonly displayTimeUnit: "ms";
  readonly otherData: Record<string, string>;
}

const CLUSTER_PID = 1000;

export function perfettoTrace(r: RunResult): PerfettoTrace {
  const ev: Ev[] = [];
  const pids = new Map<string, number>();
  const pidOf = (node: string): number => {
    let p = pids.get(node);
    if (p === undefined) {
      p = pids.size + 1;
      pids.set(node, p);
      ev.push({ ph: "M", name: "process_name", pid: p, tid: 0, args: { name: node } });
      ev.push({ ph: "M", name: "process_sort_index", pid: p, tid: 0, args: { sort_index: p } });
      ev.push({ ph: "M", name: "thread_name", pid: p, tid: 0, args: { name: node.startsWith("broker-") || node === "zk" ? "lifecycle" : "operations" } });
    }
    return p;
  };
  const tids = new Map<string, number>();
  const namedThreads = new Set<string>();
  const tidOf = (pid: number, tp: string): number => {
    let t = tids.get(tp);
    if (t === undefined) {
      t = tids.size + 1;
      tids.set(tp, t);
    }
    const key = `${pid}/${t}`;
    if (!namedThreads.has(key)) {
      namedThreads.add(key);
      ev.push({ ph: "M", name: "thread_name", pid, tid: t, args: { name: tp } });
    }
    return t;
  };
  pidOf("zk");
  for (let b = 1; b <= r.scenario.brokers; b++) pidOf(`broker-${b}`);
  for (const p of r.scenario.producers) pidOf(p.id);
  for (const c of r.scenario.consumers) for (let m = 0; m < c.members; m++) pidOf(`${c.group}/${m}`);
  ev.push({ ph: "M", name: "process_name", pid: CLUSTER_PID, tid: 0, args: { name: "partitions (ISR size, HW)" } });

  // Node lifecycle: down / paused periods.
  for (const d of downIntervals(r)) {
    ev.push({ ph: "X", name: d.state, cat: "lifecycle", pid: pidOf(d.node), tid: 0, ts: d.startMs * 1000, dur: Math.max(1, (d.endMs - d.startMs) * 1000) });
  }
  // Faults as instants on the nodes they hit (global when they hit nothing).
  for (const f of r.faults) {
    const name = describeAction(f.action);
    if (f.nodes.length === 0) ev.push({ ph: "i", s: "g", name, cat: "fault", pid: CLUSTER_PID, tid: 0, ts: f.timeUs });
    for (const n of f.nodes) ev.push({ ph: "i", s: "p", name, cat: "fault", pid: pidOf(n), tid: 0, ts: f.timeUs });
  }
  // Leader terms as slices on (leader broker, partition).
  const s = partitionSeries(r);
  const endUs = r.virtualMs * 1000;
  for (let i = 0; i < s.leaders.length; i++) {
    const l = s.leaders[i]!;
    if (l.leader === null) continue;
    const next = s.leaders.slice(i + 1).find((x) => x.tp === l.tp);
    const t0 = l.timeMs * 1000;
    const t1 = next ? next.timeMs * 1000 : endUs;
    const pid = pidOf(`broker-${l.leader}`);
    ev.push({ ph: "X", name: `leader e${l.leaderEpoch}${l.unclean ? " (unclean)" : ""}`, cat: "leadership", pid, tid: tidOf(pid, l.tp), ts: t0, dur: Math.max(1, t1 - t0), args: { tp: l.tp, epoch: l.leaderEpoch } });
  }
  // Counters: ISR size and HW per partition.
  for (const p of s.isr) ev.push({ ph: "C", name: `${p.tp} ISR size`, pid: CLUSTER_PID, tid: 0, ts: p.timeMs * 1000, args: { isr: p.isrSize } });
  for (const h of s.hw) ev.push({ ph: "C", name: `${h.tp} HW`, pid: CLUSTER_PID, tid: 0, ts: h.timeMs * 1000, args: { hw: h.highWatermark } });

  // Appends on the leaders, and sends as slices with a flow to the append that stored them.
  const appends = new Map<string, { ts: number; broker: number; base: number; count: number }[]>();
  for (const e of r.trace) {
    if (e.type !== "produce-append") continue;
    const pid = pidOf(`broker-${e.broker}`);
    ev.push({ ph: "X", name: `append ${e.baseOffset}..${e.baseOffset + e.count - 1}`, cat: "produce", pid, tid: tidOf(pid, e.tp), ts: e.timeUs, dur: 20, args: { epoch: e.leaderEpoch } });
    const list = appends.get(e.tp) ?? [];
    list.push({ ts: e.timeUs, broker: e.broker, base: e.baseOffset, count: e.count });
    appends.set(e.tp, list);
  }
  const invokes = new Map<number, number>();
  let flowId = 1;
  for (const op of r.history) {
    const pid = pidOf(op.process);
    if (op.f === "send") {
      if (op.type === "invoke") {
        invokes.set(op.value.value, op.timeUs);
        continue;
      }
      const t0 = invokes.get(op.value.value);
      if (t0 === undefined) continue;
      const tp = `${op.value.topic}-${op.value.partition ?? 0}`;
      ev.push({ ph: "X", name: `send v${op.value.value} ${op.type}`, cat: "send", pid, tid: 0, ts: t0, dur: Math.max(1, op.timeUs - t0), args: { tp, offset: op.value.offset ?? null, error: op.value.error ?? null } });
      const off = op.value.offset;
      if (op.type === "ok" && off !== undefined && off >= 0) {
        const app = (appends.get(tp) ?? []).find((a) => a.ts >= t0 && a.ts <= op.timeUs && a.base <= off && off < a.base + a.count);
        if (app) {
          const bpid = pidOf(`broker-${app.broker}`);
          ev.push({ ph: "s", id: flowId, name: "produce", cat: "flow", pid, tid: 0, ts: t0 });
          ev.push({ ph: "f", bp: "e", id: flowId, name: "produce", cat: "flow", pid: bpid, tid: tidOf(bpid, tp), ts: app.ts });
          flowId++;
        }
      }
    } else if (op.type !== "invoke") {
      const label = op.f === "poll" ? `poll ${op.value.records.length}` : op.f;
      ev.push({ ph: "i", s: "t", name: label, cat: op.f, pid, tid: 0, ts: op.timeUs });
    }
  }
  return {
    traceEvents: ev,
    displayTimeUnit: "ms",
    otherData: { scenario: r.scenario.name, seed: String(r.seed), traceHash: r.traceHash, clock: "virtual µs" },
  };
}
