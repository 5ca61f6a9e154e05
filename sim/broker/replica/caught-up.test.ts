// A follower's caught-up time on the leader (fact 6; Replica.updateFetchStateOrThrow, Replica.resetReplicaState,
// Partition.getOutOfSyncReplicas): lastCaughtUpTime = max(itself, this fetch's time) when the fetch reaches the
// leader's LEO, max(itself, the previous fetch's time) when it reaches the leader's LEO at the previous fetch,
// else unchanged; a follower whose LEO differs from the leader's is out of sync once that time is more than
// replica.lag.time.max.ms ago. A new leader epoch resets it to "now" for ISR members; a re-elected leader keeps
// the followers' LEOs.
import { describe, it, expect } from "vitest";
import { Kit, CTL } from "../testkit.ts";
import { brokerNode } from "../../core/ids.ts";
import type { Partition } from "./partition.ts";
import { msToUs, usToMs } from "../../core/time.ts";
import type { TimeUs } from "../../core/time.ts";

function followerFetch(k: Kit, replicaId: number, fetchOffset: number, leader = 1): void {
  k.followerFetch(replicaId, fetchOffset, leader);
}

const lastFetchLeaderLeo = (p: Partition, id: number): number => p.lastFetchLeaderLeo[p.followerIndex(id)] as number;
const shrinkTimes = (k: Kit, removed: number): number[] =>
  k.rt.trace.events.filter((e) => e.type === "isr-shrink" && e.removed.includes(removed)).map((e) => e.timeUs);

/** Leader 1 takes an acks=1 write every 20 ms; broker 3 is cut off and replaced by hand-written fetches every
 *  100 ms at (the leader's LEO at the previous fetch) + `offsetDelta`. Returns the time 3 was cut off. */
function slowFollower(k: Kit, offsetDelta: number, ms: number): number {
  const t0 = k.nowUs;
  let v = 0;
  for (let t = 0; t < ms; t += 20) k.rt.call(t0 + t * 1000, () => void k.produce(1, [v++], { acks: 1 }));
  k.run(300);
  const cut = k.nowUs;
  k.isolate(3, [CTL]);
  const p = k.part(1);
  for (let t = 300; t < ms; t += 100) {
    followerFetch(k, 3, Math.max(0, lastFetchLeaderLeo(p, 3) + offsetDelta));
    k.run(100);
  }
  return cut;
}

describe("a follower's caught-up time (Replica.updateFetchStateOrThrow)", () => {
  const LAG_MS = 2000;

  it("a slow follower that keeps fetching but stays behind the leader's LEO of its previous fetch is removed after replica.lag.time.max.ms", () => {
    const k = new Kit({ broker: { "replica.lag.time.max.ms": LAG_MS } }).start();
    const cut = slowFollower(k, -1, 6000);
    expect(k.part(1).leo).toBeGreaterThan(250);
    const at = shrinkTimes(k, 3);
    expect(at).toHaveLength(1);
    // last caught up just before the cut: out of sync after the lag, noticed at the next check (every lag/2)
    expect((at[0] as number) - cut).toBeGreaterThan((LAG_MS - 50) * 1000);
    expect((at[0] as number) - cut).toBeLessThanOrEqual((LAG_MS * 1.5 + 50) * 1000);
    expect(k.ctl.parts.get("t-0")?.isr).toEqual([1, 2]);
  });

  it("... but one that reaches the leader's LEO of its previous fetch stays in sync although never at the LEO", () => {
    const k = new Kit({ broker: { "replica.lag.time.max.ms": LAG_MS } }).start();
    slowFollower(k, 0, 6000);
    expect(shrinkTimes(k, 3)).toEqual([]);
    expect(k.ctl.parts.get("t-0")?.isr).toEqual([1, 2, 3]);
  });

  it("an in-sync follower that is behind a new leader is not removed before replica.lag.time.max.ms (resetReplicaState: caught up at the election)", () => {
    const LAG = 10_000; // checked every 5 s
    const k = new Kit({ broker: { "replica.lag.time.max.ms": LAG } }).start();
    k.isolate(3, [CTL]); // 3 misses the writes but stays in the ISR (the lag is long)
    k.produce(1, [1, 2, 3], { acks: 1 });
    k.run(50);
    expect(k.values(2)).toEqual([1, 2, 3]);
    k.kill(1);
    k.heal();
    // 3's fetches reach the new leader 2, the answers do not: 3 fetches once, at offset 0 < the leader's LEO 3.
    k.rt.network.blockOneWay(k.rt.index(brokerNode(2)), k.rt.index(brokerNode(3)));
    k.ctl.failBroker(1); // leader 2 at epoch 1, ISR [2, 3]
    const elected = k.nowUs;
    k.run(5);
    const p = k.part(2);
    expect(p.isLeader).toBe(true);
    expect(p.followerLeo[p.followerIndex(3)]).toBe(0);
    k.run(LAG - 500); // at least one ISR check has run
    expect(shrinkTimes(k, 3)).toEqual([]);
    expect(p.isr).toEqual([2, 3]);
    k.run(LAG);
    const at = shrinkTimes(k, 3);
    expect(at).toHaveLength(1);
    expect((at[0] as number) - elected).toBeGreaterThan(LAG * 1000);
    expect(k.ctl.parts.get("t-0")?.isr).toEqual([2]);
  });

  it("a re-elected leader keeps its followers' LEOs: the HW moves at once when the controller drops a lagging replica", () => {
    const k = new Kit({ broker: { "replica.fetch.wait.max.ms": 500 } }).start();
    k.isolate(3, [CTL]); // in the ISR, never fetches: holds the HW at 0
    const c = k.produce(1, [1, 2, 3]);
    k.run(50);
    expect(k.values(2)).toEqual([1, 2, 3]);
    expect(k.part(1).hw).toBe(0);
    k.kill(3);
    k.ctl.failBroker(3); // the same leader at epoch 1 with ISR [1, 2]; 2's fetch is parked at the leader
    k.run(5);
    expect(k.part(1).leaderEpoch).toBe(1);
    expect(k.part(1).hw).toBe(3);
    expect(k.produceResult(c)).toEqual({ error: "NONE", baseOffset: 0 });
  });
});

