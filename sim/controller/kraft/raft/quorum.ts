// A Raft node's state and its transitions (raft/.../QuorumState.java and the transition half of
// KafkaRaftClient): which role it is in, the durable election state behind it, the log, the high watermark and
// what the listener (the QuorumController, a broker's metadata loader) is told. RaftNode (raft-node.ts) adds
// the RPCs and the poll loop on top.
import type { NodeId } from "../../../core/ids.ts";
import type { NodeContext } from "../../../core/node.ts";
import { invariant } from "../../../core/errors.ts";
import type { QuorumConfig } from "../config.ts";
import type { KRaftTraceEvent } from "../events.ts";
import type { RaftErrorCode } from "../errors.ts";
import { RaftLog } from "./log.ts";
import type { RaftBatch } from "./log.ts";
import type { RaftMessage } from "./messages.ts";
import { readElectionState, writeElectionState } from "./quorum-state.ts";
import { EpochElection, leaderIdOf, votedIdOf } from "./election.ts";
import type { RoleState } from "./election.ts";
import { LeaderState } from "./leader-state.ts";
import { RequestManager } from "./channels.ts";

export interface LeaderAndEpoch {
  readonly leaderId: NodeId | null;
  readonly epoch: number;
}

/** What a Raft node tells its host (RaftClient.Listener): committed batches, in order, and leader changes. */
export interface RaftListener<T> {
  handleCommit(batch: RaftBatch<T>): void;
  handleLeaderChange(leader: LeaderAndEpoch): void;
}

export interface RaftNodeOptions<T> {
  /** controller.quorum.voters: the static voter set. A node not in it is an observer. */
  readonly voters: readonly NodeId[];
  readonly config: QuorumConfig;
  readonly listener?: RaftListener<T>;
  readonly logName?: string;
  /** Observers flush after each fetched append only when set (voters always do: followersAlwaysFlush). */
  readonly alwaysFlush?: boolean;
  /** Records per fetch response, rounded up to whole batches (Kafka: 8 MiB). */
  readonly maxFetchRecords?: number;
}

export type RaftContext<T> = NodeContext<RaftMessage<T>, KRaftTraceEvent>;

/** The timer tag of a Raft node's single wake-up timer (a host routes tags by instanceof). */
export class RaftWake {}

export abstract class QuorumCore<T> {
  protected ctx!: RaftContext<T>;
  protected self!: NodeId;
  protected log!: RaftLog<T>;
  protected state!: RoleState<T>;
  /** The HW of a non-leader (-1 unknown); a leader's is leader.hw. Never persisted. */
  protected followerHw = -1;
  protected readonly voters: readonly NodeId[];
  protected readonly cfg: QuorumConfig;
  protected readonly us: { election: number; fetch: number; linger: number; backoffMax: number };
  protected readonly requests: RequestManager;
  protected readonly listener: RaftListener<T> | undefined;
  protected shuttingDown = false;
  /** Bumped by every transition: the poll loop runs again after one. */
  protected transitions = 0;
  private listenerNext = 0;
  private lastFired: LeaderAndEpoch = { leaderId: null, epoch: -1 };
  private lastEmitted = "";

  constructor(protected readonly opts: RaftNodeOptions<T>) {
    this.voters = opts.voters;
    this.cfg = opts.config;
    this.us = { election: opts.config.electionTimeoutMs * 1000, fetch: opts.config.fetchTimeoutMs * 1000, linger: opts.config.appendLingerMs * 1000, backoffMax: opts.config.electionBackoffMaxMs };
    this.requests = new RequestManager(opts.config.requestTimeoutMs * 1000, opts.config.retryBackoffMs * 1000);
    this.listener = opts.listener;
  }

  get isVoter(): boolean {
    return this.voters.includes(this.self);
  }
  get epoch(): number {
    return this.state.epoch;
  }
  get role(): RoleState["role"] {
    return this.state.role;
  }
  get raftLog(): RaftLog<T> {
    return this.log;
  }
  get highWatermark(): number {
    return this.state.role === "leader" ? this.state.leader.hw : this.followerHw;
  }
  leaderAndEpoch(): LeaderAndEpoch {
    return { leaderId: leaderIdOf(this.state, this.self), epoch: this.state.epoch };
  }

