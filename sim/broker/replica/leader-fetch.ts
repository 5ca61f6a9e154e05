// The leader's side of fetching (ReplicaManager.fetchMessages / readFromLog, DelayedFetch): consumer fetches up
// to the HW, follower fetches up to the LEO (recording each follower's progress: Replica.updateFetchState, ISR
// expansion, HW), KIP-320 leader-epoch fencing and KAFKA-10554's divergingEpoch, long polls parked until data
// (followers) or an HW move (consumers); and the leader's answers to OffsetsForLeaderEpoch and ListOffsets.
import type { NodeId } from "../../core/ids.ts";
import { tpKey } from "../../core/ids.ts";
import { msToUs } from "../../core/time.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type {
  FetchPartition,
  FetchPartitionResponse,
  FetchRequest,
  ListOffsetsRequest,
  OffsetsForLeaderEpochRequest,
  OffsetsForLeaderEpochResponse,
  RecordSlice,
} from "../../kafka/protocol.ts";
import type { BrokerCtx } from "../group/host.ts";
import type { Partition } from "./partition.ts";
import { ParkedFetch } from "./purgatory.ts";
import { MAX_FETCH_RECORDS } from "./state.ts";
import type { ReplicaState } from "./state.ts";
import type { LeaderFetchSession, SessionEntry } from "../fetch-session/leader-sessions.ts";
import { fetchSessionChecks, linkQuiet, verifyQuietLinks } from "../fetch-session/leader-sessions.ts";
import { maybeExpandIsr, maybeIncrementHw, onHwAdvanced } from "./isr.ts";

/** Answer a fetch now, or park it (DelayedFetch) when nothing is to be returned yet. `firstTime` is false when a
 *  parked fetch is woken or expires (its follower progress was recorded when it arrived). A follower's fetch with
 *  session fields (KIP-227, fact 14a) stands for every partition of its session and is answered with what changed;
 *  the session's quiet partitions are linked and left out until they change (leader-sessions.ts). */
