// Replays every saved counterexample under scenarios/regressions/ (the scenario itself, not a seed) and
// asserts the verdict and the hunted anomalies recorded with it, then that the replay is the very run that was
// recorded (same trace hash). A changed hash means the simulator now runs the scenario differently: the test
// fails and says how to re-record. Re-recording is explicit:
//   KAFKASIM_REHASH_REGRESSIONS=1 npx vitest run properties/regressions.test.ts
// keeps each counterexample and rewrites only the record of its run (trace hash, anomalies found, explanation), and only for files that still show what they
// were saved for (the verdict and expectation are checked first); to hunt fresh counterexamples instead,
//   KAFKASIM_SAVE_REGRESSIONS=1 npx vitest run properties/weakenings.property.test.ts
import { describe, it, expect } from "vitest";
import { loadRegressions, rerecordRegression, runRecordOf } from "./regressions.ts";
import { runAndJudge } from "./run.ts";
import { checkExpectation } from "./judge.ts";

const files = loadRegressions();
const REHASH = process.env["KAFKASIM_REHASH_REGRESSIONS"] === "1";

const REHASH_COMMAND = "KAFKASIM_REHASH_REGRESSIONS=1 npx vitest run properties/regressions.test.ts";
const REHUNT_COMMAND = "KAFKASIM_SAVE_REGRESSIONS=1 npx vitest run properties/weakenings.property.test.ts";

describe("saved counterexamples replay to their recorded verdict and run", () => {
  it("there are saved counterexamples, each with its metadata and trace hash", () => {
    expect(files.length).toBeGreaterThan(0);
    for (const { path, file } of files) {
      expect(file.meta.fastCheckVersion).toMatch(/^\d+\.\d+\.\d+$/);
      expect(["valid", "allowed", "bug"]).toContain(file.meta.verdict);
      expect(file.meta.traceHash, `${path}: no recorded trace hash (record one: ${REHASH_COMMAND})`).toMatch(/^[0-9a-f]{16}$/);
    }
  });
  for (const { path: fullPath, file, text } of files) {
    const path = fullPath.replace(/^.*\/scenarios\//, "scenarios/");
    it(path, () => {
      const { judgement, result } = runAndJudge(file.scenario);
      const changed = file.meta.traceHash !== result.traceHash ? ` (the replay is not the recorded run: trace hash ${file.meta.traceHash ?? "none"} → ${result.traceHash})` : "";
      expect(judgement.verdict, `${path}: verdict${changed}`).toBe(file.meta.verdict);
      expect(checkExpectation(file.scenario.expect, judgement).problems, `${path}: expectation${changed}`).toEqual([]);
      if (REHASH && changed !== "") {
        expect(rerecordRegression(fullPath, text, runRecordOf(judgement, result.traceHash)), `${path} changed while it was replayed: not re-recorded`).toBe(true);
        console.log(`${path}: trace hash re-recorded (${file.meta.traceHash ?? "none"} → ${result.traceHash})`);
        return;
      }
      expect(
        result.traceHash,
        `${path}: the simulator changed since this counterexample was recorded (trace hash ${file.meta.traceHash ?? "none"} → ${result.traceHash}). ` +
          `It still shows what it was saved for. If the change is intended, re-record the hash: ${REHASH_COMMAND} ` +
          `(or hunt a fresh counterexample: ${REHUNT_COMMAND}) and commit the files.`,
      ).toBe(file.meta.traceHash);
    });
  }
});
