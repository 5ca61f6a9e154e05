// Each weakening of Kafka's safe configuration: fast-check must FIND the anomaly it permits within the stated
// budget (the property "no such anomaly" is expected to fail), and the oracle must call it allowed. The shrunk
// schedule is printed and saved under scenarios/regressions/ when no file exists for it yet
// (KAFKASIM_SAVE_REGRESSIONS=1 rewrites them).
import { describe, it, expect } from "vitest";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { WEAKENINGS, weakeningArb } from "./weakenings.ts";
import { hunt, describeSchedule } from "./hunt.ts";
import { rootSeed, seedFor } from "./seeds.ts";
import { REGRESSIONS_DIR, regressionOf, saveRegression } from "./regressions.ts";

console.log(`properties: root seed ${rootSeed()} (set KAFKASIM_SEED to change)`);

describe("weakened configurations: fast-check finds the anomaly each permits", () => {
  for (const w of WEAKENINGS) {
    it(`${w.name} → ${w.anomaly.join(" or ")} within ${w.budget} runs`, () => {
      const seed = seedFor(w.name);
      const r = hunt({ arb: weakeningArb(w), target: w.anomaly, numRuns: w.budget, seed, shrinkRuns: 25, ...(w.require ? { require: w.require, runOptions: { record: true } } : {}) });
      expect(r.found, `no ${w.anomaly.join("/")} in ${w.budget} runs (seed ${seed})`).toBe(true);
      expect(r.runsToFirst).not.toBeNull();
      expect(r.runsToFirst as number).toBeLessThanOrEqual(w.budget);
      const j = r.judgement;
      if (!j || !r.scenario) throw new Error("no counterexample");
      const hit = j.anomalies.filter((a) => w.anomaly.includes(a.type));
      // The configuration permits it: the oracle says so, with a reason.
      expect(hit.every((a) => a.allowed && (a.allowedBecause?.sentence ?? "").length > 0)).toBe(true);
      console.log(`[${w.name}] first after ${r.runsToFirst} runs; shrunk schedule:\n${describeSchedule(r.scenario)}\n${hit[0]?.explanation ?? ""}`);
      const file = regressionOf(w.name, r.scenario, j, seed, r.path, w.anomaly, r.traceHash ?? undefined);
      const target = join(REGRESSIONS_DIR, `${w.name.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}.yaml`);
      if (process.env["KAFKASIM_SAVE_REGRESSIONS"] === "1" || !existsSync(target)) saveRegression(file);
    });
  }
});
