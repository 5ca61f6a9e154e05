// kafkajs transactions over the simulated transaction coordinator (eos.ts, transaction.ts).
import { describe, expect, it } from "vitest";
import { createSimulation } from "./simulation.ts";

const BROKER = { "offsets.topic.num.partitions": 1, "transaction.state.log.num.partitions": 1, "group.initial.rebalance.delay.ms": 0 } as const;

describe("kafkajs transactions", () => {
  it("smoke", async () => {
    const sim = createSimulation({ seed: 1, durationMs: 10_000, drainMs: 10_000, broker: BROKER, topics: [{ name: "out", partitions: 2 }] });
    const kafka = sim.kafka();
    const p = kafka.producer({ transactionalId: "tx-1", idempotent: true, maxInFlightRequests: 1 });
    const log: unknown[] = [];
    const r = await sim.run(async () => {
      await p.connect();
      const t = await p.transaction();
      log.push(await t.send({ topic: "out", messages: [{ key: "a", value: "1" }, { key: "b", value: "2" }] }));
      await t.commit();
      log.push(t.isActive());
      const t2 = await p.transaction();
      await t2.send({ topic: "out", messages: [{ key: "c", value: "3" }] });
      await t2.abort();
      log.push("done", sim.now());
    });
    console.log(JSON.stringify(log), r.evidence.filter((e) => e.type === "txn-ended"));
  });
});
