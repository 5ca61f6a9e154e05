// Scenario tests on the real cluster (ZooKeeper-like coordinator, controller, brokers): documented Kafka
// behaviour end to end. Sources: KIP-106 / PartitionStateMachine.offlinePartitionLeaderElection (unclean
// election loses acknowledged writes), fact 9 (a leader cut off from ZooKeeper is fenced), fact 27 (kill vs power).
import { describe, it, expect } from "vitest";
import { RealCluster } from "./testkit.ts";
import { brokerNode } from "../core/ids.ts";
import { expireSession } from "../coordinator/coordinator.ts";

const FAST = { "zookeeper.session.timeout.ms": 6000, "replica.lag.time.max.ms": 2000 } as const;

/** Acknowledge a write while the ISR is the leader alone, then lose the leader. */
function isrOfOneThenLeaderDies(unclean: boolean): { acked: boolean; isrAtAck: number[]; leaderAfter: number | null; everywhere: boolean; anywhere: boolean } {
  const c = new RealCluster({ broker: FAST, topics: [{ name: "t", config: { "unclean.leader.election.enable": unclean } }] }).start();
  const leader = c.leaderOf() as number;
  const followers = c.brokerIds.filter((b) => b !== leader);
  for (const f of followers) c.rt.pause(brokerNode(f));
  c.run(10_000); // their sessions expire: the controller removes them from the ISR
  const isrAtAck = c.zk.partitionState("t", 0)?.isr ?? [];
  const p = c.produce(leader, [42]);
  c.run(50);
  const acked = c.produceResult(p)?.error === "NONE";
  c.rt.kill(brokerNode(leader));
  for (const f of followers) c.rt.resume(brokerNode(f));
  c.run(15_000); // the followers re-register; the leader's session expires
  const leaderAfter = c.leaderOf();
  c.rt.restart(brokerNode(leader));
  c.run(20_000);
  const logs = c.brokerIds.map((b) => c.values(b));
  return { acked, isrAtAck, leaderAfter, everywhere: logs.every((l) => l.includes(42)), anywhere: logs.some((l) => l.includes(42)) };
}

describe("scenarios on the real cluster", () => {
  it("an acks=all write acknowledged while ISR = {leader} is lost after an unclean election", () => {
    const r = isrOfOneThenLeaderDies(true);
    expect(r.isrAtAck.length).toBe(1);
    expect(r.acked).toBe(true);
    expect(r.leaderAfter).not.toBeNull();
    expect(r.anywhere).toBe(false);
  });

  it("... and survives a clean one (the partition waits offline for its last in-sync replica)", () => {
    const r = isrOfOneThenLeaderDies(false);
    expect(r.acked).toBe(true);
    expect(r.leaderAfter).toBeNull();
    expect(r.everywhere).toBe(true);
  });

  it("a leader cut off from the coordinator and its followers cannot get an acks=all write acknowledged", () => {
    const c = new RealCluster({ broker: FAST }).start();
    const leader = c.leaderOf() as number;
    const idx = c.rt.index(brokerNode(leader));
    for (const id of c.rt.ids) {
      if (id === brokerNode(leader) || id === "client") continue;
      c.rt.network.blockOneWay(idx, c.rt.index(id));
      c.rt.network.blockOneWay(c.rt.index(id), idx);
    }
    const corrs: number[] = [];
    for (let i = 0; i < 20; i++) {
      corrs.push(c.produce(leader, [i], { timeoutMs: 5000 }));
      c.run(500);
    }
    c.run(6000);
    const errors = corrs.map((k) => c.produceResult(k)?.error);
    expect(errors.every((e) => e === "REQUEST_TIMED_OUT" || e === "NOT_LEADER_OR_FOLLOWER")).toBe(true);
    expect(c.leaderOf()).not.toBe(leader);
    const newLeader = c.leaderOf() as number;
    c.rt.network.healAll();
    c.run(5000);
    expect(c.values(newLeader)).toEqual([]);
    expect(c.values(leader)).toEqual([]); // the zombie's appends were truncated away
  });

  it("liveness: after faults heal, every partition has a leader and a full ISR, and replicas agree up to the HW", () => {
    // fsync on every message: an unflushed power loss of a leader may legitimately break log agreement (fact 27)
    const c = new RealCluster({ broker: { ...FAST, "log.flush.interval.messages": 1 }, topics: [{ name: "t", partitions: 3 }] }).start();
    let v = 0;
    const t0 = c.rt.nowUs;
    // a steady acks=1 writer to the current leaders
    for (let ms = 0; ms < 40_000; ms += 20) {
      c.rt.call(t0 + ms * 1000, () => {
        for (let p = 0; p < 3; p++) {
          const l = c.leaderOf("t", p);
          if (l !== null && c.rt.status(brokerNode(l)) === "up") c.produce(l, [v++], { acks: 1, partition: p });
        }
      });
    }
    const at = (ms: number, f: () => void): void => void c.rt.call(t0 + ms * 1000, f);
    at(2000, () => c.rt.kill(brokerNode(1)));
    at(4000, () => c.rt.restart(brokerNode(1)));
    at(9000, () => c.rt.powerLoss(brokerNode(2)));
    at(12_000, () => c.rt.restart(brokerNode(2)));
    at(16_000, () => c.rt.pause(brokerNode(3)));
    at(24_000, () => c.rt.resume(brokerNode(3)));
    at(27_000, () => c.rt.network.isolate(c.rt.index(brokerNode(1))));
    at(35_000, () => c.rt.network.healAll());
    c.run(40_000 + 60_000);
    const final = c.final();
    for (const p of final) {
      expect(p.leader).not.toBeNull();
      expect([...p.isr].sort()).toEqual([1, 2, 3]);
      const lead = p.replicas.find((r) => r.broker === p.leader);
      expect(lead).toBeDefined();
      for (const r of p.replicas) {
        expect(r.alive).toBe(true);
        const upTo = Math.min(r.highWatermark, lead?.highWatermark ?? 0);
        expect(r.values.slice(0, upTo)).toEqual(lead?.values.slice(0, upTo));
        expect(r.logEndOffset).toBe(lead?.logEndOffset);
      }
    }
    expect(v).toBeGreaterThan(1000);
  });
});

