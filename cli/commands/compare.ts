// `kafkasim compare`: run a matrix of configurations on the same seeds (so the same fault schedules) and report
// durability, availability, latency and cost per configuration. The CLI (cli/main.ts) parses the flags into
// CompareOptions and calls compareCommand; reports/compare.ts does the work.
import { existsSync, readFileSync, statSync } from "node:fs";
import { DEFAULT_LIMITS } from "../../sim/scenario/limits.ts";
import { resolve } from "node:path";
import cliProgress from "cli-progress";
import { SimInputError } from "../../sim/core/errors.ts";
import type { RunFn } from "../../reports/compare.ts";
import { compare, compareAsync, defaultMatrix, parseMatrix, protocolMatrix } from "../../reports/compare.ts";
import type { CompareOutcome, Matrix } from "../../reports/compare.ts";
import { renderCsv, renderJson, renderMarkdown, renderTable } from "../../reports/table.ts";
import { writeCompareHtml } from "../../reports/html.ts";
import { judge } from "../../properties/index.ts";
import { parseWorkers, workerPool } from "../pool.ts";
import { progressReporter } from "../progress.ts";
import { checkJunitPath, junitOfCompare, writeJunit } from "../junit.ts";

/** The options of `kafkasim compare` (the CLI helper's cli/main.ts fills this from the flags). */
export interface CompareOptions {
  /** A matrix file (YAML or JSON): a base scenario and lists of values per Kafka key or scenario field. */
  readonly matrix?: string;
  /** Runs per configuration (default 3). Strings from the command line are accepted and validated. */
  readonly seeds?: number | string;
  /** Root seed (default 1): the run seeds, hence the fault schedules, derive from it. */
  readonly seed?: number | string;
  /** Output format on stdout (default: a terminal table). At most one of these. */
  readonly json?: boolean;
  readonly csv?: boolean;
  readonly markdown?: boolean;
  /** Also write an HTML report (index.html, self-contained) into this directory. */
  readonly html?: string;
  /** Show the progress bar (default: on stderr when it is a TTY and not --json/--csv). */
  readonly progress?: boolean;
  /** Worker threads (default: the machine's cores); the outcome is the same for any number. */
  readonly workers?: string;
  /** Also write the outcome as JUnit XML: one test case per configuration. */
  readonly junit?: string;
  /** Where output goes (default process.stdout); tests pass a collector. */
  readonly write?: (text: string) => void;
}

function intOption(v: number | string | undefined, name: string, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  const n = typeof v === "number" ? v : /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new SimInputError(name === "seed" ? "INVALID_SEED" : "INVALID_CONFIG", `--${name} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`, name);
  return n;
}

export function loadMatrix(path: string | undefined): Matrix {
  if (path === undefined) return defaultMatrix();
  // The built-in protocol comparison `kafkasim start` prints second (ZooKeeper 3.7 vs KRaft 4.0 vs KRaft 4.1).
  if (path === "protocols" && !existsSync(path)) return protocolMatrix();
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > DEFAULT_LIMITS.maxFileBytes) throw new SimInputError("INVALID_CONFIG", `matrix file ${path}: ${size} bytes, over the maxFileBytes limit of ${DEFAULT_LIMITS.maxFileBytes}`, path);
    text = readFileSync(path, "utf8");
  } catch (e) {
    if (e instanceof SimInputError) throw e;
    throw new SimInputError("INVALID_CONFIG", `cannot read matrix file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, path);
  }
  return parseMatrix(text, path);
}

/** The world's run function. (Loaded on demand: it pulls in the whole simulator.) */
export async function loadWorld(): Promise<RunFn> {
  const { runScenario } = await import("../../sim/world.ts");
  return runScenario;
}

export interface CompareRun {
  readonly outcome: CompareOutcome;
  readonly htmlPath: string | null;
}

/** Runs a comparison with a progress bar on stderr (lines every 10 s without a terminal); shared by compare and
 *  start. On worker threads when `workers` > 1. */
export async function runCompare(p: { matrix: Matrix; seed: number; seeds: number; html?: string | undefined; progress: boolean; workers?: number }): Promise<CompareRun> {
  const bar = p.progress ? new cliProgress.SingleBar({ format: "compare [{bar}] {value}/{total} runs  {label}", stream: process.stderr, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic) : null;
  let started = false;
  const t0 = performance.now();
  let lastDone = 0;
  let lastTotal = 0;
  const lines = progressReporter({ json: true, startBar: () => {}, line: () => `compare: ${lastDone}/${lastTotal} runs` });
  const onProgress = (done: number, total: number, label: string): void => {
    lastDone = done;
    lastTotal = total;
    lines.tick(performance.now() - t0);
    if (!bar) return;
    if (!started) {
      bar.start(total, 0, { label });
      started = true;
    }
    bar.update(done, { label });
  };
  const params = { matrix: p.matrix, seed: p.seed, seeds: p.seeds, recordSamples: p.html !== undefined, onProgress };
  const workers = p.workers ?? 1;
  let outcome: CompareOutcome;
  if (workers > 1) {
    const pool = workerPool(workers);
    try {
      outcome = await compareAsync({ ...params, exec: (job) => pool.run({ kind: "compare", matrix: p.matrix, job }) });
    } finally {
      await pool.close();
    }
  } else outcome = compare({ ...params, run: await loadWorld(), judge });
  bar?.stop();
  const htmlPath = p.html !== undefined ? await writeCompareHtml(outcome, p.html) : null;
  return { outcome, htmlPath };
}

/** Columns of the terminal when printing to one (the table leaves optional columns out to fit). */
export function terminalWidth(custom: unknown): number {
  return custom === undefined && process.stdout.isTTY ? (process.stdout.columns ?? 0) : 0;
}

/** Runs the comparison and prints it; resolves to the exit code (0). Bad input throws SimInputError (exit 2). */
export async function compareCommand(opts: CompareOptions): Promise<number> {
  const write = opts.write ?? ((t: string) => void process.stdout.write(t));
  const formats = [opts.json, opts.csv, opts.markdown].filter(Boolean).length;
  if (formats > 1) throw new SimInputError("INVALID_CONFIG", "choose one of --json, --csv, --markdown", "format");
  const matrix = loadMatrix(opts.matrix);
  const seeds = intOption(opts.seeds, "seeds", matrix.seeds ?? 3, 1);
  const seed = intOption(opts.seed, "seed", 1, 0);
  const machine = opts.json === true || opts.csv === true;
  const progress = opts.progress ?? (!machine && process.stderr.isTTY === true);
  const workers = parseWorkers(opts.workers);
  if (opts.junit !== undefined) checkJunitPath(opts.junit);
  const { outcome, htmlPath } = await runCompare({ matrix, seed, seeds, html: opts.html, progress, workers });
  if (opts.junit !== undefined) writeJunit(opts.junit, [junitOfCompare(outcome)]);
  if (opts.json) write(renderJson(outcome));
  else if (opts.csv) write(renderCsv(outcome));
  else if (opts.markdown) write(renderMarkdown(outcome));
  else write(renderTable(outcome, { width: terminalWidth(opts.write) }) + "\n");
  if (htmlPath !== null) {
    const msg = `HTML report: ${resolve(htmlPath)}\n`;
    if (machine) process.stderr.write(msg);
    else write(msg);
  }
  return 0;
}
