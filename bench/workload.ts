// The replication workload benchmark (issue 3): 3 brokers, one topic of 6 partitions with RF 3, one acks=all
// producer at 10,000 records/s for 60 s of virtual time (+ 5 s drain), a broker fault every 10 s (kill, restart
// 5 s later, rotating over the brokers; Kafka 2.4 timeouts, see below). Reports virtual seconds per wall second
// and acknowledged records per wall second. The producer keeps kafkasim's defaults (Kafka 3.x: linger.ms=0,
// idempotence on); the same workload with Kafka 4.0's linger.ms=5 is reported next to it. The workload runs on
// ZooKeeper 3.7, and again in KRaft mode (4.1: 3 controllers, brokers observing the metadata log, the broker session
// as long as the ZooKeeper one), alternating in one process; the KRaft run may cost at most 1.3× the ZooKeeper one
// per virtual second (issue #13). The same workload from a transactional producer (transactions of 1,000 records,
// none aborted) is run alternately with the idempotent one: its CPU cost per acknowledged record may be at most 1.5×
// (issue #14).
import { runScenario } from "../sim/world.ts";
import { buildScenario } from "../sim/scenario/defaults.ts";
import type { Fault } from "../sim/faults/types.ts";

/** The target: virtual seconds per wall second. */
export const WORKLOAD_TARGET_SPEEDUP = 100;
/** Issue #13's bound: the workload in KRaft mode costs at most this many times the ZooKeeper one. */
export const KRAFT_TARGET_COST_RATIO = 1.3;
/** Issue #14's bound: a transactional workload's cost per record is at most this many times the idempotent one's. */
export const TXN_TARGET_COST_RATIO = 1.5;
/** Records per transaction of the transactional workload. */
export const TXN_BENCH_RECORDS = 1_000;

export interface WorkloadBenchResult {
  readonly virtualSeconds: number;
  /** Median wall time of the measured runs (after a warm-up run). */
  readonly wallSeconds: number;
  /** virtualSeconds / wallSeconds (target ≥ 100). */
  readonly speedup: number;
  /** Acknowledged records per wall-clock second. */
  readonly recordsPerSec: number;
  readonly peakHeapMB: number;
  /** Measured runs (after one warm-up run of 10 virtual seconds that lets the JIT compile the hot path). */
  readonly runs: number;
  /** speedup / 100: ≥ 1 meets the target. */
  readonly targetRatio: number;
  /** The process's first full run, before the JIT has warmed up (what a one-off CLI run sees). */
  readonly firstRunSpeedup: number;
  /** Simulator events per wall second in the measured runs. */
  readonly eventsPerSec: number;
  /** The same workload with linger.ms=5 (Kafka 4.0's default, KIP-1030): fewer, fuller requests. Median. */
  readonly linger5Speedup: number;
  /** The same workload in KRaft mode (protocol 4.1), run alternately with the ZooKeeper one: median speedup. */
  readonly kraftSpeedup: number;
  /** Median over the alternating pairs of (KRaft CPU s per virtual s) / (ZooKeeper CPU s per virtual s). */
  readonly kraftCostRatio: number;
  /** The same workload from a transactional producer (TXN_BENCH_RECORDS records a transaction), run alternately
   *  with the idempotent one: median speedup. */
  readonly txnSpeedup: number;
  /** Median over the alternating pairs of (transactional CPU s per acknowledged record) / (idempotent CPU s per
   *  acknowledged record) (target ≤ 1.5). */
  readonly txnCostRatio: number;
}

export function workloadScenario(durationMs = 60_000, lingerMs = 0, mode: "zookeeper" | "kraft" = "zookeeper", transactional = false): ReturnType<typeof buildScenario> {
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
    // In KRaft mode the broker session is as long (6 s; heartbeats at the 2 s default) and the quorum keeps Kafka's
    // defaults: a killed broker is fenced within its slot.
    ...(mode === "zookeeper"
      ? { protocol: "3.7" as const, broker: { "zookeeper.session.timeout.ms": 6_000, "replica.lag.time.max.ms": 10_000 } }
      : { protocol: "4.1" as const, broker: { "broker.session.timeout.ms": 6_000, "replica.lag.time.max.ms": 10_000 } }),
    topics: [{ name: "bench", partitions: 6, "replication.factor": 3 }],
    producers: [
      transactional
        ? { id: "p1", topic: "bench", ratePerSec: 10_000, config: { acks: "all", "linger.ms": lingerMs, "transactional.id": "bench-tx" }, transaction: { records: TXN_BENCH_RECORDS } }
        : { id: "p1", topic: "bench", ratePerSec: 10_000, config: { acks: "all", "linger.ms": lingerMs } },
    ],
    faults,
  });
}

interface OneRun {
  readonly wallSeconds: number;
  /** CPU seconds of the process during the run (user + system): less sensitive than wall time to a shared machine. */
  readonly cpuSeconds: number;
  readonly virtualSeconds: number;
  readonly acked: number;
  readonly events: number;
  readonly peakHeapBytes: number;
}

function runOnce(scenario: ReturnType<typeof buildScenario>): OneRun {
  let peak = process.memoryUsage().heapUsed;
  // A run is synchronous: sample the heap from the run's own progress callback (each virtual second).
  const onProgress = (): void => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  };
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const r = runScenario(scenario, { onProgress });
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const cpuSeconds = (c.user + c.system) / 1e6;
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  return { wallSeconds, cpuSeconds, virtualSeconds: r.virtualMs / 1000, acked: r.sendsAcked, events: r.events, peakHeapBytes: peak };
}

