// An exactly-once pipeline's output producer (sim/client/consumer/pipeline.ts on sim/client/txn/): delivery.timeout.ms
// fails an output batch stuck on a cut link — an abortable error, so the member aborts its transaction and reads the
// batch again.
import { describe, it, expect } from "vitest";
import { buildScenario } from "../sim/scenario/defaults.ts";
import type { ScenarioInput } from "../sim/scenario/defaults.ts";
import { runScenario } from "../sim/world.ts";
import type { RunResult } from "../sim/result.ts";
import type { ProtocolVersion } from "../sim/kafka/config.ts";
import { judge } from "./judge.ts";

/** eos/0 reads `input` (led by broker 1) and writes `output` (led by broker 2) in transactions; its coordinators
 *  are broker 1 (group) and broker 3 (transactions). From 3 s to 130 s it cannot reach broker 2. */
function run(protocol: ProtocolVersion): RunResult {
  const input: ScenarioInput = {
    seed: 1,
    protocol,
    durationMs: 150_000,
    drainMs: 20_000,
    broker: {
      "group.initial.rebalance.delay.ms": 0,
      "offsets.topic.num.partitions": 1,
      "transaction.state.log.num.partitions": 1,
      // The pipeline's transactions time out after Java's default 60 s, before its batch's delivery.timeout.ms
      // (120 s): the coordinator's sweep would abort first and fence it. Here the sweep runs too rarely to.
      "transaction.abort.timed.out.transaction.cleanup.interval.ms": 300_000,
    },
    topics: [
      { name: "input", partitions: 1, "replication.factor": 3, replicaAssignment: [[1, 2, 3]] },
      { name: "output", partitions: 1, "replication.factor": 3, replicaAssignment: [[2, 1, 3]] },
    ],
    producers: [{ id: "p1", topic: "input", ratePerSec: 20, config: { acks: "all" } }],
    consumers: [
      {
        group: "eos",
        topics: ["input"],
        config: { "isolation.level": "read_committed", "auto.offset.reset": "earliest", "enable.auto.commit": false },
        processing: { commit: "after-processing", commitEvery: "batch", timeMs: 2, output: { topic: "output", transactional: true } },
      },
    ],
    faults: [
      { atMs: 3000, action: { kind: "partition", groups: [[{ client: "eos/0" }], [{ broker: 2 }]] } },
      { atMs: 130_000, action: { kind: "heal" } },
    ],
  };
  return runScenario(buildScenario(input), { record: true });
}

describe("a pipeline's output producer", () => {
  const classic = run("3.7");

  it("fails an output batch delivery.timeout.ms after its creation: the transaction is aborted and the batch read again", () => {
    const expired = classic.trace.filter((e) => e.type === "txn-batch-expired");
    // The first output record sent after the cut (3 s), failed 120 s after its batch was created.
    expect(expired.map((e) => (e.type === "txn-batch-expired" ? [e.producer, e.tp, e.values] : []))).toEqual([["eos/0", "output-0", [60]]]);
    expect(expired[0]?.timeUs).toBeGreaterThan(123_000_000);
    expect(expired[0]?.timeUs).toBeLessThan(123_500_000);
    const aborts = classic.trace.filter((e) => e.type === "txn-ended" && !e.commit);
    expect(aborts.map((e) => (e.type === "txn-ended" ? e.values : []))).toEqual([[60]]);
    expect((aborts[0]?.timeUs ?? 0) - (expired[0]?.timeUs ?? 0)).toBeLessThan(10_000);
    // Read again after the abort, the input is committed once with its output: processed twice, as an abort permits.
    const j = judge(classic);
    expect(j.anomalies.map((a) => [a.type, a.allowedBecause?.rule])).toEqual([["processed-twice", "at-least-once-redelivery"]]);
  });
});
