// The follower's side of a fetch session (KIP-227; clients/.../FetchSessionHandler.java, used by the replica
// fetcher): which partitions the leader's session holds and with what fetch state, so each fetch names only the
// partitions whose state changed and those to forget; the session's id and epoch, advanced by each answer and reset
// by an error (fact 14a).
import type { FetchPartition, FetchResponse, FetchSessionMetadata } from "../../kafka/protocol.ts";

/** What a follower's replica needs to take part in a session: its name and its current fetch entry. */
export interface SessionMember {
  readonly topic: string;
  readonly partition: number;
  /** The fetch state to send now (an object replaced whenever offset or epochs change). */
  readonly fetchEntry: FetchPartition | null;
  readonly sessionSlot: SessionSlot;
}

/** Per replica: the session whose member list holds it, the entry that session last sent for it, and the stamps of
 *  the last build that named it. */
export class SessionSlot {
  session: FollowerFetchSession | null = null;
  sent: FetchPartition | null = null;
  stamp = 0;
  kept = 0;
}

const NONE: readonly { readonly topic: string; readonly partition: number }[] = Object.freeze([]);

/** One fetcher's session with its leader (FetchSessionHandler). */
export class FollowerFetchSession {
  /** The leader's session id; 0: none. */
  id = 0;
  /** The epoch of the next fetch: 0 opens a session with a full fetch (closing `id`'s if not 0). */
  epoch = 0;
  /** The partitions the leader's session holds, in its order. */
  readonly members: SessionMember[] = [];

  constructor(
    /** Stamps unique across this broker's sessions (a replica can move between fetchers). */
    private readonly nextStamp: () => number,
  ) {}

  private stamp = 0;
  private offered = 0;

  /** A full fetch (epoch 0) over the fetcher's partitions ready to fetch (`ready[0..n)`, each with its fetchEntry
   *  set): the new session will hold exactly these. Returns the session fields. */
  full(ready: readonly SessionMember[], n: number): FetchSessionMetadata {
    const members = this.members;
    const stamp = this.nextStamp();
    for (let i = 0; i < members.length; i++) {
      const slot = (members[i] as SessionMember).sessionSlot;
      if (slot.session === this) slot.session = null;
    }
    members.length = 0;
    for (let i = 0; i < n; i++) {
      const m = ready[i] as SessionMember;
      const slot = m.sessionSlot;
      slot.session = this;
      slot.sent = m.fetchEntry;
      slot.stamp = stamp;
      members.push(m);
    }
    return { id: this.id, epoch: 0, forgotten: NONE };
  }

  /** FetchSessionHandler.Builder for an incremental fetch: `offer` each partition ready to fetch, then `finish`. */
  begin(): void {
    this.stamp = this.nextStamp();
    this.offered = 0;
  }

  /** True when the fetch must name `m` (new to the session, or its fetch state changed since last sent). */
  offer(m: SessionMember, entry: FetchPartition): boolean {
    const slot = m.sessionSlot;
    this.offered++;
    if (slot.session !== this) {
      // New to the session (or back after moving to another leader's fetcher): added at its end.
      slot.session = this;
      this.members.push(m);
    } else if (slot.sent === entry) {
      slot.stamp = this.stamp;
      return false;
    }
    slot.sent = entry;
    slot.stamp = this.stamp;
    return true;
  }

  /** `offer` for a replica already in the session (the fast path of a fetcher whose partitions did not change). */
  offerKnown(m: SessionMember, entry: FetchPartition): boolean {
    const slot = m.sessionSlot;
    if (slot.session !== this || slot.sent === entry) return false;
    slot.sent = entry;
    return true;
  }

  /** The session fields when the fetch names the same partitions as the last one (nothing to forget). */
  sameMembers(): FetchSessionMetadata {
    return { id: this.id, epoch: this.epoch, forgotten: NONE };
  }

  /** The session fields, with the members not offered this time forgotten (backing off, truncating, or followed
   *  elsewhere now). A replica that left and came back before this build is listed twice: the first place stands,
   *  as on the leader. */
  finish(): FetchSessionMetadata {
    const members = this.members;
    let forgotten = NONE;
    // Every member offered once and nothing new listed twice: nothing to forget (the common case).
    if (members.length !== this.offered) {
      const stamp = this.stamp;
      let keep = 0;
      for (let i = 0; i < members.length; i++) {
        const m = members[i] as SessionMember;
        const slot = m.sessionSlot;
        if (slot.session === this && slot.stamp === stamp) {
          if (slot.kept === stamp) continue;
          slot.kept = stamp;
          members[keep++] = m;
          continue;
        }
        if (forgotten === NONE) forgotten = [];
        (forgotten as { topic: string; partition: number }[]).push({ topic: m.topic, partition: m.partition });
        if (slot.session === this) {
          slot.session = null;
          slot.sent = null;
        }
      }
      members.length = keep;
    }
    return { id: this.id, epoch: this.epoch, forgotten };
  }

  /** FetchSessionHandler.handleResponse: false when the answer is a session error (its partitions are not read). */
  handleResponse(msg: FetchResponse): boolean {
    if (msg.error !== undefined && msg.error !== "NONE") {
      // FETCH_SESSION_ID_NOT_FOUND: start afresh; any other session error: close this one and start afresh.
      if (msg.error === "FETCH_SESSION_ID_NOT_FOUND") this.id = 0;
      this.epoch = 0;
      return false;
    }
    const id = msg.sessionId ?? 0;
    if (this.epoch === 0) {
      // The full fetch's answer: a session was created (or, with no slot free, none: full fetches go on).
      this.id = id;
      this.epoch = id === 0 ? 0 : 1;
    } else if (id === 0) {
      this.epoch = 0;
    } else {
      this.epoch++;
    }
    return true;
  }

  /** FetchSessionHandler.handleError: the request failed (timeout, broken connection); the next fetch closes the
   *  session and opens a new one. */
  handleError(): void {
    this.epoch = 0;
  }
}
