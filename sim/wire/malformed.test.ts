// Bad bytes in, typed errors out: truncation at every byte, random corruption, absurd counts, unknown APIs and
// versions never throw, never allocate from a hostile count, and produce partitions get the broker's errors.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { API_KEY, SUPPORTED_VERSIONS, type ApiName } from "./api-keys.ts";
import type { ProduceRequest } from "./apis/produce.ts";
import { decodeRequest } from "./codec.ts";
import type { WireDecodeErrorKind } from "./decode-error.ts";
import { crc32c } from "./crc32c.ts";
import { encodeRecordBatches, type RecordBatch } from "./record-batch.ts";
import { FC, u8 } from "./testkit/arbitraries.ts";
import { kafkajsRequestFrame } from "./testkit/kafkajs.ts";
import { Writer } from "./writer.ts";

const KINDS: readonly WireDecodeErrorKind[] = [
  "truncated",
  "invalid-length",
  "too-large",
  "invalid-value",
  "invalid-record",
  "bad-crc",
  "unsupported-magic",
  "unsupported-compression",
  "unsupported-api",
  "unsupported-version",
];

/** One representative request per API, as kafkajs sends it. */
const SAMPLES: Record<ApiName, object> = {
  Produce: {
    acks: -1,
    timeout: 30000,
    transactionalId: null,
    producerId: 9,
    producerEpoch: 0,
    compression: 0,
    topicData: [{ topic: "orders", partitions: [{ partition: 0, firstSequence: 4, messages: [{ key: "k", value: "v", timestamp: 1_700_000_000_000, headers: { h: "x" } }] }] }],
  },
  Fetch: {
    maxWaitTime: 500,
    minBytes: 1,
    maxBytes: 1 << 20,
    rackId: "r",
    forgottenTopics: [{ topic: "old", partitions: [1] }],
    topics: [{ topic: "orders", partitions: [{ partition: 0, fetchOffset: "12", maxBytes: 1 << 16, currentLeaderEpoch: 2, logStartOffset: 0 }] }],
  },
  ListOffsets: { topics: [{ topic: "orders", partitions: [{ partition: 0, timestamp: -1 }] }] },
  Metadata: { topics: ["orders", "payments"], allowAutoTopicCreation: false },
  OffsetCommit: { groupId: "g", groupGenerationId: 3, memberId: "m", topics: [{ topic: "orders", partitions: [{ partition: 0, offset: "5", timestamp: 1, metadata: "x" }] }] },
  OffsetFetch: { groupId: "g", topics: [{ topic: "orders", partitions: [{ partition: 0 }] }] },
  FindCoordinator: { groupId: "g" },
  JoinGroup: { groupId: "g", sessionTimeout: 30000, rebalanceTimeout: 60000, memberId: "", groupInstanceId: "i", protocolType: "consumer", groupProtocols: [{ name: "RoundRobinAssigner", metadata: Buffer.from([0, 1, 2]) }] },
  Heartbeat: { groupId: "g", groupGenerationId: 3, memberId: "m", groupInstanceId: "i" },
  LeaveGroup: { groupId: "g", memberId: "m", groupInstanceId: "i" },
  SyncGroup: { groupId: "g", generationId: 3, memberId: "m", groupInstanceId: "i", groupAssignment: [{ memberId: "m", memberAssignment: Buffer.from([1]) }] },
  ApiVersions: {},
  InitProducerId: { transactionalId: null, transactionTimeout: 5000 },
  AddPartitionsToTxn: { transactionalId: "tx", producerId: 9, producerEpoch: 1, topics: [{ topic: "orders", partitions: [0, 2] }] },
  AddOffsetsToTxn: { transactionalId: "tx", producerId: 9, producerEpoch: 1, groupId: "g" },
  EndTxn: { transactionalId: "tx", producerId: 9, producerEpoch: 1, transactionResult: true },
  TxnOffsetCommit: { transactionalId: "tx", groupId: "g", producerId: 9, producerEpoch: 1, topics: [{ topic: "orders", partitions: [{ partition: 0, offset: "5", metadata: null }] }] },
};

async function sampleFrames(): Promise<{ api: ApiName; version: number; body: Buffer }[]> {
  const out: { api: ApiName; version: number; body: Buffer }[] = [];
  for (const api of Object.keys(API_KEY) as ApiName[]) {
    for (let v = SUPPORTED_VERSIONS[api].min; v <= SUPPORTED_VERSIONS[api].max; v++) {
      out.push({ api, version: v, body: (await kafkajsRequestFrame(api, v, SAMPLES[api])).subarray(4) });
    }
  }
  return out;
}

