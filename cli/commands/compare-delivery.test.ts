// compare's delivery-semantics dimension (`delivery` in a matrix): the same consume-transform-produce group built
// at-most-once, at-least-once and exactly-once, on the same faults — what each loses or duplicates beside what
// it costs.
import { describe, it, expect } from "vitest";
import { loadWorld } from "./compare.ts";
import { applyCell, compare, DEFAULT_BASE, defaultMatrix } from "../../reports/compare.ts";
import { seededFaults } from "../../reports/compare-faults.ts";
import type { ConfigRow } from "../../reports/metrics.ts";
import { buildScenario } from "../../sim/scenario/defaults.ts";
import type { Fault } from "../../sim/faults/types.ts";
import { judge } from "../../properties/index.ts";

describe("compare: delivery semantics", () => {
  it("builds the group as a pipeline per semantics; an unknown value is a clear error", () => {
    const base = defaultMatrix().base;
    const eos = applyCell(base, { delivery: "exactly-once" });
    expect(eos.topics.map((t) => [t.name, t.partitions, t["replication.factor"]])).toEqual([
      ["orders", 1, 3],
      ["orders.out", 1, 3],
    ]);
    const g = eos.consumers[0];
    expect([g?.processing.commit, g?.processing.commitEvery, g?.processing.output, g?.config["isolation.level"], g?.config["enable.auto.commit"]]).toEqual(["after-processing", "batch", { topic: "orders.out", transactional: true }, "read_committed", false]);
    expect(applyCell(base, { delivery: "at-most-once" }).consumers[0]?.processing.commit).toBe("before-processing");
    expect(applyCell(base, { delivery: "at-least-once" }).consumers[0]?.processing.output).toEqual({ topic: "orders.out", transactional: false });
    expect(() => applyCell(base, { delivery: "exactly-twice" })).toThrow('matrix: delivery="exactly-twice"; allowed: at-most-once, at-least-once, exactly-once');
  });

  it("on the same faults: at-most-once skips, at-least-once duplicates output, exactly-once neither — and pays in disk", async () => {
    const run = await loadWorld();
    const [group] = DEFAULT_BASE.consumers ?? [];
    // The seeded broker faults of one schedule, and the member killed mid-batch twice.
    const crashes: Fault[] = [2003, 5003].flatMap((atMs) => [
      { atMs, action: { kind: "kill", target: { client: "g1/0" } } },
      { atMs: atMs + 500, action: { kind: "restart", target: { client: "g1/0" } } },
    ]);
    const base = buildScenario({
      ...DEFAULT_BASE,
      protocol: "3.7", // pinned, whatever the default profile
      broker: { ...DEFAULT_BASE.broker, "group.min.session.timeout.ms": 1000, "transaction.state.log.num.partitions": 1 },
      consumers: [{ ...group!, config: { ...group!.config, "session.timeout.ms": 2000, "heartbeat.interval.ms": 500 }, processing: { commit: "after-processing", commitEvery: "batch", timeMs: 5 } }],
      faults: [...seededFaults(2, { brokers: 3, tp: "orders-0", durationMs: 10_000, producers: ["p1"] }), ...crashes],
    });
    const matrix = { ...defaultMatrix(), name: "delivery", base, faults: "base" as const, axes: [{ key: "delivery", values: ["at-most-once", "at-least-once", "exactly-once"] }] };
    const o = compare({ matrix, seed: 1, seeds: 2, run, judge });
    const [amo, alo, eos] = o.report.rows as [ConfigRow, ConfigRow, ConfigRow];
    expect(o.report.rows.map((r) => r.config)).toEqual([{ delivery: "at-most-once" }, { delivery: "at-least-once" }, { delivery: "exactly-once" }]);
    // At-most-once: the crashed batches were committed before processing.
    expect([amo.skipped, alo.skipped, eos.skipped]).toEqual([646, 0, 0]);
    // At-least-once: their output was written before the crash and again after it; exactly-once: aborted with the
    // transaction, so it is committed once — though the processing itself repeats in both.
    expect([amo.duplicateOutputs, alo.duplicateOutputs, eos.duplicateOutputs]).toEqual([0, 159, 0]);
    expect([amo.processedTwice, alo.processedTwice, eos.processedTwice]).toEqual([0, 203, 204]);
    // The cost: disk for the markers and __transaction_state (and the output topic for all three).
    expect([amo.diskBytes, alo.diskBytes, eos.diskBytes]).toEqual([1001850, 1006800, 1016700]);
    expect([amo.pareto, alo.pareto, eos.pareto]).toEqual([true, true, true]);
    expect(o.tradeoffs[1]).toMatch(/but 203 processed twice, 159 duplicate outputs\.$/);
  });
});
