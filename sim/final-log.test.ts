// The compact final logs read exactly as the arrays they stand for, share what replicas hold in common, and find
// the first mismatch between two replicas as a record-by-record comparison does.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ReplicaLog } from "./final-log.ts";
import type { LogSource } from "./final-log.ts";

interface Arrays {
  start: number;
  values: number[];
  epochs: number[];
  keys: number[];
}
const src = (a: Arrays): LogSource => ({ start: a.start, length: a.values.length, values: a.values, epochs: a.epochs, keys: a.keys });
const read = (l: ReplicaLog): Arrays => {
  const out: Arrays = { start: l.start, values: [], epochs: [], keys: [] };
  for (let i = 0; i < l.length; i++) {
    out.values.push(l.valueAt(i));
    out.epochs.push(l.epochAt(i));
    out.keys.push(l.keyAt(i));
  }
  return out;
};
function naiveMismatch(a: Arrays, b: Arrays, below: number): number {
  const to = Math.min(below, a.start + a.values.length, b.start + b.values.length);
  for (let o = Math.max(a.start, b.start); o < to; o++) {
    if (a.values[o - a.start] !== b.values[o - b.start] || a.epochs[o - a.start] !== b.epochs[o - b.start]) return o;
  }
  return -1;
}

/** A base log and two followers that copy a prefix of it, then (maybe) go their own way. */
const replicas = fc
  .record({
    n: fc.integer({ min: 0, max: 300 }),
    epochEvery: fc.integer({ min: 1, max: 80 }),
    keyed: fc.boolean(),
    fractional: fc.boolean(),
    followers: fc.array(fc.record({ start: fc.integer({ min: 0, max: 5 }), copy: fc.integer({ min: 0, max: 320 }), extra: fc.integer({ min: 0, max: 20 }), epochBump: fc.boolean() }), { minLength: 2, maxLength: 2 }),
  })
  .map(({ n, epochEvery, keyed, fractional, followers }) => {
    const base: Arrays = { start: 0, values: [], epochs: [], keys: [] };
    for (let i = 0; i < n; i++) {
      base.values.push(fractional && i % 7 === 3 ? i + 0.5 : i * 3);
      base.epochs.push(Math.floor(i / epochEvery));
      base.keys.push(keyed ? i % 5 : -1);
    }
    const others = followers.map((f) => {
      const a: Arrays = { start: f.start, values: [], epochs: [], keys: [] };
      for (let o = f.start; o < Math.min(n, f.copy); o++) {
        a.values.push(base.values[o] as number);
        a.epochs.push(base.epochs[o] as number);
        a.keys.push(base.keys[o] as number);
      }
      for (let k = 0; k < f.extra; k++) {
        a.values.push(10_000 + k);
        a.epochs.push(f.epochBump ? 99 : (base.epochs[n - 1] ?? 0));
        a.keys.push(-1);
      }
      return a;
    });
    return { base, others };
  });

describe("ReplicaLog", () => {
  it("reads back every record, shares the common prefix, and finds the first mismatch as a naive comparison", () => {
    fc.assert(
      fc.property(replicas, fc.integer({ min: 0, max: 400 }), ({ base, others }, below) => {
        const b = ReplicaLog.of(src(base));
        const ls = others.map((o) => ReplicaLog.of(src(o), b));
        expect(read(b)).toEqual(base);
        ls.forEach((l, i) => expect(read(l)).toEqual(others[i]));
        const all = [base, ...others];
        const logs = [b, ...ls];
        for (let i = 0; i < all.length; i++) {
          for (let j = 0; j < all.length; j++) {
            const x = logs[i] as ReplicaLog;
            const y = logs[j] as ReplicaLog;
            const got = x.firstMismatch(y, Math.max(x.start, y.start), Math.min(below, x.end, y.end));
            expect(got).toBe(naiveMismatch(all[i] as Arrays, all[j] as Arrays, below));
          }
        }
      }),
      { seed: 17, numRuns: 300 },
    );
  });

  it("keeps a follower that holds the leader's records in no space of its own, and epochs and keys as runs", () => {
    const n = 100_000;
    const arrays: Arrays = { start: 0, values: Array.from({ length: n }, (_, i) => i), epochs: Array.from({ length: n }, (_, i) => Math.floor(i / 10_000)), keys: new Array<number>(n).fill(-1) };
    const leader = ReplicaLog.of(src(arrays));
    const follower = ReplicaLog.of(src({ ...arrays, values: arrays.values.slice(0, n - 5), epochs: arrays.epochs.slice(0, n - 5), keys: arrays.keys.slice(0, n - 5) }), leader);
    // What each log owns: an Int32Array of values (4 bytes a record) for the leader, nothing for the follower.
    const owned = (l: ReplicaLog): number => {
      const cols = l as unknown as Record<"values" | "epochs" | "keys", { a?: { byteLength: number }; starts?: { byteLength: number }; xs?: { byteLength: number } }>;
      let bytes = 0;
      for (const c of [cols.values, cols.epochs, cols.keys]) bytes += (c.a?.byteLength ?? 0) + (c.starts?.byteLength ?? 0) + (c.xs?.byteLength ?? 0);
      return bytes;
    };
    expect(owned(leader)).toBe(4 * n + 10 * (4 + 8) + (4 + 8));
    expect(owned(follower)).toBe(0);
    expect(follower.valueAt(n - 6)).toBe(n - 6);
    expect(leader.firstMismatch(follower, 0, n - 5)).toBe(-1);
  });
});
