// Truncation per protocol version (fact 13): 0.10 truncates to its HW (KIP-101's data loss), 0.11 asks the
// leader for its latest epoch's end offset (KIP-101; diverges after fast leader changes), 2.0 walks back epoch by
// epoch (KIP-279), 2.7 detects divergence in the fetch itself (KAFKA-10554), 3.7 holds the HW while the ISR is
// below min.insync.replicas (KAFKA-15583). AbstractFetcherThread.scala, LeaderEpochFileCache.java.
import { describe, it, expect } from "vitest";
import { Kit, CTL, CLIENT } from "../testkit.ts";
import type { ProtocolVersion } from "../../kafka/config.ts";
import type { BugSwitches } from "../../scenario/types.ts";

/** KIP-101 scenario 1: a follower restarts right after an acks=all write (its HW one round trip behind), then
 *  the leader dies and the follower is elected. */
function restartThenElect(protocol: ProtocolVersion): { follower: number[]; acked: boolean; hwBefore: number } {
  const k = new Kit({ brokers: 2, protocol, broker: { "replica.fetch.wait.max.ms": 500 } }).start();
  const c = k.produce(1, [1, 2]);
  k.run(5);
  const acked = k.produceResult(c)?.error === "NONE";
  const hwBefore = k.part(2).hw;
  k.kill(2);
  k.restart(2);
  k.ctl.restartBroker(2); // back as follower of 1 (still in the ISR: the controller never noticed)
  k.run(0.2);
  k.kill(1);
  k.ctl.failBroker(1); // 2 is in the ISR: a clean election
  k.run(2000);
  return { follower: k.values(2), acked, hwBefore };
}

/** KIP-279: leader changes in quick succession leave logs that differ at offset 1 with different epochs. */
function fastFailover(protocol: ProtocolVersion, bugs: BugSwitches = {}): { b1: number[]; b2: number[]; reasons: string[] } {
  const k = new Kit({ brokers: 2, protocol, bugs }).start();
  k.produce(1, [10]);
  k.run(50); // both [10 (e0)]
  k.isolate(2, [CTL, CLIENT]);
  k.ctl.elect("t-0", 1, [1]); // epoch 1
  k.run(5);
  k.produce(1, [11], { acks: 1 }); // only on 1
  k.run(5);
  k.kill(1);
  k.ctl.elect("t-0", 2, [2]); // epoch 2 (unclean)
  k.run(5);
  k.produce(2, [12], { acks: 1 }); // only on 2, at offset 1
  k.run(5);
  k.kill(2);
  k.heal();
  k.restart(1);
  k.ctl.elect("t-0", 1, [1], [1]); // epoch 3
  k.run(5);
  k.produce(1, [13], { acks: 1 });
  k.run(5);
  k.restart(2);
  k.ctl.restartBroker(2);
  k.run(3000);
  return { b1: k.values(1), b2: k.values(2), reasons: k.events("truncate").map((e) => e.reason) };
}

/** A divergence that takes two OffsetsForLeaderEpoch rounds (KIP-279's walk back): broker 1 ends with
 *  [10, 11 (e0), 13 (e2)], broker 2 leads with [10 (e0), 12 (e1), 14 (e3)]. Asked about epoch 2, the leader
 *  answers epoch 1 ending at 2; broker 1 has no epoch 1 — its epoch 0 ends at 2 — so it truncates to 2 and asks
 *  again about epoch 0, which the leader ends at 1: truncate to 1. Stopping after the first round keeps 11. */
