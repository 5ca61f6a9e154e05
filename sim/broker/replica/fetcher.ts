// The follower side of replication (AbstractFetcherThread / ReplicaFetcherThread): one fetcher per leader broker
// with one request in flight for every partition followed there — OffsetsForLeaderEpoch for partitions still
// truncating (0.11, 2.0), else a fetch (with currentLeaderEpoch and lastFetchedEpoch from 2.7) — its
// replica.socket.timeout.ms watchdog and replica.fetch.backoff.ms; appending what the leader returns, the HW it
// reports, and truncation (to the HW, to the leader's epoch end offset, to a diverging epoch).
import type { NodeId } from "../../core/ids.ts";
import { brokerNode, brokerOfNode } from "../../core/ids.ts";
import { msToUs } from "../../core/time.ts";
import type { FetchPartition, FetchPartitionResponse, FetchRequest, FetchResponse, FetchSessionMetadata, OffsetsForLeaderEpochResponse, RecordSlice } from "../../kafka/protocol.ts";
import type { BrokerCtx } from "../group/host.ts";
import type { Partition } from "./partition.ts";
import { UNDEFINED_EPOCH } from "./epoch-cache.ts";
import { CONN_FETCHER } from "../../kafka/channels.ts";
import type { ReplicaState } from "./state.ts";
import { FollowerFetchSession } from "../fetch-session/follower-session.ts";

/** One fetcher per leader broker: a single fetch (or offsets-for-leader-epoch) request in flight covering every
 *  partition followed there (AbstractFetcherThread). */
export class Fetcher {
  readonly parts: Partition[] = [];
  /** The replicas of the fetch in flight, in its order (its response answers them in that order). */
  readonly sent: Partition[] = [];
  inFlight = false;
  corr = -1;
  /** The request-timeout watchdog is armed (one timer at a time, re-armed rather than cancelled). */
  timeoutTimer = -1;
  sentAtUs = 0;
  backoffTimer = -1;
  readonly timeoutTag: FetcherTag;
  readonly backoffTag: FetcherTag;
  /** KIP-227 (1.1+): the fetch session with this leader; null before 1.1 (every fetch is full). */
  readonly session: FollowerFetchSession | null;
  /** The fetch in flight is an incremental one (its answer names a subset of the session). */
  incremental = false;
  // While no replica's fetch state changed (ReplicaState.followClock) and no back-off ran out, the partitions to
  // fetch are those of the last build (`sent`), and only those the last answer named can have a new fetch entry.
  builtAtClock = -1;
  builtUntilUs = 0;
  /** The partitions the last answer named. */
  readonly answered: Partition[] = [];
  constructor(
    readonly leader: number,
    readonly node: NodeId,
    session: FollowerFetchSession | null,
  ) {
    this.timeoutTag = new FetcherTag(this, "timeout");
    this.backoffTag = new FetcherTag(this, "backoff");
    this.session = session;
  }
}

export class FetcherTag {
  constructor(
    readonly fetcher: Fetcher,
    readonly kind: "timeout" | "backoff",
  ) {}
}

/** A fetcher's timer: the request timed out (back off, then send again) or the back-off is over. */
export function onFetcherTimer(rs: ReplicaState, ctx: BrokerCtx, tag: FetcherTag): void {
  const f = tag.fetcher;
  if (tag.kind === "timeout") {
    f.timeoutTimer = -1;
    if (!f.inFlight) return;
    const left = f.sentAtUs + rs.socketTimeoutUs - ctx.nowUs;
    if (left > 0) {
      f.timeoutTimer = ctx.setTimer(left, f.timeoutTag);
      return;
    }
    // ReplicaFetcherBlockingSend closes the connection on a failed request (here: no answer within
    // replica.socket.timeout.ms); the next fetch goes on a new one.
    f.inFlight = false;
    f.corr = -1;
    f.session?.handleError();
    ctx.closeConnection(f.node, { kind: CONN_FETCHER });
    backoff(rs, ctx, f);
  } else {
    f.backoffTimer = -1;
    sendNext(rs, ctx, f);
  }
}

