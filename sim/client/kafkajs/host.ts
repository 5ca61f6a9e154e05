// The async bridge: asynchronous user code (handlers that return Promises, the kafkajs API, a main program) runs on
// the simulation's virtual clock, deterministically. The simulation stays single-threaded and event-driven; user code
// only ever resumes because the scheduler delivered an event: a timer of its own (sim.sleep, setTimeout), the answer
// to an operation it awaits (a send, a commit, a database call), or a handler invocation. Such an event goes through
// `run(owner, fn)`, which asks the scheduler to stop after the event (Scheduler.requestYield); the driver
// (driver.ts) then lets every microtask run to completion — the user code resumes, computes, and blocks again on
// some simulated operation — before the next event. So each await resolves at the virtual time of its event and
// nothing in between sees a later clock.
//
// An owner is who the code runs for: a client process (its timers are node timers: they vanish when the process
// dies and wait while it is paused; what was awaited in a dead process never resolves) or the world (a main
// program, not tied to a process). Code for a second owner woken by the same event runs after the first owner's
// microtasks are done (deferred), so "the owner of the running code" is always known: timers set by user code
// belong to it.
import type { NodeContext } from "../../core/node.ts";
import type { Runtime } from "../../core/runtime.ts";
import type { Rng } from "../../core/rng.ts";
import type { Message } from "../../kafka/protocol.ts";
import type { TraceEvent } from "../../events.ts";

/** A process user code runs for. */
export interface Owner {
  /** For messages: "world" or the node id. */
  readonly name: string;
  /** False once the process died (its code's continuations are dropped). */
  alive(): boolean;
  /** Run `fn` after `delayUs` of virtual time on this owner's clock (inside that event's dispatch). */
  after(delayUs: number, fn: () => void): number;
  cancel(handle: number): void;
}

/** A node timer carrying user code: the node's actor hands it to `fire` (see ownsTimer). */
export class OwnerTimer {
  constructor(
    readonly owner: NodeOwner,
    readonly fn: () => void,
  ) {}
}

/** A client process as an owner: one per actor incarnation (a restarted process is a new owner). */
export class NodeOwner implements Owner {
  readonly name: string;
  constructor(
    private readonly ctx: NodeContext<Message, TraceEvent>,
    private readonly isAlive: () => boolean,
  ) {
    this.name = ctx.self;
  }
  alive(): boolean {
    return this.isAlive();
  }
  after(delayUs: number, fn: () => void): number {
    return this.ctx.setTimer(delayUs, new OwnerTimer(this, fn));
  }
  cancel(handle: number): void {
    this.ctx.cancelTimer(handle);
  }
}

/** An actor's onTimer: run the user code a timer of this owner carries. Returns false for any other tag. */
export function fireOwnerTimer(owner: NodeOwner | null, tag: unknown): boolean {
  if (!(tag instanceof OwnerTimer)) return false;
  if (tag.owner === owner) tag.fn();
  return true;
}

interface Deferred {
  readonly owner: Owner;
  readonly fn: () => void;
}

type Rt = Runtime<Message, TraceEvent>;

export class AsyncHost {
  readonly world: Owner;
  /** The owner whose code runs now: set around `run`'s synchronous call, and for the whole of a drain. */
  current: Owner;
  /** Seeded randomness for user code (Math.random while it runs): its own stream. */
  readonly rng: Rng;
  /** Virtual time 0 as a wall-clock date (Date.now() of user code = this + virtual ms). */
  readonly epochMs: number;
  /** Set once the run is over: user code that goes on (a real timer or I/O resolved later) is refused. */
  ended = false;
  /** An error that ends the run (a main program threw): the driver stops before the next event. */
  failure: unknown = undefined;
  /** The owner whose code an event made runnable (drained after the event); null when none. */
  private woken: Owner | null = null;
  private deferred: Deferred[] = [];
  /** The driver is running deferred code (between events: no yield to ask for). */
  private betweenEvents = false;

  constructor(
    readonly rt: Rt,
    opts: { readonly epochMs?: number } = {},
  ) {
    this.rng = rt.rng.fork("user-code");
    this.epochMs = opts.epochMs ?? DEFAULT_EPOCH_MS;
    const sched = rt.scheduler;
    this.world = {
      name: "world",
      alive: () => true,
      after: (delayUs, fn) => rt.call(sched.now + delayUs, () => fn()),
      cancel: (h) => sched.cancel(h),
    };
    this.current = this.world;
  }

  get nowUs(): number {
    return this.rt.scheduler.now;
  }

  /** A node owner for an actor incarnation: alive while that very actor is the node's. */
  nodeOwner(ctx: NodeContext<Message, TraceEvent>, actor: object): NodeOwner {
    const rt = this.rt;
    const id = ctx.self;
    return new NodeOwner(ctx, () => rt.actor(id) === actor);
  }

  /** Run user code for `owner` now (a handler call, or resolving a promise it awaits), inside an event's dispatch
   *  or between events; its microtasks run before the next event. When another owner's code already ran in this
   *  event, this waits until that code is done. A dead owner's code is dropped. */
  run(owner: Owner, fn: () => void): void {
    if (this.ended || !owner.alive()) return;
    if (this.woken !== null && this.woken !== owner) {
      this.deferred.push({ owner, fn });
      return;
    }
    this.woken = owner;
    if (!this.betweenEvents) this.rt.scheduler.requestYield();
    const prev = this.current;
    this.current = owner;
    try {
      fn();
    } finally {
      this.current = prev;
    }
  }

  /** Settle `promise` for `owner`'s code: `then` runs (between events, in the drain after it settled) only if the
   *  owner is still alive. A rejection is handled (never an unhandled rejection). */
  await<T>(owner: Owner, promise: PromiseLike<T>, then: (ok: boolean, value: unknown) => void): void {
    promise.then(
      (v) => {
        if (!this.ended && owner.alive()) then(true, v);
      },
      (e: unknown) => {
        if (!this.ended && owner.alive()) then(false, e);
      },
    );
  }

  /** End the run with `error` (before the next event). */
  fail(error: unknown): void {
    if (this.failure === undefined) this.failure = error;
    this.rt.scheduler.requestYield();
  }

  // ---------------------------------------------------------------- the driver's side

  /** Before the drain of what the last event (or deferred code) woke: that owner's code is the running code. */
  beginDrain(): void {
    this.current = this.woken ?? this.world;
    this.woken = null;
  }

  /** After a drain: run the next deferred owner's code (everything deferred for that owner, in order). Returns
   *  true when something ran (then the driver drains again before the next event). */
  runDeferred(): boolean {
    this.current = this.world;
    if (this.deferred.length === 0) return false;
    const all = this.deferred;
    const owner = (all[0] as Deferred).owner;
    this.deferred = [];
    this.betweenEvents = true;
    try {
      for (const d of all) {
        if (d.owner === owner) this.run(owner, d.fn);
        else this.deferred.push(d);
      }
    } finally {
      this.betweenEvents = false;
    }
    return true;
  }
}

/** 2024-01-01T00:00:00Z: what Date.now() says at virtual time 0 in user code. */
export const DEFAULT_EPOCH_MS = 1_704_067_200_000;

/** Does this value look like a Promise (a thenable)? */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return x !== null && (typeof x === "object" || typeof x === "function") && typeof (x as { then?: unknown }).then === "function";
}
