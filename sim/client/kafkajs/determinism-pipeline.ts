// The pipeline determinism.test.ts runs in-process, in a worker thread and in a new process: kafkajs-shaped user
// code that awaits, sets timers and reads the clock and Math.random (the simulation's while it runs). Not part of
// the library (nothing imports it but the test and the processes it starts).
/* eslint-disable no-restricted-globals, no-restricted-properties -- the user code under test reads the clock: the virtual one */
import type { RunResult } from "../../result.ts";
import { createSimulation } from "./simulation.ts";
import { DEFAULT_EPOCH_MS } from "./host.ts";

/** What the handlers saw. */
export interface Seen {
  readonly dateNow: number[];
  readonly random: number[];
  readonly timerLateUs: number[];
  readonly clockSkew: number[];
}

/** A run's fingerprint, plain data (posted from a worker, printed by a child process). */
export interface PipelineFingerprint {
  readonly traceHash: string;
  readonly events: number;
  readonly history: string;
  readonly seen: Seen;
}

export async function runPipeline(seed: number): Promise<{ r: RunResult; seen: Seen }> {
  const seen: Seen = { dateNow: [], random: [], timerLateUs: [], clockSkew: [] };
  const sim = createSimulation({ seed, durationMs: 8000, drainMs: 8000, topics: [{ name: "orders", partitions: 2 }], broker: { "offsets.topic.num.partitions": 1, "group.initial.rebalance.delay.ms": 0 } });
  const kafka = sim.kafka();
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: "g1" });
  const db = sim.database("g1", { latencyMs: 2 });
  const r = await sim.run(async () => {
    await consumer.subscribe({ topic: "orders", fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: 2,
      eachMessage: async ({ message }) => {
        // A timer of a random length up to 60 ms, awaited in several ways.
        const ms = Math.floor(Math.random() * 60);
        seen.random.push(ms);
        const before = sim.now();
        await new Promise((resolve) => setTimeout(resolve, ms));
        seen.timerLateUs.push(Math.round((sim.now() - before - Math.max(1, ms)) * 1000) + 0);
        await new Promise((resolve) => setImmediate(resolve));
        await db.write(message.key!.toString(), message.value);
        await sim.sleep(1);
        seen.dateNow.push(Date.now());
        // (+ 0: a rounding of a float error just below 0 is −0, which JSON — the child process's channel — prints as 0.)
        seen.clockSkew.push(Date.now() - DEFAULT_EPOCH_MS - Math.floor(sim.now()), new Date().getTime() - Date.now(), Math.round((performance.now() - sim.now()) * 1000) + 0);
      },
    });
    let ticks = 0;
    const interval = setInterval(() => void (ticks < 40 && producer.send({ topic: "orders", messages: [{ key: `k${ticks++}`, value: `${Math.random()}` }] })), 50);
    await producer.connect();
    await sim.sleep(5000);
    clearInterval(interval);
  });
  return { r, seen };
}

export async function pipelineFingerprint(seed: number): Promise<PipelineFingerprint> {
  const { r, seen } = await runPipeline(seed);
  return { traceHash: r.traceHash, events: r.events, history: JSON.stringify(r.history), seen };
}
