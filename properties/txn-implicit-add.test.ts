// KIP-890 part 2's implicit add (kafka-facts T13): under transaction.version 2 the clients send no AddPartitionsToTxn
// and no AddOffsetsToTxn; the partition leader adds a produce's partition to the transaction (AddPartitionsToTxn
// verifyOnly=false) and the group coordinator adds the offsets partition for TxnOffsetCommit v5. And an abortable
// error (TRANSACTION_ABORTABLE) on a transaction the coordinator never heard of is aborted with a bumped epoch.
import { afterEach, describe, expect, it, vi } from "vitest";
import { buildScenario } from "../sim/scenario/defaults.ts";
import type { ScenarioInput } from "../sim/scenario/defaults.ts";
import { runScenario } from "../sim/world.ts";
import { judge } from "./index.ts";
import type { RunResult } from "../sim/result.ts";
import { TxnCoordinator } from "../sim/broker/txn/coordinator.ts";
import { MarkerChannel } from "../sim/broker/txn/markers.ts";

const BROKER = { "group.initial.rebalance.delay.ms": 0, "offsets.topic.num.partitions": 1, "transaction.state.log.num.partitions": 1, "group.min.session.timeout.ms": 1000 } as const;

/** p1, a transactional producer at 200 records/s on 4.1 (10 records a transaction), and a read_committed group. */
function producerInput(opts: { readonly partitions: number; readonly abortProb?: number }): ScenarioInput {
  return {
    seed: 1,
    protocol: "4.1",
    durationMs: 2000,
    drainMs: 6000,
    broker: BROKER,
    topics: [{ name: "orders", partitions: opts.partitions }],
    producers: [{ id: "p1", topic: "orders", ratePerSec: 200, transaction: { records: 10, ...(opts.abortProb !== undefined ? { abortProb: opts.abortProb } : {}) }, config: { "transactional.id": "tx-1" } }],
    consumers: [{ group: "committed", topics: ["orders"], config: { "isolation.level": "read_committed", "auto.offset.reset": "earliest" } }],
  };
}

