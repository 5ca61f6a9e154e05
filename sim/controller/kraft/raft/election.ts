// Elections: the per-role state of a Raft node (QuorumState's EpochState classes), who may get a vote
// (canGrantVote of each state), vote counting (EpochElection) and the election backoffs of KafkaRaftClient.
import type { NodeId } from "../../../core/ids.ts";
import type { Rng } from "../../../core/rng.ts";
import type { LeaderState } from "./leader-state.ts";

/** Votes of one election round, the nominee's own included (internals/EpochElection). */
export class EpochElection {
  private readonly granted = new Set<NodeId>();
  private readonly rejected = new Set<NodeId>();
  constructor(
    readonly voters: readonly NodeId[],
    self: NodeId,
  ) {
    this.granted.add(self);
  }
  private get majority(): number {
    return (this.voters.length >> 1) + 1;
  }
  recordVote(voter: NodeId, granted: boolean): void {
    if (this.granted.has(voter) || this.rejected.has(voter)) return;
    (granted ? this.granted : this.rejected).add(voter);
  }
  isVoteGranted(): boolean {
    return this.granted.size >= this.majority;
  }
  /** No majority is possible any more (numGranted + numUnrecorded < majority). */
  isVoteRejected(): boolean {
    return this.voters.length - this.rejected.size < this.majority;
  }
  isRecorded(voter: NodeId): boolean {
    return this.granted.has(voter) || this.rejected.has(voter);
  }
  grantingVoters(): NodeId[] {
    return this.voters.filter((v) => this.granted.has(v));
  }
}

export interface UnattachedState {
  readonly role: "unattached";
  readonly epoch: number;
  /** Known only when a prospective gave up in the same epoch (KIP-996). */
  readonly leaderId: NodeId | null;
  readonly votedId: NodeId | null;
  readonly electionDeadlineUs: number;
}

/** KIP-996: asking for pre-votes without bumping the epoch. */
export interface ProspectiveState {
  readonly role: "prospective";
  readonly epoch: number;
  readonly leaderId: NodeId | null;
  readonly votedId: NodeId | null;
  readonly election: EpochElection;
  readonly electionDeadlineUs: number;
  readonly retries: number;
}

export interface CandidateState {
  readonly role: "candidate";
  readonly epoch: number;
  readonly election: EpochElection;
  readonly electionDeadlineUs: number;
  readonly retries: number;
  /** Without pre-vote: after a lost or timed-out election, when to try again (-1: not backing off). */
  backoffUntilUs: number;
}

export interface FollowerState {
  readonly role: "follower";
  readonly epoch: number;
  readonly leaderId: NodeId;
  readonly votedId: NodeId | null;
  fetchDeadlineUs: number;
  /** Set by the first successful fetch of this epoch: from then on pre-votes are refused (KIP-996). */
  hasFetchedFromLeader: boolean;
}

export interface LeaderRoleState<T> {
  readonly role: "leader";
  readonly epoch: number;
  readonly leader: LeaderState<T>;
}

/** A leader that gave up (shutdown, check-quorum, resign()): it tells the voters with EndQuorumEpoch. */
export interface ResignedState {
  readonly role: "resigned";
  readonly epoch: number;
  readonly electionDeadlineUs: number;
  readonly unacked: Set<NodeId>;
  readonly preferredSuccessors: readonly NodeId[];
}

export type RoleState<T = unknown> = UnattachedState | ProspectiveState | CandidateState | FollowerState | LeaderRoleState<T> | ResignedState;

export function leaderIdOf(s: RoleState, self: NodeId): NodeId | null {
  switch (s.role) {
    case "leader":
    case "resigned":
      return self;
    case "follower":
    case "unattached":
    case "prospective":
      return s.leaderId;
    case "candidate":
      return null;
  }
}

export function votedIdOf(s: RoleState, self: NodeId): NodeId | null {
  switch (s.role) {
    case "candidate":
      return self;
    case "follower":
    case "unattached":
    case "prospective":
      return s.votedId;
    case "leader":
    case "resigned":
      return null;
  }
}

/** May this node vote for `candidate`? `upToDate`: the candidate's (last epoch, end offset) ≥ ours. */
export function canGrantVote(s: RoleState, candidate: NodeId, upToDate: boolean, preVote: boolean): boolean {
  switch (s.role) {
    case "unattached":
    case "prospective":
      // QuorumState.unattachedOrProspectiveCanGrantVote
      if (preVote) return upToDate;
      if (s.votedId !== null) return s.votedId === candidate;
      if (s.leaderId !== null) return false;
      return upToDate;
    case "candidate":
    case "resigned":
      return preVote && upToDate;
    case "follower":
      // A follower still hearing from its leader refuses pre-votes: a disruptive node cannot win (KIP-996).
      return preVote && !s.hasFetchedFromLeader && upToDate;
    case "leader":
      return false;
  }
}

/** Without pre-vote, the random backoff after a lost election: 100 ms × a random number below 2^retries, capped
 *  (KafkaRaftClient.binaryExponentialElectionBackoffMs; RETRY_BACKOFF_BASE_MS = 100). */
export function binaryExponentialElectionBackoffMs(retries: number, maxMs: number, rng: Rng): number {
  const bound = 2 << Math.min(20, retries - 1);
  return Math.min(100 * rng.int(0, bound - 1), maxMs);
}

/** After EndQuorumEpoch, how long the voter at `position` of the preferred successors waits before its election:
 *  0 for the first (KafkaRaftClient.strictExponentialElectionBackoffMs). */
export function strictExponentialElectionBackoffMs(position: number, total: number, maxMs: number): number {
  if (position === 0) return 0;
  if (position < 0 || position >= total) return maxMs;
  const base = maxMs >> (total - 1);
  return Math.min(maxMs, base << (position - 1));
}
