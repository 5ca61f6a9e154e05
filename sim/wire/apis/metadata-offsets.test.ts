// Round trips against kafkajs for Metadata, ListOffsets, OffsetCommit, OffsetFetch and InitProducerId.
import fc from "fast-check";
import { describe, it } from "vitest";
import { errorNumber } from "../error-codes.ts";
import { errorName, int32s, int64, name, nullableName } from "../testkit/arbitraries.ts";
import { checkRequests, checkResponses, supportedVersions, throttle } from "../testkit/roundtrip.ts";
import type { InitProducerIdResponse } from "./init-producer-id.ts";
import type { ListOffsetsResponse } from "./list-offsets.ts";
import type { MetadataResponse } from "./metadata.ts";
import type { OffsetCommitResponse } from "./offset-commit.ts";
import type { OffsetFetchResponse } from "./offset-fetch.ts";

const throttleMs = fc.nat(10_000);

describe("Metadata", () => {
  const args = fc.record({ topics: fc.array(name, { maxLength: 4 }), allowAutoTopicCreation: fc.boolean() });
  const response: fc.Arbitrary<MetadataResponse> = fc.record({
    apiKey: fc.constant(3 as const),
    throttleTimeMs: throttleMs,
    brokers: fc.array(fc.record({ nodeId: fc.nat(10), host: name, port: fc.nat(65535), rack: nullableName }), { maxLength: 3 }),
    clusterId: nullableName,
    controllerId: fc.integer({ min: -1, max: 10 }),
    topics: fc.array(
      fc.record({
        error: errorName,
        name,
        isInternal: fc.boolean(),
        partitions: fc.array(fc.record({ error: errorName, partitionIndex: fc.nat(50), leaderId: fc.integer({ min: -1, max: 10 }), replicaNodes: int32s, isrNodes: int32s, offlineReplicas: int32s }), { maxLength: 3 }),
      }),
      { maxLength: 3 },
    ),
  });
  it.each(supportedVersions("Metadata"))("v%i: request from kafkajs", (v) =>
    checkRequests("Metadata", v, args, (a, v) => ({
      apiKey: 3,
      // v0: an empty list means all topics; kafkajs sends an empty list as null from v1
      topics: a.topics.length === 0 ? null : a.topics,
      allowAutoTopicCreation: v >= 4 ? a.allowAutoTopicCreation : true,
    })),
  );
  it.each(supportedVersions("Metadata"))("v%i: response to kafkajs", (v) =>
    checkResponses("Metadata", v, response, (res, v) => ({
      ...throttle(v, 3, 6, res.throttleTimeMs),
      brokers: res.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, ...(v >= 1 ? { rack: b.rack } : {}) })),
      ...(v >= 2 ? { clusterId: res.clusterId } : {}),
      ...(v >= 1 ? { controllerId: res.controllerId } : {}),
      topicMetadata: res.topics.map((t) => ({
        topicErrorCode: errorNumber(t.error),
        topic: t.name,
        ...(v >= 1 ? { isInternal: t.isInternal } : {}),
        partitionMetadata: t.partitions.map((p) => ({
          partitionErrorCode: errorNumber(p.error),
          partitionId: p.partitionIndex,
          leader: p.leaderId,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
          ...(v >= 5 ? { offlineReplicas: p.offlineReplicas } : {}),
        })),
      })),
    })),
  );
});

describe("ListOffsets", () => {
  const args = fc.record({
    replicaId: fc.constantFrom(-1, 1),
    isolationLevel: fc.constantFrom(0, 1),
    topics: fc.array(
      fc.record({ topic: name, partitions: fc.array(fc.record({ partition: fc.nat(50), timestamp: fc.oneof(fc.constantFrom(-1, -2), fc.nat()), maxNumOffsets: fc.nat(5) }), { maxLength: 3 }) }),
      { maxLength: 3 },
    ),
  });
  const response: fc.Arbitrary<ListOffsetsResponse> = fc.record({
    apiKey: fc.constant(2 as const),
    throttleTimeMs: throttleMs,
    topics: fc.array(
      fc.record({
        name,
        partitions: fc.array(fc.record({ partitionIndex: fc.nat(50), error: errorName, oldStyleOffsets: fc.array(int64, { maxLength: 3 }), timestamp: int64, offset: int64 }), { maxLength: 3 }),
      }),
      { maxLength: 3 },
    ),
  });
  it.each(supportedVersions("ListOffsets"))("v%i: request from kafkajs", (v) =>
    checkRequests("ListOffsets", v, args, (a, v) => ({
      apiKey: 2,
      replicaId: a.replicaId,
      isolationLevel: v >= 2 ? a.isolationLevel : 0,
      topics: a.topics.map((t) => ({
        name: t.topic,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, timestamp: p.timestamp, maxNumOffsets: v === 0 ? p.maxNumOffsets : 1 })),
      })),
    })),
  );
  it.each(supportedVersions("ListOffsets"))("v%i: response to kafkajs", (v) =>
    checkResponses("ListOffsets", v, response, (res, v) => ({
      ...throttle(v, 2, 3, res.throttleTimeMs),
      responses: res.topics.map((t) => ({
        topic: t.name,
        partitions: t.partitions.map((p) =>
          v === 0
            ? { partition: p.partitionIndex, errorCode: errorNumber(p.error), offsets: p.oldStyleOffsets.map(String) }
            : { partition: p.partitionIndex, errorCode: errorNumber(p.error), timestamp: String(p.timestamp), offset: String(p.offset) },
        ),
      })),
    })),
  );
});

