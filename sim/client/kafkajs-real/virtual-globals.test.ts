// The virtual globals on a tiny hand-driven clock: timers are its events (Node's delay rules), Date and hrtime read
// it, Math.random and crypto.getRandomValues draw from the seeded stream, and everything real comes back after.
/* eslint-disable no-restricted-globals, no-restricted-properties -- the globals the fakes replace are what is tested */
import { afterEach, describe, expect, it } from "vitest";
import { Rng } from "../../core/rng.ts";
import { installVirtualGlobals } from "./virtual-globals.ts";

/** A minimal clock: events in (time, insertion) order, run by hand. */
class HandClock {
  now = 0;
  private seq = 0;
  private readonly events = new Map<number, { at: number; seq: number; fn: () => void }>();
  nowUs = (): number => this.now;
  at = (atUs: number, fn: () => void): number => {
    const h = ++this.seq;
    this.events.set(h, { at: atUs, seq: h, fn });
    return h;
  };
  cancel = (h: number): void => {
    this.events.delete(h);
  };
  /** Run every event up to `untilUs`, in order. */
  run(untilUs: number): void {
    for (;;) {
      let next: [number, { at: number; seq: number; fn: () => void }] | undefined;
      for (const e of this.events) if (e[1].at <= untilUs && (next === undefined || e[1].at < next[1].at || (e[1].at === next[1].at && e[1].seq < next[1].seq))) next = e;
      if (next === undefined) break;
      this.events.delete(next[0]);
      this.now = next[1].at;
      next[1].fn();
    }
    this.now = untilUs;
  }
}

const EPOCH = 1_600_000_000_000;
let uninstall: (() => void) | undefined;
afterEach(() => {
  uninstall?.();
  uninstall = undefined;
});

function install(clock: HandClock, seed = "s"): { errors: unknown[]; fired: number[] } {
  const errors: unknown[] = [];
  const fired: number[] = [];
  uninstall = installVirtualGlobals({ clock, epochMs: EPOCH, rng: new Rng(seed).fork("random"), onError: (e) => errors.push(e), onFire: () => fired.push(clock.now) });
  return { errors, fired };
}

describe("virtual globals", () => {
  it("setTimeout is an event of the clock, with Node's delay rules (below 1, NaN or above 2^31-1 → 1 ms) and its arguments", () => {
    const clock = new HandClock();
    install(clock);
    const log: string[] = [];
    setTimeout((a: string) => log.push(`${a}@${clock.now}`), 5, "five");
    setTimeout(() => log.push(`zero@${clock.now}`), 0);
    setTimeout(() => log.push(`nan@${clock.now}`), Number.NaN);
    setTimeout(() => log.push(`huge@${clock.now}`), 2 ** 31);
    setTimeout(() => log.push(`frac@${clock.now}`), 2.5);
    clock.run(10_000);
    expect(log).toEqual(["zero@1000", "nan@1000", "huge@1000", "frac@2500", "five@5000"]);
  });

  it("setInterval repeats until cleared; clearTimeout takes the timer or its number; setImmediate runs at the same instant", () => {
    const clock = new HandClock();
    install(clock);
    const ticks: number[] = [];
    const iv = setInterval(() => {
      ticks.push(clock.now);
      if (ticks.length === 3) clearInterval(iv);
    }, 10);
    const t = setTimeout(() => ticks.push(-1), 15);
    clearTimeout(Number(t));
    let immediateAt = -1;
    setImmediate(() => (immediateAt = clock.now));
    clock.run(100_000);
    expect(ticks).toEqual([10_000, 20_000, 30_000]);
    expect(immediateAt).toBe(0);
    expect(typeof t.unref).toBe("function");
  });

  it("Date, performance.now and process.hrtime read the virtual clock; new Date(x) and Date.parse are the real ones", () => {
    const clock = new HandClock();
    install(clock);
    clock.run(1_234_567);
    expect(Date.now()).toBe(EPOCH + 1234);
    expect(new Date().getTime()).toBe(EPOCH + 1234);
    expect(new Date() instanceof Date).toBe(true);
    expect(new Date(0).toISOString()).toBe("1970-01-01T00:00:00.000Z");
    expect(Date.parse("1970-01-02T00:00:00Z")).toBe(86_400_000);
    expect(Date()).toBe(new Date(EPOCH + 1234).toString());
    expect(performance.now()).toBeCloseTo(1234.567, 6);
    expect(process.hrtime()).toEqual([1, 234_567_000]);
    expect(process.hrtime([1, 0])).toEqual([0, 234_567_000]);
    expect(process.hrtime.bigint()).toBe(1_234_567_000n);
  });

  it("Math.random and crypto.getRandomValues draw from the seeded stream: the same seed, the same draws", () => {
    const draw = (seed: string): { r: number[]; bytes: number[] } => {
      const clock = new HandClock();
      install(clock, seed);
      const r = [Math.random(), Math.random(), Math.random()];
      const bytes = [...crypto.getRandomValues(new Uint8Array(8))];
      uninstall?.();
      uninstall = undefined;
      return { r, bytes };
    };
    const a = draw("x");
    expect(draw("x")).toEqual(a);
    expect(draw("y")).not.toEqual(a);
    for (const v of a.r) expect(v >= 0 && v < 1).toBe(true);
  });

  it("a throwing timer callback is reported, not thrown into the clock; every firing is announced", () => {
    const clock = new HandClock();
    const { errors, fired } = install(clock);
    setTimeout(() => {
      throw new Error("boom");
    }, 1);
    setTimeout(() => {}, 2);
    clock.run(5000);
    expect(errors.map((e) => (e as Error).message)).toEqual(["boom"]);
    expect(fired).toEqual([1000, 2000]);
  });

  it("uninstalling puts back the very same globals, and one installation at a time", () => {
    const real = { setTimeout, setInterval, setImmediate, clearTimeout, Date, random: Math.random, hrtime: process.hrtime, now: performance.now, grv: crypto.getRandomValues };
    const clock = new HandClock();
    install(clock);
    expect(setTimeout).not.toBe(real.setTimeout);
    expect(() => install(clock)).toThrow(/already installed/);
    uninstall?.();
    uninstall = undefined;
    expect({ setTimeout, setInterval, setImmediate, clearTimeout, Date, random: Math.random, hrtime: process.hrtime, now: performance.now, grv: crypto.getRandomValues }).toEqual(real);
    expect(Object.prototype.hasOwnProperty.call(crypto, "getRandomValues")).toBe(false);
  });
});
