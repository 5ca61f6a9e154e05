// Same seed → same run, with async user code that awaits, sets timers and reads the clock and Math.random: they are
// the simulation's while it runs, and the real ones again after.
/* eslint-disable no-restricted-globals, no-restricted-properties -- the user code under test reads the clock: the virtual one */
import { describe, expect, it } from "vitest";
import type { RunResult } from "../../result.ts";
import { createSimulation } from "./simulation.ts";
import { DEFAULT_EPOCH_MS } from "./host.ts";

interface Seen {
  readonly dateNow: number[];
  readonly random: number[];
  readonly timerLateUs: number[];
  readonly clockSkew: number[];
}

async function pipeline(seed: number): Promise<{ r: RunResult; seen: Seen; wallMs: number }> {
  const seen: Seen = { dateNow: [], random: [], timerLateUs: [], clockSkew: [] };
  const sim = createSimulation({ seed, durationMs: 8000, drainMs: 8000, topics: [{ name: "orders", partitions: 2 }], broker: { "offsets.topic.num.partitions": 1, "group.initial.rebalance.delay.ms": 0 } });
  const kafka = sim.kafka();
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: "g1" });
  const db = sim.database("g1", { latencyMs: 2 });
  const t0 = performance.now();
  const r = await sim.run(async () => {
    await consumer.subscribe({ topic: "orders", fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: 2,
      eachMessage: async ({ message }) => {
        // A timer of 60 virtual seconds... no: of a random length up to 60 ms, awaited in several ways.
        const ms = Math.floor(Math.random() * 60);
        seen.random.push(ms);
        const before = sim.now();
        await new Promise((resolve) => setTimeout(resolve, ms));
        seen.timerLateUs.push(Math.round((sim.now() - before - Math.max(1, ms)) * 1000));
        await new Promise((resolve) => setImmediate(resolve));
        await db.write(message.key!.toString(), message.value);
        await sim.sleep(1);
        seen.dateNow.push(Date.now());
        seen.clockSkew.push(Date.now() - DEFAULT_EPOCH_MS - Math.floor(sim.now()), new Date().getTime() - Date.now(), Math.round((performance.now() - sim.now()) * 1000));
      },
    });
    let ticks = 0;
    const interval = setInterval(() => void (ticks < 40 && producer.send({ topic: "orders", messages: [{ key: `k${ticks++}`, value: `${Math.random()}` }] })), 50);
    await producer.connect();
    await sim.sleep(5000);
    clearInterval(interval);
  });
  return { r, seen, wallMs: performance.now() - t0 };
}

describe("async user code in virtual time", () => {
  it("same seed → same trace hash, history and values seen by the handlers; another seed → others", async () => {
    const a = await pipeline(42);
    const b = await pipeline(42);
    const c = await pipeline(43);
    expect(a.seen.random.length).toBe(40);
    expect(b.r.traceHash).toBe(a.r.traceHash);
    expect(JSON.stringify(b.r.history)).toBe(JSON.stringify(a.r.history));
    expect(b.seen).toEqual(a.seen);
    expect(c.r.traceHash).not.toBe(a.r.traceHash);
    expect(c.seen.random).not.toEqual(a.seen.random);
  });

  it("setTimeout, setImmediate, Date, performance.now and Math.random in user code are the simulation's while it runs, the real ones after", async () => {
    const real = { setTimeout: globalThis.setTimeout, Date: globalThis.Date, random: Math.random, now: performance.now };
    const { seen } = await pipeline(7);
    // Timers fire exactly on time (setTimeout(fn, 0) waits 1 ms, as Node's), the clocks agree with the simulation's.
    expect(new Set(seen.timerLateUs)).toEqual(new Set([0]));
    expect(new Set(seen.clockSkew)).toEqual(new Set([0]));
    // Date.now() started at the simulation's epoch (2024-01-01), not at the wall clock.
    expect(Math.min(...seen.dateNow)).toBeGreaterThan(DEFAULT_EPOCH_MS);
    expect(Math.max(...seen.dateNow)).toBeLessThan(DEFAULT_EPOCH_MS + 16_000);
    expect({ setTimeout: globalThis.setTimeout, Date: globalThis.Date, random: Math.random, now: performance.now }).toEqual(real);
  });

  it("a handler that awaits long timers does not hang the run: a minute of setTimeout per record costs no wall time", async () => {
    const sim = createSimulation({ seed: 1, durationMs: 5000, drainMs: 300_000, topics: [{ name: "orders" }], broker: { "offsets.topic.num.partitions": 1, "group.initial.rebalance.delay.ms": 0 } });
    const kafka = sim.kafka();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: "g1", sessionTimeout: 120_000, heartbeatInterval: 3000 });
    let done = 0;
    const t0 = performance.now();
    await sim.run(async () => {
      await consumer.subscribe({ topic: "orders", fromBeginning: true });
      await consumer.run({
        eachMessage: async () => {
          await new Promise((resolve) => setTimeout(resolve, 60_000));
          done++;
        },
      });
      await producer.connect();
      await producer.send({ topic: "orders", messages: [{ value: "a" }, { value: "b" }, { value: "c" }] });
    });
    expect(done).toBe(3);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it("one async simulation at a time in a process", async () => {
    const mk = () => createSimulation({ seed: 1, durationMs: 100, drainMs: 0 });
    const one = mk();
    const first = one.run(() => one.sleep(10));
    await expect(mk().run()).rejects.toThrow(/another simulation with async user code is running/);
    await first;
    await expect(mk().run()).resolves.toMatchObject({ end: { reason: "completed" } });
  });
});