function twoRoundDivergence(protocol: ProtocolVersion): { b1: number[]; b2: number[]; truncations: { from: number; to: number; reason: string }[]; hw: number } {
  const k = new Kit({ brokers: 2, protocol }).start();
  k.produce(1, [10]);
  k.run(50); // both [10 (e0)]
  k.isolate(2, [CTL, CLIENT]);
  k.produce(1, [11], { acks: 1 }); // only on 1, still epoch 0
  k.run(5);
  k.kill(1);
  k.ctl.elect("t-0", 2, [2], [2]); // epoch 1 (unclean)
  k.run(5);
  k.produce(2, [12], { acks: 1 }); // only on 2, at offset 1
  k.run(5);
  k.kill(2);
  k.heal();
  k.restart(1);
  k.ctl.elect("t-0", 1, [1], [1]); // epoch 2
  k.run(5);
  k.produce(1, [13], { acks: 1 }); // only on 1, at offset 2
  k.run(5);
  k.kill(1);
  k.restart(2);
  k.ctl.elect("t-0", 2, [2], [2]); // epoch 3
  k.run(5);
  k.produce(2, [14], { acks: 1 }); // only on 2, at offset 2
  k.run(5);
  k.restart(1);
  k.ctl.restartBroker(1); // 1 follows 2 at epoch 3
  k.run(3000);
  const truncations = k.events("truncate").filter((e) => e.broker === 1).map((e) => ({ from: e.fromOffset, to: e.toOffset, reason: e.reason }));
  return { b1: k.values(1), b2: k.values(2), truncations, hw: k.part(2).hw };
}

describe("truncation per protocol version", () => {
  it("0.10 truncates to its own HW on restart and loses an acknowledged write; 0.11 keeps it (KIP-101)", () => {
    const old = restartThenElect("0.10");
    expect(old.acked).toBe(true);
    expect(old.hwBefore).toBeLessThan(2);
    expect(old.follower).not.toEqual([1, 2]);
    const fixed = restartThenElect("0.11");
    expect(fixed.acked).toBe(true);
    expect(fixed.follower).toEqual([1, 2]);
  });

  it("0.11 leaves diverged logs after fast fail-overs; 2.0 walks back epoch by epoch (KIP-279)", () => {
    const v011 = fastFailover("0.11");
    expect(v011.b1).toEqual([10, 11, 13]);
    expect(v011.b2).toEqual([10, 12, 13]); // offset 1 differs: log divergence
    const v20 = fastFailover("2.0");
    expect(v20.b2).toEqual(v20.b1);
    expect(v20.b1).toEqual([10, 11, 13]);
    expect(v20.reasons.some((r) => r.includes("KIP-279"))).toBe(true);
  });

  it("2.0 keeps walking back until both logs agree on an epoch: two OffsetsForLeaderEpoch rounds (KIP-279); 0.11 stops after one and diverges below the HW", () => {
    const v20 = twoRoundDivergence("2.0");
    expect(v20.b2).toEqual([10, 12, 14]);
    expect(v20.b1).toEqual([10, 12, 14]);
    expect(v20.hw).toBe(3);
    expect(v20.truncations).toEqual([
      { from: 3, to: 2, reason: "offsets-for-leader-epoch (KIP-279)" },
      { from: 2, to: 1, reason: "offsets-for-leader-epoch (KIP-279)" },
    ]);
    const v011 = twoRoundDivergence("0.11");
    expect(v011.b2).toEqual([10, 12, 14]);
    expect(v011.b1).toEqual([10, 11, 14]); // offset 1 differs below the HW
    expect(v011.hw).toBe(3);
    const v27 = twoRoundDivergence("2.7"); // the same walk back, driven by the fetch's diverging epoch
    expect(v27.b1).toEqual([10, 12, 14]);
    expect(v27.truncations.map((t) => [t.from, t.to])).toEqual([
      [3, 2],
      [2, 1],
    ]);
  });

  it("2.7 finds the divergence from lastFetchedEpoch in the fetch itself, without offsets-for-leader-epoch (KAFKA-10554)", () => {
    const v27 = fastFailover("2.7");
    expect(v27.b2).toEqual(v27.b1);
    expect(v27.reasons.some((r) => r.includes("KAFKA-10554"))).toBe(true);
    expect(v27.reasons.some((r) => r.includes("KIP-279"))).toBe(false);
  });

  it("skipTruncation bug keeps the diverged suffix even on 3.7", () => {
    const k = fastFailover("3.7", { skipTruncation: true });
    expect(k.b2).not.toEqual(k.b1);
  });

  it("3.7 does not advance the HW while the ISR is below min.insync.replicas; 2.7 does and exposes the record (KAFKA-15583)", () => {
    const run = (protocol: ProtocolVersion): { hw: number; read: number[]; survivesUnclean: boolean } => {
      const k = new Kit({ protocol, broker: { "min.insync.replicas": 2, "replica.lag.time.max.ms": 1000 } }).start();
      k.isolate(2, [CTL]);
      k.isolate(3, [CTL]);
      k.produce(1, [5], { acks: 1 });
      k.run(3000); // ISR shrinks to {1}
      const f = k.consumerFetch(1, 0);
      k.run(5);
      const read = k.fetchResult(f)?.values ?? [];
      const hw = k.part(1).hw;
      k.kill(1);
      k.heal();
      k.ctl.failBroker(1, { unclean: true });
      k.run(100);
      return { hw, read, survivesUnclean: k.values(2).includes(5) };
    };
    const v27 = run("2.7");
    expect(v27.hw).toBe(1);
    expect(v27.read).toEqual([5]); // a consumer read it ...
    expect(v27.survivesUnclean).toBe(false); // ... and it is gone
    const v37 = run("3.7");
    expect(v37.hw).toBe(0);
    expect(v37.read).toEqual([]);
  });
});

