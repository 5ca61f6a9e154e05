// fast-check arbitraries shared by the wire tests (test-only).
import fc from "fast-check";
import type { WireErrorName } from "../error-codes.ts";
import type { BatchRecord, RecordBatch, RecordHeader } from "../record-batch.ts";

/** A fixed seed per property: the wire tests are deterministic, as everything in sim/ is. */
export const FC = { seed: 20240611, numRuns: 25 } as const;

export const name = fc.string({ unit: fc.constantFrom("a", "b", "z", "-", "_", ".", "0", "é", "→"), minLength: 1, maxLength: 12 });
export const nullableName = fc.option(name, { nil: null });
export const int16 = fc.integer({ min: -0x8000, max: 0x7fff });
export const int32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
export const nonNegInt32 = fc.integer({ min: 0, max: 0x7fffffff });
/** int64 values as the simulator holds them: safe integers, with the edges and small ones weighted in. */
export const int64 = fc.oneof(
  fc.constantFrom(-1, 0, 1, -2, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER),
  fc.integer({ min: -1000, max: 1_000_000 }),
  fc.maxSafeInteger(),
);
export const bytes = fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b));
export const nullableBytes = fc.option(bytes, { nil: null });
export const errorName = fc.constantFrom<WireErrorName>(
  "NONE",
  "NOT_LEADER_OR_FOLLOWER",
  "UNKNOWN_TOPIC_OR_PARTITION",
  "NOT_COORDINATOR",
  "REBALANCE_IN_PROGRESS",
  "OFFSET_OUT_OF_RANGE",
  "UNKNOWN_SERVER_ERROR",
  "INVALID_RECORD",
);
export const int32s = fc.array(int32, { maxLength: 5 });

export const recordHeader: fc.Arbitrary<RecordHeader> = fc.record({ key: name, value: nullableBytes });

export const batchRecord = (offsetDelta: number): fc.Arbitrary<BatchRecord> =>
  fc.record({
    timestampDelta: fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: -(2 ** 40), max: 2 ** 40 })),
    offsetDelta: fc.constant(offsetDelta),
    key: nullableBytes,
    value: nullableBytes,
    headers: fc.array(recordHeader, { maxLength: 3 }),
  });

export const recordBatch: fc.Arbitrary<RecordBatch> = fc.integer({ min: 0, max: 6 }).chain((n) =>
  fc.record({
    baseOffset: fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 2 ** 50 })),
    partitionLeaderEpoch: fc.integer({ min: -1, max: 1000 }),
    timestampType: fc.constantFrom("CreateTime" as const, "LogAppendTime" as const),
    isTransactional: fc.boolean(),
    isControl: fc.boolean(),
    hasDeleteHorizonMs: fc.constant(false),
    lastOffsetDelta: fc.constant(Math.max(0, n - 1)),
    baseTimestamp: fc.integer({ min: 0, max: 2_000_000_000_000 }),
    maxTimestamp: fc.integer({ min: 0, max: 2_000_000_000_000 }),
    producerId: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 2 ** 40 })),
    producerEpoch: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 0x7fff })),
    baseSequence: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 0x7fffffff })),
    records: fc.tuple(...Array.from({ length: n }, (_, i) => batchRecord(i))),
  }),
);

/** The type of values an arbitrary generates. */
export type ArbValue<A> = A extends fc.Arbitrary<infer T> ? T : never;

/** Bytes as the decoders return them: a plain Uint8Array (not a Buffer), for toEqual. */
export function u8(v: Uint8Array | string): Uint8Array;
export function u8(v: Uint8Array | string | null): Uint8Array | null;
export function u8(v: Uint8Array | string | null): Uint8Array | null {
  return v === null ? null : new Uint8Array(typeof v === "string" ? Buffer.from(v) : v);
}
