import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SUPPORTED_VERSIONS } from "../api-keys.ts";
import { errorNumber as errorCodeOf } from "../error-codes.ts";
import { decodeRequest, encodeResponse, expectsResponse } from "../codec.ts";
import { Reader } from "../reader.ts";
import { FC, bytes, errorName, int64, name, nullableBytes, nullableName, u8, type ArbValue } from "../testkit/arbitraries.ts";
import { kafkajsDecodeResponse, kafkajsProtocol, kafkajsRequestFrame } from "../testkit/kafkajs.ts";
import type { ProduceRequest, ProduceResponse } from "./produce.ts";

const VERSIONS = Array.from({ length: SUPPORTED_VERSIONS.Produce.max - SUPPORTED_VERSIONS.Produce.min + 1 }, (_, i) => SUPPORTED_VERSIONS.Produce.min + i);

interface KjsMessage {
  key: Buffer | string | null;
  value: Buffer | string | null;
  timestamp: number;
  headers: Record<string, Buffer | string | (Buffer | string)[]>;
}

// 13-digit millisecond timestamps: kafkajs sorts them with Array.prototype.sort (as strings) to find the first and
// the max, which is numeric order only for equal lengths (src/protocol/requests/produce/v3/request.js).
const message: fc.Arbitrary<KjsMessage> = fc.record({
  key: fc.oneof(nullableBytes, name),
  value: fc.oneof(nullableBytes, name),
  timestamp: fc.integer({ min: 1_000_000_000_000, max: 9_999_999_999_999 }),
  headers: fc.dictionary(fc.string({ unit: fc.constantFrom("h", "k", "-"), minLength: 1, maxLength: 4 }), fc.oneof(bytes, name, fc.array(fc.oneof(bytes, name), { minLength: 1, maxLength: 2 })), { maxKeys: 2 }),
});

const produceArgs = fc.record({
  acks: fc.constantFrom(-1, 0, 1),
  timeout: fc.integer({ min: 0, max: 60_000 }),
  transactionalId: nullableName,
  producerId: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 2 ** 40 })),
  producerEpoch: fc.integer({ min: 0, max: 0x7fff }),
  topicData: fc.array(
    fc.record({
      topic: name,
      partitions: fc.array(fc.record({ partition: fc.integer({ min: 0, max: 100 }), firstSequence: fc.integer({ min: 0, max: 2 ** 31 - 1 }), messages: fc.array(message, { minLength: 1, maxLength: 5 }) }), { maxLength: 3 }),
    }),
    { maxLength: 3 },
  ),
});


/** What the broker should read from kafkajs's arguments (kafkajs's own rules for the batch fields). */
function expected(args: ArbValue<typeof produceArgs>): ProduceRequest {
  return {
    apiKey: 0,
    transactionalId: args.transactionalId,
    acks: args.acks,
    timeoutMs: args.timeout,
    topics: args.topicData.map((t) => ({
      name: t.topic,
      partitions: t.partitions.map((p) => {
        const sorted = p.messages.map((m) => m.timestamp).sort();
        const first = sorted[0]!;
        return {
          index: p.partition,
          records: {
            ok: true as const,
            batch: {
              baseOffset: 0,
              partitionLeaderEpoch: 0,
              timestampType: "CreateTime" as const,
              isTransactional: args.transactionalId !== null,
              isControl: false,
              hasDeleteHorizonMs: false,
              lastOffsetDelta: p.messages.length - 1,
              baseTimestamp: first,
              maxTimestamp: sorted[sorted.length - 1]!,
              producerId: args.producerId,
              producerEpoch: args.producerEpoch,
              baseSequence: p.firstSequence,
              records: p.messages.map((m, i) => ({
                timestampDelta: m.timestamp - first,
                offsetDelta: i,
                key: u8(m.key),
                value: u8(m.value),
                headers: Object.keys(m.headers).flatMap((k) => {
                  const v = m.headers[k]!;
                  return (Array.isArray(v) ? v : [v]).map((x) => ({ key: k, value: u8(x) }));
                }),
              })),
            },
          },
        };
      }),
    })),
  };
}

describe("Produce", () => {
  it.each(VERSIONS)("v%i: decodes kafkajs's request, record batch and all", async (version) => {
    await fc.assert(
      fc.asyncProperty(produceArgs, fc.integer({ min: 0, max: 2 ** 31 - 1 }), async (args, correlationId) => {
        const frame = await kafkajsRequestFrame("Produce", version, { ...args, compression: 0 }, { correlationId, clientId: "producer-1" });
        const r = new Reader();
        const decoded = decodeRequest(frame.subarray(4), r);
        expect(decoded).toEqual({ ok: true, header: { apiKey: 0, apiVersion: version, correlationId, clientId: "producer-1" }, request: expected(args) });
        expect(r.remaining()).toBe(0);
        expect(decoded.ok && expectsResponse(decoded.request)).toBe(kafkajsProtocol("Produce", version, args).request.expectResponse?.());
      }),
      FC,
    );
  });

  const produceResponse: fc.Arbitrary<ProduceResponse> = fc.record({
    apiKey: fc.constant(0 as const),
    throttleTimeMs: fc.integer({ min: 0, max: 10_000 }),
    topics: fc.array(
      fc.record({
        name,
        partitions: fc.array(fc.record({ index: fc.integer({ min: 0, max: 1000 }), error: errorName, baseOffset: int64, logAppendTimeMs: int64, logStartOffset: int64 }), { maxLength: 4 }),
      }),
      { maxLength: 3 },
    ),
  });

  it.each(VERSIONS)("v%i: kafkajs decodes our response", async (version) => {
    await fc.assert(
      fc.asyncProperty(produceResponse, async (res) => {
        const { correlationId, decoded } = await kafkajsDecodeResponse("Produce", version, encodeResponse({ correlationId: 5, apiVersion: version }, res));
        expect(correlationId).toBe(5);
        expect(decoded.topics).toEqual(
          res.topics.map((t) => ({
            topicName: t.name,
            partitions: t.partitions.map((p) => ({
              partition: p.index,
              errorCode: errorCodeOf(p.error),
              baseOffset: String(p.baseOffset),
              logAppendTime: String(p.logAppendTimeMs),
              ...(version >= 5 ? { logStartOffset: String(p.logStartOffset) } : {}),
            })),
          })),
        );
        expect(version >= 6 ? decoded.clientSideThrottleTime : decoded.throttleTime).toBe(res.throttleTimeMs);
      }),
      FC,
    );
  });
});

