// The kafkajs API on the default profile (4.1, KRaft): the brokers refuse connections until the controller has
// unfenced them (~1.5 s after the start), so a consumer's first metadata request fails; the member asks again after
// retry.backoff.ms on its own (the client's network thread), joins, and consumes — consumer.run() does not hang.
import { describe, expect, it } from "vitest";
import { createSimulation } from "./simulation.ts";

describe("kafkajs clients against a KRaft cluster that is still starting", () => {
  it("the consumer joins once the brokers serve and gets every message", async () => {
    const sim = createSimulation({ protocol: "4.1", seed: 1, durationMs: 8_000, drainMs: 8_000, broker: { "offsets.topic.num.partitions": 1, "group.initial.rebalance.delay.ms": 0 }, topics: [{ name: "orders", partitions: 1 }] });
    const kafka = sim.kafka();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: "g1" });
    const seen: string[] = [];
    let joinedMs = -1;
    const r = await sim.run(async () => {
      await consumer.subscribe({ topic: "orders", fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) });
      joinedMs = sim.now();
      await producer.connect();
      for (let i = 0; i < 3; i++) await producer.send({ topic: "orders", messages: [{ key: "k", value: String(i) }] });
    });
    expect(r.sendsAcked).toBe(3);
    expect(seen).toEqual(["0", "1", "2"]);
    // Joined once the brokers were unfenced (first leaders at about 1.46 s with this seed), not at once.
    expect(joinedMs).toBeGreaterThan(1400);
    expect(joinedMs).toBeLessThan(2500);
  });
});
