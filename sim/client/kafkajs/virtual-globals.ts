// While a simulation with async user code runs, the globals that user code reads time and randomness from are the
// simulation's: setTimeout / setInterval / setImmediate (and their clear*) schedule on the virtual clock of the
// running code's owner (host.ts), Date.now(), `new Date()` and performance.now() read the virtual clock, and
// Math.random draws from the seeded "user-code" stream. A handler that awaits a real timer would otherwise hang the
// run (the simulation never yields to the event loop) or make it nondeterministic. They are installed for the
// whole run (nothing else runs in the process meanwhile: the driver never yields to the event loop) and restored
// after it. The simulator itself never reads these globals (eslint bans them in sim/): this file only replaces them.
/* eslint-disable no-restricted-globals -- replacing the wall clock is this file's job */
import type { AsyncHost, Owner } from "./host.ts";
import { TimeoutHandle } from "../timeout-handle.ts";

interface VirtualHandle {
  readonly id: number;
  owner: Owner;
  sched: number;
  interval: number;
  fn: () => void;
}

/** What setTimeout returns: Node's Timeout shape, its refresh and close acting on this run's timers. */
class SimTimeout extends TimeoutHandle {
  constructor(
    private readonly h: VirtualHandle,
    private readonly timers: VirtualTimers,
  ) {
    super(h.id);
  }
  override refresh(): this {
    this.timers.refresh(this.h);
    return this;
  }
  close(): this {
    this.timers.clear(this.h.id);
    return this;
  }
}

class VirtualTimers {
  private nextId = 1;
  private readonly live = new Map<number, VirtualHandle>();
  constructor(private readonly host: AsyncHost) {}

  set(fn: (...args: unknown[]) => void, ms: unknown, args: unknown[], repeat: boolean): SimTimeout {
    if (typeof fn !== "function") throw new TypeError('The "callback" argument must be of type function');
    const delayMs = typeof ms === "number" && ms >= 1 && Number.isFinite(ms) ? Math.floor(ms) : 1;
    const h: VirtualHandle = { id: this.nextId++, owner: this.host.current, sched: -1, interval: repeat ? delayMs : -1, fn: () => fn(...args) };
    this.live.set(h.id, h);
    this.arm(h, delayMs);
    return new SimTimeout(h, this);
  }

  immediate(fn: (...args: unknown[]) => void, args: unknown[]): SimTimeout {
    const h: VirtualHandle = { id: this.nextId++, owner: this.host.current, sched: -1, interval: -1, fn: () => fn(...args) };
    this.live.set(h.id, h);
    h.sched = h.owner.after(0, () => this.fire(h));
    return new SimTimeout(h, this);
  }

  private arm(h: VirtualHandle, delayMs: number): void {
    h.sched = h.owner.after(delayMs * 1000, () => this.fire(h));
  }

  private fire(h: VirtualHandle): void {
    if (this.live.get(h.id) !== h) return;
    if (h.interval >= 0) this.arm(h, h.interval);
    else this.live.delete(h.id);
    this.host.run(h.owner, h.fn);
  }

  refresh(h: VirtualHandle): void {
    if (this.live.get(h.id) !== h) return;
    h.owner.cancel(h.sched);
    this.arm(h, h.interval >= 0 ? h.interval : 1);
  }

  clear(id: unknown): void {
    const key = typeof id === "number" ? id : id instanceof SimTimeout ? Number(id) : NaN;
    const h = this.live.get(key);
    if (h === undefined) return;
    this.live.delete(key);
    h.owner.cancel(h.sched);
  }
}

/** Install the virtual globals for `host`; returns the function that restores the real ones. */
export function installVirtualGlobals(host: AsyncHost): () => void {
  const g = globalThis as unknown as Record<string, unknown>;
  const saved: [object, string, unknown][] = [];
  const replace = (obj: object, key: string, value: unknown): void => {
    saved.push([obj, key, (obj as Record<string, unknown>)[key]]);
    (obj as Record<string, unknown>)[key] = value;
  };
  const timers = new VirtualTimers(host);
  const RealDate = Date;
  const nowMs = (): number => host.epochMs + Math.floor(host.nowUs / 1000);
  // new Date() and Date.now() read the virtual clock; every other use of Date is the real class's.
  class SimDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(nowMs());
      else super(...(args as [string | number | Date]));
    }
    static override now(): number {
      return nowMs();
    }
  }
  replace(g, "setTimeout", (fn: (...a: unknown[]) => void, ms?: unknown, ...args: unknown[]) => timers.set(fn, ms, args, false));
  replace(g, "setInterval", (fn: (...a: unknown[]) => void, ms?: unknown, ...args: unknown[]) => timers.set(fn, ms, args, true));
  replace(g, "setImmediate", (fn: (...a: unknown[]) => void, ...args: unknown[]) => timers.immediate(fn, args));
  replace(g, "clearTimeout", (id: unknown) => timers.clear(id));
  replace(g, "clearInterval", (id: unknown) => timers.clear(id));
  replace(g, "clearImmediate", (id: unknown) => timers.clear(id));
  replace(g, "Date", SimDate);
  replace(Math, "random", () => host.rng.next());
  if (typeof performance === "object" && performance !== null) replace(performance, "now", () => host.nowUs / 1000);
  return () => {
    for (let i = saved.length - 1; i >= 0; i--) {
      const [obj, key, value] = saved[i] as [object, string, unknown];
      (obj as Record<string, unknown>)[key] = value;
    }
  };
}
