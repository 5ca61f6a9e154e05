// Test-only: the kafkajs code the tests of this room run (host.test.ts, in this thread and in a worker thread for
// the determinism proof). Not imported by anything but tests.
/* eslint-disable no-restricted-globals, no-restricted-properties -- user code, which the host runs on the simulation's clock and seeded randomness */
import { createRequire } from "node:module";
import { buildScenario } from "../../scenario/defaults.ts";
import type { Scenario } from "../../scenario/types.ts";
import { runKafkajs, type KafkajsSim } from "./host.ts";

const require = createRequire(import.meta.url);

interface KjsMessage {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
  timestamp: string;
  headers: Record<string, Buffer | undefined>;
}
interface KjsConsumer {
  connect(): Promise<void>;
  subscribe(o: object): Promise<void>;
  run(o: { eachMessage: (p: { topic: string; partition: number; message: KjsMessage }) => Promise<void> }): Promise<void>;
  disconnect(): Promise<void>;
}
interface KjsProducer {
  connect(): Promise<void>;
  send(o: object): Promise<{ partition: number; baseOffset: string }[]>;
  disconnect(): Promise<void>;
}
interface KafkaJs {
  Kafka: new (config: object) => { producer(o?: object): KjsProducer; consumer(o: object): KjsConsumer };
  logLevel: { NOTHING: number };
}
export const { Kafka, logLevel } = require("kafkajs") as KafkaJs;

/** A small cluster that starts fast: one __consumer_offsets partition, no initial rebalance delay. */
export function scenario(seed: number): Scenario {
  return buildScenario({
    name: "kafkajs-real",
    seed,
    protocol: "3.7", // the real kafkajs at t=0 (its own retries) timed for the ZooKeeper-era start (leaders within ~0.1 s)
    durationMs: 60_000,
    drainMs: 25_000,
    broker: { "offsets.topic.num.partitions": 1, "group.initial.rebalance.delay.ms": 0 },
    topics: [{ name: "orders", partitions: 3 }],
  });
}

/** Produce 30 keyed records with headers; consume them in a group with a handler that awaits timers and reads the
 *  clock and Math.random; return what it saw. */
export async function roundTrip(sim: KafkajsSim): Promise<{ got: string[]; draws: number[]; clock: number[] }> {
  const kafka = new Kafka({ ...sim.config("shop"), logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < 30; i += 3) {
    await producer.send({ topic: "orders", acks: -1, messages: [0, 1, 2].map((j) => ({ key: `customer-${(i + j) % 4}`, value: `order-${i + j}`, headers: { trace: `t${i + j}` } })) });
  }
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: "billing", sessionTimeout: 10_000, heartbeatInterval: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topics: ["orders"], fromBeginning: true });
  const got: string[] = [];
  const draws: number[] = [];
  const clock: number[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ partition, message }) => {
          // User code with awaits and timers, on the simulation's clock and seeded randomness.
          await new Promise((r) => setTimeout(r, 5));
          draws.push(Math.random());
          clock.push(Date.now());
          got.push(`${partition}/${message.offset} ${message.key?.toString()}=${message.value?.toString()} ${message.headers.trace?.toString()}`);
          if (got.length === 30) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return { got, draws, clock };
}

/** The round trip on a seed, as the worker thread reports it. */
export async function runRoundTrip(seed: number): Promise<{ traceHash: string; history: string }> {
  const r = await runKafkajs(scenario(seed), roundTrip);
  if (r.error !== undefined) throw r.error;
  return { traceHash: r.result.traceHash, history: JSON.stringify(r.result.history) };
}
