// Replays every saved counterexample under scenarios/regressions/ (the scenario itself, not a seed) and
// asserts the verdict and anomalies recorded with it.
import { describe, it, expect } from "vitest";
import { loadRegressions } from "./regressions.ts";
import { runAndJudge } from "./run.ts";
import { checkExpectation } from "./judge.ts";

const files = loadRegressions();

describe("saved counterexamples replay to their recorded verdict", () => {
  it("there are saved counterexamples", () => {
    expect(files.length).toBeGreaterThan(0);
  });
  for (const { path, file } of files) {
    it(path.replace(/^.*\/scenarios\//, "scenarios/"), () => {
      const { judgement } = runAndJudge(file.scenario);
      expect(judgement.verdict).toBe(file.meta.verdict);
      const c = checkExpectation(file.scenario.expect, judgement);
      expect(c.problems).toEqual([]);
    });
  }
});
