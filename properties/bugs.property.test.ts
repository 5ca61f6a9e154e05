// Checker validation: each seeded bug switch (off by default in the simulator) must be caught by fuzzing with
// an anomaly the oracle does NOT permit, within the stated budget.
import { describe, it, expect } from "vitest";
import { BUG_CASES, KAFKA_DEFAULTS_CELL, weakeningArb } from "./weakenings.ts";
import { huntBugInCell } from "./matrix.ts";
import { hunt, describeSchedule } from "./hunt.ts";
import { seedFor } from "./seeds.ts";

describe("bug switches are caught", () => {
  for (const b of BUG_CASES) {
    it(`${b.bug} → ${b.anomaly.join(" / ")} within ${b.budget} runs`, () => {
      const seed = seedFor(b.bug);
      const r = hunt({ arb: weakeningArb(b), target: b.anomaly, bugsOnly: true, bugs: { [b.bug]: true }, numRuns: b.budget, seed, shrinkRuns: 10 });
      expect(r.found, `${b.bug} not caught in ${b.budget} runs (seed ${seed})`).toBe(true);
      expect(r.judgement?.verdict).toBe("bug");
      console.log(`[${b.bug}] caught after ${r.runsToFirst} runs:\n${r.scenario ? describeSchedule(r.scenario) : ""}`);
    });
  }
  // Controls: the same schedules (same arbitrary, same seed, same budget) without the switch never give the
  // expected anomaly as a bug, so what the hunts above find is the switch's doing.
  for (const b of BUG_CASES) {
    it(`control: ${b.bug}'s schedules without the switch give no bug verdict for ${b.anomaly.join(" / ")} (${b.budget} runs)`, () => {
      const r = hunt({ arb: weakeningArb(b), target: b.anomaly, bugsOnly: true, numRuns: b.budget, seed: seedFor(b.bug), shrinkRuns: 0 });
      expect(r.found, r.scenario ? describeSchedule(r.scenario) : "").toBe(false);
      expect(r.totalRuns).toBe(b.budget);
    });
  }
});

// The same switches under Kafka's defaults (acks=all, min.insync.replicas=1, unclean off): the oracle must not hide
// them behind "min.insync.replicas=1 may lose" — each is a bug there too, and the control stays clean.
describe("bug switches are caught under Kafka's defaults", () => {
  for (const b of BUG_CASES) {
    if (b.inCell?.(KAFKA_DEFAULTS_CELL) === null) continue;
    it(`${b.bug} in acks=all, min.insync.replicas=1, unclean off: caught as a bug, control clean`, () => {
      const r = huntBugInCell(b, KAFKA_DEFAULTS_CELL);
      expect(r.runsToFirst, `${b.bug} not caught in ${b.budget} runs`).not.toBeNull();
      expect(r.controlRunsToFirst, `control found a not-permitted ${b.anomaly.join("/")} at run ${r.controlRunsToFirst}`).toBeNull();
    });
  }
});

// Where acks=all and min.insync.replicas = the replication factor stop every write a replica could miss: each switch
// is hunted as its cell plan says (weakenings.ts): skipTruncation can only stall there (a liveness verdict), an
// out-of-sync replica holds every acknowledged write unless it lost power, and a stale leader epoch applied is an
// epoch regression. These were the README table's "missed" cells; the controls stay clean of the same verdicts.
describe("bug switches are caught where every replica is required (acks=all, min.insync.replicas=3 on RF 3)", () => {
  const cell = { acks: "all", minIsr: 3, unclean: false } as const;
  for (const [bug, as] of [["skipTruncation", "liveness"], ["electOutOfSync", "bug"], ["acceptStaleEpoch", "bug"]] as const) {
    it(`${bug}: caught as ${as}, control clean`, () => {
      const b = BUG_CASES.find((x) => x.bug === bug);
      if (!b) throw new Error(`no bug case ${bug}`);
      const r = huntBugInCell(b, cell);
      expect(r.as).toBe(as);
      expect(r.runsToFirst, `${bug} not caught in ${r.budget} runs`).not.toBeNull();
      expect(r.controlRunsToFirst, `control found it at run ${r.controlRunsToFirst}`).toBeNull();
    });
  }
});
