// Kernel benchmark: the real Scheduler (pooled entries, lazy cancellation, incarnations, running trace hash)
// against a bare {time, seq} binary heap, with 1k and 100k pending events; and heap use over a long run
// through the Runtime with recording off. Not a test: it reads the wall clock.
import { performance } from "node:perf_hooks";
import v8 from "node:v8";
import vm from "node:vm";
import { pathToFileURL } from "node:url";
import { Scheduler } from "../sim/core/scheduler.ts";
import type { SchedEntry } from "../sim/core/scheduler.ts";
import { RunningHash } from "../sim/core/trace.ts";
import { Rng } from "../sim/core/rng.ts";
import { Runtime } from "../sim/core/runtime.ts";
import type { Actor, NodeContext } from "../sim/core/node.ts";
import { nodeId } from "../sim/core/ids.ts";
import type { NodeId } from "../sim/core/ids.ts";
import { asTimeUs } from "../sim/core/time.ts";
import { bareLoopEventsPerSec } from "./bare-loop.ts";
import type { KernelBenchRow, KernelMemoryReport } from "./types.ts";

const now = (): number => performance.now();

/** Random delays in µs (lognormal around 250 µs, like the default network), drawn once: both loops read the
 *  same table, so neither pays for random draws and the ratio isolates the scheduler's own cost. */
export function delayTable(size = 1 << 16, seed = 1): Float64Array {
  const rng = new Rng(seed).fork("bench");
  const t = new Float64Array(size);
  for (let i = 0; i < size; i++) t[i] = 1 + rng.latencyUs({ dist: "lognormal", medianMs: 0.25, sigma: 0.8 });
  return t;
}

const OWNERS = 8;

/** The kernel micro-workload: every event schedules the next at now + a random delay through the real
 *  Scheduler, with the trace hash mixing every event. Returns events per second. */
export function kernelEventsPerSec(pending: number, events: number, delays: Float64Array): number {
  const mask = delays.length - 1;
  const hash = new RunningHash();
  const s = new Scheduler({ hash });
  s.ensureOwner(OWNERS);
  let d = 0;
  s.setDispatcher((e: SchedEntry) => {
    s.after(delays[d++ & mask] as number, e.owner, e.kind, e.a, e.b);
  });
  for (let i = 0; i < pending; i++) s.at(delays[d++ & mask] as number, 1 + (i % OWNERS), 2, undefined, 0);
  const t0 = now();
  const stop = s.runUntil(() => s.dispatched >= events);
  const elapsedMs = now() - t0;
  if (stop.kind !== "predicate" || s.pending !== pending) throw new Error(`kernel bench run ended early: ${stop.kind}`);
  if (hash.hex() === "") throw new Error("unreachable: keeps the hash observable");
  return (events / elapsedMs) * 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** Kernel vs bare loop at one queue size: alternate the two (so drift hits both), median of `rounds`. */
export function benchKernelRow(pending: number, opts: { events: number; rounds: number }): KernelBenchRow {
  const delays = delayTable();
  // Warm up both (JIT tiers up) before measuring: a fixed amount, so quick runs are not measured cold.
  for (let i = 0; i < 2; i++) {
    kernelEventsPerSec(pending, 300_000, delays);
    bareLoopEventsPerSec(pending, 300_000, delays, now);
  }
  const k: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    b.push(bareLoopEventsPerSec(pending, opts.events, delays, now));
    k.push(kernelEventsPerSec(pending, opts.events, delays));
  }
  const eventsPerSec = Math.round(median(k));
  const bareEventsPerSec = Math.round(median(b));
  return { pending, eventsPerSec, bareEventsPerSec, ratio: Math.round((eventsPerSec / bareEventsPerSec) * 1000) / 1000 };
}

// ---- memory over a long run ----

type Msg = number;
type Ev = { readonly type: "bench" };

/** A node that keeps a few timers going, pings random peers and cancels some timers: timers, sends,
 *  deliveries and cancellations, all without per-event allocation in the kernel. */
class Pinger implements Actor<Msg, Ev> {
  constructor(private readonly peers: readonly NodeId[]) {}
  onStart(ctx: NodeContext<Msg, Ev>): void {
    for (let i = 0; i < 10; i++) ctx.setTimer(ctx.rng.int(1, 1000), i);
  }
  onMessage(ctx: NodeContext<Msg, Ev>, from: NodeId, msg: Msg): void {
    if ((msg & 1) === 0) ctx.send(from, msg + 1);
  }
  onTimer(ctx: NodeContext<Msg, Ev>, tag: unknown): void {
    const r = ctx.rng.next();
    if (r < 0.5) ctx.send(this.peers[Math.floor(r * 2 * this.peers.length)] as NodeId, 0);
    else if (r < 0.6) ctx.cancelTimer(ctx.setTimer(5000, tag)); // a request timeout that is cancelled
    ctx.setTimer(1 + Math.floor(r * 2000), tag);
  }
}

/** `gc`, when it can be exposed at run time (v8 flags), else undefined. */
export function forceGc(): (() => void) | undefined {
  try {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as unknown;
    return typeof gc === "function" ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

const MB = 1024 * 1024;
const round1 = (x: number): number => Math.round(x * 10) / 10;

/** Run `events` events through a 100-node Runtime (recording off) and sample heapUsed. */
export function benchKernelMemory(events: number): KernelMemoryReport {
  const ids = Array.from({ length: 100 }, (_, i) => nodeId(`n${i}`));
  const rt = new Runtime<Msg, Ev>(ids, { seed: 7, record: false });
  for (const id of ids) {
    const peers = ids.filter((p) => p !== id);
    rt.addNode(id, () => new Pinger(peers));
  }
  rt.startAll();
  const gc = forceGc();
  const warm = Math.min(500_000, Math.floor(events / 10));
  rt.runUntil(() => rt.scheduler.dispatched >= warm);
  gc?.();
  const start = process.memoryUsage().heapUsed;
  let peak = start;
  const chunk = 250_000;
  const t0 = now();
  while (rt.scheduler.dispatched < events) {
    const target = Math.min(events, rt.scheduler.dispatched + chunk);
    const stop = rt.runUntil(() => rt.scheduler.dispatched >= target);
    if (stop.kind !== "predicate") throw new Error(`memory bench run ended early: ${stop.kind}`);
    const h = process.memoryUsage().heapUsed;
    if (h > peak) peak = h;
  }
  const elapsedMs = now() - t0;
  gc?.();
  const end = process.memoryUsage().heapUsed;
  if (rt.nowUs < asTimeUs(0)) throw new Error("unreachable");
  return {
    events: rt.scheduler.dispatched,
    eventsPerSec: Math.round(((rt.scheduler.dispatched - warm) / elapsedMs) * 1000),
    startHeapUsedMB: round1(start / MB),
    endHeapUsedMB: round1(end / MB),
    peakHeapUsedMB: round1(peak / MB),
    gcForced: gc !== undefined,
  };
}

/** `node --import tsx bench/kernel.ts [events] [rounds]` (or the same file bundled by esbuild): the kernel
 *  rows alone, as JSON, for comparing loaders. */
function main(): void {
  const events = Number(process.argv[2] ?? 3_000_000);
  const rounds = Number(process.argv[3] ?? 5);
  const rows = [1_000, 100_000].map((pending) => benchKernelRow(pending, { events, rounds }));
  process.stdout.write(`${JSON.stringify(rows)}\n`);
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) main();
