import { describe, it, expect } from "vitest";
import { initialLeaderAndIsr, offlinePartitionLeaderElection, removeDeadFromIsr } from "./election.ts";

const liveOf = (...ids: number[]) => (b: number) => ids.includes(b);
const rules = (uncleanEnabled: boolean, electOutOfSync = false) => ({ uncleanEnabled, electOutOfSync });

describe("offlinePartitionLeaderElection (PartitionLeaderElectionAlgorithms, fact 11)", () => {
  it("clean: the first replica in assignment order that is live and in the ISR (not ISR order)", () => {
    // assignment [3,1,2]; ISR listed [2,1]; 3 dead → 1 comes before 2 in the assignment.
    const e = offlinePartitionLeaderElection([3, 1, 2], [2, 1, 3], liveOf(1, 2), rules(false));
    expect(e).toEqual({ kind: "clean", leader: 1, isr: [2, 1] });
  });

  it("a live replica outside the ISR is skipped by a clean election", () => {
    const e = offlinePartitionLeaderElection([1, 2, 3], [3], liveOf(2, 3), rules(false));
    expect(e).toEqual({ kind: "clean", leader: 3, isr: [3] });
  });

  it("no live in-sync replica and unclean election off: no leader (the partition stays offline)", () => {
    expect(offlinePartitionLeaderElection([1, 2, 3], [1], liveOf(2, 3), rules(false))).toEqual({ kind: "none" });
  });

  it("no live in-sync replica and unclean election on: the first live replica, ISR = itself (KIP-106)", () => {
    expect(offlinePartitionLeaderElection([1, 3, 2], [1], liveOf(2, 3), rules(true))).toEqual({ kind: "unclean", leader: 3, isr: [3] });
  });

  it("unclean election is not used while an in-sync replica is alive", () => {
    expect(offlinePartitionLeaderElection([1, 2, 3], [1, 3], liveOf(2, 3), rules(true))).toEqual({ kind: "clean", leader: 3, isr: [3] });
  });

  it("no live replica at all: none, even with unclean election", () => {
    expect(offlinePartitionLeaderElection([1, 2], [1, 2], liveOf(), rules(true))).toEqual({ kind: "none" });
  });

  it("bug electOutOfSync: the first live replica wins even outside the ISR and with unclean election off", () => {
    expect(offlinePartitionLeaderElection([1, 2, 3], [1, 3], liveOf(2, 3), rules(false, true))).toEqual({ kind: "unclean", leader: 2, isr: [2] });
    // When the first live replica is in the ISR the bug changes nothing.
    expect(offlinePartitionLeaderElection([1, 2, 3], [1, 2], liveOf(2, 3), rules(false, true))).toEqual({ kind: "clean", leader: 2, isr: [2] });
  });
});

describe("ISR cleanup on broker death (ReplicaStateMachine.doRemoveReplicasFromIsr, fact 10)", () => {
  it("removes dead replicas but never the last member", () => {
    expect(removeDeadFromIsr([1, 2, 3], liveOf(1, 3))).toEqual([1, 3]);
    expect(removeDeadFromIsr([2], liveOf(1, 3))).toEqual([2]);
    expect(removeDeadFromIsr([1, 2], liveOf())).toEqual([2]);
  });

  it("never returns an empty ISR for any non-empty ISR and any live set", () => {
    for (let mask = 0; mask < 16; mask++) {
      for (let isrMask = 1; isrMask < 16; isrMask++) {
        const isr = [1, 2, 3, 4].filter((b) => isrMask & (1 << (b - 1)));
        const out = removeDeadFromIsr(isr, (b) => (mask & (1 << (b - 1))) !== 0);
        expect(out.length).toBeGreaterThan(0);
        for (const r of out) expect(isr).toContain(r);
      }
    }
  });
});

describe("initial leader and ISR (PartitionStateMachine.initializeLeaderAndIsrForPartitions)", () => {
  it("leader = first live replica in assignment order, ISR = live replicas, epoch 0", () => {
    expect(initialLeaderAndIsr([2, 3, 1], liveOf(1, 3))).toEqual({ leader: 3, leaderEpoch: 0, isr: [3, 1] });
    expect(initialLeaderAndIsr([2, 3], liveOf(1))).toBeNull();
  });
});
