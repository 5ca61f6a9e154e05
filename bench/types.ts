// The benchmark report: a contract for scripts (`kafkasim bench --json`). Sibling sections plug in by key.

/** The kernel against a bare binary-heap loop, at one queue size. */
export interface KernelBenchRow {
  /** Events pending in the queue during the measurement. */
  readonly pending: number;
  /** Kernel (real Scheduler, trace hash on) events per wall-clock second. */
  readonly eventsPerSec: number;
  /** Bare {time, seq} heap loop (no dispatch, no hash) events per second: the physical limit. */
  readonly bareEventsPerSec: number;
  /** eventsPerSec / bareEventsPerSec (target ≥ 0.5). */
  readonly ratio: number;
}

/** Heap use over a long run through the Runtime (actors, timers, network) with recording off. */
export interface KernelMemoryReport {
  readonly events: number;
  readonly eventsPerSec: number;
  /** heapUsed after warm-up and a GC (when one can be forced), in MB. */
  readonly startHeapUsedMB: number;
  /** heapUsed at the end, after a GC (when one can be forced), in MB. */
  readonly endHeapUsedMB: number;
  /** Largest heapUsed sampled during the run (no GC forced), in MB. */
  readonly peakHeapUsedMB: number;
  /** Whether GCs were forced before the start/end samples (otherwise they include garbage). */
  readonly gcForced: boolean;
}

export interface BenchReport {
  kernel: KernelBenchRow[];
  kernelMemory?: KernelMemoryReport;
  /** bench/workload.ts's runWorkloadBench() result, when that module exists. */
  workload?: unknown;
  /** bench/memory.ts's runMemoryBench() result: memory.bytesPerRecord (target ≤ 100) and the 600 s run's peak RSS. */
  memory?: unknown;
  /** bench/fuzz.ts's runFuzzBench() result, when that module exists. */
  fuzz?: unknown;
  /** bench/startup.ts's runStartupBench() result: `kafkasim --help` from the build (startup.helpMs). */
  startup?: unknown;
  /** bench/kafkajs.ts's runKafkaJSBench() result: the kafkajs-API run against the modelled clients (ratio ≤ 3). */
  kafkajs?: unknown;
  /** bench/serve.ts's runServeBench() result: kcat's produced records/s against kafkasim serve (serve.recordsPerSec). */
  serve?: unknown;
}
