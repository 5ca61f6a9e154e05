import { describe, it, expect } from "vitest";
import { HistoryBuilder, fakeRun, healthy, partition } from "../fixtures.ts";
import type { RunResult } from "../../sim/result.ts";
import { CHECKERS } from "./index.ts";
import type { AnomalyType } from "../../sim/scenario/types.ts";

const consumers = [{ group: "g1", topics: ["orders"], config: { "auto.offset.reset": "earliest" as const } }];
const base = { producers: [{ id: "p1", topic: "orders" }], consumers };

/** A clean run: p1 sends 1..5 to orders-0, g1/0 polls, processes and commits them all. */
function clean(): { h: HistoryBuilder; run: (h?: HistoryBuilder) => RunResult } {
  const h = new HistoryBuilder();
  for (let v = 1; v <= 5; v++) h.send("p1", "orders", 0, v, v - 1);
  h.assign("g1/0", "g1", 1, [["orders", 0]]).reset("g1/0", "g1", "orders", 0, 0);
  h.poll("g1/0", "g1", [1, 2, 3, 4, 5].map((v) => ["orders", 0, v - 1, v] as [string, number, number, number]));
  for (let v = 1; v <= 5; v++) h.process("g1/0", "g1", "orders", 0, v - 1, v);
  h.commit("g1/0", "g1", [["orders", 0, 5]]);
  const run = (hh: HistoryBuilder = h): RunResult =>
    fakeRun({ scenario: base, history: hh.ops, partitions: [healthy("orders", 0, [1, 2, 3, 4, 5])], committedOffsets: [{ group: "g1", topic: "orders", partition: 0, offset: 5 }] });
  return { h, run };
}

function types(r: RunResult): AnomalyType[] {
  const out: AnomalyType[] = [];
  for (const t of Object.keys(CHECKERS) as AnomalyType[]) for (const f of CHECKERS[t](r)) out.push(f.type);
  return out;
}

describe("checkers on a clean history", () => {
  it("find nothing", () => {
    expect(types(clean().run())).toEqual([]);
  });
});

describe("lost-write", () => {
  it("an acknowledged value missing from the final log", () => {
    const h = new HistoryBuilder().send("p1", "orders", 0, 1, 0).send("p1", "orders", 0, 2, 1);
    const r = fakeRun({ scenario: { producers: [{ id: "p1", topic: "orders" }] }, history: h.ops, partitions: [healthy("orders", 0, [1])] });
    const f = CHECKERS["lost-write"](r);
    expect(f.map((x) => [x.partition, x.offset, x.value])).toEqual([["orders-0", 1, 2]]);
    expect(f[0]?.explanation).toContain("value 2");
  });
  it("on every partition of every topic, not only the first (each lost value reported where it was acknowledged)", () => {
    const h = new HistoryBuilder().send("p1", "orders", 0, 1, 0).send("p1", "orders", 1, 2, 0).send("p1", "orders", 1, 3, 1).send("p2", "audit", 2, 4, 0);
    const r = fakeRun({
      scenario: { topics: [{ name: "orders", partitions: 2 }, { name: "audit", partitions: 3 }], producers: [{ id: "p1", topic: "orders" }, { id: "p2", topic: "audit" }] },
      history: h.ops,
      partitions: [healthy("orders", 0, [1]), healthy("orders", 1, [2]), healthy("audit", 0, []), healthy("audit", 1, []), healthy("audit", 2, [])],
    });
    expect(CHECKERS["lost-write"](r).map((x) => [x.partition, x.offset, x.value])).toEqual([["orders-1", 1, 3], ["audit-2", 0, 4]]);
  });
  it("ignores sends that failed or whose outcome is unknown", () => {
    const h = new HistoryBuilder().sendInvoke("p1", "orders", 1).sendOutcome("p1", "orders", 1, "info").sendInvoke("p1", "orders", 2).sendOutcome("p1", "orders", 2, "fail");
    expect(CHECKERS["lost-write"](fakeRun({ history: h.ops, partitions: [healthy("orders", 0, [])] }))).toEqual([]);
  });
});

