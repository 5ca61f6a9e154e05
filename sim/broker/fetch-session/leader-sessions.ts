// The leader's fetch sessions (KIP-227; core/.../server/FetchSession.scala: FetchManager, FetchSessionCache,
// CachedPartition, Full/IncrementalFetchContext): per follower, the partitions it fetches with the fetch state it
// last sent, and the high watermark and log start offset last answered, so a fetch names only what changed and a
// response carries only what the follower does not know yet (fact 14a).
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { FetchPartition, FetchPartitionResponse, FetchRequest } from "../../kafka/protocol.ts";
import type { Partition } from "../replica/partition.ts";
import type { ParkedFetch } from "../replica/purgatory.ts";
import { insertFetchWaiter } from "../replica/purgatory.ts";
import { insertBySeq } from "../../core/insert-by-seq.ts";

/** One partition of a session (CachedPartition): the follower's fetch state as last sent, what the leader last
 *  answered, and a snapshot proving the partition quiet (see `quiet`). */
export class SessionEntry implements FetchPartition {
  /** Its place in the session's order (grows with each partition added). */
  readonly seq: number;
  /** Quiet-linked (see LeaderFetchSession.active): left out of the session's fetches until its partition changes. */
  linked = false;
  fetchOffset: number;
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
  /** The replica, once this broker has it (a Partition object is never replaced). */
  p: Partition | undefined = undefined;
  /** The HW and log start offset last answered; -1 after an error, so the partition is answered again. */
  sentHw = -1;
  sentLogStart = -1;
  // The quiet snapshot: at the follower's last full check of this entry the leader had nothing to return (the
  // follower at the log end, in the ISR, with no error or divergence). While the leader epoch, log end and start,
  // follower list and ISR stay, a fetch only refreshes the follower's fetch times (Replica.updateFetchState) and the
  // answer leaves the partition out.
  quietEpoch = -2;
  quietLogStart = -1;
  quietFollowers: readonly number[] | null = null;
  quietIsr: readonly number[] | null = null;
  quietIndex = -1;

  constructor(
    readonly session: LeaderFetchSession,
    readonly topic: string,
    readonly partition: number,
    fp: FetchPartition,
  ) {
    this.seq = session.nextSeq++;
    this.fetchOffset = fp.fetchOffset;
    this.currentLeaderEpoch = fp.currentLeaderEpoch;
    this.lastFetchedEpoch = fp.lastFetchedEpoch;
  }

  /** CachedPartition.updateRequestParams. */
  update(fp: FetchPartition): void {
    if (fp.fetchOffset === this.fetchOffset && fp.currentLeaderEpoch === this.currentLeaderEpoch && fp.lastFetchedEpoch === this.lastFetchedEpoch) return;
    if (this.linked) unlinkQuiet(this, true);
    this.fetchOffset = fp.fetchOffset;
    this.currentLeaderEpoch = fp.currentLeaderEpoch;
    this.lastFetchedEpoch = fp.lastFetchedEpoch;
    this.quietEpoch = -2;
  }

  /** Nothing changed since the quiet snapshot: the leader has nothing to return and the follower stays in the ISR. */
  quiet(p: Partition): boolean {
    // The follower's recorded LEO too: a late request of another session of this follower may have recorded another.
    return this.quietEpoch === p.leaderEpoch && p.role === "leader" && p.log.endOffset === this.fetchOffset && p.log.startOffset === this.quietLogStart && p.followerIds === this.quietFollowers && p.isr === this.quietIsr && p.followerLeo[this.quietIndex] === this.fetchOffset;
  }

  /** Record the snapshot after a full check found nothing to return at the log end with the follower in the ISR. */
  markQuiet(p: Partition, followerIndex: number): void {
    this.quietEpoch = p.leaderEpoch;
    this.quietLogStart = p.log.startOffset;
    this.quietFollowers = p.followerIds;
    this.quietIsr = p.isr;
    this.quietIndex = followerIndex;
  }

  /** CachedPartition.maybeUpdateResponseData: must the answer carry this partition? Records what it carries. */
  mustRespond(r: FetchPartitionResponse): boolean {
    let must = r.records !== null && r.records.count > 0;
    if (r.divergingEpoch !== undefined) must = true;
    if (r.highWatermark !== this.sentHw) {
      must = true;
      this.sentHw = r.highWatermark;
    }
    if (r.logStartOffset !== this.sentLogStart) {
      must = true;
      this.sentLogStart = r.logStartOffset;
    }
    if (r.error !== "NONE") {
      this.sentHw = -1;
      must = true;
    }
    return must;
  }

