// The torn-transaction checker (a read_committed group saw part of a committed transaction at its position) and
// the oracle's tv1-late-end-txn rule: under transaction.version below 2 a timed-out EndTxn, delivered late, may end
// a later transaction early (KAFKA-17754) — lost, torn or hanging transactions; under version 2 nothing permits them.
import { TXN_READ_COMMITTED_INPUT } from "./fixtures.ts";
import { describe, it, expect } from "vitest";
import { buildScenario } from "../sim/scenario/defaults.ts";
import { runScenario } from "../sim/world.ts";
import type { RunResult } from "../sim/result.ts";
import type { TimeUs } from "../sim/core/time.ts";
import type { TraceEvent } from "../sim/events.ts";
import type { Recorded } from "../sim/core/trace.ts";
import { judge } from "./judge.ts";
import { checkTornTransactions } from "./checkers/torn-transaction.ts";
import { txnView } from "./transactions.ts";

const input = TXN_READ_COMMITTED_INPUT;
const r = runScenario(buildScenario(input));
type Ended = Extract<Recorded<TraceEvent>, { type: "txn-ended" }>;
const ended = r.evidence.filter((e): e is Ended => e.type === "txn-ended");
// An aborted transaction and the committed one after it: as if p1 had seen one transaction of both committed —
// the first part's records behind an ABORT marker, the second's readable above them (what a late EndTxn makes of a
// transaction whose records join the next one, which is aborted).
const abortedValues = txnView(r).abortedValues;
const firstAborted = ended.find((e) => !e.commit && e.values.some((v) => abortedValues.has(v))) as Ended;
// The first part: its records that were written (the workload draws its abort once the sends completed, so all of
// them; an abortable error would fail the records not sent yet).
const aborted: Ended = { ...firstAborted, values: firstAborted.values.filter((v) => abortedValues.has(v)) };
const committed = ended.find((e) => e.commit && e.timeUs > aborted.timeUs) as Ended;
const merged: Ended = { ...committed, values: [...aborted.values, ...committed.values] };
const torn: RunResult = { ...r, evidence: r.evidence.flatMap((e) => (e === firstAborted ? [] : e === committed ? [merged] : [e])) };
/** p1's EndTxn timed out just before the merged transaction's first part was sent. */
const timedOut = { type: "txn-request-timeout" as const, producer: "p1", transactionalId: "tx-1", producerId: aborted.producerId, producerEpoch: aborted.producerEpoch, request: "end-txn" as const, commit: true, broker: 1, timeUs: (aborted.timeUs - 100_000) as TimeUs };
const withTimeout = (x: RunResult): RunResult => ({ ...x, evidence: [...x.evidence, timedOut].sort((a, b) => a.timeUs - b.timeUs) });
const tornRule = (x: RunResult): (string | null | undefined)[] => judge(x).anomalies.filter((a) => a.type === "torn-transaction").map((a) => (a.allowed ? a.allowedBecause?.rule : null));

const ABORTED_WRITTEN = 10;

describe("torn-transaction", () => {
  it("finds nothing when every transaction the group read part of is readable whole", () => {
    expect(ended.filter((e) => e.commit).length).toBe(44);
    expect(checkTornTransactions(r)).toEqual([]);
  });

  it("catches a group that polled part of a committed transaction and read past the rest, which is not committed", () => {
    expect(firstAborted.values.length).toBe(10);
    expect(aborted.values.length).toBe(ABORTED_WRITTEN);
    const found = checkTornTransactions(torn);
    expect(found.map((f) => [f.type, f.group, f.value, f.process])).toEqual([["torn-transaction", "committed", aborted.values[0], "p1"]]);
  });

  it("no rule permits it on its own: a bug", () => {
    expect(tornRule(torn)).toEqual([null]);
  });

  it("under transaction.version below 2, a timed-out EndTxn of the producer permits it (tv1-late-end-txn); under version 2 it does not", () => {
    expect(tornRule(withTimeout(torn))).toEqual(["tv1-late-end-txn"]);
    const tv2: RunResult = { ...withTimeout(torn), scenario: { ...torn.scenario, protocol: "4.1" } };
    expect(tornRule(tv2)).toEqual([null]);
  });
});

describe("tv1-late-end-txn for lost-transaction", () => {
  const claimed: RunResult = { ...r, evidence: r.evidence.map((e) => (e === firstAborted ? { ...e, commit: true } : e)) };
  const rule = (x: RunResult): (string | null | undefined)[] => judge(x).anomalies.filter((a) => a.type === "lost-transaction").map((a) => (a.allowed ? a.allowedBecause?.rule : null));

  it("permits a transaction the producer saw committed and is not readable, after a timed-out EndTxn, on the classic protocol only", () => {
    expect(rule(claimed)).toEqual([null]);
    expect(rule(withTimeout(claimed))).toEqual(["tv1-late-end-txn"]);
    expect(rule({ ...withTimeout(claimed), scenario: { ...claimed.scenario, protocol: "4.1" } })).toEqual([null]);
    // 4.1 with the cluster left at transaction.version 1 (an upgraded cluster): classic again.
    expect(rule({ ...withTimeout(claimed), scenario: { ...claimed.scenario, protocol: "4.1", broker: { ...claimed.scenario.broker, "transaction.version": 1 } } })).toEqual(["tv1-late-end-txn"]);
  });
});