describe("the out-of-sync boundary (Partition.isFollowerOutOfSync: now - lastCaughtUpTime > replica.lag.time.max.ms)", () => {
  const LAG_MS = 1000; // the leader checks every lag/2 = 500 ms from its start at t = 0
  const CHECK_US = msToUs(LAG_MS / 2);

  /** Broker 3 is cut off; one hand-written fetch at the leader's LEO lands at `caughtUpUs` (the latency is a
   *  constant 0.5 ms), then a write makes 3 lag. Returns the times of the shrinks that removed 3. */
  function caughtUpAt(caughtUpUs: number): { k: Kit; shrinks: number[] } {
    const k = new Kit({ broker: { "replica.lag.time.max.ms": LAG_MS } }).start();
    k.isolate(3, [CTL]);
    k.rt.call((caughtUpUs - msToUs(0.5)) as TimeUs, () => void followerFetch(k, 3, k.part(1).leo));
    k.rt.call((caughtUpUs + msToUs(10)) as TimeUs, () => void k.produce(1, [1], { acks: 1 }));
    k.run(usToMs(caughtUpUs) + LAG_MS * 2);
    return { k, shrinks: shrinkTimes(k, 3) };
  }

  it("a follower last caught up exactly replica.lag.time.max.ms before a check is still in sync at it", () => {
    const caughtUp = 2 * CHECK_US; // at a check: the check at caughtUp + lag is exactly at the boundary
    const { k, shrinks } = caughtUpAt(caughtUp);
    const p = k.part(1);
    expect(p.lastCaughtUpUs[p.followerIndex(3)]).toBe(caughtUp);
    // removed by the next check (+ 1 ms for the AlterPartition round trip), not by the one at the boundary
    expect(shrinks).toEqual([caughtUp + msToUs(LAG_MS) + CHECK_US + msToUs(1)]);
  });

  it("... and out of sync at it when caught up one microsecond earlier", () => {
    const caughtUp = 2 * CHECK_US - 1;
    const { k, shrinks } = caughtUpAt(caughtUp);
    const p = k.part(1);
    expect(p.lastCaughtUpUs[p.followerIndex(3)]).toBe(caughtUp);
    expect(shrinks).toEqual([caughtUp + 1 + msToUs(LAG_MS) + msToUs(1)]);
  });

  it("Partition.outOfSyncFollowers itself: in at exactly the lag, out one microsecond past it", () => {
    const { k } = caughtUpAt(2 * CHECK_US);
    const p = k.part(1);
    const lagUs = msToUs(LAG_MS);
    // the state as it stood before the shrink: 3 in the ISR, behind the leader's LEO, caught up at 1 s
    p.isr = [1, 2, 3];
    expect(p.followerLeo[p.followerIndex(3)]).toBe(0);
    expect(p.leo).toBe(1);
    expect(p.outOfSyncFollowers(2 * CHECK_US + lagUs, lagUs)).toEqual([]);
    expect(p.outOfSyncFollowers(2 * CHECK_US + lagUs + 1, lagUs)).toEqual([3]);
  });
});