/** Counts the client-side adds the coordinators handle while `run` runs, and the brokers' adds (verifyOnly=false). */
function counting(run: () => RunResult): { readonly r: RunResult; readonly addPartitions: number; readonly addOffsets: number; readonly brokerAdds: number } {
  const addPartitions = vi.spyOn(TxnCoordinator.prototype, "handleAddPartitions");
  const addOffsets = vi.spyOn(TxnCoordinator.prototype, "handleAddOffsets");
  const fromBrokers = vi.spyOn(TxnCoordinator.prototype, "handleVerifyPartitions");
  const r = run();
  const brokerAdds = fromBrokers.mock.calls.filter((c) => c[2].operation === "add-partition").length;
  return { r, addPartitions: addPartitions.mock.calls.length, addOffsets: addOffsets.mock.calls.length, brokerAdds };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("transaction.version 2: the transactional producer's partitions are added by their leaders", () => {
  const input = producerInput({ partitions: 2, abortProb: 0.3 });
  const run = (tv: number | null) => counting(() => runScenario(buildScenario({ ...input, broker: { ...input.broker, "transaction.version": tv } }), { record: true }));

  it("no AddPartitionsToTxn, yet every transaction ends, and read_committed reads exactly the committed ones", () => {
    const { r, addPartitions, brokerAdds } = run(null);
    expect(addPartitions).toBe(0);
    const ended = r.evidence.flatMap((e) => (e.type === "txn-ended" ? [e] : []));
    expect(ended.length).toBe(10);
    // One add per transaction and leader at least (a transaction's first batch to each partition).
    expect(brokerAdds).toBeGreaterThanOrEqual(ended.length);
    const committed = ended.filter((e) => e.commit).flatMap((e) => e.values);
    expect(committed.length).toBe(ended.filter((e) => e.commit).length * 10);
    const polled = r.history.flatMap((op) => (op.f === "poll" && op.type === "ok" && op.process.startsWith("committed") ? op.value.records.map((x) => x.value) : []));
    expect([...new Set(polled)].sort((a, b) => a - b)).toEqual([...committed].sort((a, b) => a - b));
    expect(r.evidence.filter((e) => e.type === "producer-fenced" || e.type === "txn-end-fenced" || e.type === "txn-verify-refused")).toEqual([]);
    expect(judge(r).verdict).toBe("valid");
  });

  it("the coordinator's transaction holds the partitions the leaders added, and its markers go to exactly those", () => {
    const { r } = run(null);
    const ended = r.evidence.flatMap((e) => (e.type === "txn-ended" ? [e] : []));
    const prepared = r.trace.flatMap((e) => (e.type === "txn-transition" && (e.state === "PrepareCommit" || e.state === "PrepareAbort") ? [e] : []));
    expect(prepared.length).toBe(ended.length);
    for (const [i, p] of prepared.entries()) {
      const t = ended[i];
      // The partitions the transaction wrote (records are partitioned by key).
      const wrote = [...new Set(r.history.flatMap((op) => (op.f === "send" && op.type === "ok" && t?.values.includes(op.value.value) ? [`orders-${op.value.partition}`] : [])))].sort();
      // Records were written in every transaction (none refused), so each names one partition or both.
      expect(wrote.length, `transaction ${i}`).toBeGreaterThanOrEqual(1);
      expect([...p.partitions].sort(), `transaction ${i}`).toEqual(wrote);
      const markers = r.trace.flatMap((e) => (e.type === "txn-marker" && e.producerEpoch === p.producerEpoch && !e.tp.startsWith("__") ? [e.tp] : []));
      expect([...new Set(markers)].sort(), `transaction ${i}'s markers`).toEqual(wrote);
    }
  });

  it("classic (transaction.version 0 on 4.1): the producer adds them itself, one AddPartitionsToTxn per transaction", () => {
    const { r, addPartitions, brokerAdds } = run(0);
    const ended = r.evidence.filter((e) => e.type === "txn-ended").length;
    expect(ended).toBe(10);
    // At least one per transaction (more: one answered CONCURRENT_TRANSACTIONS while the previous one completes is retried).
    expect(addPartitions).toBeGreaterThanOrEqual(ended);
    expect(brokerAdds).toBe(0);
  });
});

describe("transaction.version 2: the exactly-once pipeline commits its offsets without AddOffsetsToTxn", () => {
  const input: ScenarioInput = {
    seed: 3,
    protocol: "4.1",
    durationMs: 3000,
    drainMs: 10000,
    broker: BROKER,
    topics: [
      { name: "input", partitions: 2 },
      { name: "output", partitions: 2 },
    ],
    producers: [{ id: "p1", topic: "input", ratePerSec: 100, config: { acks: "all", "enable.idempotence": true } }],
    consumers: [
      { group: "eos", topics: ["input"], processing: { commit: "after-processing", commitEvery: "batch", timeMs: 2, output: { topic: "output", transactional: true } }, config: { "enable.auto.commit": false, "isolation.level": "read_committed", "auto.offset.reset": "earliest" } },
      { group: "reader", topics: ["output"], config: { "isolation.level": "read_committed", "auto.offset.reset": "earliest" } },
    ],
  };

  it("no AddOffsetsToTxn / AddPartitionsToTxn; the group coordinator adds __consumer_offsets and the offsets commit with the outputs", () => {
    const { r, addPartitions, addOffsets, brokerAdds } = counting(() => runScenario(buildScenario(input), { record: true }));
    expect([addPartitions, addOffsets]).toEqual([0, 0]);
    // The offsets partition joined the committed transactions: their PrepareCommit names it.
    const prepared = r.trace.flatMap((e) => (e.type === "txn-transition" && e.state === "PrepareCommit" ? [e] : []));
    expect(prepared.length).toBeGreaterThan(0);
    for (const p of prepared) expect(p.partitions).toContain("__consumer_offsets-0");
    expect(brokerAdds).toBeGreaterThanOrEqual(prepared.length * 2);
    // Every input record is committed (the group's offsets reach each input partition's end) and output once.
    const inputEnd = new Map<number, number>([
      [0, 0],
      [1, 0],
    ]);
    const inputs: number[] = [];
    for (const op of r.history) {
      if (op.f !== "send" || op.type !== "ok" || op.process !== "p1") continue;
      inputs.push(op.value.value);
      const p = op.value.partition ?? -1;
      inputEnd.set(p, Math.max(inputEnd.get(p) ?? 0, (op.value.offset ?? -1) + 1));
    }
    const offsets = r.final.committedOffsets.filter((o) => o.group === "eos" && o.topic === "input").map((o) => [o.partition, o.offset]);
    expect(offsets.sort()).toEqual([...inputEnd].sort());
    const read = r.history.flatMap((op) => (op.f === "poll" && op.type === "ok" && op.process.startsWith("reader") ? op.value.records.map((x) => x.value) : []));
    expect(read.length).toBe(inputs.length);
    expect(new Set(read)).toEqual(new Set(inputs));
    expect(judge(r).verdict).toBe("valid");
  });
});

describe("transaction.version 2: TRANSACTION_ABORTABLE is an abortable error", () => {
  it("the producer aborts the refused transaction — which the coordinator never started — with a bumped epoch, and goes on (not fenced)", () => {
    // The coordinator answers the leaders' adds of the transaction at epoch 3 with TRANSACTION_ABORTABLE, once the
    // transaction before it is complete (until then it answers CONCURRENT_TRANSACTIONS, which the leader retries): the
    // refusal a leader hands a client that knows the error (AddPartitionsToTxnManager), nothing added.
    const handle = TxnCoordinator.prototype.handleVerifyPartitions;
    vi.spyOn(TxnCoordinator.prototype, "handleVerifyPartitions").mockImplementation(function (this: TxnCoordinator, ctx, from, msg) {
      const m = this.transactions().find((t) => t.transactionalId === msg.transactionalId);
      if (msg.producerEpoch !== 3 || m === undefined || m.pending !== null || m.state === "PrepareCommit" || m.state === "PrepareAbort") return handle.call(this, ctx, from, msg);
      ctx.send(from, { type: "txn.verify-partitions-response", corr: msg.corr, results: msg.partitions.map((p) => ({ ...p, error: "TRANSACTION_ABORTABLE" as const })) });
    });
    const r = runScenario(
      buildScenario(producerInput({ partitions: 2 })),
      { record: true },
    );
    // The no-partition abort's CompleteAbort is written as soon as its PrepareAbort is committed, by the HW advance
    // a follower's fetch makes: that fetch, parked once handled, must see the append (tryCompleteElseWatch), or the
    // acks=all write waits out replica.fetch.wait.max.ms (sim/broker/replica/leader-fetch.ts).
    const prepared = r.trace.find((e) => e.type === "txn-transition" && e.state === "PrepareAbort" && e.partitions.length === 0);
    const completed = r.trace.find((e) => e.type === "txn-transition" && e.state === "CompleteAbort" && prepared !== undefined && e.timeUs >= prepared.timeUs);
    expect(prepared).toBeDefined();
    expect(((completed?.timeUs ?? Infinity) - (prepared?.timeUs ?? 0)) / 1000).toBeLessThan(50);
    const ended = r.evidence.flatMap((e) => (e.type === "txn-ended" ? [[e.producerEpoch, e.commit]] : []));
    expect(ended.length).toBe(10);
    // Only the refused transaction is aborted; the epochs go on one per transaction.
    expect(ended).toEqual(ended.map((_, i) => [i, i !== 3]));
    const failed = r.history.filter((op) => op.f === "send" && op.type === "fail");
    expect(failed.length).toBe(10);
    expect(new Set(failed.map((op) => (op.type === "fail" ? (op.value as { error: string }).error : "")))).toEqual(new Set(["TRANSACTION_ABORTABLE"]));
    // The coordinator had no partition of that transaction: its abort writes no marker.
    const abort = r.trace.flatMap((e) => (e.type === "txn-transition" && e.state === "PrepareAbort" ? [[e.producerEpoch, e.partitions.length]] : []));
    expect(abort).toEqual([[4, 0]]);
    expect(r.evidence.filter((e) => e.type === "producer-fenced" || e.type === "txn-end-fenced")).toEqual([]);
    // The other nine are read; the refused one's records were never written. (No fault fired, so the oracle would
    // take the ten refused sends for a liveness failure: the refusal is injected here.)
    const committed = r.evidence.flatMap((e) => (e.type === "txn-ended" && e.commit ? e.values : []));
    const polled = r.history.flatMap((op) => (op.f === "poll" && op.type === "ok" ? op.value.records.map((x) => x.value) : []));
    const aborted = r.evidence.flatMap((e) => (e.type === "txn-ended" && !e.commit ? e.values : []));
    const sent = r.history.flatMap((op) => (op.f === "send" && op.type === "invoke" ? [op.value.value] : []));
    expect(aborted.length).toBe(10);
    expect([...committed].sort((a, b) => a - b)).toEqual(sent.filter((v) => !aborted.includes(v)).sort((a, b) => a - b));
    expect([...new Set(polled)].sort((a, b) => a - b)).toEqual([...committed].sort((a, b) => a - b));
  });
});

describe("transaction.version 2: a transaction open on the partition under the previous epoch is not this one", () => {
  it("the next transaction's first write waits for the add (CONCURRENT_TRANSACTIONS until the late marker) instead of joining the old one", () => {
    // The markers of the transaction that ended with epoch 5 leave 200 ms late (a slow inter-broker link): the
    // producer's next transaction (epoch 5) writes the same partitions while they still hold the old one open.
    const send = MarkerChannel.prototype.send;
    vi.spyOn(MarkerChannel.prototype, "send").mockImplementation(function (this: MarkerChannel, ctx, pm, partitions) {
      if (pm.producerEpoch !== 5) return send.call(this, ctx, pm, partitions);
      const tps = [...partitions];
      for (const tp of tps) pm.inFlight.add(tp); // registered, not sent
      send.call(this, ctx, pm, tps);
      pm.inFlight.clear();
      pm.retryHandle = ctx.setTimer(200_000, pm);
    });
    const r = runScenario(
      buildScenario(producerInput({ partitions: 1, abortProb: 0.5 })),
      { record: true },
    );
    // The leader asked the coordinator to add orders-0 for epoch 5 (the producer's state there is still epoch 4's
    // open transaction): CONCURRENT_TRANSACTIONS, retried by the leader for 100 ms, then handed to the producer,
    // which retried after its back-off — by then the marker was written, and the records follow it.
    const refused = r.trace.flatMap((e) => (e.type === "txn-verify-refused" ? [[e.producerEpoch, e.error]] : []));
    expect(refused).toEqual([[5, "CONCURRENT_TRANSACTIONS"]]);
    const marker = r.trace.find((e) => e.type === "txn-marker" && e.producerEpoch === 5);
    const firstOfNext = r.trace.find((e) => e.type === "txn-transition" && e.producerEpoch === 5 && e.state === "Ongoing");
    expect(marker !== undefined && firstOfNext !== undefined && marker.timeUs < firstOfNext.timeUs).toBe(true);
    const committed = r.evidence.flatMap((e) => (e.type === "txn-ended" && e.commit ? e.values : []));
    const polled = r.history.flatMap((op) => (op.f === "poll" && op.type === "ok" ? op.value.records.map((x) => x.value) : []));
    expect([...new Set(polled)].sort((a, b) => a - b)).toEqual([...committed].sort((a, b) => a - b));
    expect(judge(r).verdict).toBe("valid");
  });
});
