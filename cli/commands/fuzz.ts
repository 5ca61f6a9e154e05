// `kafkasim fuzz [<file|name>]`: a campaign of runs around a scenario (or the default base), each on its own
// seed with a fault schedule drawn from that seed when the scenario has none. Counts verdicts and anomaly
// types; shrinks each bug (and the --until anomaly) by dropping faults and shortening the run while the same
// anomaly stays, saves it as a scenario file (atomically) and replays the file to check it reproduces.
// Ctrl-C or SIGTERM stops after the current run and keeps what was found (exit 130 / 143).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import cliProgress from "cli-progress";
import { applyOverrides, ANOMALY_TYPES, didYouMean, fixedBySets } from "../../sim/scenario/schema.ts";
import { parseScenario } from "../../sim/scenario/parse.ts";
import type { AnomalyType, Scenario, Verdict } from "../../sim/scenario/types.ts";
import fc from "fast-check";
import { fitToFixed, fixedKnobs, flatten, fuzzValueArb, scheduleArb, toScenario } from "../../properties/arbitraries.ts";
import type { FixedKnobs } from "../../properties/arbitraries.ts";
import { UsageError, checkOutputDir, displayPath, loadScenario, parseLimits, parsePositiveInt, parsePositiveNumber, parseSeed, writeFileAtomic } from "../io.ts";
import { loadEngine } from "../engine.ts";
import type { CliJudgement, Engine } from "../engine.ts";
import { makeChalk, shellWord } from "../output.ts";
import { scenarioToYaml } from "../../sim/scenario/to-file.ts";

export interface FuzzOptions {
  readonly set?: readonly string[];
  readonly runs?: string;
  readonly time?: string;
  readonly seed?: string;
  readonly until?: string;
  readonly save?: string;
  readonly json?: boolean;
  readonly limit?: readonly string[];
  readonly write?: (t: string) => void;
}

export interface FuzzJson {
  readonly seed: number | string;
  runs: number;
  wallMs: number;
  interrupted: boolean;
  readonly verdicts: Record<Verdict, number>;
  /** Runs with a capacity finding (a group slower than its producers): neither bug nor liveness. */
  capacity: number;
  readonly anomalies: Record<string, { count: number; firstRun: number }>;
  readonly counterexamples: { seed: number | string; verdict: Verdict; anomalies: AnomalyType[]; liveness: string[]; file: string | null; repro: string | null; reproduced: boolean }[];
  /** The command that runs this campaign again: its seed and the runs it completed. */
  repro: string;
}

/** The seed of run i of a campaign: what it draws its configuration and faults from (the saved counterexample
 *  file holds the scenario itself, with its own seed). */
