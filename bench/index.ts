// `kafkasim bench [--json]` and `npm run bench`: the kernel section (this file's own), plus sibling sections
// that plug in when their modules exist: bench/workload.ts exports runWorkloadBench(), bench/fuzz.ts exports
// runFuzzBench(); each returns the object stored under its key. A missing module leaves its key out.
import { benchKernelMemory, benchKernelRow } from "./kernel.ts";
import type { BenchReport } from "./types.ts";

export type { BenchReport } from "./types.ts";

export interface BenchOptions {
  /** Print only the report as JSON on stdout (a contract for scripts); otherwise human-readable lines. */
  readonly json: boolean;
  /** Fewer events: a smoke run in seconds rather than a measurement. */
  readonly quick?: boolean;
}

type Section = "workload" | "fuzz";
/** `describe`: the module's function that turns its result into the human-readable lines. */
const SECTIONS: readonly { key: Section; module: string; fn: string; describe: string }[] = [
  { key: "workload", module: "./workload.ts", fn: "runWorkloadBench", describe: "describeWorkload" },
  { key: "fuzz", module: "./fuzz.ts", fn: "runFuzzBench", describe: "describeFuzz" },
];

/** Import a sibling section's module if it exists; undefined when it does not. Other errors propagate. */
async function loadSection(module: string, fn: string, describe: string): Promise<{ run: (opts: BenchOptions) => unknown; describe: ((r: unknown) => string[]) | undefined } | undefined> {
  let m: Record<string, unknown>;
  try {
    m = (await import(module)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const missing = (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && String((e as Error).message).includes(module.slice(2));
    if (missing) return undefined;
    throw e;
  }
  const f = m[fn];
  if (typeof f !== "function") throw new Error(`bench/${module.slice(2)} must export a function ${fn}()`);
  const d = m[describe];
  return { run: f as (opts: BenchOptions) => unknown, describe: typeof d === "function" ? (d as (r: unknown) => string[]) : undefined };
}

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
    const section = await loadSection(s.module, s.fn, s.describe);
    if (section === undefined) continue;
    say(`${s.key}:`);
    const result = await section.run(opts);
    report[s.key] = result;
    if (opts.json) continue;
    if (section.describe) for (const line of section.describe(result)) say(`  ${line}`);
    else say(`  ${JSON.stringify(result, null, 2).replace(/\n/g, "\n  ")}`);
  }

  if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return report;
}
