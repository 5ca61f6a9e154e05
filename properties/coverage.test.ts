// Coverage probes: each is reached by the state it names and not by the nearest state that is not it.
import { describe, it, expect } from "vitest";
import { EvidenceBuilder, HistoryBuilder, fakeRun, healthy } from "./fixtures.ts";
import { Coverage, PROBE_IDS, probesOf } from "./coverage.ts";
import type { ScenarioInput } from "../sim/scenario/defaults.ts";
import { runScenario } from "../sim/world.ts";
import { buildScenario } from "../sim/scenario/defaults.ts";
import { readFileSync } from "node:fs";
import { parseScenario } from "../sim/scenario/parse.ts";

const TP = "orders-0";
const sc: ScenarioInput = { broker: { "min.insync.replicas": 2 }, producers: [{ id: "p1", topic: "orders" }] };
const probes = (ev: EvidenceBuilder, h = new HistoryBuilder()) => probesOf(fakeRun({ scenario: sc, history: h.ops, partitions: [healthy("orders", 0, [])], evidence: ev.events }));

describe("coverage probes", () => {
  it("ISR below min.insync.replicas, and the ISR down to the leader", () => {
    expect(probes(new EvidenceBuilder().shrink(1, TP, 1, [1, 2], [3]))).toEqual(new Set());
    expect(probes(new EvidenceBuilder().shrink(1, TP, 1, [1], [2, 3]))).toEqual(new Set(["isr-below-min-isr", "isr-leader-only"]));
  });
  it("a truncation, and one that reaches an acknowledged offset", () => {
    const h = new HistoryBuilder().send("p1", "orders", 0, 1, 0).send("p1", "orders", 0, 2, 1);
    expect(probes(new EvidenceBuilder().truncate(10, TP, 2, 5, 2, "x"), h)).toEqual(new Set(["truncation"]));
    expect(probes(new EvidenceBuilder().truncate(10, TP, 2, 5, 1, "x"), h)).toEqual(new Set(["truncation", "truncation-of-acked"]));
    // Before the acknowledgement it did not truncate an acknowledged record.
    expect(probes(new EvidenceBuilder().truncate(0.5, TP, 2, 5, 0, "x"), h)).toEqual(new Set(["truncation"]));
  });
  it("unclean elections, power loss with unflushed records (not without), producer retries", () => {
    expect(probes(new EvidenceBuilder().elect(1, TP, 2, 1, [2], 0, true))).toEqual(new Set(["unclean-election", "leader-change"]));
    expect(probes(new EvidenceBuilder().powerLoss(1, 2, 0))).toEqual(new Set());
    expect(probes(new EvidenceBuilder().powerLoss(1, 2, 3))).toEqual(new Set(["power-loss-unflushed"]));
    expect(probes(new EvidenceBuilder().retry(1, "p1", TP, [1]))).toEqual(new Set(["producer-retry"]));
  });
  it("a rebalance while a member holds polled records it has not processed; not once they are processed", () => {
    const busy = new HistoryBuilder().poll("g1/0", "g1", [["orders", 0, 0, 1]]);
    expect(probes(new EvidenceBuilder().rebalance(10, "g1", 2, ["g1/0"]), busy).has("rebalance-during-processing")).toBe(true);
    const done = new HistoryBuilder().poll("g1/0", "g1", [["orders", 0, 0, 1]]).process("g1/0", "g1", "orders", 0, 0, 1);
    expect(probes(new EvidenceBuilder().rebalance(10, "g1", 2, ["g1/0"]), done).has("rebalance-during-processing")).toBe(false);
  });
  it("KRaft: a fenced broker, a later quorum epoch, a metadata truncation, metadata lag, ELR and RECOVERING leaders", () => {
    const part = (o: { elr?: number[]; election?: "none" | "clean" | "elr" | "unclean"; recovering?: boolean }) =>
      ({ type: "kraft-partition", node: "controller-1", topic: "orders", partition: 0, leader: 2, leaderEpoch: 3, partitionEpoch: 4, isr: [2], elr: o.elr ?? [], recovering: o.recovering ?? false, election: o.election ?? "none", offset: 40, epoch: 2, source: "controller" }) as const;
    const broker = (change: "registered" | "fenced") => ({ type: "kraft-broker", node: "controller-1", broker: 2, brokerEpoch: 7, change, offset: 9 }) as const;
    expect(probes(new EvidenceBuilder().add(1, broker("registered")))).toEqual(new Set());
    expect(probes(new EvidenceBuilder().add(1, broker("fenced")))).toEqual(new Set(["kraft-broker-fenced"]));
    const claim = (epoch: number, active = true) => ({ type: "kraft-controller", node: `controller-${epoch}`, epoch, active }) as const;
    expect(probes(new EvidenceBuilder().add(1, claim(1)).add(2, claim(1, false)))).toEqual(new Set());
    expect(probes(new EvidenceBuilder().add(1, claim(1)).add(2, claim(3)))).toEqual(new Set(["kraft-quorum-election"]));
    expect(probes(new EvidenceBuilder().add(1, { type: "raft-truncate", node: "controller-2", from: 12, to: 10 }))).toEqual(new Set(["kraft-metadata-truncation"]));
    expect(probes(new EvidenceBuilder().add(1, { type: "metadata-lag", broker: 2, delayMs: 0 }))).toEqual(new Set());
    expect(probes(new EvidenceBuilder().add(1, { type: "metadata-lag", broker: 2, delayMs: 3000 }))).toEqual(new Set(["metadata-lag"]));
    expect(probes(new EvidenceBuilder().add(1, part({ election: "clean" })))).toEqual(new Set());
    expect(probes(new EvidenceBuilder().add(1, part({ elr: [3] })))).toEqual(new Set(["elr-nonempty"]));
    expect(probes(new EvidenceBuilder().add(1, part({ elr: [3], election: "elr" })))).toEqual(new Set(["elr-nonempty", "elr-election"]));
    expect(probes(new EvidenceBuilder().add(1, part({ election: "unclean", recovering: true })))).toEqual(new Set(["unclean-election", "recovering-leader"]));
  });
  it("transactions: an abort (not a commit), a timeout, a fenced producer", () => {
    const t = (state: "CompleteCommit" | "CompleteAbort") => ({ type: "txn-transition", broker: 1, transactionalId: "t1", producerId: 5, producerEpoch: 0, state, partitions: [TP] }) as const;
    expect(probes(new EvidenceBuilder().add(1, t("CompleteCommit")))).toEqual(new Set());
    expect(probes(new EvidenceBuilder().add(1, t("CompleteAbort")))).toEqual(new Set(["txn-aborted"]));
    expect(probes(new EvidenceBuilder().add(1, { type: "txn-timed-out", broker: 1, transactionalId: "t1", producerId: 5, producerEpoch: 0 }))).toEqual(new Set(["txn-timed-out"]));
    expect(probes(new EvidenceBuilder().add(1, { type: "producer-fenced", producer: "p1", transactionalId: "t1", producerId: 5, producerEpoch: 0, error: "PRODUCER_FENCED" }))).toEqual(new Set(["producer-fenced"]));
  });
  it("real KRaft runs reach theirs: ELR elections on 4.1, a quorum election when the majority comes back, fencing", () => {
    const reached = (name: string): Set<string> => {
      const file = new URL(`../scenarios/${name}.yaml`, import.meta.url);
      return probesOf(runScenario(parseScenario(readFileSync(file, "utf8"), { file: `${name}.yaml` })));
    };
    const elr = reached("kraft-elr-last-replica-power-loss");
    expect(["elr-nonempty", "elr-election", "kraft-broker-fenced", "power-loss-unflushed"].filter((p) => !elr.has(p as never))).toEqual([]);
    const noElr = reached("kraft-no-elr-last-replica-power-loss");
    expect([noElr.has("elr-nonempty"), noElr.has("truncation-of-acked")]).toEqual([false, true]);
    expect(reached("kraft-quorum-majority-lost").has("kraft-quorum-election")).toBe(true);
  });
  it("a real run with the leader killed reaches leader changes and session expiry; a campaign lists what it never reached", () => {
    const s = buildScenario({ seed: 3, protocol: "3.7", durationMs: 4000, drainMs: 3000, broker: { "zookeeper.session.timeout.ms": 1000 }, producers: [{ id: "p1", topic: "orders", ratePerSec: 200 }], faults: [{ atMs: 1000, action: { kind: "kill", target: { leaderOf: TP } } }] });
    const got = probesOf(runScenario(s));
    expect(got.has("leader-change")).toBe(true);
    expect(got.has("session-expired")).toBe(true);
    expect(got.has("unclean-election")).toBe(false);
    const c = new Coverage();
    c.add(got);
    c.add(new Set());
    expect(c.runs).toBe(2);
    expect(c.counts["leader-change"]).toBe(1);
    expect(c.neverReached()).toEqual(PROBE_IDS.filter((p) => !got.has(p)));
  });
});
