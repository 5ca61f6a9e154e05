import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crc32c } from "./crc32c.ts";
import { Reader } from "./reader.ts";
import { decodeRecordBatches, encodeRecordBatches, readRecordBatch, type RecordBatch } from "./record-batch.ts";
import { FC, bytes, name, nullableBytes, recordBatch, u8 } from "./testkit/arbitraries.ts";
import { kafkajsCrc32C, kafkajsDecodeBatch, kafkajsRecord, kafkajsRecordBatch } from "./testkit/kafkajs.ts";

const ATTRIBUTES_OFFSET = 21;

/** One batch's bytes with a CRC recomputed after an edit, so only the edit is wrong. */
function withCrc(b: Uint8Array): Uint8Array {
  new DataView(b.buffer, b.byteOffset).setUint32(17, crc32c(b, ATTRIBUTES_OFFSET, b.length));
  return b;
}

function decodeOne(bytes: Uint8Array) {
  const d = decodeRecordBatches(bytes);
  if (!d.ok) return d;
  expect(d.value.length).toBe(1);
  return { ok: true as const, value: d.value[0]! };
}

const sample: RecordBatch = {
  baseOffset: 100,
  partitionLeaderEpoch: 3,
  timestampType: "CreateTime",
  isTransactional: false,
  isControl: false,
  hasDeleteHorizonMs: false,
  lastOffsetDelta: 1,
  baseTimestamp: 1_700_000_000_000,
  maxTimestamp: 1_700_000_000_005,
  producerId: 42,
  producerEpoch: 1,
  baseSequence: 7,
  records: [
    { timestampDelta: 0, offsetDelta: 0, key: Buffer.from("k"), value: Buffer.from("v1"), headers: [] },
    { timestampDelta: 5, offsetDelta: 1, key: null, value: null, headers: [{ key: "h", value: Buffer.from("x") }] },
  ],
};

describe("CRC-32C", () => {
  it("matches the standard check value and kafkajs's implementation", () => {
    expect(crc32c(Buffer.from("123456789"))).toBe(0xe3069283);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(20), (b, cut) => {
        const start = Math.min(cut, b.length);
        expect(crc32c(b, start)).toBe(kafkajsCrc32C(Buffer.from(b.subarray(start))));
      }),
      { ...FC, numRuns: 200 },
    );
  });
});