  /** Restore from disk (QuorumState.initialize): a former leader comes back resigned in its epoch (it must not
   *  lead that epoch twice), a former candidate as candidate, a follower as follower. */
  protected initialize(ctx: RaftContext<T>): void {
    this.ctx = ctx;
    this.self = ctx.self;
    this.log = new RaftLog<T>(ctx.disk, this.opts.logName);
    const es = readElectionState(ctx.disk);
    const now = ctx.nowUs;
    const lastEpoch = this.log.lastFetchedEpoch;
    let s: RoleState<T>;
    if (es.epoch < lastEpoch) s = { role: "unattached", epoch: lastEpoch, leaderId: null, votedId: null, electionDeadlineUs: this.electionDeadline(now) };
    else if (this.isVoter && es.leaderId === this.self) {
      s = { role: "resigned", epoch: es.epoch, electionDeadlineUs: this.electionDeadline(now), unacked: new Set(this.others()), preferredSuccessors: [] };
    } else if (es.leaderId !== null) {
      // Before the candidate check: since 4.0 a candidate that lost to a leader in its epoch keeps its vote for
      // itself, and restoring it as candidate would ask for votes with records of that very epoch.
      s = { role: "follower", epoch: es.epoch, leaderId: es.leaderId, votedId: es.votedId, fetchDeadlineUs: now + this.us.fetch, hasFetchedFromLeader: false };
    } else if (this.isVoter && es.votedId === this.self) {
      s = { role: "candidate", epoch: es.epoch, election: new EpochElection(this.voters, this.self), electionDeadlineUs: this.electionDeadline(now), retries: 1, backoffUntilUs: -1 };
    } else s = { role: "unattached", epoch: es.epoch, leaderId: null, votedId: es.votedId, electionDeadlineUs: this.electionDeadline(now) };
    this.setState(s, true);
  }

  protected others(): NodeId[] {
    return this.voters.filter((v) => v !== this.self);
  }

  /** A random election timeout in [T, 2T) from the node's own stream; never for an observer. */
  protected electionDeadline(nowUs: number): number {
    if (!this.isVoter) return Infinity;
    const t = this.cfg.electionTimeoutMs;
    return nowUs + (t + this.ctx.rng.int(0, t - 1)) * 1000;
  }

  private setState(next: RoleState<T>, durable: boolean): void {
    const prev = this.state as RoleState<T> | undefined;
    if (prev !== undefined && prev.role === "leader" && next.role !== "leader") this.followerHw = prev.leader.hw;
    if (durable) writeElectionState(this.ctx.disk, { epoch: next.epoch, leaderId: leaderIdOf(next, this.self), votedId: votedIdOf(next, this.self) });
    this.state = next;
    this.transitions++;
    const leader = leaderIdOf(next, this.self) ?? "";
    const key = `${next.role}/${next.epoch}/${leader}`;
    if (key !== this.lastEmitted) {
      this.lastEmitted = key;
      this.ctx.emit({ type: "raft-role", node: this.self, role: next.role, epoch: next.epoch, leader });
    }
    this.maybeFireLeaderChange();
  }

  /** A leader leaving office: parked fetches are answered NOT_LEADER_OR_FOLLOWER, unwritten appends are dropped. */
  protected abstract leaveLeader(leader: LeaderState<T>): void;

  private changeRole(next: RoleState<T>, durable: boolean): void {
    const prev = this.state;
    this.setState(next, durable);
    this.requests.resetAll();
    if (prev.role === "leader") this.leaveLeader(prev.leader);
  }

  protected transitionToUnattached(epoch: number): void {
    const cur = this.state;
    invariant(epoch > cur.epoch || (epoch === cur.epoch && cur.role === "prospective"), `${this.self}: unattached at epoch ${epoch} from ${cur.role} ${cur.epoch}`);
    // From resigned (epoch + 1) the election timeout that just expired carries over: an election follows at once.
    const now = this.ctx.nowUs;
    let deadline: number;
    if (!this.isVoter) deadline = Infinity;
    else if (cur.role === "candidate" || cur.role === "unattached" || cur.role === "resigned") deadline = cur.electionDeadlineUs;
    else if (cur.role === "prospective" && !cur.election.isVoteRejected()) deadline = cur.electionDeadlineUs;
    else deadline = this.electionDeadline(now);
    // In the same epoch (from prospective) the vote is kept: a voter votes at most once per epoch.
    const votedId = epoch === cur.epoch ? votedIdOf(cur, this.self) : null;
    this.changeRole({ role: "unattached", epoch, leaderId: null, votedId, electionDeadlineUs: deadline }, true);
  }