/** The run of median wall time. */
function medianRun(xs: readonly OneRun[]): OneRun {
  const s = [...xs].sort((a, b) => a.wallSeconds - b.wallSeconds);
  return s[Math.floor(s.length / 2)] as OneRun;
}

const speedupOf = (r: OneRun): number => r.virtualSeconds / r.wallSeconds;

export async function runWorkloadBench(opts: { readonly quick?: boolean } = {}): Promise<WorkloadBenchResult> {
  const durationMs = opts.quick ? 10_000 : 60_000;
  const first = runOnce(workloadScenario(durationMs));
  runOnce(workloadScenario(10_000));
  const runs = opts.quick ? 1 : 3;
  const measured: OneRun[] = [];
  for (let i = 0; i < runs; i++) measured.push(runOnce(workloadScenario(durationMs)));
  const linger5: OneRun[] = [];
  for (let i = 0; i < runs; i++) linger5.push(runOnce(workloadScenario(durationMs, 5)));
  // ZooKeeper and KRaft alternately (the machine's load changes over time: each pair sees about the same).
  runOnce(workloadScenario(10_000, 0, "kraft"));
  const pairs = opts.quick ? 3 : 5;
  const kraft: OneRun[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const zk = runOnce(workloadScenario(durationMs));
    const kr = runOnce(workloadScenario(durationMs, 0, "kraft"));
    kraft.push(kr);
    ratios.push(kr.cpuSeconds / kr.virtualSeconds / (zk.cpuSeconds / zk.virtualSeconds));
  }
  ratios.sort((a, b) => a - b);
  // Idempotent and transactional alternately, compared per acknowledged record (steady state). By now the idempotent
  // path has run a dozen times; the transactional one is warmed with three full runs first, else the JIT still
  // compiling it (on V8's background threads, counted in the process's CPU) weighs on the first pairs.
  for (let i = 0; i < 3; i++) runOnce(workloadScenario(durationMs, 0, "zookeeper", true));
  const txn: OneRun[] = [];
  const txnRatios: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const idem = runOnce(workloadScenario(durationMs));
    const tx = runOnce(workloadScenario(durationMs, 0, "zookeeper", true));
    txn.push(tx);
    txnRatios.push(tx.cpuSeconds / Math.max(1, tx.acked) / (idem.cpuSeconds / Math.max(1, idem.acked)));
  }
  txnRatios.sort((a, b) => a - b);
  await Promise.resolve();
  const m = medianRun(measured);
  const speedup = speedupOf(m);
  return {
    virtualSeconds: m.virtualSeconds,
    wallSeconds: m.wallSeconds,
    speedup,
    recordsPerSec: m.acked / m.wallSeconds,
    peakHeapMB: Math.max(...measured.map((x) => x.peakHeapBytes)) / (1024 * 1024),
    runs,
    targetRatio: speedup / WORKLOAD_TARGET_SPEEDUP,
    firstRunSpeedup: speedupOf(first),
    eventsPerSec: m.events / m.wallSeconds,
    linger5Speedup: speedupOf(medianRun(linger5)),
    kraftSpeedup: speedupOf(medianRun(kraft)),
    kraftCostRatio: ratios[Math.floor(ratios.length / 2)] as number,
    txnSpeedup: speedupOf(medianRun(txn)),
    txnCostRatio: txnRatios[Math.floor(txnRatios.length / 2)] as number,
  };
}

/** The human-readable lines of `kafkasim bench`. */
export function describeWorkload(r: WorkloadBenchResult): string[] {
  const met = r.speedup >= WORKLOAD_TARGET_SPEEDUP;
  return [
    `3 brokers, 6 partitions RF 3, acks=all at 10,000 records/s, a broker killed every 10 s; producer defaults (linger.ms=0)`,
    `  ${r.virtualSeconds} virtual s in ${r.wallSeconds.toFixed(3)} s wall (median of ${r.runs}): ${r.speedup.toFixed(0)}× real time, ${(r.targetRatio).toFixed(2)}× the ${WORKLOAD_TARGET_SPEEDUP}× target (${met ? "met" : "NOT met"})`,
    `  ${(r.recordsPerSec / 1e6).toFixed(2)}M acknowledged records/s, ${(r.eventsPerSec / 1e6).toFixed(2)}M events/s, peak heap ${r.peakHeapMB.toFixed(0)} MB`,
    `  first run of the process (JIT cold): ${r.firstRunSpeedup.toFixed(0)}× · with linger.ms=5 (Kafka 4.0's default): ${r.linger5Speedup.toFixed(0)}×`,
    `  KRaft mode (4.1, 3 controllers): ${r.kraftSpeedup.toFixed(0)}× real time; CPU cost ${r.kraftCostRatio.toFixed(2)}× the ZooKeeper run's (median of alternating pairs; target ≤ ${KRAFT_TARGET_COST_RATIO}×: ${r.kraftCostRatio <= KRAFT_TARGET_COST_RATIO ? "met" : "NOT met"})`,
    `  transactional producer (transactions of ${TXN_BENCH_RECORDS.toLocaleString("en-US")} records): ${r.txnSpeedup.toFixed(0)}× real time; CPU cost per acknowledged record ${r.txnCostRatio.toFixed(2)}× the idempotent one's (median of alternating pairs; target ≤ ${TXN_TARGET_COST_RATIO}×: ${r.txnCostRatio <= TXN_TARGET_COST_RATIO ? "met" : "NOT met"})`,
  ];
}