describe("duplicate", () => {
  it("one value at two offsets", () => {
    const h = new HistoryBuilder().send("p1", "orders", 0, 1, 0).send("p1", "orders", 0, 2, 1);
    const r = fakeRun({ history: h.ops, partitions: [healthy("orders", 0, [1, 2, 1])] });
    expect(CHECKERS.duplicate(r).map((x) => [x.offset, x.value])).toEqual([[2, 1]]);
  });
});

describe("nonmonotonic-send", () => {
  it("acknowledged sends out of send order in the log", () => {
    const h = new HistoryBuilder().send("p1", "orders", 0, 1, 1).send("p1", "orders", 0, 2, 0).send("p1", "orders", 0, 3, 2);
    const r = fakeRun({ history: h.ops, partitions: [healthy("orders", 0, [2, 1, 3])] });
    expect(CHECKERS["nonmonotonic-send"](r).map((x) => x.value)).toEqual([2]);
  });
  it("two producers interleaving is fine", () => {
    const h = new HistoryBuilder().send("p1", "orders", 0, 1, 1).send("p2", "orders", 0, 2, 0);
    const r = fakeRun({ history: h.ops, partitions: [healthy("orders", 0, [2, 1])] });
    expect(CHECKERS["nonmonotonic-send"](r)).toEqual([]);
  });
});

describe("uncommitted-read", () => {
  it("a polled record that is not in the final log at that offset", () => {
    const { h, run } = clean();
    h.poll("g1/1", "g1", [["orders", 0, 5, 99]]);
    const r = run(h);
    expect(CHECKERS["uncommitted-read"](r).map((x) => [x.offset, x.value])).toEqual([[5, 99]]);
  });
});

describe("inconsistent-offsets", () => {
  it("two values seen at one offset", () => {
    const { h, run } = clean();
    h.poll("g2/0", "g2", [["orders", 0, 2, 42]]);
    expect(CHECKERS["inconsistent-offsets"](run(h)).map((x) => [x.offset, x.value])).toEqual([[2, 42]]);
  });
});

describe("poll-skip and nonmonotonic-poll", () => {
  it("a consumer that jumps over offsets", () => {
    const h = new HistoryBuilder().reset("g1/0", "g1", "orders", 0, 0).poll("g1/0", "g1", [["orders", 0, 0, 1], ["orders", 0, 1, 2], ["orders", 0, 3, 4]]);
    const r = fakeRun({ scenario: base, history: h.ops, partitions: [healthy("orders", 0, [1, 2, 3, 4])] });
    expect(CHECKERS["poll-skip"](r).map((x) => x.offset)).toEqual([3]);
    expect(CHECKERS["nonmonotonic-poll"](r)).toEqual([]);
  });
  it("a consumer that goes back", () => {
    const h = new HistoryBuilder().reset("g1/0", "g1", "orders", 0, 0).poll("g1/0", "g1", [["orders", 0, 0, 1], ["orders", 0, 1, 2]]).poll("g1/0", "g1", [["orders", 0, 0, 1]]);
    const r = fakeRun({ scenario: base, history: h.ops, partitions: [healthy("orders", 0, [1, 2])] });
    expect(CHECKERS["nonmonotonic-poll"](r).map((x) => x.offset)).toEqual([0]);
  });
  it("the group across a rebalance: the new owner must start at the committed offset", () => {
    const h = new HistoryBuilder()
      .assign("g1/0", "g1", 1, [["orders", 0]])
      .reset("g1/0", "g1", "orders", 0, 0)
      .poll("g1/0", "g1", [["orders", 0, 0, 1], ["orders", 0, 1, 2]])
      .commit("g1/0", "g1", [["orders", 0, 2]])
      .assign("g1/1", "g1", 2, [["orders", 0]])
      .poll("g1/1", "g1", [["orders", 0, 3, 4]]);
    const r = fakeRun({ scenario: base, history: h.ops, partitions: [healthy("orders", 0, [1, 2, 3, 4])] });
    expect(CHECKERS["poll-skip"](r).map((x) => [x.partition, x.offset])).toEqual([["orders-0", 3]]);
    // Starting at the committed offset (re-reading what was polled but not committed is at-least-once) is fine.
    const ok = new HistoryBuilder();
    for (const op of h.ops.slice(0, -1)) ok.add(op);
    ok.poll("g1/1", "g1", [["orders", 0, 2, 3]]);
    expect(CHECKERS["poll-skip"](fakeRun({ scenario: base, history: ok.ops, partitions: [healthy("orders", 0, [1, 2, 3, 4])] }))).toEqual([]);
  });
  it("going back below the group's committed offset after a rebalance", () => {
    const h = new HistoryBuilder()
      .assign("g1/0", "g1", 1, [["orders", 0]])
      .reset("g1/0", "g1", "orders", 0, 0)
      .poll("g1/0", "g1", [["orders", 0, 0, 1], ["orders", 0, 1, 2]])
      .commit("g1/0", "g1", [["orders", 0, 2]])
      .assign("g1/1", "g1", 2, [["orders", 0]])
      .poll("g1/1", "g1", [["orders", 0, 0, 1]]);
    const r = fakeRun({ scenario: base, history: h.ops, partitions: [healthy("orders", 0, [1, 2])] });
    expect(CHECKERS["nonmonotonic-poll"](r).map((x) => x.offset)).toEqual([0]);
  });
});

