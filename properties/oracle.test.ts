import { describe, it, expect } from "vitest";
import { fakeRun, HistoryBuilder, healthy } from "./fixtures.ts";
import { oracle, allowedReason } from "./oracle.ts";
import { judge, checkExpectation } from "./judge.ts";
import type { FiredFault } from "../sim/faults/types.ts";
import type { ScenarioInput } from "../sim/scenario/defaults.ts";
import type { AnomalyType } from "../sim/scenario/types.ts";

const kill: FiredFault = { timeUs: 1000, action: { kind: "kill", target: { leaderOf: "orders-0" } }, nodes: ["broker-1"] };
const power = (b: number): FiredFault => ({ timeUs: 1000, action: { kind: "power", target: { broker: b } }, nodes: [`broker-${b}`] });

function allows(sc: ScenarioInput, faults: FiredFault[], type: AnomalyType): boolean {
  return allowedReason(oracle(fakeRun({ scenario: sc, faults })), type, "orders") !== undefined;
}
const prod = (config: Record<string, unknown>): ScenarioInput => ({ producers: [{ id: "p1", topic: "orders", config }] });

describe("oracle", () => {
  it("the safe configuration permits no loss, duplicate or reorder, even under faults", () => {
    const sc: ScenarioInput = { broker: { "min.insync.replicas": 2 }, producers: [{ id: "p1", topic: "orders" }] };
    for (const t of ["lost-write", "duplicate", "nonmonotonic-send", "uncommitted-read", "log-divergence"] as const) expect(allows(sc, [kill], t)).toBe(false);
  });
  it("acks=1 may lose on leader failure, not without faults", () => {
    expect(allows(prod({ acks: 1 }), [kill], "lost-write")).toBe(true);
    expect(allows(prod({ acks: 1 }), [], "lost-write")).toBe(false);
  });
  it("acks=0 may lose", () => {
    expect(allows(prod({ acks: 0 }), [], "lost-write")).toBe(true);
  });
  it("acks=0 may reorder on a lossy link (a closed connection's retransmissions land late), not otherwise", () => {
    const flaky: FiredFault = { timeUs: 1000, action: { kind: "flaky", target: { broker: 1 }, lossProb: 0.3 }, nodes: ["broker-1"] };
    expect(allows(prod({ acks: 0, "enable.idempotence": false }), [flaky], "nonmonotonic-send")).toBe(true);
    expect(allows(prod({ acks: 0, "enable.idempotence": false, "max.in.flight.requests.per.connection": 1 }), [kill], "nonmonotonic-send")).toBe(false);
    expect(allows(prod({ acks: 1, "enable.idempotence": false, "max.in.flight.requests.per.connection": 1 }), [flaky], "nonmonotonic-send")).toBe(false);
  });
  it("unclean election may lose", () => {
    expect(allows({ ...prod({}), broker: { "min.insync.replicas": 2, "unclean.leader.election.enable": true } }, [kill], "lost-write")).toBe(true);
    expect(allows({ ...prod({}), broker: { "min.insync.replicas": 2 }, topics: [{ name: "orders", config: { "unclean.leader.election.enable": true } }] }, [kill], "uncommitted-read")).toBe(true);
  });
  it("min.insync.replicas=1 with acks=all may lose under faults", () => {
    expect(allows({ ...prod({ acks: "all" }), broker: { "min.insync.replicas": 1 } }, [kill], "lost-write")).toBe(true);
    expect(allows({ ...prod({ acks: "all" }), broker: { "min.insync.replicas": 2 } }, [kill], "lost-write")).toBe(false);
  });
  it("no idempotence may duplicate, and reorder only with more than one request in flight", () => {
    expect(allows(prod({ "enable.idempotence": false }), [], "duplicate")).toBe(true);
    expect(allows(prod({ "enable.idempotence": false, "max.in.flight.requests.per.connection": 5 }), [], "nonmonotonic-send")).toBe(true);
    expect(allows(prod({ "enable.idempotence": false, "max.in.flight.requests.per.connection": 1 }), [], "nonmonotonic-send")).toBe(false);
    expect(allows(prod({ "enable.idempotence": false, retries: 0 }), [], "duplicate")).toBe(false);
  });
  it("power loss of min.insync.replicas brokers without fsync may lose; with fsync per message it may not", () => {
    const sc: ScenarioInput = { ...prod({}), broker: { "min.insync.replicas": 2 } };
    expect(allows(sc, [power(1)], "log-divergence")).toBe(true);
    expect(allows(sc, [power(1), power(2)], "lost-write")).toBe(true);
    expect(allows({ ...sc, broker: { "min.insync.replicas": 2, "log.flush.interval.messages": 1 } }, [power(1), power(2)], "lost-write")).toBe(false);
  });
  it("a time-based flush is no fsync per record: log.flush.interval.ms=0 may lose on power loss, with or without the flusher scheduled", () => {
    const broker = { "min.insync.replicas": 2, "log.flush.interval.ms": 0 };
    expect(allows({ ...prod({}), broker }, [power(1), power(2)], "lost-write")).toBe(true);
    expect(allows({ ...prod({}), broker: { ...broker, "log.flush.scheduler.interval.ms": 1 } }, [power(1), power(2)], "lost-write")).toBe(true);
    expect(allows({ ...prod({}), broker: { "min.insync.replicas": 2 }, topics: [{ name: "orders", config: { "log.flush.interval.ms": 0 } }] }, [power(1), power(2)], "lost-write")).toBe(true);
  });
  it("protocol 0.10 may lose and diverge", () => {
    const sc: ScenarioInput = { ...prod({}), broker: { "min.insync.replicas": 2 }, protocol: "0.10" };
    expect(allows(sc, [kill], "lost-write")).toBe(true);
    expect(allows(sc, [kill], "log-divergence")).toBe(true);
    expect(allows(sc, [kill], "duplicate")).toBe(true);
  });
  it("the broker-level rules cover __consumer_offsets too (its replicas diverge like any other's), not without cause", () => {
    const offsets = (sc: ScenarioInput, faults: FiredFault[], type: AnomalyType): boolean => allowedReason(oracle(fakeRun({ scenario: sc, faults })), type, "__consumer_offsets") !== undefined;
    const sc: ScenarioInput = { ...prod({}), broker: { "min.insync.replicas": 2 } };
    // fuzz seed 777: protocol 3.7, brokers 2 and 3 lose power without fsync; 0.10 / 0.11 after leader changes.
    expect(offsets(sc, [power(2), power(3)], "log-divergence")).toBe(true);
    expect(offsets(sc, [power(2)], "strong-isr")).toBe(true);
    expect(offsets({ ...sc, protocol: "0.10" }, [kill], "log-divergence")).toBe(true);
    expect(offsets({ ...sc, protocol: "0.11" }, [kill], "strong-isr")).toBe(true);
    expect(offsets(sc, [kill], "log-divergence")).toBe(false);
    expect(offsets({ ...sc, broker: { "min.insync.replicas": 2, "log.flush.interval.messages": 1 } }, [power(2), power(3)], "log-divergence")).toBe(false);
  });
  it("commit before processing, and auto-commit with async processing, may skip", () => {
    const g = (processing: Record<string, unknown>, config: Record<string, unknown> = {}): ScenarioInput => ({ consumers: [{ group: "g1", topics: ["orders"], processing, config }] });
    expect(allows(g({ commit: "before-processing" }), [], "committed-unprocessed")).toBe(true);
    expect(allows(g({ commit: "after-processing" }), [], "committed-unprocessed")).toBe(false);
    expect(allows(g({ commit: "auto", async: true }, { "enable.auto.commit": true }), [], "committed-unprocessed")).toBe(true);
    expect(allows(g({ commit: "auto", async: false }, { "enable.auto.commit": true }), [], "committed-unprocessed")).toBe(false);
  });
  it("a group that commits may go back on a lossy link (a timed-out commit lands after a later one), not otherwise", () => {
    const flaky: FiredFault = { timeUs: 1000, action: { kind: "flaky", target: { broker: 1 }, lossProb: 0.3 }, nodes: ["broker-1"] };
    const g = (processing: Record<string, unknown>, config: Record<string, unknown> = {}): ScenarioInput => ({ consumers: [{ group: "g1", topics: ["orders"], processing, config }] });
    expect(allows(g({ commit: "before-processing" }), [flaky], "nonmonotonic-poll")).toBe(true);
    expect(allows(g({ commit: "auto" }, { "enable.auto.commit": true }), [flaky], "nonmonotonic-poll")).toBe(true);
    expect(allows(g({ commit: "before-processing" }), [kill], "nonmonotonic-poll")).toBe(false);
    // A group that never commits has no commit to land late.
    expect(allows(g({ commit: "auto" }, { "enable.auto.commit": false }), [flaky], "nonmonotonic-poll")).toBe(false);
  });
  it("bug switches never permit anything", () => {
    const base = allows({ ...prod({}), broker: { "min.insync.replicas": 2 } }, [kill], "uncommitted-read");
    expect(base).toBe(false);
    expect(allows({ ...prod({}), broker: { "min.insync.replicas": 2 }, bugs: { readAboveHighWatermark: true } }, [kill], "uncommitted-read")).toBe(false);
  });
});