/** The connection to `peer` broke: its fetcher's request is lost; send again after the back-off. */
export function onFetcherDisconnect(rs: ReplicaState, ctx: BrokerCtx, peer: NodeId): void {
  const b = brokerOfNode(peer);
  if (b === undefined) return;
  const f = rs.fetchers.get(b);
  if (f !== undefined && f.inFlight) {
    f.inFlight = false;
    f.corr = -1;
    f.session?.handleError();
    backoff(rs, ctx, f);
  }
}

/** Follow `p` (already a follower of p.leader) from the leader's fetcher. */
export function startFollowing(rs: ReplicaState, ctx: BrokerCtx, p: Partition): void {
  let f = rs.fetchers.get(p.leader);
  if (f === undefined) {
    f = new Fetcher(p.leader, brokerNode(p.leader), rs.usesFetchSessions ? new FollowerFetchSession(rs.nextFetchStamp) : null);
    rs.fetchers.set(p.leader, f);
  }
  f.parts.push(p);
  sendNext(rs, ctx, f);
}

/** Stop fetching `p` (it becomes leader, follows another leader, or is stopped). */
export function stopFollowing(rs: ReplicaState, p: Partition): void {
  if (p.role === "follower") {
    const f = rs.fetchers.get(p.leader);
    if (f !== undefined) {
      const i = f.parts.indexOf(p);
      if (i >= 0) f.parts.splice(i, 1);
    }
  }
  p.follow = "idle";
}

export function truncate(rs: ReplicaState, ctx: BrokerCtx, p: Partition, toOffset: number, reason: string): void {
  if (rs.spec.bugs.skipTruncation) return;
  const to = Math.max(toOffset, p.log.startOffset);
  if (to >= p.leo) {
    // UnifiedLog.truncateTo: always cut the epoch cache at the log end — a leader that assigned an epoch start
    // but appended nothing before losing leadership keeps a conflicting entry (else the fetch loops on it).
    p.cache.truncateFromEnd(p.leo);
    return;
  }
  const from = p.leo;
  p.sliceCache = null;
  p.log.truncateTo(to);
  if (p.logStateUpTo > to - p.log.startOffset) {
    p.logState.clear();
    p.logStateUpTo = 0;
  }
  if (p.txn.upTo > to - p.log.startOffset) p.txn.clear();
  p.cache.truncateFromEnd(to);
  if (p.hw > to) p.hw = to;
  ctx.emit({ type: "truncate", tp: p.key, broker: rs.brokerId, fromOffset: from, toOffset: to, reason });
}

function backoff(rs: ReplicaState, ctx: BrokerCtx, f: Fetcher): void {
  if (f.backoffTimer !== -1) return;
  f.backoffTimer = ctx.setTimer(Math.max(1, msToUs(rs.spec.broker["replica.fetch.backoff.ms"])), f.backoffTag);
}

/** The fetch entry of a partition ready to fetch, reused while its offset and epochs stay. */
function fetchEntryOf(rs: ReplicaState, p: Partition): FetchPartition {
  const fetchOffset = p.leo;
  const currentLeaderEpoch = rs.leaderEpochInFetch ? p.leaderEpoch : -1;
  const lastFetchedEpoch = rs.truncateOnFetch && !rs.spec.bugs.skipTruncation ? p.cache.latestEpoch : -1;
  let e = p.fetchEntry;
  if (e === null || e.fetchOffset !== fetchOffset || e.currentLeaderEpoch !== currentLeaderEpoch || e.lastFetchedEpoch !== lastFetchedEpoch) {
    e = { topic: p.topic, partition: p.partition, fetchOffset, currentLeaderEpoch, lastFetchedEpoch };
    p.fetchEntry = e;
  }
  return e;
}