export function answerFetch(rs: ReplicaState, ctx: BrokerCtx, from: NodeId, req: FetchRequest, firstTime: boolean, replicas?: readonly (Partition | undefined)[], session: LeaderFetchSession | null = null, fullFetch = true, sessionEpoch = 0): void {
  if (firstTime && req.session !== undefined) {
    const c = rs.fetchSessions.open(req);
    if (typeof c === "string") {
      ctx.send(from, { type: "fetch-response", corr: req.corr, partitions: [], sessionId: 0, error: c });
      return;
    }
    if (c !== null) {
      session = c.session;
      fullFetch = c.full;
      sessionEpoch = session.epoch;
    }
  }
  if (session !== null) {
    if (!session.open || session.epoch !== sessionEpoch) {
      // IncrementalFetchContext.updateAndGenerateResponseData: the session moved on while this fetch was parked.
      ctx.send(from, { type: "fetch-response", corr: req.corr, partitions: [], sessionId: 0, error: "INVALID_FETCH_SESSION_EPOCH" });
      return;
    }
    session.resolve(rs);
  }
  const follower = req.replicaId >= 0;
  const now = ctx.nowUs;
  const parts: readonly FetchPartition[] = session !== null ? session.entries : req.partitions;
  // First pass: record follower progress and see whether anything is to be returned now, so a caught-up
  // fetch is parked without building a response (the common case on the replication hot path).
  let respond = false;
  const committed = req.isolationLevel === 1;
  // The replicas named, looked up once per request (a Partition object is never replaced; one absent is looked up
  // again). A session keeps them.
  let ps: (Partition | undefined)[];
  if (session !== null) {
    ps = NO_REPLICAS; // a session's entries hold their replicas
    if (firstTime) {
      // Only the active entries: a quiet-linked one has nothing to return, and its follower's fetch time is this.
      session.lastFetchUs = now;
      const act = session.active;
      let lastSeq = -1;
      for (let i = 0; i < act.length; i++) {
        const e = act[i] as SessionEntry;
        // An entry put back before this one (its partition changed meanwhile) shifted the rest: skip what was seen.
        if (e.seq <= lastSeq) continue;
        lastSeq = e.seq;
        const p = e.p;
        if (checkPartition(rs, ctx, p, e, follower, req.replicaId, now, committed)) respond = true;
        else if (follower && p !== undefined && e.fetchOffset === p.leo && p.isr.includes(req.replicaId)) e.markQuiet(p, p.followerIndex(req.replicaId));
      }
    }
  } else {
    ps = replicas !== undefined ? (replicas as (Partition | undefined)[]) : new Array<Partition | undefined>(parts.length);
    for (let i = 0; i < parts.length; i++) {
      const fp = parts[i] as FetchPartition;
      const p = replicas?.[i] ?? rs.lookup(fp.topic, fp.partition);
      if (replicas === undefined) ps[i] = p;
      // A woken or expired fetch is answered whatever it finds (and records no progress): nothing to check.
      if (firstTime && checkPartition(rs, ctx, p, fp, follower, req.replicaId, now, committed)) respond = true;
    }
  }
  if (!respond && firstTime && req.maxWaitMs > 0 && parts.length > 0) {
    // DelayedFetch: wait for data (followers) or for the HW to move (consumers), at most maxWaitMs.
    const pf = new ParkedFetch(from, req, ps, session, fullFetch, sessionEpoch);
    pf.seq = rs.nextParkSeq++;
    rs.wheel.add(ctx, pf, msToUs(req.maxWaitMs));
    let readyNow = false;
    if (session !== null) {
      // Watch the active entries' partitions; a quiet-linked one is watched once its partition changes
      // (LeaderFetchSession.activate), before an append there wakes the fetches watching it.
      session.park(pf);
      const act = session.active;
      for (let i = 0; i < act.length; i++) {
        const e = act[i] as SessionEntry;
        const p = e.p;
        if (p === undefined) continue;
        if (p.fetchWaiters.length > 32) p.fetchWaiters = p.fetchWaiters.filter((w) => !w.done);
        p.fetchWaiters.push(pf);
        if (!readyNow && e.fetchOffset < p.leo && p.isLeader) readyNow = true;
      }
    }
    for (let i = 0; session === null && i < parts.length; i++) {
      const fp = parts[i] as FetchPartition;
      const p = ps[i] ?? rs.lookup(fp.topic, fp.partition);
      if (p === undefined) continue;
      if (p.fetchWaiters.length > 32) p.fetchWaiters = p.fetchWaiters.filter((w) => !w.done);
      p.fetchWaiters.push(pf);
      // DelayedOperationPurgatory.tryCompleteElseWatch checks again once watched: recording this fetch's progress
      // can advance the HW, whose callbacks may append at once (a coordinator's next transaction-log write), before
      // the fetch was watching for it.
      if (!readyNow && fp.fetchOffset < (follower ? p.leo : committed ? lastStableOffset(p) : p.hw) && p.isLeader) readyNow = true;
    }
    if (readyNow) {
      pf.done = true;
      answerParked(rs, ctx, pf);
    }
    return;
  }
  if (session === null) {
    const out = new Array<FetchPartitionResponse>(parts.length);
    for (let i = 0; i < parts.length; i++) {
      const fp = parts[i] as FetchPartition;
      out[i] = readPartition(rs, ps[i] ?? rs.lookup(fp.topic, fp.partition), fp, follower, committed);
    }
    ctx.send(from, { type: "fetch-response", corr: req.corr, partitions: out });
    return;
  }
  // The session's first fetch is answered in full (FullFetchContext), later ones with what changed; entries left
  // quiet and answered are linked to their partition until it changes.
  const act = session.active;
  const out: FetchPartitionResponse[] = [];
  let keep = 0;
  for (let i = 0; i < act.length; i++) {
    const e = act[i] as SessionEntry;
    const p = e.p;
    const r = readPartition(rs, p, e, follower, committed);
    if (fullFetch) {
      e.sent(r);
      out.push(r);
    } else if (e.mustRespond(r)) out.push(r);
    if (p !== undefined && fetchSessionChecks.linkQuiet && e.sentHw === p.hw && e.sentLogStart === p.log.startOffset && e.quiet(p)) linkQuiet(e, p);
    else act[keep++] = e;
  }
  act.length = keep;
  if (fetchSessionChecks.verify) verifyQuietLinks(session);
  ctx.send(from, { type: "fetch-response", corr: req.corr, partitions: out, sessionId: session.id });
}

const NO_REPLICAS: (Partition | undefined)[] = [];

/** Answer a parked fetch (woken by new data or an HW move, or expired). */
export function answerParked(rs: ReplicaState, ctx: BrokerCtx, pf: ParkedFetch): void {
  answerFetch(rs, ctx, pf.from, pf.req, false, pf.replicas, pf.session, pf.fullFetch, pf.sessionEpoch);
}

/** New data (hwMoved false: wake followers) or an HW move (true: wake consumers) on `p`. */
export function wakeFetches(rs: ReplicaState, ctx: BrokerCtx, p: Partition, hwMoved: boolean): void {
  const ws = p.fetchWaiters;
  let keep = 0;
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i] as ParkedFetch;
    if (w.done) continue;
    const wake = w.isConsumer ? hwMoved || (rs.spec.bugs.readAboveHighWatermark ?? false) : !hwMoved;
    if (wake) {
      w.done = true;
      answerParked(rs, ctx, w);
      continue;
    }
    ws[keep++] = w;
  }
  if (keep === 0) p.fetchWaiters = [];
  else if (keep !== ws.length) ws.length = keep;
}

