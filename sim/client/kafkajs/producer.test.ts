// The kafkajs producer over the modelled producer: RecordMetadata, kafkajs's validation and errors, its partitioner.
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import type { ScenarioInput } from "../../scenario/defaults.ts";
import type { HistoryOp } from "../../history.ts";
import { createSimulation } from "./simulation.ts";
import { DEFAULT_EPOCH_MS } from "./host.ts";
import type { Simulation } from "./simulation.ts";
import type { KafkaJSProducer, KafkaJSProducerConfig } from "./producer.ts";

const require = createRequire(import.meta.url);
const { Partitioners } = require("kafkajs") as { Partitioners: { DefaultPartitioner: () => (args: { topic: string; partitionMetadata: { partitionId: number; leader: number }[]; message: { key?: string | null } }) => number } };

const BROKER = { "offsets.topic.num.partitions": 1, "group.initial.rebalance.delay.ms": 0 } as const;

/** Run `main` with one producer on `orders` (3 partitions). */
async function withProducer(main: (p: KafkaJSProducer, sim: Simulation) => Promise<void>, opts: { config?: KafkaJSProducerConfig; scenario?: ScenarioInput } = {}) {
  const sim = createSimulation({ seed: 1, durationMs: 10_000, drainMs: 10_000, broker: BROKER, topics: [{ name: "orders", partitions: 3 }], ...opts.scenario });
  const p = sim.kafka().producer(opts.config);
  let failure: unknown;
  const r = await sim.run(async () => {
    try {
      await main(p, sim);
    } catch (e) {
      failure = e;
    }
  });
  if (failure !== undefined) throw failure;
  return r;
}

