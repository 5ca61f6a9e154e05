import { describe, it, expect } from "vitest";
import { Scheduler, WORLD_OWNER, describeStop } from "./scheduler.ts";
import type { SchedEntry } from "./scheduler.ts";
import { Rng } from "./rng.ts";
import { RunningHash } from "./trace.ts";
import { SimInputError } from "./errors.ts";
import { asTimeUs } from "./time.ts";

/** A scheduler whose dispatcher appends each event's payload `a` to `log`. */
function recording(opts: ConstructorParameters<typeof Scheduler>[0] = {}): { s: Scheduler; log: unknown[] } {
  const s = new Scheduler(opts);
  const log: unknown[] = [];
  s.setDispatcher((e: SchedEntry) => log.push(e.a));
  return { s, log };
}

describe("Scheduler order", () => {
  it("runs events by time, and same-time events in insertion order", () => {
    const { s, log } = recording();
    s.at(30, WORLD_OWNER, 0, "c");
    s.at(10, WORLD_OWNER, 0, "a1");
    s.at(20, WORLD_OWNER, 0, "b");
    s.at(10, WORLD_OWNER, 0, "a2");
    s.at(10, WORLD_OWNER, 0, "a3");
    expect(s.runUntil(asTimeUs(1000))).toEqual({ kind: "time-limit", atUs: 1000 });
    expect(log).toEqual(["a1", "a2", "a3", "b", "c"]);
  });

  it("keeps insertion order among many ties interleaved with other times", () => {
    const { s, log } = recording();
    const expected: string[] = [];
    for (let i = 0; i < 200; i++) s.at(i % 2 === 0 ? 5 : 7, WORLD_OWNER, 0, `${i % 2 === 0 ? 5 : 7}:${i}`);
    for (let i = 0; i < 200; i += 2) expected.push(`5:${i}`);
    for (let i = 1; i < 200; i += 2) expected.push(`7:${i}`);
    s.runUntil(asTimeUs(10));
    expect(log).toEqual(expected);
  });

  it("events scheduled during dispatch at the current time run after those already queued", () => {
    const s = new Scheduler();
    const log: string[] = [];
    s.setDispatcher((e) => {
      log.push(e.a as string);
      if (e.a === "first") s.after(0, WORLD_OWNER, 0, "spawned");
    });
    s.at(1, WORLD_OWNER, 0, "first");
    s.at(1, WORLD_OWNER, 0, "second");
    s.runUntil(asTimeUs(5));
    expect(log).toEqual(["first", "second", "spawned"]);
  });

  it("shuffle mode reorders only same-time events, and reproducibly", () => {
    const run = (seed: number): string[] => {
      const { s, log } = recording({ shuffleTies: new Rng(seed).fork("ties") });
      for (let t = 0; t < 5; t++) for (let i = 0; i < 8; i++) s.at(t * 10, WORLD_OWNER, 0, `${t}:${i}`);
      s.runUntil(asTimeUs(100));
      return log as string[];
    };
    const a = run(1);
    expect(run(1)).toEqual(a);
    // Times never go backwards: group t's events all come before group t+1's.
    const times = a.map((x) => Number(x.split(":")[0]));
    expect([...times].sort((x, y) => x - y)).toEqual(times);
    // Within a time, the order differs from insertion order for at least one group, and across seeds.
    const insertion = Array.from({ length: 5 }, (_, t) => Array.from({ length: 8 }, (_, i) => `${t}:${i}`)).flat();
    expect(a).not.toEqual(insertion);
    expect([...a].sort()).toEqual([...insertion].sort());
    const others = [2, 3, 4, 5].map(run);
    expect(others.some((o) => o.join() !== a.join())).toBe(true);
  });

  it("atInOrder keeps its batch in order even with shuffled ties", () => {
    for (let seed = 0; seed < 20; seed++) {
      const { s, log } = recording({ shuffleTies: new Rng(seed) });
      s.at(5, 1, 0, "x");
      s.atInOrder(5, 1, [0, "s1", 0, 0, "s2", 0, 0, "s3", 0]);
      s.at(5, 1, 0, "y");
      s.runUntil(asTimeUs(10));
      const batch = (log as string[]).filter((x) => x.startsWith("s"));
      expect(batch).toEqual(["s1", "s2", "s3"]);
      expect(log).toHaveLength(5);
    }
  });
});

