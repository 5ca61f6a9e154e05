// The simulation's clock and randomness in place of the process's, while real client code runs in virtual time:
// setTimeout, setInterval, setImmediate (and their clears) become events of the run's scheduler; Date (new Date(),
// Date.now()), performance.now() and process.hrtime read the virtual clock; Math.random and
// crypto.getRandomValues draw from a seeded stream. kafkajs reads all of these as globals at call time (its retry
// jitter and broker shuffle use Math.random, its default partitioner seeds its counter from crypto.getRandomValues,
// its request timeouts are a setInterval, its timestamps Date.now()), so the real, unmodified kafkajs runs on the
// simulation's time. Installed for the length of one run and removed after it: a single queue of events (the
// scheduler's) decides what happens next, kafkajs's timers included — unlike a separate fake clock
// (@sinonjs/fake-timers), which would keep its own queue that the scheduler could not interleave with its own.
//
// This is the one file in sim/ that touches the real globals: it has to, to replace them (eslint allows it here).
/* eslint-disable no-restricted-globals */
import type { Rng } from "../../core/rng.ts";
import { TimeoutHandle } from "../timeout-handle.ts";

/** The scheduler, as the fakes need it. */
export interface VirtualClock {
  nowUs(): number;
  /** Run `fn` at absolute virtual time `atUs`; returns a handle for cancel. */
  at(atUs: number, fn: () => void): number;
  cancel(handle: number): void;
}

export interface VirtualGlobalsOptions {
  readonly clock: VirtualClock;
  /** Date.now() at virtual time 0. */
  readonly epochMs: number;
  readonly rng: Rng;
  /** A timer callback threw: the run fails with it (a real process would report an uncaught exception). */
  readonly onError: (e: unknown) => void;
  /** Called whenever a timer fired (the host then lets the promises it settled run before the next event). */
  readonly onFire: () => void;
}

/** Node's TIMEOUT_MAX: a delay above it (or below 1, or not a number) is 1 ms (lib/internal/timers.js). */
const TIMEOUT_MAX = 2 ** 31 - 1;

class VirtualTimer extends TimeoutHandle {
  handle = -1;
  cleared = false;
  constructor(
    id: number,
    readonly repeatUs: number | null,
  ) {
    super(id);
  }
}

function delayUs(ms: unknown): number {
  let after = Number(ms);
  if (!(after >= 1 && after <= TIMEOUT_MAX)) after = 1;
  return Math.round(after * 1000);
}

let installed = false;

/** Replace the globals; returns the function that puts the real ones back. One installation at a time. */
export function installVirtualGlobals(o: VirtualGlobalsOptions): () => void {
  if (installed) throw new Error("virtual globals are already installed: one virtual-time run at a time per thread");
  installed = true;
  const g = globalThis as Record<string, unknown>;
  const saved: [object, string, PropertyDescriptor | undefined][] = [];
  const replace = (target: object, key: string, value: unknown): void => {
    saved.push([target, key, Object.getOwnPropertyDescriptor(target, key)]);
    Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: false });
  };

  const { clock } = o;
  let nextId = 1;
  const byId = new Map<number, VirtualTimer>();
  const schedule = (t: VirtualTimer, fn: (...a: unknown[]) => void, args: unknown[], inUs: number): void => {
    t.handle = clock.at(clock.nowUs() + inUs, () => {
      if (t.cleared) return;
      if (t.repeatUs !== null) schedule(t, fn, args, t.repeatUs);
      else byId.delete(t.id);
      try {
        fn(...args);
      } catch (e) {
        o.onError(e);
      }
      o.onFire();
    });
  };
  const create = (fn: unknown, ms: unknown, args: unknown[], repeat: boolean, immediate = false): VirtualTimer => {
    if (typeof fn !== "function") throw new TypeError('The "callback" argument must be of type function');
    const us = immediate ? 0 : delayUs(ms);
    const t = new VirtualTimer(nextId++, repeat ? us : null);
    byId.set(t.id, t);
    schedule(t, fn as (...a: unknown[]) => void, args, us);
    return t;
  };
  const clear = (t: unknown): void => {
    const timer = t instanceof VirtualTimer ? t : typeof t === "number" ? byId.get(t) : undefined;
    if (timer === undefined || timer.cleared) return;
    timer.cleared = true;
    byId.delete(timer.id);
    clock.cancel(timer.handle);
  };
  replace(g, "setTimeout", (fn: unknown, ms?: unknown, ...args: unknown[]) => create(fn, ms, args, false));
  replace(g, "setInterval", (fn: unknown, ms?: unknown, ...args: unknown[]) => create(fn, ms, args, true));
  replace(g, "setImmediate", (fn: unknown, ...args: unknown[]) => create(fn, 0, args, false, true));
  replace(g, "clearTimeout", clear);
  replace(g, "clearInterval", clear);
  replace(g, "clearImmediate", clear);

  const nowMs = (): number => o.epochMs + Math.floor(clock.nowUs() / 1000);
  const RealDate = Date;
  // new Date() and Date.now() read the virtual clock; new Date(x) and the static helpers are the real ones.
  function VirtualDate(this: unknown, ...args: unknown[]): unknown {
    if (!(this instanceof VirtualDate)) return new RealDate(nowMs()).toString();
    return args.length === 0 ? new RealDate(nowMs()) : new (RealDate as unknown as new (...a: unknown[]) => Date)(...args);
  }
  Object.setPrototypeOf(VirtualDate, RealDate);
  VirtualDate.prototype = RealDate.prototype;
  (VirtualDate as unknown as { now: () => number }).now = nowMs;
  replace(g, "Date", VirtualDate);

  const perf = g.performance as object | undefined;
  if (perf !== undefined) replace(perf, "now", () => clock.nowUs() / 1000);
  const hrtime = (prev?: [number, number]): [number, number] => {
    const ns = clock.nowUs() * 1000;
    let s = Math.floor(ns / 1e9);
    let n = ns - s * 1e9;
    if (prev !== undefined) {
      s -= prev[0];
      n -= prev[1];
      if (n < 0) {
        s--;
        n += 1e9;
      }
    }
    return [s, n];
  };
  hrtime.bigint = (): bigint => BigInt(clock.nowUs()) * 1000n;
  replace(process, "hrtime", hrtime);

  replace(Math, "random", () => o.rng.next());
  const cryptoObj = g.crypto as { getRandomValues?: unknown } | undefined;
  if (cryptoObj !== undefined) {
    replace(cryptoObj, "getRandomValues", <T extends ArrayBufferView | null>(array: T): T => {
      if (array === null) return array;
      const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(o.rng.next() * 256);
      return array;
    });
  }

  return () => {
    for (const t of byId.values()) {
      t.cleared = true;
      clock.cancel(t.handle);
    }
    byId.clear();
    for (let i = saved.length - 1; i >= 0; i--) {
      const [target, key, desc] = saved[i] as [object, string, PropertyDescriptor | undefined];
      if (desc === undefined) delete (target as Record<string, unknown>)[key];
      else Object.defineProperty(target, key, desc);
    }
    installed = false;
  };
}
