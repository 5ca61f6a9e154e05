// Replays every saved counterexample under scenarios/regressions/ (the scenario itself, not a seed) and
// asserts the verdict and the hunted anomalies recorded with it. When the simulator has changed since the
// file was recorded (the replay's trace hash differs from the recorded one) the run is a different run, but
// the counterexample must still show what it was saved for; a note suggests re-recording the hash
// (KAFKASIM_SAVE_REGRESSIONS=1 npx vitest run properties/weakenings.property.test.ts).
import { describe, it, expect } from "vitest";
import { loadRegressions } from "./regressions.ts";
import { runAndJudge } from "./run.ts";
import { checkExpectation } from "./judge.ts";

const files = loadRegressions();

describe("saved counterexamples replay to their recorded verdict", () => {
  it("there are saved counterexamples, each with its metadata", () => {
    expect(files.length).toBeGreaterThan(0);
    for (const { file } of files) {
      expect(file.meta.fastCheckVersion).toMatch(/^\d+\.\d+\.\d+$/);
      expect(["valid", "allowed", "bug"]).toContain(file.meta.verdict);
    }
  });
  for (const { path, file } of files) {
    it(path.replace(/^.*\/scenarios\//, "scenarios/"), () => {
      const { judgement, result } = runAndJudge(file.scenario);
      if (file.meta.traceHash !== undefined && file.meta.traceHash !== result.traceHash) {
        console.warn(`${path}: the simulator changed since this counterexample was recorded (trace hash ${file.meta.traceHash} → ${result.traceHash}); consider re-recording it`);
      }
      expect(judgement.verdict).toBe(file.meta.verdict);
      expect(checkExpectation(file.scenario.expect, judgement).problems).toEqual([]);
    });
  }
});
