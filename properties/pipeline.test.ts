// Exactly-once consume-transform-produce (processing.output, sim/client/consumer/pipeline.ts) against the same
// pipeline without transactions, on the same seeded faults; and the transaction checkers (duplicate-output,
// lost-transaction, hanging-transaction), each catching its anomaly and passing a valid history.
import { TXN_READ_COMMITTED_INPUT } from "./fixtures.ts";
import { describe, it, expect } from "vitest";
import { buildScenario } from "../sim/scenario/defaults.ts";
import type { ScenarioInput } from "../sim/scenario/defaults.ts";
import { runScenario } from "../sim/world.ts";
import type { RunResult } from "../sim/result.ts";
import type { FinalPartition } from "../sim/history.ts";
import { ATTR_CONTROL } from "../sim/kafka/records.ts";
import type { TimeUs } from "../sim/core/time.ts";
import { judge } from "./judge.ts";
import { checkDuplicateOutputs } from "./checkers/duplicate-output.ts";
import { checkLostTransactions } from "./checkers/lost-transaction.ts";
import { checkHangingTransactions } from "./checkers/hanging-transaction.ts";
import { committedPositions, txnView } from "./transactions.ts";
import { defaultMatrix, runScenarioFor } from "../reports/compare.ts";

/** A pipeline group (input → output) whose member crashes mid-batch while the leader of output-0 is down. */
function pipeline(transactional: boolean): ScenarioInput {
  return {
    seed: 1,
    protocol: "3.7",
    durationMs: 8000,
    drainMs: 20_000,
    broker: { "group.initial.rebalance.delay.ms": 0, "offsets.topic.num.partitions": 1, "transaction.state.log.num.partitions": 1, "group.min.session.timeout.ms": 1000, "zookeeper.session.timeout.ms": 3000 },
    topics: [
      { name: "input", partitions: 2, config: { "min.insync.replicas": 2 } },
      { name: "output", partitions: 2, config: { "min.insync.replicas": 2 } },
    ],
    producers: [{ id: "p1", topic: "input", ratePerSec: 200, config: { acks: "all", "enable.idempotence": true, "request.timeout.ms": 1000 } }],
    consumers: [
      {
        group: "eos",
        topics: ["input"],
        config: { "isolation.level": "read_committed", "auto.offset.reset": "earliest", "enable.auto.commit": false, "request.timeout.ms": 1000, "session.timeout.ms": 2000, "heartbeat.interval.ms": 500, "fetch.max.wait.ms": 100 },
        processing: { commit: "after-processing", commitEvery: "batch", timeMs: 2, output: { topic: "output", transactional } },
      },
    ],
    faults: [
      { atMs: 2000, action: { kind: "kill", target: { leaderOf: "output-0" } } },
      { atMs: 2600, action: { kind: "restart", target: { broker: 1 } } },
      { atMs: 6007, action: { kind: "kill", target: { client: "eos/0" } } },
      { atMs: 6707, action: { kind: "restart", target: { client: "eos/0" } } },
    ],
  };
}

function inputValues(r: RunResult): Set<number> {
  const out = new Set<number>();
  for (const op of r.history) if (op.f === "send" && op.type === "ok" && op.value.topic === "input") out.add(op.value.value);
  return out;
}

