// Transactions end to end (sim/broker/txn, sim/client/transactions.ts) and the aborted-read checker: a
// transactional producer aborting some of its transactions, a read_committed group and a read_uncommitted group.
import { describe, it, expect } from "vitest";
import { buildScenario } from "../sim/scenario/defaults.ts";
import type { ScenarioInput } from "../sim/scenario/defaults.ts";
import { runScenario } from "../sim/world.ts";
import type { RunResult } from "../sim/result.ts";
import { judge } from "./judge.ts";
import { txnView } from "./transactions.ts";
import { checkAbortedReads } from "./checkers/aborted-read.ts";

const input: ScenarioInput = {
  seed: 1,
  protocol: "3.7", // counts and times assume the ZooKeeper-era start (leaders within ~0.1 s)
  durationMs: 6000,
  drainMs: 6000,
  broker: { "group.initial.rebalance.delay.ms": 0, "offsets.topic.num.partitions": 1, "transaction.state.log.num.partitions": 1, "group.min.session.timeout.ms": 1000 },
  topics: [{ name: "orders", partitions: 2 }],
  producers: [{ id: "p1", topic: "orders", ratePerSec: 200, transaction: { records: 10, abortProb: 0.3 }, config: { "transactional.id": "tx-1" } }],
  consumers: [
    { group: "committed", topics: ["orders"], config: { "isolation.level": "read_committed", "auto.offset.reset": "earliest" } },
    { group: "uncommitted", topics: ["orders"], config: { "auto.offset.reset": "earliest" } },
  ],
};

function polledBy(r: RunResult, group: string): Set<number> {
  const out = new Set<number>();
  for (const op of r.history) if (op.f === "poll" && op.type === "ok" && op.value.group === group) for (const x of op.value.records) out.add(x.value);
  return out;
}

describe("transactions: read_committed against aborted transactions (KIP-98)", () => {
  const r = runScenario(buildScenario(input));
  const view = txnView(r);
  const sent = new Set<number>();
  for (const op of r.history) if (op.f === "send" && op.type === "ok") sent.add(op.value.value);

  it("the producer's transactions end with COMMIT or ABORT markers, 10 records each, none left open", () => {
    const markers = r.final.partitions.filter((p) => p.topic === "orders").flatMap((p) => (p.replicas[0]?.values ?? []).filter((v) => v < 0));
    // The workload's abort is drawn once a transaction's sends completed (right before EndTxn): every record is
    // written, none fails undrained.
    const unsent = r.history.flatMap((op) => (op.f === "send" && op.type === "fail" ? [op.value] : []));
    expect(sent.size).toBe(1180);
    expect(unsent).toEqual([]);
    // 118 transactions, a marker on each partition they wrote: 99 over both, 19 all on one (records already waiting
    // when a transaction begins stick to one partition until their batch leaves, KIP-480).
    expect(markers.length).toBe(217);
    // 31 of 118 transactions drawn aborted (abortProb 0.3): each of their records behind an ABORT marker.
    expect(view.abortedValues.size).toBe(310);
    expect(view.openValues.size).toBe(0);
  });

  it("read_committed polls every committed record and no aborted one; read_uncommitted polls the aborted ones too; nobody polls a marker", () => {
    const committed = polledBy(r, "committed");
    const uncommitted = polledBy(r, "uncommitted");
    const aborted = [...view.abortedValues];
    expect(aborted.filter((v) => committed.has(v))).toEqual([]);
    expect(aborted.filter((v) => uncommitted.has(v)).length).toBe(aborted.length);
    expect(committed.size).toBe(sent.size - aborted.length);
    expect(uncommitted.size).toBe(sent.size);
    expect([...committed, ...uncommitted].filter((v) => v < 0)).toEqual([]);
  });

  it("the run is valid: no checker mistakes markers, aborted records or __transaction_state for anomalies", () => {
    expect(judge(r).anomalies.map((a) => a.type)).toEqual([]);
  });

  it("aborted-read: finds nothing for the read_committed group, and each aborted record a group polled once that group claims read_committed", () => {
    expect(checkAbortedReads(r)).toEqual([]);
    // The same history, with the read_uncommitted group's consumers configured read_committed: what the checker
    // reports when a read_committed consumer returns aborted records.
    const claimed: RunResult = { ...r, history: r.history, scenario: { ...r.scenario, consumers: r.scenario.consumers.map((c) => ({ ...c, config: { ...c.config, "isolation.level": "read_committed" as const } })) } };
    const found = checkAbortedReads(claimed);
    expect(found.length).toBe(view.abortedValues.size);
    expect(found.every((f) => f.type === "aborted-read" && view.abortedValues.has(f.value as number))).toBe(true);
  });
});

