// The purgatory's expiry queues (DelayedOperationPurgatory's role): one FIFO queue and one timer per delay.
import { describe, it, expect } from "vitest";
import { DeadlineWheel, PendingProduce } from "./purgatory.ts";
import type { DeadlineQueue } from "./purgatory.ts";

/** A context whose timers are recorded, not run: the test fires them by hand. */
function fakeCtx() {
  const timers: { atUs: number; tag: unknown }[] = [];
  const ctx = {
    nowUs: 0,
    setTimer(delayUs: number, tag: unknown): number {
      timers.push({ atUs: ctx.nowUs + delayUs, tag });
      return timers.length;
    },
  };
  return { ctx, timers };
}
const op = (corr: number): PendingProduce => new PendingProduce(null, corr, [], null);

describe("DeadlineWheel", () => {
  it("one timer per queue; firing expires only what is due and not done, oldest first, and re-arms for the next", () => {
    const { ctx, timers } = fakeCtx();
    const w = new DeadlineWheel();
    const ops = [op(1), op(2), op(3), op(4)];
    for (let i = 0; i < 4; i++) {
      ctx.nowUs = i * 1000;
      w.add(ctx, ops[i] as PendingProduce, 30_000);
    }
    expect(timers).toHaveLength(1); // one timer for the queue, set for the first deadline
    expect(timers[0]?.atUs).toBe(30_000);
    (ops[0] as PendingProduce).done = true; // answered in time
    (ops[2] as PendingProduce).done = true;
    ctx.nowUs = 31_000;
    const q = timers[0]?.tag as DeadlineQueue;
    expect(w.take(ctx, q)).toEqual([ops[1]]); // due at 31 ms; op 3 is done, op 4 due at 33 ms
    expect(timers).toHaveLength(2);
    expect(timers[1]?.atUs).toBe(33_000);
    ctx.nowUs = 33_000;
    expect(w.take(ctx, q)).toEqual([ops[3]]);
    expect(timers).toHaveLength(2); // nothing left: not re-armed
  });

  it("a queue whose operations all completed fires once, takes nothing and stays quiet until the next add", () => {
    const { ctx, timers } = fakeCtx();
    const w = new DeadlineWheel();
    const a = op(1);
    const b = op(2);
    w.add(ctx, a, 500);
    w.add(ctx, b, 500);
    a.done = true;
    b.done = true;
    ctx.nowUs = 500;
    expect(w.take(ctx, timers[0]?.tag as DeadlineQueue)).toEqual([]);
    expect(timers).toHaveLength(1);
    ctx.nowUs = 600;
    const c = op(3);
    w.add(ctx, c, 500);
    expect(timers).toHaveLength(2);
    expect(timers[1]?.atUs).toBe(1100);
    ctx.nowUs = 1100;
    expect(w.take(ctx, timers[1]?.tag as DeadlineQueue)).toEqual([c]);
  });

  it("different delays keep separate queues (deadlines only grow within one)", () => {
    const { ctx, timers } = fakeCtx();
    const w = new DeadlineWheel();
    const long = op(1);
    const short = op(2);
    w.add(ctx, long, 30_000);
    w.add(ctx, short, 500);
    expect(timers.map((t) => t.atUs)).toEqual([30_000, 500]);
    ctx.nowUs = 500;
    expect(w.take(ctx, timers[1]?.tag as DeadlineQueue)).toEqual([short]);
    ctx.nowUs = 30_000;
    expect(w.take(ctx, timers[0]?.tag as DeadlineQueue)).toEqual([long]);
  });
});
