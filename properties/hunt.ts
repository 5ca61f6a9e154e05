// Hunting for an anomaly with fast-check: run scenarios drawn from an arbitrary until one shows the anomaly,
// then shrink it within a bounded number of extra runs. The property "no such anomaly" is expected to FAIL:
// that is the proof that a checker is not vacuous under a configuration that permits (or a bug that causes)
// the anomaly. Used by the property tests, the matrix script and the fuzz benchmark.
import fc from "fast-check";
import type { AnomalyType, BugSwitches, Scenario } from "../sim/scenario/types.ts";
import type { RunOptions, RunResult } from "../sim/result.ts";
import type { Judgement } from "./types.ts";
import type { FuzzValue } from "./arbitraries.ts";
import { toScenario } from "./arbitraries.ts";
import { runScenario } from "../sim/world.ts";
import { judge } from "./judge.ts";
import { CHECKERS } from "./checkers/index.ts";

export type Target = AnomalyType | readonly AnomalyType[] | ((j: Judgement) => boolean);

export interface HuntOptions {
  readonly arb: fc.Arbitrary<FuzzValue>;
  readonly target: Target;
  /** Only anomalies the oracle does not permit count (bug switches). */
  readonly bugsOnly?: boolean;
  readonly bugs?: BugSwitches;
  readonly numRuns: number;
  readonly seed: number;
  /** Extra runs spent shrinking after the first counterexample (default 60). */
  readonly shrinkRuns?: number;
  readonly runOptions?: RunOptions;
  /** A further condition on the run (e.g. "an unclean election happened": needs runOptions.record). */
  readonly require?: (r: RunResult) => boolean;
}

export interface HuntResult {
  readonly found: boolean;
  /** Runs up to and including the first counterexample. */
  readonly runsToFirst: number | null;
  readonly wallMsToFirst: number | null;
  readonly totalRuns: number;
  readonly wallMs: number;
  readonly seed: number;
  readonly path: string | null;
  /** The shrunk counterexample and its judgement. */
  readonly value: FuzzValue | null;
  readonly scenario: Scenario | null;
  readonly judgement: Judgement | null;
  /** The counterexample run's trace hash (a replay with the same hash is the same run). */
  readonly traceHash: string | null;
}

/** The anomaly types a target names (none for a predicate). */
function targetTypes(target: Exclude<Target, (j: Judgement) => boolean>): readonly AnomalyType[] {
  return typeof target === "string" ? [target] : target;
}

export function hits(j: Judgement, target: Target, bugsOnly = false): boolean {
  if (typeof target === "function") return target(j);
  const types = targetTypes(target);
  return j.anomalies.some((a) => types.includes(a.type) && (!bugsOnly || !a.allowed));
}

export function hunt(o: HuntOptions): HuntResult {
  const shrinkRuns = o.shrinkRuns ?? 60;
  let runs = 0;
  let firstRuns: number | null = null;
  let firstMs: number | null = null;
  let afterFirst = 0;
  let last: { value: FuzzValue; scenario: Scenario; judgement: Judgement; traceHash: string } | null = null;
  const t0 = Date.now();
  const prop = fc.property(o.arb, (v) => {
    if (firstRuns !== null && ++afterFirst > shrinkRuns) return true; // shrink budget spent: stop shrinking
    runs++;
    const scenario = toScenario(v, o.bugs ?? {});
    const result = runScenario(scenario, o.runOptions ?? {});
    // A run whose checkers of the target types find nothing cannot hit (a judgement's anomalies of a type are its
    // checker's findings): only a run with a candidate is judged whole (the oracle, the liveness checks).
    if (typeof o.target !== "function" && !targetTypes(o.target).some((t) => CHECKERS[t](result).length > 0)) return true;
    const judgement = judge(result);
    if (!hits(judgement, o.target, o.bugsOnly)) return true;
    if (o.require && !o.require(result)) return true;
    if (firstRuns === null) {
      firstRuns = runs;
      firstMs = Date.now() - t0;
    }
    last = { value: v, scenario, judgement, traceHash: result.traceHash };
    return false;
  });
  const details = fc.check(prop, { seed: o.seed, numRuns: o.numRuns, endOnFailure: false });
  if (details.failed && last === null) {
    // The property threw (a simulator error, not an anomaly): surface it.
    throw new Error(`hunt: a run threw before any counterexample: ${String(details.errorInstance)}`);
  }
  const found = details.failed;
  const l = last as { value: FuzzValue; scenario: Scenario; judgement: Judgement; traceHash: string } | null;
  return {
    found,
    runsToFirst: firstRuns,
    wallMsToFirst: firstMs,
    totalRuns: runs,
    wallMs: Date.now() - t0,
    seed: o.seed,
    path: details.counterexamplePath,
    value: found && l ? l.value : null,
    scenario: found && l ? l.scenario : null,
    judgement: found && l ? l.judgement : null,
    traceHash: found && l ? l.traceHash : null,
  };
}

/** A fault schedule in one line per fault, for printing a shrunk counterexample. */
export function describeSchedule(s: Scenario): string {
  if (s.faults.length === 0) return "(no faults)";
  return s.faults.map((f) => `${"atMs" in f ? `at ${f.atMs} ms` : `on ${f.on.event}`}: ${JSON.stringify(f.action)}`).join("\n");
}
