// A KRaft node (raft/.../KafkaRaftClient.java): the Vote, BeginQuorumEpoch and EndQuorumEpoch RPCs (Fetch is in
// fetch.ts, the state and its transitions in quorum.ts) and the poll loop that drives each role's timers. Voters elect (pre-vote first when KIP-996 is on), the leader
// announces itself, followers and observers pull, the leader answers a diverging fetch with the epoch to
// truncate to, and the HW is the offset a majority of voters reached. One wake-up timer: after every message
// or timer the node polls its role and sets the timer for its next deadline, as KafkaRaftClient.poll does.
import type { NodeId } from "../../../core/ids.ts";
import type { Actor } from "../../../core/node.ts";
import { invariant } from "../../../core/errors.ts";
import type { KRaftTraceEvent } from "../events.ts";
import type { RaftErrorCode } from "../errors.ts";
import type { BeginQuorumEpochRequest, EndQuorumEpochRequest, RaftMessage, VoteRequest } from "./messages.ts";
import { binaryExponentialElectionBackoffMs, canGrantVote, leaderIdOf, strictExponentialElectionBackoffMs } from "./election.ts";
import { RaftWake } from "./quorum.ts";
import { FetchCore } from "./fetch.ts";
import type { RaftContext } from "./quorum.ts";

export type { LeaderAndEpoch, RaftListener, RaftNodeOptions, RaftContext } from "./quorum.ts";
export { RaftWake } from "./quorum.ts";

const MAX_POLL_ROUNDS = 8;

export class RaftNode<T> extends FetchCore<T> implements Actor<RaftMessage<T>, KRaftTraceEvent> {
  private readonly wakeTag = new RaftWake();
  private readonly closeTimedOut = (node: NodeId): void => this.ctx.closeConnection(node);
  private wakeHandle = -1;
  private wakeAtUs = Infinity;
  private spinAtUs = -1;
  private spins = 0;

  onStart(ctx: RaftContext<T>): void {
    this.initialize(ctx);
    // A lone voter elects itself at once (KafkaRaftClient.initialize).
    if (this.isVoter && this.voters.length === 1 && this.state.role === "unattached") this.startElection();
    this.poll();
  }

  onMessage(ctx: RaftContext<T>, from: NodeId, msg: RaftMessage<T>): void {
    this.ctx = ctx;
    switch (msg.type) {
      case "raft-vote":
        this.handleVote(from, msg);
        break;
      case "raft-vote-response": {
        if (!this.requests.takeResponse(from, msg.corr)) break;
        const h = this.commonResponse(msg.error, msg.leaderId, msg.epoch);
        if (h !== undefined) this.settle(from, h);
        else if (msg.error === "NONE") this.onVote(from, msg.voteGranted);
        else this.settle(from, false);
        break;
      }
      case "raft-begin-quorum-epoch":
      case "raft-end-quorum-epoch":
        this.handleQuorumEpoch(from, msg);
        break;
      case "raft-begin-quorum-epoch-response":
      case "raft-end-quorum-epoch-response": {
        if (!this.requests.takeResponse(from, msg.corr)) break;
        const h = this.commonResponse(msg.error, msg.leaderId, msg.epoch);
        if (h !== undefined) this.settle(from, h);
        else if (msg.error !== "NONE") this.settle(from, false);
        else if (msg.type === "raft-begin-quorum-epoch-response" && this.state.role === "leader") this.state.leader.acknowledged.add(from);
        else if (msg.type === "raft-end-quorum-epoch-response" && this.state.role === "resigned") this.state.unacked.delete(from);
        break;
      }
      case "raft-fetch":
        this.handleFetch(from, msg);
        break;
      case "raft-fetch-response":
        this.handleFetchResponse(from, msg);
        break;
    }
    this.poll();
  }

  onTimer(ctx: RaftContext<T>, tag: unknown): void {
    if (tag !== this.wakeTag) return;
    this.ctx = ctx;
    this.wakeHandle = -1;
    this.wakeAtUs = Infinity;
    this.poll();
  }

