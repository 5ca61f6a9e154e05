import { describe, it, expect } from "vitest";
import { parseScenario } from "./parse.ts";
import { ScenarioError, applyOverrides, defineScenario, didYouMean, formatScenarioError } from "./schema.ts";
import { BROKER_DEFAULTS, PRODUCER_DEFAULTS } from "../kafka/config.ts";

const ISSUE_EXAMPLE = `name: acks1-leader-crash
description: acks=1 loses acknowledged writes when the leader dies before followers fetch
seed: 42
durationMs: 60000
protocol: "3.7"
brokers: 3
broker: { min.insync.replicas: 2, unclean.leader.election.enable: false }
topics: [ { name: orders, partitions: 3, replication.factor: 3 } ]
network: { latency: { dist: exponential, meanMs: 0.5 } }
producers:
  - { id: p1, topic: orders, ratePerSec: 1000, config: { acks: 1, enable.idempotence: false } }
consumers:
  - { group: g1, members: 2, topic: orders, config: { enable.auto.commit: false, auto.offset.reset: earliest },
      processing: { commit: after-processing } }
faults:
  - { at: 10000, kill: { leaderOf: orders-0 } }
  - { on: { event: produce-acked, count: 500 }, partition: [[1], [2, 3, coordinator]] }
  - { at: 30000, heal: all }
expect: { verdict: allowed, anomalies: [lost-write] }
`;

/** A producer, so that a snippet is a scenario (one with neither producers nor consumers is an error). */
const P = "producers: [{ id: p, topic: orders }]\n";

