// `kafkasim bench [--json]` and `npm run bench`: the kernel section (this file's own), then the sibling
// sections: bench/workload.ts's runWorkloadBench(), bench/memory.ts's runMemoryBench(), bench/fuzz.ts's
// runFuzzBench(), bench/startup.ts's runStartupBench(), bench/kafkajs.ts's runKafkaJSBench(), bench/serve.ts's
// runServeBench() (kcat against kafkasim serve); each returns the object stored under its key. Each is imported when its turn comes (with a
// literal specifier, so the build bundles it).
import { benchKernelMemory, benchKernelRow } from "./kernel.ts";
import type { BenchReport } from "./types.ts";

export type { BenchReport } from "./types.ts";

export interface BenchOptions {
  /** Print only the report as JSON on stdout (a contract for scripts); otherwise human-readable lines. */
  readonly json: boolean;
  /** Fewer events: a smoke run in seconds rather than a measurement. */
  readonly quick?: boolean;
}

type Section = "workload" | "memory" | "fuzz" | "startup" | "kafkajs" | "serve";
/** A section run: its result (stored under its key) and the human-readable lines describing it. */
type SectionRun = (opts: BenchOptions) => Promise<{ result: unknown; lines: string[] }>;
function section<R>(run: (opts: BenchOptions) => R | Promise<R>, describe: (r: R) => string[]): SectionRun {
  return async (opts) => {
    const result = await run(opts);
    return { result, lines: describe(result) };
  };
}
const SECTIONS: readonly { key: Section; load: () => Promise<SectionRun> }[] = [
  { key: "workload", load: async () => { const m = await import("./workload.ts"); return section(m.runWorkloadBench, m.describeWorkload); } },
  { key: "memory", load: async () => { const m = await import("./memory.ts"); return section(m.runMemoryBench, m.describeMemory); } },
  { key: "fuzz", load: async () => { const m = await import("./fuzz.ts"); return section(() => m.runFuzzBench(), m.describeFuzz); } },
  { key: "startup", load: async () => { const m = await import("./startup.ts"); return section(m.runStartupBench, m.describeStartup); } },
  { key: "kafkajs", load: async () => { const m = await import("./kafkajs.ts"); return section(m.runKafkaJSBench, m.describeKafkaJS); } },
  { key: "serve", load: async () => { const m = await import("./serve.ts"); return section(m.runServeBench, m.describeServe); } },
];

function fmtRate(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${(x / 1e3).toFixed(1)}k`;
}

export async function runBench(opts: BenchOptions): Promise<BenchReport> {
  const say = (line: string): void => {
    if (!opts.json) process.stdout.write(`${line}\n`);
  };
  const events = opts.quick ? 300_000 : 3_000_000;
  const rounds = opts.quick ? 1 : 5;
  const report: BenchReport = { kernel: [] };

  say("kernel: real Scheduler (trace hash on) vs a bare {time, seq} binary heap, same random delays");
  for (const pending of [1_000, 100_000]) {
    const row = benchKernelRow(pending, { events, rounds });
    report.kernel.push(row);
    say(
      `  ${String(pending).padStart(7)} pending: kernel ${fmtRate(row.eventsPerSec)} events/s, bare loop ${fmtRate(row.bareEventsPerSec)} events/s, ratio ${row.ratio.toFixed(2)} ${row.ratio >= 0.5 ? "(target ≥ 0.5 met)" : "(BELOW target 0.5)"}`,
    );
  }

  const memEvents = opts.quick ? 1_000_000 : 10_000_000;
  const mem = benchKernelMemory(memEvents);
  report.kernelMemory = mem;
  say(
    `kernel memory: ${(mem.events / 1e6).toFixed(0)}M events through the Runtime (100 nodes, recording off) at ${fmtRate(mem.eventsPerSec)} events/s; heapUsed ${mem.startHeapUsedMB} MB at start, ${mem.endHeapUsedMB} MB at end${mem.gcForced ? " (after GC)" : " (no GC could be forced)"}, peak ${mem.peakHeapUsedMB} MB`,
  );

  for (const s of SECTIONS) {
    const run = await s.load();
    say(`${s.key}:`);
    const { result, lines } = await run(opts);
    report[s.key] = result;
    for (const line of lines) say(`  ${line}`);
  }

  if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return report;
}
