// Steering levers: a run drawn from a probe's lever reaches that probe (not always: the draw decides the faults'
// times and lengths), and the probes no lever can aim at are the ones named as such.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { LEVERS, aimable, steeredValueArb } from "./steering.ts";
import { toScenario } from "./arbitraries.ts";
import { runScenario } from "../sim/world.ts";
import { probesOf } from "./coverage.ts";
import type { ProbeId } from "./coverage.ts";
import { checkScenario } from "../sim/scenario/check.ts";

/** How many of `n` runs aimed at `probe` (seed 7) reach it. */
function reached(probe: ProbeId, n: number, fixed = {}): number {
  const values = fc.sample(steeredValueArb(fixed, [probe]), { seed: 7, numRuns: n });
  return values.filter((v) => probesOf(runScenario(toScenario(v))).has(probe)).length;
}

describe("steering levers", () => {
  it("only the poll timeout has no lever (processing slower than max.poll.interval.ms is not drawn)", () => {
    expect(Object.entries(LEVERS).flatMap(([p, l]) => (l === null ? [p] : []))).toEqual(["poll-timeout"]);
    expect(aimable(["poll-timeout", "metadata-lag"])).toEqual(["metadata-lag"]);
  });

  it("metadata-lag: KRaft runs with a broker applying committed metadata late reach it", () => {
    expect(reached("metadata-lag", 20)).toBeGreaterThanOrEqual(10);
  });

  it("metadata-lag in a campaign pinned to ZooKeeper: the fault is left out, the scenario stays valid", () => {
    const values = fc.sample(steeredValueArb({ protocol: "3.7" }, ["metadata-lag"]), { seed: 7, numRuns: 20 });
    expect(values.some((v) => v.episodes.some((e) => e.kind === "metadata-lag"))).toBe(true);
    for (const v of values) {
      const s = toScenario(v);
      expect(s.faults.filter((f) => f.action.kind === "metadata-lag")).toEqual([]);
      expect(checkScenario(s)).toEqual([]);
    }
  });

  it("txn-timed-out: a transactional producer paused past a short transaction.timeout.ms reaches it", () => {
    const v = fc.sample(steeredValueArb({}, ["txn-timed-out"]), { seed: 7, numRuns: 1 })[0];
    const s = toScenario(v as NonNullable<typeof v>);
    expect(s.producers[0]?.config["transaction.timeout.ms"]).toBe(500);
    expect(s.broker["transaction.abort.timed.out.transaction.cleanup.interval.ms"]).toBe(100);
    expect(reached("txn-timed-out", 20)).toBeGreaterThanOrEqual(5);
  });
});
