// The simulator, the checkers and the benchmark as the CLI sees them. Loaded lazily: `list` and `--help` stay
// fast, and bad input is reported before the simulator is even loaded.
import type { Scenario, Expectation, AnomalyType, Verdict } from "../sim/scenario/types.ts";
import type { RunOptions, RunResult } from "../sim/result.ts";

export interface CliAnomaly {
  readonly type: AnomalyType;
  readonly partition: string | null;
  readonly offset: number | null;
  readonly value: number | null;
  readonly explanation: string;
  readonly allowed?: boolean;
  readonly reason?: string;
}

export interface CliJudgement {
  readonly verdict: Verdict;
  readonly anomalies: readonly CliAnomaly[];
  readonly stats: Readonly<Record<string, number>> & { readonly lostWrites: number; readonly duplicates: number; readonly reorders: number; readonly skipped: number };
  readonly allowed?: readonly { readonly type: AnomalyType; readonly reason: string }[];
}

export interface ExpectationOutcome {
  readonly ok: boolean;
  readonly problems: readonly string[];
}

export interface Engine {
  runScenario(s: Scenario, opts?: RunOptions): RunResult;
  judge(r: RunResult): CliJudgement;
  checkExpectation(e: Expectation, j: CliJudgement): ExpectationOutcome;
}

/** Our own reading of an expectation, used when properties/ does not provide one. */
export function checkExpectationLocally(e: Expectation, j: CliJudgement): ExpectationOutcome {
  const problems: string[] = [];
  const found = new Set(j.anomalies.map((a) => a.type));
  if (e.verdict !== undefined && e.verdict !== j.verdict) problems.push(`expected verdict ${e.verdict}, got ${j.verdict}`);
  for (const t of e.anomalies ?? []) if (!found.has(t)) problems.push(`expected a ${t} anomaly, found none`);
  for (const t of e.absent ?? []) if (found.has(t)) problems.push(`expected no ${t} anomaly, found ${j.anomalies.filter((a) => a.type === t).length}`);
  return { ok: problems.length === 0, problems };
}

function normaliseOutcome(v: unknown, e: Expectation, j: CliJudgement): ExpectationOutcome {
  if (typeof v === "boolean") return v ? { ok: true, problems: [] } : { ok: false, problems: checkExpectationLocally(e, j).problems.concat(["expectation not met"]).slice(0, 1) };
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    const ok = (o.ok ?? o.pass ?? o.met ?? o.passed) as boolean | undefined;
    const list = (o.problems ?? o.failures ?? o.reasons ?? o.messages ?? o.errors) as unknown;
    const problems = Array.isArray(list) ? list.map(String) : typeof list === "string" ? [list] : [];
    if (typeof ok === "boolean") return { ok, problems: ok ? [] : problems.length > 0 ? problems : checkExpectationLocally(e, j).problems };
  }
  return checkExpectationLocally(e, j);
}

let cached: Promise<Engine> | undefined;

// Module paths as variables: the world and the checkers are written in parallel with the CLI.
const WORLD = "../sim/world.ts";
const PROPERTIES = "../properties/index.ts";

export function loadEngine(): Promise<Engine> {
  cached ??= (async () => {
    const world = (await import(WORLD)) as { runScenario: Engine["runScenario"] };
    const props = (await import(PROPERTIES)) as { judge: Engine["judge"]; checkExpectation?: (e: Expectation, j: CliJudgement) => unknown };
    return {
      runScenario: world.runScenario,
      judge: props.judge,
      checkExpectation: (e, j) => (props.checkExpectation ? normaliseOutcome(props.checkExpectation(e, j), e, j) : checkExpectationLocally(e, j)),
    };
  })();
  return cached;
}
