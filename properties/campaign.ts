// One run of a fuzz campaign as a pure function of (campaign, run index): draw its scenario, run and judge it,
// record its coverage probes and, when it is kept (a bug, a liveness verdict, the --until type), shrink it and
// write its scenario file text and check that the text replays to the same finding. The CLI calls it in-process
// or through a worker pool, and shards split the run indices: whoever runs index i gets the same record.
import fc from "fast-check";
import { runScenario } from "../sim/world.ts";
import { applyOverrides, fixedBySets } from "../sim/scenario/schema.ts";
import { parseScenario } from "../sim/scenario/parse.ts";
import { scenarioToYaml } from "../sim/scenario/to-file.ts";
import type { AnomalyType, Limits, Scenario, Verdict } from "../sim/scenario/types.ts";
import { fitToFixed, fixedKnobs, flatten, fuzzValueArb, scheduleArb, toScenario } from "./arbitraries.ts";
import type { FixedKnobs } from "./arbitraries.ts";
import { judge } from "./judge.ts";
import type { Judgement } from "./types.ts";
import { probesOf } from "./coverage.ts";
import type { ProbeId } from "./coverage.ts";
import { shellWord } from "./shell-word.ts";
import { steeredValueArb } from "./steering.ts";
import { join } from "node:path";

/** A campaign: everything a run needs besides its index. Plain data (it crosses to worker threads). */
export interface CampaignSpec {
  readonly root: number | string;
  /** The scenario to fuzz around (its configuration; faults drawn per run when it has none); none: all drawn. */
  readonly base?: Scenario;
  /** Where the base came from, for the saved files' descriptions. */
  readonly baseLabel?: string;
  readonly sets: readonly string[];
  readonly until?: AnomalyType;
  /** Limits to parse saved files with (as `replay` would, given the same --limit flags). */
  readonly limits?: Partial<Limits>;
  /** The directory saved files go to and the extra replay flags, for the repro line written into each file. */
  readonly saveDir: string;
  readonly replayFlags: readonly string[];
}

/** What a run is kept for: a not-allowed anomaly type (a bug), the --until type, or "liveness". */
export type Target = AnomalyType | "liveness";

export interface KeptRun {
  readonly target: Target;
  readonly targets: readonly Target[];
  /** File name (without directory) and the scenario file text to write. */
  readonly name: string;
  readonly text: string;
  /** The saved scenario's own seed. */
  readonly seed: number | string;
  /** The saved text, replayed, showed the target again. */
  readonly reproduced: boolean;
  /** The first not-allowed anomaly's explanation (or the first liveness violation's). */
  readonly explanation: string;
}

