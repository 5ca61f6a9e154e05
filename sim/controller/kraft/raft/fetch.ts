// The Fetch half of KafkaRaftClient: the leader answers a Fetch with whole batches from the fetcher's offset,
// with the epoch to truncate to when the fetcher's log diverges, or parks it (up to 500 ms) when there is nothing
// new; each valid Fetch from a voter moves its fetch offset (the HW) and check-quorum. A follower appends what it
// fetched, fsyncs it if it is a voter, and takes the leader's HW capped by its own end; an observer whose leader is
// silent asks any voter. The leader's own appends linger in the accumulator, then are written, fsynced and counted.
import type { NodeId } from "../../../core/ids.ts";
import { invariant } from "../../../core/errors.ts";
import type { RaftErrorCode } from "../errors.ts";
import type { FetchRequest, FetchResponse, RaftRecordSlice } from "./messages.ts";
import { leaderIdOf } from "./election.ts";
import type { LeaderState, ParkedFetch } from "./leader-state.ts";
import { QuorumCore } from "./quorum.ts";

/** Records per fetch response by default (Kafka: MAX_FETCH_SIZE_BYTES, 8 MiB), rounded up to whole batches. */
const MAX_FETCH_RECORDS = 4096;

export abstract class FetchCore<T> extends QuorumCore<T> {
  // ---- Fetch: the leader's side ----

  protected handleFetch(from: NodeId, req: FetchRequest): void {
    if (req.fetchOffset < 0 || req.lastFetchedEpoch < 0 || req.lastFetchedEpoch > req.currentLeaderEpoch) return this.replyFetch(from, req.corr, "INVALID_REQUEST", -1, null);
    const s = this.state;
    const error: RaftErrorCode =
      req.currentLeaderEpoch < s.epoch ? "FENCED_LEADER_EPOCH" : req.currentLeaderEpoch > s.epoch ? "UNKNOWN_LEADER_EPOCH" : s.role !== "leader" ? "NOT_LEADER_OR_FOLLOWER" : this.shuttingDown ? "BROKER_NOT_AVAILABLE" : "NONE";
    if (error !== "NONE" || s.role !== "leader") return this.replyFetch(from, req.corr, error, -1, null);
    const L = s.leader;
    if (!this.log.validateFetch(req.fetchOffset, req.lastFetchedEpoch)) return this.replyFetch(from, req.corr, "NONE", L.hw, null, true);
    if (L.updateReplicaState(from, req.fetchOffset, this.ctx.nowUs)) this.onLeaderHw(L);
    // KIP-1166: a fetcher behind the leader's HW is answered at once (it only needs the HW).
    const hwBehind = req.highWatermark !== undefined && req.highWatermark < L.hw;
    if (req.fetchOffset >= this.log.endOffset && req.maxWaitMs > 0 && !hwBehind) {
      L.parked.push({ from, req, deadlineUs: this.ctx.nowUs + req.maxWaitMs * 1000, hw: L.hw });
      return;
    }
    this.replyFetch(from, req.corr, "NONE", L.hw, this.log.slice(req.fetchOffset, this.opts.maxFetchRecords ?? MAX_FETCH_RECORDS));
  }

  protected replyFetch(to: NodeId, corr: number, error: RaftErrorCode, hw: number, records: RaftRecordSlice<T> | null, diverging = false): void {
    const s = this.state;
    this.ctx.send(to, {
      type: "raft-fetch-response",
      corr,
      error,
      epoch: s.epoch,
      leaderId: leaderIdOf(s, this.self),
      highWatermark: hw,
      divergingEpoch: diverging ? this.log.divergingEpoch : -1,
      divergingEndOffset: diverging ? this.log.divergingEndOffset : -1,
      records,
    });
  }

  /** Answer parked fetches that have new data (the log end passed their offset) or waited long enough. */
  protected expireParked(L: LeaderState<T>, now: number): number {
    if (this.expiring) {
      this.expireAgain = true; // the HW moved while answering: look again once this pass is over
      return now;
    }
    this.expiring = true;
    let next = Infinity;
    const parked = L.parked;
    do {
      this.expireAgain = false;
      next = Infinity;
      let kept = 0;
      for (let i = 0; i < parked.length; i++) {
        const p = parked[i] as ParkedFetch;
        if (p.req.fetchOffset < this.log.endOffset || (p.req.highWatermark !== undefined && p.req.highWatermark < L.hw)) this.completeParked(L, p, true);
        else if (now >= p.deadlineUs) this.completeParked(L, p, false);
        else {
          parked[kept++] = p;
          if (p.deadlineUs < next) next = p.deadlineUs;
        }
      }
      parked.length = kept;
    } while (this.expireAgain && parked.length > 0 && this.state.role === "leader");
    this.expiring = false;
    return next;
  }
  private expiring = false;
  private expireAgain = false;

  /** A parked fetch completes with fresh data, or on expiry with the answer it had when parked. */
  private completeParked(L: LeaderState<T>, p: ParkedFetch, fresh: boolean): void {
    if (!fresh) return this.replyFetch(p.from, p.req.corr, "NONE", p.hw, null);
    if (L.updateReplicaState(p.from, p.req.fetchOffset, this.ctx.nowUs)) this.onLeaderHw(L);
    this.replyFetch(p.from, p.req.corr, "NONE", L.hw, this.log.slice(p.req.fetchOffset, this.opts.maxFetchRecords ?? MAX_FETCH_RECORDS));
  }