describe("record batch v2", () => {
  it("kafkajs's encoder → our decoder: every field, CRC checked", async () => {
    const kjsArgs = fc.record({
      firstOffset: fc.nat(),
      firstTimestamp: fc.integer({ min: 0, max: 2 ** 42 }),
      maxTimestamp: fc.integer({ min: 0, max: 2 ** 42 }),
      partitionLeaderEpoch: fc.nat(1000),
      transactional: fc.boolean(),
      producerId: fc.integer({ min: -1, max: 2 ** 40 }),
      producerEpoch: fc.nat(0x7fff),
      firstSequence: fc.nat(),
      records: fc.array(fc.record({ timestampDelta: fc.nat(100_000), key: fc.oneof(nullableBytes, name), value: fc.oneof(nullableBytes, name), headers: fc.dictionary(fc.constantFrom("a", "b"), bytes) }), {
        maxLength: 6,
      }),
    });
    await fc.assert(
      fc.asyncProperty(kjsArgs, async (a) => {
        const records = a.records.map((r, i) => kafkajsRecord({ ...r, offsetDelta: i }));
        const bytes = (await kafkajsRecordBatch.RecordBatch({ ...a, compression: 0, lastOffsetDelta: Math.max(0, records.length - 1), records })).buffer;
        const d = decodeOne(bytes);
        expect(d).toEqual({
          ok: true,
          value: {
            baseOffset: a.firstOffset,
            partitionLeaderEpoch: a.partitionLeaderEpoch,
            timestampType: "CreateTime",
            isTransactional: a.transactional,
            isControl: false,
            hasDeleteHorizonMs: false,
            lastOffsetDelta: Math.max(0, records.length - 1),
            baseTimestamp: a.firstTimestamp,
            maxTimestamp: a.maxTimestamp,
            producerId: a.producerId,
            producerEpoch: a.producerEpoch,
            baseSequence: a.firstSequence,
            records: a.records.map((r, i) => ({
              timestampDelta: r.timestampDelta,
              offsetDelta: i,
              key: u8(r.key),
              value: u8(r.value),
              headers: Object.keys(r.headers).map((k) => ({ key: k, value: u8(r.headers[k]!) })),
            })),
          },
        });
      }),
      FC,
    );
  });

  it("our encoder → kafkajs's decoder: every field, and kafkajs's CRC-32C of our bytes is the stored CRC", async () => {
    await fc.assert(
      fc.asyncProperty(recordBatch, async (batch) => {
        const bytes = Buffer.from(encodeRecordBatches([batch]));
        expect(bytes.readUInt32BE(17)).toBe(kafkajsCrc32C(bytes.subarray(ATTRIBUTES_OFFSET)));
        const k = await kafkajsDecodeBatch(bytes);
        expect({
          firstOffset: k.firstOffset,
          partitionLeaderEpoch: k.partitionLeaderEpoch,
          inTransaction: k.inTransaction,
          isControlBatch: k.isControlBatch,
          timestampType: k.timestampType,
          lastOffsetDelta: k.lastOffsetDelta,
          firstTimestamp: k.firstTimestamp,
          maxTimestamp: k.maxTimestamp,
          producerId: k.producerId,
          producerEpoch: k.producerEpoch,
          firstSequence: k.firstSequence,
          count: (k.records as unknown[]).length,
        }).toEqual({
          firstOffset: String(batch.baseOffset),
          partitionLeaderEpoch: batch.partitionLeaderEpoch,
          inTransaction: batch.isTransactional,
          isControlBatch: batch.isControl,
          timestampType: batch.timestampType === "LogAppendTime" ? 1 : 0,
          lastOffsetDelta: batch.lastOffsetDelta,
          firstTimestamp: String(batch.baseTimestamp),
          maxTimestamp: String(batch.maxTimestamp),
          producerId: String(batch.producerId),
          producerEpoch: batch.producerEpoch,
          firstSequence: batch.baseSequence,
          count: batch.records.length,
        });
      }),
      FC,
    );
  });

  it("our encoder → our decoder is the identity, for several batches in one records field", () => {
    fc.assert(
      fc.property(fc.array(recordBatch, { maxLength: 4 }), (batches) => {
        const d = decodeRecordBatches(encodeRecordBatches(batches));
        expect(d).toEqual({ ok: true, value: batches.map((b) => ({ ...b, records: b.records.map((r) => ({ ...r, key: u8(r.key), value: u8(r.value), headers: r.headers.map((h) => ({ key: h.key, value: u8(h.value) })) })) })) });
      }),
      FC,
    );
  });

  it("a flipped bit anywhere after the CRC field is bad-crc, with both CRCs in the message", () => {
    const good = encodeRecordBatches([sample]);
    for (let i = ATTRIBUTES_OFFSET; i < good.length; i++) {
      const bad = Uint8Array.from(good);
      bad[i]! ^= 0x10;
      const d = decodeOne(bad);
      expect(d.ok).toBe(false);
      if (!d.ok) {
        expect(d.error.kind).toBe("bad-crc");
        expect(d.error.message).toMatch(/^record batch is corrupt \(stored crc = \d+, computed crc = \d+\)$/);
        expect(d.error.offset).toBe(17);
      }
    }
  });

  it("compressed batches are refused by name, after the CRC check", () => {
    const names = ["gzip", "snappy", "lz4", "zstd", "codec 5"];
    for (let codec = 1; codec <= 5; codec++) {
      const b = Uint8Array.from(encodeRecordBatches([sample]));
      b[22] = codec; // attributes low byte
      const d = decodeOne(withCrc(b));
      expect(d).toEqual({ ok: false, error: { kind: "unsupported-compression", message: `compression ${names[codec - 1]} (only none is implemented)`, offset: 21 } });
    }
  });

  it("decodes the control, transactional, timestamp-type and delete-horizon bits", () => {
    const b = Uint8Array.from(encodeRecordBatches([sample]));
    b[22] = 0x08 | 0x10 | 0x20 | 0x40;
    const d = decodeOne(withCrc(b));
    expect(d.ok && d.value).toMatchObject({ timestampType: "LogAppendTime", isTransactional: true, isControl: true, hasDeleteHorizonMs: true });
  });

  it("another magic, a short batch length, a truncated batch: typed errors", () => {
    const good = encodeRecordBatches([sample]);
    const magic1 = Uint8Array.from(good);
    magic1[16] = 1;
    expect(decodeOne(magic1)).toMatchObject({ ok: false, error: { kind: "unsupported-magic", offset: 16 } });
    const short = Uint8Array.from(good);
    new DataView(short.buffer).setInt32(8, 48);
    expect(decodeOne(short)).toMatchObject({ ok: false, error: { kind: "invalid-length", offset: 0 } });
    for (let cut = 0; cut < good.length; cut++) expect(decodeRecordBatches(good.subarray(0, cut)).ok).toBe(cut === 0);
  });

  it("records that do not fill the batch exactly, or an absurd record count, are invalid-record (no allocation from the count)", () => {
    const good = encodeRecordBatches([sample]);
    // one record fewer declared than written: bytes left over
    const fewer = Uint8Array.from(good);
    new DataView(fewer.buffer).setInt32(57, 1);
    expect(decodeOne(withCrc(fewer))).toMatchObject({ ok: false, error: { kind: "invalid-record", message: "incorrect declared batch size, records still remaining in the batch" } });
    // 2^31 - 1 records declared in a few bytes
    const absurd = Uint8Array.from(good);
    new DataView(absurd.buffer).setInt32(57, 0x7fffffff);
    expect(decodeOne(withCrc(absurd))).toMatchObject({ ok: false, error: { kind: "invalid-record", offset: 57 } });
    const negative = Uint8Array.from(good);
    new DataView(negative.buffer).setInt32(57, -1);
    expect(decodeOne(withCrc(negative))).toMatchObject({ ok: false, error: { kind: "invalid-record", message: "invalid record count -1" } });
    // a record length pointing past the batch
    const longRecord = Uint8Array.from(good);
    longRecord[61] = 0x7e; // varint 63
    expect(decodeOne(withCrc(longRecord))).toMatchObject({ ok: false, error: { kind: "invalid-record", offset: 61 } });
  });

  it("readRecordBatch leaves the reader after the batch", () => {
    const two = encodeRecordBatches([sample, { ...sample, baseOffset: 102 }]);
    const r = new Reader(two);
    expect(readRecordBatch(r).baseOffset).toBe(100);
    expect(r.pos).toBe(two.length / 2);
    expect(readRecordBatch(r).baseOffset).toBe(102);
    expect(r.remaining()).toBe(0);
  });
});
