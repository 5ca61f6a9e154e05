import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SUPPORTED_VERSIONS } from "../api-keys.ts";
import { decodeRequest, encodeResponse } from "../codec.ts";
import { errorNumber } from "../error-codes.ts";
import { Reader } from "../reader.ts";
import type { RecordBatch } from "../record-batch.ts";
import { FC, errorName, int32, int64, name, recordBatch, type ArbValue } from "../testkit/arbitraries.ts";
import { kafkajsDecodeResponse, kafkajsRequestFrame } from "../testkit/kafkajs.ts";
import type { FetchRequest, FetchResponse } from "./fetch.ts";

const VERSIONS = Array.from({ length: SUPPORTED_VERSIONS.Fetch.max - SUPPORTED_VERSIONS.Fetch.min + 1 }, (_, i) => SUPPORTED_VERSIONS.Fetch.min + i);

const fetchArgs = fc.record({
  replicaId: fc.constantFrom(-1, 2),
  isolationLevel: fc.constantFrom(0, 1),
  sessionId: fc.nat(),
  sessionEpoch: fc.integer({ min: -1, max: 1000 }),
  forgottenTopics: fc.array(fc.record({ topic: name, partitions: fc.array(fc.nat(50), { maxLength: 3 }) }), { maxLength: 2 }),
  maxWaitTime: fc.integer({ min: 0, max: 30_000 }),
  minBytes: fc.integer({ min: 0, max: 1_000_000 }),
  maxBytes: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  rackId: fc.constantFrom("", "rack-a"),
  topics: fc.array(
    fc.record({
      topic: name,
      partitions: fc.array(
        fc.record({
          partition: fc.nat(100),
          currentLeaderEpoch: fc.integer({ min: -1, max: 500 }),
          // the consumer hands kafkajs offsets as strings
          fetchOffset: fc.nat().map(String),
          logStartOffset: fc.integer({ min: -1, max: 1000 }),
          maxBytes: fc.nat(),
        }),
        { maxLength: 3 },
      ),
    }),
    { maxLength: 3 },
  ),
});

function expected(a: ArbValue<typeof fetchArgs>, v: number): FetchRequest {
  return {
    apiKey: 1,
    replicaId: a.replicaId,
    maxWaitMs: a.maxWaitTime,
    minBytes: a.minBytes,
    maxBytes: a.maxBytes,
    isolationLevel: a.isolationLevel,
    sessionId: v >= 7 ? a.sessionId : 0,
    sessionEpoch: v >= 7 ? a.sessionEpoch : -1,
    topics: a.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => ({
        partition: p.partition,
        currentLeaderEpoch: v >= 9 ? p.currentLeaderEpoch : -1,
        fetchOffset: Number(p.fetchOffset),
        logStartOffset: v >= 5 ? p.logStartOffset : -1,
        partitionMaxBytes: p.maxBytes,
      })),
    })),
    forgottenTopicsData: v >= 7 ? a.forgottenTopics : [],
    rackId: v >= 11 ? a.rackId : "",
  };
}

/** kafkajs's view of the records of our batches: what its consumer gets (src/protocol/recordBatch/record/v0/decoder.js). */
function kafkajsRecords(batches: readonly RecordBatch[]): unknown[] {
  return batches.flatMap((b) =>
    b.records.map((r) => ({
      offset: String(b.baseOffset + r.offsetDelta),
      timestamp: b.timestampType === "LogAppendTime" ? String(b.maxTimestamp) : String(b.baseTimestamp + r.timestampDelta),
      key: r.key === null ? null : Buffer.from(r.key),
      value: r.value === null ? null : Buffer.from(r.value),
      headers: r.headers.reduce<Record<string, unknown>>((o, h) => {
        const v = h.value === null ? null : Buffer.from(h.value);
        const prev = o[h.key];
        return { ...o, [h.key]: prev === undefined ? v : Array.isArray(prev) ? [...(prev as unknown[]), v] : [prev, v] };
      }, {}),
      isControlRecord: b.isControl,
      batch: {
        firstOffset: String(b.baseOffset),
        partitionLeaderEpoch: b.partitionLeaderEpoch,
        inTransaction: b.isTransactional,
        isControlBatch: b.isControl,
        lastOffsetDelta: b.lastOffsetDelta,
        producerId: String(b.producerId),
        producerEpoch: b.producerEpoch,
        firstSequence: b.baseSequence,
        maxTimestamp: String(b.maxTimestamp),
      },
    })),
  );
}

