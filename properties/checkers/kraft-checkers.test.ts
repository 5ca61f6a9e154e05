// The KRaft invariants as checkers over constructed evidence: two-leaders (ElectionSafety; one partition leader per
// leader epoch), metadata-divergence (every node handed the same committed batch at an offset; each committed batch
// on a majority of the controllers' final logs), epoch-regression (Raft and partition leader epochs never go back).
// Each catches its violation and stays quiet on a valid history.
import { describe, expect, it } from "vitest";
import { EvidenceBuilder, fakeRun } from "../fixtures.ts";
import type { RunResult } from "../../sim/result.ts";
import type { FinalMetadataLog } from "../../sim/history.ts";
import { CHECKERS } from "./index.ts";
import { foldDigests } from "../../sim/controller/kraft/controller/digest.ts";

function run(ev: EvidenceBuilder, metadata?: readonly FinalMetadataLog[]): RunResult {
  const r = fakeRun({ scenario: { protocol: "4.1" }, evidence: ev.events });
  return metadata === undefined ? r : { ...r, final: { ...r.final, metadata } };
}
const role = (node: string, r: "leader" | "follower" | "candidate" | "unattached", epoch: number, leader = "") => ({ type: "raft-role" as const, node, role: r, epoch, leader });
const becameLeader = (broker: number, leaderEpoch: number, tp = "orders-0") => ({ type: "become-leader" as const, tp, broker, leaderEpoch, logEndOffset: 0 });
const becameFollower = (broker: number, leader: number, leaderEpoch: number, tp = "orders-0") => ({ type: "become-follower" as const, tp, broker, leader, leaderEpoch });

/** A valid history: controller-1 leads epoch 1, controller-2 wins epoch 2 after it; broker 1 leads orders-0 at epoch 0,
 *  broker 2 at epoch 1 (broker 1 follows it). */
function valid(): EvidenceBuilder {
  return new EvidenceBuilder()
    .add(100, role("controller-1", "candidate", 1))
    .add(101, role("controller-1", "leader", 1, "controller-1"))
    .add(102, role("controller-2", "follower", 1, "controller-1"))
    .add(1000, becameLeader(1, 0))
    .add(1000, becameFollower(2, 1, 0))
    .add(5000, role("controller-2", "candidate", 2))
    .add(5001, role("controller-2", "leader", 2, "controller-2"))
    .add(5002, role("controller-1", "follower", 2, "controller-2"))
    .add(6000, becameLeader(2, 1))
    .add(6001, becameFollower(1, 2, 1));
}

describe("two-leaders", () => {
  it("quiet on one leader per Raft epoch and per partition leader epoch (the same node claiming twice is one leader)", () => {
    const ev = valid().add(7000, role("controller-2", "leader", 2, "controller-2")).add(7000, becameLeader(2, 1));
    expect(CHECKERS["two-leaders"](run(ev))).toEqual([]);
  });
  it("two controllers leading the same Raft epoch", () => {
    const ev = valid().add(5003, role("controller-3", "leader", 2, "controller-3"));
    const f = CHECKERS["two-leaders"](run(ev));
    expect(f.map((x) => [x.type, x.partition, x.sinceUs])).toEqual([["two-leaders", null, 5_003_000]]);
    expect(f[0]?.explanation).toContain("controller-2");
    expect(f[0]?.explanation).toContain("controller-3");
    expect(f[0]?.explanation).toContain("Raft epoch 2");
  });
  it("two brokers becoming leader of a partition at one leader epoch", () => {
    const ev = valid().add(6500, becameLeader(3, 1)).add(6500, becameLeader(3, 1, "orders-1"));
    const f = CHECKERS["two-leaders"](run(ev));
    expect(f.map((x) => [x.partition, x.sinceUs])).toEqual([["orders-0", 6_500_000]]);
    expect(f[0]?.explanation).toContain("brokers 2");
  });
});

