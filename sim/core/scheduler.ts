// The event queue: a binary min-heap keyed by (time, tie). By default tie = insertion sequence, so
// same-time events run in insertion order; with a shuffle rng, ties are broken by a seeded random key to
// explore interleavings. Entries are pooled (no allocation per event in steady state); cancellation is lazy;
// a node's pending events vanish at once when its incarnation is bumped (crash).
import type { Rng } from "./rng.ts";
import type { RunningHash } from "./trace.ts";
import type { TimeUs } from "./time.ts";
import { SimInputError } from "./errors.ts";

/** Owner index of events that belong to no node (faults, the world itself): never vanish. */
export const WORLD_OWNER = 0;

export interface SchedEntry {
  time: number;
  tie: number;
  seq: number;
  /** Node index that owns the event (its timers, or deliveries to it); WORLD_OWNER for the world. */
  owner: number;
  /** The owner's incarnation when scheduled: a crash bumps it and the event is skipped. */
  inc: number;
  /** Event kind, interpreted by the dispatcher (message delivery, timer, fault...). */
  kind: number;
  /** Payload: a message, a timer tag... */
  a: unknown;
  /** A second, numeric payload (timer id, sender index...). */
  b: number;
}

export type StopReason =
  | { readonly kind: "time-limit"; readonly atUs: TimeUs }
  | { readonly kind: "predicate" }
  | { readonly kind: "idle" }
  | { readonly kind: "max-events"; readonly events: number }
  | { readonly kind: "max-time"; readonly atUs: TimeUs };

export interface SchedulerOptions {
  /** When set, same-time events are ordered by a seeded random key instead of insertion order. */
  readonly shuffleTies?: Rng;
  /** Runaway guard: end the run after this many events. */
  readonly maxEvents?: number;
  /** Runaway guard: end the run when virtual time passes this. */
  readonly maxTimeUs?: TimeUs;
  /** The running trace hash; every dispatched event is mixed into it. */
  readonly hash?: RunningHash;
}

export type Dispatcher = (e: SchedEntry) => void;

/** A class (not object literals) so every entry has one hidden class and the heap code stays monomorphic. */
class Entry implements SchedEntry {
  time = 0;
  tie = 0;
  seq = 0;
  owner = 0;
  inc = 0;
  kind = 0;
  a: unknown = undefined;
  b = 0;
}

/** Purge the lazy-cancellation set when it grows past this and past twice the queue (cancels of events that
 *  already ran or vanished would otherwise accumulate forever). */
const CANCEL_PURGE_MIN = 4096;

export class Scheduler {
  now = 0 as TimeUs;
  /** Events dispatched so far (skipped ones do not count). */
  dispatched = 0;
  private heap: Entry[] = [];
  private size = 0;
  private pool: Entry[] = [];
  private nextSeq = 1;
  private readonly cancelled = new Set<number>();
  private incarnations: number[] = [0];
  private dispatcher: Dispatcher = () => {};
  private readonly shuffle: Rng | undefined;
  private readonly maxEvents: number;
  private readonly maxTimeUs: number;
  private readonly hash: RunningHash | undefined;

  constructor(opts: SchedulerOptions = {}) {
    this.shuffle = opts.shuffleTies;
    this.maxEvents = opts.maxEvents ?? Number.POSITIVE_INFINITY;
    this.maxTimeUs = opts.maxTimeUs ?? Number.POSITIVE_INFINITY;
    this.hash = opts.hash;
  }

  setDispatcher(fn: Dispatcher): void {
    this.dispatcher = fn;
  }

  /** Register a node index (1, 2, ...) so its incarnation can be tracked. */
  ensureOwner(owner: number): void {
    while (this.incarnations.length <= owner) this.incarnations.push(0);
  }

  /** All pending events of this owner vanish (a crashed node's timers and in-flight deliveries to it). */
  bumpIncarnation(owner: number): void {
    this.ensureOwner(owner);
    this.incarnations[owner] = (this.incarnations[owner] as number) + 1;
  }

  /** Entries in the queue, including cancelled/vanished ones not yet skipped (they are dropped lazily). */
  get pending(): number {
    return this.size;
  }

  /** Schedule an event at an absolute time (not before now). Returns a handle for cancel(). */
  at(timeUs: number, owner: number, kind: number, a: unknown, b = 0): number {
    if (!(timeUs >= this.now && timeUs !== Number.POSITIVE_INFINITY)) {
      throw new SimInputError("INVALID_DURATION", `cannot schedule at ${timeUs}µs: it is before now (${this.now}µs) or not a finite number`);
    }
    return this.enqueue(timeUs, owner, kind, a, b, this.shuffle ? this.shuffle.next() : -1);
  }

  /** Schedule several events at one time that must run in the given order relative to each other (a paused
   *  node's stashed events on resume), even when same-time ties are shuffled: they share one tie key and
   *  fall back to insertion order among themselves. `events` holds [kind, a, b] triples. */
  atInOrder(timeUs: number, owner: number, events: readonly unknown[]): void {
    if (!(timeUs >= this.now && timeUs !== Number.POSITIVE_INFINITY)) {
      throw new SimInputError("INVALID_DURATION", `cannot schedule at ${timeUs}µs: it is before now (${this.now}µs) or not a finite number`);
    }
    const tie = this.shuffle ? this.shuffle.next() : -1;
    for (let i = 0; i + 2 < events.length; i += 3) {
      this.enqueue(timeUs, owner, events[i] as number, events[i + 1], events[i + 2] as number, tie);
    }
  }

  /** True when same-time ties are broken by the seeded shuffle. */
  get shufflesTies(): boolean {
    return this.shuffle !== undefined;
  }

