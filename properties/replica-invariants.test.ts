// Directed runs of the replica invariants' monitor (properties/replica-invariants.ts) on the real cluster: the
// situations a rule exists for, built with the real controller and coordinator, the invariants checked before
// every event. Each rule also has its own test on the replica manager with the scripted controller
// (sim/broker/replica/*.test.ts); these are the second, independent level.
import { describe, it, expect } from "vitest";
import { RealCluster } from "../sim/broker/testkit.ts";
import { brokerNode } from "../sim/core/ids.ts";
import { expireSession } from "../sim/coordinator/coordinator.ts";
import type { Partition } from "../sim/broker/replica/partition.ts";
import { ReplicaInvariants } from "./replica-invariants.ts";

const T0 = [{ topic: "t", partition: 0, key: "t-0" }];
const FAST = { "zookeeper.session.timeout.ms": 2000, "replica.lag.time.max.ms": 500, "replica.fetch.wait.max.ms": 100, "replica.fetch.backoff.ms": 50, "replica.socket.timeout.ms": 1000 } as const;

interface Setup {
  readonly c: RealCluster;
  readonly inv: ReplicaInvariants;
  readonly node: (b: number) => number;
  part(b: number): Partition;
  /** acks=1 writes to broker `to` every 5 ms for `ms`. */
  writeSteadily(to: number, ms: number): void;
}

function setup(c: RealCluster): Setup {
  const rt = c.rt;
  let v = 0;
  return {
    c,
    inv: new ReplicaInvariants(c, T0),
    node: (b) => rt.index(brokerNode(b)),
    part: (b) => c.broker(b)?.replicas.partitions.get("t-0") as Partition,
    writeSteadily(to, ms) {
      const t0 = rt.nowUs;
      for (let t = 0; t < ms; t += 5) rt.call(t0 + t * 1000, () => void c.produce(to, [v++], { acks: 1, timeoutMs: 1000 }));
    },
  };
}

describe("maximal ISR on the real controller (fact 4)", () => {
  it("while an expansion waits for the controller's answer, the HW waits for the joining replica: no committed record is missing from a member of the controller's ISR", () => {
    // 4 brokers, t-0 on 3, 2, 4; broker 1 is the controller and holds no replica, so its answers can be held
    // without holding any fetch.
    const s = setup(new RealCluster({ seed: 3, brokers: 4, topics: [{ name: "t", rf: 3 }], broker: FAST }).start());
    const { c, inv, node } = s;
    const [ctl, leader, joining, other] = [1, 3, 4, 2];
    expect([c.zk.controller(), c.leaderOf(), c.zk.partitionState("t", 0)?.isr]).toEqual([ctl, leader, [3, 2, 4]]);
    s.writeSteadily(leader, 3000);
    c.rt.network.blockOneWay(node(joining), node(leader));
    c.rt.network.blockOneWay(node(leader), node(joining));
    inv.run(1500);
    expect(c.zk.partitionState("t", 0)?.isr).toEqual([leader, other]); // the cut-off follower left the ISR
    // It comes back over slower links (2 ms each way, the other follower's are 0.5 ms): it reaches the HW when no
    // write came in during its round trip, and then the controller's answers to the leader are held: its
    // expansion stays pending while the writes go on.
    c.rt.network.healNode(node(joining));
    c.rt.network.slow(node(joining), node(leader), 4);
    c.rt.network.slow(node(leader), node(joining), 4);
    c.rt.network.hold(node(ctl), node(leader));
    const hwBefore = s.part(leader).hw;
    inv.run(500);
    expect(inv.violations).toEqual([]);
    const p = s.part(leader);
    expect(c.zk.partitionState("t", 0)?.isr).toEqual([leader, other, joining]); // the controller applied it...
    expect(p.pendingIsr).not.toBeNull(); // ... the leader does not know yet
    expect(p.isr).toEqual([leader, other]);
    expect(p.hw).toBeGreaterThan(hwBefore + 50); // the writes went on being committed meanwhile
    c.rt.network.release(node(ctl), node(leader));
    inv.run(500);
    expect(inv.violations).toEqual([]);
    expect(p.isr).toEqual([leader, other, joining]);
  });
});

describe("ISR expansion after a leader change (fact 8, KAFKA-7128)", () => {
  it("a follower rejoins only at the new leader's epoch start, not at its lagging HW: every member of the controller's ISR keeps every committed record", () => {
    // 3.7 with min.insync.replicas=2: a new leader alone in the ISR does not advance its HW (KAFKA-15583), so
    // it keeps the HW it had as a follower, one round trip behind the old leader's.
    const s = setup(new RealCluster({ seed: 3, brokers: 4, topics: [{ name: "t", rf: 3 }], broker: { ...FAST, "min.insync.replicas": 2 } }).start());
    const { c, inv, node } = s;
    const [leader, next, lagging] = [3, 2, 4];
    expect([c.zk.controller(), c.leaderOf(), c.zk.partitionState("t", 0)?.isr]).toEqual([1, leader, [3, 2, 4]]);
    c.produce(leader, Array.from({ length: 20 }, (_, i) => i), { acks: 1 });
    inv.run(100);
    // the lagging follower is cut off from the leader, misses 5 writes and leaves the ISR with 20 records
    c.rt.network.blockOneWay(node(lagging), node(leader));
    c.rt.network.blockOneWay(node(leader), node(lagging));
    c.produce(leader, [20, 21, 22, 23, 24], { acks: 1 });
    inv.run(1000);
    expect(c.zk.partitionState("t", 0)?.isr).toEqual([leader, next]);
    expect([s.part(leader).hw, c.values(lagging).length]).toEqual([25, 20]);
    // A burst larger than a fetch response: `next` takes the first 10,000 records (its HW stays 25) and asks for
    // more from 10,025, which makes the leader's HW 10,025; that answer is held, and the leader dies.
    c.produce(leader, Array.from({ length: 12_000 }, (_, i) => 1000 + i), { acks: 1 });
    expect(inv.runUntil(() => s.part(next).leo === 10_025, 200)).toBe(true);
    c.rt.network.hold(node(leader), node(next));
    expect(inv.runUntil(() => s.part(leader).hw === 10_025, 200)).toBe(true);
    c.rt.kill(brokerNode(leader));
    expireSession(c.rt, leader);
    c.rt.network.healNode(node(lagging));
    c.rt.network.slow(node(next), node(lagging), 20); // the new leader's answers take 10 ms to reach it
    expect(inv.runUntil(() => s.part(next).isLeader, 1000)).toBe(true);
    const p = s.part(next);
    expect([p.hw, p.epochStartOffset, p.isr]).toEqual([25, 10_025, [next]]);
    // The lagging follower catches up from 20: after one capped fetch it is at 10,020, past the HW but not at the
    // epoch start, so it does not rejoin yet (with only the HW condition it would, without records 10,020 to
    // 10,024, committed by the dead leader); it rejoins at 10,025.
    inv.run(1000);
    expect(inv.violations).toEqual([]);
    expect(c.zk.partitionState("t", 0)?.isr).toEqual([next, lagging]);
    const joined = c.rt.trace.events.flatMap((e) => (e.type === "isr-expand" && e.tp === "t-0" && e.added.includes(lagging) ? [e] : []));
    expect(joined).toHaveLength(1);
    expect(p.hw).toBe(10_025);
    expect(c.values(lagging)).toEqual(c.values(next));
  });
});
