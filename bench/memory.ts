// Memory (issue 17, "histories that fit"): the bytes a run's result keeps per acknowledged record — its history and
// final state, measured as the heap and array buffers it holds after a forced GC, on the workload benchmark's run
// (bench/workload.ts, recording off) — and the peak RSS of a long run as users make it: `kafkasim run` in a child
// process on 600 s of 3 producers at 1,000 records/s each with a consumer group of 3 (1.8 M records), read from
// /proc (Linux; null elsewhere). It runs under --quick too: about 30 s of CPU, no more than two shorter runs to
// extrapolate from would take (and a linear extrapolation from runs too short to pack their histories doubled the
// figure). The long run uses the CLI as an installed package runs it: in a git checkout the bench first bundles the
// current sources' JavaScript (scripts/build.mjs --js-only, 0.2 s) and runs that, since bin/kafkasim.js there runs
// the TypeScript through tsx, whose loader thread holds the transpiled modules (about 50 MB more, reported apart).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runScenario } from "../sim/world.ts";
import { forceGc } from "./kernel.ts";
import { workloadScenario } from "./workload.ts";

export const BYTES_PER_RECORD_TARGET = 100;
export const LONG_RUN_RSS_TARGET_MB = 400;

export interface LongRunResult {
  /** Peak resident set size of the `kafkasim run` process (VmHWM), in MB. */
  readonly peakRssMB: number;
  /** peakRssMB / 400: ≤ 1 meets the target. */
  readonly targetRatio: number;
  readonly acked: number;
  readonly verdict: string;
  readonly wallSeconds: number;
  /** What ran: "built" (the JavaScript bundle of the current sources, as an installed package runs it) or
   *  "package" (kafkasim bench from an installed package: its dist/). */
  readonly cli: "built" | "package";
  /** From a git checkout only: how much more peak RSS a 10 s run takes through bin/kafkasim.js (the tsx loader)
   *  than through the built bundle, in MB; null from an installed package. */
  readonly sourceOverheadMB: number | null;
}

export interface MemoryBenchResult {
  /** Bytes of history and final state per acknowledged record (target ≤ 100). */
  readonly bytesPerRecord: number;
  /** bytesPerRecord / 100: ≤ 1 meets the target. */
  readonly targetRatio: number;
  readonly acked: number;
  /** What the result holds, in MB. */
  readonly retainedMB: number;
  /** Whether GCs were forced before the two samples (otherwise they include garbage). */
  readonly gcForced: boolean;
  /** The 600 s run; null without /proc. */
  readonly longRun: LongRunResult | null;
}

const MB = 1024 * 1024;
const LONG_RUN_MS = 600_000;
const round1 = (x: number): number => Math.round(x * 10) / 10;

