import { createRequire } from "node:module";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { catchDecode } from "./decode-error.ts";
import { Reader } from "./reader.ts";
import { FC, u8 } from "./testkit/arbitraries.ts";
import { Writer } from "./writer.ts";

const require = createRequire(import.meta.url);
interface KjsEncoderT {
  buffer: Buffer;
  writeVarInt(v: number): KjsEncoderT;
  writeVarLong(v: number): KjsEncoderT;
  writeInt64(v: number | string): KjsEncoderT;
  writeString(v: string | null): KjsEncoderT;
  writeBytes(v: Buffer | null): KjsEncoderT;
  writeVarIntString(v: string | null): KjsEncoderT;
}
interface KjsDecoderT {
  readVarInt(): number;
  readVarLong(): { toString(): string };
  readInt64(): { toString(): string };
}
const KjsEncoder = require("kafkajs/src/protocol/encoder.js") as new () => KjsEncoderT;
const KjsDecoder = require("kafkajs/src/protocol/decoder.js") as new (b: Buffer) => KjsDecoderT;

const bytesOf = (w: Writer): Buffer => w.toBytes();

describe("Writer and Reader", () => {
  it("varints and varlongs: the same bytes as kafkajs, read back by both", () => {
    fc.assert(
      fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.integer({ min: -(2 ** 52), max: 2 ** 52 }), (i, l) => {
        const ours = bytesOf(new Writer(16).varint(i).varlong(l));
        expect(ours).toEqual(new KjsEncoder().writeVarInt(i).writeVarLong(l).buffer);
        const r = new Reader(ours);
        expect([r.varint(), r.varlong(), r.remaining()]).toEqual([i, l, 0]);
        const k = new KjsDecoder(ours);
        expect([k.readVarInt(), k.readVarLong().toString()]).toEqual([i, String(l)]);
      }),
      { ...FC, numRuns: 500 },
    );
  });

  it("int64: safe integers both ways, the same bytes as kafkajs; beyond 2^53 is an invalid-value decode error", () => {
    fc.assert(
      fc.property(fc.oneof(fc.maxSafeInteger(), fc.integer({ min: -5, max: 5 })), (v) => {
        const ours = bytesOf(new Writer().int64(v));
        expect(ours).toEqual(new KjsEncoder().writeInt64(v).buffer);
        expect(new Reader(ours).int64()).toBe(v);
      }),
      { ...FC, numRuns: 300 },
    );
    const big = new KjsEncoder().writeInt64("9223372036854775807").buffer;
    expect(catchDecode(() => new Reader(big).int64())).toEqual({ ok: false, error: { kind: "invalid-value", message: "int64 beyond ±(2^53 - 1)", offset: 0 } });
    expect(() => new Writer().int64(2 ** 53)).toThrow(RangeError);
  });

  it("strings and bytes, nullable or not, as kafkajs writes them", () => {
    fc.assert(
      fc.property(fc.option(fc.string({ maxLength: 20 }), { nil: null }), fc.option(fc.uint8Array({ maxLength: 20 }), { nil: null }), (s, b) => {
        const bb = b === null ? null : Buffer.from(b);
        const ours = bytesOf(new Writer(8).nullableString(s).nullableBytes(bb).varintString(s ?? ""));
        expect(ours).toEqual(new KjsEncoder().writeString(s).writeBytes(bb).writeVarIntString(s ?? "").buffer);
        const r = new Reader(ours);
        expect([r.nullableString(), r.nullableBytes(), r.varintString(), r.remaining()]).toEqual([s, u8(bb), s ?? "", 0]);
      }),
      { ...FC, numRuns: 300 },
    );
  });

  it("a reused Writer keeps its grown buffer and allocates nothing per primitive once warm", () => {
    const w = new Writer(16);
    for (let i = 0; i < 1000; i++) w.int32(i);
    const first = w.written();
    w.reset();
    for (let i = 0; i < 1000; i++) w.int32(i);
    expect(w.written().buffer).toBe(first.buffer);
  });

  it("truncation, null where not allowed, negative and oversized lengths, overlong varints: typed errors", () => {
    const at = (bytes: number[], read: (r: Reader) => unknown) => catchDecode(() => read(new Reader(Uint8Array.from(bytes))));
    expect(at([0, 0, 1], (r) => r.int32())).toEqual({ ok: false, error: { kind: "truncated", message: "int32 needs 4 bytes, 3 left", offset: 0 } });
    expect(at([0xff, 0xff], (r) => r.string())).toEqual({ ok: false, error: { kind: "invalid-length", message: "string length -1 (null) where null is not allowed", offset: 0 } });
    expect(at([0xff, 0xfe], (r) => r.nullableString())).toEqual({ ok: false, error: { kind: "invalid-length", message: "string length -2", offset: 0 } });
    expect(at([0, 5, 65], (r) => r.string())).toEqual({ ok: false, error: { kind: "truncated", message: "string of 5 bytes, 1 left", offset: 0 } });
    expect(at([0x7f, 0xff, 0xff, 0xff], (r) => r.bytesField())).toEqual({ ok: false, error: { kind: "truncated", message: "bytes of 2147483647 bytes, 0 left", offset: 0 } });
    // an absurd count is refused before any array is sized from it
    expect(at([0x7f, 0xff, 0xff, 0xff, 0, 0], (r) => r.arrayLength(4, "partitions"))).toEqual({
      ok: false,
      error: { kind: "truncated", message: "partitions of 2147483647 elements needs at least 8589934588 bytes, 2 left", offset: 0 },
    });
    expect(at([0xff, 0xff, 0xff, 0xff], (r) => r.arrayLength(4))).toMatchObject({ ok: false, error: { kind: "invalid-length" } });
    expect(at([0xff, 0xff, 0xff, 0xff], (r) => r.nullableArrayLength(4))).toEqual({ ok: true, value: -1 });
    expect(at([0x80, 0x80, 0x80, 0x80, 0x80, 0x01], (r) => r.varint())).toEqual({ ok: false, error: { kind: "invalid-value", message: "varint longer than 5 bytes", offset: 0 } });
    expect(at([0x80, 0x80], (r) => r.varint())).toEqual({ ok: false, error: { kind: "truncated", message: "varint runs past the end", offset: 0 } });
    expect(at(Array(10).fill(0xff).concat([1]), (r) => r.varlong())).toMatchObject({ ok: false, error: { kind: "invalid-value", message: "varlong longer than 10 bytes" } });
    expect(at([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], (r) => r.varlong())).toMatchObject({ ok: false, error: { kind: "invalid-value", message: "varlong beyond ±2^52" } });
  });
});
