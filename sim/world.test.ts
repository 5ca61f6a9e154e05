import { describe, it, expect } from "vitest";
import { HOT_EVENT_TYPES } from "./events.ts";
import { runScenario } from "./world.ts";
import { buildScenario } from "./scenario/defaults.ts";
import type { Fault } from "./faults/types.ts";

const faults: Fault[] = [
  { atMs: 1500, action: { kind: "kill", target: { leaderOf: "orders-0" } } },
  { atMs: 2500, action: { kind: "partition", groups: [[{ broker: 2 }], [{ broker: 3 }, { coordinator: true }]] } },
  { atMs: 3500, action: { kind: "heal" } },
  { atMs: 3600, action: { kind: "restart", target: { broker: 1 } } },
];

function scenario(seed: number) {
  return buildScenario({
    seed,
    durationMs: 4000,
    drainMs: 25_000,
    broker: { "zookeeper.session.timeout.ms": 6000, "replica.lag.time.max.ms": 10_000, "replica.socket.timeout.ms": 5000 },
    topics: [{ name: "orders", partitions: 2 }],
    producers: [{ id: "p1", topic: "orders", ratePerSec: 100, config: { acks: 1, "enable.idempotence": false } }],
    consumers: [{ group: "g1", topics: ["orders"], config: { "auto.offset.reset": "earliest" } }],
    faults,
  });
}

describe("world determinism (same seed → same run, event for event)", () => {
  it("runs a seeded scenario twice to the same trace hash, history and final state", () => {
    const a = runScenario(scenario(11));
    const b = runScenario(scenario(11));
    expect(a.events).toBeGreaterThan(1000);
    expect(b.traceHash).toBe(a.traceHash);
    expect(b.events).toBe(a.events);
    expect(JSON.stringify(b.history)).toBe(JSON.stringify(a.history));
    expect(JSON.stringify(b.final)).toBe(JSON.stringify(a.final));
  });

  it("gives different seeds different runs", () => {
    const hashes = new Set([1, 2, 3].map((s) => runScenario(scenario(s)).traceHash));
    expect(hashes.size).toBe(3);
  });

  it("hashes the same whether or not the trace is recorded", () => {
    const off = runScenario(scenario(5));
    const on = runScenario(scenario(5), { record: true });
    expect(on.trace.length).toBeGreaterThan(0);
    expect(off.trace.length).toBe(0);
    expect(on.traceHash).toBe(off.traceHash);
  });

  it("reports each group as its coordinator holds it at the end: stable after the drain", () => {
    const r = runScenario(buildScenario({ seed: 2, durationMs: 2000, drainMs: 3000, broker: { "offsets.topic.num.partitions": 1, "group.initial.rebalance.delay.ms": 0 }, producers: [{ id: "p1", topic: "orders", ratePerSec: 100 }], consumers: [{ group: "g1", members: 2, topics: ["orders"], config: { "auto.offset.reset": "earliest" } }] }));
    // Generation 1 for the first member, 2 once the second joined.
    expect(r.final.groups).toEqual([{ group: "g1", state: "stable", generation: 2, members: 2 }]);
  });

  it("keeps the same evidence (every event but the hot ones) whether or not the trace is recorded", () => {
    const off = runScenario(scenario(5));
    const on = runScenario(scenario(5), { record: true });
    expect(off.evidence.length).toBeGreaterThan(5);
    expect(off.evidence.some((e) => e.type === "leader-elected")).toBe(true);
    expect(off.evidence.some((e) => HOT_EVENT_TYPES.has(e.type))).toBe(false);
    expect(JSON.stringify(off.evidence)).toBe(JSON.stringify(on.evidence));
    expect(JSON.stringify(on.evidence)).toBe(JSON.stringify(on.trace.filter((e) => !HOT_EVENT_TYPES.has(e.type))));
  });

  it("reports progress each virtual second without changing the run", () => {
    const seen: number[] = [];
    const watched = runScenario(scenario(5), { onProgress: (ms, total) => seen.push(ms / total) });
    expect(watched.traceHash).toBe(runScenario(scenario(5)).traceHash);
    expect(seen.length).toBeGreaterThanOrEqual(29);
    expect(seen[seen.length - 1]).toBe(1);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1] as number);
  });

  it("fires every scheduled fault in the workload phase and resolves leaderOf at fire time", () => {
    const r = runScenario(scenario(11));
    expect(r.faults.map((f) => f.action.kind)).toEqual(["kill", "partition", "heal", "restart"]);
    expect(r.faults[0]?.nodes).toHaveLength(1);
    expect(r.faults[0]?.nodes[0]).toMatch(/^broker-[123]$/);
  });
});