/** One run's record: small, serialisable, and the same whoever computes it. */
export interface RunRecord {
  readonly index: number;
  readonly seed: number;
  readonly verdict: Verdict;
  readonly anomalies: Readonly<Partial<Record<AnomalyType, number>>>;
  readonly liveness: readonly string[];
  readonly capacity: boolean;
  readonly probes: readonly ProbeId[];
  readonly kept: KeptRun | null;
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

interface Prepared {
  readonly fixed: ReadonlyMap<string, unknown>;
  readonly knobs: FixedKnobs;
}
const PREPARED = new WeakMap<CampaignSpec, Prepared>();
function prepared(spec: CampaignSpec): Prepared {
  let p = PREPARED.get(spec);
  if (!p) {
    const fixed = fixedBySets(spec.sets);
    PREPARED.set(spec, (p = { fixed, knobs: fixedKnobs(fixed) }));
  }
  return p;
}

/** The scenario of run `seed`. Around a scenario: its configuration, on this seed, with a fault schedule drawn by
 *  the arbitraries when it has none. Without one: configuration knobs, workload and a swarm fault mix all drawn,
 *  drawn knobs yielding to the --set keys (so no drawn configuration conflicts with a fixed one), then the sets. */
export function variant(spec: CampaignSpec, seed: number, aim: readonly ProbeId[] = []): Scenario {
  const base = spec.base;
  if (base === undefined) {
    const { fixed, knobs } = prepared(spec);
    const arb = aim.length > 0 ? steeredValueArb(knobs, aim) : fuzzValueArb({ swarm: true, fixed: knobs });
    const s = toScenario(draw(arb, seed));
    return spec.sets.length > 0 ? applyOverrides(fitToFixed(s, fixed), spec.sets) : s;
  }
  if (base.faults.length > 0) return { ...base, seed };
  const episodes = draw(scheduleArb({ brokers: base.brokers, durationMs: base.durationMs, guard: true }), seed);
  const members = Math.max(1, ...base.consumers.map((c) => c.members));
  return { ...base, seed, faults: flatten(episodes, base.brokers, base.durationMs, members) };
}

export function interesting(j: Judgement, until: AnomalyType | undefined): Target[] {
  const types = new Set<Target>();
  for (const a of j.anomalies) if ((!a.allowed && a.liveness !== true) || a.type === until) types.add(a.type);
  if (j.verdict === "liveness") types.add("liveness");
  return [...types];
}

/** Whether a run still shows `target`: a liveness verdict, or an anomaly of that type — one no rule permits when
 *  `bug` (a shrunk bug must stay a bug, not turn into the same anomaly permitted by what shrinking kept). */
function shows(j: Judgement, target: Target, bug: boolean): boolean {
  if (target === "liveness") return j.verdict === "liveness";
  return j.anomalies.some((a) => a.type === target && (!bug || (!a.allowed && a.liveness !== true)));
}

/** Greedy shrinking: drop faults one at a time, then shorten the workload, while the target still shows up. */
export function shrink(s: Scenario, target: Target, budget = 40, bug = false): Scenario {
  let best = s;
  let tries = 0;
  const still = (c: Scenario): boolean => {
    tries++;
    try {
      return shows(judge(runScenario(c)), target, bug);
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

/** Run `index` of a campaign, judged, probed and (when kept) shrunk and written out as scenario text. */
/** Run `index` of a campaign; `aim`: the probes a steered campaign's earlier blocks never reached (steering.ts). */
export function campaignRun(spec: CampaignSpec, index: number, aim: readonly ProbeId[] = []): RunRecord {
  const seed = runSeed(spec.root, index);
  const s = variant(spec, seed, aim);
  const result = runScenario(s);
  const j = judge(result);
  const anomalies: Partial<Record<AnomalyType, number>> = {};
  for (const a of j.anomalies) anomalies[a.type] = (anomalies[a.type] ?? 0) + 1;
  const targets = interesting(j, spec.until);
  let kept: KeptRun | null = null;
  const first = targets[0];
  if (first !== undefined) {
    // A bug stays a bug while shrinking; an --until target that is permitted only has to stay.
    const bug = first === "liveness" || j.anomalies.some((a) => a.type === first && !a.allowed && a.liveness !== true);
    const small = shrink(s, first, 40, bug);
    const name = `fuzz-${first}-${seed}`;
    const file = join(spec.saveDir, `${name}.yaml`);
    const repro = ["npx kafkasim replay", shellWord(file), ...spec.replayFlags.map(shellWord)].join(" ");
    const { expect: _e, ...rest } = small;
    const saved: Scenario = { ...rest, name, description: `found by kafkasim fuzz${spec.baseLabel ? ` around ${spec.baseLabel}` : ""} (seed ${String(spec.root)}, run ${index}): ${targets.join(", ")}; shrunk` };
    const text = scenarioToYaml(saved, `kafkasim counterexample: reproduce with  ${repro}`);
    // The file is the counterexample: replay its text as `replay` would, to be sure the repro line reproduces.
    const again = judge(runScenario(parseScenario(text, { file: `${name}.yaml`, ...(spec.limits ? { limits: spec.limits } : {}) })));
    const bad = j.anomalies.find((a) => !a.allowed && a.liveness !== true);
    const explanation = bad ? bad.explanation : (j.liveness.violations[0]?.explanation ?? j.anomalies.find((a) => a.type === first)?.explanation ?? "");
    kept = { target: first, targets, name, text, seed: small.seed, reproduced: shows(again, first, bug), explanation };
  }
  return {
    index,
    seed,
    verdict: j.verdict,
    anomalies,
    liveness: j.liveness.violations.map((v) => v.kind),
    capacity: j.capacity.length > 0,
    probes: [...probesOf(result)],
    kept,
  };
}