  /** Granting a vote (unattachedAddVotedState / prospectiveAddVotedState): durable, and a fresh election timeout. */
  protected addVotedState(candidate: NodeId): void {
    const cur = this.state;
    const deadline = this.electionDeadline(this.ctx.nowUs);
    if (cur.role === "unattached") this.setState({ ...cur, votedId: candidate, electionDeadlineUs: deadline }, true);
    else if (cur.role === "prospective") this.setState({ ...cur, votedId: candidate, electionDeadlineUs: deadline }, true);
  }

  protected transitionToFollower(epoch: number, leaderId: NodeId): void {
    const cur = this.state;
    invariant(leaderId !== this.self, `${this.self}: follower of itself in epoch ${epoch}`);
    invariant(epoch > cur.epoch || (epoch === cur.epoch && cur.role !== "follower" && cur.role !== "leader"), `${this.self}: follower of ${leaderId} at epoch ${epoch} from ${cur.role} ${cur.epoch}`);
    const votedId = epoch === cur.epoch ? votedIdOf(cur, this.self) : null;
    this.changeRole({ role: "follower", epoch, leaderId, votedId, fetchDeadlineUs: this.ctx.nowUs + this.us.fetch, hasFetchedFromLeader: false }, true);
  }

  /** Start an election: with pre-vote (4.0+) as a prospective in the same epoch, else as a candidate. */
  protected startElection(): void {
    if (this.cfg.preVote) this.transitionToProspective();
    else this.transitionToCandidate();
  }

  protected transitionToProspective(): void {
    const cur = this.state;
    const retries = cur.role === "candidate" ? cur.retries + 1 : 1;
    const known = leaderIdOf(cur, this.self);
    const election = new EpochElection(this.voters, this.self);
    // Not durable: nothing in the election state changes (QuorumState.transitionToProspective).
    this.changeRole(
      { role: "prospective", epoch: cur.epoch, leaderId: known === this.self ? null : known, votedId: votedIdOf(cur, this.self), election, electionDeadlineUs: this.electionDeadline(this.ctx.nowUs), retries },
      false,
    );
    if (election.isVoteGranted()) this.transitionToCandidate();
  }

  protected transitionToCandidate(): void {
    const cur = this.state;
    const retries = cur.role === "prospective" ? cur.retries : cur.role === "candidate" ? cur.retries + 1 : 1;
    const election = new EpochElection(this.voters, this.self);
    this.changeRole({ role: "candidate", epoch: cur.epoch + 1, election, electionDeadlineUs: this.electionDeadline(this.ctx.nowUs), retries, backoffUntilUs: -1 }, true);
    if (election.isVoteGranted()) this.transitionToLeader();
  }

  /** A new leader starts its epoch at its log end and writes a LeaderChangeMessage at once: the HW can only move
   *  past a record of its own epoch (KafkaRaftClient.onBecomeLeader). */
  protected transitionToLeader(): void {
    const cur = this.state;
    invariant(cur.role === "candidate" && cur.election.isVoteGranted(), `${this.self}: leader without a majority in epoch ${cur.epoch}`);
    const now = this.ctx.nowUs;
    const epochStart = this.log.endOffset;
    const leader = new LeaderState<T>(cur.epoch, epochStart, this.voters, this.self, cur.election.grantingVoters(), this.us.fetch, now);
    this.changeRole({ role: "leader", epoch: cur.epoch, leader }, true);
    this.log.appendBatch(cur.epoch, [{ kind: "leader-change", leaderId: this.self, voters: this.voters, grantingVoters: leader.grantingVoters }], now);
    this.log.flush();
    this.onLeaderEndOffset(leader);
  }