describe("transactions: a producer that crashes mid-transaction is fenced by its next incarnation (KIP-98 InitProducerId)", () => {
  const crash: ScenarioInput = {
    ...input,
    faults: [
      { atMs: 2980, action: { kind: "kill", target: { client: "p1" } } },
      { atMs: 3500, action: { kind: "restart", target: { client: "p1" } } },
    ],
  };
  const r = runScenario(buildScenario(crash), { record: true });
  const view = txnView(r);

  it("the coordinator aborts the open transaction at a bumped epoch, then hands the new incarnation the epoch after it", () => {
    const states = r.trace.flatMap((e) => (e.type === "txn-transition" && e.timeUs > 2_980_000 && e.timeUs < 4_000_000 ? [`${e.state}@${e.producerEpoch}`] : []));
    expect(states.slice(0, 4)).toEqual(["PrepareAbort@1", "CompleteAbort@1", "Empty@2", "Ongoing@2"]);
    expect(r.trace.filter((e) => e.type === "producer-fenced")).toEqual([]); // the new incarnation is not fenced
  });

  it("the crashed transaction's acknowledged records are aborted: read_committed never polls them, nothing hangs", () => {
    const sent = new Set<number>();
    // The transaction open at the kill (2.98 s; opened at 2.956 s): its records, each sent as it came, were appended
    // and acknowledged before the kill.
    for (const op of r.history) if (op.f === "send" && op.type === "invoke" && op.timeUs > 2_952_000 && op.timeUs <= 2_980_000) sent.add(op.value.value);
    const crashed = [...sent];
    expect(crashed).toEqual([570, 571, 572, 573, 574]);
    expect(crashed.filter((v) => !view.abortedValues.has(v))).toEqual([]);
    expect(crashed.filter((v) => polledBy(r, "committed").has(v))).toEqual([]);
    expect(view.openValues.size).toBe(0);
    expect(judge(r).anomalies.map((a) => a.type)).toEqual([]);
  });
});

describe("transactions: the coordinator aborts a transaction open past transaction.timeout.ms and fences its producer", () => {
  const paused: ScenarioInput = {
    ...input,
    broker: { ...input.broker, "transaction.abort.timed.out.transaction.cleanup.interval.ms": 1000 },
    producers: [{ id: "p1", topic: "orders", ratePerSec: 200, transaction: { records: 10 }, config: { "transactional.id": "tx-1", "transaction.timeout.ms": 2000 } }],
    faults: [
      { atMs: 2980, action: { kind: "pause", target: { client: "p1" } } },
      { atMs: 5500, action: { kind: "resume", target: { client: "p1" } } },
    ],
  };
  const r = runScenario(buildScenario(paused), { record: true });

  it("the sweep aborts the open transaction at a bumped epoch; the resumed producer's writes are refused and it stops", () => {
    const timedOut = r.trace.filter((e) => e.type === "txn-timed-out");
    expect(timedOut.map((e) => [e.producerEpoch, Math.floor(e.timeUs / 1_000_000)])).toEqual([[0, 5]]);
    const fenced = r.trace.filter((e) => e.type === "producer-fenced");
    // Its produce request, answered after the resume, meets the ABORT marker's newer epoch on the leader (ProducerAppendInfo).
    expect(fenced.map((e) => [e.producerEpoch, e.error])).toEqual([[0, "INVALID_PRODUCER_EPOCH"]]);
    expect((fenced[0]?.timeUs ?? 0) >= 5_500_000).toBe(true);
    const view = txnView(r);
    // The transaction open at the pause (2.98 s; opened at 2.956 s): its five records so far, each sent as it came,
    // were written and acknowledged; the sweep's ABORT markers abort them.
    const open: number[] = [];
    for (const op of r.history) if (op.f === "send" && op.type === "ok" && op.timeUs > 2_952_000 && op.timeUs <= 2_980_000) open.push(op.value.value);
    expect(open).toEqual([570, 571, 572, 573, 574]);
    expect([...view.abortedValues].sort((a, b) => a - b)).toEqual(open);
    // Resumed, the producer sends the transaction's next record: refused, and it fails (ProducerFencedException).
    const failed = r.history.flatMap((op) => (op.f === "send" && op.type === "fail" ? [op.value.value] : []));
    const later = r.history.flatMap((op) => (op.f === "send" && op.type === "invoke" && op.process === "p1" && op.timeUs > 2_980_000 ? [op.value.value] : []));
    expect(later.length).toBe(1);
    expect(failed).toEqual(later);
    expect(view.openValues.size).toBe(0);
  });
});

describe("transactions: determinism", () => {
  it("a transactional run with a crash gives the same trace hash twice, and another seed another one", () => {
    const s = buildScenario({ ...input, faults: [{ atMs: 3003, action: { kind: "kill", target: { client: "p1" } } }, { atMs: 3500, action: { kind: "restart", target: { client: "p1" } } }] });
    const a = runScenario(s).traceHash;
    expect(runScenario(s).traceHash).toBe(a);
    expect(runScenario({ ...s, seed: 2 }).traceHash).not.toBe(a);
  });
});
