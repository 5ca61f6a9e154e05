// transaction.version (KIP-890 part 2): the profile's default, the EndTxn epoch check of each version
// (TransactionCoordinator.endTransaction's isValidEpoch) and, end to end, the epoch bump per transaction that the
// producer takes from the EndTxn answer and the markers carry.
import { describe, it, expect } from "vitest";
import { buildScenario } from "../../scenario/defaults.ts";
import type { ScenarioInput } from "../../scenario/defaults.ts";
import { parseScenario } from "../../scenario/parse.ts";
import { transactionVersionOf } from "../../kafka/profiles.ts";
import { runScenario } from "../../world.ts";
import { endTxnEpochValid } from "./coordinator.ts";
import type { TxnState } from "./events.ts";

describe("transaction.version: the profile's default", () => {
  it("is 2 on a new 4.0+ cluster (TV_2 bootstraps from metadata.version 4.0-IV2), 0 before; the broker key overrides it", () => {
    expect((["2.7", "3.7", "3.9", "4.0", "4.1"] as const).map((v) => transactionVersionOf(v, { "transaction.version": null }))).toEqual([0, 0, 0, 2, 2]);
    expect(transactionVersionOf("4.1", { "transaction.version": 1 })).toBe(1);
  });

  it("levels 1 and 2 are refused before 4.0, naming the key", () => {
    const yaml = (protocol: string, tv: number): string => `protocol: "${protocol}"\nbroker: { transaction.version: ${tv} }\nproducers: [{ id: p1, topic: t, ratePerSec: 10 }]\ntopics: [{ name: t }]\n`;
    expect(() => parseScenario(yaml("3.7", 2), { file: "s.yaml" })).toThrow(/transaction\.version 1 and 2 are levels of a Kafka 4\.0\+ feature/);
    expect(parseScenario(yaml("3.7", 0), { file: "s.yaml" }).broker["transaction.version"]).toBe(0);
    expect(parseScenario(yaml("4.0", 2), { file: "s.yaml" }).broker["transaction.version"]).toBe(2);
  });
});

describe("EndTxn's epoch check (TransactionCoordinator.endTransaction isValidEpoch)", () => {
  const at = (state: TxnState, producerEpoch: number, clientTransactionVersion: number) => ({ state, producerEpoch, clientTransactionVersion });

  it("classic: only the current epoch — so a late EndTxn of the previous transaction passes in the next one (KAFKA-17754)", () => {
    expect(endTxnEpochValid(at("Ongoing", 3, 0), 3)).toBe(true);
    expect(endTxnEpochValid(at("CompleteCommit", 3, 0), 3)).toBe(true);
    expect(endTxnEpochValid(at("Ongoing", 3, 0), 2)).toBe(false);
  });

  it("version 2: the late EndTxn (epoch before the bump) is fenced in the next transaction; a retry of the bumping EndTxn is recognised", () => {
    // Transaction n ended at epoch 3 and bumped it to 4; transaction n+1 is open at 4.
    expect(endTxnEpochValid(at("Ongoing", 4, 2), 3)).toBe(false);
    expect(endTxnEpochValid(at("Ongoing", 4, 2), 4)).toBe(true);
    // A retry of transaction n's EndTxn while its end is written or done.
    for (const s of ["PrepareCommit", "PrepareAbort", "CompleteCommit", "CompleteAbort"] as const) {
      expect(endTxnEpochValid(at(s, 4, 2), 3), s).toBe(true);
      expect(endTxnEpochValid(at(s, 4, 2), 2), s).toBe(false);
    }
    // While transaction n ends, n+1 (epoch 4) cannot end yet; once n is complete, an EndTxn at 4 is n+1's (it may
    // have no partition the coordinator added: KIP-890 part 2's implicit add failed).
    expect(endTxnEpochValid(at("PrepareCommit", 4, 2), 4)).toBe(false);
    expect(endTxnEpochValid(at("PrepareAbort", 4, 2), 4)).toBe(false);
    expect(endTxnEpochValid(at("CompleteCommit", 4, 2), 4)).toBe(true);
    expect(endTxnEpochValid(at("CompleteAbort", 4, 2), 4)).toBe(true);
  });
});

describe("transaction.version end to end: a producer's epochs and its markers'", () => {
  const input: ScenarioInput = {
    seed: 1,
    protocol: "4.1",
    durationMs: 2000,
    drainMs: 6000,
    broker: { "group.initial.rebalance.delay.ms": 0, "offsets.topic.num.partitions": 1, "transaction.state.log.num.partitions": 1, "group.min.session.timeout.ms": 1000 },
    topics: [{ name: "orders", partitions: 2 }],
    producers: [{ id: "p1", topic: "orders", ratePerSec: 200, transaction: { records: 10, abortProb: 0.3 }, config: { "transactional.id": "tx-1" } }],
    consumers: [{ group: "committed", topics: ["orders"], config: { "isolation.level": "read_committed", "auto.offset.reset": "earliest" } }],
  };
  const epochs = (tv: number | null) => {
    const r = runScenario(buildScenario({ ...input, broker: { ...input.broker, "transaction.version": tv } }), { record: true });
    const ended = r.evidence.flatMap((e) => (e.type === "txn-ended" ? [e.producerEpoch] : []));
    const markers = r.trace.flatMap((e) => (e.type === "txn-marker" && e.tp.startsWith("orders") ? [e.producerEpoch] : []));
    return { r, ended, markers };
  };

  it("version 2 (4.1's default): every transaction runs one epoch above the one before, its markers at the bumped epoch", () => {
    const { r, ended, markers } = epochs(null);
    expect(ended.length).toBe(10);
    expect(ended).toEqual(ended.map((_, i) => i));
    // Each transaction's markers (one per partition it wrote: here one each, its ten records waiting when it began,
    // stuck to one partition by the sticky partitioner) at the epoch its end bumped to.
    expect(markers.length).toBe(10);
    expect([...new Set(markers)]).toEqual(ended.map((e) => e + 1));
    expect(r.evidence.filter((e) => e.type === "producer-fenced" || e.type === "txn-end-fenced")).toEqual([]);
  });

  it("version 0 (classic): one epoch for every transaction, markers at it", () => {
    const { ended, markers } = epochs(0);
    expect(ended.length).toBe(10);
    expect(new Set([...ended, ...markers])).toEqual(new Set([0]));
  });
});