describe("run result as plain data", () => {
  it("history and final logs (materialised lazily) read the same through JSON, spread and structured clone", () => {
    const r = runScenario(scenario(5));
    const viaJson = JSON.parse(JSON.stringify({ history: r.history, final: r.final })) as unknown;
    expect(structuredClone({ history: r.history, final: r.final })).toEqual(viaJson);
    expect({ ...r }.history).toBe(r.history);
    const replica = r.final.partitions[0]?.replicas[0];
    expect(replica && Array.isArray(replica.values) && Array.isArray(replica.epochs) && Array.isArray(replica.keys)).toBe(true);
    expect(replica?.values.length).toBe((replica?.logEndOffset ?? 0) - (replica?.logStartOffset ?? 0));
    expect(replica?.values.length).toBeGreaterThan(0);
    expect(r.sendsAcked).toBe(r.history.filter((o) => o.f === "send" && o.type === "ok").length);
    expect(r.sendsAcked).toBeGreaterThan(0);
  });
});

describe("fault targets", () => {
  it("followersOf resolves, when the fault fires, to the partition's replicas other than its leader", () => {
    const s = buildScenario({
      seed: 2,
      durationMs: 5000,
      drainMs: 1000,
      faults: [{ atMs: 3000, action: { kind: "isolate", target: { followersOf: "orders-0" } } }],
    });
    const r = runScenario(s, { record: true });
    const fired = r.faults[0]!;
    const leader = [...r.trace].reverse().find((e) => e.type === "leader-elected" && e.tp === "orders-0" && e.timeUs <= fired.timeUs);
    expect(leader?.type).toBe("leader-elected");
    const leaderNode = leader?.type === "leader-elected" ? `broker-${leader.leader}` : "";
    expect(fired.nodes).toHaveLength(2);
    expect(fired.nodes).not.toContain(leaderNode);
  });
});

describe("world liveness after the heal-and-drain phase", () => {
  it("every partition has a leader and a full ISR, and replicas agree up to the HW", () => {
    const r = runScenario(scenario(3));
    for (const p of r.final.partitions) {
      expect(p.leader, `${p.topic}-${p.partition} leader`).not.toBeNull();
      expect(p.isr.length, `${p.topic}-${p.partition} ISR`).toBe(p.replicas.length);
      const hw = Math.min(...p.replicas.map((x) => x.highWatermark));
      const ref = p.replicas[0]!;
      for (const x of p.replicas) expect(x.values.slice(0, hw - x.logStartOffset)).toEqual(ref.values.slice(0, hw - ref.logStartOffset));
    }
  });
});

describe("world input validation", () => {
  it("refuses a fault naming a broker that does not exist", () => {
    const s = buildScenario({ faults: [{ atMs: 1, action: { kind: "kill", target: { broker: 9 } } }] });
    expect(() => runScenario(s)).toThrow(/no broker 9; brokers are 1\.\.3/);
  });
  it("refuses a replication factor above the broker count", () => {
    const s = buildScenario({ brokers: 2, topics: [{ name: "t", "replication.factor": 3 }] });
    expect(() => runScenario(s)).toThrow(/replication.factor 3 is larger than the number of brokers \(2\)/);
  });
  it("refuses a producer on an unknown topic", () => {
    const s = buildScenario({ producers: [{ id: "p1", topic: "nope" }] });
    expect(() => runScenario(s)).toThrow(/unknown topic "nope"/);
  });
});

describe("acks=0 after a leader failover", () => {
  it("the producer follows the new leader: a broker closes the connection after a produce error (KafkaApis)", () => {
    const s = buildScenario({
      seed: 3,
      durationMs: 8000,
      drainMs: 20_000,
      broker: { "zookeeper.session.timeout.ms": 2000 },
      producers: [{ id: "p1", topic: "orders", ratePerSec: 100, config: { acks: 0, "enable.idempotence": false } }],
      // Isolated, then healed: the old leader is alive but no longer leads; nobody resets the producer's connection.
      faults: [
        { atMs: 2000, action: { kind: "isolate", target: { leaderOf: "orders-0" } } },
        { atMs: 5000, action: { kind: "heal" } },
      ],
    });
    const r = runScenario(s);
    const p = r.final.partitions.find((x) => x.topic === "orders")!;
    const leader = p.replicas.find((x) => x.broker === p.leader)!;
    const inLog = new Set(leader.values);
    // Sends made well after the failover (session expiry at ~4 s, election, metadata refresh) are in the log.
    const late = r.history.filter((o) => o.f === "send" && o.type === "invoke" && o.timeUs > 6_000_000).map((o) => (o.f === "send" ? o.value.value : -1));
    expect(late.length).toBeGreaterThan(100);
    expect(late.filter((v) => inLog.has(v)).length).toBe(late.length);
  });
});