describe("Scheduler cancellation and crashes", () => {
  it("a cancelled event never runs; others do", () => {
    const { s, log } = recording();
    s.at(1, WORLD_OWNER, 0, "a");
    const h = s.at(2, WORLD_OWNER, 0, "b");
    s.at(3, WORLD_OWNER, 0, "c");
    s.cancel(h);
    s.runUntil(asTimeUs(10));
    expect(log).toEqual(["a", "c"]);
    expect(s.dispatched).toBe(2);
  });

  it("when cancelled events are most of the heap they are dropped at once; the survivors run in the same order", () => {
    const { s, log } = recording();
    const rng = new Rng(7);
    const handles: number[] = [];
    const expected: { t: number; i: number }[] = [];
    for (let i = 0; i < 6000; i++) {
      const t = rng.int(0, 500); // many equal times: insertion order must survive the compaction
      handles.push(s.at(t, WORLD_OWNER, 0, i));
      expected.push({ t, i });
    }
    const cancelled = new Set<number>();
    for (let i = 0; i < 6000; i++) {
      if (rng.next() < 0.8) {
        s.cancel(handles[i] as number);
        s.cancel(handles[i] as number); // twice: counted once
        cancelled.add(i);
      }
    }
    expect(s.pending).toBeLessThan(6000 - cancelled.size + 1025); // compacted at least once
    // Events scheduled after a compaction still interleave correctly.
    for (let i = 6000; i < 6100; i++) {
      const t = rng.int(0, 500);
      s.at(t, WORLD_OWNER, 0, i);
      expected.push({ t, i });
    }
    s.runUntil(asTimeUs(1000));
    const order = expected.filter((e) => !cancelled.has(e.i)).sort((a, b) => a.t - b.t || a.i - b.i).map((e) => e.i);
    expect(log).toEqual(order);
    expect(s.pending).toBe(0);
  });

  it("cancelling events that already ran does not count them as cancelled entries in the heap", () => {
    const { s } = recording();
    const handles: number[] = [];
    for (let i = 0; i < 3000; i++) handles.push(s.at(i, WORLD_OWNER, 0, i));
    s.runUntil(asTimeUs(5000));
    for (const h of handles) s.cancel(h); // a request timeout cancelled after it fired (Producer.take)
    for (let i = 0; i < 10; i++) s.at(6000 + i, WORLD_OWNER, 0, i);
    // White-box: the count drives compaction; it must only count entries that are really in the heap.
    expect((s as unknown as { cancelledInHeap: number }).cancelledInHeap).toBe(0);
    expect(s.pending).toBe(10);
  });

  it("cancelling an event that already ran, or an unknown handle, is harmless", () => {
    const { s, log } = recording();
    const h = s.at(1, WORLD_OWNER, 0, "a");
    s.runUntil(asTimeUs(1));
    s.cancel(h);
    s.cancel(0);
    s.cancel(12345);
    s.at(2, WORLD_OWNER, 0, "b");
    s.runUntil(asTimeUs(5));
    expect(log).toEqual(["a", "b"]);
  });

  it("a stale handle (its event ran, its slot reused) cancels nothing", () => {
    const { s, log } = recording();
    const handles: number[] = [];
    for (let i = 0; i < 3000; i++) {
      handles.push(s.after(1, WORLD_OWNER, 0, `old${i}`));
      s.step();
    }
    for (let i = 0; i < 50; i++) s.after(1, WORLD_OWNER, 0, `new${i}`);
    for (const h of handles) s.cancel(h);
    s.runUntil(() => false);
    expect(log.filter((x) => String(x).startsWith("new"))).toHaveLength(50);
  });

  it("cancelling one of many pending events skips exactly that one", () => {
    const { s, log } = recording();
    const hs = Array.from({ length: 5000 }, (_, i) => s.at(i % 97, WORLD_OWNER, 0, i));
    for (let i = 0; i < hs.length; i += 7) s.cancel(hs[i] as number);
    s.runUntil(() => false);
    expect(log).toHaveLength(5000 - Math.ceil(5000 / 7));
    expect((log as number[]).some((x) => x % 7 === 0)).toBe(false);
  });

  it("a cancelled event at the head does not let a later event run past the time limit", () => {
    const { s, log } = recording();
    const h = s.at(5, WORLD_OWNER, 0, "cancelled");
    s.at(100, WORLD_OWNER, 0, "late");
    s.cancel(h);
    expect(s.runUntil(asTimeUs(10))).toEqual({ kind: "time-limit", atUs: 10 });
    expect(log).toEqual([]);
    expect(s.now).toBe(10);
    s.runUntil(asTimeUs(100));
    expect(log).toEqual(["late"]);
  });

  it("bumpIncarnation makes a crashed node's pending events vanish, but not other nodes' or later ones", () => {
    const { s, log } = recording();
    s.ensureOwner(2);
    s.at(1, 1, 0, "n1-old");
    s.at(2, 2, 0, "n2");
    s.at(3, WORLD_OWNER, 0, "world");
    s.bumpIncarnation(1);
    s.at(4, 1, 0, "n1-new");
    s.runUntil(asTimeUs(10));
    expect(log).toEqual(["n2", "world", "n1-new"]);
  });
});