  /** A full fetch answers every partition: remember what it carried. */
  sent(r: FetchPartitionResponse): void {
    this.sentHw = r.error === "NONE" ? r.highWatermark : -1;
    this.sentLogStart = r.logStartOffset;
  }
}

/** One follower's session (FetchSession): its partitions in the order they joined. */
export class LeaderFetchSession {
  /** The epoch the next fetch must carry (FetchMetadata.nextEpoch). */
  epoch = 1;
  nextSeq = 0;
  /** When a fetch of this session was last handled: the fetch time of every quiet-linked entry's follower. */
  lastFetchUs = 0;
  readonly entries: SessionEntry[] = [];
  /** The entries that are not quiet-linked, in session order: only these are read by a fetch. A quiet entry (the
   *  follower at the log end and in the ISR, its HW and log start as last answered) is linked to its partition
   *  once answered, and a fetch then only refreshes its follower's fetch times — lazily: the partition takes
   *  `lastFetchUs` as that follower's fetch time when it changes (Partition.touchQuiet) or reads them. */
  readonly active: SessionEntry[] = [];
  private readonly byTopic = new Map<string, (SessionEntry | undefined)[]>();
  /** Entries whose replica this broker does not have yet. */
  unresolved = 0;
  /** False once the session was closed or replaced. */
  open = true;
  /** Its fetches waiting in the purgatory (DelayedFetch); one, unless a late copy of a request came in. */
  private parked: ParkedFetch[] = [];

  constructor(
    readonly id: number,
    readonly replicaId: number,
  ) {}

  private find(topic: string, partition: number): SessionEntry | undefined {
    return this.byTopic.get(topic)?.[partition];
  }

  /** FetchSession.update: add or update what the fetch names, drop what it forgets. */
  update(parts: readonly FetchPartition[], forgotten: readonly { readonly topic: string; readonly partition: number }[]): void {
    for (let i = 0; i < parts.length; i++) {
      const fp = parts[i] as FetchPartition;
      const e = this.find(fp.topic, fp.partition);
      if (e !== undefined) e.update(fp);
      else this.add(fp);
    }
    for (const f of forgotten) {
      const e = this.find(f.topic, f.partition);
      if (e === undefined) continue;
      if (e.linked) unlinkQuiet(e, false);
      else this.active.splice(this.active.indexOf(e), 1);
      this.entries.splice(this.entries.indexOf(e), 1);
      if (e.p === undefined) this.unresolved--;
      (this.byTopic.get(f.topic) as (SessionEntry | undefined)[])[f.partition] = undefined;
    }
  }

  private add(fp: FetchPartition): void {
    const e = new SessionEntry(this, fp.topic, fp.partition, fp);
    let arr = this.byTopic.get(fp.topic);
    if (arr === undefined) this.byTopic.set(fp.topic, (arr = []));
    // Fill the gaps first: an array written far past its end turns sparse.
    while (arr.length < fp.partition) arr.push(undefined);
    arr[fp.partition] = e;
    this.entries.push(e);
    this.active.push(e);
    this.unresolved++;
  }

  /** A fetch of this session waits for data. */
  park(pf: ParkedFetch): void {
    if (this.parked.length > 0) this.parked = this.parked.filter((w) => !w.done);
    this.parked.push(pf);
  }

  /** Put an entry back among the active ones, in session order; the fetches waiting watch its partition too. */
  activate(e: SessionEntry): void {
    for (let k = 0; k < this.parked.length; k++) {
      const pf = this.parked[k] as ParkedFetch;
      if (!pf.done && e.p !== undefined) insertFetchWaiter(e.p, pf);
    }
    insertBySeq(this.active, e);
  }

  /** The session ends (replaced by a new one): its linked followers keep the fetch times they had. */
  close(): void {
    this.open = false;
    for (const e of this.entries) if (e.linked) unlinkQuiet(e, false);
  }

  /** Look up the replicas not found before (a partition this broker did not hold yet). */
  resolve(replicas: { lookup(topic: string, partition: number): Partition | undefined }): void {
    if (this.unresolved === 0) return;
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i] as SessionEntry;
      if (e.p !== undefined) continue;
      e.p = replicas.lookup(e.topic, e.partition);
      if (e.p !== undefined) this.unresolved--;
    }
  }
}

/** What a session fetch resolves to: the session and whether this fetch was its full (first) one, or an error. */
export type SessionContext = { readonly session: LeaderFetchSession; readonly full: boolean } | KafkaErrorCode;

