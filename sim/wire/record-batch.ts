// Record batch v2 (magic 2, KIP-98), the unit of data in Produce v3+ requests and Fetch v4+ responses
// (clients/.../common/record/DefaultRecordBatch.java, DefaultRecord.java):
//
//   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 (2) | crc uint32 (CRC-32C of
//   everything after it) | attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 | maxTimestamp int64 |
//   producerId int64 | producerEpoch int16 | baseSequence int32 | recordCount int32 | records
//
//   record: length varint | attributes int8 (unused) | timestampDelta varlong | offsetDelta varint |
//           key varint-bytes | value varint-bytes | headers: count varint, then (key varint-string, value varint-bytes)
//
// Attributes: bits 0-2 compression (only 0, none, is implemented: others are refused with "unsupported-compression"),
// bit 3 timestamp type, bit 4 transactional, bit 5 control, bit 6 delete horizon (KIP-534: baseTimestamp holds it).
// Decoding is strict: the CRC must match, and the records must fill the batch exactly (DefaultRecord.readFrom's and
// the batch iterator's InvalidRecordException checks); a malformed record is "invalid-record".
import { crc32c } from "./crc32c.ts";
import { WireDecodeFailure, catchDecode, type Decoded } from "./decode-error.ts";
import { Reader } from "./reader.ts";
import { Writer } from "./writer.ts";

export const MAGIC_V2 = 2;
/** baseOffset + batchLength: the bytes before those batchLength counts (Records.LOG_OVERHEAD). */
export const LOG_OVERHEAD = 12;
/** The header of a batch up to and including recordCount (DefaultRecordBatch.RECORD_BATCH_OVERHEAD). */
export const RECORD_BATCH_OVERHEAD = 61;
/** baseOffset, batchLength, partitionLeaderEpoch, magic: what Kafka reads before it knows the format. */
export const HEADER_SIZE_UP_TO_MAGIC = 17;
const CRC_OFFSET = 17;
const ATTRIBUTES_OFFSET = 21;
/** The smallest record: a one-byte length and six one-byte fields. */
const MIN_RECORD_BYTES = 7;

const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_BIT = 0x08;
const TRANSACTIONAL_BIT = 0x10;
const CONTROL_BIT = 0x20;
const DELETE_HORIZON_BIT = 0x40;
const COMPRESSION_NAMES = ["none", "gzip", "snappy", "lz4", "zstd"] as const;

export type TimestampType = "CreateTime" | "LogAppendTime";

export interface RecordHeader {
  readonly key: string;
  readonly value: Uint8Array | null;
}

export interface BatchRecord {
  readonly timestampDelta: number;
  readonly offsetDelta: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: readonly RecordHeader[];
}

export interface RecordBatch {
  readonly baseOffset: number;
  readonly partitionLeaderEpoch: number;
  readonly timestampType: TimestampType;
  readonly isTransactional: boolean;
  readonly isControl: boolean;
  /** KIP-534: set by log compaction; baseTimestamp is then the delete horizon. */
  readonly hasDeleteHorizonMs: boolean;
  readonly lastOffsetDelta: number;
  readonly baseTimestamp: number;
  readonly maxTimestamp: number;
  /** -1 without idempotence. */
  readonly producerId: number;
  readonly producerEpoch: number;
  /** -1 without idempotence. */
  readonly baseSequence: number;
  readonly records: readonly BatchRecord[];
}

const NO_HEADERS: readonly RecordHeader[] = Object.freeze([]);

/** Reads one whole batch at r.pos and leaves r.pos after it. Raises WireDecodeFailure: "truncated" (the batch is
 *  longer than the bytes), "invalid-length" (batchLength below the v2 minimum), "unsupported-magic", "bad-crc",
 *  "unsupported-compression", "invalid-record" (a record or the record count does not fit the batch). */
