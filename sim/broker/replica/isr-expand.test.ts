// ISR expansion (fact 8; Partition.maybeExpandIsr / isFollowerInSync, KAFKA-7128): a follower outside the ISR
// is added once its LEO (the offset of its fetch) is ≥ the leader's HW AND ≥ the start offset of the leader's
// current epoch — not before. The follower's fetches are written by hand (replicaId 3 from the script client)
// while the real broker 3 is cut off, so each test states exactly which fetch offsets the leader sees.
import { describe, it, expect } from "vitest";
import { Kit, CTL, kitWithFollowerOut } from "../testkit.ts";
import type { Partition } from "./partition.ts";

function followerFetch(k: Kit, replicaId: number, fetchOffset: number, leader = 1): void {
  k.followerFetch(replicaId, fetchOffset, leader);
  k.run(5);
}

const followerLeo = (p: Partition, id: number): number => p.followerLeo[p.followerIndex(id)] as number;

describe("ISR expansion (Partition.maybeExpandIsr, fact 8)", () => {
  it("a follower whose LEO is below the leader's HW is not added; at the HW it is", () => {
    const k = kitWithFollowerOut();
    expect(k.ctl.parts.get("t-0")?.isr).toEqual([1, 2]);
    const p = k.part(1);
    expect(p.hw).toBe(3);
    expect(p.epochStartOffset).toBe(0);
    const alters = k.ctl.alterRequests;

    followerFetch(k, 3, 2); // LEO 2 < HW 3 (and ≥ the epoch start 0)
    expect(followerLeo(p, 3)).toBe(2); // the leader did record the fetch
    expect(p.pendingIsr).toBeNull();
    expect(k.ctl.alterRequests).toBe(alters);
    expect(p.isr).toEqual([1, 2]);
    expect(k.events("isr-expand")).toEqual([]);

    followerFetch(k, 3, 3); // LEO = HW
    expect(k.ctl.alterRequests).toBe(alters + 1);
    expect(k.ctl.parts.get("t-0")?.isr).toEqual([1, 2, 3]);
    expect(p.isr).toEqual([1, 2, 3]);
    expect(k.events("isr-expand").map((e) => e.added)).toEqual([[3]]);
  });

  it("a follower at or above the HW but below the current leader epoch's start offset is not added (KAFKA-7128); at the start offset it is", () => {
    const k = new Kit().start();
    // Both followers cut off: the leader appends acks=1 records its HW cannot pass (2 and 3 stay at LEO 0).
    k.isolate(2, [CTL]);
    k.isolate(3, [CTL]);
    k.produce(1, [1, 2, 3], { acks: 1 });
    k.run(10);
    // The controller re-elects 1 with ISR [1, 2]: epoch 1 starts at offset 3, above the HW.
    k.ctl.elect("t-0", 1, [1, 2]);
    k.run(5);
    const p = k.part(1);
    expect(p.leaderEpoch).toBe(1);
    expect(p.epochStartOffset).toBe(3);
    expect(p.hw).toBe(0);
    const alters = k.ctl.alterRequests;

    followerFetch(k, 3, 1); // ≥ HW 0, < epoch start 3
    followerFetch(k, 3, 2);
    expect(followerLeo(p, 3)).toBe(2);
    expect(p.pendingIsr).toBeNull();
    expect(k.ctl.alterRequests).toBe(alters);
    expect(k.ctl.parts.get("t-0")?.isr).toEqual([1, 2]);

    followerFetch(k, 3, 3); // = epoch start, ≥ HW
    expect(k.ctl.alterRequests).toBe(alters + 1);
    expect(k.ctl.parts.get("t-0")?.isr).toEqual([1, 2, 3]);
    expect(p.isr).toEqual([1, 2, 3]);
    expect(k.events("isr-expand").map((e) => e.added)).toEqual([[3]]);
  });
});