describe("exactly-once pipeline vs at-least-once, same seeded faults (a broker killed, the member crashed mid-batch)", () => {
  const eos = runScenario(buildScenario(pipeline(true)), { record: true });
  const alo = runScenario(buildScenario(pipeline(false)), { record: true });

  it("both crash the member mid-batch (a backlog built up while the killed leader's partitions moved): it processes records again after its restart", () => {
    const again = (r: RunResult): number => r.history.filter((op) => op.f === "process" && op.type === "ok").length - inputValues(r).size;
    expect([again(eos), again(alo)]).toEqual([388, 293]);
  });

  it("exactly-once: every input is committed on the output exactly once; the crashed transaction was aborted by the restarted member's InitProducerId", () => {
    expect(inputValues(eos).size).toBe(1601);
    const out = committedPositions(eos, "output");
    expect([...inputValues(eos)].filter((v) => out.get(v)?.length !== 1)).toEqual([]);
    expect(checkDuplicateOutputs(eos)).toEqual([]);
    // The transaction open at the crash: PrepareAbort at the bumped epoch (TransactionCoordinator.handleInitProducerId).
    const after = eos.trace.flatMap((e) => (e.type === "txn-transition" && e.transactionalId === "eos/0" && e.timeUs > 6_007_000 ? [e.state] : []));
    expect(after.slice(0, 3)).toEqual(["PrepareAbort", "CompleteAbort", "Empty"]);
    expect(txnView(eos).abortedValues.size).toBe(0); // the output topic's aborted copies are not the input's sends
    expect(judge(eos).verdict).not.toBe("bug");
    expect(judge(eos).anomalies.filter((a) => a.type === "duplicate-output" || a.type === "lost-transaction" || a.type === "hanging-transaction")).toEqual([]);
  });

  it("at-least-once: the output written before the crash is written again (duplicate-output, permitted by at-least-once-pipeline)", () => {
    const found = checkDuplicateOutputs(alo);
    expect(found.length).toBe(293); // each input processed again after the restart: its output was already written
    const j = judge(alo);
    const dup = j.anomalies.filter((a) => a.type === "duplicate-output");
    expect(dup.map((a) => a.value)).toEqual(found.map((f) => f.value));
    expect(dup.filter((a) => a.allowedBecause?.rule !== "at-least-once-pipeline")).toEqual([]);
    expect(j.verdict).toBe("allowed");
  });

  it("the oracle does not let an exactly-once pipeline duplicate: the same duplicate, claimed by a transactional group, is a bug", () => {
    const claimed: RunResult = { ...alo, scenario: { ...alo.scenario, consumers: alo.scenario.consumers.map((c) => ({ ...c, processing: { ...c.processing, output: { topic: "output", transactional: true } } })) } };
    const dup = judge(claimed).anomalies.filter((a) => a.type === "duplicate-output");
    expect(dup.length).toBe(293);
    expect(dup.filter((a) => a.allowed)).toEqual([]);
  });
});

describe("lost-transaction", () => {
  const input = TXN_READ_COMMITTED_INPUT;
  const r = runScenario(buildScenario(input));
  const ended = r.evidence.filter((e) => e.type === "txn-ended");

  it("finds nothing when every transaction the producer saw committed is readable", () => {
    expect(ended.filter((e) => e.commit).length).toBe(44);
    expect(checkLostTransactions(r)).toEqual([]);
  });

  it("catches a transaction the producer saw committed whose records are behind an ABORT marker; no rule permits it here", () => {
    // The same run, as if an aborted transaction's EndTxn had been answered as a commit.
    const aborted = ended.find((e) => !e.commit);
    expect(aborted?.values.length).toBe(10);
    const claimed: RunResult = { ...r, evidence: r.evidence.map((e) => (e === aborted ? { ...e, commit: true } : e)) };
    const found = checkLostTransactions(claimed);
    expect(found.map((f) => [f.type, f.value])).toEqual([["lost-transaction", aborted?.values[0]]]);
    expect(judge(claimed).anomalies.filter((a) => a.type === "lost-transaction").map((a) => a.allowed)).toEqual([false]);
  });

  it("is permitted by an unclean election (the marker or the records may be gone with the lineage it cut off)", () => {
    const aborted = ended.find((e) => !e.commit);
    const afterUs = (aborted?.timeUs ?? 0) + 1000;
    // The same claim, in a run where unclean election is on and a leader outside the ISR was elected with no
    // in-sync replica alive (the controller's event).
    const unclean = { type: "leader-elected" as const, tp: "orders-0", leader: 2, leaderEpoch: 9, isr: [2], unclean: true, isrBefore: [1], live: [2], timeUs: afterUs as TimeUs };
    const claimed: RunResult = {
      ...r,
      scenario: { ...r.scenario, broker: { ...r.scenario.broker, "unclean.leader.election.enable": true } },
      evidence: [...r.evidence.map((e) => (e === aborted ? { ...e, commit: true } : e)), unclean],
    };
    expect(judge(claimed).anomalies.filter((a) => a.type === "lost-transaction").map((a) => a.allowedBecause?.rule)).toEqual(["unclean-election"]);
  });
});