/** Send the fetcher's next request: offsets-for-leader-epoch for partitions still truncating, else a fetch. */
function sendNext(rs: ReplicaState, ctx: BrokerCtx, f: Fetcher): void {
  if (f.inFlight || f.backoffTimer !== -1 || f.parts.length === 0) return;
  const now = ctx.nowUs;
  const s = f.session;
  if (s !== null && s.epoch !== 0 && f.builtAtClock === rs.followClock.v && now < f.builtUntilUs) {
    // KIP-227, the common case: the same partitions as last time; name those whose entry the last answer changed.
    s.begin();
    let parts: FetchPartition[] | null = null;
    const ans = f.answered;
    for (let i = 0; i < ans.length; i++) {
      const p = ans[i] as Partition;
      const e = fetchEntryOf(rs, p);
      if (s.offerKnown(p, e)) (parts ??= []).push(e);
    }
    ans.length = 0;
    sendFetch(rs, ctx, f, parts ?? NO_PARTITIONS, s.sameMembers(), true);
    return;
  }
  let delayed = false;
  let readyUntilUs = Infinity;
  // Index loops and arrays of the exact size: this runs after every fetch response (the replication hot path).
  const fps = f.parts;
  let truncating = 0;
  let fetching = 0;
  for (let i = 0; i < fps.length; i++) {
    const p = fps[i] as Partition;
    if (p.follow === "idle") continue;
    if (p.delayedUntilUs > now) {
      delayed = true;
      if (p.delayedUntilUs < readyUntilUs) readyUntilUs = p.delayedUntilUs;
    } else if (p.follow === "truncating") truncating++;
    else fetching++;
  }
  f.answered.length = 0;
  if (truncating > 0) {
    f.builtAtClock = -1;
    const corr = rs.nextCorr++;
    const ofle = new Array<{ topic: string; partition: number; currentLeaderEpoch: number; leaderEpoch: number }>(truncating);
    for (let i = 0, k = 0; i < fps.length; i++) {
      const p = fps[i] as Partition;
      if (p.follow === "truncating" && p.delayedUntilUs <= now) ofle[k++] = { topic: p.topic, partition: p.partition, currentLeaderEpoch: p.leaderEpoch, leaderEpoch: p.truncationEpoch };
    }
    ctx.send(f.node, { type: "offsets-for-leader-epoch", corr, replicaId: rs.brokerId, partitions: ofle });
    markInFlight(rs, ctx, f, corr);
    return;
  }
  if (fetching === 0) {
    f.builtAtClock = -1;
    if (delayed) backoff(rs, ctx, f);
    return;
  }
  // Sessionless (before 1.1) and a session's first fetch name every partition ready to fetch; a session's later
  // fetches (KIP-227) only those whose fetch state changed, and those to forget.
  const incremental = s !== null && s.epoch !== 0;
  const parts: FetchPartition[] | null = incremental ? null : new Array<FetchPartition>(fetching);
  let changed: FetchPartition[] | null = null;
  if (incremental) s.begin();
  for (let i = 0, k = 0; i < fps.length; i++) {
    const p = fps[i] as Partition;
    if (p.follow !== "fetching" || p.delayedUntilUs > now) continue;
    const e = fetchEntryOf(rs, p);
    f.sent[k++] = p;
    if (parts !== null) parts[k - 1] = e;
    else if ((s as FollowerFetchSession).offer(p, e)) (changed ??= []).push(e);
  }
  f.sent.length = fetching;
  f.builtAtClock = rs.followClock.v;
  f.builtUntilUs = readyUntilUs;
  if (s === null) sendFetch(rs, ctx, f, parts as FetchPartition[], null, false);
  else if (incremental) sendFetch(rs, ctx, f, changed ?? NO_PARTITIONS, s.finish(), true);
  else sendFetch(rs, ctx, f, parts as FetchPartition[], s.full(f.sent, fetching), false);
}