describe("unseen and phantom", () => {
  it("an acknowledged value in the log that nobody polled", () => {
    const { h } = clean();
    h.send("p1", "orders", 0, 6, 5);
    const r = fakeRun({ scenario: base, history: h.ops, partitions: [healthy("orders", 0, [1, 2, 3, 4, 5, 6])], committedOffsets: [{ group: "g1", topic: "orders", partition: 0, offset: 5 }] });
    expect(CHECKERS.unseen(r).map((x) => x.value)).toEqual([6]);
  });
  it("a polled value nobody sent", () => {
    const h = new HistoryBuilder().send("p1", "orders", 0, 1, 0).poll("g1/0", "g1", [["orders", 0, 0, 1], ["orders", 0, 1, 77]]);
    const r = fakeRun({ scenario: base, history: h.ops, partitions: [healthy("orders", 0, [1, 77])] });
    expect(CHECKERS.phantom(r).map((x) => x.value)).toEqual([77]);
  });
});

describe("committed-unprocessed and processed-twice", () => {
  it("a committed offset past a record nobody processed", () => {
    const h = new HistoryBuilder();
    for (let v = 1; v <= 3; v++) h.send("p1", "orders", 0, v, v - 1);
    h.reset("g1/0", "g1", "orders", 0, 0).poll("g1/0", "g1", [["orders", 0, 0, 1], ["orders", 0, 1, 2], ["orders", 0, 2, 3]]);
    h.commit("g1/0", "g1", [["orders", 0, 3]]).process("g1/0", "g1", "orders", 0, 0, 1);
    const r = fakeRun({ scenario: base, history: h.ops, partitions: [healthy("orders", 0, [1, 2, 3])], committedOffsets: [{ group: "g1", topic: "orders", partition: 0, offset: 3 }] });
    expect(CHECKERS["committed-unprocessed"](r).map((x) => x.value)).toEqual([2, 3]);
  });
  it("a record processed twice", () => {
    const { h, run } = clean();
    h.process("g1/1", "g1", "orders", 0, 2, 3);
    expect(CHECKERS["processed-twice"](run(h)).map((x) => x.value)).toEqual([3]);
  });
});