describe("connections the controller drops (ControllerChannelManager.removeBroker / addBroker)", () => {
  it("a broker that comes back gets its leader-and-isr on a new connection, not behind the old one's retransmissions", () => {
    const c = new RealCluster({ broker: FAST }).start();
    const ctl = c.zk.controller() as number;
    const [b, other] = c.brokerIds.filter((x) => x !== ctl) as [number, number];
    const link = [c.rt.index(brokerNode(ctl)), c.rt.index(brokerNode(b))] as const;
    // The controller's link to b loses every transmission for 1.5 s: what the controller sends b (update-metadata
    // after `other` bounces) waits for retransmissions 0.2, 0.6, 1.4 and 3.0 s after the first loss.
    c.rt.network.flaky(link[0], link[1], 1);
    expireSession(c.rt, other);
    c.run(1500);
    c.rt.network.flaky(link[0], link[1], 0);
    const bouncedAtUs = c.rt.nowUs;
    expireSession(c.rt, b);
    c.run(300);
    const followed = c.rt.trace.events.flatMap((e) => (e.type === "become-follower" && e.broker === b && e.timeUs > bouncedAtUs ? [e] : []));
    // b led t-0; after its bounce the controller elects itself and b follows it, at once: well before the old
    // connection's next retransmission (3.0 s after its first loss), behind which a leader-and-isr would wait.
    expect(followed.map((e) => ({ tp: e.tp, leader: e.leader, leaderEpoch: e.leaderEpoch }))).toEqual([{ tp: "t-0", leader: ctl, leaderEpoch: 2 }]);
    expect((followed[0]?.timeUs ?? Infinity) - bouncedAtUs).toBeLessThan(200_000);
    // The 1.5 s of loss: both of the controller's connections to b (its control requests, its follower fetches)
    // lost their head message and retransmitted it at 0.2, 0.6 and 1.4 s; nothing was retransmitted since.
    expect(c.rt.network.stats.retransmitted).toBe(6);
  });
});

describe("a control request meant for a broker's earlier registration (KIP-380)", () => {
  it("an update-metadata the controller sent before the broker bounced, delivered late, is refused (STALE_BROKER_EPOCH)", () => {
    const c = new RealCluster({ broker: FAST }).start();
    const ctl = c.zk.controller() as number;
    const [b, other] = c.brokerIds.filter((x) => x !== ctl) as [number, number];
    const [ci, bi] = [c.rt.index(brokerNode(ctl)), c.rt.index(brokerNode(b))];
    const cache = (): readonly number[] => c.broker(b)?.replicas.liveBrokers ?? [];
    // `other` dies: the update-metadata telling b so is stuck in retransmission on the controller's lossy link.
    c.rt.network.flaky(ci, bi, 1);
    c.rt.kill(brokerNode(other));
    expireSession(c.rt, other);
    c.run(1500);
    c.rt.network.flaky(ci, bi, 0);
    c.rt.restart(brokerNode(other));
    // b bounces: the controller drops its connection (the stuck message drains on the old one) and sends the
    // current metadata on a new one, which arrives first.
    expireSession(c.rt, b);
    c.run(2000);
    expect(c.rt.network.stats.retransmitted).toBe(8); // the stuck requests were retransmitted, then drained late
    // both requests stuck on the old connection (the update-metadata, and the leader-and-isr after it) are refused
    expect(c.rt.trace.events.flatMap((e) => (e.type === "stale-request-rejected" && e.broker === b ? [e.request] : []))).toEqual(["update-metadata", "leader-and-isr"]);
    expect([...cache()].sort()).toEqual([...c.zk.liveBrokers()].sort());
  });
});
