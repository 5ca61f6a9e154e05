import { describe, it, expect } from "vitest";
import { applyCell, cells, compare, DEFAULT_AXES, defaultMatrix, invalidReason, parseMatrix, runScenarioFor } from "./compare.ts";
import { seededFaults } from "./compare-faults.ts";
import type { JudgeFn, RunFn } from "./compare.ts";
import { fakeRun } from "./fixtures.ts";
import type { FakeSend } from "./fixtures.ts";
import type { RunResult } from "../sim/result.ts";
import type { Scenario } from "../sim/scenario/types.ts";
import type { JudgementCounts } from "./metrics.ts";
import { SimInputError } from "../sim/core/errors.ts";

/** A stand-in world: latency and loss depend on the config in a known way, times on the seed. */
function fakeWorld(): { run: RunFn; judge: JudgeFn; scenarios: Scenario[] } {
  const counts = new WeakMap<RunResult, JudgementCounts>();
  const scenarios: Scenario[] = [];
  const run: RunFn = (s) => {
    scenarios.push(s);
    const p = s.producers[0];
    const acks = p?.config.acks;
    const latency = acks === 0 ? 1 : acks === 1 ? 3 : 10;
    const seed = Number(s.seed);
    const sends: FakeSend[] = Array.from({ length: 10 }, (_, i) => ({ value: i, invokeMs: 100 * i + seed, endMs: 100 * i + seed + latency + i, outcome: "ok" as const }));
    if (acks === "all" && s.broker["min.insync.replicas"] === 2) sends.push({ value: 10, invokeMs: 2000, endMs: 3000, outcome: "fail", error: "NOT_ENOUGH_REPLICAS" });
    const r = fakeRun({ seed, sends, diskBytes: 1000 * s.topics[0]!["replication.factor"], workloadEndMs: s.durationMs });
    const lost = acks === "all" ? 0 : s.broker["unclean.leader.election.enable"] ? 2 : seed % 2;
    counts.set(r, { lostWrites: lost, duplicates: p?.config["enable.idempotence"] ? 0 : 1, reorders: 0, skipped: 0, processedTwice: 0, duplicateOutputs: 0 });
    return r;
  };
  const judge: JudgeFn = (r) => ({ stats: counts.get(r) as JudgementCounts, verdict: "allowed" });
  return { run, judge, scenarios };
}

describe("matrix cells", () => {
  it("the default matrix is 3 × 2 × 2 × 2 and Kafka refuses idempotence without acks=all", () => {
    const all = cells(DEFAULT_AXES);
    expect(all).toHaveLength(24);
    const m = defaultMatrix();
    const refused = all.filter((c) => invalidReason(applyCell(m.base, c)) !== null);
    expect(refused).toHaveLength(8);
    expect(refused.every((c) => c["enable.idempotence"] === true && c.acks !== "all")).toBe(true);
  });
  it("applies keys at their scope", () => {
    const m = defaultMatrix();
    const s = applyCell(m.base, { acks: 1, "min.insync.replicas": 2, "unclean.leader.election.enable": true, "replication.factor": 2, protocol: "0.10", commit: "before-processing", "enable.idempotence": "off" });
    expect(s.producers[0]?.config.acks).toBe(1);
    expect(s.producers[0]?.config["enable.idempotence"]).toBe(false);
    expect(s.producers[0]?.explicit).toContain("enable.idempotence");
    expect(s.broker["min.insync.replicas"]).toBe(2);
    expect(s.broker["unclean.leader.election.enable"]).toBe(true);
    expect(s.topics[0]?.["replication.factor"]).toBe(2);
    expect(s.protocol).toBe("0.10");
    expect(s.consumers[0]?.processing.commit).toBe("before-processing");
    expect(m.base.producers[0]?.config.acks).toBe("all"); // the base is untouched
  });
  it("rejects unknown keys and bad values with a message naming them", () => {
    const m = defaultMatrix();
    expect(() => applyCell(m.base, { "ackz": 1 })).toThrow(/unknown key "ackz"/);
    expect(() => applyCell(m.base, { acks: 2 })).toThrow(/acks=2 .*one of all, -1, 0, 1/);
    expect(() => applyCell(m.base, { protocol: "9.9" })).toThrow(SimInputError);
  });
});

describe("seeded fault schedules", () => {
  it("depend on the seed only, and differ between seeds", () => {
    const o = { brokers: 3, tp: "orders-0", durationMs: 8000, producers: ["p1"] };
    expect(seededFaults(7, o)).toEqual(seededFaults(7, o));
    expect(JSON.stringify(seededFaults(7, o))).not.toEqual(JSON.stringify(seededFaults(8, o)));
    for (const f of seededFaults(7, o)) expect("atMs" in f && f.atMs < 8000).toBe(true);
  });
  it("every configuration of a seed gets the same schedule", () => {
    const m = defaultMatrix();
    const [a, b] = [runScenarioFor(m, { acks: 0 }, 5), runScenarioFor(m, { acks: "all", "min.insync.replicas": 2 }, 5)];
    expect(a.faults.length).toBeGreaterThan(0);
    expect(a.faults).toEqual(b.faults);
    expect(a.seed).toBe(5);
  });
});

