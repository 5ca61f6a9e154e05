import { describe, it, expect } from "vitest";
import { assignReplicas, assignReplicasToBrokers } from "./assignment.ts";
import { Rng } from "../core/rng.ts";
import { SimInputError } from "../core/errors.ts";
import type { TopicSpec } from "../scenario/types.ts";

const topic = (name: string, partitions: number, rf: number): TopicSpec => ({ name, partitions, "replication.factor": rf, config: {} });

describe("replica assignment (AdminUtils.assignReplicasToBrokers, rack unaware)", () => {
  it("matches Kafka's AdminTest.testReplicaAssignment for 5 brokers, 10 partitions, RF 3, fixedStartIndex 0", () => {
    // core/src/test/scala/unit/kafka/admin/AdminTest.scala: expectedAssignment
    const expected = [
      [0, 1, 2],
      [1, 2, 3],
      [2, 3, 4],
      [3, 4, 0],
      [4, 0, 1],
      [0, 2, 3],
      [1, 3, 4],
      [2, 4, 0],
      [3, 0, 1],
      [4, 1, 2],
    ];
    expect(assignReplicasToBrokers(10, 3, [0, 1, 2, 3, 4], 0, 0)).toEqual(expected);
  });

  it("rejects a replication factor above the broker count (InvalidReplicationFactorException)", () => {
    expect(() => assignReplicasToBrokers(3, 4, [1, 2, 3], 0, 0)).toThrow(SimInputError);
    expect(() => assignReplicasToBrokers(0, 1, [1, 2, 3], 0, 0)).toThrow(SimInputError);
  });

  it("spreads leaders and replicas evenly and never puts two replicas of a partition on one broker", () => {
    const a = assignReplicas({ brokers: [1, 2, 3], topics: [topic("t", 6, 3), topic("u", 9, 2)], rng: new Rng(7).fork("assignment") });
    expect(a.size).toBe(15);
    const leaders = new Map<number, number>();
    const replicas = new Map<number, number>();
    for (const [key, rs] of a) {
      expect(new Set(rs).size).toBe(rs.length);
      expect(rs.length).toBe(key.startsWith("t-") ? 3 : 2);
      leaders.set(rs[0] as number, (leaders.get(rs[0] as number) ?? 0) + 1);
      for (const r of rs) replicas.set(r, (replicas.get(r) ?? 0) + 1);
    }
    // 15 partitions over 3 brokers: 2 + 3 preferred leaders each; 18 + 18 replicas → 12 each.
    expect([...leaders.values()].sort()).toEqual([5, 5, 5]);
    expect([...replicas.values()].sort()).toEqual([12, 12, 12]);
  });

  it("is deterministic per seed and the start index depends on the seed", () => {
    const run = (seed: number) => [...assignReplicas({ brokers: [1, 2, 3, 4, 5], topics: [topic("t", 5, 3)], rng: new Rng(seed).fork("assignment") }).values()];
    expect(run(1)).toEqual(run(1));
    const firsts = new Set<number>();
    for (let s = 0; s < 20; s++) firsts.add((run(s)[0] as number[])[0] as number);
    expect(firsts.size).toBeGreaterThan(1);
  });
});
