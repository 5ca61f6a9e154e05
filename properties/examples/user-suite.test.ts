// The README's "Using kafkasim in your own tests" example, kept honest by running it: a team's own consumer
// logic and configuration checked under drawn fault schedules, through the package's public exports only.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { buildScenario, runScenario, type ConsumerHandler } from "kafkasim";
import { judge, scheduleArb, flatten } from "kafkasim/properties";

// Our consumer: writes each order to a database that sometimes times out; we retry twice.
const handler: ConsumerHandler = {
  eachMessage: ({ attempt, downstreamDown }) => (downstreamDown && attempt < 3 ? { processMs: 50, ok: false } : { processMs: 2 }),
};

describe("our order pipeline", () => {
  it("never commits an order it did not process, whatever the broker faults", () => {
    fc.assert(
      fc.property(scheduleArb({ brokers: 3, durationMs: 3000 }), fc.integer({ min: 1, max: 1_000_000 }), (episodes, seed) => {
        const scenario = buildScenario({
          seed,
          durationMs: 3000,
          drainMs: 20_000,
          faults: flatten(episodes, 3, 3000),
          broker: { "min.insync.replicas": 2, "zookeeper.session.timeout.ms": 2000, "replica.lag.time.max.ms": 2000, "offsets.topic.num.partitions": 1, "group.initial.rebalance.delay.ms": 0 },
          producers: [{ id: "orders-api", topic: "orders", ratePerSec: 100 }],
          consumers: [
            {
              group: "billing",
              topics: ["orders"],
              handler,
              config: { "enable.auto.commit": false, "auto.offset.reset": "earliest", "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000 },
              processing: { commit: "after-processing", retries: 2, onFailure: "dead-letter" },
            },
          ],
        });
        const j = judge(runScenario(scenario));
        expect(j.anomalies.filter((a) => a.type === "committed-unprocessed")).toEqual([]);
      }),
      { numRuns: 8, seed: 42 },
    );
  });
});