function errorOf(text: string, file = "s.yaml"): ScenarioError {
  try {
    parseScenario(text, { file });
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error("expected a ScenarioError");
}

describe("parseScenario", () => {
  it("reads the issue's example into a normalised scenario with Kafka 3.x defaults", () => {
    const s = parseScenario(ISSUE_EXAMPLE, { file: "x.yaml" });
    expect(s.name).toBe("acks1-leader-crash");
    expect(s.broker["min.insync.replicas"]).toBe(2);
    expect(s.broker["replica.lag.time.max.ms"]).toBe(BROKER_DEFAULTS["replica.lag.time.max.ms"]);
    expect(s.producers[0]?.config.acks).toBe(1);
    expect(s.producers[0]?.config["delivery.timeout.ms"]).toBe(PRODUCER_DEFAULTS["delivery.timeout.ms"]);
    expect(s.producers[0]?.explicit).toEqual(["acks", "enable.idempotence"]);
    expect(s.consumers[0]?.topics).toEqual(["orders"]);
    expect(s.consumers[0]?.config["group.id"]).toBe("g1");
    expect(s.consumers[0]?.processing.commit).toBe("after-processing");
    expect(s.faults).toEqual([
      { atMs: 10000, action: { kind: "kill", target: { leaderOf: "orders-0" } } },
      { on: { event: "produce-acked", count: 500 }, action: { kind: "partition", groups: [[{ broker: 1 }], [{ broker: 2 }, { broker: 3 }, { coordinator: true }]] } },
      { atMs: 30000, action: { kind: "heal" } },
    ]);
    expect(s.expect).toEqual({ verdict: "allowed", anomalies: ["lost-write"] });
    expect(s.network.latency).toEqual({ dist: "exponential", meanMs: 0.5 });
  });

  it("accepts JSON, camelCase aliases and the name from the file", () => {
    const s = parseScenario(
      JSON.stringify({ brokers: 3, broker: { minInsyncReplicas: 2 }, topics: [{ name: "t", replicationFactor: 2, uncleanLeaderElectionEnable: true }], producers: [{ id: "p", topic: "t", config: { idempotent: false, maxInFlightRequests: 3 } }] }),
      { file: "dir/my-case.json" },
    );
    expect(s.name).toBe("my-case");
    expect(s.broker["min.insync.replicas"]).toBe(2);
    expect(s.topics[0]?.["replication.factor"]).toBe(2);
    expect(s.topics[0]?.config["unclean.leader.election.enable"]).toBe(true);
    expect(s.producers[0]?.config["enable.idempotence"]).toBe(false);
    expect(s.producers[0]?.config["max.in.flight.requests.per.connection"]).toBe(3);
    expect(s.producers[0]?.explicit).toEqual(["enable.idempotence", "max.in.flight.requests.per.connection"]);
  });

  it("maps every fault form onto the Fault union", () => {
    const s = parseScenario(`brokers: 3
producers: [{ id: p1, topic: orders }]
consumers: [{ group: g1, topic: orders }]
faults:
  - { at: 1, power: 2 }
  - { at: 2, pause: controller, durationMs: 500 }
  - { at: 3, slow: p1, factor: 10 }
  - { at: 4, flaky: g1/0, lossProb: 0.5 }
  - { at: 5, partition-oneway: { from: [1], to: coordinator } }
  - { on: { event: isr-shrink, partition: orders-0 }, afterMs: 50, expire-session: { leaderOf: orders-0 } }
  - { at: 6, downstream-down: g1, durationMs: 3000 }
  - { at: 7, heal: 2 }
  - { at: 8, isolate: { client: p1 } }
`);
    expect(s.faults.map((f) => f.action)).toEqual([
      { kind: "power", target: { broker: 2 } },
      { kind: "pause", target: { controller: true }, durationMs: 500 },
      { kind: "slow", target: { client: "p1" }, factor: 10 },
      { kind: "flaky", target: { client: "g1/0" }, lossProb: 0.5 },
      { kind: "partition-oneway", from: [{ broker: 1 }], to: [{ coordinator: true }] },
      { kind: "expire-session", target: { leaderOf: "orders-0" } },
      { kind: "downstream-down", group: "g1", durationMs: 3000 },
      { kind: "heal", target: { broker: 2 } },
      { kind: "isolate", target: { client: "p1" } },
    ]);
    expect(s.faults[5]).toMatchObject({ on: { event: "isr-shrink", partition: "orders-0" }, afterMs: 50 });
  });

  it("reads an unquoted protocol version written as a YAML number", () => {
    expect(parseScenario(`protocol: 0.10\n${P}`).protocol).toBe("0.10");
    expect(parseScenario(`protocol: 2.0\n${P}`).protocol).toBe("2.0");
  });

  it.each([
    ["unknown key with a suggestion", "brokers: 3\nbrokrs: 3\n", 2, 1, /unknown key "brokrs"; did you mean "brokers"\?/],
    ["unknown Kafka key", "broker: { min.insync.replica: 2 }\n", 1, 11, /did you mean "min.insync.replicas"\?.*Allowed: min.insync.replicas/],
    ["config in the wrong scope", "producers: [{ id: p, topic: orders, config: { min.insync.replicas: 2 } }]\n", 1, 47, /unknown producer config "min.insync.replicas" \(it is a broker\/topic config\)/],
    ["wrong type", "brokers: three\n", 1, 10, /expected a whole number, got "three"/],
    ["out of range", "broker:\n  replica.lag.time.max.ms: 0\n", 2, 28, /must be ≥ 1, got 0/],
    ["enum value", "producers: [{ id: p, topic: orders, config: { acks: 2 } }]\n", 1, 53, /allowed: all, -1, 0, 1/],
    ["unknown topic", "producers: [{ id: p, topic: ordrs }]\n", 1, 29, /unknown topic "ordrs"; did you mean "orders"\?/],
    ["unknown broker in a fault", `faults: [{ at: 5, kill: 4 }]\n${P}`, 1, 25, /there is no broker 4; brokers are 1..3/],
    ["unknown node in a fault", `faults: [{ at: 5, isolate: p9 }]\n${P}`, 1, 28, /there is no node "p9"/],
    ["malformed YAML", "brokers: [3\n", 2, 1, /malformed YAML/],
    ["missing key", "producers: [{ topic: orders }]\n", 1, 13, /missing required key "id"/],
  ])("%s: one message with line and column", (_what, text, line, column, re) => {
    const e = errorOf(text);
    expect(e.issues.length).toBe(1);
    expect(e.issues[0]).toMatchObject({ line, column });
    expect(e.message).toMatch(re);
    expect(e.message.startsWith(`s.yaml:${line}:${column}: `)).toBe(true);
    expect(formatScenarioError(e)).toBe(e.message);
  });

  it("rejects an explicit enable.idempotence=true that conflicts with acks (Kafka's ConfigException)", () => {
    const e = errorOf("producers: [{ id: p, topic: orders, config: { acks: 1, enable.idempotence: true } }]\n");
    expect(e.message).toMatch(/enable.idempotence=true needs acks=all/);
  });
});

describe("applyOverrides", () => {
  const base = parseScenario(ISSUE_EXAMPLE);
  it("applies Kafka keys to every scope, scoped keys to one, and scenario fields", () => {
    const s = applyOverrides(base, ["acks=0", "broker.min.insync.replicas=1", "protocol=0.10", "seed=7", "request.timeout.ms=1000", "bugs.skipTruncation=true"]);
    expect(s.producers[0]?.config.acks).toBe(0);
    expect(s.producers[0]?.explicit).toContain("acks");
    expect(s.broker["min.insync.replicas"]).toBe(1);
    expect(s.protocol).toBe("0.10");
    expect(s.seed).toBe(7);
    expect(s.producers[0]?.config["request.timeout.ms"]).toBe(1000);
    expect(s.consumers[0]?.config["request.timeout.ms"]).toBe(1000);
    expect(s.bugs.skipTruncation).toBe(true);
    expect(base.producers[0]?.config.acks).toBe(1);
    // The broker has request.timeout.ms too (its WriteTxnMarkers requests).
    expect(s.broker["request.timeout.ms"]).toBe(1000);
  });
  it("delivery=… makes every group a consume-transform-produce pipeline built for it (compare's delivery dimension)", () => {
    const s = applyOverrides(base, ["delivery=exactly-once"]);
    const c = s.consumers[0];
    expect(c?.processing.output).toEqual({ topic: `${c?.topics[0]}.out`, transactional: true });
    expect(c?.config["isolation.level"]).toBe("read_committed");
    expect(s.topics.map((t) => t.name)).toContain(`${c?.topics[0]}.out`);
    expect(applyOverrides(base, ["delivery=at-least-once"]).consumers[0]?.processing.output?.transactional).toBe(false);
    expect(() => applyOverrides(base, ["delivery=twice"])).toThrow(/delivery: expected one of at-most-once, at-least-once, exactly-once, got "twice"/);
    expect(() => applyOverrides({ ...base, consumers: [] }, ["delivery=exactly-once"])).toThrow(/this scenario has no consumers/);
  });
  it.each([
    ["ack=1", /unknown key "ack"; did you mean "acks"\?/],
    ["producer.acks=5", /allowed: all, -1, 0, 1/],
    ["brokers=2", /replication.factor 3 is larger than the number of brokers \(2\)/],
    ["protocol=1.0", /allowed: 0.10, 0.11, 2.0, 2.7, 3.7/],
    ["acks", /expected key=value/],
    ["consumer.min.insync.replicas=2", /unknown consumer config/],
  ])("rejects --set %s", (arg, re) => {
    expect(() => applyOverrides(base, [arg])).toThrow(re);
  });
});

describe("defineScenario", () => {
  it("validates a TypeScript object the same way", () => {
    const producers = [{ id: "p", topic: "t" }];
    expect(defineScenario({ brokers: 1, topics: [{ name: "t", "replication.factor": 1 }], producers }).brokers).toBe(1);
    expect(() => defineScenario({ brokers: 1, topics: [{ name: "t", "replication.factor": 3 }], producers })).toThrow(/replication.factor 3 is larger than the number of brokers/);
  });
  it("suggests near names only", () => {
    expect(didYouMean("enableIdempotance", ["enable.idempotence", "acks"])).toBe("enable.idempotence");
    expect(didYouMean("zzzz", ["enable.idempotence", "acks"])).toBeUndefined();
  });
});
