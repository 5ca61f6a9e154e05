// Scenarios that pin what they depend on (replica assignment, first controller, per-broker config) get it on
// every seed; faults that cannot apply are reported as warnings of the run.
import { describe, it, expect } from "vitest";
import { runScenario } from "./world.ts";
import { parseScenario } from "./scenario/parse.ts";
import { buildScenario } from "./scenario/defaults.ts";
import { scenarioToYaml } from "./scenario/to-file.ts";
import { SimInputError } from "./core/errors.ts";
import type { RunResult } from "./result.ts";
import type { Scenario } from "./scenario/types.ts";

const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);

/** A small cluster: 3 brokers, orders with 3 partitions RF 3, a producer; short so that 20 seeds run fast. On 3.7:
 *  `controller:` pins the ZooKeeper-era controller (a broker), and 600 ms is shorter than a KRaft quorum's start. */
function cluster(extra: string): string {
  return `brokers: 3
protocol: "3.7"
durationMs: 600
drainMs: 400
topics:
  - { name: orders, partitions: 3, replication.factor: 3${extra.includes("replicaAssignment") ? ", replicaAssignment: [[3, 1, 2], [2, 3, 1], [1, 2, 3]]" : ""} }
producers:
  - { id: p1, topic: orders, ratePerSec: 100 }
${extra.replace("replicaAssignment", "")}`;
}

const events = (r: RunResult): RunResult["trace"] => r.trace;
function firstController(r: RunResult): number | undefined {
  const e = events(r).find((x) => x.type === "controller-elected");
  return e?.type === "controller-elected" ? e.broker : undefined;
}
function firstLeaders(r: RunResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events(r)) if (e.type === "leader-elected" && e.tp.startsWith("orders-") && out[e.tp] === undefined) out[e.tp] = e.leader;
  return out;
}
function replicaSets(r: RunResult): Record<string, number[]> {
  return Object.fromEntries(r.final.partitions.filter((p) => p.topic === "orders").map((p) => [`orders-${p.partition}`, p.replicas.map((x) => x.broker).sort()]));
}
const run = (text: string, seed: number): RunResult => runScenario({ ...parseScenario(text), seed }, { record: true });

describe("pinned replica assignment and controller", () => {
  it("hold on 20 seeds: the first controller is the pinned broker, each partition's first leader its first replica", () => {
    const text = cluster("controller: 2\nreplicaAssignment");
    for (const seed of SEEDS) {
      const r = run(text, seed);
      expect(firstController(r), `seed ${seed}`).toBe(2);
      expect(firstLeaders(r), `seed ${seed}`).toEqual({ "orders-0": 3, "orders-1": 2, "orders-2": 1 });
      expect(replicaSets(r), `seed ${seed}`).toEqual({ "orders-0": [1, 2, 3], "orders-1": [1, 2, 3], "orders-2": [1, 2, 3] });
    }
  });

  it("without pinning the same 20 seeds vary (so the test above is not vacuous)", () => {
    const controllers = new Set<number | undefined>();
    const leaders = new Set<string>();
    for (const seed of SEEDS) {
      const r = run(cluster(""), seed);
      controllers.add(firstController(r));
      leaders.add(JSON.stringify(firstLeaders(r)));
    }
    expect(controllers.size).toBeGreaterThan(1);
    expect(leaders.size).toBeGreaterThan(1);
  });

  it("reads kafka-topics' string, a list of lists and a partition map alike, and derives partitions and RF", () => {
    const forms = ['"3:1,1:2"', "[[3, 1], [1, 2]]", "{ 0: [3, 1], 1: [1, 2] }"];
    for (const f of forms) {
      const s = parseScenario(`topics: [{ name: orders, replicaAssignment: ${f} }]\nproducers: [{ id: p1, topic: orders }]\n`);
      expect(s.topics[0], f).toMatchObject({ partitions: 2, "replication.factor": 2, replicaAssignment: [[3, 1], [1, 2]] });
    }
  });

  it("round-trips through the scenario file form (fuzz counterexamples keep what they pinned)", () => {
    const s = parseScenario(cluster("controller: 2\nbrokerOverrides: { 3: { log.flush.interval.messages: 1 } }\nlimits: { maxRecords: 1000 }\nreplicaAssignment"));
    const back = parseScenario(scenarioToYaml(s));
    expect(back.controller).toBe(2);
    expect(back.brokerOverrides).toEqual({ 3: { "log.flush.interval.messages": 1 } });
    expect(back.topics[0]?.replicaAssignment).toEqual([[3, 1, 2], [2, 3, 1], [1, 2, 3]]);
    expect(back.limits).toEqual({ maxRecords: 1000 });
  });

  it("refuses a bad assignment or controller built in code (not through a file)", () => {
    const base = { producers: [{ id: "p1", topic: "orders" }] };
    expect(() => runScenario(buildScenario({ ...base, topics: [{ name: "orders", replicaAssignment: [[1, 1, 2]] }] }))).toThrow(SimInputError);
    expect(() => runScenario(buildScenario({ ...base, topics: [{ name: "orders", replicaAssignment: [[1, 2, 4]] }] }))).toThrow(/replicaAssignment \[1, 2, 4\] needs 3 distinct brokers of 1..3/);
    expect(() => runScenario(buildScenario({ ...base, controller: 4 }))).toThrow(/controller: there is no broker 4/);
  });
});

describe("per-broker config overrides", () => {
  it("apply to that broker only: with log.flush.interval.messages=1 on broker 2, a power loss costs it nothing and the others their page cache", () => {
    // On 3.7: a KRaft broker's node-power-loss also counts its unflushed copy of __cluster_metadata (observers do
    // not fsync it), which is not what this test is about.
    const text = `brokers: 3
protocol: "3.7"
durationMs: 1000
drainMs: 500
brokerOverrides: { 2: { log.flush.interval.messages: 1 } }
producers: [{ id: p1, topic: orders, ratePerSec: 500 }]
faults:
  - { at: 900, power: 1 }
  - { at: 900, power: 2 }
  - { at: 900, power: 3 }
`;
    for (const seed of [1, 2, 3]) {
      const lost: Record<string, number> = {};
      for (const e of run(text, seed).trace) if (e.type === "node-power-loss") lost[e.node] = e.lostRecords;
      expect(lost["broker-2"], `seed ${seed}`).toBe(0);
      expect(lost["broker-1"], `seed ${seed}`).toBeGreaterThan(0);
      expect(lost["broker-3"], `seed ${seed}`).toBeGreaterThan(0);
    }
  });
});

describe("faults that cannot apply", () => {
  it("are warnings of the run, each naming the fault", () => {
    const s: Scenario = parseScenario(`brokers: 3
durationMs: 2000
drainMs: 500
producers: [{ id: p1, topic: orders, ratePerSec: 50 }]
faults:
  - { at: 100, restart: 2 }
  - { at: 200, kill: 3 }
  - { at: 300, kill: 3 }
  - { at: 400, resume: 1 }
`);
    const r = runScenario(s);
    expect(r.warnings?.map((w) => w.message)).toEqual([
      "faults[0] at 100 ms (restart broker 2): broker-2 is already running; nothing to restart",
      "faults[2] at 300 ms (kill broker 3): broker-3 is not running (killed); nothing to kill",
      "faults[3] at 400 ms (resume broker 1): broker-1 is not paused (up); nothing to resume",
    ]);
  });
});
