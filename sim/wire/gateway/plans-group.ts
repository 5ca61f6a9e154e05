// Plans for the group APIs: FindCoordinator (of a group, or of a transactional.id: the broker's transaction module
// answers that), JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit,
// OffsetFetch. The simulated coordinator (sim/broker/group/coordinator.ts) keeps a real client's protocol metadata
// and assignment bytes opaque, as Kafka's does; the gateway reads them (consumer-protocol.ts) only to tell it, and the
// history, which topics and partitions they name.
import type { TopicPartitionRef } from "../../kafka/protocol-group.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { Message } from "../../kafka/protocol.ts";
import { API_KEY } from "../api-keys.ts";
import type { FindCoordinatorRequest } from "../apis/find-coordinator.ts";
import type { HeartbeatRequest } from "../apis/heartbeat.ts";
import type { JoinGroupRequest } from "../apis/join-group.ts";
import type { LeaveGroupRequest } from "../apis/leave-group.ts";
import type { OffsetCommitRequest } from "../apis/offset-commit.ts";
import type { OffsetFetchRequest } from "../apis/offset-fetch.ts";
import type { SyncGroupRequest } from "../apis/sync-group.ts";
import { decodeAssignment, decodeSubscription, encodeAssignment } from "../consumer-protocol.ts";
import type { WireErrorName } from "../error-codes.ts";
import { answerOf, base64, fromBase64, localPlan, wireError, type Plan, type RequestContext } from "./plan.ts";

const EMPTY = new Uint8Array(0);
/** FindCoordinator key types (FindCoordinatorRequest.CoordinatorType). */
const COORDINATOR_KEY_GROUP = 0;
const COORDINATOR_KEY_TRANSACTION = 1;

/** The partitions of an assignment's bytes (none when they cannot be read). */
function assignedPartitions(bytes: Uint8Array): TopicPartitionRef[] {
  const a = decodeAssignment(bytes);
  if (!a.ok) return [];
  return a.value.partitions.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
}

export function planFindCoordinator(req: FindCoordinatorRequest, rc: RequestContext): Plan {
  if (req.keyType !== COORDINATOR_KEY_GROUP && req.keyType !== COORDINATOR_KEY_TRANSACTION) {
    // KafkaApis.handleFindCoordinatorRequest: CoordinatorType.forId throws InvalidRequestException.
    return localPlan({ apiKey: API_KEY.FindCoordinator, throttleTimeMs: 0, error: "INVALID_REQUEST", errorMessage: `Unknown coordinator type: ${req.keyType}`, nodeId: -1, host: "", port: -1 });
  }
  return {
    messages: [{ type: "group.find-coordinator", corr: rc.shared.corr(), keyType: req.keyType === COORDINATOR_KEY_GROUP ? "group" : "transaction", key: req.key }],
    awaitAnswers: true,
    respond(answers) {
      const r = answerOf(answers, "group.find-coordinator-response");
      const error: WireErrorName = r === undefined ? "UNKNOWN_SERVER_ERROR" : wireError(r.error);
      if (r === undefined || error !== "NONE") return { apiKey: API_KEY.FindCoordinator, throttleTimeMs: 0, error, errorMessage: null, nodeId: -1, host: "", port: -1 };
      return { apiKey: API_KEY.FindCoordinator, throttleTimeMs: 0, error, errorMessage: null, nodeId: r.nodeId, ...rc.shared.address(r.nodeId) };
    },
  };
}

export function planJoinGroup(req: JoinGroupRequest, rc: RequestContext): Plan {
  const { shared, client } = rc;
  const first = req.protocols[0];
  const sub = first === undefined ? undefined : decodeSubscription(first.metadata);
  const topics = sub !== undefined && sub.ok ? sub.value.topics : [];
  shared.clients.joinGroup(req.groupId, topics, req.sessionTimeoutMs, req.rebalanceTimeoutMs);
  return {
    messages: [
      {
        type: "group.join",
        corr: shared.corr(),
        group: req.groupId,
        memberId: req.memberId,
        sessionTimeoutMs: req.sessionTimeoutMs,
        // JoinGroup v0 has no rebalance timeout: Kafka takes the session timeout (JoinGroupRequest).
        rebalanceTimeoutMs: req.rebalanceTimeoutMs < 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs,
        topics,
        strategy: "range",
        protocols: req.protocols.map((p) => ({ name: p.name, metadata: base64(p.metadata) })),
      },
    ],
    awaitAnswers: true,
    respond(answers) {
      const r = answerOf(answers, "group.join-response");
      const error: WireErrorName = r === undefined ? "UNKNOWN_SERVER_ERROR" : wireError(r.error);
      if (r !== undefined && error === "NONE") shared.clients.member(client, req.groupId, r.memberId);
      return {
        apiKey: API_KEY.JoinGroup,
        throttleTimeMs: 0,
        error,
        generationId: r?.generation ?? -1,
        protocolName: r?.protocol ?? "",
        leader: r?.leaderId ?? "",
        memberId: r?.memberId ?? req.memberId,
        members: (r?.members ?? []).map((m) => ({ memberId: m.memberId, groupInstanceId: null, metadata: m.metadata === undefined ? EMPTY : fromBase64(m.metadata) })),
      };
    },
  };
}

