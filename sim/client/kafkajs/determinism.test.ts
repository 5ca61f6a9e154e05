// Same seed → same run, with async user code that awaits, sets timers and reads the clock and Math.random: they are
// the simulation's while it runs, and the real ones again after.
/* eslint-disable no-restricted-globals, no-restricted-properties -- the user code under test reads the clock: the virtual one */
import { describe, expect, it } from "vitest";
import { createSimulation } from "./simulation.ts";
import { DEFAULT_EPOCH_MS } from "./host.ts";
import { pipelineFingerprint, runPipeline, txnPipelineFingerprint } from "./determinism-pipeline.ts";
import type { PipelineFingerprint } from "./determinism-pipeline.ts";
import { inNewProcess, inWorkerThread } from "../../core/elsewhere.testkit.ts";

const PIPELINE_URL = new URL("./determinism-pipeline.ts", import.meta.url).href;

describe("async user code in virtual time", () => {
  it("same seed → same trace hash, history and values seen by the handlers; another seed → others", async () => {
    const a = await runPipeline(42);
    const b = await runPipeline(42);
    const c = await runPipeline(43);
    expect(a.seen.random.length).toBe(40);
    expect(b.r.traceHash).toBe(a.r.traceHash);
    expect(JSON.stringify(b.r.history)).toBe(JSON.stringify(a.r.history));
    expect(b.seen).toEqual(a.seen);
    expect(c.r.traceHash).not.toBe(a.r.traceHash);
    expect(c.seen.random).not.toEqual(a.seen.random);
  });

  it("the same seed gives the same run in a worker thread and in a new process", async () => {
    const local = await pipelineFingerprint(42);
    expect(local.seen.random.length).toBe(40);
    const [worker, child] = await Promise.all([inWorkerThread<PipelineFingerprint>(PIPELINE_URL, "pipelineFingerprint", 42), inNewProcess<PipelineFingerprint>(PIPELINE_URL, "pipelineFingerprint", 42)]);
    expect(worker).toEqual(local);
    expect(child).toEqual(local);
    // And in this process again, after the others ran: nothing carried over.
    expect(await pipelineFingerprint(42)).toEqual(local);
  }, 120_000);

  it("a transactional run (transactions, sendOffsets, aborts, a broker kill) is the same for the same seed, here, in a worker thread and in a new process", async () => {
    const local = await txnPipelineFingerprint(42);
    const txns = JSON.parse(local.txns) as { commit: boolean }[];
    // It did what it is for: each input acknowledged was committed once, every 5th attempt aborted.
    const aborted = txns.filter((t) => !t.commit).length;
    expect(txns.filter((t) => t.commit).length).toBe(local.sent);
    expect(aborted).toBe(Math.floor((local.sent + aborted) / 5));
    const [again, worker, child] = await Promise.all([txnPipelineFingerprint(42), inWorkerThread<typeof local>(PIPELINE_URL, "txnPipelineFingerprint", 42), inNewProcess<typeof local>(PIPELINE_URL, "txnPipelineFingerprint", 42)]);
    expect(again).toEqual(local);
    expect(worker).toEqual(local);
    expect(child).toEqual(local);
    expect((await txnPipelineFingerprint(43)).traceHash).not.toBe(local.traceHash);
  }, 120_000);

  it("setTimeout, setImmediate, Date, performance.now and Math.random in user code are the simulation's while it runs, the real ones after", async () => {
    const real = { setTimeout: globalThis.setTimeout, Date: globalThis.Date, random: Math.random, now: performance.now };
    const { seen } = await runPipeline(7);
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