describe("Scheduler runs", () => {
  it("runUntil(time) runs events at exactly the limit and advances the clock to it", () => {
    const { s, log } = recording();
    s.at(10, WORLD_OWNER, 0, "at-limit");
    s.at(11, WORLD_OWNER, 0, "after");
    expect(s.runUntil(asTimeUs(10))).toEqual({ kind: "time-limit", atUs: 10 });
    expect(log).toEqual(["at-limit"]);
    expect(s.now).toBe(10);
    expect(s.runUntil(asTimeUs(50))).toEqual({ kind: "time-limit", atUs: 50 });
    expect(s.now).toBe(50);
    expect(log).toEqual(["at-limit", "after"]);
  });

  it("runUntil(predicate) stops as soon as the predicate holds, and reports idle when the queue empties", () => {
    const s = new Scheduler();
    let count = 0;
    s.setDispatcher(() => {
      count++;
      if (count < 100) s.after(7, WORLD_OWNER, 0, undefined);
    });
    s.at(0, WORLD_OWNER, 0, undefined);
    expect(s.runUntil(() => count >= 10)).toEqual({ kind: "predicate" });
    expect(count).toBe(10);
    expect(s.now).toBe(9 * 7);
    expect(s.runUntil(() => false)).toEqual({ kind: "idle" });
    expect(count).toBe(100);
  });

  it("step() runs exactly one event and returns false when empty", () => {
    const { s, log } = recording();
    s.at(3, WORLD_OWNER, 0, "a");
    s.at(4, WORLD_OWNER, 0, "b");
    expect(s.step()).toBe(true);
    expect(log).toEqual(["a"]);
    expect(s.now).toBe(3);
    expect(s.step()).toBe(true);
    expect(s.step()).toBe(false);
    expect(log).toEqual(["a", "b"]);
  });

  it("the max-events guard ends a runaway run with a clear reason, and stays tripped", () => {
    const s = new Scheduler({ maxEvents: 500 });
    s.setDispatcher(() => s.after(1, WORLD_OWNER, 0, undefined));
    s.at(0, WORLD_OWNER, 0, undefined);
    expect(s.runUntil(asTimeUs(1e12))).toEqual({ kind: "max-events", events: 500 });
    expect(s.dispatched).toBe(500);
    expect(s.runUntil(asTimeUs(1e12))).toEqual({ kind: "max-events", events: 500 });
    expect(describeStop({ kind: "max-events", events: 500 })).toMatch(/runaway guard: stopped after 500 events.*raise the limit/);
  });

  it("the max-time guard ends a run whose next event is past it", () => {
    const s = new Scheduler({ maxTimeUs: asTimeUs(1000) });
    let n = 0;
    s.setDispatcher(() => {
      n++;
      s.after(300, WORLD_OWNER, 0, undefined);
    });
    s.at(0, WORLD_OWNER, 0, undefined);
    expect(s.runUntil(() => false)).toEqual({ kind: "max-time", atUs: 1000 });
    expect(n).toBe(4); // 0, 300, 600, 900
    expect(describeStop({ kind: "max-time", atUs: asTimeUs(1000) })).toMatch(/runaway guard: virtual time would pass 1 ms/);
    expect(s.now).toBeLessThanOrEqual(1000);
  });

  it("scheduling in the past, at NaN or Infinity, or with a negative/NaN delay is a SimInputError", () => {
    const s = new Scheduler();
    s.setDispatcher(() => {});
    s.at(100, WORLD_OWNER, 0, undefined);
    s.step();
    for (const bad of [() => s.at(99, WORLD_OWNER, 0, 0), () => s.at(Number.NaN, WORLD_OWNER, 0, 0), () => s.at(Infinity, WORLD_OWNER, 0, 0), () => s.after(-1, WORLD_OWNER, 0, 0), () => s.after(Number.NaN, WORLD_OWNER, 0, 0)]) {
      expect(bad).toThrow(SimInputError);
      try {
        bad();
      } catch (e) {
        expect((e as SimInputError).code).toBe("INVALID_DURATION");
        expect((e as SimInputError).message).toMatch(/µs/);
      }
    }
    expect(() => s.at(100, WORLD_OWNER, 0, 0)).not.toThrow();
  });

  it("mixes every dispatched event into the hash; same schedule → same hash, different → different", () => {
    const run = (delays: number[]): string => {
      const hash = new RunningHash();
      const s = new Scheduler({ hash });
      s.setDispatcher(() => {});
      for (const d of delays) s.at(d, WORLD_OWNER, 0, undefined);
      s.runUntil(() => false);
      return hash.hex();
    };
    expect(run([1, 2, 3])).toBe(run([1, 2, 3]));
    expect(run([1, 2, 3])).not.toBe(run([1, 2, 4]));
  });
});

describe("Scheduler yield (the async driver's stop)", () => {
  it("runUntil returns { kind: yield } right after an event that asked for it, and goes on from there when called again", () => {
    const s = new Scheduler();
    const log: unknown[] = [];
    s.setDispatcher((e: SchedEntry) => {
      log.push(e.a);
      if (e.a === "b") s.requestYield();
    });
    for (const [t, a] of [[10, "a"], [10, "b"], [10, "c"], [20, "d"]] as const) s.at(t, WORLD_OWNER, 0, a);
    expect(s.runUntil(asTimeUs(100))).toEqual({ kind: "yield" });
    expect(log).toEqual(["a", "b"]);
    expect(s.now).toBe(10);
    expect(s.runUntil(asTimeUs(100))).toEqual({ kind: "time-limit", atUs: 100 });
    expect(log).toEqual(["a", "b", "c", "d"]);
    expect(describeStop({ kind: "yield" })).toBe("an event made user code runnable");
  });
});
