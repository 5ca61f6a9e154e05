// Clients against the real brokers, controller and coordinator (sim/world.ts).
import { describe, it, expect } from "vitest";
import { buildScenario } from "../scenario/defaults.ts";
import { runScenario } from "../world.ts";
import { offsetsPartitionFor } from "../broker/group/partition.ts";
import type { ProcessValue, SendValue } from "../history.ts";
import type { RunResult } from "../result.ts";

function leaderValues(r: RunResult, topic: string): number[] {
  const out: number[] = [];
  for (const p of r.final.partitions) {
    if (p.topic !== topic) continue;
    const rep = p.replicas.find((x) => x.broker === p.leader) ?? p.replicas[0];
    if (rep) out.push(...rep.values.slice(0, rep.highWatermark - rep.logStartOffset));
  }
  return out;
}

describe("clients on the real cluster", () => {
  it("every acknowledged record is consumed; committed offsets reach the log end", () => {
    const r = runScenario(
      buildScenario({
        seed: 11,
        durationMs: 3000,
        drainMs: 4000,
        broker: { "group.initial.rebalance.delay.ms": 0 },
        topics: [{ name: "orders", partitions: 2 }],
        producers: [{ id: "p1", topic: "orders", ratePerSec: 50 }],
        consumers: [{ group: "g1", members: 2, topics: ["orders"], config: { "auto.offset.reset": "earliest", "enable.auto.commit": false } }],
      }),
    );
    const acked = r.history.filter((o) => o.f === "send" && o.type === "ok").map((o) => (o.value as SendValue).value);
    expect(acked.length).toBeGreaterThan(100);
    const processed = new Set(r.history.filter((o) => o.f === "process" && o.type === "ok").map((o) => (o.value as ProcessValue).value));
    for (const v of acked) expect(processed.has(v)).toBe(true);
    const committed = r.final.committedOffsets.filter((c) => c.group === "g1" && c.topic === "orders");
    expect(committed.reduce((a, c) => a + c.offset, 0)).toBe(leaderValues(r, "orders").length);
  });

  it("the group coordinator's broker dies: the group moves to the new leader of its offsets partition and goes on", () => {
    const gp = offsetsPartitionFor("g1", 50);
    const r = runScenario(
      buildScenario({
        seed: 5,
        durationMs: 10_000,
        drainMs: 6000,
        broker: { "zookeeper.session.timeout.ms": 3000 },
        topics: [{ name: "orders", partitions: 2 }],
        producers: [{ id: "p1", topic: "orders", ratePerSec: 20 }],
        consumers: [{ group: "g1", members: 2, topics: ["orders"], config: { "auto.offset.reset": "earliest", "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000 } }],
        faults: [{ atMs: 5000, action: { kind: "kill", target: { leaderOf: `__consumer_offsets-${gp}` } } }],
      }),
      { record: true },
    );
    const acked = r.history.filter((o) => o.f === "send" && o.type === "ok").map((o) => (o.value as SendValue).value);
    const processed = new Set(r.history.filter((o) => o.f === "process" && o.type === "ok").map((o) => (o.value as ProcessValue).value));
    for (const v of acked) expect(processed.has(v)).toBe(true);
    const moved = r.trace.filter((e) => e.type === "leader-elected" && e.tp === `__consumer_offsets-${gp}`);
    expect(moved.length).toBeGreaterThanOrEqual(2);
    // The group's metadata was loaded by the new coordinator: no second rebalance, commits succeed after the move.
    expect(r.trace.filter((e) => e.type === "rebalance").length).toBe(1);
    const movedAtUs = (moved[1] as { timeUs: number }).timeUs;
    expect(r.history.some((o) => o.f === "commit" && o.type === "ok" && o.timeUs > movedAtUs)).toBe(true);
  });
});

describe("producer retries on the real cluster (fact 18, 19)", () => {
  /** Responses from the leader of orders-0 to p1 are lost for 2 s: appended, unacknowledged, retried. */
  const run = (idempotent: boolean): RunResult =>
    runScenario(
      buildScenario({
        seed: 21,
        protocol: "3.7", // the fault at 1 s assumes the ZooKeeper-era start (leaders within ~0.1 s)
        durationMs: 5000,
        drainMs: 5000,
        topics: [{ name: "orders", partitions: 1 }],
        producers: [{ id: "p1", topic: "orders", ratePerSec: 50, config: { "enable.idempotence": idempotent, "request.timeout.ms": 500, "retry.backoff.ms": 100 } }],
        faults: [
          { atMs: 1000, action: { kind: "partition-oneway", from: [{ leaderOf: "orders-0" }], to: [{ client: "p1" }] } },
          { atMs: 3000, action: { kind: "heal" } },
        ],
      }),
      { record: true },
    );
  const dupCount = (values: readonly number[]): number => values.length - new Set(values).size;
  /** Every occurrence of a value after its first, sorted. */
  const copies = (values: readonly number[]): number[] => {
    const seen = new Set<number>();
    const out: number[] = [];
    for (const v of values) {
      if (seen.has(v)) out.push(v);
      else seen.add(v);
    }
    return out.sort((a, b) => a - b);
  };

  it("without idempotence, lost responses and retries write duplicates: each retry of an appended batch writes its records once more", () => {
    const r = run(false);
    const retried = r.trace.flatMap((e) => (e.type === "produce-retry" ? e.values : [])).sort((a, b) => a - b);
    // the five batches in flight (values 0–9) time out and are retried five times each before the heal
    expect(retried.length).toBe(50);
    expect(new Set(retried)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(copies(leaderValues(r, "orders"))).toEqual(retried);
  });

  it("with idempotence, the same faults write every record once, in order", () => {
    const r = run(true);
    const values = leaderValues(r, "orders");
    expect(dupCount(values)).toBe(0);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    const acked = r.history.filter((o) => o.f === "send" && o.type === "ok").length;
    expect(acked).toBe(values.length);
  });
});
