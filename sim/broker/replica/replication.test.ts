// Replication basics: HW advance (Partition.maybeIncrementLeaderHW), ISR shrink/expand timing
// (ReplicaManager.maybeShrinkIsr, Partition.maybeExpandIsr), acks × min ISR (Partition.appendRecordsToLeader,
// DelayedProduce), consumer fetch bounds (ReplicaManager.readFromLog, KIP-320).
import { describe, it, expect } from "vitest";
import { Kit, CTL } from "../testkit.ts";
import { MAX_FETCH_RECORDS } from "./manager.ts";

describe("high watermark (Partition.maybeIncrementLeaderHW)", () => {
  it("advances to the min LEO of the ISR once followers fetch, followers learn it one round trip later", () => {
    const k = new Kit({ broker: { "replica.fetch.wait.max.ms": 500 } }).start();
    const c = k.produce(1, [10, 11, 12]);
    k.run(1);
    expect(k.part(1).leo).toBe(3);
    k.run(20);
    expect(k.produceResult(c)).toEqual({ error: "NONE", baseOffset: 0 });
    expect(k.part(1).hw).toBe(3);
    // followers have the data; their HW lags until the next fetch response
    expect(k.values(2)).toEqual([10, 11, 12]);
    expect(k.part(2).hw).toBeLessThan(3);
    k.run(600);
    expect(k.part(2).hw).toBe(3);
    expect(k.part(3).hw).toBe(3);
  });

  it("a follower's HW is min(the leader's HW in the fetch response, its own LEO) (KIP-101)", () => {
    const k = new Kit({ broker: { "replica.lag.time.max.ms": 1000, "replica.socket.timeout.ms": 1000 } }).start();
    k.isolate(3, [CTL]);
    const n = MAX_FETCH_RECORDS + 5000;
    k.produce(1, Array.from({ length: n }, (_, i) => i), { acks: 1 });
    k.run(3000);
    expect(k.part(1).hw).toBe(n); // 2 has it all; 3 is out of the ISR
    k.heal();
    k.run(3000); // 3's lost fetch times out; it catches up in two responses, the first one capped
    expect(k.part(3).leo).toBe(n);
    const hws = k.events("hw-advance").filter((e) => e.broker === 3).map((e) => e.highWatermark);
    // the first response says HW n but brings only MAX_FETCH_RECORDS records: the follower's HW is its LEO
    expect(hws).toEqual([MAX_FETCH_RECORDS, n]);
    expect(k.part(3).hw).toBe(n);
  });

  it("does not pass a lagging ISR member", () => {
    const k = new Kit().start();
    k.isolate(3, [CTL]); // follower 3 cannot reach the leader
    const c = k.produce(1, [1, 2]);
    k.run(100);
    expect(k.part(1).hw).toBe(0); // 3 is still in the ISR
    expect(k.produceResult(c)).toBeUndefined();
  });

  it("never moves backwards: not when the controller re-elects the leader with a lagging replica back in the ISR, nor on a new leader whose followers have not fetched yet", () => {
    const k = new Kit({ broker: { "replica.lag.time.max.ms": 1000, "replica.fetch.wait.max.ms": 500 } }).start();
    k.isolate(3, [CTL]); // 3 stays at LEO 0
    k.produce(1, [1, 2, 3], { acks: 1 });
    k.run(3000);
    expect(k.ctl.parts.get("t-0")?.isr).toEqual([1, 2]);
    expect(k.part(1).hw).toBe(3);
    expect(k.part(2).hw).toBe(3);
    // Same leader, new epoch, ISR [1, 2, 3]: the min LEO over the ISR is now 0 (3's), the HW stays.
    k.ctl.elect("t-0", 1, [1, 2, 3]);
    k.run(1); // 2's fetch is parked at the leader: nobody fetches in between
    expect(k.part(1).leaderEpoch).toBe(1);
    expect(k.part(1).hw).toBe(3);
    const read = k.consumerFetch(1, 0);
    k.run(2);
    expect(k.fetchResult(read)).toEqual({ error: "NONE", values: [1, 2, 3], hw: 3 });
    // A new leader knows no follower LEO yet: it keeps the HW it had as a follower.
    k.kill(1);
    k.ctl.elect("t-0", 2, [2, 3], [2, 3]);
    k.run(1);
    expect(k.part(2).isLeader).toBe(true);
    expect(k.part(2).hw).toBe(3);
    for (const b of [1, 2]) {
      const hws = k.events("hw-advance").filter((e) => e.broker === b).map((e) => e.highWatermark);
      expect([...hws].sort((x, y) => x - y)).toEqual(hws);
    }
  });
});