describe("kafkajs producer", () => {
  it("send resolves to one RecordMetadata per partition, with the batch's base offset, once every record is acknowledged", async () => {
    let md: unknown;
    let sentAtMs = -1;
    let doneAtMs = -1;
    const r = await withProducer(async (p, sim) => {
      await p.connect();
      await p.send({ topic: "orders", messages: [{ value: "warm-up", partition: 0 }] });
      sentAtMs = sim.now();
      md = await p.send({ topic: "orders", messages: [{ value: "a", partition: 0 }, { value: "b", partition: 0 }, { value: "c", partition: 2 }] });
      doneAtMs = sim.now();
    });
    expect(md).toEqual([
      { topicName: "orders", partition: 0, errorCode: 0, baseOffset: "1", logAppendTime: "-1", logStartOffset: "0" },
      { topicName: "orders", partition: 2, errorCode: 0, baseOffset: "0", logAppendTime: "-1", logStartOffset: "0" },
    ]);
    // Resolved at the virtual time of the last acknowledgement.
    const acks = r.history.filter((op): op is Extract<HistoryOp, { f: "send" }> => op.f === "send" && op.type === "ok");
    expect(doneAtMs).toBeGreaterThan(sentAtMs);
    expect(Math.round(doneAtMs * 1000)).toBe(Math.max(...acks.slice(1).map((op) => op.timeUs)));
  });

  it("keyed messages go where kafkajs's DefaultPartitioner sends them (murmur2 of the key bytes)", async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `customer-${i * 7}`);
    const r = await withProducer(async (p) => {
      await p.connect();
      await p.send({ topic: "orders", messages: keys.map((key) => ({ key, value: key })) });
    });
    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = [0, 1, 2].map((partitionId) => ({ partitionId, leader: 1 }));
    // Record numbers follow the messages' order.
    const got = r.history
      .filter((op): op is Extract<HistoryOp, { f: "send" }> => op.f === "send" && op.type === "ok")
      .sort((x, y) => x.value.value - y.value.value)
      .map((op) => op.value.partition);
    expect(got).toEqual(keys.map((key) => partitioner({ topic: "orders", partitionMetadata, message: { key } })));
    expect(new Set(got).size).toBe(3);
  });

  it("refuses what kafkajs refuses, and what kafkasim cannot model, with kafkajs's error classes", async () => {
    const errors: [string, string][] = [];
    const note = async (f: () => Promise<unknown>): Promise<void> => {
      try {
        await f();
        errors.push(["resolved", ""]);
      } catch (e) {
        errors.push([(e as Error).name, (e as Error).message]);
      }
    };
    await withProducer(
      async (p) => {
        await note(() => p.send({ topic: "orders", messages: [{ value: "x" }] }));
        await p.connect();
        await note(() => p.send({ topic: "orders", acks: 1, messages: [{ value: "x" }] }));
        await note(() => p.send({ topic: "orders", messages: [{ key: "k" } as never] }));
        await note(() => p.send({ topic: "payments", messages: [{ value: "x" }] }));
        await note(() => p.send({ topic: "orders", messages: [{ value: "x", partition: 3 }] }));
      },
      { config: { idempotent: true } },
    );
    expect(errors).toEqual([
      ["KafkaJSError", "The producer is disconnected"],
      ["KafkaJSNonRetriableError", "Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees"],
      ["KafkaJSNonRetriableError", 'Invalid message without value for topic "orders": {"key":"k"}'],
      ["KafkaJSNonRetriableError", 'kafkasim: topic "payments" does not exist (topics are the scenario\'s: orders)'],
      ["KafkaJSNonRetriableError", 'kafkasim: topic "orders" has partitions 0..2; a message asks for partition 3'],
    ]);
  });

  it("a send the brokers keep refusing rejects with KafkaJSNumberOfRetriesExceeded, its cause kafkajs's protocol error", async () => {
    let err: (Error & { cause?: unknown; retriable?: boolean }) | undefined;
    await withProducer(
      async (p) => {
        await p.connect();
        // min.insync.replicas 3 with a broker down: NOT_ENOUGH_REPLICAS, retried 5 times, 300 ms apart.
        err = await p.send({ topic: "orders", messages: [{ value: "x", partition: 0 }] }).then(
          () => undefined,
          (e: Error) => e,
        );
      },
      { scenario: { broker: { ...BROKER, "min.insync.replicas": 3 }, faults: [{ atMs: 0, action: { kind: "kill", target: { broker: 3 } } }] } },
    );
    expect(err?.name).toBe("KafkaJSNumberOfRetriesExceeded");
    expect(err?.retriable).toBe(false);
    expect((err?.cause as { name: string; type: string; retriable: boolean }) ?? {}).toMatchObject({ name: "KafkaJSProtocolError", type: "NOT_ENOUGH_REPLICAS", retriable: true });
  });

  it("sends in flight when the producer's process dies reject with KafkaJSConnectionError; so does a send while it is down", async () => {
    const outcomes: string[] = [];
    await withProducer(
      async (p, sim) => {
        await p.connect();
        await p.send({ topic: "orders", messages: [{ value: "warm-up" }] });
        // Every broker cut off from the producer from 2 s, the producer killed at 2.5 s.
        await sim.sleep(2000 - sim.now());
        const inFlight = p.send({ topic: "orders", messages: [{ value: "lost?" }] }).then(
          () => "resolved",
          (e: Error) => e.name,
        );
        outcomes.push(await inFlight);
        outcomes.push(await p.send({ topic: "orders", messages: [{ value: "while down" }] }).then(() => "resolved", (e: Error) => e.name));
      },
      {
        config: { id: "p1" },
        scenario: {
          faults: [
            { atMs: 1999, action: { kind: "isolate", target: { client: "p1" } } },
            { atMs: 2500, action: { kind: "kill", target: { client: "p1" } } },
          ],
        },
      },
    );
    expect(outcomes).toEqual(["KafkaJSConnectionError", "KafkaJSConnectionError"]);
  });

  it("keys, values and headers reach eachMessage as kafkajs gives them (Buffers, offset and timestamp strings); sendBatch spans topics", async () => {
    const sim = createSimulation({ seed: 3, durationMs: 5000, drainMs: 5000, broker: BROKER, topics: [{ name: "orders", partitions: 1 }, { name: "audit", partitions: 1 }] });
    const kafka = sim.kafka();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: "g1" });
    const seen: unknown[] = [];
    let md: unknown;
    let sentAtMs = -1;
    await sim.run(async () => {
      await consumer.subscribe({ topics: ["orders", "audit"], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ topic, message }) => {
          seen.push({ topic, key: message.key, value: message.value, offset: message.offset, timestamp: message.timestamp, headers: message.headers });
        },
      });
      await producer.connect();
      await sim.sleep(100);
      sentAtMs = sim.now();
      md = await producer.sendBatch({
        topicMessages: [
          { topic: "orders", messages: [{ key: "k1", value: Buffer.from([1, 2, 3]), headers: { trace: "t-1", tags: ["a", Buffer.from("b")] } }] },
          { topic: "audit", messages: [{ key: null, value: "created", timestamp: "1700000000000" }] },
        ],
      });
    });
    // One entry per topic-partition (in the order they were acknowledged; kafkajs groups them per leader broker).
    expect(md).toHaveLength(2);
    expect(md).toEqual(
      expect.arrayContaining([
        { topicName: "orders", partition: 0, errorCode: 0, baseOffset: "0", logAppendTime: "-1", logStartOffset: "0" },
        { topicName: "audit", partition: 0, errorCode: 0, baseOffset: "0", logAppendTime: "-1", logStartOffset: "0" },
      ]),
    );
    const byTopic = Object.fromEntries((seen as { topic: string }[]).map((x) => [x.topic, x]));
    // Without a timestamp, Date.now() in user code at the send: the simulation's epoch (2024-01-01) + virtual time.
    expect(sentAtMs).toBeGreaterThan(100);
    expect(byTopic.orders).toEqual({ topic: "orders", key: Buffer.from("k1"), value: Buffer.from([1, 2, 3]), offset: "0", timestamp: String(DEFAULT_EPOCH_MS + Math.floor(sentAtMs)), headers: { trace: Buffer.from("t-1"), tags: [Buffer.from("a"), Buffer.from("b")] } });
    expect(byTopic.audit).toEqual({ topic: "audit", key: null, value: Buffer.from("created"), offset: "0", timestamp: "1700000000000", headers: {} });
  });

  it("acks 0: send resolves to [] (kafkajs expects no response), without waiting for the brokers", async () => {
    let md: unknown;
    let tookMs = -1;
    await withProducer(
      async (p, sim) => {
        await p.connect();
        // Once the producer knows the topic's leaders (its first send waits for metadata, as kafkajs's does).
        await p.send({ topic: "orders", acks: 0, messages: [{ value: "warm-up", partition: 1 }] });
        await sim.sleep(1000);
        const t = sim.now();
        md = await p.send({ topic: "orders", acks: 0, messages: [{ value: "x", partition: 1 }] });
        tookMs = sim.now() - t;
      },
      { config: { acks: 0 } },
    );
    expect(md).toEqual([]);
    expect(tookMs).toBeLessThan(5);
  });
});
