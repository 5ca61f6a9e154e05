import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_MAX_FRAME_BYTES, FrameSplitter } from "./frame.ts";
import { FC } from "./testkit/arbitraries.ts";

function frameOf(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setInt32(0, body.length);
  out.set(body, 4);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The stream cut at the given sorted positions. */
function cutAt(stream: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, stream.length]) {
    chunks.push(stream.subarray(prev, p));
    prev = p;
  }
  return chunks;
}

describe("FrameSplitter", () => {
  it("reassembles the same frames however the stream is cut (seeded)", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 70 }), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 30 }), (bodies, cuts) => {
        const stream = concat(bodies.map(frameOf));
        const splitter = new FrameSplitter();
        const got: number[][] = [];
        for (const chunk of cutAt(stream, cuts)) expect(splitter.push(chunk, (f) => got.push([...f]))).toBeNull();
        expect(got).toEqual(bodies.map((b) => [...b]));
        expect(splitter.bufferedBytes()).toBe(0);
      }),
      { ...FC, numRuns: 300 },
    );
  });

  it("byte by byte, and holds back an incomplete frame until it is whole", () => {
    const stream = concat([frameOf(Uint8Array.of(1, 2, 3)), frameOf(new Uint8Array(0)), frameOf(Uint8Array.of(9))]);
    const splitter = new FrameSplitter();
    const got: number[][] = [];
    for (let i = 0; i < stream.length; i++) splitter.push(stream.subarray(i, i + 1), (f) => got.push([...f]));
    expect(got).toEqual([[1, 2, 3], [], [9]]);
    const partial = new FrameSplitter();
    partial.push(frameOf(Uint8Array.of(5, 6)).subarray(0, 5), () => expect.unreachable());
    expect(partial.bufferedBytes()).toBe(5);
  });

  it("many small chunks per frame, with frames ending inside chunks (the buffered-chunk list is compacted)", () => {
    const bodies = [0, 1, 2, 3].map((k) => new Uint8Array(150 + k).map((_, i) => (i * 7 + k) & 0xff));
    const stream = concat(bodies.map(frameOf));
    const splitter = new FrameSplitter();
    const got: number[][] = [];
    for (let at = 0, step = 1; at < stream.length; at += step, step = step === 1 ? 3 : 1) {
      expect(splitter.push(stream.subarray(at, at + step), (f) => got.push([...f]))).toBeNull();
    }
    expect(got).toEqual(bodies.map((b) => [...b]));
    expect(splitter.bufferedBytes()).toBe(0);
  });

  it("hands out a frame inside one chunk as a view (no copy)", () => {
    const chunk = frameOf(Uint8Array.of(7, 8));
    let seen: Uint8Array | null = null;
    new FrameSplitter().push(chunk, (f) => (seen = f));
    expect(seen!.buffer).toBe(chunk.buffer);
  });

  it("a negative size or one above socket.request.max.bytes ends the stream with a typed error, and stays failed", () => {
    const negative = new FrameSplitter();
    const err = negative.push(Uint8Array.of(0xff, 0xff, 0xff, 0xfe), () => expect.unreachable());
    expect(err).toEqual({ kind: "invalid-length", message: "frame size -2", offset: 0 });
    expect(negative.push(frameOf(Uint8Array.of(1)), () => expect.unreachable())).toBe(err);

    const big = new FrameSplitter({ maxFrameBytes: 100 });
    const frames: number[][] = [];
    const e2 = big.push(concat([frameOf(Uint8Array.of(4)), Uint8Array.of(0, 0, 0, 101)]), (f) => frames.push([...f]));
    expect(frames).toEqual([[4]]);
    expect(e2).toEqual({ kind: "too-large", message: "frame size 101 larger than 100 (socket.request.max.bytes)", offset: 5 });

    // The default is Kafka's 100 MiB; a 2 GiB claim is refused at its prefix, having buffered nothing.
    const def = new FrameSplitter();
    expect(def.push(Uint8Array.of(0x7f, 0xff, 0xff, 0xff, 1, 2), () => expect.unreachable())).toMatchObject({ kind: "too-large" });
    expect(DEFAULT_MAX_FRAME_BYTES).toBe(104_857_600);
  });

  it("a size prefix itself split across chunks is read whole", () => {
    const f = frameOf(new Uint8Array(300).fill(3));
    const splitter = new FrameSplitter();
    const got: Uint8Array[] = [];
    splitter.push(f.subarray(0, 1), (x) => got.push(x));
    splitter.push(f.subarray(1, 3), (x) => got.push(x));
    splitter.push(f.subarray(3, 200), (x) => got.push(x));
    expect(got.length).toBe(0);
    splitter.push(f.subarray(200), (x) => got.push(x));
    expect(got.length).toBe(1);
    expect(got[0]!.every((b) => b === 3) && got[0]!.length).toBe(300);
  });
});