  onDisconnect(ctx: RaftContext<T>, peer: NodeId): void {
    this.ctx = ctx;
    this.requests.disconnected(peer, ctx.nowUs);
    this.poll();
  }

  /** A clean shutdown: a leader resigns and tells the voters at once (its goodbyes still reach them). */
  onShutdown(ctx: RaftContext<T>): void {
    this.ctx = ctx;
    this.shuttingDown = true;
    if (this.state.role === "leader") {
      this.transitionToResigned("shutdown");
      for (const v of this.others()) this.sendEndQuorumEpoch(v);
    }
  }

  // ---- the host's API (RaftClient) ----

  /** Append one atomic batch of data records as the leader of `epoch`; returns the offset of its last record,
   *  or -1 when this node is not that leader (NotLeaderException). Written after append.linger.ms. */
  append(epoch: number, records: readonly T[]): number {
    const s = this.state;
    if (s.role !== "leader" || s.epoch !== epoch || records.length === 0) return -1;
    const L = s.leader;
    if (L.pending.length === 0) L.pendingSinceUs = this.ctx.nowUs;
    for (const data of records) L.pending.push({ kind: "data", data });
    this.scheduleWake(L.pendingSinceUs + this.us.linger);
    return L.nextOffset(this.log.endOffset) - 1;
  }

  /** The offset the next appended record will get (OffsetControlManager.nextWriteOffset), -1 if not leader. */
  nextWriteOffset(): number {
    const s = this.state;
    return s.role === "leader" ? s.leader.nextOffset(this.log.endOffset) : -1;
  }

  /** Give up the leadership of `epoch` (RaftClient.resign). */
  resign(epoch: number): void {
    const s = this.state;
    if (s.role !== "leader" || s.epoch !== epoch) return;
    s.leader.resignRequested = true;
    this.scheduleWake(this.ctx.nowUs);
  }

  // ---- the poll loop ----

  private poll(): void {
    for (let round = 0; round < MAX_POLL_ROUNDS; round++) {
      const before = this.transitions;
      const now = this.ctx.nowUs;
      this.requests.expire(now, this.closeTimedOut);
      const next = Math.min(this.pollRole(now), this.requests.nextDeadline(now));
      if (this.transitions === before) {
        this.scheduleWake(next);
        return;
      }
    }
    this.scheduleWake(this.ctx.nowUs);
  }

  private scheduleWake(atUs: number): void {
    if (atUs === Infinity || atUs >= this.wakeAtUs) return;
    // A deadline left in the past would spin at one instant: a model bug, reported rather than hung on.
    if (atUs <= this.ctx.nowUs) {
      if (this.ctx.nowUs === this.spinAtUs) invariant(++this.spins < 1000, `${this.self}: the ${this.state.role} poll loop spins at ${this.ctx.nowUs} µs`);
      else {
        this.spinAtUs = this.ctx.nowUs;
        this.spins = 0;
      }
    }
    if (this.wakeHandle >= 0) this.ctx.cancelTimer(this.wakeHandle);
    this.wakeAtUs = atUs;
    this.wakeHandle = this.ctx.setTimer(Math.max(0, atUs - this.ctx.nowUs), this.wakeTag);
  }

