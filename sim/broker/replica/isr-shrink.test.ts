// ISR shrink when followers' fetches are lost (facts 4, 6, 7, 9), on the real cluster (coordinator, controller,
// AlterPartition). Partition.getOutOfSyncReplicas / isFollowerOutOfSync: a follower is out of sync when its LEO
// differs from the leader's AND it has not caught up for replica.lag.time.max.ms; checked every lag/2.
import { describe, it, expect } from "vitest";
import { RealCluster } from "../testkit.ts";
import { brokerNode } from "../../core/ids.ts";
import type { Partition } from "./partition.ts";

const LAG_MS = 1000;
const CONFIG = { "zookeeper.session.timeout.ms": 6000, "replica.lag.time.max.ms": LAG_MS, "replica.fetch.backoff.ms": 100 } as const;

interface Setup {
  readonly c: RealCluster;
  readonly leader: number;
  readonly controller: number;
  readonly followers: number[];
  part(b: number): Partition;
  /** acks=1 writes to the leader every 20 ms from now on (its LEO keeps moving). */
  writeSteadily(ms: number): void;
}

function setup(lagMs = LAG_MS): Setup {
  const c = new RealCluster({ broker: { ...CONFIG, "replica.lag.time.max.ms": lagMs } }).start();
  const leader = c.leaderOf() as number;
  const controller = c.zk.controller() as number;
  const followers = c.brokerIds.filter((b) => b !== leader);
  let v = 0;
  return {
    c,
    leader,
    controller,
    followers,
    part: (b) => c.broker(b)?.replicas.partitions.get("t-0") as Partition,
    writeSteadily(ms) {
      const t0 = c.rt.nowUs;
      for (let t = 0; t < ms; t += 20) c.rt.call(t0 + t * 1000, () => void c.produce(leader, [v++], { acks: 1 }));
    },
  };
}

function dropFetches(s: Setup, from: readonly number[]): void {
  const to = s.c.rt.index(brokerNode(s.leader));
  for (const f of from) s.c.rt.network.blockOneWay(s.c.rt.index(brokerNode(f)), to);
}

describe("ISR shrink on lost follower fetches", () => {
  it("the leader removes a follower whose fetches are lost within 1.5 × replica.lag.time.max.ms", () => {
    const s = setup();
    const lost = s.followers.find((f) => f !== s.controller) as number;
    s.writeSteadily(4000);
    s.c.run(500);
    dropFetches(s, [lost]);
    s.c.run(LAG_MS * 1.5 + 100);
    expect(s.part(s.leader).isr).not.toContain(lost);
    expect(s.c.zk.partitionState("t", 0)?.isr).not.toContain(lost);
    expect(s.part(s.leader).isr).toContain(s.leader);
  });

  it("... but not within the lag time (acks1-leader-crash relies on a lag longer than the run)", () => {
    const s = setup(30_000);
    s.writeSteadily(4000);
    s.c.run(500);
    dropFetches(s, s.followers);
    s.c.run(3000);
    expect([...(s.c.zk.partitionState("t", 0)?.isr ?? [])].sort()).toEqual([1, 2, 3]);
    expect([...s.part(s.leader).isr].sort()).toEqual([1, 2, 3]);
  });

  it("when the controller is one of the cut-off followers its answer is lost: the shrink is applied but stays pending on the leader, whose HW waits (fact 4)", () => {
    const s = setup();
    s.writeSteadily(4000);
    s.c.run(500);
    dropFetches(s, s.followers);
    const hwAtCut = s.part(s.leader).hw;
    s.c.run(LAG_MS * 1.5 + 100);
    expect(s.followers).toContain(s.controller);
    expect(s.c.zk.partitionState("t", 0)?.isr).toEqual([s.leader]);
    const p = s.part(s.leader);
    expect(p.pendingIsr).not.toBeNull(); // AlterPartition answer not received (re-sent after the controller socket timeout)
    expect(p.isr.length).toBe(3);
    expect(p.hw).toBeLessThanOrEqual(hwAtCut + 60); // at most what the followers had fetched before the cut
    expect(p.leo).toBeGreaterThan(p.hw + 50);
  });

  it("an idle leader keeps a silent follower in the ISR (its LEO equals the leader's: isFollowerOutOfSync)", () => {
    const s = setup();
    const lost = s.followers.find((f) => f !== s.controller) as number;
    s.c.produce(s.leader, [1, 2, 3]);
    s.c.run(200);
    dropFetches(s, [lost]);
    s.c.run(LAG_MS * 3);
    expect(s.part(s.leader).isr).toContain(lost);
    // a write makes the silent follower lag: out within the lag time plus one check period
    s.c.produce(s.leader, [4], { acks: 1 });
    s.c.run(LAG_MS * 1.5 + 100);
    expect(s.part(s.leader).isr).not.toContain(lost);
  });
});

describe("a follower cut off entirely (isolate)", () => {
  it("the controller removes it when its session expires (bumping the leader epoch, fact 9/10); the leader's own pending shrink at the old epoch is then rightly answered FENCED_LEADER_EPOCH and it leads on at the new epoch", () => {
    const s = setup();
    s.c.run(10); // let the cluster settle on its controller
    const cut = s.controller; // a follower here: the leader's AlterPartition cannot reach it
    expect(s.followers).toContain(cut);
    s.writeSteadily(12_000);
    s.c.run(500);
    const epochBefore = s.part(s.leader).leaderEpoch;
    s.c.rt.network.isolate(s.c.rt.index(brokerNode(cut)));
    s.c.run(LAG_MS * 1.5 + 100);
    expect(s.part(s.leader).pendingIsr).not.toBeNull(); // the shrink waits for a controller that cannot answer
    s.c.run(8000); // session timeout 6 s: the cut broker's session expires, another broker becomes controller
    const st = s.c.zk.partitionState("t", 0);
    expect(st?.isr).not.toContain(cut);
    expect(st?.leader).toBe(s.leader);
    expect(st?.leaderEpoch).toBeGreaterThan(epochBefore);
    const rejected = s.c.rt.trace.events.filter((e) => e.type === "isr-change-rejected" && e.broker === s.leader);
    expect(rejected.map((e) => (e as { reason: string }).reason)).toContain("FENCED_LEADER_EPOCH");
    const p = s.part(s.leader);
    expect(p.isLeader && !p.fenced).toBe(true);
    expect(p.leaderEpoch).toBe(st?.leaderEpoch);
    const corr = s.c.produce(s.leader, [999_999]);
    s.c.run(200);
    expect(s.c.produceResult(corr)?.error).toBe("NONE");
  });
});
