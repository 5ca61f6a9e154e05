import { describe, expect, it } from "vitest";
import { nodeId } from "../../../core/ids.ts";
import { Rng } from "../../../core/rng.ts";
import { EpochElection, binaryExponentialElectionBackoffMs, canGrantVote, strictExponentialElectionBackoffMs } from "./election.ts";
import type { RoleState } from "./election.ts";

const [A, B, C] = ["a", "b", "c"].map(nodeId) as [ReturnType<typeof nodeId>, ReturnType<typeof nodeId>, ReturnType<typeof nodeId>];
const unattached = (votedId: ReturnType<typeof nodeId> | null = null): RoleState => ({ role: "unattached", epoch: 3, leaderId: null, votedId, electionDeadlineUs: 0 });
const follower = (hasFetchedFromLeader: boolean): RoleState => ({ role: "follower", epoch: 3, leaderId: C, votedId: null, fetchDeadlineUs: 0, hasFetchedFromLeader });

describe("canGrantVote (QuorumState.unattachedOrProspectiveCanGrantVote, FollowerState, ...)", () => {
  it("an unattached voter votes only for a candidate whose log is at least as up to date", () => {
    expect(canGrantVote(unattached(), A, true, false)).toBe(true);
    expect(canGrantVote(unattached(), A, false, false)).toBe(false);
  });
  it("one vote per epoch: having voted, only the same candidate gets it again", () => {
    expect(canGrantVote(unattached(B), B, true, false)).toBe(true);
    expect(canGrantVote(unattached(B), A, true, false)).toBe(false);
  });
  it("a pre-vote binds nothing: granted to any up-to-date prospective, even after a vote", () => {
    expect(canGrantVote(unattached(B), A, true, true)).toBe(true);
    expect(canGrantVote(unattached(B), A, false, true)).toBe(false);
  });
  it("a follower still hearing from its leader refuses pre-votes (KIP-996); before its first fetch it grants them", () => {
    expect(canGrantVote(follower(true), A, true, true)).toBe(false);
    expect(canGrantVote(follower(false), A, true, true)).toBe(true);
    expect(canGrantVote(follower(false), A, true, false)).toBe(false);
  });
  it("a leader refuses everything; a candidate grants only pre-votes", () => {
    const cand: RoleState = { role: "candidate", epoch: 3, election: new EpochElection([A, B, C], A), electionDeadlineUs: 0, retries: 1, backoffUntilUs: -1 };
    expect(canGrantVote(cand, B, true, false)).toBe(false);
    expect(canGrantVote(cand, B, true, true)).toBe(true);
  });
});

describe("EpochElection", () => {
  it("counts the nominee's own vote; granted at a majority, rejected once a majority is impossible", () => {
    const e = new EpochElection([A, B, C], A);
    expect(e.isVoteGranted()).toBe(false);
    e.recordVote(B, false);
    expect(e.isVoteRejected()).toBe(false);
    e.recordVote(C, true);
    expect(e.isVoteGranted()).toBe(true);
    const f = new EpochElection([A, B, C], A);
    f.recordVote(B, false);
    f.recordVote(C, false);
    expect(f.isVoteRejected()).toBe(true);
    expect(f.grantingVoters()).toEqual([A]);
  });
});

describe("election backoffs", () => {
  it("binary exponential: 100 ms × a random number below 2^retries, capped by election.backoff.max.ms", () => {
    const rng = new Rng(5);
    const seen = (retries: number): Set<number> => new Set(Array.from({ length: 400 }, () => binaryExponentialElectionBackoffMs(retries, 1000, rng)));
    expect([...seen(1)].sort((a, b) => a - b)).toEqual([0, 100]);
    expect([...seen(2)].sort((a, b) => a - b)).toEqual([0, 100, 200, 300]);
    expect(Math.max(...seen(10))).toBe(1000);
  });
  it("strict exponential after EndQuorumEpoch: the first successor at once, later ones later", () => {
    expect([0, 1, 2, 3].map((p) => strictExponentialElectionBackoffMs(p, 4, 1000))).toEqual([0, 125, 250, 500]);
    expect(strictExponentialElectionBackoffMs(-1, 4, 1000)).toBe(1000);
  });
});