describe("OffsetCommit", () => {
  const args = fc.record({
    groupId: name,
    groupGenerationId: fc.integer({ min: -1, max: 100 }),
    memberId: fc.oneof(fc.constant(""), name),
    retentionTime: fc.oneof(fc.constant(-1), fc.nat()),
    topics: fc.array(
      fc.record({
        topic: name,
        partitions: fc.array(fc.record({ partition: fc.nat(50), offset: fc.nat().map(String), timestamp: fc.integer({ min: 0, max: 2 ** 42 }), metadata: nullableName }), { maxLength: 3 }),
      }),
      { maxLength: 3 },
    ),
  });
  const response: fc.Arbitrary<OffsetCommitResponse> = fc.record({
    apiKey: fc.constant(8 as const),
    throttleTimeMs: throttleMs,
    topics: fc.array(fc.record({ name, partitions: fc.array(fc.record({ partitionIndex: fc.nat(50), error: errorName }), { maxLength: 3 }) }), { maxLength: 3 }),
  });
  it.each(supportedVersions("OffsetCommit"))("v%i: request from kafkajs", (v) =>
    checkRequests("OffsetCommit", v, args, (a, v) => ({
      apiKey: 8,
      groupId: a.groupId,
      generationId: v >= 1 ? a.groupGenerationId : -1,
      memberId: v >= 1 ? a.memberId : "",
      retentionTimeMs: v >= 2 && v <= 4 ? a.retentionTime : -1,
      topics: a.topics.map((t) => ({
        name: t.topic,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, committedOffset: Number(p.offset), commitTimestamp: v === 1 ? p.timestamp : -1, committedMetadata: p.metadata })),
      })),
    })),
  );
  it.each(supportedVersions("OffsetCommit"))("v%i: response to kafkajs", (v) =>
    checkResponses("OffsetCommit", v, response, (res, v) => ({
      ...throttle(v, 3, 4, res.throttleTimeMs),
      responses: res.topics.map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => ({ partition: p.partitionIndex, errorCode: errorNumber(p.error) })) })),
    })),
  );
});

describe("OffsetFetch", () => {
  const args = fc.record({ groupId: name, topics: fc.array(fc.record({ topic: name, partitions: fc.array(fc.record({ partition: fc.nat(50) }), { maxLength: 3 }) }), { maxLength: 3 }) });
  const response: fc.Arbitrary<OffsetFetchResponse> = fc.record({
    apiKey: fc.constant(9 as const),
    throttleTimeMs: throttleMs,
    topics: fc.array(fc.record({ name, partitions: fc.array(fc.record({ partitionIndex: fc.nat(50), committedOffset: int64, metadata: nullableName, error: errorName }), { maxLength: 3 }) }), { maxLength: 3 }),
    error: errorName,
  });
  it.each(supportedVersions("OffsetFetch"))("v%i: request from kafkajs", (v) =>
    checkRequests("OffsetFetch", v, args, (a, v) => ({
      apiKey: 9,
      groupId: a.groupId,
      // from v3 kafkajs writes an empty list as null: "every committed partition" (Kafka's meaning of null, v2+)
      topics: v >= 3 && a.topics.length === 0 ? null : a.topics.map((t) => ({ name: t.topic, partitionIndexes: t.partitions.map((p) => p.partition) })),
    })),
  );
  it.each(supportedVersions("OffsetFetch"))("v%i: response to kafkajs", (v) =>
    checkResponses("OffsetFetch", v, response, (res, v) => ({
      ...throttle(v, 3, 4, res.throttleTimeMs),
      responses: res.topics.map((t) => ({
        topic: t.name,
        partitions: t.partitions.map((p) => ({ partition: p.partitionIndex, offset: String(p.committedOffset), metadata: p.metadata, errorCode: errorNumber(p.error) })),
      })),
      ...(v >= 2 ? { errorCode: errorNumber(res.error) } : {}),
    })),
  );
});

describe("InitProducerId", () => {
  const args = fc.record({ transactionalId: nullableName, transactionTimeout: fc.nat() });
  const response: fc.Arbitrary<InitProducerIdResponse> = fc.record({
    apiKey: fc.constant(22 as const),
    throttleTimeMs: throttleMs,
    error: errorName,
    producerId: int64,
    producerEpoch: fc.integer({ min: -1, max: 0x7fff }),
  });
  it.each(supportedVersions("InitProducerId"))("v%i: request from kafkajs", (v) =>
    checkRequests("InitProducerId", v, args, (a) => ({ apiKey: 22, transactionalId: a.transactionalId, transactionTimeoutMs: a.transactionTimeout })),
  );
  it.each(supportedVersions("InitProducerId"))("v%i: response to kafkajs", (v) =>
    checkResponses("InitProducerId", v, response, (res, v) => ({
      ...throttle(v, 0, 1, res.throttleTimeMs),
      errorCode: errorNumber(res.error),
      producerId: String(res.producerId),
      producerEpoch: res.producerEpoch,
    })),
  );
});