/** Validate one fetched partition; on a valid follower fetch record its progress (Replica.updateFetchState,
 *  ISR expansion, HW). True when the response has something for it (records, an error, a divergence). */
function checkPartition(rs: ReplicaState, ctx: BrokerCtx, p: Partition | undefined, fp: FetchPartition, follower: boolean, replicaId: number, now: number, committed: boolean): boolean {
  if (p === undefined || !p.isLeader) return true;
  if (fp.currentLeaderEpoch >= 0 && fp.currentLeaderEpoch !== p.leaderEpoch) return true;
  const leo = p.leo;
  if (follower && rs.truncateOnFetch && fp.lastFetchedEpoch >= 0) {
    p.cache.endOffsetFor(fp.lastFetchedEpoch, leo);
    if (p.cache.resultEpoch !== fp.lastFetchedEpoch || p.cache.resultOffset < fp.fetchOffset) return true;
  }
  if (fp.fetchOffset > leo || fp.fetchOffset < p.log.startOffset) return true;
  if (follower) {
    const i = p.followerIndex(replicaId);
    if (i >= 0) {
      p.updateFollower(i, fp.fetchOffset, now);
      maybeExpandIsr(rs, ctx, p, replicaId, fp.fetchOffset);
      if (maybeIncrementHw(rs, ctx, p)) onHwAdvanced(rs, ctx, p);
    }
  }
  const upper = follower || rs.spec.bugs.readAboveHighWatermark ? leo : committed ? lastStableOffset(p) : p.hw;
  return fp.fetchOffset < upper;
}

/** What a READ_COMMITTED fetch may read up to (UnifiedLog.lastStableOffset: min(first unstable offset, HW)). */
export function lastStableOffset(p: Partition): number {
  return p.txn.idle ? p.hw : p.txn.lastStableOffset(p.hw);
}

/** The response for one partition (no state change). */
function readPartition(rs: ReplicaState, p: Partition | undefined, fp: FetchPartition, follower: boolean, committed: boolean): FetchPartitionResponse {
  if (p === undefined || !p.isLeader) {
    const error: KafkaErrorCode = p === undefined && !rs.metadata.has(tpKey(fp.topic, fp.partition)) ? "UNKNOWN_TOPIC_OR_PARTITION" : "NOT_LEADER_OR_FOLLOWER";
    return { topic: fp.topic, partition: fp.partition, error, highWatermark: -1, logStartOffset: -1, records: null };
  }
  const hw = p.hw;
  const start = p.log.startOffset;
  // KIP-320: the fetcher's view of the leader epoch must match ours.
  if (fp.currentLeaderEpoch >= 0 && fp.currentLeaderEpoch !== p.leaderEpoch) {
    const error: KafkaErrorCode = fp.currentLeaderEpoch < p.leaderEpoch ? "FENCED_LEADER_EPOCH" : "UNKNOWN_LEADER_EPOCH";
    return { topic: fp.topic, partition: fp.partition, error, highWatermark: hw, logStartOffset: start, records: null };
  }
  const leo = p.leo;
  if (follower && rs.truncateOnFetch && fp.lastFetchedEpoch >= 0) {
    // KAFKA-10554: the follower's last fetched epoch must end at or after its fetch offset on our log.
    p.cache.endOffsetFor(fp.lastFetchedEpoch, leo);
    if (p.cache.resultEpoch !== fp.lastFetchedEpoch || p.cache.resultOffset < fp.fetchOffset) {
      return { topic: fp.topic, partition: fp.partition, error: "NONE", highWatermark: hw, logStartOffset: start, records: null, divergingEpoch: { epoch: p.cache.resultEpoch, endOffset: p.cache.resultOffset } };
    }
  }
  if (fp.fetchOffset > leo || fp.fetchOffset < start) {
    return { topic: fp.topic, partition: fp.partition, error: "OFFSET_OUT_OF_RANGE", highWatermark: hw, logStartOffset: start, records: null };
  }
  if (committed && !follower) {
    // READ_COMMITTED: up to the LSO, with the aborted transactions the records overlap (the consumer drops their
    // records: Fetcher / CompletedFetch.abortedProducerIds).
    const lso = lastStableOffset(p);
    const to = Math.min(lso, fp.fetchOffset + MAX_FETCH_RECORDS);
    const records = fp.fetchOffset < lso ? slice(p, fp.fetchOffset, to) : null;
    const abortedTransactions = records === null ? [] : p.txn.abortedIn(fp.fetchOffset, to);
    return { topic: fp.topic, partition: fp.partition, error: "NONE", highWatermark: hw, logStartOffset: start, records, lastStableOffset: lso, abortedTransactions };
  }
  const upper = follower || rs.spec.bugs.readAboveHighWatermark ? leo : hw;
  if (fp.fetchOffset < upper) return { topic: fp.topic, partition: fp.partition, error: "NONE", highWatermark: hw, logStartOffset: start, records: slice(p, fp.fetchOffset, Math.min(upper, fp.fetchOffset + MAX_FETCH_RECORDS)) };
  // Nothing to return (an idle partition of a fetch that has data elsewhere): the same answer as last time.
  const empty = p.emptyFetchAnswer;
  if (empty !== null && empty.highWatermark === hw && empty.logStartOffset === start) return empty;
  return (p.emptyFetchAnswer = { topic: fp.topic, partition: fp.partition, error: "NONE", highWatermark: hw, logStartOffset: start, records: null });
}