export function planSyncGroup(req: SyncGroupRequest, rc: RequestContext): Plan {
  const { shared, client } = rc;
  let assignment: Uint8Array = EMPTY;
  let error: WireErrorName = "UNKNOWN_SERVER_ERROR";
  return {
    messages: [
      {
        type: "group.sync",
        corr: shared.corr(),
        group: req.groupId,
        generation: req.generationId,
        memberId: req.memberId,
        assignments: req.assignments.map((a) => ({ memberId: a.memberId, partitions: assignedPartitions(a.assignment), assignment: base64(a.assignment) })),
      },
    ],
    awaitAnswers: true,
    respond(answers) {
      const r = answerOf(answers, "group.sync-response");
      error = r === undefined ? "UNKNOWN_SERVER_ERROR" : wireError(r.error);
      if (r !== undefined && error === "NONE") {
        // The leader's bytes as it wrote them; a member whose leader sent none (a modelled leader) gets its
        // partitions in the standard format.
        assignment = r.assignment !== undefined ? fromBase64(r.assignment) : r.partitions.length === 0 ? EMPTY : encodeAssignment(groupByTopic(r.partitions));
      }
      return { apiKey: API_KEY.SyncGroup, throttleTimeMs: 0, error, assignment };
    },
    released(timeUs) {
      if (error === "NONE") shared.clients.assign(timeUs, client, req.groupId, req.memberId, req.generationId, assignedPartitions(assignment));
    },
  };
}

function groupByTopic(ps: readonly TopicPartitionRef[]): { topic: string; partitions: number[] }[] {
  const m = new Map<string, number[]>();
  for (const p of ps) {
    const l = m.get(p.topic);
    if (l === undefined) m.set(p.topic, [p.partition]);
    else l.push(p.partition);
  }
  return [...m].map(([topic, partitions]) => ({ topic, partitions }));
}

export function planHeartbeat(req: HeartbeatRequest, rc: RequestContext): Plan {
  return {
    messages: [{ type: "group.heartbeat", corr: rc.shared.corr(), group: req.groupId, generation: req.generationId, memberId: req.memberId }],
    awaitAnswers: true,
    respond(answers) {
      const r = answerOf(answers, "group.heartbeat-response");
      return { apiKey: API_KEY.Heartbeat, throttleTimeMs: 0, error: r === undefined ? "UNKNOWN_SERVER_ERROR" : wireError(r.error) };
    },
  };
}

const COORDINATOR_ERRORS: ReadonlySet<WireErrorName> = new Set(["NOT_COORDINATOR", "COORDINATOR_NOT_AVAILABLE", "COORDINATOR_LOAD_IN_PROGRESS"]);

export function planLeaveGroup(req: LeaveGroupRequest, rc: RequestContext): Plan {
  const messages: Message[] = req.members.map((m) => ({ type: "group.leave", corr: rc.shared.corr(), group: req.groupId, memberId: m.memberId, reason: "leave-group" }));
  return {
    messages,
    awaitAnswers: messages.length > 0,
    respond(answers) {
      const errors: WireErrorName[] = req.members.map((_, i) => {
        const r = answerOf(answers, "group.leave-response", i);
        return r === undefined ? "UNKNOWN_SERVER_ERROR" : wireError(r.error);
      });
      // A coordinator error is the request's (KafkaApis.handleLeaveGroupRequest); v0-2 carry one error only.
      const top = errors.find((e) => COORDINATOR_ERRORS.has(e)) ?? (req.members.length === 1 ? (errors[0] as WireErrorName) : "NONE");
      return { apiKey: API_KEY.LeaveGroup, throttleTimeMs: 0, error: top, members: req.members.map((m, i) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, error: errors[i] as WireErrorName })) };
    },
  };
}

export function planOffsetCommit(req: OffsetCommitRequest, rc: RequestContext): Plan {
  const { shared, client, nowUs } = rc;
  const offsets = req.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset })));
  const process = shared.clients.processOf(client, req.memberId);
  shared.clients.commitInvoke(nowUs, process, req.groupId, req.generationId, offsets);
  let error: KafkaErrorCode | null = null;
  return {
    messages: [{ type: "group.offset-commit", corr: shared.corr(), group: req.groupId, generation: req.generationId, memberId: req.memberId, offsets }],
    awaitAnswers: true,
    respond(answers) {
      const r = answerOf(answers, "group.offset-commit-response");
      error = r?.error ?? null;
      const e: WireErrorName = r === undefined ? "UNKNOWN_SERVER_ERROR" : wireError(r.error);
      return { apiKey: API_KEY.OffsetCommit, throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, error: e })) })) };
    },
    released(timeUs) {
      if (error !== null) shared.clients.commitDone(timeUs, process, req.groupId, req.generationId, offsets, error);
    },
  };
}

export function planOffsetFetch(req: OffsetFetchRequest, rc: RequestContext): Plan {
  // topics null (v2+: every partition the group committed) is answered with none: the simulated coordinator is
  // asked by partition.
  const partitions = (req.topics ?? []).flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
  return {
    messages: [{ type: "group.offset-fetch", corr: rc.shared.corr(), group: req.groupId, partitions }],
    awaitAnswers: true,
    respond(answers) {
      const r = answerOf(answers, "group.offset-fetch-response");
      const error: WireErrorName = r === undefined ? "UNKNOWN_SERVER_ERROR" : wireError(r.error);
      const byTp = new Map((r?.offsets ?? []).map((o) => [`${o.topic}\u0000${o.partition}`, o.offset]));
      return {
        apiKey: API_KEY.OffsetFetch,
        throttleTimeMs: 0,
        error,
        // The versions without a top-level error (v0-1) carry it per partition.
        topics: (req.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((i) => ({ partitionIndex: i, committedOffset: byTp.get(`${t.name}\u0000${i}`) ?? -1, metadata: null, error })) })),
      };
    },
  };
}
