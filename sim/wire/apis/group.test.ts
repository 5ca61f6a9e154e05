// Round trips against kafkajs for the consumer group APIs: FindCoordinator, JoinGroup, SyncGroup, Heartbeat,
// LeaveGroup.
import fc from "fast-check";
import { describe, it } from "vitest";
import { errorNumber } from "../error-codes.ts";
import { bytes, errorName, int32, name, nullableName, u8 } from "../testkit/arbitraries.ts";
import { checkRequests, checkResponses, supportedVersions, throttle } from "../testkit/roundtrip.ts";
import type { FindCoordinatorResponse } from "./find-coordinator.ts";
import type { HeartbeatResponse } from "./heartbeat.ts";
import type { JoinGroupResponse } from "./join-group.ts";
import type { LeaveGroupResponse } from "./leave-group.ts";
import type { SyncGroupResponse } from "./sync-group.ts";

const throttleMs = fc.nat(10_000);
const memberId = fc.oneof(fc.constant(""), name);

describe("FindCoordinator", () => {
  const args = fc.record({ groupId: name, coordinatorType: fc.constantFrom(0, 1) });
  const response: fc.Arbitrary<FindCoordinatorResponse> = fc.record({
    apiKey: fc.constant(10 as const),
    throttleTimeMs: throttleMs,
    error: errorName,
    errorMessage: nullableName,
    nodeId: fc.integer({ min: -1, max: 10 }),
    host: name,
    port: fc.nat(65535),
  });
  it.each(supportedVersions("FindCoordinator"))("v%i: request from kafkajs", (v) =>
    checkRequests("FindCoordinator", v, args, (a, v) => ({ apiKey: 10, key: a.groupId, keyType: v >= 1 ? a.coordinatorType : 0 })),
  );
  it.each(supportedVersions("FindCoordinator"))("v%i: response to kafkajs", (v) =>
    checkResponses("FindCoordinator", v, response, (res, v) => ({
      ...throttle(v, 1, 2, res.throttleTimeMs),
      errorCode: errorNumber(res.error),
      ...(v >= 1 ? { errorMessage: res.errorMessage } : {}),
      coordinator: { nodeId: res.nodeId, host: res.host, port: res.port },
    })),
  );
});

describe("JoinGroup", () => {
  const args = fc.record({
    groupId: name,
    sessionTimeout: fc.nat(300_000),
    rebalanceTimeout: fc.nat(300_000),
    memberId,
    groupInstanceId: nullableName,
    protocolType: fc.constant("consumer"),
    groupProtocols: fc.array(fc.record({ name, metadata: bytes }), { minLength: 1, maxLength: 3 }),
  });
  const response: fc.Arbitrary<JoinGroupResponse> = fc.record({
    apiKey: fc.constant(11 as const),
    throttleTimeMs: throttleMs,
    error: errorName,
    generationId: int32,
    protocolName: name,
    leader: memberId,
    memberId,
    members: fc.array(fc.record({ memberId: name, groupInstanceId: nullableName, metadata: bytes }), { maxLength: 3 }),
  });
  it.each(supportedVersions("JoinGroup"))("v%i: request from kafkajs", (v) =>
    checkRequests("JoinGroup", v, args, (a, v) => ({
      apiKey: 11,
      groupId: a.groupId,
      sessionTimeoutMs: a.sessionTimeout,
      rebalanceTimeoutMs: v >= 1 ? a.rebalanceTimeout : -1,
      memberId: a.memberId,
      groupInstanceId: v >= 5 ? a.groupInstanceId : null,
      protocolType: a.protocolType,
      protocols: a.groupProtocols.map((p) => ({ name: p.name, metadata: u8(p.metadata) })),
    })),
  );
  it.each(supportedVersions("JoinGroup"))("v%i: response to kafkajs", (v) =>
    checkResponses("JoinGroup", v, response, (res, v) => ({
      ...throttle(v, 2, 3, res.throttleTimeMs),
      errorCode: errorNumber(res.error),
      generationId: res.generationId,
      groupProtocol: res.protocolName,
      leaderId: res.leader,
      memberId: res.memberId,
      members: res.members.map((m) => ({ memberId: m.memberId, ...(v >= 5 ? { groupInstanceId: m.groupInstanceId } : {}), memberMetadata: Buffer.from(m.metadata) })),
    })),
  );
});