describe("epoch-regression", () => {
  it("quiet on epochs that only grow, across a restart at the same epoch", () => {
    const ev = valid().add(8000, role("controller-1", "unattached", 2)).add(8001, becameFollower(1, 2, 1));
    expect(CHECKERS["epoch-regression"](run(ev))).toEqual([]);
  });
  it("a node whose Raft epoch goes back (a quorum-state file that lost a flushed epoch)", () => {
    const ev = valid().add(8000, role("controller-1", "unattached", 1));
    const f = CHECKERS["epoch-regression"](run(ev));
    expect(f.map((x) => [x.partition, x.sinceUs])).toEqual([[null, 8_000_000]]);
    expect(f[0]?.explanation).toContain("controller-1 went back from Raft epoch 2");
  });
  it("a broker applying a lower partition leader epoch than one it applied (as leader or follower)", () => {
    const ev = valid().add(8000, becameLeader(1, 0));
    const f = CHECKERS["epoch-regression"](run(ev));
    expect(f.map((x) => [x.partition, x.sinceUs])).toEqual([["orders-0", 8_000_000]]);
    expect(f[0]?.explanation).toContain("broker 1 applied leader epoch 0 of orders-0");
  });
});

describe("metadata-divergence", () => {
  const digest = (epoch: number, records: number[]) => foldDigests(epoch, records);
  const batch = (node: string, base: number, last: number, epoch: number, records: number[]) => ({ type: "metadata-batch" as const, node, baseOffset: base, lastOffset: last, epoch, digest: digest(epoch, records) });
  /** Offsets 0..1 (epoch 1, records 11 and 12) and 2 (epoch 2, record 13), handed to two controllers and a broker. */
  const handed = () =>
    new EvidenceBuilder()
      .add(100, batch("controller-1", 0, 1, 1, [11, 12]))
      .add(101, batch("controller-2", 0, 1, 1, [11, 12]))
      .add(102, batch("broker-1", 0, 1, 1, [11, 12]))
      .add(200, batch("controller-2", 2, 2, 2, [13]))
      .add(201, batch("broker-1", 2, 2, 2, [13]));
  const log = (node: string, epochs: number[], digests: number[]): FinalMetadataLog => ({ node, alive: true, startOffset: 0, epochs, digests });
  const full = (node: string) => log(node, [1, 1, 2], [11, 12, 13]);

  it("quiet when every node was handed the same batches and a majority of the controllers' logs hold them", () => {
    expect(CHECKERS["metadata-divergence"](run(handed(), [full("controller-1"), full("controller-2"), log("controller-3", [1, 1], [11, 12])]))).toEqual([]);
  });
  it("two nodes handed different records at one offset of one epoch", () => {
    const ev = handed().add(300, batch("broker-2", 2, 2, 2, [99]));
    const f = CHECKERS["metadata-divergence"](run(ev));
    expect(f.map((x) => [x.offset, x.sinceUs])).toEqual([[2, 300_000]]);
    expect(f[0]?.explanation).toContain("with other records");
  });
  it("two nodes handed batches of different epochs at one offset", () => {
    const ev = handed().add(300, batch("broker-2", 2, 2, 3, [13]));
    expect(CHECKERS["metadata-divergence"](run(ev)).map((x) => x.offset)).toEqual([2]);
  });
  it("a committed batch that only a minority of the controllers' final logs hold (committed metadata lost: one log ends before it, one has other records at its offset)", () => {
    const f = CHECKERS["metadata-divergence"](run(handed(), [full("controller-1"), log("controller-2", [1, 1], [11, 12]), log("controller-3", [1, 1, 2], [11, 12, 99])]));
    expect(f.map((x) => [x.offset, x.sinceUs])).toEqual([[2, 200_000]]);
    expect(f[0]?.explanation).toContain("held by 1 of 3 controllers at the end (controller-1)");
  });
  it("the same records at another Raft epoch are not the committed batch", () => {
    const f = CHECKERS["metadata-divergence"](run(handed(), [full("controller-1"), log("controller-2", [1, 1, 3], [11, 12, 13]), log("controller-3", [1, 1], [11, 12])]));
    expect(f.map((x) => x.offset)).toEqual([2]);
  });
});
