// `kafkasim fuzz [<file|name>]`: a campaign of runs around a scenario (or drawn), each a pure function of (campaign,
// run index) (properties/campaign.ts), executed in this thread or on worker threads (--workers) and consumed in
// run-index order, so the output does not depend on the number of workers; `--shard i/n` runs every n-th index
// and `kafkasim merge` puts shards back together. Counts verdicts, anomaly types and coverage probes; saves each
// kept run's shrunk scenario file (atomically) and says whether it reproduced. Ctrl-C or SIGTERM stops after the
// runs in flight and keeps what was found (exit 130 / 143).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import cliProgress from "cli-progress";
import { ANOMALY_TYPES, didYouMean, fixedBySets } from "../../sim/scenario/schema.ts";
import type { AnomalyType, Verdict } from "../../sim/scenario/types.ts";
import { fixedKnobs } from "../../properties/arbitraries.ts";
import { runSeed, variant } from "../../properties/campaign.ts";
import type { CampaignSpec, RunRecord } from "../../properties/campaign.ts";
import { Coverage, PROBES } from "../../properties/coverage.ts";
import type { ProbeId } from "../../properties/coverage.ts";
import { STEER_BLOCK, aimable } from "../../properties/steering.ts";
import { UsageError, checkOutputDir, displayPath, loadScenario, parseLimits, parsePositiveInt, parsePositiveNumber, parseSeed, writeFileAtomic } from "../io.ts";
import { makeChalk, shellWord } from "../output.ts";
import { parseWorkers, workerPool } from "../pool.ts";
import { campaignMeta } from "../meta.ts";
import type { CampaignMeta } from "../meta.ts";
import { checkJunitPath, writeJunit } from "../junit.ts";
import { junitOfFuzz } from "../junit.ts";
import { progressReporter } from "../progress.ts";

export { runSeed } from "../../properties/campaign.ts";

export interface FuzzOptions {
  readonly set?: readonly string[];
  readonly runs?: string;
  readonly time?: string;
  readonly seed?: string;
  readonly until?: string;
  readonly save?: string;
  readonly json?: boolean;
  readonly limit?: readonly string[];
  readonly workers?: string;
  readonly shard?: string;
  readonly junit?: string;
  /** Aim each block of runs at the coverage probes earlier blocks never reached (properties/steering.ts). */
  readonly steer?: boolean;
  readonly write?: (t: string) => void;
}

export interface FuzzCounterexample {
  /** The run index in the campaign (the same in a shard and in the whole campaign). */
  readonly run: number;
  readonly seed: number | string;
  readonly verdict: Verdict;
  readonly anomalies: AnomalyType[];
  readonly liveness: readonly string[];
  /** What it was kept and shrunk for: an anomaly type or "liveness". */
  readonly target: string;
  /** The shrunk fault schedule (JSON): with the target, what identifies a counterexample across shards. */
  readonly schedule: string;
  readonly explanation: string;
  file: string | null;
  repro: string | null;
  readonly reproduced: boolean;
  /** Later runs kept for the same target and shrunk schedule (not saved again). */
  repeats: number;
}

export interface FuzzJson {
  readonly seed: number | string;
  /** What the campaign is, so shards of one campaign can be recognised and merged. */
  readonly campaign: { readonly base: string | null; readonly sets: readonly string[]; readonly runs: number | null; readonly until: string | null; readonly steer: boolean };
  /** This result's share of the campaign's run indices (null: all of them). */
  readonly shard: { readonly index: number; readonly count: number } | null;
  runs: number;
  wallMs: number;
  interrupted: boolean;
  readonly verdicts: Record<Verdict, number>;
  /** Runs with a capacity finding (a group slower than its producers): neither bug nor liveness. */
  capacity: number;
  readonly anomalies: Record<string, { count: number; firstRun: number }>;
  readonly counterexamples: FuzzCounterexample[];
  /** How often each dangerous state was reached, and which never were (properties/coverage.ts). */
  coverage: { runs: number; counts: Record<ProbeId, number>; neverReached: ProbeId[] };
  /** The command that runs this campaign (or shard) again: its seed and the runs it completed. */
  repro: string;
  /** A seed replays only with the same kafkasim, Node and dependencies. */
  readonly meta: CampaignMeta;
}

/** The progress bar of a campaign: runs out of --runs, or under --time seconds out of the time given (how many
 *  runs fit is not known in advance); `value(runsDone, elapsedMs)`. */