function sendFetch(rs: ReplicaState, ctx: BrokerCtx, f: Fetcher, partitions: readonly FetchPartition[], session: FetchSessionMetadata | null, incremental: boolean): void {
  const corr = rs.nextCorr++;
  const replicaId = rs.brokerId;
  const brokerEpoch = rs.hooks.brokerEpoch();
  const maxWaitMs = rs.spec.broker["replica.fetch.wait.max.ms"];
  const req: FetchRequest = session === null ? { type: "fetch", corr, replicaId, brokerEpoch, maxWaitMs, partitions } : { type: "fetch", corr, replicaId, brokerEpoch, maxWaitMs, partitions, session };
  f.incremental = incremental;
  ctx.send(f.node, req);
  markInFlight(rs, ctx, f, corr);
}

function markInFlight(rs: ReplicaState, ctx: BrokerCtx, f: Fetcher, corr: number): void {
  f.inFlight = true;
  f.corr = corr;
  f.sentAtUs = ctx.nowUs;
  if (f.timeoutTimer === -1) f.timeoutTimer = ctx.setTimer(rs.socketTimeoutUs, f.timeoutTag);
}

const NO_PARTITIONS: readonly FetchPartition[] = Object.freeze([]);

function fetcherFor(rs: ReplicaState, from: NodeId, corr: number): Fetcher | undefined {
  const b = brokerOfNode(from);
  if (b === undefined) return undefined;
  const f = rs.fetchers.get(b);
  if (f === undefined || !f.inFlight || f.corr !== corr) return undefined;
  f.inFlight = false;
  f.corr = -1;
  return f;
}

function followedPartition(rs: ReplicaState, f: Fetcher, topic: string, partition: number): Partition | undefined {
  const p = rs.lookup(topic, partition);
  if (p === undefined || p.role !== "follower" || p.leader !== f.leader) return undefined;
  return p;
}

export function handleFetchResponse(rs: ReplicaState, ctx: BrokerCtx, from: NodeId, msg: FetchResponse): void {
  const f = fetcherFor(rs, from, msg.corr);
  if (f === undefined) return;
  if (f.session !== null && !f.session.handleResponse(msg)) {
    // A session error: nothing in it is read; the next fetch opens a new session (RemoteLeaderEndPoint.fetch).
    sendNext(rs, ctx, f);
    return;
  }
  const backoffUs = msToUs(rs.spec.broker["replica.fetch.backoff.ms"]);
  const resps = msg.partitions;
  // A full answer follows the request's order (a replica found at its place); an incremental one names a subset of
  // the session, looked up.
  const order = f.sent;
  const incremental = f.incremental;
  const answered = f.answered;
  for (let i = 0; i < resps.length; i++) {
    const r = resps[i] as FetchPartitionResponse;
    const q = incremental ? undefined : order[i];
    const p = q !== undefined && q.partition === r.partition && q.topic === r.topic ? (q.role === "follower" && q.leader === f.leader ? q : undefined) : followedPartition(rs, f, r.topic, r.partition);
    if (p !== undefined) answered.push(p);
    if (p === undefined || p.follow !== "fetching") continue;
    if (r.error !== "NONE") {
      if (r.error === "OFFSET_OUT_OF_RANGE" && r.highWatermark >= 0 && r.highWatermark < p.leo) {
        // The leader's log is shorter than ours (ReplicaFetcherThread.handleOffsetOutOfRange).
        truncate(rs, ctx, p, r.highWatermark, "offset out of range on the leader");
        if (!rs.spec.bugs.skipTruncation) continue;
      }
      p.delayedUntilUs = ctx.nowUs + backoffUs;
      continue;
    }
    if (r.divergingEpoch !== undefined) {
      truncateToDivergence(rs, ctx, p, r.divergingEpoch.epoch, r.divergingEpoch.endOffset, "diverging epoch in fetch response (KAFKA-10554)");
      continue;
    }
    const rec = r.records;
    if (rec !== null && rec.baseOffset === p.leo) appendAsFollower(ctx, p, rec);
    const hw = Math.min(r.highWatermark, p.leo);
    if (hw !== p.hw) {
      p.hw = hw;
      ctx.emit({ type: "hw-advance", tp: p.key, broker: rs.brokerId, highWatermark: hw });
    }
  }
  sendNext(rs, ctx, f);
}