/** Records [from, to) for a response: a view of the log's columns (see RecordSlice; the log never overwrites it). */
function slice(p: Partition, from: number, to: number): RecordSlice {
  // Followers woken by the same append ask for the same range: share the (read-only) slice.
  const cached = p.sliceCache;
  if (cached !== null && cached.baseOffset === from && cached.count === to - from) return cached;
  const log = p.log;
  const made: RecordSlice = {
    baseOffset: from,
    count: to - from,
    at: from - log.startOffset,
    epochs: log.epoch,
    values: log.value,
    keys: log.key,
    producerIds: log.producerId,
    sequences: log.sequence,
    appendUs: log.appendUs,
    producerEpochs: log.producerEpoch,
    // Only a log with transactional records carries the column (consumers then filter per record; else not at all).
    attributes: p.txn.seen ? log.attributes : undefined,
    era: log.columnsEra,
  };
  p.sliceCache = made;
  return made;
}

/** OffsetsForLeaderEpoch on the leader (0.11: KIP-101's answer; 2.0+: KIP-279's). */
export function handleOffsetsForLeaderEpoch(rs: ReplicaState, ctx: BrokerCtx, from: NodeId, msg: OffsetsForLeaderEpochRequest): void {
  const out: OffsetsForLeaderEpochResponse["partitions"][number][] = [];
  for (const q of msg.partitions) {
    const p = rs.lookup(q.topic, q.partition);
    if (p === undefined || !p.isLeader) {
      out.push({ topic: q.topic, partition: q.partition, error: "NOT_LEADER_OR_FOLLOWER", leaderEpoch: -1, endOffset: -1 });
      continue;
    }
    if (q.currentLeaderEpoch >= 0 && q.currentLeaderEpoch !== p.leaderEpoch) {
      out.push({ topic: q.topic, partition: q.partition, error: q.currentLeaderEpoch < p.leaderEpoch ? "FENCED_LEADER_EPOCH" : "UNKNOWN_LEADER_EPOCH", leaderEpoch: -1, endOffset: -1 });
      continue;
    }
    if (rs.protocol === "0.11") p.cache.endOffsetFor011(q.leaderEpoch, p.leo);
    else p.cache.endOffsetFor(q.leaderEpoch, p.leo);
    out.push({ topic: q.topic, partition: q.partition, error: "NONE", leaderEpoch: p.cache.resultEpoch, endOffset: p.cache.resultOffset });
  }
  ctx.send(from, { type: "offsets-for-leader-epoch-response", corr: msg.corr, partitions: out });
}

export function handleListOffsets(rs: ReplicaState, ctx: BrokerCtx, from: NodeId, msg: ListOffsetsRequest): void {
  const out: { topic: string; partition: number; error: KafkaErrorCode; offset: number; leaderEpoch: number }[] = [];
  for (const q of msg.partitions) {
    const p = rs.lookup(q.topic, q.partition);
    if (p === undefined || !p.isLeader) {
      out.push({ topic: q.topic, partition: q.partition, error: "NOT_LEADER_OR_FOLLOWER", offset: -1, leaderEpoch: -1 });
    } else if (q.currentLeaderEpoch >= 0 && q.currentLeaderEpoch !== p.leaderEpoch) {
      out.push({ topic: q.topic, partition: q.partition, error: q.currentLeaderEpoch < p.leaderEpoch ? "FENCED_LEADER_EPOCH" : "UNKNOWN_LEADER_EPOCH", offset: -1, leaderEpoch: -1 });
    } else {
      // The latest offset: the HW for read_uncommitted, the last stable offset for read_committed.
      const offset = q.timestamp === "earliest" ? p.log.startOffset : msg.isolationLevel === 1 ? lastStableOffset(p) : p.hw;
      out.push({ topic: q.topic, partition: q.partition, error: "NONE", offset, leaderEpoch: p.leaderEpoch });
    }
  }
  ctx.send(from, { type: "list-offsets-response", corr: msg.corr, partitions: out });
}