/** Heap and array buffers in use after a GC, once the event loop has turned (buffers are freed after the GC). */
async function settled(gc: (() => void) | undefined): Promise<number> {
  for (let k = 0; k < 3; k++) {
    gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** The long run's scenario (a file for `kafkasim run`). */
export function longRunScenario(durationMs = LONG_RUN_MS): Record<string, unknown> {
  const producer = (id: string): Record<string, unknown> => ({ id, topic: "orders", ratePerSec: 1000, config: { acks: "all" } });
  return {
    name: "bench-long-run",
    description: "600 s of 3 producers at 1,000 records/s each and a consumer group of 3: 1.8 M records",
    seed: 1,
    durationMs,
    drainMs: 20_000,
    brokers: 3,
    topics: [{ name: "orders", partitions: 6, "replication.factor": 3 }],
    producers: [producer("p1"), producer("p2"), producer("p3")],
    consumers: [{ group: "g1", members: 3, topic: "orders", config: { "auto.offset.reset": "earliest" } }],
  };
}

const BIN = fileURLToPath(new URL("../bin/kafkasim.js", import.meta.url));
const SOURCES = new URL("../cli/main.ts", import.meta.url);
const BUILD_SCRIPT = fileURLToPath(new URL("../scripts/build.mjs", import.meta.url));
const BUILT_CLI = fileURLToPath(new URL("../.bench-build/cli.js", import.meta.url));

/** The CLI entry to measure: in a git checkout, the current sources bundled into .bench-build/; in an installed
 *  package, its own command. */
async function cliEntry(): Promise<{ readonly entry: string; readonly built: boolean }> {
  if (!existsSync(SOURCES) || !existsSync(BUILD_SCRIPT)) return { entry: BIN, built: false };
  const child = spawn(process.execPath, [BUILD_SCRIPT, "--js-only", "--outdir", ".bench-build"], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`bench: bundling the CLI for the long run failed (node scripts/build.mjs --js-only, exit ${code}): ${err.trim()}`);
  return { entry: BUILT_CLI, built: true };
}

/** Peak RSS (kB) of a live process, from /proc; undefined without it. */
function vmHwmKb(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

interface Measured {
  readonly peakKb: number;
  readonly acked: number;
  readonly verdict: string;
  readonly wallSeconds: number;
}

/** `kafkasim run <the long run> --json` in a child process (`entry`: the CLI script), its peak RSS sampled every
 *  100 ms until it exits. */
async function measureRun(durationMs: number, entry: string): Promise<Measured | null> {
  const dir = mkdtempSync(join(tmpdir(), "kafkasim-bench-"));
  try {
    const file = join(dir, "long-run.json");
    writeFileSync(file, JSON.stringify(longRunScenario(durationMs), null, 2));
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [entry, "run", file, "--json"], { stdio: ["ignore", "pipe", "ignore"], env: { ...process.env, NO_COLOR: "1" } });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    let peakKb: number | undefined;
    const timer = setInterval(() => {
      const kb = child.pid === undefined ? undefined : vmHwmKb(child.pid);
      if (kb !== undefined) peakKb = Math.max(peakKb ?? 0, kb);
    }, 100);
    await new Promise<void>((resolve) => child.on("close", () => resolve()));
    clearInterval(timer);
    const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (peakKb === undefined) return null;
    const json = JSON.parse(out) as { verdict: string; stats: { acked: number } };
    return { peakKb, acked: json.stats.acked, verdict: json.verdict, wallSeconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The 600 s run, and (from a checkout) what the tsx loader adds to a 10 s one. */
async function measureLongRun(): Promise<LongRunResult | null> {
  const { entry, built } = await cliEntry();
  const m = await measureRun(LONG_RUN_MS, entry);
  if (m === null) return null;
  let sourceOverheadMB: number | null = null;
  if (built) {
    const [viaBuild, viaSource] = [await measureRun(10_000, entry), await measureRun(10_000, BIN)];
    if (viaBuild !== null && viaSource !== null) sourceOverheadMB = round1((viaSource.peakKb - viaBuild.peakKb) / 1024);
  }
  const peakRssMB = round1(m.peakKb / 1024);
  return { peakRssMB, targetRatio: Math.round((peakRssMB / LONG_RUN_RSS_TARGET_MB) * 1000) / 1000, acked: m.acked, verdict: m.verdict, wallSeconds: round1(m.wallSeconds), cli: built ? "built" : "package", sourceOverheadMB };
}

export async function runMemoryBench(opts: { readonly quick?: boolean } = {}): Promise<MemoryBenchResult> {
  const gc = forceGc();
  const scenario = workloadScenario(opts.quick ? 10_000 : 60_000);
  runScenario(workloadScenario(5_000)); // modules loaded, JIT warm: the baseline holds no first-run state
  const before = await settled(gc);
  const r = runScenario(scenario);
  const after = await settled(gc);
  const acked = r.sendsAcked; // the result stays alive until here
  const bytes = Math.max(0, after - before);
  const bytesPerRecord = Math.round(bytes / Math.max(1, acked));
  return {
    bytesPerRecord,
    targetRatio: Math.round((bytesPerRecord / BYTES_PER_RECORD_TARGET) * 1000) / 1000,
    acked,
    retainedMB: round1(bytes / MB),
    gcForced: gc !== undefined,
    longRun: await measureLongRun(),
  };
}

/** The human-readable lines of `kafkasim bench`. */
export function describeMemory(r: MemoryBenchResult): string[] {
  const lines = [
    `history + final state of the workload run (recording off): ${r.bytesPerRecord} bytes per acknowledged record (${r.retainedMB} MB for ${r.acked} records${r.gcForced ? ", after GC" : ", no GC could be forced"}), ${r.targetRatio.toFixed(2)}× the ${BYTES_PER_RECORD_TARGET}-byte target (${r.bytesPerRecord <= BYTES_PER_RECORD_TARGET ? "met" : "NOT met"})`,
  ];
  const l = r.longRun;
  if (l === null) lines.push("600 s run (3 producers × 1,000 records/s, a consumer group): not measured (no /proc)");
  else {
    const how = l.cli === "built" ? "the current sources bundled as the package ships them" : "this installed package";
    lines.push(`600 s run (3 producers × 1,000 records/s, a consumer group; kafkasim run, ${how}): peak RSS ${l.peakRssMB} MB for ${l.acked} records (${l.verdict}, ${l.wallSeconds} s), ${l.targetRatio.toFixed(2)}× the ${LONG_RUN_RSS_TARGET_MB} MB target (${l.peakRssMB <= LONG_RUN_RSS_TARGET_MB ? "met" : "NOT met"})`);
    if (l.sourceOverheadMB !== null) lines.push(`  from this checkout through tsx (bin/kafkasim.js), a run takes ${l.sourceOverheadMB} MB more peak RSS (the loader thread's transpiled modules; measured on a 10 s run)`);
  }
  return lines;
}
