// The event queue: a binary min-heap keyed by (time, tie). By default tie = insertion sequence, so
// same-time events run in insertion order; with a shuffle rng, ties are broken by a seeded random key to
// explore interleavings. Cancellation is lazy; a node's pending events vanish at once when its incarnation is
// bumped (crash).
//
// Layout (for speed; see bench/kernel.ts): struct of arrays. The heap itself is three parallel typed arrays
// (time, tie, slot) so sifting touches contiguous memory; each event's payload lives in a slot (typed arrays
// plus one array for `a`), slots are recycled through a free list: no allocation per event in steady state.
import type { Rng } from "./rng.ts";
import type { RunningHash } from "./trace.ts";
import type { TimeUs } from "./time.ts";
import { SimInputError, assertNever } from "./errors.ts";

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
  /** An event asked to stop here (requestYield): async user code is runnable and must run before the next event
   *  (sim/client/async/). runUntil may be called again with the same limit to go on. */
  | { readonly kind: "yield" }
  | { readonly kind: "max-events"; readonly events: number }
  | { readonly kind: "max-time"; readonly atUs: TimeUs };

/** A one-line explanation of why a run stopped, saying what to change when a runaway guard tripped. */
export function describeStop(r: StopReason): string {
  switch (r.kind) {
    case "time-limit":
      return `reached the time limit (${r.atUs / 1000} ms)`;
    case "predicate":
      return "the stop condition was met";
    case "idle":
      return "no events left to run";
    case "yield":
      return "an event made user code runnable";
    case "max-events":
      return `runaway guard: stopped after ${r.events} events (max events); raise the limit if the run is genuinely this long, otherwise look for a timer or message loop`;
    case "max-time":
      return `runaway guard: virtual time would pass ${r.atUs / 1000} ms (max time); raise the limit or shorten the scenario`;
    default:
      return assertNever(r, "stop reason");
  }
}

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

/** The one entry object handed to the dispatcher (refilled for every event: valid only during dispatch). */
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

/** A handle is seq · SLOT_SPACE + slot: cancel finds the slot in O(1) and checks the seq still matches (a
 *  slot is reused once its event ran). Exact while seq < 2^32, i.e. for the first 4 billion events. */
const SLOT_SPACE = 2 ** 21;
const INITIAL_CAPACITY = 1024;
const YIELD: StopReason = { kind: "yield" };

export class Scheduler {
  now = 0 as TimeUs;
  /** Events dispatched so far (skipped ones do not count). */
  dispatched = 0;
  private size = 0;
  private capacity = INITIAL_CAPACITY;
  // The heap, by position.
  private hTime: Float64Array = new Float64Array(INITIAL_CAPACITY);
  private hTie: Float64Array = new Float64Array(INITIAL_CAPACITY);
  private hSlot: Int32Array = new Int32Array(INITIAL_CAPACITY);
  // The events, by slot.
  private sSeq: Float64Array = new Float64Array(INITIAL_CAPACITY);
  /** 1 when the slot's event was cancelled (skipped when it reaches the top). */
  private sCancelled: Uint8Array = new Uint8Array(INITIAL_CAPACITY);
  private sOwner: Int32Array = new Int32Array(INITIAL_CAPACITY);
  private sInc: Int32Array = new Int32Array(INITIAL_CAPACITY);
  private sKind: Int32Array = new Int32Array(INITIAL_CAPACITY);
  private sB: Float64Array = new Float64Array(INITIAL_CAPACITY);
  private sA: unknown[] = new Array<unknown>(INITIAL_CAPACITY).fill(undefined);
  /** Free slots (a stack); slots [0, capacity) are either in the heap or here. */
  private free: Int32Array = new Int32Array(INITIAL_CAPACITY);
  private freeTop = 0;
  /** Cancelled entries still in the heap. */
  private cancelledInHeap = 0;
  private readonly current = new Entry();
  private nextSeq = 1;
  private incarnations: number[] = [0];
  private dispatcher: Dispatcher = () => {};
  private readonly shuffle: Rng | undefined;
  private readonly maxEvents: number;
  private readonly maxTimeUs: number;
  private readonly hash: RunningHash | undefined;
  /** Set by requestYield during a dispatch: runUntil returns after this event. */
  private yieldRequested = false;

