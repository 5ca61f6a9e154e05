// Round trips against kafkajs for the transaction APIs: AddPartitionsToTxn, AddOffsetsToTxn, EndTxn,
// TxnOffsetCommit (kafkajs's request encoders → our decoders; our response encoders → kafkajs's decoders).
import fc from "fast-check";
import { describe, it } from "vitest";
import { errorNumber } from "../error-codes.ts";
import { errorName, int16, int64, name, nullableName } from "../testkit/arbitraries.ts";
import { checkRequests, checkResponses, supportedVersions, throttle } from "../testkit/roundtrip.ts";
import type { AddOffsetsToTxnResponse, AddPartitionsToTxnResponse, EndTxnResponse, TopicPartitionErrors, TxnOffsetCommitResponse } from "./txn.ts";

const throttleMs = fc.nat(10_000);
const partitionIndex = fc.nat(1000);
const ids = { transactionalId: name, producerId: int64, producerEpoch: int16 };
const topicErrors: fc.Arbitrary<TopicPartitionErrors[]> = fc.array(fc.record({ name, partitions: fc.array(fc.record({ partitionIndex, error: errorName }), { maxLength: 3 }) }), { maxLength: 3 });
const kafkajsTopicErrors = (ts: readonly TopicPartitionErrors[]) => ts.map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => ({ partition: p.partitionIndex, errorCode: errorNumber(p.error) })) }));

describe("AddPartitionsToTxn", () => {
  const args = fc.record({ ...ids, topics: fc.array(fc.record({ topic: name, partitions: fc.array(partitionIndex, { maxLength: 4 }) }), { maxLength: 3 }) });
  const response: fc.Arbitrary<AddPartitionsToTxnResponse> = fc.record({ apiKey: fc.constant(24 as const), throttleTimeMs: throttleMs, results: topicErrors });
  it.each(supportedVersions("AddPartitionsToTxn"))("v%i: request from kafkajs", (v) =>
    checkRequests("AddPartitionsToTxn", v, args, (a) => ({ apiKey: 24, transactionalId: a.transactionalId, producerId: a.producerId, producerEpoch: a.producerEpoch, topics: a.topics.map((t) => ({ name: t.topic, partitions: t.partitions })) })),
  );
  it.each(supportedVersions("AddPartitionsToTxn"))("v%i: response to kafkajs", (v) =>
    checkResponses("AddPartitionsToTxn", v, response, (res, v) => ({
      ...throttle(v, 0, 1, res.throttleTimeMs),
      errors: res.results.map((t) => ({ topic: t.name, partitionErrors: t.partitions.map((p) => ({ partition: p.partitionIndex, errorCode: errorNumber(p.error) })) })),
    })),
  );
});

describe("AddOffsetsToTxn", () => {
  const args = fc.record({ ...ids, groupId: name });
  const response: fc.Arbitrary<AddOffsetsToTxnResponse> = fc.record({ apiKey: fc.constant(25 as const), throttleTimeMs: throttleMs, error: errorName });
  it.each(supportedVersions("AddOffsetsToTxn"))("v%i: request from kafkajs", (v) =>
    checkRequests("AddOffsetsToTxn", v, args, (a) => ({ apiKey: 25, transactionalId: a.transactionalId, producerId: a.producerId, producerEpoch: a.producerEpoch, groupId: a.groupId })),
  );
  it.each(supportedVersions("AddOffsetsToTxn"))("v%i: response to kafkajs", (v) =>
    checkResponses("AddOffsetsToTxn", v, response, (res, v) => ({ ...throttle(v, 0, 1, res.throttleTimeMs), errorCode: errorNumber(res.error) })),
  );
});

describe("EndTxn", () => {
  const args = fc.record({ ...ids, transactionResult: fc.boolean() });
  const response: fc.Arbitrary<EndTxnResponse> = fc.record({ apiKey: fc.constant(26 as const), throttleTimeMs: throttleMs, error: errorName });
  it.each(supportedVersions("EndTxn"))("v%i: request from kafkajs", (v) =>
    checkRequests("EndTxn", v, args, (a) => ({ apiKey: 26, transactionalId: a.transactionalId, producerId: a.producerId, producerEpoch: a.producerEpoch, committed: a.transactionResult })),
  );
  it.each(supportedVersions("EndTxn"))("v%i: response to kafkajs", (v) =>
    checkResponses("EndTxn", v, response, (res, v) => ({ ...throttle(v, 0, 1, res.throttleTimeMs), errorCode: errorNumber(res.error) })),
  );
});

describe("TxnOffsetCommit", () => {
  const args = fc.record({
    ...ids,
    groupId: name,
    topics: fc.array(fc.record({ topic: name, partitions: fc.array(fc.record({ partition: partitionIndex, offset: fc.nat().map(String), metadata: nullableName }), { maxLength: 3 }) }), { maxLength: 3 }),
  });
  const response: fc.Arbitrary<TxnOffsetCommitResponse> = fc.record({ apiKey: fc.constant(28 as const), throttleTimeMs: throttleMs, topics: topicErrors });
  it.each(supportedVersions("TxnOffsetCommit"))("v%i: request from kafkajs", (v) =>
    checkRequests("TxnOffsetCommit", v, args, (a) => ({
      apiKey: 28,
      transactionalId: a.transactionalId,
      groupId: a.groupId,
      producerId: a.producerId,
      producerEpoch: a.producerEpoch,
      topics: a.topics.map((t) => ({ name: t.topic, partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, committedOffset: Number(p.offset), committedMetadata: p.metadata })) })),
    })),
  );
  it.each(supportedVersions("TxnOffsetCommit"))("v%i: response to kafkajs", (v) =>
    checkResponses("TxnOffsetCommit", v, response, (res, v) => ({ ...throttle(v, 0, 1, res.throttleTimeMs), topics: kafkajsTopicErrors(res.topics) })),
  );
});
