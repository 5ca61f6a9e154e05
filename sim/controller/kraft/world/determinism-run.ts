// A whole KRaft 4.1 cluster under faults, as a fingerprint (trace hash, history and final logs): the fixture of
// kraft-determinism.test.ts, imported in this process, in a worker thread and in a new process.
import { buildScenario } from "../../../scenario/defaults.ts";
import { runScenario } from "../../../world.ts";

export interface KRaftFingerprint {
  readonly traceHash: string;
  readonly events: number;
  readonly history: string;
  readonly logs: string;
}

export function kraftFingerprint(seed: number): KRaftFingerprint {
  const scenario = buildScenario({
    seed,
    protocol: "4.1",
    durationMs: 6000,
    drainMs: 12_000,
    broker: { "min.insync.replicas": 2, "offsets.topic.num.partitions": 1, "group.initial.rebalance.delay.ms": 0, "replica.lag.time.max.ms": 2000 },
    topics: [{ name: "orders", partitions: 2, "replication.factor": 3 }],
    producers: [{ id: "p1", topic: "orders", ratePerSec: 200, config: { acks: "all" } }],
    consumers: [{ group: "g1", topics: ["orders"], members: 2 }],
    faults: [
      { atMs: 2000, action: { kind: "kill", target: { controller: true } } },
      { atMs: 2600, action: { kind: "power", target: { leaderOf: "orders-0" } } },
      { atMs: 3200, action: { kind: "partition", groups: [[{ broker: 2 }], [{ broker: 1 }, { broker: 3 }, { quorum: true }]] } },
      { atMs: 4500, action: { kind: "heal" } },
      { atMs: 4600, action: { kind: "restart", target: { controllerNode: 1 } } },
      { atMs: 4700, action: { kind: "restart", target: { broker: 1 } } },
    ],
  });
  const r = runScenario(scenario);
  return { traceHash: r.traceHash, events: r.events, history: JSON.stringify(r.history), logs: JSON.stringify(r.final) };
}