describe("compare", () => {
  it("runs every valid config on the same seeds and the rows match the runs", () => {
    const w = fakeWorld();
    const progress: number[] = [];
    const out = compare({ matrix: defaultMatrix(), seed: 10, seeds: 2, run: w.run, judge: w.judge, onProgress: (d) => progress.push(d) });
    expect(out.report.seed).toBe(10);
    expect(out.report.seeds).toBe(2);
    expect(out.report.rows).toHaveLength(16);
    expect(out.invalid).toHaveLength(8);
    expect(w.scenarios).toHaveLength(32);
    expect(new Set(w.scenarios.map((s) => s.seed))).toEqual(new Set([10, 11]));
    expect(progress.at(-1)).toBe(48);
    // same seed → same faults, whatever the config
    const bySeed = new Map<unknown, string>();
    for (const s of w.scenarios) {
      const f = JSON.stringify(s.faults);
      expect(bySeed.get(s.seed) ?? f).toBe(f);
      bySeed.set(s.seed, f);
    }
    const row = out.report.rows.find((r) => r.config.acks === 1 && r.config["unclean.leader.election.enable"] === false && r.config["min.insync.replicas"] === 1 && r.config["enable.idempotence"] === false);
    // seeds 10 and 11: seed % 2 → 0 and 1 lost writes
    expect(row?.lostWrites).toBe(1);
    expect(row?.runsWithLoss).toBe(0.5);
    expect(row?.duplicates).toBe(2);
    // latencies 3 + i for i in 0..9, in both runs: p50 = 7, max = 12
    expect(row?.latencyMs).toEqual({ p50: 7, p99: 12, max: 12 });
    const safe = out.report.rows.find((r) => r.config.acks === "all" && r.config["min.insync.replicas"] === 2 && r.config["enable.idempotence"] === true && r.config["unclean.leader.election.enable"] === false);
    expect(safe?.produceErrors).toEqual({ NOT_ENOUGH_REPLICAS: 2 });
    expect(safe?.unavailableMs).toBe(1000);
    expect(out.tradeoffs).toHaveLength(16);
  });
  it("is reproducible from its seed", () => {
    const a = compare({ matrix: defaultMatrix(), seed: 3, seeds: 2, ...fakeWorld() });
    const b = compare({ matrix: defaultMatrix(), seed: 3, seeds: 2, ...fakeWorld() });
    expect(JSON.stringify(a.report)).toBe(JSON.stringify(b.report));
  });
  it("lists cells the world rejects or fails on, and runs the rest", () => {
    const w = fakeWorld();
    const run: RunFn = (s, o) => {
      if (s.producers[0]?.config.acks === 0) throw new SimInputError("INVALID_CONFIG", "no acks=0 here");
      if (s.producers[0]?.config.acks === 1 && s.seed === 4) throw new Error("kafkasim invariant violated: boom");
      return w.run(s, o);
    };
    const out = compare({ matrix: { ...defaultMatrix(), axes: [{ key: "acks", values: [0, 1, "all"] }] }, seed: 3, seeds: 2, run, judge: w.judge });
    expect(out.report.rows.map((r) => r.config.acks)).toEqual(["all"]);
    expect(out.invalid.map((x) => x.reason)).toEqual(["no acks=0 here", "simulator error on seed 4: kafkasim invariant violated: boom"]);
  });
  it("validates seeds", () => {
    expect(() => compare({ matrix: defaultMatrix(), seed: 3, seeds: 0, ...fakeWorld() })).toThrow(/--seeds/);
  });
});

describe("matrix files", () => {
  it("parses YAML with a base over the default base", () => {
    const m = parseMatrix(
      ["name: rf", "seeds: 4", "base:", "  durationMs: 5000", "  broker:", "    replica.lag.time.max.ms: 500", "matrix:", "  replication.factor: [2, 3]", "  acks: [1, all]", "  commit: [before-processing, after-processing]"].join("\n"),
    );
    expect(m.name).toBe("rf");
    expect(m.seeds).toBe(4);
    expect(m.base.durationMs).toBe(5000);
    expect(m.base.broker["replica.lag.time.max.ms"]).toBe(500);
    expect(m.base.broker["zookeeper.session.timeout.ms"]).toBe(1200); // from the default base
    expect(cells(m.axes)).toHaveLength(8);
    expect(m.faults).toBe("generated");
  });
  it("parses JSON too and reports bad input before running", () => {
    expect(parseMatrix('{"matrix": {"acks": [0, 1]}}').axes).toEqual([{ key: "acks", values: [0, 1] }]);
    expect(() => parseMatrix("matrix: {}")).toThrow(/"matrix" must map keys/);
    expect(() => parseMatrix("matrix: { acks: [1, 7] }")).toThrow(/acks=7/);
    expect(() => parseMatrix("matrix: { foo.bar: [1] }")).toThrow(/unknown key "foo.bar"/);
    expect(() => parseMatrix("matrix: { acks: [1] }\nextra: 1")).toThrow(/unknown key "extra"/);
    expect(() => parseMatrix("base: { broker: { nope: 1 } }\nmatrix: { acks: [1] }")).toThrow(/unknown broker config key "nope"/);
    expect(() => parseMatrix(": : :")).toThrow(SimInputError);
  });
});
