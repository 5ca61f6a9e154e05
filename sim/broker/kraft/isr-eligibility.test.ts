// The leader's side of KRaft's ISR eligibility (Partition.isReplicaIsrEligible, KIP-903): a follower that caught up
// is proposed for the ISR only if the leader's metadata has it registered, unfenced and not in controlled shutdown
// (the control plane answers from its image: publisher.test.ts); the controller refuses the rest with
// INELIGIBLE_REPLICA. The ZooKeeper era has no such check (the controller's live set only).
import { describe, expect, it } from "vitest";
import { CTL, Kit } from "../testkit.ts";

/** Broker 3 cut off (but for the test controller) and shrunk out of t-0's ISR: HW 3, ISR [1, 2]. */
function followerOut(eligible: Set<number>): Kit {
  const k = new Kit({ broker: { "replica.lag.time.max.ms": 1000 }, isrEligible: (b) => eligible.has(b) }).start();
  k.isolate(3, [CTL]);
  k.produce(1, [1, 2, 3], { acks: 1 });
  k.run(3000);
  return k;
}

describe("KRaft leader-side ISR eligibility (Partition.isReplicaIsrEligible)", () => {
  it("a caught-up follower the metadata calls ineligible is not proposed; once eligible, its next fetch proposes it", () => {
    const eligible = new Set([1, 2]);
    const k = followerOut(eligible);
    const p = k.part(1);
    expect([p.isr, p.hw]).toEqual([[1, 2], 3]);
    const alters = k.ctl.alterRequests;
    k.followerFetch(3, 3);
    k.run(5);
    expect([k.ctl.alterRequests - alters, p.pendingIsr, p.isr]).toEqual([0, null, [1, 2]]);
    eligible.add(3);
    k.followerFetch(3, 3);
    k.run(5);
    expect([k.ctl.alterRequests - alters, p.isr]).toEqual([1, [1, 2, 3]]);
  });
});
