// Run a scenario and judge it: the building block of every property (and of users' own tests).
import { runScenario } from "../sim/world.ts";
import type { RunOptions, RunResult } from "../sim/result.ts";
import type { Scenario } from "../sim/scenario/types.ts";
import type { Judgement } from "./types.ts";
import { judge } from "./judge.ts";

export interface Judged {
  readonly result: RunResult;
  readonly judgement: Judgement;
}

export function runAndJudge(scenario: Scenario, opts: RunOptions = {}): Judged {
  const result = runScenario(scenario, opts);
  return { result, judgement: judge(result) };
}