/** A follower cut off from the controller misses two leader changes; the leader truncated and rewrote the
 *  follower's tail in between. Returns whether some ISR member disagrees with the leader below the HW. */
function missedLeaderChanges(protocol: ProtocolVersion): { divergedBelowHw: boolean; leaderHw: number } {
  const k = new Kit({ brokers: 3, protocol, broker: { "replica.lag.time.max.ms": 3000 } }).start();
  k.produce(1, [1, 2]);
  k.run(50); // all: [1, 2]
  const n = (b: number): number => k.rt.index(`broker-${b}` as never);
  const cut = (a: number, b: number): void => {
    k.rt.network.blockOneWay(a, b);
    k.rt.network.blockOneWay(b, a);
  };
  cut(n(2), k.rt.index(CTL)); // 2 never hears from the controller again
  cut(n(1), n(3));
  k.produce(1, [10, 11], { acks: 1 });
  k.run(50); // 1 and 2: [1, 2, 10, 11]; 3: [1, 2]
  k.rt.network.healAll();
  cut(n(2), k.rt.index(CTL));
  k.ctl.elect("t-0", 3, [3, 1, 2], [1, 3]); // epoch 1: 1 follows 3 and truncates to 2
  k.run(50);
  k.produce(3, [20], { acks: 1 });
  k.run(50);
  k.ctl.elect("t-0", 1, [1, 3, 2], [1, 3]); // epoch 2: 1 leads again
  k.run(2);
  k.produce(1, [30], { acks: 1 });
  k.run(5000);
  const leader = k.part(1);
  const mine = k.values(1);
  let diverged = false;
  for (const b of leader.isr) {
    const v = k.values(b);
    for (let i = 0; i < leader.hw; i++) if (v[i] !== mine[i]) diverged = true;
  }
  return { divergedBelowHw: diverged, leaderHw: leader.hw };
}

describe("followers that miss leader changes", () => {
  it("2.0 keeps fetching by offset and diverges below the HW; 2.7 is fenced (KIP-320) and detects divergence (KAFKA-10554)", () => {
    const v20 = missedLeaderChanges("2.0");
    expect(v20.leaderHw).toBeGreaterThanOrEqual(4);
    expect(v20.divergedBelowHw).toBe(true);
    const v27 = missedLeaderChanges("2.7");
    expect(v27.leaderHw).toBeGreaterThanOrEqual(4);
    expect(v27.divergedBelowHw).toBe(false);
  });
});

describe("epoch cache at the log end (UnifiedLog.truncateTo)", () => {
  it("a former leader that appended nothing in its epoch drops that entry and follows the next leader", () => {
    const k = new Kit({ protocol: "3.7" }).start();
    k.produce(1, [1]);
    k.run(20);
    k.ctl.elect("t-0", 3, [3, 2, 1]); // epoch 1: broker 3 assigns (1 → 1), appends nothing
    k.run(20);
    k.ctl.elect("t-0", 2, [2, 3, 1]); // epoch 2: broker 2 never saw an epoch-1 record
    k.run(20);
    const c = k.produce(2, [2]);
    k.run(50);
    expect(k.produceResult(c)?.error).toBe("NONE");
    expect(k.values(3)).toEqual([1, 2]);
    expect(k.part(3).cache.entries().map((e) => e.epoch)).toEqual([0, 2]);
  });
});
