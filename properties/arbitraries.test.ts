import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { guardSchedule, fuzzValueArb, toScenario, episodeFaults, SAFE_KNOBS, fuzzScenario, groupRecoveryMs, DEFAULT_SHAPE, constrainKnobs, fixedKnobs, FUZZ_TRANSACTION } from "./arbitraries.ts";
import { fixedBySets } from "../sim/scenario/overrides.ts";
import type { Episode } from "./arbitraries.ts";
import { parseScenario } from "../sim/scenario/parse.ts";
import { scenarioToYaml } from "../sim/scenario/to-file.ts";

const ep = (kind: Episode["kind"], atMs: number, broker: number, durationMs = 0): Episode => ({ kind, atMs, durationMs, broker, other: 1 });

describe("fault schedules", () => {
  it("the guard never lets every broker be down at once", () => {
    const eps = [ep("kill", 100, 1), ep("power", 200, 2), ep("stop", 300, 3), ep("pause", 400, 3)];
    const kept = guardSchedule(eps, 3);
    expect(kept.map((e) => e.kind)).toEqual(["kill", "power", "pause"]);
    // A broker restarted in time frees its slot.
    expect(guardSchedule([ep("kill", 100, 1, 50), ep("kill", 200, 2), ep("kill", 300, 3)], 3)).toHaveLength(3);
  });
  it("partitions always have two distinct concrete sides", () => {
    for (const e of [ep("partition", 100, 0), ep("partition", 100, 1), ep("partition-oneway", 100, 1)]) {
      const [f] = episodeFaults({ ...e, other: 1 }, 3);
      expect(JSON.stringify(f)).not.toContain("leaderOf");
      if (f && f.action.kind === "partition") expect(f.action.groups[0]).not.toEqual([f.action.groups[1]?.[0]]);
    }
  });
  it("drawn scenarios are valid scenario files (round trip through the CLI's file form) with faults inside the workload phase", () => {
    for (const v of fc.sample(fuzzValueArb({ swarm: true, varyPartitions: true }), { seed: 11, numRuns: 120 })) {
      const s = toScenario(v);
      for (const f of s.faults) if ("atMs" in f) expect(f.atMs).toBeLessThan(s.durationMs);
      const back = parseScenario(scenarioToYaml(s), { file: "drawn.yaml" });
      expect(back.faults).toEqual(s.faults);
      expect(back.producers[0]?.config).toEqual(s.producers[0]?.config);
      // A transactional producer's transactions and a pipeline's output survive the file (run 64 of the exactly-once
      // campaign 71001 saved a file without them, which replayed as another run).
      expect(back.producers[0]?.transaction).toEqual(s.producers[0]?.transaction);
      expect(back.consumers.map((c) => c.processing)).toEqual(s.consumers.map((c) => c.processing));
      expect(back.topics).toEqual(s.topics);
    }
  });
  it("draws transactional producers and pipelines (exactly-once and at-least-once), each only where Kafka allows it", () => {
    const drawn = fc.sample(fuzzValueArb({ swarm: true }), { seed: 5, numRuns: 400 }).map((v) => toScenario(v));
    const txn = drawn.filter((s) => s.producers[0]?.config["transactional.id"] != null);
    const eos = drawn.filter((s) => s.consumers[0]?.processing.output?.transactional === true);
    const alo = drawn.filter((s) => s.consumers[0]?.processing.output?.transactional === false);
    expect([txn.length, eos.length, alo.length].every((n) => n >= 20)).toBe(true);
    for (const s of txn) {
      expect(s.producers[0]?.config["enable.idempotence"]).toBe(true);
      expect(s.producers[0]?.transaction).toEqual(FUZZ_TRANSACTION);
      expect(s.protocol).not.toBe("0.10");
    }
    for (const s of [...eos, ...alo]) expect(s.protocol).not.toBe("0.10");
  });
  it("--set delivery=… and --set transactional.id=… pin the pipeline and the transactional producer; drawn knobs yield", () => {
    const fixed = fixedKnobs(fixedBySets(["delivery=exactly-once", "transactional.id=tx-9"]));
    expect(fixed).toEqual({ pipeline: "exactly-once", transactional: true });
    const k = constrainKnobs({ ...SAFE_KNOBS, commit: null, protocol: "0.10", acks: 1, idempotence: false, retries: 0 }, fixed);
    expect([k.commit, k.protocol, k.acks, k.idempotence, k.pipeline, k.transactional]).toEqual(["after-processing", "0.11", "all", true, "exactly-once", true]);
    expect(k.retries).toBe(SAFE_KNOBS.retries);
    const s = fuzzScenario(k, [], 1);
    expect(s.producers[0]?.config["transactional.id"]).toBe("tx-1");
    expect(s.consumers[0]?.processing.output?.transactional).toBe(true);
    // A drawn transactional producer without idempotence (acks=1) is not transactional.
    expect(fuzzScenario({ ...SAFE_KNOBS, acks: 1, transactional: true }, [], 1).producers[0]?.config["transactional.id"]).toBeNull();
  });
  it("idempotence is switched off where Kafka would refuse it", () => {
    const s = toScenario({ knobs: { ...SAFE_KNOBS, acks: 1 }, shape: { brokers: 3, partitions: 1, durationMs: 1000, drainMs: 500, ratePerSec: 10 }, episodes: [], seed: 1 });
    expect(s.producers[0]?.config["enable.idempotence"]).toBe(false);
  });
});

describe("drain long enough for a consumer group to recover", () => {
  it("a run with a group drains for the JoinGroup timeout (max.poll.interval.ms + 5 s) plus a second; without one, the shape's drain", () => {
    const withGroup = fuzzScenario({ ...SAFE_KNOBS, commit: "after-processing" }, [], 1);
    const without = fuzzScenario({ ...SAFE_KNOBS, commit: null }, [], 1);
    const c = withGroup.consumers[0];
    expect(c).toBeDefined();
    expect(withGroup.drainMs).toBe(groupRecoveryMs(c?.config ?? {}));
    expect(withGroup.drainMs).toBe((c?.config["max.poll.interval.ms"] ?? 0) + 5_000 + 1_000);
    expect(without.drainMs).toBe(DEFAULT_SHAPE.drainMs);
    // A group whose JoinGroup was lost in a partition (fuzz seed 4242, run 3692): unseen records with the shape's
    // 1.5 s drain, all consumed once the drain covers the recovery.
    expect(groupRecoveryMs({ "request.timeout.ms": 40_000, "max.poll.interval.ms": 1_000 })).toBe(41_000);
  });
});