  protected leaveLeader(L: LeaderState<T>): void {
    for (const p of L.parked) this.replyFetch(p.from, p.req.corr, "NOT_LEADER_OR_FOLLOWER", -1, null);
    L.parked.length = 0;
    L.pending = [];
  }

  /** Write what the accumulator holds as one batch, fsync, then count the leader's own offset. */
  protected drainAccumulator(L: LeaderState<T>, now: number): void {
    const batch = L.pending;
    L.pending = [];
    L.pendingSinceUs = -1;
    this.log.appendBatch(L.epoch, batch, now);
    // Kafka flushes the leader's log before the HW may count the leader's new end offset (flushLeaderLog).
    this.log.flush();
    this.onLeaderEndOffset(L);
  }

  protected onLeaderEndOffset(L: LeaderState<T>): void {
    if (L.updateLocalState(this.log.endOffset)) this.onLeaderHw(L);
    if (L.parked.length > 0) this.expireParked(L, this.ctx.nowUs);
  }

  private onLeaderHw(L: LeaderState<T>): void {
    this.ctx.emit({ type: "raft-hw", node: this.self, epoch: L.epoch, hw: L.hw });
    this.updateListenersProgress(L.hw);
    // KIP-1166: a moved HW completes the parked fetches of replicas that do not know it yet.
    if (this.cfg.fetchHighWatermark && L.parked.length > 0) this.expireParked(L, this.ctx.nowUs);
  }

  // ---- Fetch: the follower's side ----

  protected maybeFetch(to: NodeId, now: number): void {
    if (!this.requests.isReady(to, now)) return;
    const corr = this.requests.onRequestSent(to, now);
    const epoch = this.state.epoch;
    const offset = this.log.endOffset;
    const lastEpoch = this.log.lastFetchedEpoch;
    // One object per fetch (a hot path: every follower and observer, several times per metadata batch).
    if (this.cfg.fetchHighWatermark) this.ctx.send(to, { type: "raft-fetch", corr, currentLeaderEpoch: epoch, fetchOffset: offset, lastFetchedEpoch: lastEpoch, maxWaitMs: this.cfg.fetchMaxWaitMs, highWatermark: this.followerHw });
    else this.ctx.send(to, { type: "raft-fetch", corr, currentLeaderEpoch: epoch, fetchOffset: offset, lastFetchedEpoch: lastEpoch, maxWaitMs: this.cfg.fetchMaxWaitMs });
  }

  protected fetchFromAnyVoter(now: number): void {
    // One fetch in flight to any voter at a time (checked first: no array is built while one is out).
    for (const v of this.voters) if (this.requests.hasInflight(v)) return;
    const ready = this.voters.filter((v) => v !== this.self && this.requests.isReady(v, now));
    if (ready.length > 0) this.maybeFetch(this.ctx.rng.pick(ready), now);
  }

  protected handleFetchResponse(from: NodeId, resp: FetchResponse<T>): void {
    if (!this.requests.takeResponse(from, resp.corr)) return;
    const h = this.commonResponse(resp.error, resp.leaderId, resp.epoch);
    if (h !== undefined) return this.settle(from, h);
    const s = this.state;
    if (resp.error !== "NONE" || s.role !== "follower") return this.settle(from, false);
    if (resp.divergingEpoch >= 0) {
      const hw = this.followerHw;
      invariant(hw < 0 || resp.divergingEndOffset >= hw, `${this.self}: asked to truncate to ${resp.divergingEndOffset}, below its high watermark ${hw}`);
      const before = this.log.endOffset;
      const to = this.log.truncateToEndOffset(resp.divergingEndOffset, resp.divergingEpoch);
      if (to < before) this.ctx.emit({ type: "raft-truncate", node: this.self, from: before, to });
    } else {
      const recs = resp.records;
      if (recs !== null && recs.count > 0) {
        invariant(recs.baseOffset === this.log.endOffset, `${this.self}: fetched records at ${recs.baseOffset}, log ends at ${this.log.endOffset}`);
        this.log.appendSlice(recs, this.ctx.nowUs);
        // A voter's fetch offset counts towards the HW: it must be on disk before the next Fetch reports it.
        if (this.isVoter || this.opts.alwaysFlush === true) this.log.flush();
      }
      this.updateFollowerHw(resp.highWatermark);
    }
    s.fetchDeadlineUs = this.ctx.nowUs + this.us.fetch;
    s.hasFetchedFromLeader = true;
  }

  private updateFollowerHw(leaderHw: number): void {
    if (leaderHw < 0) return;
    const hw = Math.min(this.log.endOffset, leaderHw);
    invariant(hw >= this.followerHw, `${this.self}: high watermark would go back from ${this.followerHw} to ${hw}`);
    if (hw === this.followerHw) return;
    this.followerHw = hw;
    this.ctx.emit({ type: "raft-hw", node: this.self, epoch: this.state.epoch, hw });
    this.updateListenersProgress(hw);
  }
}
