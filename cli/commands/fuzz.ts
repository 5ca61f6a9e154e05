// `kafkasim fuzz [<file|name>]`: a campaign of runs around a scenario (or the default base), each on its own
// seed with a fault schedule drawn from that seed when the scenario has none. Counts verdicts and anomaly
// types; shrinks each bug (and the --until anomaly) by dropping faults and shortening the run while the same
// anomaly stays, and saves it as a scenario file. Ctrl-C stops after the current run and keeps what was found.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import cliProgress from "cli-progress";
import { applyOverrides, ANOMALY_TYPES, didYouMean } from "../../sim/scenario/schema.ts";
import type { AnomalyType, Scenario, Verdict } from "../../sim/scenario/types.ts";
import fc from "fast-check";
import { flatten, fuzzValueArb, scheduleArb, toScenario } from "../../properties/arbitraries.ts";
import { UsageError, displayPath, loadScenario, parsePositiveInt, parsePositiveNumber, parseSeed } from "../io.ts";
import { loadEngine } from "../engine.ts";
import type { CliJudgement, Engine } from "../engine.ts";
import { makeChalk, reproCommand } from "../output.ts";
import { scenarioToYaml } from "../../sim/scenario/to-file.ts";

export interface FuzzOptions {
  readonly set?: readonly string[];
  readonly runs?: string;
  readonly time?: string;
  readonly seed?: string;
  readonly until?: string;
  readonly save?: string;
  readonly json?: boolean;
  readonly write?: (t: string) => void;
}

export interface FuzzJson {
  readonly seed: number | string;
  runs: number;
  wallMs: number;
  interrupted: boolean;
  readonly verdicts: Record<Verdict, number>;
  readonly anomalies: Record<string, { count: number; firstRun: number }>;
  readonly counterexamples: { seed: number; verdict: Verdict; anomalies: AnomalyType[]; file: string | null; repro: string | null }[];
}

/** The seed of run i of a campaign (reproducible alone with `run --seed`). */
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
function variant(base: Scenario | undefined, sets: readonly string[], seed: number): Scenario {
  if (base === undefined) {
    const s = toScenario(draw(fuzzValueArb({ swarm: true }), seed));
    return sets.length > 0 ? applyOverrides(s, sets) : s;
  }
  if (base.faults.length > 0) return { ...base, seed };
  const episodes = draw(scheduleArb({ brokers: base.brokers, durationMs: base.durationMs, guard: true }), seed);
  const members = Math.max(1, ...base.consumers.map((c) => c.members));
  return { ...base, seed, faults: flatten(episodes, base.brokers, base.durationMs, members) };
}

/** The anomaly types a run is kept for: not-allowed ones (a bug), or the --until type. */
function interesting(j: CliJudgement, until: AnomalyType | undefined): AnomalyType[] {
  const types = new Set<AnomalyType>();
  for (const a of j.anomalies) if (a.allowed === false || (j.verdict === "bug" && a.allowed === undefined) || a.type === until) types.add(a.type);
  return [...types];
}