describe("ISR shrink and expand (fact 6–8)", () => {
  it("a follower that stops fetching leaves the ISR after replica.lag.time.max.ms, checked every lag/2", () => {
    const k = new Kit({ broker: { "replica.lag.time.max.ms": 10_000 } }).start();
    k.isolate(3, [k.rt.ids[0] as never]);
    const t0 = k.nowUs;
    k.produce(1, [1]);
    k.run(30_000);
    const shrink = k.events("isr-shrink")[0];
    expect(shrink?.removed).toEqual([3]);
    const at = (shrink as unknown as { timeUs: number }).timeUs - t0;
    // out of sync after 10 s, noticed at the next check (every 5 s): between 10 and 15 s
    expect(at).toBeGreaterThan(10_000_000);
    expect(at).toBeLessThanOrEqual(15_100_000);
    expect(k.ctl.parts.get("t-0")?.isr).toEqual([1, 2]);
    expect(k.part(1).hw).toBe(1);
  });

  it("an idle follower stays in the ISR (caught up = LEO equal)", () => {
    const k = new Kit({ broker: { "replica.lag.time.max.ms": 1000 } }).start();
    k.produce(1, [1]);
    k.run(10_000);
    expect(k.events("isr-shrink")).toEqual([]);
  });

  it("a returning follower rejoins once it reaches the HW and the epoch start offset", () => {
    const k = new Kit({ broker: { "replica.lag.time.max.ms": 1000 } }).start();
    k.isolate(3, [k.rt.ids[0] as never]);
    k.produce(1, [1, 2, 3]);
    k.run(3000);
    expect(k.ctl.parts.get("t-0")?.isr).toEqual([1, 2]);
    k.heal();
    k.run(35_000); // the isolated follower's last fetch must first time out (replica.socket.timeout.ms)
    expect(k.ctl.parts.get("t-0")?.isr).toEqual([1, 2, 3]);
    expect(k.events("isr-expand")[0]?.added).toEqual([3]);
    expect(k.values(3)).toEqual([1, 2, 3]);
  });
});

describe("produce: acks × min.insync.replicas (fact 15)", () => {
  it("rejects invalid acks", () => {
    const k = new Kit().start();
    const c = k.produce(1, [1], { acks: 2 });
    k.run(5);
    expect(k.produceResult(c)?.error).toBe("INVALID_REQUIRED_ACKS");
    expect(k.part(1).leo).toBe(0);
  });

  it("NOT_ENOUGH_REPLICAS before append when the ISR is below min.insync.replicas; acks=1 still appends", () => {
    const k = new Kit({ broker: { "min.insync.replicas": 2, "replica.lag.time.max.ms": 1000 } }).start();
    k.isolate(2, [k.rt.ids[0] as never]);
    k.isolate(3, [k.rt.ids[0] as never]);
    k.produce(1, [0], { acks: 1 }); // idle followers count as caught up (equal LEO): give them something to miss
    k.run(3000);
    expect(k.ctl.parts.get("t-0")?.isr).toEqual([1]);
    const all = k.produce(1, [1]);
    const one = k.produce(1, [2], { acks: 1 });
    const zero = k.produce(1, [3], { acks: 0 });
    k.run(5);
    expect(k.produceResult(all)).toEqual({ error: "NOT_ENOUGH_REPLICAS", baseOffset: -1 });
    expect(k.produceResult(one)).toEqual({ error: "NONE", baseOffset: 1 });
    expect(k.produceResult(zero)).toBeUndefined();
    expect(k.values(1)).toEqual([0, 2, 3]);
  });

  it("topic min.insync.replicas overrides the broker's", () => {
    const k = new Kit({ broker: { "min.insync.replicas": 3, "replica.lag.time.max.ms": 1000 }, topics: [{ name: "t", config: { "min.insync.replicas": 1 } }] }).start();
    k.isolate(3, [k.rt.ids[0] as never]);
    k.produce(1, [0], { acks: 1 });
    k.run(3000);
    const c = k.produce(1, [1]);
    k.run(50);
    expect(k.produceResult(c)?.error).toBe("NONE");
  });

  it("NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrinks below the minimum while waiting (pre-3.7)", () => {
    const k = new Kit({ protocol: "2.7", broker: { "min.insync.replicas": 2, "replica.lag.time.max.ms": 1000 } }).start();
    k.isolate(2, [k.rt.ids[0] as never]);
    k.isolate(3, [k.rt.ids[0] as never]);
    const c = k.produce(1, [7]);
    k.run(3000);
    expect(k.produceResult(c)).toEqual({ error: "NOT_ENOUGH_REPLICAS_AFTER_APPEND", baseOffset: -1 });
    expect(k.values(1)).toEqual([7]);
  });

  it("REQUEST_TIMED_OUT when the HW does not reach the record within timeoutMs (3.7 holds the HW under min ISR)", () => {
    const k = new Kit({ protocol: "3.7", broker: { "min.insync.replicas": 2, "replica.lag.time.max.ms": 1000 } }).start();
    k.isolate(2, [k.rt.ids[0] as never]);
    k.isolate(3, [k.rt.ids[0] as never]);
    const c = k.produce(1, [7], { timeoutMs: 5000 });
    k.run(6000);
    expect(k.produceResult(c)).toEqual({ error: "REQUEST_TIMED_OUT", baseOffset: -1 });
  });

  it("NOT_LEADER_OR_FOLLOWER on a follower, and for waiting requests when leadership moves", () => {
    const k = new Kit().start();
    const f = k.produce(2, [1]);
    k.isolate(3, [k.rt.ids[0] as never]);
    const w = k.produce(1, [2]);
    k.run(5);
    k.ctl.elect("t-0", 2, [1, 2]);
    k.run(5);
    expect(k.produceResult(f)?.error).toBe("NOT_LEADER_OR_FOLLOWER");
    expect(k.produceResult(w)?.error).toBe("NOT_LEADER_OR_FOLLOWER");
  });

  it("ackBeforeReplication bug answers acks=all at append", () => {
    const k = new Kit({ bugs: { ackBeforeReplication: true } }).start();
    k.isolate(3, [k.rt.ids[0] as never]);
    const c = k.produce(1, [1]);
    k.run(5);
    expect(k.produceResult(c)?.error).toBe("NONE");
    expect(k.part(1).hw).toBe(0);
  });
});

