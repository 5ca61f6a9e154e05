import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { buildScenario } from "../../scenario/defaults.ts";
import { runKafkajs } from "./host.ts";

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const { Kafka, logLevel } = require("kafkajs") as any;

describe("the real kafkajs in virtual time", () => {
  it("produces and consumes back through the simulated cluster", async () => {
    const s = buildScenario({ name: "kjs", seed: 7, durationMs: 60_000, drainMs: 5_000, broker: { "offsets.topic.num.partitions": 3 }, topics: [{ name: "orders", partitions: 3 }] });
    const run = await runKafkajs(s, async (sim) => {
      const kafka = new Kafka({ ...sim.config("app"), logLevel: logLevel.NOTHING });
      const producer = kafka.producer();
      await producer.connect();
      for (let i = 0; i < 10; i++) await producer.send({ topic: "orders", acks: -1, messages: [{ key: `k${i}`, value: `v${i}` }] });
      await producer.disconnect();
      const consumer = kafka.consumer({ groupId: "g1" });
      await consumer.connect();
      await consumer.subscribe({ topics: ["orders"], fromBeginning: true });
      const got: string[] = [];
      await new Promise<void>((resolve) => {
        void consumer.run({ eachMessage: async ({ message }: { message: { value: Buffer } }) => { got.push(message.value.toString()); if (got.length === 10) resolve(); } });
      });
      await consumer.disconnect();
      return { got, at: sim.nowMs() };
    });
    if (run.error) throw run.error;
    console.log(run.value, run.connections, run.result.events, run.result.virtualMs);
    expect(run.value?.got.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`).sort());
  }, 60_000);
});