  private enqueue(timeUs: number, owner: number, kind: number, a: unknown, b: number, tie: number): number {
    const e = this.pool.length > 0 ? (this.pool.pop() as Entry) : new Entry();
    const seq = this.nextSeq++;
    e.time = timeUs;
    e.seq = seq;
    e.tie = tie < 0 ? seq : tie;
    e.owner = owner;
    let inc = this.incarnations[owner];
    if (inc === undefined) {
      this.ensureOwner(owner); // an owner never registered would otherwise see its events vanish
      inc = 0;
    }
    e.inc = inc;
    e.kind = kind;
    e.a = a;
    e.b = b;
    this.push(e);
    return seq;
  }

  /** Schedule after a delay in µs (≥ 0). */
  after(delayUs: number, owner: number, kind: number, a: unknown, b = 0): number {
    if (!(delayUs >= 0 && delayUs !== Number.POSITIVE_INFINITY)) {
      throw new SimInputError("INVALID_DURATION", `delay must be a finite number ≥ 0 µs, got ${delayUs}`);
    }
    return this.at(this.now + delayUs, owner, kind, a, b);
  }

  /** Cancel a pending event by its handle. Cancelling an event that already ran (or vanished) is a no-op. */
  cancel(handle: number): void {
    if (!(handle > 0 && handle < this.nextSeq)) return;
    this.cancelled.add(handle);
    if (this.cancelled.size > CANCEL_PURGE_MIN && this.cancelled.size > 2 * this.size) this.purgeCancelled();
  }

  /** Keep only cancellations of events still in the queue. */
  private purgeCancelled(): void {
    const keep = new Set<number>();
    for (let i = 0; i < this.size; i++) {
      const seq = (this.heap[i] as Entry).seq;
      if (this.cancelled.has(seq)) keep.add(seq);
    }
    this.cancelled.clear();
    for (const seq of keep) this.cancelled.add(seq);
  }

  /** Is this entry still to be run (not cancelled, owner not crashed since)? Consumes its cancellation. */
  private isLive(e: Entry): boolean {
    if (e.inc !== this.incarnations[e.owner]) {
      if (this.cancelled.size !== 0) this.cancelled.delete(e.seq);
      return false;
    }
    return !(this.cancelled.size !== 0 && this.cancelled.delete(e.seq));
  }

  /** Drop dead entries from the top of the queue; returns the next live event's time, or Infinity. */
  private nextLiveTime(): number {
    while (this.size > 0) {
      const top = this.heap[0] as Entry;
      if (this.isLive(top)) return top.time;
      this.release(this.pop());
    }
    return Number.POSITIVE_INFINITY;
  }

  /** Time of the next event that will run (Infinity when none). */
  peekTimeUs(): number {
    return this.nextLiveTime();
  }

  /** Run one event. Returns false when the queue is empty. */
  step(): boolean {
    while (this.size > 0) {
      const e = this.pop();
      if (!this.isLive(e)) {
        this.release(e);
        continue;
      }
      this.now = e.time as TimeUs;
      this.dispatched++;
      if (this.hash) {
        this.hash.mix(e.time);
        this.hash.mix(e.owner * 64 + e.kind);
      }
      this.dispatcher(e);
      this.release(e);
      return true;
    }
    return false;
  }

  /** Run until virtual time reaches `limit` (events at exactly `limit` run), the predicate holds, the
   *  queue empties, or a runaway guard trips. */
  runUntil(limit: TimeUs | (() => boolean)): StopReason {
    const pred = typeof limit === "function" ? limit : undefined;
    const limitUs = typeof limit === "number" ? limit : Number.POSITIVE_INFINITY;
    for (;;) {
      if (pred && pred()) return { kind: "predicate" };
      // Skip dead entries first: a cancelled event at the top must not let a later live one slip past the limit.
      const next = this.nextLiveTime();
      if (next === Number.POSITIVE_INFINITY) {
        if (limitUs !== Number.POSITIVE_INFINITY && this.now < limitUs) this.now = limitUs as TimeUs;
        return limitUs === Number.POSITIVE_INFINITY ? { kind: "idle" } : { kind: "time-limit", atUs: limitUs as TimeUs };
      }
      if (next > limitUs) {
        this.now = limitUs as TimeUs;
        return { kind: "time-limit", atUs: limitUs as TimeUs };
      }
      if (next > this.maxTimeUs) return { kind: "max-time", atUs: this.maxTimeUs as TimeUs };
      if (this.dispatched >= this.maxEvents) return { kind: "max-events", events: this.dispatched };
      this.step();
    }
  }

  private release(e: Entry): void {
    e.a = undefined;
    this.pool.push(e);
  }

  /** Order by (time, tie, seq): seq only matters between entries sharing a tie key (atInOrder). */
  private less(x: Entry, y: Entry): boolean {
    return x.time < y.time || (x.time === y.time && (x.tie < y.tie || (x.tie === y.tie && x.seq < y.seq)));
  }

  private push(e: Entry): void {
    const heap = this.heap;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = heap[p] as Entry;
      if (!this.less(e, pe)) break;
      heap[i] = pe;
      i = p;
    }
    heap[i] = e;
  }

  private pop(): Entry {
    const heap = this.heap;
    const top = heap[0] as Entry;
    const last = heap[--this.size] as Entry;
    heap[this.size] = undefined as unknown as Entry;
    const n = this.size;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        let ce = heap[l] as Entry;
        if (r < n) {
          const re = heap[r] as Entry;
          if (this.less(re, ce)) {
            c = r;
            ce = re;
          }
        }
        if (!this.less(ce, last)) break;
        heap[i] = ce;
        i = c;
      }
      heap[i] = last;
    }
    return top;
  }
}