export function readRecordBatch(r: Reader): RecordBatch {
  const start = r.pos;
  const baseOffset = r.int64();
  const batchLength = r.int32();
  if (batchLength < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) {
    r.fail("invalid-length", `record batch length ${batchLength} below the minimum ${RECORD_BATCH_OVERHEAD - LOG_OVERHEAD}`, start);
  }
  if (batchLength > r.remaining()) r.fail("truncated", `record batch of ${batchLength} bytes, ${r.remaining()} left`, start);
  const end = r.pos + batchLength;
  const partitionLeaderEpoch = r.int32();
  const magic = r.int8();
  if (magic !== MAGIC_V2) r.fail("unsupported-magic", `magic ${magic} (only record batch v2 is implemented)`, start + 16);
  const storedCrc = r.uint32();
  const computedCrc = crc32c(r.buffer(), start + ATTRIBUTES_OFFSET, end);
  if (storedCrc !== computedCrc) {
    r.fail("bad-crc", `record batch is corrupt (stored crc = ${storedCrc}, computed crc = ${computedCrc})`, start + CRC_OFFSET);
  }
  const attributes = r.int16();
  const compression = attributes & COMPRESSION_MASK;
  if (compression !== 0) {
    const name = COMPRESSION_NAMES[compression] ?? `codec ${compression}`;
    r.fail("unsupported-compression", `compression ${name} (only none is implemented)`, start + ATTRIBUTES_OFFSET);
  }
  const lastOffsetDelta = r.int32();
  const baseTimestamp = r.int64();
  const maxTimestamp = r.int64();
  const producerId = r.int64();
  const producerEpoch = r.int16();
  const baseSequence = r.int32();
  const records = readRecords(r, end);
  return {
    baseOffset,
    partitionLeaderEpoch,
    timestampType: attributes & TIMESTAMP_TYPE_BIT ? "LogAppendTime" : "CreateTime",
    isTransactional: (attributes & TRANSACTIONAL_BIT) !== 0,
    isControl: (attributes & CONTROL_BIT) !== 0,
    hasDeleteHorizonMs: (attributes & DELETE_HORIZON_BIT) !== 0,
    lastOffsetDelta,
    baseTimestamp,
    maxTimestamp,
    producerId,
    producerEpoch,
    baseSequence,
    records,
  };
}

/** The records of a batch ending at `end`; any failure inside is "invalid-record" (the CRC matched, so the batch
 *  was written this way: Kafka's InvalidRecordException). */
function readRecords(r: Reader, end: number): BatchRecord[] {
  const outerEnd = r.end;
  r.end = end;
  try {
    const at = r.pos;
    const count = r.int32();
    if (count < 0) r.fail("invalid-record", `invalid record count ${count}`, at);
    if (count * MIN_RECORD_BYTES > r.remaining()) {
      r.fail("invalid-record", `record count ${count} cannot fit in the ${r.remaining()} bytes of the batch`, at);
    }
    const records = new Array<BatchRecord>(count);
    for (let i = 0; i < count; i++) records[i] = readRecord(r);
    if (r.pos !== end) r.fail("invalid-record", "incorrect declared batch size, records still remaining in the batch");
    return records;
  } catch (e) {
    if (e instanceof WireDecodeFailure && e.detail.kind !== "invalid-record") {
      throw new WireDecodeFailure("invalid-record", e.detail.message, e.detail.offset);
    }
    throw e;
  } finally {
    r.end = outerEnd;
  }
}

function readRecord(r: Reader): BatchRecord {
  const at = r.pos;
  const size = r.varint();
  if (size < 0 || size > r.remaining()) {
    r.fail("invalid-record", `invalid record size ${size} (${r.remaining()} bytes left in the batch)`, at);
  }
  const recordEnd = r.pos + size;
  const batchEnd = r.end;
  r.end = recordEnd;
  r.int8(); // record attributes: unused (DefaultRecord)
  const timestampDelta = r.varlong();
  const offsetDelta = r.varint();
  const key = r.varintNullableBytes();
  const value = r.varintNullableBytes();
  const headerCount = r.varintArrayLength(2, "record headers");
  let headers = NO_HEADERS;
  if (headerCount > 0) {
    const hs = new Array<RecordHeader>(headerCount);
    for (let i = 0; i < headerCount; i++) hs[i] = { key: r.varintString(), value: r.varintNullableBytes() };
    headers = hs;
  }
  if (r.pos !== recordEnd) r.fail("invalid-record", `record of ${size} bytes has ${recordEnd - r.pos} bytes left over`, at);
  r.end = batchEnd;
  return { timestampDelta, offsetDelta, key, value, headers };
}