export function progressLayout(runs: number, timeMs: number): { format: string; total: number; value: (runsDone: number, elapsedMs: number) => number } {
  if (Number.isFinite(runs)) return { format: " fuzz {bar} {value}/{total} runs · bugs {bugs}", total: runs, value: (n) => n };
  const total = Math.ceil(timeMs / 1000);
  return { format: " fuzz {bar} {value}/{total} s · {runs} runs · bugs {bugs}", total, value: (_n, elapsedMs) => Math.min(total, Math.floor(elapsedMs / 1000)) };
}

/** The signal that interrupted a campaign and its exit code (128 + signal number, as a shell reports it). */
const SIGNAL_EXIT: Record<"SIGINT" | "SIGTERM", number> = { SIGINT: 130, SIGTERM: 143 };

/** `--shard i/n`: 1 ≤ i ≤ n. */
export function parseShard(text: string | undefined): { index: number; count: number } | null {
  if (text === undefined) return null;
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index >= 1 && index <= count)) throw new UsageError(`--shard ${text}: expected i/n with 1 ≤ i ≤ n, e.g. --shard 2/8 (the 2nd of 8 shares of the run indices)`);
  return { index, count };
}

/** The run indices of a shard: i-1, i-1+n, i-1+2n, ... */
export function shardIndex(shard: { index: number; count: number } | null, k: number): number {
  return shard === null ? k : shard.index - 1 + k * shard.count;
}

/** Whether two counterexamples are the same: the same target and the same shrunk fault schedule. */
export function counterexampleKey(c: Pick<FuzzCounterexample, "target" | "schedule">): string {
  return `${c.target} ${c.schedule}`;
}