describe("hanging-transaction", () => {
  const input: ScenarioInput = {
    seed: 1,
    protocol: "3.7",
    durationMs: 3000,
    drainMs: 3000,
    broker: { "group.initial.rebalance.delay.ms": 0, "offsets.topic.num.partitions": 1, "transaction.state.log.num.partitions": 1, "group.min.session.timeout.ms": 1000 },
    topics: [{ name: "orders", partitions: 1 }],
    producers: [{ id: "p1", topic: "orders", ratePerSec: 200, transaction: { records: 10 }, config: { "transactional.id": "tx-1" } }],
    consumers: [],
  };
  const r = runScenario(buildScenario(input));

  /** The run with the last marker of orders-0 gone from every replica (as if lost): its transaction stays open. */
  function withoutLastMarker(result: RunResult): { result: RunResult; firstOpen: number } {
    let firstOpen = -1;
    const partitions: FinalPartition[] = result.final.partitions.map((p) => {
      if (p.topic !== "orders") return p;
      return {
        ...p,
        replicas: p.replicas.map((rep) => {
          const attrs = rep.attributes ?? [];
          const isMarker = (i: number): boolean => ((attrs[i] as number) & ATTR_CONTROL) !== 0;
          let n = attrs.length - 1;
          while (n >= 0 && !isMarker(n)) n--; // the last marker: the log is cut before it
          let prev = n - 1;
          while (prev >= 0 && !isMarker(prev)) prev--; // the marker before: the open transaction starts after it
          firstOpen = rep.logStartOffset + prev + 1;
          const cut = (xs: readonly number[] | undefined): number[] => [...(xs ?? [])].slice(0, n);
          return { broker: rep.broker, alive: rep.alive, logStartOffset: rep.logStartOffset, logEndOffset: rep.logStartOffset + n, highWatermark: rep.logStartOffset + n, values: cut(rep.values), epochs: cut(rep.epochs), keys: cut(rep.keys), producerIds: cut(rep.producerIds), attributes: cut(rep.attributes) };
        }),
      };
    });
    return { result: { ...result, final: { ...result.final, partitions } }, firstOpen };
  }

  it("finds nothing when every transaction has its marker", () => {
    expect(checkHangingTransactions(r)).toEqual([]);
  });

  it("catches a transaction left without its marker: the LSO stuck at its first record", () => {
    const { result, firstOpen } = withoutLastMarker(r);
    const found = checkHangingTransactions(result);
    expect(found.map((f) => [f.type, f.partition, f.offset])).toEqual([["hanging-transaction", "orders-0", firstOpen]]);
    // The run ended long before transaction.timeout.ms (60 s) after that transaction began: the coordinator's sweep
    // may simply not have aborted it yet.
    expect(judge(result).anomalies.filter((a) => a.type === "hanging-transaction").map((a) => a.allowedBecause?.rule)).toEqual(["transaction-open-at-end"]);
    // Past the timeout and the sweep, nothing permits it.
    const late: RunResult = { ...result, virtualMs: 200_000 };
    expect(judge(late).anomalies.filter((a) => a.type === "hanging-transaction").map((a) => a.allowed)).toEqual([false]);
  });
});

describe("pipelines: determinism", () => {
  it("an exactly-once pipeline run with a crash gives the same trace hash twice, and another seed another one", () => {
    const s = buildScenario(pipeline(true));
    const a = runScenario(s).traceHash;
    expect(runScenario(s).traceHash).toBe(a);
    expect(runScenario({ ...s, seed: 2 }).traceHash).not.toBe(a);
  });
});

describe("property: an exactly-once pipeline (acks=all, min.insync.replicas=2, unclean off, read_committed) never commits an output twice", () => {
  it("holds over 40 fault schedules: compare's seeded broker faults (kill, power loss, isolation, pause of the leader...) and a member crash at a drawn time", () => {
    const m = defaultMatrix();
    // (Pinned to 3.7, ZooKeeper mode, whatever the default profile.)
    const matrix = { ...m, base: { ...m.base, protocol: "3.7" as const, broker: { ...m.base.broker, "transaction.state.log.num.partitions": 1, "min.insync.replicas": 2, "unclean.leader.election.enable": false } } };
    const seen = new Map<string, number>();
    const verdicts = new Set<string>();
    for (let seed = 1; seed <= 40; seed++) {
      const s = runScenarioFor(matrix, { delivery: "exactly-once", acks: "all" }, seed);
      const atMs = 1500 + ((seed * 7919) % 7000);
      const crash = [
        { atMs, action: { kind: "kill" as const, target: { client: "g1/0" } } },
        { atMs: atMs + 400, action: { kind: "restart" as const, target: { client: "g1/0" } } },
      ];
      const j = judge(runScenario({ ...s, faults: [...s.faults, ...crash] }));
      verdicts.add(j.verdict);
      for (const a of j.anomalies) seen.set(a.type, (seen.get(a.type) ?? 0) + 1);
    }
    expect(verdicts.has("bug")).toBe(false);
    expect(["duplicate-output", "aborted-read", "lost-transaction"].map((t) => seen.get(t) ?? 0)).toEqual([0, 0, 0]);
    // Not vacuous: the crashes made the members process records again (the processing is at-least-once).
    expect(seen.get("processed-twice")).toBe(432);
  });
});