  private pollRole(now: number): number {
    const s = this.state;
    switch (s.role) {
      case "leader": {
        const L = s.leader;
        if (this.shuttingDown || L.resignRequested || now >= L.checkQuorumDeadline()) {
          this.transitionToResigned(this.shuttingDown ? "shutdown" : L.resignRequested ? "requested" : "check-quorum");
          return now;
        }
        if (L.pending.length > 0 && now >= L.pendingSinceUs + this.us.linger) this.drainAccumulator(L, now);
        let next = Math.min(L.checkQuorumDeadline(), L.pending.length > 0 ? L.pendingSinceUs + this.us.linger : Infinity);
        next = Math.min(next, this.expireParked(L, now));
        if (now >= L.beginQuorumEpochDueUs) {
          for (const v of this.others()) {
            if (!this.requests.isReady(v, now)) continue;
            const corr = this.requests.onRequestSent(v, now);
            this.ctx.send(v, { type: "raft-begin-quorum-epoch", corr, epoch: s.epoch, leaderId: this.self });
          }
          L.beginQuorumEpochDueUs = now + L.beginQuorumEpochTimeoutUs;
        }
        return Math.min(next, L.beginQuorumEpochDueUs);
      }
      case "candidate":
        if (this.shuttingDown) return this.sendVotes(now);
        if (this.cfg.preVote) {
          if (s.election.isVoteRejected() || now >= s.electionDeadlineUs) {
            this.transitionToProspective();
            return now;
          }
          return Math.min(this.sendVotes(now), s.electionDeadlineUs);
        }
        if (s.backoffUntilUs >= 0) {
          if (now < s.backoffUntilUs) return s.backoffUntilUs;
          this.transitionToCandidate();
          return now;
        }
        if (now >= s.electionDeadlineUs) {
          s.backoffUntilUs = now + binaryExponentialElectionBackoffMs(s.retries, this.us.backoffMax, this.ctx.rng) * 1000;
          return s.backoffUntilUs;
        }
        return Math.min(this.sendVotes(now), s.electionDeadlineUs);
      case "prospective":
        if (this.shuttingDown) return this.sendVotes(now);
        if (s.election.isVoteRejected() || now >= s.electionDeadlineUs) {
          if (s.leaderId !== null) this.transitionToFollower(s.epoch, s.leaderId);
          else this.transitionToUnattached(s.epoch);
          return now;
        }
        return Math.min(this.sendVotes(now), s.electionDeadlineUs);
      case "follower":
        if (this.isVoter) {
          if (this.shuttingDown) return Infinity;
          if (now >= s.fetchDeadlineUs) {
            this.startElection();
            return now;
          }
          this.maybeFetch(s.leaderId, now);
          return s.fetchDeadlineUs;
        }
        // An observer whose leader is silent or failing asks any voter who leads.
        if (now >= s.fetchDeadlineUs || this.requests.isBackingOff(s.leaderId, now)) this.fetchFromAnyVoter(now);
        else this.maybeFetch(s.leaderId, now);
        return s.fetchDeadlineUs > now ? s.fetchDeadlineUs : Infinity;
      case "unattached":
        if (!this.isVoter) {
          this.fetchFromAnyVoter(now);
          return Infinity;
        }
        if (this.shuttingDown) return Infinity;
        if (now >= s.electionDeadlineUs) {
          this.startElection();
          return now;
        }
        return s.electionDeadlineUs;
      case "resigned":
        for (const v of s.unacked) if (this.requests.isReady(v, now)) this.sendEndQuorumEpoch(v);
        if (this.shuttingDown) return Infinity;
        if (now >= s.electionDeadlineUs) {
          // With pre-vote a resigned leader moves to the next epoch unattached (its old epoch's answers can no
          // longer name it leader), then campaigns; before 4.0 it became a candidate directly.
          if (this.cfg.preVote) this.transitionToUnattached(s.epoch + 1);
          else this.startElection();
          return now;
        }
        return s.electionDeadlineUs;
    }
  }

  // ---- elections ----

  private sendVotes(now: number): number {
    const s = this.state;
    if (s.role !== "candidate" && s.role !== "prospective") return Infinity;
    if (s.election.isVoteRejected()) return Infinity;
    const preVote = s.role === "prospective";
    for (const v of this.others()) {
      if (s.election.isRecorded(v) || !this.requests.isReady(v, now)) continue;
      const corr = this.requests.onRequestSent(v, now);
      const req: VoteRequest = { type: "raft-vote", corr, replicaEpoch: s.epoch, lastOffsetEpoch: this.log.lastFetchedEpoch, lastOffset: this.log.endOffset, preVote };
      this.ctx.send(v, req);
    }
    return Infinity;
  }

