// An exactly-once pipeline's output producer (sim/client/consumer/pipeline.ts on sim/client/txn/): delivery.timeout.ms
// fails an output batch stuck on a cut link — an abortable error, so the member aborts its transaction and reads the
// batch again — and after that abort, with the batch's sequence unresolved, the classic protocol's producer bumps its epoch with
// InitProducerId (KIP-360, TransactionManager.epochBumpRequired); under transaction.version 2 the EndTxn answer has
// bumped it already and no InitProducerId follows.
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

type Transition = Extract<RunResult["trace"][number], { type: "txn-transition" }>;
const transitions = (r: RunResult): Transition[] => r.trace.filter((e): e is Transition => e.type === "txn-transition" && e.transactionalId === "eos/0");

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

  it("bumps its epoch after that abort with InitProducerId on the classic protocol (KIP-360), not under transaction.version 2", () => {
    const abortedAt = (r: RunResult): number => transitions(r).find((t) => t.state === "CompleteAbort")?.timeUs ?? -1;
    // 3.7: CompleteAbort at epoch 0, then InitProducerId with the producer id and epoch: Empty at epoch 1, and the
    // next transaction runs under it.
    const after = transitions(classic).filter((t) => t.timeUs > abortedAt(classic));
    expect(after.slice(0, 2).map((t) => `${t.state}@${t.producerEpoch}`)).toEqual(["Empty@1", "Ongoing@1"]);
    expect(new Set(transitions(classic).map((t) => t.producerId)).size).toBe(1);
    // 4.1 (transaction.version 2): the EndTxn(ABORT) bumped the epoch; the next transaction opens under it directly.
    const tv2 = run("4.1");
    const abort = transitions(tv2).find((t) => t.state === "CompleteAbort") as Transition;
    const next = transitions(tv2).filter((t) => t.timeUs > abort.timeUs);
    expect(next[0]?.state).toBe("Ongoing");
    expect(next[0]?.producerEpoch).toBe(abort.producerEpoch);
    expect(transitions(tv2).filter((t) => t.state === "Empty").length).toBe(1); // its initTransactions only
  });
});
