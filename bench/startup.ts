// The start-up benchmark (`kafkasim bench`, section "startup"; issue #17 §4): wall time of `kafkasim --help` as
// an installed package runs it (node dist/cli.js: the compiled JavaScript, no tsx), median of sequential spawns,
// against a 150 ms target. For scale, node's own start-up (`node -e 0`) on the same machine and, in a git
// checkout, the same command from the TypeScript sources through tsx (what `npx kafkasim` runs there). Wall clock
// is allowed here (bench/).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const STARTUP_TARGET_MS = 150;

export interface StartupBenchResult {
  /** Median wall time of `node dist/cli.js --help`, in ms; null when dist/ is not built (`npm run build`). */
  readonly helpMs: number | null;
  /** helpMs / 150 (≤ 1 meets the target); null with helpMs. */
  readonly ratio: number | null;
  /** Mean CPU time (user + system) of one `node dist/cli.js --help`, in ms: what the wall time would be on an idle
   *  core (the machine may be shared). Null where /proc is missing (not Linux) or with helpMs. */
  readonly helpCpuMs: number | null;
  /** Median wall time of `node -e 0`: node's own share of helpMs. */
  readonly nodeMs: number;
  /** Mean CPU time of `node -e 0`, in ms (null without /proc). */
  readonly nodeCpuMs: number | null;
  /** Median wall time of `node bin/kafkasim.js --help` from the TypeScript sources (tsx); null outside a checkout. */
  readonly sourceHelpMs: number | null;
  /** Spawns measured per command (after one warm-up). */
  readonly runs: number;
}

// Every file of the build sits directly in dist/, so ".." is the package root here and in the sources alike.
const ROOT = new URL("..", import.meta.url);
const DIST_CLI = fileURLToPath(new URL("dist/cli.js", ROOT));
const SOURCE_CLI = fileURLToPath(new URL("cli/main.ts", ROOT));
const BIN = fileURLToPath(new URL("bin/kafkasim.js", ROOT));

/** CPU time (user + system, ms) of this process's waited-for children so far, from /proc/self/stat (cutime and
 *  cstime, in Linux's fixed 100 Hz user clock ticks); undefined without /proc. */
function childrenCpuMs(): number | undefined {
  try {
    const fields = readFileSync("/proc/self/stat", "utf8").replace(/^.*\) /s, "").split(" ");
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return undefined;
  }
}

/** Median wall time and mean CPU time of spawning `node ...args` (one warm-up first: the file-system cache). */
function spawnMs(args: readonly string[], runs: number): { wallMs: number; cpuMs: number | null } {
  const times: number[] = [];
  let cpu0: number | undefined;
  for (let i = 0; i <= runs; i++) {
    if (i === 1) cpu0 = childrenCpuMs();
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited with ${r.status}: ${String(r.stderr).trim()}`);
    if (i > 0) times.push(ms);
  }
  const cpu1 = childrenCpuMs();
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const median = times.length % 2 === 1 ? (times[mid] as number) : ((times[mid - 1] as number) + (times[mid] as number)) / 2;
  return { wallMs: Math.round(median * 10) / 10, cpuMs: cpu0 === undefined || cpu1 === undefined ? null : Math.round(((cpu1 - cpu0) / runs) * 10) / 10 };
}

export function runStartupBench(opts: { readonly quick?: boolean } = {}): StartupBenchResult {
  const runs = opts.quick ? 3 : 11;
  const node = spawnMs(["-e", "0"], runs);
  const help = existsSync(DIST_CLI) ? spawnMs([DIST_CLI, "--help"], runs) : null;
  const sourceHelpMs = existsSync(SOURCE_CLI) ? spawnMs([BIN, "--help"], opts.quick ? 1 : 5).wallMs : null;
  const helpMs = help?.wallMs ?? null;
  return {
    helpMs,
    ratio: helpMs === null ? null : Math.round((helpMs / STARTUP_TARGET_MS) * 100) / 100,
    helpCpuMs: help?.cpuMs ?? null,
    nodeMs: node.wallMs,
    nodeCpuMs: node.cpuMs,
    sourceHelpMs,
    runs,
  };
}

/** The human-readable lines of `kafkasim bench`. */
export function describeStartup(r: StartupBenchResult): string[] {
  const node = `node's own start-up ${r.nodeMs} ms${r.nodeCpuMs === null ? "" : ` (${r.nodeCpuMs} ms CPU)`}`;
  const source = r.sourceHelpMs === null ? "" : `; from the TypeScript sources through tsx (a git checkout's npx kafkasim): ${r.sourceHelpMs} ms`;
  if (r.helpMs === null || r.ratio === null) return [`kafkasim --help: dist/ is not built (npm run build), not measured (${node}${source})`];
  return [
    `kafkasim --help from the compiled package (node dist/cli.js, median of ${r.runs}): ${r.helpMs} ms${r.helpCpuMs === null ? "" : ` (${r.helpCpuMs} ms CPU)`}, ${r.ratio.toFixed(2)}× the ${STARTUP_TARGET_MS} ms target (${r.helpMs <= STARTUP_TARGET_MS ? "met" : "NOT met"})`,
    `  (${node}${source})`,
  ];
}