export function runSeed(root: number | string, i: number): number {
  let h = 2166136261;
  for (const ch of `${String(root)}/${i}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h;
}

/** One draw from a fast-check arbitrary, determined by the seed alone. */
function draw<T>(arb: fc.Arbitrary<T>, seed: number): T {
  return fc.sample(arb, { seed, numRuns: 1 })[0] as T;
}

/** Run i of a campaign. Around a scenario: its configuration, on this seed, with a fault schedule drawn by the
 *  properties arbitraries when it has none. Without one: configuration knobs, workload and a swarm fault mix
 *  all drawn (properties/arbitraries.ts), then the --set overrides. */
export function variant(base: Scenario | undefined, sets: readonly string[], seed: number, fixed: ReadonlyMap<string, unknown> = new Map(), knobs: FixedKnobs = {}): Scenario {
  if (base === undefined) {
    // Drawn knobs yield to the --set keys (and keys that depend on them are moved out of conflict), so no drawn
    // configuration conflicts with a fixed one.
    const s = toScenario(draw(fuzzValueArb({ swarm: true, fixed: knobs }), seed));
    return sets.length > 0 ? applyOverrides(fitToFixed(s, fixed), sets) : s;
  }
  if (base.faults.length > 0) return { ...base, seed };
  const episodes = draw(scheduleArb({ brokers: base.brokers, durationMs: base.durationMs, guard: true }), seed);
  const members = Math.max(1, ...base.consumers.map((c) => c.members));
  return { ...base, seed, faults: flatten(episodes, base.brokers, base.durationMs, members) };
}

/** What a run is kept for: not-allowed anomaly types (a bug), the --until type, or "liveness". */
type Target = AnomalyType | "liveness";
function interesting(j: CliJudgement, until: AnomalyType | undefined): Target[] {
  const types = new Set<Target>();
  for (const a of j.anomalies) if ((a.allowed === false && a.liveness !== true) || a.type === until) types.add(a.type);
  if (j.verdict === "liveness") types.add("liveness");
  return [...types];
}

/** Greedy shrinking: drop faults one at a time, then shorten the workload, while the target still shows up (the
 *  anomaly type, or a liveness verdict). */
export function shrink(engine: Engine, s: Scenario, target: Target, budget = 40): Scenario {
  let best = s;
  let tries = 0;
  const still = (c: Scenario): boolean => {
    tries++;
    try {
      const j = engine.judge(engine.runScenario(c));
      return target === "liveness" ? j.verdict === "liveness" : j.anomalies.some((a) => a.type === target);
    } catch {
      return false;
    }
  };
  let changed = true;
  while (changed && tries < budget) {
    changed = false;
    for (let i = best.faults.length - 1; i >= 0 && tries < budget; i--) {
      const c = { ...best, faults: best.faults.filter((_, k) => k !== i) };
      if (still(c)) {
        best = c;
        changed = true;
      }
    }
  }
  const lastFaultMs = Math.max(0, ...best.faults.map((f) => ("atMs" in f ? f.atMs : 0)));
  for (let d = Math.floor(best.durationMs / 2); d > lastFaultMs + 100 && tries < budget; d = Math.floor(d / 2)) {
    const c = { ...best, durationMs: d };
    if (!still(c)) break;
    best = c;
  }
  return best;
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

export async function fuzzCommand(arg: string | undefined, opts: FuzzOptions): Promise<number> {
  const write = opts.write ?? ((t: string) => process.stdout.write(t));
  if (opts.runs !== undefined && opts.time !== undefined) throw new UsageError("give --runs N or --time SECONDS, not both");
  const runs = opts.runs !== undefined ? parsePositiveInt(opts.runs, "--runs") : opts.time !== undefined ? Infinity : 100;
  const timeMs = opts.time !== undefined ? parsePositiveNumber(opts.time, "--time") * 1000 : Infinity;
  const root = opts.seed !== undefined ? parseSeed(opts.seed) : 1;
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
  let base: Scenario | undefined;
  let baseFile: string | undefined;
  const sets = opts.set ?? [];
  const fixed = fixedBySets(sets);
  const knobs = fixedKnobs(fixed);
  if (arg !== undefined) {
    const l = loadScenario(arg, { sets, limits });
    base = l.scenario;
    baseFile = l.file;
  } else {
    // Validate the overrides once, up front (exit 2 before any run): a conflict left is between fixed keys.
    variant(undefined, sets, runSeed(root, 0), fixed, knobs);
  }
  const engine = await loadEngine();

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
  const showBar = !opts.json && process.stderr.isTTY === true;
  const layout = progressLayout(runs, timeMs);
  let bar: cliProgress.SingleBar | undefined;
  const t0 = performance.now();
  const out: FuzzJson = { seed: root, runs: 0, wallMs: 0, interrupted: false, verdicts: { valid: 0, allowed: 0, liveness: 0, bug: 0 }, capacity: 0, anomalies: {}, counterexamples: [], repro: "" };
  const q = shellWord;
  const limitFlags = limitArgs.flatMap((l) => ["--limit", q(l)]);
  let stop = false;
  try {
    for (let i = 0; i < runs && !stop; i++) {
      const elapsed = performance.now() - t0;
      if (elapsed > timeMs || interrupted !== undefined) break;
      if (showBar && !bar && elapsed > 1000) {
        bar = new cliProgress.SingleBar({ stream: process.stderr, format: layout.format, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
        bar.start(layout.total, layout.value(i, elapsed), { bugs: out.verdicts.bug, runs: i });
      }
      const seed = runSeed(root, i);
      const s = variant(base, sets, seed, fixed, knobs);
      const j = engine.judge(engine.runScenario(s));
      out.runs++;
      out.verdicts[j.verdict]++;
      if (j.capacity.length > 0) out.capacity++;
      for (const a of j.anomalies) {
        const e = (out.anomalies[a.type] ??= { count: 0, firstRun: i });
        e.count++;
      }
      const keep = interesting(j, until);
      if (keep.length > 0) {
        const type = keep[0] as Target;
        const small = shrink(engine, s, type);
        const name = `fuzz-${type}-${seed}`;
        let file: string | null = join(saveDir, `${name}.yaml`);
        const { expect: _e, ...rest } = small;
        const saved: Scenario = { ...rest, name, description: `found by kafkasim fuzz${baseFile ? ` around ${displayPath(baseFile)}` : ""} (seed ${String(root)}, run ${i}): ${keep.join(", ")}; shrunk` };
        const repro = ["npx kafkasim replay", q(file), ...limitFlags].join(" ");
        const text = scenarioToYaml(saved, `kafkasim counterexample: reproduce with  ${repro}`);
        try {
          mkdirSync(saveDir, { recursive: true });
          writeFileAtomic(file, text);
        } catch (e) {
          // Checked before the campaign, but a disk can fill up: keep going, and say so.
          process.stderr.write(`warning: could not save ${file}: ${(e as Error).message}; the campaign goes on\n`);
          file = null;
        }
        // The file is the counterexample: replay it as `replay` would, to be sure the repro line reproduces.
        const again = engine.judge(engine.runScenario(parseScenario(text, { file: file ?? name, limits })));
        const reproduced = type === "liveness" ? again.verdict === "liveness" : again.anomalies.some((a) => a.type === type);
        out.counterexamples.push({ seed: small.seed, verdict: j.verdict, anomalies: [...new Set(j.anomalies.map((a) => a.type))], liveness: j.liveness.violations.map((v) => v.kind), file, repro: file === null ? null : repro, reproduced });
        if (!opts.json && !bar) write(`${c.red("found")} ${keep.join(", ")} on run ${i} (seed ${String(small.seed)}) → ${file ?? "(not saved)"}\n`);
        if (!reproduced) process.stderr.write(`warning: ${file ?? name} did not reproduce ${type} when replayed; the run and its saved file differ (please report)\n`);
        if (until !== undefined && (keep as string[]).includes(until)) stop = true;
      }
      bar?.update(layout.value(i + 1, performance.now() - t0), { bugs: out.verdicts.bug, runs: i + 1 });
      // Let Ctrl-C in between runs.
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    bar?.stop();
    process.removeListener("SIGINT", onSigint);
    process.removeListener("SIGTERM", onSigterm);
  }
  out.interrupted = interrupted !== undefined;
  out.wallMs = Math.round(performance.now() - t0);
  // The campaign again, as it went: the runs it completed (whether --runs, --time, --until or a signal ended it).
  out.repro = [
    "npx kafkasim fuzz",
    ...(baseFile ? [q(displayPath(baseFile))] : []),
    "--seed",
    q(String(root)),
    "--runs",
    String(out.runs),
    ...sets.flatMap((x) => ["--set", q(x)]),
    ...(until !== undefined ? ["--until", until] : []),
    ...limitFlags,
  ].join(" ");
  if (opts.json) write(JSON.stringify(out, null, 2) + "\n");
  else {
    const how = interrupted !== undefined ? c.yellow(` (interrupted by ${interrupted})`) : Number.isFinite(timeMs) ? ` (--time ${opts.time})` : "";
    write(`${c.bold("fuzz")} ${baseFile ? displayPath(baseFile) : "(default scenario)"} · seed ${String(root)} · ${out.runs} runs in ${(out.wallMs / 1000).toFixed(1)} s${how}\n`);
    write(`verdicts: ${c.green(`valid ${out.verdicts.valid}`)} · ${c.yellow(`allowed ${out.verdicts.allowed}`)} · ${out.verdicts.liveness > 0 ? c.red(`liveness ${out.verdicts.liveness}`) : "liveness 0"} · ${out.verdicts.bug > 0 ? c.red(`bug ${out.verdicts.bug}`) : `bug 0`} · capacity findings ${out.capacity}\n`);
    for (const [t, e] of Object.entries(out.anomalies)) write(`  ${t}: ${e.count} (first on run ${e.firstRun})\n`);
    for (const ce of out.counterexamples) write(`counterexample ${ce.anomalies.join(", ")}: ${ce.file ?? "(not saved)"}\n  repro: ${c.cyan(ce.repro ?? "")}${ce.reproduced ? "" : c.red(" (did not reproduce when replayed)")}\n`);
    write(c.dim(`repro of the campaign: ${out.repro}\n`));
  }
  if (interrupted !== undefined) return SIGNAL_EXIT[interrupted];
  return out.verdicts.bug > 0 || out.verdicts.liveness > 0 ? 1 : 0;
}
