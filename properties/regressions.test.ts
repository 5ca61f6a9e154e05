// Replays every saved counterexample under scenarios/regressions/ (the scenario itself, not a seed) and
// asserts the verdict and the hunted anomalies recorded with it. When the simulator has changed since the
// file was recorded (the replay's trace hash differs from the recorded one), the run is a different run:
// the test is skipped with a note to re-record (KAFKASIM_SAVE_REGRESSIONS=1 npx vitest run
// properties/weakenings.property.test.ts), unless KAFKASIM_STRICT=1 asks for the verdict regardless.
import { describe, it, expect } from "vitest";
import { loadRegressions } from "./regressions.ts";
import { runAndJudge } from "./run.ts";
import { checkExpectation } from "./judge.ts";

const files = loadRegressions();
const STRICT = process.env["KAFKASIM_STRICT"] === "1";

describe("saved counterexamples replay to their recorded verdict", () => {
  it("there are saved counterexamples, each with its metadata", () => {
    expect(files.length).toBeGreaterThan(0);
    for (const { file } of files) {
      expect(file.meta.fastCheckVersion).toMatch(/^\d+\.\d+\.\d+$/);
      expect(["valid", "allowed", "bug"]).toContain(file.meta.verdict);
    }
  });
  for (const { path, file } of files) {
    it(path.replace(/^.*\/scenarios\//, "scenarios/"), (ctx) => {
      const { judgement, result } = runAndJudge(file.scenario);
      if (!STRICT && file.meta.traceHash !== undefined && file.meta.traceHash !== result.traceHash) {
        console.warn(`${path}: the simulator changed since this counterexample was recorded (trace hash ${file.meta.traceHash} → ${result.traceHash}); re-record it`);
        ctx.skip();
        return;
      }
      expect(judgement.verdict).toBe(file.meta.verdict);
      expect(checkExpectation(file.scenario.expect, judgement).problems).toEqual([]);
    });
  }
});