describe("replica invariants", () => {
  it("log-divergence: replicas disagree below both HWs", () => {
    const p = partition("orders", 0, 1, [1, 2], [
      { broker: 1, values: [1, 2, 3], hw: 3 },
      { broker: 2, values: [1, 9, 3], hw: 3 },
    ]);
    const r = fakeRun({ partitions: [p] });
    expect(CHECKERS["log-divergence"](r).map((x) => x.offset)).toEqual([1]);
    // Above a HW, replicas may differ.
    const q = partition("orders", 0, 1, [1], [
      { broker: 1, values: [1, 2, 3], hw: 1 },
      { broker: 2, values: [1, 9], hw: 1 },
    ]);
    expect(CHECKERS["log-divergence"](fakeRun({ partitions: [q] }))).toEqual([]);
  });
  it("leader-incomplete: another replica's committed record is missing from the leader", () => {
    const p = partition("orders", 0, 2, [2], [
      { broker: 1, values: [1, 2, 3], hw: 3 },
      { broker: 2, values: [1], hw: 1 },
    ]);
    expect(CHECKERS["leader-incomplete"](fakeRun({ partitions: [p] })).map((x) => x.offset)).toEqual([1]);
  });
  it("strong-isr: an ISR member behind the leader's HW", () => {
    const p = partition("orders", 0, 1, [1, 2, 3], [
      { broker: 1, values: [1, 2, 3], hw: 3 },
      { broker: 2, values: [1, 2, 3], hw: 3 },
      { broker: 3, values: [1], hw: 1 },
    ]);
    expect(CHECKERS["strong-isr"](fakeRun({ partitions: [p] })).map((x) => x.offset)).toEqual([1]);
    const q = partition("orders", 0, 1, [1, 2], [
      { broker: 1, values: [1, 2, 3], hw: 3 },
      { broker: 2, values: [1, 2, 3], hw: 3 },
      { broker: 3, values: [1], hw: 1 },
    ]);
    expect(CHECKERS["strong-isr"](fakeRun({ partitions: [q] }))).toEqual([]);
  });
});

describe("explanations from the trace", () => {
  it("tell who led, the ISR and the faults", () => {
    const h = new HistoryBuilder().send("p1", "orders", 0, 1, 0).send("p1", "orders", 0, 2, 1);
    const trace = [
      { type: "leader-elected", tp: "orders-0", leader: 1, leaderEpoch: 1, isr: [1], unclean: false, timeUs: 0 },
      { type: "fault", action: { kind: "kill", target: { broker: 1 } }, nodes: ["broker-1"], timeUs: 5_000 },
      { type: "leader-elected", tp: "orders-0", leader: 2, leaderEpoch: 2, isr: [2], unclean: true, timeUs: 6_000 },
      { type: "truncate", tp: "orders-0", broker: 1, fromOffset: 2, toOffset: 1, reason: "epoch", timeUs: 7_000 },
    ] as unknown as RunResult["trace"];
    const r = fakeRun({ history: h.ops, partitions: [healthy("orders", 0, [1])], trace });
    const e = CHECKERS["lost-write"](r)[0]?.explanation ?? "";
    expect(e).toContain("broker 1 elected leader of orders-0 (epoch 1, ISR [1])");
    expect(e).toContain("kill broker 1");
    expect(e).toContain("UNCLEAN");
    expect(e).toContain("truncated orders-0 from LEO 2 to 1");
  });
});

describe("streaming", () => {
  it("checks a half-million-op history in one pass", () => {
    const h = new HistoryBuilder();
    const n = 250_000;
    const values: number[] = [];
    for (let v = 0; v < n; v++) {
      h.send("p1", "orders", 0, v, v);
      values.push(v);
    }
    for (let i = 0; i < n; i += 500) {
      const recs: [string, number, number, number][] = [];
      for (let v = i; v < i + 500; v++) recs.push(["orders", 0, v, v]);
      h.poll("g1/0", "g1", recs);
    }
    const r = fakeRun({ scenario: base, history: h.ops, partitions: [healthy("orders", 0, values)] });
    expect(r.history.length).toBeGreaterThanOrEqual(500_000);
    expect(types(r)).toEqual([]);
  });
});