describe("SyncGroup", () => {
  const args = fc.record({
    groupId: name,
    generationId: int32,
    memberId: name,
    groupInstanceId: nullableName,
    groupAssignment: fc.array(fc.record({ memberId: name, memberAssignment: bytes }), { maxLength: 3 }),
  });
  const response: fc.Arbitrary<SyncGroupResponse> = fc.record({ apiKey: fc.constant(14 as const), throttleTimeMs: throttleMs, error: errorName, assignment: bytes });
  it.each(supportedVersions("SyncGroup"))("v%i: request from kafkajs", (v) =>
    checkRequests("SyncGroup", v, args, (a, v) => ({
      apiKey: 14,
      groupId: a.groupId,
      generationId: a.generationId,
      memberId: a.memberId,
      groupInstanceId: v >= 3 ? a.groupInstanceId : null,
      assignments: a.groupAssignment.map((g) => ({ memberId: g.memberId, assignment: u8(g.memberAssignment) })),
    })),
  );
  it.each(supportedVersions("SyncGroup"))("v%i: response to kafkajs", (v) =>
    checkResponses("SyncGroup", v, response, (res, v) => ({ ...throttle(v, 1, 2, res.throttleTimeMs), errorCode: errorNumber(res.error), memberAssignment: Buffer.from(res.assignment) })),
  );
});

describe("Heartbeat", () => {
  const args = fc.record({ groupId: name, groupGenerationId: int32, memberId: name, groupInstanceId: nullableName });
  const response: fc.Arbitrary<HeartbeatResponse> = fc.record({ apiKey: fc.constant(12 as const), throttleTimeMs: throttleMs, error: errorName });
  it.each(supportedVersions("Heartbeat"))("v%i: request from kafkajs", (v) =>
    checkRequests("Heartbeat", v, args, (a, v) => ({ apiKey: 12, groupId: a.groupId, generationId: a.groupGenerationId, memberId: a.memberId, groupInstanceId: v >= 3 ? a.groupInstanceId : null })),
  );
  it.each(supportedVersions("Heartbeat"))("v%i: response to kafkajs", (v) =>
    checkResponses("Heartbeat", v, response, (res, v) => ({ ...throttle(v, 1, 2, res.throttleTimeMs), errorCode: errorNumber(res.error) })),
  );
});

describe("LeaveGroup", () => {
  const args = fc.record({ groupId: name, memberId: name, groupInstanceId: nullableName });
  const response: fc.Arbitrary<LeaveGroupResponse> = fc.record({
    apiKey: fc.constant(13 as const),
    throttleTimeMs: throttleMs,
    error: errorName,
    members: fc.array(fc.record({ memberId: name, groupInstanceId: nullableName, error: errorName }), { maxLength: 3 }),
  });
  it.each(supportedVersions("LeaveGroup"))("v%i: request from kafkajs", (v) =>
    checkRequests("LeaveGroup", v, args, (a, v) => ({ apiKey: 13, groupId: a.groupId, members: [{ memberId: a.memberId, groupInstanceId: v >= 3 ? a.groupInstanceId : null }] })),
  );
  it.each(supportedVersions("LeaveGroup"))("v%i: response to kafkajs", (v) =>
    checkResponses("LeaveGroup", v, response, (res, v) => ({
      ...throttle(v, 1, 2, res.throttleTimeMs),
      errorCode: errorNumber(res.error),
      ...(v >= 3 ? { members: res.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: errorNumber(m.error) })) } : {}),
    })),
  );
});