  constructor(opts: SchedulerOptions = {}) {
    this.shuffle = opts.shuffleTies;
    this.maxEvents = opts.maxEvents ?? Number.POSITIVE_INFINITY;
    this.maxTimeUs = opts.maxTimeUs ?? Number.POSITIVE_INFINITY;
    this.hash = opts.hash;
    for (let i = 0; i < INITIAL_CAPACITY; i++) this.free[this.freeTop++] = INITIAL_CAPACITY - 1 - i;
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

  /** Schedule an event at an absolute time (not before now). Returns a handle for cancel() (a positive
   *  integer; opaque). */
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

  private grow(): void {
    const old = this.capacity;
    const cap = old * 2;
    if (cap > SLOT_SPACE) {
      throw new SimInputError("RUNAWAY", `more than ${SLOT_SPACE} events pending at once: a timer or message storm? Look for a loop that schedules faster than it runs`);
    }
    const f64 = (a: Float64Array): Float64Array => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array): Int32Array => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.hTime = f64(this.hTime);
    this.hTie = f64(this.hTie);
    this.hSlot = i32(this.hSlot);
    this.sSeq = f64(this.sSeq);
    const c = new Uint8Array(cap);
    c.set(this.sCancelled);
    this.sCancelled = c;
    this.sOwner = i32(this.sOwner);
    this.sInc = i32(this.sInc);
    this.sKind = i32(this.sKind);
    this.sB = f64(this.sB);
    for (let i = old; i < cap; i++) this.sA.push(undefined);
    this.free = i32(this.free);
    for (let i = cap - 1; i >= old; i--) this.free[this.freeTop++] = i;
    this.capacity = cap;
  }

  private enqueue(timeUs: number, owner: number, kind: number, a: unknown, b: number, tie: number): number {
    if (this.freeTop === 0) this.grow();
    const slot = this.free[--this.freeTop] as number;
    const seq = this.nextSeq++;
    let inc = this.incarnations[owner];
    if (inc === undefined) {
      this.ensureOwner(owner); // an owner never registered would otherwise see its events vanish
      inc = 0;
    }
    this.sSeq[slot] = seq;
    this.sCancelled[slot] = 0;
    this.sOwner[slot] = owner;
    this.sInc[slot] = inc;
    this.sKind[slot] = kind;
    this.sB[slot] = b;
    this.sA[slot] = a;
    this.push(timeUs, tie < 0 ? seq : tie, slot);
    return seq * SLOT_SPACE + slot;
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
    if (!(handle > 0)) return;
    const slot = handle % SLOT_SPACE;
    if (slot < this.capacity && this.sSeq[slot] === (handle - slot) / SLOT_SPACE && this.sCancelled[slot] === 0) {
      this.sCancelled[slot] = 1;
      // The entry stays in the heap until its time comes (or a compaction); its payload need not (a cancelled
      // request timeout would keep its request alive for request.timeout.ms).
      this.sA[slot] = undefined;
      // Most timers are cancelled (request timeouts answered in time): once they are most of the heap, drop them
      // all at once, so the heap's depth follows the live events, not request.timeout.ms worth of dead ones.
      if (++this.cancelledInHeap > 1024 && this.cancelledInHeap * 2 > this.size) this.compact();
    }
  }