/** Greedy shrinking: drop faults one at a time, then shorten the workload, while `type` still shows up. */
export function shrink(engine: Engine, s: Scenario, type: AnomalyType, budget = 40): Scenario {
  let best = s;
  let tries = 0;
  const still = (c: Scenario): boolean => {
    tries++;
    try {
      return engine.judge(engine.runScenario(c)).anomalies.some((a) => a.type === type);
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
  let base: Scenario | undefined;
  let baseFile: string | undefined;
  const sets = opts.set ?? [];
  if (arg !== undefined) {
    const l = loadScenario(arg, { sets });
    base = l.scenario;
    baseFile = l.file;
  } else {
    // Validate the overrides once, up front (exit 2 before any run).
    variant(undefined, sets, runSeed(root, 0));
  }
  const engine = await loadEngine();
  const saveDir = opts.save ?? "counterexamples";

  let interrupted = false;
  const onSigint = (): void => {
    interrupted = true;
  };
  process.once("SIGINT", onSigint);

  const c = makeChalk();
  const showBar = !opts.json && process.stderr.isTTY === true;
  let bar: cliProgress.SingleBar | undefined;
  const t0 = performance.now();
  const out: FuzzJson = { seed: root, runs: 0, wallMs: 0, interrupted: false, verdicts: { valid: 0, allowed: 0, bug: 0 }, anomalies: {}, counterexamples: [] };
  let stop = false;
  try {
    for (let i = 0; i < runs && !stop; i++) {
      const elapsed = performance.now() - t0;
      if (elapsed > timeMs || interrupted) break;
      if (showBar && !bar && elapsed > 1000) {
        bar = new cliProgress.SingleBar({ stream: process.stderr, format: " fuzz {bar} {value}/{total} runs · bugs {bugs}", hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
        bar.start(Number.isFinite(runs) ? runs : Math.max(i + 1, Math.round((timeMs / elapsed) * i)), i, { bugs: out.verdicts.bug });
      }
      const seed = runSeed(root, i);
      const s = variant(base, sets, seed);
      const j = engine.judge(engine.runScenario(s));
      out.runs++;
      out.verdicts[j.verdict]++;
      for (const a of j.anomalies) {
        const e = (out.anomalies[a.type] ??= { count: 0, firstRun: i });
        e.count++;
      }
      const keep = interesting(j, until);
      if (keep.length > 0) {
        const type = keep[0] as AnomalyType;
        const small = shrink(engine, s, type);
        const name = `fuzz-${type}-${seed}`;
        const file = join(saveDir, `${name}.yaml`);
        mkdirSync(saveDir, { recursive: true });
        const { expect: _e, ...rest } = small;
        const saved: Scenario = { ...rest, name, description: `found by kafkasim fuzz${baseFile ? ` around ${displayPath(baseFile)}` : ""} (seed ${String(root)}, run ${i}): ${keep.join(", ")}; shrunk` };
        writeFileSync(file, scenarioToYaml(saved, `kafkasim counterexample: replay with  npx kafkasim replay ${file}`));
        out.counterexamples.push({ seed, verdict: j.verdict, anomalies: [...new Set(j.anomalies.map((a) => a.type))], file, repro: reproCommand(file, seed) });
        if (!opts.json && !bar) write(`${c.red("found")} ${keep.join(", ")} on run ${i} (seed ${seed}) → ${file}\n`);
        if (until !== undefined && keep.includes(until)) stop = true;
      }
      bar?.update(i + 1, { bugs: out.verdicts.bug });
      // Let Ctrl-C in between runs.
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    bar?.stop();
    process.removeListener("SIGINT", onSigint);
  }
  out.interrupted = interrupted;
  out.wallMs = Math.round(performance.now() - t0);
  if (opts.json) write(JSON.stringify(out, null, 2) + "\n");
  else {
    write(`${c.bold("fuzz")} ${baseFile ? displayPath(baseFile) : "(default scenario)"} · seed ${String(root)} · ${out.runs} runs in ${(out.wallMs / 1000).toFixed(1)} s${interrupted ? c.yellow(" (interrupted)") : ""}\n`);
    write(`verdicts: ${c.green(`valid ${out.verdicts.valid}`)} · ${c.yellow(`allowed ${out.verdicts.allowed}`)} · ${out.verdicts.bug > 0 ? c.red(`bug ${out.verdicts.bug}`) : `bug 0`}\n`);
    for (const [t, e] of Object.entries(out.anomalies)) write(`  ${t}: ${e.count} (first on run ${e.firstRun})\n`);
    for (const ce of out.counterexamples) write(`counterexample ${ce.anomalies.join(", ")}: ${ce.file}\n  repro: ${c.cyan(ce.repro ?? "")}\n`);
    write(c.dim(`repro of the campaign: npx kafkasim fuzz${baseFile ? ` ${displayPath(baseFile)}` : ""} --seed ${String(root)}${Number.isFinite(runs) ? ` --runs ${runs}` : ""}${(opts.set ?? []).map((x) => ` --set ${x}`).join("")}\n`));
  }
  return out.verdicts.bug > 0 ? 1 : 0;
}