function kafkajsRecordView(m: Record<string, unknown>): unknown {
  const c = m.batchContext as Record<string, unknown>;
  return {
    offset: m.offset,
    timestamp: m.timestamp,
    key: m.key,
    value: m.value,
    headers: m.headers,
    isControlRecord: m.isControlRecord,
    batch: {
      firstOffset: c.firstOffset,
      partitionLeaderEpoch: c.partitionLeaderEpoch,
      inTransaction: c.inTransaction,
      isControlBatch: c.isControlBatch,
      lastOffsetDelta: c.lastOffsetDelta,
      producerId: c.producerId,
      producerEpoch: c.producerEpoch,
      firstSequence: c.firstSequence,
      maxTimestamp: c.maxTimestamp,
    },
  };
}

const fetchResponse: fc.Arbitrary<FetchResponse> = fc.record({
  apiKey: fc.constant(1 as const),
  throttleTimeMs: fc.nat(10_000),
  error: fc.constantFrom("NONE" as const, "FETCH_SESSION_ID_NOT_FOUND" as const),
  sessionId: fc.nat(),
  responses: fc.array(
    fc.record({
      topic: name,
      partitions: fc.array(
        fc.record({
          partitionIndex: fc.nat(100),
          error: errorName,
          highWatermark: int64,
          lastStableOffset: int64,
          logStartOffset: int64,
          abortedTransactions: fc.option(fc.array(fc.record({ producerId: int64, firstOffset: int64 }), { maxLength: 2 }), { nil: null }),
          preferredReadReplica: fc.oneof(fc.constant(-1), int32),
          records: fc.array(recordBatch, { maxLength: 3 }),
        }),
        { maxLength: 3 },
      ),
    }),
    { maxLength: 2 },
  ),
});

describe("Fetch", () => {
  it.each(VERSIONS)("v%i: decodes kafkajs's request", async (version) => {
    await fc.assert(
      fc.asyncProperty(fetchArgs, async (args) => {
        const frame = await kafkajsRequestFrame("Fetch", version, args, { correlationId: 3, clientId: "consumer" });
        const r = new Reader();
        const decoded = decodeRequest(frame.subarray(4), r);
        expect(decoded).toEqual({ ok: true, header: { apiKey: 1, apiVersion: version, correlationId: 3, clientId: "consumer" }, request: expected(args, version) });
        expect(r.remaining()).toBe(0);
      }),
      FC,
    );
  });

  it.each(VERSIONS)("v%i: kafkajs decodes our response, records and all", async (version) => {
    await fc.assert(
      fc.asyncProperty(fetchResponse, async (res) => {
        const { correlationId, decoded } = await kafkajsDecodeResponse("Fetch", version, encodeResponse({ correlationId: 8, apiVersion: version }, res));
        expect(correlationId).toBe(8);
        // from v8 the broker throttles after answering (KIP-219) and kafkajs reads the field as clientSideThrottleTime
        expect(version >= 8 ? decoded.clientSideThrottleTime : decoded.throttleTime).toBe(res.throttleTimeMs);
        if (version >= 7) {
          expect(decoded.errorCode).toBe(errorNumber(res.error));
          expect(decoded.sessionId).toBe(res.sessionId);
        }
        const responses = decoded.responses as { topicName: string; partitions: Record<string, unknown>[] }[];
        expect(responses.map((t) => t.topicName)).toEqual(res.responses.map((t) => t.topic));
        res.responses.forEach((t, ti) => {
          const kp = responses[ti]!.partitions;
          expect(kp.length).toBe(t.partitions.length);
          t.partitions.forEach((p, pi) => {
            const k = kp[pi]!;
            expect(k.partition).toBe(p.partitionIndex);
            expect(k.errorCode).toBe(errorNumber(p.error));
            expect(k.highWatermark).toBe(String(p.highWatermark));
            expect(k.lastStableOffset).toBe(String(p.lastStableOffset));
            if (version >= 5) expect(k.lastStartOffset).toBe(String(p.logStartOffset));
            expect(k.abortedTransactions).toEqual((p.abortedTransactions ?? []).map((a) => ({ producerId: String(a.producerId), firstOffset: String(a.firstOffset) })));
            if (version >= 11) expect(k.preferredReadReplica).toBe(p.preferredReadReplica);
            expect((k.messages as Record<string, unknown>[]).map(kafkajsRecordView)).toEqual(kafkajsRecords(p.records));
          });
        });
      }),
      FC,
    );
  });
});