/** The broker's sessions (FetchSessionCache). Lost with the broker's memory. */
export class FetchSessionCache {
  private readonly sessions = new Map<number, LeaderFetchSession>();
  private nextId = 1;

  constructor(
    /** max.incremental.fetch.session.cache.slots. */
    readonly slots: number,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  /** FetchManager.newContext for a follower's fetch that carries session fields; null: a sessionless full fetch. */
  open(req: FetchRequest): SessionContext | null {
    const m = req.session;
    if (m === undefined) return null;
    if (m.epoch === 0) {
      // A full fetch: close the session named (if any) and start a new one, when a slot is free.
      const old = this.sessions.get(m.id);
      if (old !== undefined && old.replicaId === req.replicaId) {
        old.close();
        this.sessions.delete(m.id);
      }
      if (this.sessions.size >= this.slots) return null;
      // Kafka draws session ids at random; a counter is as good, with the owner checked (here and above) so an id a
      // fetcher kept from this broker's previous run cannot close or use another fetcher's session.
      const s = new LeaderFetchSession(this.nextId++, req.replicaId);
      s.update(req.partitions, []);
      this.sessions.set(s.id, s);
      return { session: s, full: true };
    }
    const s = this.sessions.get(m.id);
    if (s === undefined || s.replicaId !== req.replicaId) return "FETCH_SESSION_ID_NOT_FOUND";
    if (s.epoch !== m.epoch) return "INVALID_FETCH_SESSION_EPOCH";
    s.epoch++;
    s.update(req.partitions, m.forgotten);
    return { session: s, full: false };
  }
}

/** Link a quiet, answered entry to its partition: fetches leave it out until the partition changes. */
export function linkQuiet(e: SessionEntry, p: Partition): void {
  e.linked = true;
  p.quietLinks.push(e);
}

/** Unlink a quiet entry: its follower's fetch state takes the fetches it was left out of (what checkPartition would
 *  have recorded: at the log end at the session's last fetch). `activate`: it takes part in fetches again. */
export function unlinkQuiet(e: SessionEntry, activate: boolean): void {
  const p = e.p as Partition;
  release(e, p);
  const ls = p.quietLinks;
  const i = ls.indexOf(e);
  if (i >= 0) ls.splice(i, 1);
  if (activate) e.session.activate(e);
}

/** Before a fetch of follower `i` is recorded on `p`: its links (from a session it left) record their fetches. */
export function unlinkFollowerQuiet(p: Partition, i: number): void {
  const ls = p.quietLinks;
  for (let k = ls.length - 1; k >= 0; k--) {
    const e = ls[k] as SessionEntry;
    if (e.quietIndex === i) unlinkQuiet(e, true);
  }
}

/** Partition.touchQuiet: the partition changed (an append, its HW, ISR, role or epoch): every entry linked to it
 *  is read by its session's next fetch again. */
export function breakQuietLinks(p: Partition): void {
  const ls = p.quietLinks;
  for (let i = 0; i < ls.length; i++) {
    const e = ls[i] as SessionEntry;
    release(e, p);
    e.session.activate(e);
  }
  ls.length = 0;
}

/** The entry's follower's fetch state takes the fetches it was left out of; the entry is no longer linked. */
function release(e: SessionEntry, p: Partition): void {
  p.syncQuietFollower(e.quietIndex, e.fetchOffset, e.session.lastFetchUs);
  e.linked = false;
}

/** For tests. `verify`: every session answer checks that its linked entries are still quiet (a partition change
 *  that does not call Partition.touchQuiet would leave a follower without data it should fetch). `linkQuiet` false:
 *  no entry is ever linked, every fetch reads its whole session — the same run, event for event, only slower. */
export const fetchSessionChecks = { verify: false, linkQuiet: true };

/** Throws if a linked entry is not quiet or its partition's HW or log start is not the one last answered. */
export function verifyQuietLinks(session: LeaderFetchSession): void {
  for (const e of session.entries) {
    if (!e.linked) continue;
    const p = e.p;
    if (p === undefined || !e.quiet(p) || e.sentHw !== p.hw || e.sentLogStart !== p.log.startOffset || !p.quietLinks.includes(e)) {
      throw new Error(`fetch session ${session.id}: ${e.topic}-${e.partition} linked as quiet but its partition changed (LEO ${p?.leo}, HW ${p?.hw}, sent HW ${e.sentHw}, fetch offset ${e.fetchOffset})`);
    }
  }
  for (const e of session.active) if (e.linked) throw new Error(`fetch session ${session.id}: ${e.topic}-${e.partition} both active and linked`);
}