describe("idempotent producer (fact 19)", () => {
  it("dedupes a retried batch with its original offset, rejects gaps and old epochs", () => {
    const k = new Kit().start();
    const a = k.produce(1, [1, 2], { producerId: 7, producerEpoch: 0, baseSequence: 0 });
    k.run(20);
    const dup = k.produce(1, [1, 2], { producerId: 7, producerEpoch: 0, baseSequence: 0 });
    const gap = k.produce(1, [9], { producerId: 7, producerEpoch: 0, baseSequence: 5 });
    const old = k.produce(1, [9], { producerId: 7, producerEpoch: -1 + 0, baseSequence: 2 });
    k.run(20);
    expect(k.produceResult(a)).toEqual({ error: "NONE", baseOffset: 0 });
    expect(k.produceResult(dup)).toEqual({ error: "NONE", baseOffset: 0 });
    expect(k.produceResult(gap)?.error).toBe("OUT_OF_ORDER_SEQUENCE_NUMBER");
    expect(k.produceResult(old)?.error).toBe("INVALID_PRODUCER_EPOCH");
    expect(k.values(1)).toEqual([1, 2]);
  });

  it("rebuilds producer state on a new leader from the replicated log", () => {
    const k = new Kit().start();
    k.produce(1, [1, 2], { producerId: 7, producerEpoch: 0, baseSequence: 0 });
    k.run(20);
    k.kill(1);
    k.ctl.failBroker(1);
    k.run(20);
    const dup = k.produce(2, [1, 2], { producerId: 7, producerEpoch: 0, baseSequence: 0 });
    const next = k.produce(2, [3], { producerId: 7, producerEpoch: 0, baseSequence: 2 });
    k.run(20);
    expect(k.produceResult(dup)).toEqual({ error: "NONE", baseOffset: 0 });
    expect(k.produceResult(next)).toEqual({ error: "NONE", baseOffset: 2 });
  });
});

describe("consumer fetch (fact 2, 14, KIP-320)", () => {
  it("reads only below the HW; beyond LEO is out of range; old/new epochs are fenced/unknown", () => {
    const k = new Kit().start();
    k.isolate(3, [k.rt.ids[0] as never]);
    k.produce(1, [1, 2], { acks: 1 });
    k.run(5);
    const below = k.consumerFetch(1, 0);
    const beyond = k.consumerFetch(1, 5);
    const current = k.consumerFetch(1, 0, { currentLeaderEpoch: 0 });
    k.run(5);
    expect(k.fetchResult(below)).toEqual({ error: "NONE", values: [], hw: 0 });
    expect(k.fetchResult(beyond)?.error).toBe("OFFSET_OUT_OF_RANGE");
    expect(k.fetchResult(current)?.error).toBe("NONE");
    k.ctl.elect("t-0", 1);
    k.run(5);
    const stale = k.consumerFetch(1, 0, { currentLeaderEpoch: 0 });
    const future = k.consumerFetch(1, 0, { currentLeaderEpoch: 5 });
    const follower = k.consumerFetch(2, 0);
    k.run(5);
    expect(k.fetchResult(stale)?.error).toBe("FENCED_LEADER_EPOCH");
    expect(k.fetchResult(future)?.error).toBe("UNKNOWN_LEADER_EPOCH");
    expect(k.fetchResult(follower)?.error).toBe("NOT_LEADER_OR_FOLLOWER");
  });

  it("readAboveHighWatermark bug serves up to the LEO", () => {
    const k = new Kit({ bugs: { readAboveHighWatermark: true } }).start();
    k.isolate(3, [k.rt.ids[0] as never]);
    k.produce(1, [1, 2], { acks: 1 });
    k.run(5);
    const c = k.consumerFetch(1, 0);
    k.run(5);
    expect(k.fetchResult(c)?.values).toEqual([1, 2]);
  });

  it("a consumer long poll is answered as soon as the HW moves", () => {
    const k = new Kit().start();
    const c = k.consumerFetch(1, 0, { maxWaitMs: 500 });
    k.run(5);
    expect(k.fetchResult(c)).toBeUndefined();
    k.produce(1, [4]);
    k.run(10);
    expect(k.fetchResult(c)?.values).toEqual([4]);
  });
});