/** Every batch in bytes [r.pos, end), strictly: a partial batch at the end is an error. */
export function readRecordBatches(r: Reader, end: number): RecordBatch[] {
  const outerEnd = r.end;
  r.end = end;
  try {
    const batches: RecordBatch[] = [];
    while (r.pos < end) batches.push(readRecordBatch(r));
    return batches;
  } finally {
    r.end = outerEnd;
  }
}

/** Decodes a records field (concatenated batches) without throwing. */
export function decodeRecordBatches(bytes: Uint8Array): Decoded<RecordBatch[]> {
  return catchDecode(() => {
    const r = new Reader(bytes);
    return readRecordBatches(r, bytes.length);
  });
}

function sizeOfVarint(v: number): number {
  let raw = ((v << 1) ^ (v >> 31)) >>> 0;
  let n = 1;
  while (raw >= 0x80) {
    raw >>>= 7;
    n++;
  }
  return n;
}

function sizeOfVarlong(v: number): number {
  let raw = v >= 0 ? v * 2 : -v * 2 - 1;
  let n = 1;
  while (raw >= 0x80) {
    raw = Math.floor(raw / 0x80);
    n++;
  }
  return n;
}

function sizeOfVarintBytes(b: Uint8Array | null): number {
  return b === null ? 1 : sizeOfVarint(b.length) + b.length;
}

function recordBodySize(rec: BatchRecord): number {
  let size = 1 + sizeOfVarlong(rec.timestampDelta) + sizeOfVarint(rec.offsetDelta) + sizeOfVarintBytes(rec.key) + sizeOfVarintBytes(rec.value);
  size += sizeOfVarint(rec.headers.length);
  for (const h of rec.headers) {
    const keyBytes = Buffer.byteLength(h.key, "utf8");
    size += sizeOfVarint(keyBytes) + keyBytes + sizeOfVarintBytes(h.value);
  }
  return size;
}

/** Appends one batch, its length and CRC-32C patched in place. */
export function writeRecordBatch(w: Writer, batch: RecordBatch): void {
  w.int64(batch.baseOffset);
  const lengthAt = w.reserveInt32();
  w.int32(batch.partitionLeaderEpoch);
  w.int8(MAGIC_V2);
  const crcAt = w.reserveInt32();
  const crcFrom = w.pos;
  let attributes = 0;
  if (batch.timestampType === "LogAppendTime") attributes |= TIMESTAMP_TYPE_BIT;
  if (batch.isTransactional) attributes |= TRANSACTIONAL_BIT;
  if (batch.isControl) attributes |= CONTROL_BIT;
  if (batch.hasDeleteHorizonMs) attributes |= DELETE_HORIZON_BIT;
  w.int16(attributes);
  w.int32(batch.lastOffsetDelta);
  w.int64(batch.baseTimestamp);
  w.int64(batch.maxTimestamp);
  w.int64(batch.producerId);
  w.int16(batch.producerEpoch);
  w.int32(batch.baseSequence);
  w.int32(batch.records.length);
  for (const rec of batch.records) {
    w.varint(recordBodySize(rec));
    w.int8(0);
    w.varlong(rec.timestampDelta);
    w.varint(rec.offsetDelta);
    w.varintNullableBytes(rec.key);
    w.varintNullableBytes(rec.value);
    w.varint(rec.headers.length);
    for (const h of rec.headers) w.varintString(h.key).varintNullableBytes(h.value);
  }
  w.patchInt32(lengthAt, w.pos - lengthAt - 4);
  w.patchUint32(crcAt, crc32c(w.written(crcFrom, w.pos)));
}

/** The bytes of a records field holding these batches. */
export function encodeRecordBatches(batches: readonly RecordBatch[], w = new Writer()): Uint8Array {
  w.reset();
  for (const b of batches) writeRecordBatch(w, b);
  return w.toBytes();
}