describe("malformed requests", () => {
  it("every truncation of every API's request at every version is a 'truncated' error, never an exception", async () => {
    for (const { api, version, body } of await sampleFrames()) {
      expect(decodeRequest(body).ok, `${api} v${version} whole`).toBe(true);
      for (let cut = 0; cut < body.length; cut++) {
        const d = decodeRequest(body.subarray(0, cut));
        expect(d.ok, `${api} v${version} cut at ${cut}`).toBe(false);
        if (!d.ok) expect(d.error.kind, `${api} v${version} cut at ${cut}: ${d.error.message}`).toBe("truncated");
      }
    }
  });

  it("random corruption never throws; every failure is a typed error with an offset inside the frame", async () => {
    const frames = await sampleFrames();
    fc.assert(
      fc.property(fc.nat(frames.length - 1), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 6 }), (which, edits) => {
        const body = Uint8Array.from(frames[which]!.body);
        for (const [at, value] of edits) body[at % body.length] = value;
        const d = decodeRequest(body);
        if (!d.ok) {
          expect(KINDS).toContain(d.error.kind);
          expect(d.error.offset).toBeGreaterThanOrEqual(0);
          expect(d.error.offset).toBeLessThanOrEqual(body.length);
        }
      }),
      { ...FC, numRuns: 3000 },
    );
  });

  it("random bytes never throw", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        const d = decodeRequest(b);
        if (!d.ok) expect(KINDS).toContain(d.error.kind);
      }),
      { ...FC, numRuns: 3000 },
    );
  });

  it("absurd counts at every array of a produce request fail at once, sizing nothing from them", () => {
    const header = new Writer().int16(0).int16(7).int32(1).string("c");
    const body = header.nullableString(null).int16(-1).int32(1000).int32(0x7fffffff).toBytes();
    expect(decodeRequest(body)).toMatchObject({ ok: false, error: { kind: "truncated", message: "topics of 2147483647 elements needs at least 12884901882 bytes, 0 left" } });
    const negative = new Writer().int16(0).int16(7).int32(1).string("c").nullableString(null).int16(-1).int32(1000).int32(-5).toBytes();
    expect(decodeRequest(negative)).toMatchObject({ ok: false, error: { kind: "invalid-length", message: "topics count -5" } });
  });

  it("the transaction APIs: absurd counts fail at once, a null transactional id (a STRING field) is invalid", () => {
    // AddPartitionsToTxn v1: transactional id "t", producer id, epoch, 1 topic "o" with 2^31 - 1 partitions.
    const add = new Writer().int16(24).int16(1).int32(1).string("c").string("t").int64(9).int16(0).int32(1).string("o").int32(0x7fffffff).toBytes();
    expect(decodeRequest(add)).toMatchObject({ ok: false, error: { kind: "truncated", message: "partitions of 2147483647 elements needs at least 8589934588 bytes, 0 left" } });
    // TxnOffsetCommit v1: transactional id, group, producer id, epoch, -3 topics.
    const commit = new Writer().int16(28).int16(1).int32(1).string("c").string("t").string("g").int64(9).int16(0).int32(-3).toBytes();
    expect(decodeRequest(commit)).toMatchObject({ ok: false, error: { kind: "invalid-length", message: "topics count -3" } });
    const endTxn = new Writer().int16(26).int16(1).int32(1).string("c").nullableString(null).int64(9).int16(0).int8(1).toBytes();
    expect(decodeRequest(endTxn)).toMatchObject({ ok: false, error: { kind: "invalid-length" } });
    // EndTxn v2 is beyond kafkajs: not advertised, not read.
    expect(decodeRequest(new Writer().int16(26).int16(2).int32(1).string("c").toBytes())).toMatchObject({ ok: false, error: { kind: "unsupported-version", message: "EndTxn v2 (supported: v0-1)" } });
  });

  it("an unknown API key and an unsupported version are typed errors carrying the header", () => {
    const describeGroups = new Writer().int16(15).int16(0).int32(77).string("c").int32(0).toBytes();
    expect(decodeRequest(describeGroups)).toEqual({
      ok: false,
      header: { apiKey: 15, apiVersion: 0, correlationId: 77, clientId: "c" },
      error: { kind: "unsupported-api", message: "api key 15 is not implemented", offset: 0 },
    });
    const fetch12 = new Writer().int16(1).int16(12).int32(78).nullableString(null).toBytes();
    expect(decodeRequest(fetch12)).toEqual({
      ok: false,
      header: { apiKey: 1, apiVersion: 12, correlationId: 78, clientId: null },
      error: { kind: "unsupported-version", message: "Fetch v12 (supported: v4-11)", offset: 2 },
    });
    // Produce v2 carries a legacy message set: not implemented
    expect(decodeRequest(new Writer().int16(0).int16(2).int32(1).string("c").toBytes())).toMatchObject({ ok: false, error: { kind: "unsupported-version" } });
    // no header at all
    expect(decodeRequest(Uint8Array.of(0, 3))).toEqual({ ok: false, header: null, error: { kind: "truncated", message: "int16 needs 2 bytes, 0 left", offset: 2 } });
  });
});