export async function fuzzCommand(arg: string | undefined, opts: FuzzOptions): Promise<number> {
  const write = opts.write ?? ((t: string) => process.stdout.write(t));
  if (opts.runs !== undefined && opts.time !== undefined) throw new UsageError("give --runs N or --time SECONDS, not both");
  const runs = opts.runs !== undefined ? parsePositiveInt(opts.runs, "--runs") : opts.time !== undefined ? Infinity : 100;
  const timeMs = opts.time !== undefined ? parsePositiveNumber(opts.time, "--time") * 1000 : Infinity;
  const root = opts.seed !== undefined ? parseSeed(opts.seed) : 1;
  const workers = parseWorkers(opts.workers);
  const shard = parseShard(opts.shard);
  let until: AnomalyType | undefined;
  if (opts.until !== undefined) {
    if (!(ANOMALY_TYPES as readonly string[]).includes(opts.until)) {
      const dym = didYouMean(opts.until, ANOMALY_TYPES);
      throw new UsageError(`--until: unknown anomaly type "${opts.until}"${dym !== undefined ? `; did you mean "${dym}"?` : ""} Allowed: ${ANOMALY_TYPES.join(", ")}`);
    }
    until = opts.until as AnomalyType;
  }
  const limitArgs = opts.limit ?? [];
  const limits = parseLimits(limitArgs);
  const saveDir = opts.save ?? "counterexamples";
  checkOutputDir("--save", saveDir);
  if (opts.junit !== undefined) checkJunitPath(opts.junit);
  const sets = opts.set ?? [];
  const limitFlags = limitArgs.flatMap((l) => ["--limit", l]);
  let spec: CampaignSpec = { root, sets, saveDir, replayFlags: limitFlags, limits, ...(until !== undefined ? { until } : {}) };
  let baseFile: string | undefined;
  const steer = opts.steer === true;
  if (steer && arg !== undefined) throw new UsageError(`--steer aims drawn configurations and fault mixes at unreached coverage probes: it applies to a drawn campaign (no scenario argument), not around ${arg}`);
  if (arg !== undefined) {
    const l = loadScenario(arg, { sets, limits });
    baseFile = l.file;
    spec = { ...spec, base: l.scenario, baseLabel: displayPath(l.file) };
  } else {
    // Validate the overrides once, up front (exit 2 before any run): a conflict left is between fixed keys.
    fixedKnobs(fixedBySets(sets));
    variant(spec, runSeed(root, 0));
  }

  let interrupted: "SIGINT" | "SIGTERM" | undefined;
  const onSigint = (): void => {
    interrupted ??= "SIGINT";
  };
  const onSigterm = (): void => {
    interrupted ??= "SIGTERM";
  };
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);

  const c = makeChalk();
  const layout = progressLayout(shard === null ? runs : Math.ceil(runs / shard.count), timeMs);
  const t0 = performance.now();
  const coverage = new Coverage();
  const out: FuzzJson = {
    seed: root,
    campaign: { base: baseFile !== undefined ? displayPath(baseFile) : null, sets: [...sets], runs: Number.isFinite(runs) ? runs : null, until: until ?? null, steer },
    shard,
    runs: 0,
    wallMs: 0,
    interrupted: false,
    verdicts: { valid: 0, allowed: 0, liveness: 0, bug: 0 },
    capacity: 0,
    anomalies: {},
    counterexamples: [],
    coverage: coverage.toJson(),
    repro: "",
    meta: campaignMeta(),
  };
  const seen = new Map<string, FuzzCounterexample>();
  let bar: cliProgress.SingleBar | undefined;
  const progress = progressReporter({
    json: opts.json === true,
    startBar: (elapsedMs) => {
      bar = new cliProgress.SingleBar({ stream: process.stderr, format: layout.format, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
      bar.start(layout.total, layout.value(out.runs, elapsedMs), { bugs: out.verdicts.bug, runs: out.runs });
    },
    line: (elapsedMs) => `fuzz: ${out.runs} runs in ${(elapsedMs / 1000).toFixed(0)} s · bug ${out.verdicts.bug} · liveness ${out.verdicts.liveness} · allowed ${out.verdicts.allowed} · valid ${out.verdicts.valid}`,
  });

  /** One record, in run-index order. Returns true to stop (the --until type). */
  const take = (r: RunRecord): boolean => {
    out.runs++;
    out.verdicts[r.verdict]++;
    if (r.capacity) out.capacity++;
    for (const [t, n] of Object.entries(r.anomalies)) {
      const e = (out.anomalies[t] ??= { count: 0, firstRun: r.index });
      e.count += n;
    }
    coverage.add(new Set(r.probes));
    const k = r.kept;
    if (k === null) return false;
    const ce: FuzzCounterexample = {
      run: r.index,
      seed: k.seed,
      verdict: r.verdict,
      anomalies: Object.keys(r.anomalies) as AnomalyType[],
      liveness: r.liveness,
      target: k.target,
      schedule: scheduleOf(k.text),
      explanation: k.explanation,
      file: null,
      repro: null,
      reproduced: k.reproduced,
      repeats: 0,
    };
    const key = counterexampleKey(ce);
    const earlier = seen.get(key);
    if (earlier !== undefined) earlier.repeats++;
    else {
      seen.set(key, ce);
      const file = join(saveDir, `${k.name}.yaml`);
      try {
        mkdirSync(saveDir, { recursive: true });
        writeFileAtomic(file, k.text);
        ce.file = file;
        ce.repro = ["npx kafkasim replay", shellWord(file), ...limitFlags.map(shellWord)].join(" ");
      } catch (e) {
        // Checked before the campaign, but a disk can fill up: keep going, and say so.
        process.stderr.write(`warning: could not save ${file}: ${(e as Error).message}; the campaign goes on\n`);
      }
      out.counterexamples.push(ce);
      if (!opts.json && !bar) write(`${c.red("found")} ${k.targets.join(", ")} on run ${r.index} (seed ${String(k.seed)}) → ${ce.file ?? "(not saved)"}\n`);
      if (!k.reproduced) process.stderr.write(`warning: ${ce.file ?? k.name} did not reproduce ${k.target} when replayed; the run and its saved file differ (please report)\n`);
    }
    return until !== undefined && (k.targets as string[]).includes(until);
  };

  const pool = workerPool(workers);
  // Runs in flight: enough to keep every worker busy while the oldest is awaited; one at a time in this thread.
  const window = pool.workers === 1 ? 1 : pool.workers * 4;
  const pending = new Map<number, Promise<RunRecord>>();
  let submitted = 0;
  let consumed = 0;
  let stopSubmitting = false;
  // Steered: a block's runs aim at what the blocks before it never reached, so a block is submitted only once the
  // previous one is consumed (the same aims whatever the number of workers).
  let aim: readonly ProbeId[] = [];
  try {
    for (;;) {
      while (!stopSubmitting && pending.size < window) {
        const index = shardIndex(shard, submitted);
        if (index >= runs || performance.now() - t0 > timeMs || interrupted !== undefined) {
          stopSubmitting = true;
          break;
        }
        if (steer && submitted % STEER_BLOCK === 0 && submitted > 0) {
          if (consumed < submitted) break;
          aim = aimable(coverage.neverReached());
        }
        pending.set(submitted++, pool.run({ kind: "campaign", spec, index, ...(aim.length > 0 ? { aim } : {}) }));
      }
      const next = pending.get(consumed);
      if (next === undefined) break;
      const r = await next;
      pending.delete(consumed++);
      if (take(r)) {
        // The first --until hit, in run order: later runs are not part of the campaign.
        stopSubmitting = true;
        pending.clear();
        break;
      }
      const elapsed = performance.now() - t0;
      progress.tick(elapsed);
      bar?.update(layout.value(out.runs, elapsed), { bugs: out.verdicts.bug, runs: out.runs });
      if (pool.workers === 1) await new Promise((resolve) => setImmediate(resolve)); // let Ctrl-C in
    }
  } finally {
    await pool.close();
    bar?.stop();
    progress.stop();
    process.removeListener("SIGINT", onSigint);
    process.removeListener("SIGTERM", onSigterm);
  }
  out.interrupted = interrupted !== undefined;
  out.wallMs = Math.round(performance.now() - t0);
  out.coverage = coverage.toJson();
  // The campaign again, as it went: the runs it completed (whether --runs, --time, --until or a signal ended it).
  // (For a shard: the smallest --runs whose share is the runs this shard completed.)
  const runsArg = out.runs === 0 ? 0 : shardIndex(shard, out.runs - 1) + 1;
  out.repro = [
    "npx kafkasim fuzz",
    ...(baseFile ? [shellWord(displayPath(baseFile))] : []),
    "--seed",
    shellWord(String(root)),
    "--runs",
    String(runsArg),
    ...(shard !== null ? ["--shard", `${shard.index}/${shard.count}`] : []),
    ...sets.flatMap((x) => ["--set", shellWord(x)]),
    ...(until !== undefined ? ["--until", until] : []),
    ...(steer ? ["--steer"] : []),
    ...limitFlags.map(shellWord),
  ].join(" ");
  if (opts.junit !== undefined) writeJunit(opts.junit, [junitOfFuzz(out)]);
  if (opts.json) write(JSON.stringify(out, null, 2) + "\n");
  else write(renderFuzz(c, out, { interrupted, time: opts.time, baseFile }));
  if (interrupted !== undefined) return SIGNAL_EXIT[interrupted];
  return out.verdicts.bug > 0 || out.verdicts.liveness > 0 ? 1 : 0;
}

/** The faults of a saved scenario file, as one JSON string: the identity of a shrunk schedule. */
function scheduleOf(text: string): string {
  const i = text.search(/^faults:/m);
  return i < 0 ? "[]" : text.slice(i).replace(/\s+/g, " ").trim();
}

export function renderFuzz(c: ReturnType<typeof makeChalk>, out: FuzzJson, o: { interrupted: string | undefined; time?: string | undefined; baseFile?: string | undefined }): string {
  const lines: string[] = [];
  const how = o.interrupted !== undefined ? c.yellow(` (interrupted by ${o.interrupted})`) : o.time !== undefined ? ` (--time ${o.time})` : "";
  const shard = out.shard ? ` · shard ${out.shard.index}/${out.shard.count}` : "";
  lines.push(`${c.bold("fuzz")} ${out.campaign.base ?? "(default scenario)"} · seed ${String(out.seed)}${shard} · ${out.runs} runs in ${(out.wallMs / 1000).toFixed(1)} s${how}`);
  lines.push(`verdicts: ${c.green(`valid ${out.verdicts.valid}`)} · ${c.yellow(`allowed ${out.verdicts.allowed}`)} · ${out.verdicts.liveness > 0 ? c.red(`liveness ${out.verdicts.liveness}`) : "liveness 0"} · ${out.verdicts.bug > 0 ? c.red(`bug ${out.verdicts.bug}`) : `bug 0`} · capacity findings ${out.capacity}`);
  for (const [t, e] of Object.entries(out.anomalies)) lines.push(`  ${t}: ${e.count} (first on run ${e.firstRun})`);
  const never = out.coverage.neverReached;
  lines.push(`coverage: ${Object.keys(PROBES).length - never.length} of ${Object.keys(PROBES).length} dangerous states reached${never.length > 0 ? c.dim(`; never: ${never.join(", ")}`) : ""}`);
  for (const ce of out.counterexamples) lines.push(`counterexample ${ce.target} (run ${ce.run}): ${ce.file ?? "(not saved)"}\n  repro: ${c.cyan(ce.repro ?? "")}${ce.reproduced ? "" : c.red(" (did not reproduce when replayed)")}`);
  lines.push(c.dim(`repro of the campaign: ${out.repro}`));
  return lines.join("\n") + "\n";
}
