// The simulator and the checkers as the CLI sees them: runScenario (sim/world.ts), judge and checkExpectation
// (properties/). Commands import this lazily, so `list`, `check` and `--help` do not load the simulator.
import { runScenario } from "../sim/world.ts";
import { checkExpectation, judge } from "../properties/index.ts";
import type { Anomaly, Judgement } from "../properties/index.ts";
import type { Expectation, Scenario } from "../sim/scenario/types.ts";
import type { RunOptions, RunResult } from "../sim/result.ts";

export type CliAnomaly = Anomaly;
export type CliJudgement = Judgement;

export interface ExpectationOutcome {
  readonly ok: boolean;
  readonly problems: readonly string[];
}

export interface Engine {
  runScenario(s: Scenario, opts?: RunOptions): RunResult;
  judge(r: RunResult): CliJudgement;
  checkExpectation(e: Expectation, j: CliJudgement): ExpectationOutcome;
}

const ENGINE: Engine = { runScenario, judge, checkExpectation };

export function loadEngine(): Promise<Engine> {
  return Promise.resolve(ENGINE);
}