  private handleVote(from: NodeId, req: VoteRequest): void {
    const reply = (error: RaftErrorCode, voteGranted: boolean): void =>
      this.ctx.send(from, { type: "raft-vote-response", corr: req.corr, error, epoch: this.state.epoch, leaderId: leaderIdOf(this.state, this.self), voteGranted });
    // A candidate bumped its epoch past its last record's; a prospective did not (KafkaRaftClient.handleVoteRequest).
    const illegalEpoch = req.preVote ? req.lastOffsetEpoch > req.replicaEpoch : req.lastOffsetEpoch >= req.replicaEpoch;
    if (req.lastOffset < 0 || req.lastOffsetEpoch < 0 || illegalEpoch) return reply("INVALID_REQUEST", false);
    if (req.replicaEpoch < this.state.epoch) return reply("FENCED_LEADER_EPOCH", false);
    if (req.replicaEpoch > this.state.epoch) this.transitionToUnattached(req.replicaEpoch);
    const ourEpoch = this.log.lastFetchedEpoch;
    const upToDate = req.lastOffsetEpoch > ourEpoch || (req.lastOffsetEpoch === ourEpoch && req.lastOffset >= this.log.endOffset);
    const granted = canGrantVote(this.state, from, upToDate, req.preVote);
    const s = this.state;
    if (!req.preVote && granted && (s.role === "unattached" || s.role === "prospective") && s.votedId === null) this.addVotedState(from);
    if (granted) this.ctx.emit({ type: "raft-vote-granted", node: this.self, candidate: from, epoch: req.replicaEpoch, preVote: req.preVote });
    reply("NONE", granted);
  }

  private onVote(from: NodeId, granted: boolean): void {
    const s = this.state;
    if (s.role !== "candidate" && s.role !== "prospective") return;
    s.election.recordVote(from, granted);
    if (granted) {
      if (s.election.isVoteGranted()) {
        if (s.role === "prospective") this.transitionToCandidate();
        else this.transitionToLeader();
      }
    } else if (s.role === "candidate" && !this.cfg.preVote && s.election.isVoteRejected() && s.backoffUntilUs < 0) {
      // Rejected by a majority: back off at once rather than wait for the election timeout.
      s.backoffUntilUs = this.ctx.nowUs + binaryExponentialElectionBackoffMs(s.retries, this.us.backoffMax, this.ctx.rng) * 1000;
    }
  }

  // ---- BeginQuorumEpoch / EndQuorumEpoch ----

  private handleQuorumEpoch(from: NodeId, req: BeginQuorumEpochRequest | EndQuorumEpochRequest): void {
    const type = req.type === "raft-begin-quorum-epoch" ? "raft-begin-quorum-epoch-response" : "raft-end-quorum-epoch-response";
    const reply = (error: RaftErrorCode): void => this.ctx.send(from, { type, corr: req.corr, error, epoch: this.state.epoch, leaderId: leaderIdOf(this.state, this.self) });
    if (req.epoch < this.state.epoch) return reply("FENCED_LEADER_EPOCH");
    this.maybeTransition(req.leaderId, req.epoch);
    const s = this.state;
    if (req.type === "raft-end-quorum-epoch" && s.role === "follower" && s.leaderId === req.leaderId) {
      // The most up-to-date successor campaigns at once, the others after a growing backoff.
      const pos = req.preferredSuccessors.indexOf(this.self);
      const backoffMs = strictExponentialElectionBackoffMs(pos, req.preferredSuccessors.length, this.us.backoffMax);
      s.fetchDeadlineUs = this.ctx.nowUs + backoffMs * 1000;
    }
    reply("NONE");
  }

  private sendEndQuorumEpoch(to: NodeId): void {
    const s = this.state;
    if (s.role !== "resigned") return;
    const corr = this.requests.onRequestSent(to, this.ctx.nowUs);
    this.ctx.send(to, { type: "raft-end-quorum-epoch", corr, epoch: s.epoch, leaderId: this.self, preferredSuccessors: s.preferredSuccessors });
  }
}
