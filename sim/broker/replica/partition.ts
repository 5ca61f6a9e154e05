// One replica of one partition on one broker: its log (on the node's Disk), epoch cache, high watermark, role,
// ISR view, and — while leader — each follower's fetch state (core/.../cluster/Partition.scala, Replica.scala).
// Pure state and leader-side rules; the ReplicaManager drives it from messages and timers.
import type { LogFile, Disk } from "../../disk/disk.ts";
import { EpochCache } from "./epoch-cache.ts";
import { ProducerState } from "./producer-state.ts";
import { TxnLogState } from "../txn/log-state.ts";
import type { PendingProduce, ParkedFetch } from "./purgatory.ts";
import type { FetchPartition, FetchPartitionResponse, RecordSlice } from "../../kafka/protocol.ts";
import { SessionSlot } from "../fetch-session/follower-session.ts";
import type { SessionEntry } from "../fetch-session/leader-sessions.ts";
import { breakQuietLinks, unlinkFollowerQuiet } from "../fetch-session/leader-sessions.ts";

export type Role = "none" | "leader" | "follower";
/** Follower progress: waiting for leader-and-isr, truncating (offsets-for-leader-epoch in flight), fetching. */
export type FollowState = "idle" | "truncating" | "fetching";

export interface ProduceWait {
  readonly p: PendingProduce;
  readonly index: number;
  /** HW that satisfies it: last appended offset + 1. */
  readonly requiredOffset: number;
  readonly baseOffset: number;
}

export class Partition {
  readonly log: LogFile;
  readonly cache: EpochCache;
  /** The idempotent producer state the leader checks appends against. */
  producers = new ProducerState();
  /** The producer state the log itself implies (ProducerState.rebuild) for records [0, logStateUpTo): kept up to
   *  date lazily, so becoming leader replays only what was appended since (Kafka keeps producer state on
   *  followers too and reloads it only after a truncation). */
  readonly logState = new ProducerState();
  logStateUpTo = 0;
  /** Open and aborted transactions on this log, for the LSO and read_committed fetches (kept on the leader). */
  readonly txn = new TxnLogState();
  hw = 0;
  role: Role = "none";
  leader = -1;
  leaderEpoch = -1;
  partitionEpoch = -1;
  isr: readonly number[] = [];
  replicas: readonly number[] = [];

  // ---- leader side ----
  /** While an AlterPartition is in flight: the maximal ISR (old ∪ new, fact 4); null when none is pending. */
  pendingIsr: readonly number[] | null = null;
  /** The controller rejected our ISR change as stale (we are probably not the leader any more): the change stays
   *  pending until leader-and-isr (Partition.handleAlterPartitionError). */
  fenced = false;
  /** Start offset of the current leader epoch (ISR expansion needs followers past it: KAFKA-7128). */
  epochStartOffset = 0;
  followerIds: number[] = [];
  followerLeo: number[] = [];
  lastCaughtUpUs: number[] = [];
  lastFetchLeaderLeo: number[] = [];
  lastFetchUs: number[] = [];
  produceWaiters: ProduceWait[] = [];
  fetchWaiters: ParkedFetch[] = [];
  /** Fetch-session entries of followers at our log end with nothing to hear (KIP-227; leader-sessions.ts). */
  quietLinks: SessionEntry[] = [];

  // ---- follower side ----
  /** Bumped at every change of `follow` or `delayedUntilUs` of any replica on this broker (ReplicaState's): a
   *  fetcher reuses its list of partitions to fetch while it stays. */
  followClock: { v: number } = { v: 0 };
  private followState: FollowState = "idle";
  get follow(): FollowState {
    return this.followState;
  }
  set follow(v: FollowState) {
    this.followState = v;
    this.followClock.v++;
  }
  /** Epoch to ask the leader about next (offsets-for-leader-epoch, 0.11 / 2.0). */
  truncationEpoch = -1;
  private delayedUntil = 0;
  /** Skip this partition in fetches until then (replica.fetch.backoff.ms after a partition error). */
  get delayedUntilUs(): number {
    return this.delayedUntil;
  }
  set delayedUntilUs(v: number) {
    this.delayedUntil = v;
    this.followClock.v++;
  }

