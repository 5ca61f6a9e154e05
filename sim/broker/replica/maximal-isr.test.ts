// The maximal ISR (fact 4, KIP-497; Partition.PendingExpandIsr, maybeIncrementLeaderHW,
// checkEnoughReplicasReachOffset): while an ISR expansion is in flight the joining replica already counts —
// the HW waits for it, and an acks=all write is judged against min.insync.replicas with it.
// The AlterPartition answer is withheld (the controller → leader link is held); the joining follower's fetches
// are written by hand (replicaId 3) while the real broker 3 is cut off.
import { describe, it, expect } from "vitest";
import { Kit, CTL, kitWithFollowerOut } from "../testkit.ts";
import { brokerNode } from "../../core/ids.ts";

function followerFetch(k: Kit, replicaId: number, fetchOffset: number, leader = 1): void {
  k.followerFetch(replicaId, fetchOffset, leader);
  k.run(5);
}

/** Withhold the controller's answers to broker `b`. */
function holdAnswers(k: Kit, b = 1): () => void {
  const from = k.rt.index(CTL);
  const to = k.rt.index(brokerNode(b));
  k.rt.network.hold(from, to);
  return () => k.rt.network.release(from, to);
}

describe("maximal ISR while an expansion is pending (fact 4)", () => {
  it("the HW does not pass the joining replica's LEO and acks=all waits for it", () => {
    const k = kitWithFollowerOut();
    expect(k.ctl.parts.get("t-0")?.isr).toEqual([1, 2]);
    const p = k.part(1);
    expect(p.hw).toBe(3);
    const release = holdAnswers(k);
    followerFetch(k, 3, 3); // caught up to the HW and the epoch start: expansion requested, answer withheld
    expect(p.pendingIsr).toEqual([1, 2, 3]);
    expect(p.isr).toEqual([1, 2]);
    expect(k.ctl.parts.get("t-0")?.isr).toEqual([1, 2, 3]); // applied by the controller, not yet known

    const c = k.produce(1, [4]);
    k.run(50); // follower 2 fetches it; 3 (joining) does not
    expect(k.values(2)).toEqual([1, 2, 3, 4]);
    expect(p.hw).toBe(3);
    expect(k.produceResult(c)).toBeUndefined();

    followerFetch(k, 3, 4);
    expect(p.hw).toBe(4);
    expect(k.produceResult(c)).toEqual({ error: "NONE", baseOffset: 3 });
    release();
    k.run(5);
    expect(p.pendingIsr).toBeNull();
    expect(p.isr).toEqual([1, 2, 3]);
  });

  it("an acks=all write reaching the HW while the committed ISR is below min.insync.replicas but the maximal ISR is not succeeds (checkEnoughReplicasReachOffset: maximal ISR; pre-3.7, the HW is not held)", () => {
    const k = new Kit({ protocol: "2.7", broker: { "min.insync.replicas": 3 } }).start();
    k.isolate(2, [CTL]);
    k.isolate(3, [CTL]);
    const c = k.produce(1, [7]); // ISR [1, 2, 3]: appended at 0, waits for 2 and 3
    k.run(5);
    k.ctl.elect("t-0", 1, [1, 2]); // the controller drops 3: ISR [1, 2] < 3, epoch 1 starts at offset 1
    k.run(5);
    const p = k.part(1);
    expect(p.isr).toEqual([1, 2]);
    expect(p.hw).toBe(0);
    expect(k.produceResult(c)).toBeUndefined();
    holdAnswers(k);
    followerFetch(k, 3, 1); // 3 has the record: expansion pending, maximal ISR [1, 2, 3]
    expect(p.pendingIsr).toEqual([1, 2, 3]);
    expect(p.hw).toBe(0);
    followerFetch(k, 2, 1); // now every member of the maximal ISR has it
    expect(p.hw).toBe(1);
    expect(p.isr).toEqual([1, 2]);
    expect(k.produceResult(c)).toEqual({ error: "NONE", baseOffset: 0 });
  });

  it("... but NOT_ENOUGH_REPLICAS_AFTER_APPEND when the maximal ISR is below it too", () => {
    const k = new Kit({ protocol: "2.7", broker: { "min.insync.replicas": 3 } }).start();
    k.isolate(2, [CTL]);
    k.isolate(3, [CTL]);
    const c = k.produce(1, [7]);
    k.run(5);
    k.ctl.elect("t-0", 1, [1, 2]);
    k.run(5);
    followerFetch(k, 2, 1);
    expect(k.part(1).pendingIsr).toBeNull();
    expect(k.part(1).hw).toBe(1);
    expect(k.produceResult(c)).toEqual({ error: "NOT_ENOUGH_REPLICAS_AFTER_APPEND", baseOffset: -1 });
    expect(k.values(1)).toEqual([7]); // the record stays
  });
});