describe("judge", () => {
  const lost = (sc: ScenarioInput, faults: FiredFault[]) => {
    const h = new HistoryBuilder().send("p1", "orders", 0, 1, 0).send("p1", "orders", 0, 2, 1);
    return judge(fakeRun({ scenario: sc, history: h.ops, partitions: [healthy("orders", 0, [1])], faults }));
  };
  it("valid without anomalies", () => {
    const h = new HistoryBuilder().send("p1", "orders", 0, 1, 0);
    const j = judge(fakeRun({ scenario: prod({}), history: h.ops, partitions: [healthy("orders", 0, [1])] }));
    expect(j.verdict).toBe("valid");
    expect(j.stats.sent).toBe(1);
    expect(j.stats.acked).toBe(1);
  });
  it("allowed when the configuration permits the anomaly, with the reason", () => {
    const j = lost(prod({ acks: 1 }), [kill]);
    expect(j.verdict).toBe("allowed");
    expect(j.stats.lostWrites).toBe(1);
    expect(j.anomalies[0]?.reason).toContain("acks=1");
    expect(checkExpectation({ verdict: "allowed", anomalies: ["lost-write"], absent: ["duplicate"] }, j)).toEqual({ ok: true, problems: [] });
  });
  it("bug when it does not", () => {
    const j = lost({ ...prod({}), broker: { "min.insync.replicas": 2 } }, [kill]);
    expect(j.verdict).toBe("bug");
    const c = checkExpectation({ verdict: "valid", absent: ["lost-write"] }, j);
    expect(c.ok).toBe(false);
    expect(c.problems).toHaveLength(2);
  });
});