  lastFlushUs = 0;
  /** The last fetch slice served (shared by followers asking for the same range); reset on truncation. */
  sliceCache: RecordSlice | null = null;
  /** The last answer with nothing to return (no records, no error) for this partition, reused while its HW and log
   *  start stay (messages are never mutated): an idle partition costs a fetch no allocation. */
  emptyFetchAnswer: FetchPartitionResponse | null = null;
  /** The follower's last fetch entry for this partition, reused while its offset and epochs stay. */
  fetchEntry: FetchPartition | null = null;
  /** Its place in the follower's fetch session (KIP-227). */
  readonly sessionSlot = new SessionSlot();

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly key: string,
    disk: Disk,
    /** min(min.insync.replicas, replication factor) as configured for the topic. */
    readonly minIsr: number,
    readonly flushMessages: number | null,
    readonly flushMs: number | null,
  ) {
    this.log = disk.log(key);
    this.cache = new EpochCache(disk, key);
  }

  get isLeader(): boolean {
    return this.role === "leader";
  }
  get leo(): number {
    return this.log.endOffset;
  }
  get maximalIsr(): readonly number[] {
    return this.pendingIsr ?? this.isr;
  }
  effectiveMinIsr(): number {
    return Math.min(this.minIsr, Math.max(1, this.replicas.length));
  }

  /** A new leader epoch on the leader: reset every follower's state (Replica.resetReplicaState): ISR members
   *  count as caught up now; a new leader forgets the followers' LEOs, a re-elected one keeps them. */
  resetFollowers(self: number, nowUs: number, isNewLeader: boolean): void {
    this.touchQuiet();
    const ids = this.replicas.filter((r) => r !== self);
    const leo = this.leo;
    const oldIds = this.followerIds;
    const oldLeo = this.followerLeo;
    this.followerIds = ids;
    this.followerLeo = ids.map((r) => (isNewLeader || !oldIds.includes(r) ? -1 : (oldLeo[oldIds.indexOf(r)] as number)));
    this.lastCaughtUpUs = ids.map((r) => (this.isr.includes(r) ? nowUs : -Infinity));
    this.lastFetchLeaderLeo = ids.map(() => (isNewLeader ? -1 : leo));
    this.lastFetchUs = ids.map((r) => (!isNewLeader && this.isr.includes(r) ? nowUs : -Infinity));
  }

  /** Something a follower's fetch would see changed (an append, the HW, ISR, role, leader epoch): quiet fetch-session
   *  entries are read again. */
  touchQuiet(): void {
    if (this.quietLinks.length !== 0) breakQuietLinks(this);
  }

  /** A quiet fetch-session follower's fetches, left out while linked: what updateFollower(i, fetchOffset, atUs)
   *  records for a follower at the log end (`fetchOffset` = the LEO then). */
  syncQuietFollower(i: number, fetchOffset: number, atUs: number): void {
    this.lastCaughtUpUs[i] = Math.max(this.lastCaughtUpUs[i] as number, atUs);
    this.followerLeo[i] = fetchOffset;
    this.lastFetchLeaderLeo[i] = Math.max(fetchOffset, this.lastFetchLeaderLeo[i] as number);
    this.lastFetchUs[i] = atUs;
  }

  followerIndex(id: number): number {
    return this.followerIds.indexOf(id);
  }

  /** Replica.updateFetchStateOrThrow: record a follower's fetch at `fetchOffset` (= its LEO). */
  updateFollower(i: number, fetchOffset: number, nowUs: number): void {
    // A link of this follower's from another (stale) session records its fetches first, never after this one.
    if (this.quietLinks.length !== 0) unlinkFollowerQuiet(this, i);
    const leaderLeo = this.leo;
    // Never backwards: a new leader's first fetch of an in-sync follower keeps the caught-up time it was given.
    const caughtUp = this.lastCaughtUpUs[i] as number;
    if (fetchOffset >= leaderLeo) this.lastCaughtUpUs[i] = Math.max(caughtUp, nowUs);
    else if (fetchOffset >= (this.lastFetchLeaderLeo[i] as number)) this.lastCaughtUpUs[i] = Math.max(caughtUp, this.lastFetchUs[i] as number);
    this.followerLeo[i] = fetchOffset;
    this.lastFetchLeaderLeo[i] = Math.max(leaderLeo, this.lastFetchLeaderLeo[i] as number);
    this.lastFetchUs[i] = nowUs;
  }

  /** Partition.maybeIncrementLeaderHW: HW = min LEO over the maximal ISR, never backwards. With KAFKA-15583
   *  (3.7) it does not move while the ISR is below min.insync.replicas. Returns true if it moved. */
  /** `ignoreIsr`: the seeded bug hwIgnoresMaximalIsr (the HW follows the leader's log end alone). */
  maybeIncrementHw(holdUnderMinIsr: boolean, ignoreIsr = false): boolean {
    // Nothing above the HW: no follower can move it (the common case of an idle partition's fetch).
    if (this.hw >= this.leo) return false;
    if (holdUnderMinIsr && this.isr.length < this.effectiveMinIsr()) return false;
    let hw = this.leo;
    const max = this.maximalIsr;
    for (let i = 0; i < this.followerIds.length && !ignoreIsr; i++) {
      if (!max.includes(this.followerIds[i] as number)) continue;
      const l = this.followerLeo[i] as number;
      if (l < hw) hw = l;
    }
    if (hw > this.hw) {
      this.touchQuiet();
      this.hw = hw;
      return true;
    }
    return false;
  }

  /** Replica.isCaughtUp: LEO = leader LEO, or caught up within the lag time. */
  outOfSyncFollowers(nowUs: number, lagUs: number): number[] {
    const out: number[] = [];
    // A quiet-linked follower is at the log end: its caught-up time is not read.
    const leo = this.leo;
    for (let i = 0; i < this.followerIds.length; i++) {
      const id = this.followerIds[i] as number;
      if (!this.isr.includes(id)) continue;
      if ((this.followerLeo[i] as number) === leo) continue;
      if (nowUs - (this.lastCaughtUpUs[i] as number) > lagUs) out.push(id);
    }
    return out;
  }
}