describe("produce records: the partition's error, as the broker answers it", () => {
  const batch: RecordBatch = {
    baseOffset: 0,
    partitionLeaderEpoch: -1,
    timestampType: "CreateTime",
    isTransactional: false,
    isControl: false,
    hasDeleteHorizonMs: false,
    lastOffsetDelta: 0,
    baseTimestamp: 1,
    maxTimestamp: 1,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    records: [{ timestampDelta: 0, offsetDelta: 0, key: null, value: Buffer.from("v"), headers: [] }],
  };

  /** A Produce v7 request whose one partition carries `records` (null: a null records field). */
  function produceWith(records: Uint8Array | null): ProduceRequest["topics"][number]["partitions"][number]["records"] {
    const w = new Writer().int16(0).int16(7).int32(1).string("c").nullableString(null).int16(1).int32(1000).int32(1).string("t").int32(1).int32(0).nullableBytes(records);
    const d = decodeRequest(w.toBytes());
    if (!d.ok || d.request.apiKey !== API_KEY.Produce) throw new Error(`request did not decode: ${JSON.stringify(d)}`);
    return d.request.topics[0]!.partitions[0]!.records;
  }

  const good = encodeRecordBatches([batch]);
  const fixCrc = (b: Uint8Array) => {
    new DataView(b.buffer, b.byteOffset).setUint32(17, crc32c(b, 21, b.length));
    return b;
  };

  it("one whole batch is accepted; a partial batch after it is ignored (Kafka's iterator stops there)", () => {
    expect(produceWith(good)).toMatchObject({ ok: true, batch: { records: [{ value: u8("v") }] } });
    const withTail = new Uint8Array(good.length + 20);
    withTail.set(good);
    withTail.set(good.subarray(0, 20), good.length);
    expect(produceWith(withTail).ok).toBe(true);
  });

  it("CORRUPT_MESSAGE for a bad CRC, a batch length below 14, a magic above 2, a v2 batch shorter than its header", () => {
    const badCrc = Uint8Array.from(good);
    badCrc[good.length - 1]! ^= 1;
    expect(produceWith(badCrc)).toMatchObject({ ok: false, error: "CORRUPT_MESSAGE", detail: { kind: "bad-crc" } });
    const tiny = Uint8Array.from(good);
    new DataView(tiny.buffer).setInt32(8, 13);
    expect(produceWith(tiny)).toMatchObject({ ok: false, error: "CORRUPT_MESSAGE", detail: { message: "record size 13 is less than the minimum record overhead (14)" } });
    const magic3 = Uint8Array.from(good);
    magic3[16] = 3;
    expect(produceWith(magic3)).toMatchObject({ ok: false, error: "CORRUPT_MESSAGE", detail: { message: "invalid magic found in record: 3" } });
    const short = Uint8Array.from(good.subarray(0, 40));
    new DataView(short.buffer).setInt32(8, 28);
    expect(produceWith(short)).toMatchObject({ ok: false, error: "CORRUPT_MESSAGE", detail: { kind: "invalid-length" } });
  });

  it("INVALID_RECORD for no batch, a legacy magic, two batches, a malformed record", () => {
    expect(produceWith(new Uint8Array(0))).toMatchObject({ ok: false, error: "INVALID_RECORD", detail: { message: "must have at least one record batch per partition" } });
    expect(produceWith(null)).toMatchObject({ ok: false, error: "INVALID_RECORD" });
    expect(produceWith(good.subarray(0, good.length - 1))).toMatchObject({ ok: false, error: "INVALID_RECORD", detail: { message: "must have at least one record batch per partition" } });
    const magic1 = Uint8Array.from(good);
    magic1[16] = 1;
    expect(produceWith(magic1)).toMatchObject({ ok: false, error: "INVALID_RECORD", detail: { message: "only record batches with magic version 2 are allowed" } });
    expect(produceWith(encodeRecordBatches([batch, batch]))).toMatchObject({ ok: false, error: "INVALID_RECORD", detail: { message: "only exactly one record batch per partition is allowed" } });
    const extraRecordDeclared = Uint8Array.from(good);
    new DataView(extraRecordDeclared.buffer).setInt32(57, 2);
    expect(produceWith(fixCrc(extraRecordDeclared))).toMatchObject({ ok: false, error: "INVALID_RECORD", detail: { kind: "invalid-record" } });
  });

  it("UNSUPPORTED_COMPRESSION_TYPE for a compressed batch (no codec here)", () => {
    const gzip = Uint8Array.from(good);
    gzip[22] = 1;
    expect(produceWith(fixCrc(gzip))).toMatchObject({ ok: false, error: "UNSUPPORTED_COMPRESSION_TYPE", detail: { kind: "unsupported-compression", message: "compression gzip (only none is implemented)" } });
  });

  it("a bad partition does not spoil the next one", () => {
    const badCrc = Uint8Array.from(good);
    badCrc[good.length - 1]! ^= 1;
    const w = new Writer().int16(0).int16(7).int32(1).string("c").nullableString(null).int16(1).int32(1000).int32(1).string("t").int32(2);
    w.int32(0).nullableBytes(badCrc).int32(1).nullableBytes(good);
    const d = decodeRequest(w.toBytes());
    expect(d.ok && d.request.apiKey === API_KEY.Produce && d.request.topics[0]!.partitions.map((p) => [p.index, p.records.ok])).toEqual([
      [0, false],
      [1, true],
    ]);
  });
});
