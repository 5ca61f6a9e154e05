import { describe, expect, it } from "vitest";
import { controllerConfig, defaultControllerConfig, defaultQuorumConfig, quorumConfig } from "./config.ts";

describe("KRaft configs", () => {
  it("have Kafka's defaults (QuorumConfig, KRaftConfigs)", () => {
    expect(defaultQuorumConfig(true)).toEqual({ electionTimeoutMs: 1000, fetchTimeoutMs: 2000, electionBackoffMaxMs: 1000, appendLingerMs: 25, requestTimeoutMs: 2000, retryBackoffMs: 20, fetchMaxWaitMs: 500, preVote: true, fetchHighWatermark: false });
    expect(defaultQuorumConfig(true, true).fetchHighWatermark).toBe(true);
    expect(defaultControllerConfig()).toEqual({
      brokerSessionTimeoutMs: 9000,
      brokerHeartbeatIntervalMs: 2000,
      metadataMaxIdleIntervalMs: 500,
      uncleanLeaderElectionCheckIntervalMs: 300_000,
      eligibleLeaderReplicasVersion: 0,
      minInsyncReplicas: 1,
      uncleanLeaderElectionEnable: false,
    });
    expect(quorumConfig({ "controller.quorum.fetch.timeout.ms": 500 }, { preVote: false }).fetchTimeoutMs).toBe(500);
  });

  it("name the key, the allowed values and a near miss in their errors", () => {
    expect(() => quorumConfig({ "controller.quorum.election.timeout": 5 }, { preVote: true })).toThrow(/^controller.quorum.election.timeout: unknown key; did you mean "controller.quorum.election.timeout.ms"\? Allowed: controller.quorum.election.timeout.ms, /);
    expect(() => quorumConfig({ "controller.quorum.fetch.timeout.ms": -1 }, { preVote: true })).toThrow(/^controller.quorum.fetch.timeout.ms: expected an integer ≥ 1, got -1$/);
    expect(() => controllerConfig({ "eligible.leader.replicas.version": 2 })).toThrow(/^eligible.leader.replicas.version: allowed values are 0 and 1, got 2$/);
    expect(() => controllerConfig({ "broker.heartbeat.interval.ms": 9000 })).toThrow(/^broker.heartbeat.interval.ms: 9000 must be below broker.session.timeout.ms \(9000\)$/);
  });
});
