import { describe, expect, it } from "vitest";
import { nodeId } from "../../../core/ids.ts";
import { LeaderState } from "./leader-state.ts";

const voters = ["a", "b", "c", "d", "e"].map(nodeId);
const [A, B, C, D] = voters as [ReturnType<typeof nodeId>, ReturnType<typeof nodeId>, ReturnType<typeof nodeId>, ReturnType<typeof nodeId>];
const FETCH_TIMEOUT_US = 2_000_000;

describe("LeaderState: high watermark", () => {
  it("is the offset a majority of voters (the leader included) has reached", () => {
    const l = new LeaderState<number>(4, 10, voters, A, voters, FETCH_TIMEOUT_US, 0);
    l.updateLocalState(20);
    expect(l.updateReplicaState(B, 15, 0)).toBe(false);
    expect(l.hw).toBe(-1); // two of five
    expect(l.updateReplicaState(C, 12, 0)).toBe(true);
    expect(l.hw).toBe(12); // the third highest of 20, 15, 12
    l.updateReplicaState(D, 18, 0);
    expect(l.hw).toBe(15);
  });

  it("moves only once a majority is past the epoch start offset (a record of the leader's own epoch)", () => {
    const l = new LeaderState<number>(4, 10, voters, A, voters, FETCH_TIMEOUT_US, 0);
    l.updateLocalState(11);
    l.updateReplicaState(B, 10, 0);
    l.updateReplicaState(C, 10, 0);
    // A majority (3 of 5) at 10 = the epoch start: earlier epochs' records are not exposed yet.
    expect(l.hw).toBe(-1);
    l.updateReplicaState(B, 11, 0);
    expect(l.hw).toBe(-1);
    l.updateReplicaState(C, 11, 0);
    expect(l.hw).toBe(11);
  });

  it("never goes back, and observers do not count", () => {
    const l = new LeaderState<number>(1, 0, voters, A, voters, FETCH_TIMEOUT_US, 0);
    l.updateLocalState(30);
    l.updateReplicaState(B, 30, 0);
    l.updateReplicaState(C, 20, 0);
    expect(l.hw).toBe(20);
    l.updateReplicaState(nodeId("observer"), 30, 0);
    expect(l.hw).toBe(20);
    // A voter reporting less (a restarted follower) does not lower it.
    l.updateReplicaState(C, 5, 0);
    expect(l.hw).toBe(20);
  });
});

describe("LeaderState: check-quorum", () => {
  it("expires after 1.5 × fetch timeout unless a majority (the leader counting) fetched in the meantime", () => {
    const l = new LeaderState<number>(1, 0, voters, A, voters, FETCH_TIMEOUT_US, 0);
    expect(l.checkQuorumDeadline()).toBe(3_000_000);
    l.updateReplicaState(B, 0, 1_000_000);
    expect(l.checkQuorumDeadline()).toBe(3_000_000);
    l.updateReplicaState(C, 0, 1_500_000);
    expect(l.checkQuorumDeadline()).toBe(4_500_000);
    l.updateReplicaState(D, 0, 2_000_000);
    expect(l.checkQuorumDeadline()).toBe(4_500_000);
  });
  it("never expires for a single voter", () => {
    expect(new LeaderState<number>(1, 0, [A], A, [A], FETCH_TIMEOUT_US, 0).checkQuorumDeadline()).toBe(Infinity);
  });
});