function appendAsFollower(ctx: BrokerCtx, p: Partition, rec: RecordSlice): void {
  const log = p.log;
  const cache = p.cache;
  let latest = cache.latestEpoch;
  const base = rec.baseOffset;
  // Epochs only grow along a log: a new one starts in this slice only if its last record has one.
  if (rec.count > 0 && (rec.epochs[rec.at + rec.count - 1] as number) > latest) {
    for (let i = 0, j = rec.at; i < rec.count; i++, j++) {
      const e = rec.epochs[j] as number;
      if (e > latest) {
        cache.assign(e, base + i);
        latest = e;
      }
    }
  }
  log.appendColumns(rec, rec.at, rec.count);
  if (p.flushMessages !== null && log.unflushed >= p.flushMessages) {
    log.flush();
    p.lastFlushUs = ctx.nowUs;
  }
}

/** Truncate to min(leader's end offset for the epoch, our end offset for it); if we do not know that epoch,
 *  the next round asks again with our latest one (the KIP-279 walk back). Returns true when done. */
function truncateToDivergence(rs: ReplicaState, ctx: BrokerCtx, p: Partition, leaderEpoch: number, leaderEndOffset: number, reason: string): boolean {
  if (leaderEpoch === UNDEFINED_EPOCH) {
    truncate(rs, ctx, p, p.log.startOffset, reason);
    return true;
  }
  p.cache.endOffsetFor(leaderEpoch, p.leo);
  const myEpoch = p.cache.resultEpoch;
  const myEnd = myEpoch === UNDEFINED_EPOCH ? p.log.startOffset : p.cache.resultOffset;
  truncate(rs, ctx, p, Math.min(leaderEndOffset, myEnd), reason);
  return myEpoch === leaderEpoch || myEpoch === UNDEFINED_EPOCH;
}

export function handleOffsetsForLeaderEpochResponse(rs: ReplicaState, ctx: BrokerCtx, from: NodeId, msg: OffsetsForLeaderEpochResponse): void {
  const f = fetcherFor(rs, from, msg.corr);
  if (f === undefined) return;
  const backoffUs = msToUs(rs.spec.broker["replica.fetch.backoff.ms"]);
  for (const r of msg.partitions) {
    const p = followedPartition(rs, f, r.topic, r.partition);
    if (p === undefined || p.follow !== "truncating") continue;
    if (r.error !== "NONE") {
      p.delayedUntilUs = ctx.nowUs + backoffUs;
      continue;
    }
    if (rs.protocol === "0.11") {
      // KIP-101: truncate to the leader's end offset of our latest epoch; unknown → fall back to the HW.
      if (r.endOffset < 0) truncate(rs, ctx, p, p.hw, "leader epoch unknown to the leader: truncate to high watermark (0.11)");
      else truncate(rs, ctx, p, Math.min(r.endOffset, p.leo), "offsets-for-leader-epoch (KIP-101)");
      p.follow = "fetching";
    } else {
      // KIP-279: walk back epoch by epoch until both logs agree on an epoch.
      if (r.leaderEpoch === UNDEFINED_EPOCH) {
        truncate(rs, ctx, p, p.hw, "no common leader epoch: truncate to high watermark");
        p.follow = "fetching";
      } else if (truncateToDivergence(rs, ctx, p, r.leaderEpoch, r.endOffset, "offsets-for-leader-epoch (KIP-279)")) {
        p.follow = "fetching";
      } else {
        p.truncationEpoch = p.cache.latestEpoch;
        if (p.truncationEpoch === UNDEFINED_EPOCH) p.follow = "fetching";
      }
    }
  }
  sendNext(rs, ctx, f);
}
