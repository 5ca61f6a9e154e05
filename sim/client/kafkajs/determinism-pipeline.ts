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

/** A transactional kafkajs run: consume-transform-produce with transaction + sendOffsets (every 5th attempt
 *  aborted), a read_committed reader of the output, and a broker kill mid-run; `sent`: the inputs acknowledged. */
export async function runTxnPipeline(seed: number): Promise<{ r: RunResult; sent: number }> {
  const sim = createSimulation({
    seed,
    durationMs: 8000,
    drainMs: 20_000,
    topics: [
      { name: "in", partitions: 2 },
      { name: "out", partitions: 2 },
    ],
    broker: { "min.insync.replicas": 2, "offsets.topic.num.partitions": 1, "transaction.state.log.num.partitions": 1, "group.initial.rebalance.delay.ms": 0 },
    faults: [{ atMs: 5000, action: { kind: "kill", target: { leaderOf: "in-0" } } }],
  });
  const kafka = sim.kafka();
  const input = kafka.producer({ idempotent: true });
  const producer = kafka.producer({ transactionalId: "t-0", idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: "g1" });
  const reader = kafka.consumer({ groupId: "reader" });
  let attempts = 0;
  let sent = 0;
  const r = await sim.run(async () => {
    await producer.connect();
    await consumer.subscribe({ topic: "in", fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const t = await producer.transaction();
        try {
          await t.send({ topic: "out", messages: [{ key: message.key, value: `${message.value!.toString()}@${Math.floor(Math.random() * 1000)}` }] });
          if (++attempts % 5 === 0) throw new Error("aborted on purpose");
          await t.sendOffsets({ consumerGroupId: "g1", topics: [{ topic, partitions: [{ partition, offset: String(Number(message.offset) + 1) }] }] });
          await t.commit();
        } catch (e) {
          if (t.isActive()) await t.abort();
          throw e;
        }
      },
    });
    await reader.subscribe({ topic: "out", fromBeginning: true });
    await reader.run({ eachMessage: async () => {} });
    await input.connect();
    for (let i = 0; i < 20; i++) {
      await input.send({ topic: "in", messages: [{ key: `k${i % 4}`, value: `v${i}` }] }).then(
        () => void sent++,
        () => {}, // refused during the kill: not an input
      );
      await sim.sleep(200);
    }
  });
  return { r, sent };
}

export async function txnPipelineFingerprint(seed: number): Promise<{ readonly traceHash: string; readonly history: string; readonly txns: string; readonly sent: number }> {
  const { r, sent } = await runTxnPipeline(seed);
  return { traceHash: r.traceHash, history: JSON.stringify(r.history), txns: JSON.stringify(r.evidence.filter((e) => e.type === "txn-ended")), sent };
}
