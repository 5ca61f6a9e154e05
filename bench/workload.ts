// The replication workload benchmark (issue 3): 3 brokers, one topic of 6 partitions with RF 3, one acks=all
// producer at 10,000 records/s for 60 s of virtual time, a broker fault every 10 s (kill, restart 5 s later,
// rotating over the brokers; Kafka 2.4 timeouts, see below). Reports virtual seconds per wall second and acknowledged records per wall second.
import { runScenario } from "../sim/world.ts";
import { buildScenario } from "../sim/scenario/defaults.ts";
import type { Fault } from "../sim/faults/types.ts";

export interface WorkloadBenchResult {
  readonly virtualSeconds: number;
  /** Median wall time of the measured runs. */
  readonly wallSeconds: number;
  /** virtualSeconds / wallSeconds (target ≥ 100). */
  readonly speedup: number;
  /** Acknowledged records per wall-clock second. */
  readonly recordsPerSec: number;
  readonly peakHeapMB: number;
  /** Measured runs (after one warm-up run of 10 virtual seconds that lets the JIT compile the hot path). */
  readonly runs: number;
  /** The same figure for the process's first full run, before the JIT has warmed up (what a one-off CLI run sees). */
  readonly firstRunSpeedup: number;
  /** The same workload with linger.ms=0 (Kafka 3.x's default): ~1.6 records per request, ~2.4× the events. */
  readonly linger0Speedup: number;
}

export function workloadScenario(durationMs = 60_000, lingerMs = 5): ReturnType<typeof buildScenario> {
  const faults: Fault[] = [];
  for (let t = 10_000, i = 0; t < durationMs; t += 10_000, i++) {
    const broker = (i % 3) + 1;
    faults.push({ atMs: t, action: { kind: "kill", target: { broker } } });
    faults.push({ atMs: t + 5_000, action: { kind: "restart", target: { broker } } });
  }
  return buildScenario({
    name: "bench-workload",
    seed: 42,
    durationMs,
    drainMs: 5_000,
    brokers: 3,
    // Kafka 2.4's defaults (session 6 s, lag 10 s) so each kill is detected and healed within its 10 s slot;
    // with 3.x's 18 s / 30 s every partition would stall (acks=all waits for the dead replica) across slots.
    broker: { "zookeeper.session.timeout.ms": 6_000, "replica.lag.time.max.ms": 10_000 },
    topics: [{ name: "bench", partitions: 6, "replication.factor": 3 }],
    // linger.ms=5 is Kafka 4.0's default (KIP-1030); with 3.x's 0 the producer sends ~1.6 records per request
    // here and the run costs ~3× more events (both figures are in the README).
    producers: [{ id: "p1", topic: "bench", ratePerSec: 10_000, config: { acks: "all", "linger.ms": lingerMs } }],
    faults,
  });
}

interface OneRun {
  readonly wallSeconds: number;
  readonly virtualSeconds: number;
  readonly acked: number;
  readonly peakHeapBytes: number;
}

function runOnce(scenario: ReturnType<typeof buildScenario>): OneRun {
  let peak = process.memoryUsage().heapUsed;
  // A run is synchronous: sample the heap from the run's own progress callback (each virtual second).
  const onProgress = (): void => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  };
  const t0 = process.hrtime.bigint();
  const r = runScenario(scenario, { onProgress });
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  return { wallSeconds, virtualSeconds: r.virtualMs / 1000, acked: r.sendsAcked, peakHeapBytes: peak };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

export async function runWorkloadBench(opts: { readonly quick?: boolean } = {}): Promise<WorkloadBenchResult> {
  const durationMs = opts.quick ? 10_000 : 60_000;
  const first = runOnce(workloadScenario(durationMs));
  runOnce(workloadScenario(10_000));
  const runs = opts.quick ? 1 : 3;
  const measured: OneRun[] = [];
  for (let i = 0; i < runs; i++) measured.push(runOnce(workloadScenario(durationMs)));
  const linger0 = runOnce(workloadScenario(durationMs, 0));
  await Promise.resolve();
  const wallSeconds = median(measured.map((m) => m.wallSeconds));
  const virtualSeconds = first.virtualSeconds;
  return {
    virtualSeconds,
    wallSeconds,
    speedup: virtualSeconds / wallSeconds,
    recordsPerSec: first.acked / wallSeconds,
    peakHeapMB: Math.max(...measured.map((m) => m.peakHeapBytes)) / (1024 * 1024),
    runs,
    firstRunSpeedup: first.virtualSeconds / first.wallSeconds,
    linger0Speedup: linger0.virtualSeconds / linger0.wallSeconds,
  };
}