  /** Remove every cancelled entry from the heap and restore the heap order (Floyd). The order events run in is
   *  the total order (time, tie, seq), so it does not depend on the heap's shape. */
  private compact(): void {
    const { hTime, hTie, hSlot } = this;
    let n = 0;
    for (let i = 0; i < this.size; i++) {
      const slot = hSlot[i] as number;
      if (this.sCancelled[slot] === 1) {
        this.release(slot);
        continue;
      }
      hTime[n] = hTime[i] as number;
      hTie[n] = hTie[i] as number;
      hSlot[n] = slot;
      n++;
    }
    this.size = n;
    this.cancelledInHeap = 0;
    for (let i = (n >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private siftDown(start: number): void {
    const { hTime, hTie, hSlot } = this;
    const n = this.size;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const r = l + 1;
      const c = r < n && this.before(r, l) ? r : l;
      if (!this.before(c, i)) return;
      const t = hTime[i] as number;
      const k = hTie[i] as number;
      const sl = hSlot[i] as number;
      hTime[i] = hTime[c] as number;
      hTie[i] = hTie[c] as number;
      hSlot[i] = hSlot[c] as number;
      hTime[c] = t;
      hTie[c] = k;
      hSlot[c] = sl;
      i = c;
    }
  }

  /** Is the event in this slot still to be run (not cancelled, owner not crashed since)? */
  private isLive(slot: number): boolean {
    return this.sCancelled[slot] === 0 && this.sInc[slot] === this.incarnations[this.sOwner[slot] as number];
  }

  /** Drop dead entries from the top of the queue; returns the next live event's time, or Infinity. */
  private nextLiveTime(): number {
    while (this.size > 0) {
      if (this.isLive(this.hSlot[0] as number)) return this.hTime[0] as number;
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
      if (this.isLive(this.hSlot[0] as number)) {
        this.runTop();
        return true;
      }
      this.release(this.pop());
    }
    return false;
  }

  /** Pop the top event (known live) and dispatch it. */
  private runTop(): void {
    const time = this.hTime[0] as number;
    const tie = this.hTie[0] as number;
    const slot = this.pop();
    const e = this.current;
    e.time = time;
    e.tie = tie;
    e.seq = this.sSeq[slot] as number;
    const owner = (e.owner = this.sOwner[slot] as number);
    e.inc = this.sInc[slot] as number;
    const kind = (e.kind = this.sKind[slot] as number);
    e.a = this.sA[slot];
    e.b = this.sB[slot] as number;
    this.release(slot); // before dispatch: the slot may be reused by events the dispatcher schedules
    this.now = time as TimeUs;
    this.dispatched++;
    const hash = this.hash;
    if (hash !== undefined) {
      hash.mix(time);
      hash.mix(owner * 64 + kind);
    }
    this.dispatcher(e);
    e.a = undefined;
  }

  /** Make runUntil return `{ kind: "yield" }` once the event being dispatched is done (before the next one): the
   *  async driver lets user code that this event made runnable run first (sim/client/async/driver.ts). */
  requestYield(): void {
    this.yieldRequested = true;
  }

  /** Run until virtual time reaches `limit` (events at exactly `limit` run), the predicate holds, the
   *  queue empties, a runaway guard trips, or an event requested a yield. */
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
      this.runTop(); // the top is live: nextLiveTime checked it
      if (this.yieldRequested) {
        this.yieldRequested = false;
        return YIELD;
      }
    }
  }

  private release(slot: number): void {
    if (this.sCancelled[slot] === 1) {
      this.sCancelled[slot] = 0;
      this.cancelledInHeap--;
    }
    this.sSeq[slot] = 0; // no handle matches a free slot (cancelling an event that already ran does nothing)
    this.sA[slot] = undefined;
    this.free[this.freeTop++] = slot;
  }

  /** Insert (time, tie, slot). Order by (time, tie, seq): seq only matters between entries sharing a tie
   *  key (atInOrder). */
  private push(time: number, tie: number, slot: number): void {
    const hTime = this.hTime;
    const hTie = this.hTie;
    const hSlot = this.hSlot;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = hTime[p] as number;
      if (time > pt) break;
      if (time === pt) {
        const pTie = hTie[p] as number;
        if (tie > pTie || (tie === pTie && (this.sSeq[slot] as number) > (this.sSeq[hSlot[p] as number] as number))) break;
      }
      hTime[i] = pt;
      hTie[i] = hTie[p] as number;
      hSlot[i] = hSlot[p] as number;
      i = p;
    }
    hTime[i] = time;
    hTie[i] = tie;
    hSlot[i] = slot;
  }

  /** x strictly before y (heap positions). */
  private before(x: number, y: number): boolean {
    const tx = this.hTime[x] as number;
    const ty = this.hTime[y] as number;
    if (tx !== ty) return tx < ty;
    const ax = this.hTie[x] as number;
    const ay = this.hTie[y] as number;
    if (ax !== ay) return ax < ay;
    return (this.sSeq[this.hSlot[x] as number] as number) < (this.sSeq[this.hSlot[y] as number] as number);
  }

  /** Remove the top; returns its slot. */
  private pop(): number {
    const hTime = this.hTime;
    const hTie = this.hTie;
    const hSlot = this.hSlot;
    const top = hSlot[0] as number;
    const n = --this.size;
    if (n > 0) {
      // Sift the last element down from the root.
      const lt = hTime[n] as number;
      const lTie = hTie[n] as number;
      const ls = hSlot[n] as number;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && this.before(r, l) ? r : l;
        const ct = hTime[c] as number;
        if (ct > lt) break;
        if (ct === lt) {
          const cTie = hTie[c] as number;
          if (cTie > lTie || (cTie === lTie && (this.sSeq[hSlot[c] as number] as number) > (this.sSeq[ls] as number))) break;
        }
        hTime[i] = ct;
        hTie[i] = hTie[c] as number;
        hSlot[i] = hSlot[c] as number;
        i = c;
      }
      hTime[i] = lt;
      hTie[i] = lTie;
      hSlot[i] = ls;
    }
    return top;
  }
}