  protected transitionToResigned(reason: "check-quorum" | "shutdown" | "requested"): void {
    const cur = this.state;
    invariant(cur.role === "leader", `${this.self}: resigning as ${cur.role}`);
    this.ctx.emit({ type: "raft-resign", node: this.self, epoch: cur.epoch, reason });
    const successors = cur.leader.successorsByFetchOffset();
    this.changeRole({ role: "resigned", epoch: cur.epoch, electionDeadlineUs: this.electionDeadline(this.ctx.nowUs), unacked: new Set(this.others()), preferredSuccessors: successors }, false);
  }

  /** The leader's log end moved (its own appends, flushed): maybe the HW; parked fetches can be answered. */
  protected abstract onLeaderEndOffset(leader: LeaderState<T>): void;

  /** Hand the listener every committed batch it has not seen, then maybe the leader change. */
  protected updateListenersProgress(hw: number): void {
    const l = this.listener;
    if (l !== undefined) {
      while (this.listenerNext < hw && this.listenerNext < this.log.endOffset) {
        const batch = this.log.readBatch(this.listenerNext);
        this.listenerNext = batch.lastOffset + 1;
        l.handleCommit(batch);
      }
    }
    this.maybeFireLeaderChange();
  }

  /** handleLeaderChange fires when the leader or epoch changes; for this node becoming leader only once the
   *  listener has seen its epoch's first record, so the host has replayed everything committed before it
   *  (ListenerContext.maybeFireLeaderChange). */
  protected maybeFireLeaderChange(): void {
    const l = this.listener;
    if (l === undefined) return;
    const s = this.state;
    if (s.role === "leader" && this.listenerNext <= s.leader.epochStartOffset) return;
    const leaderId = leaderIdOf(s, this.self);
    const last = this.lastFired;
    if (last.epoch === s.epoch && last.leaderId === leaderId) return;
    if (s.epoch < last.epoch || (s.epoch === last.epoch && (leaderId === null || last.leaderId !== null))) return;
    this.lastFired = { leaderId, epoch: s.epoch };
    l.handleLeaderChange(this.lastFired);
  }

  // ---- responses: what every response says about the epoch (maybeHandleCommonResponse) ----

  /** true/false: handled here (false: back off before the next request); undefined: for the caller. */
  protected commonResponse(error: RaftErrorCode, leaderId: NodeId | null, epoch: number): boolean | undefined {
    const ours = this.state.epoch;
    if (epoch < ours || error === "UNKNOWN_LEADER_EPOCH") return true;
    if (epoch > ours || error === "FENCED_LEADER_EPOCH" || error === "NOT_LEADER_OR_FOLLOWER") {
      this.maybeTransition(leaderId, epoch);
      return true;
    }
    if (leaderId !== null && leaderIdOf(this.state, this.self) === null) {
      this.transitionToFollower(epoch, leaderId);
      return error === "NONE" ? undefined : true;
    }
    if (error === "BROKER_NOT_AVAILABLE") return false;
    invariant(error !== "INVALID_REQUEST", `${this.self}: a Raft request was answered INVALID_REQUEST`);
    return undefined;
  }

  protected maybeTransition(leaderId: NodeId | null, epoch: number): void {
    const s = this.state;
    const known = leaderIdOf(s, this.self);
    // Two leaders in one epoch would break Raft: Kafka throws here (hasConsistentLeader).
    const consistent = leaderId === this.self ? s.role === "leader" : epoch !== s.epoch || leaderId === null || known === null || leaderId === known;
    invariant(consistent, `${this.self}: leader ${leaderId} in epoch ${epoch}, but ${known} leads epoch ${s.epoch} here`);
    if (epoch > s.epoch) {
      if (leaderId !== null && leaderId !== this.self) this.transitionToFollower(epoch, leaderId);
      else this.transitionToUnattached(epoch);
    } else if (leaderId !== null && known === null) this.transitionToFollower(epoch, leaderId);
  }

  protected settle(from: NodeId, ok: boolean): void {
    if (!ok) this.requests.backoff(from, this.ctx.nowUs);
  }

  /** Where the listener is (the next offset it will be handed). */
  get listenerOffset(): number {
    return this.listenerNext;
  }
}
