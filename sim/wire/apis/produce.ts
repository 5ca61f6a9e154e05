// Produce (key 0), v3-7 (ProduceRequest.json / ProduceResponse.json). v3 brings transactionalId and record batch v2;
// v4-7 change only what the broker may answer (v4: KAFKA_STORAGE_ERROR, v5: logStartOffset, v6: throttling after
// the response, v7: ZStandard). Produce v0-2 carry legacy message sets and are not implemented. With acks = 0 the
// broker sends no response at all (ProduceRequest: the client does not expect one; kafkajs expectResponse).
//
// A partition's records are checked as the broker checks them before appending, and a failure is that partition's
// error, not the request's (KafkaApis.handleProduceRequest → ProduceRequest.validateRecords, then
// UnifiedLog.analyzeAndValidateRecords and LogValidator):
//   - a batch frame too short, a magic above 2, a CRC mismatch → CORRUPT_MESSAGE (CorruptRecordException);
//   - no whole batch, a magic other than 2, more than one batch, a malformed record → INVALID_RECORD;
//   - a compressed batch → UNSUPPORTED_COMPRESSION_TYPE (this codec implements no compression; Kafka would accept it).
// A partial batch after the first is ignored, as Kafka's batch iterator stops at it (ByteBufferLogInputStream).
import { API_KEY } from "../api-keys.ts";
import { WireDecodeFailure, type WireDecodeError } from "../decode-error.ts";
import { errorNumber, type WireErrorName } from "../error-codes.ts";
import type { Reader } from "../reader.ts";
import { HEADER_SIZE_UP_TO_MAGIC, LOG_OVERHEAD, MAGIC_V2, readRecordBatch, type RecordBatch } from "../record-batch.ts";
import type { Writer } from "../writer.ts";

/** The records of one partition: the batch, or the error the broker answers for this partition. */
export type ProduceRecords =
  | { readonly ok: true; readonly batch: RecordBatch }
  | { readonly ok: false; readonly error: WireErrorName; readonly detail: WireDecodeError };

export interface ProducePartitionData {
  readonly index: number;
  readonly records: ProduceRecords;
}

export interface ProduceTopicData {
  readonly name: string;
  readonly partitions: readonly ProducePartitionData[];
}

export interface ProduceRequest {
  readonly apiKey: typeof API_KEY.Produce;
  readonly transactionalId: string | null;
  /** 0: no response is sent. */
  readonly acks: number;
  readonly timeoutMs: number;
  readonly topics: readonly ProduceTopicData[];
}

export interface ProducePartitionResponse {
  readonly index: number;
  readonly error: WireErrorName;
  readonly baseOffset: number;
  /** v2+; -1 unless the topic uses LogAppendTime. */
  readonly logAppendTimeMs: number;
  /** v5+. */
  readonly logStartOffset: number;
}

export interface ProduceTopicResponse {
  readonly name: string;
  readonly partitions: readonly ProducePartitionResponse[];
}

export interface ProduceResponse {
  readonly apiKey: typeof API_KEY.Produce;
  readonly topics: readonly ProduceTopicResponse[];
  /** v1+. */
  readonly throttleTimeMs: number;
}

export function readProduceRequest(r: Reader, _version: number): ProduceRequest {
  const transactionalId = r.nullableString();
  const acks = r.int16();
  const timeoutMs = r.int32();
  const topicCount = r.arrayLength(6, "topics");
  const topics = new Array<ProduceTopicData>(topicCount);
  for (let t = 0; t < topicCount; t++) {
    const name = r.string();
    const partitionCount = r.arrayLength(8, "partitions");
    const partitions = new Array<ProducePartitionData>(partitionCount);
    for (let p = 0; p < partitionCount; p++) {
      const index = r.int32();
      const at = r.pos;
      const len = r.bytesLength(true, "records");
      const records = readPartitionRecords(r, at, len);
      partitions[p] = { index, records };
    }
    topics[t] = { name, partitions };
  }
  return { apiKey: API_KEY.Produce, transactionalId, acks, timeoutMs, topics };
}

/** The partition's records field of `len` bytes (-1: null) starting at r.pos; leaves r.pos after the field. */
function readPartitionRecords(r: Reader, at: number, len: number): ProduceRecords {
  const end = len < 0 ? r.pos : r.pos + len;
  try {
    const available = end - r.pos;
    if (available < LOG_OVERHEAD) return invalid("INVALID_RECORD", "must have at least one record batch per partition", at);
    const batchLength = peekInt32(r, r.pos + 8);
    if (batchLength < 14) {
      // LegacyRecord.RECORD_OVERHEAD_V0, the first check of ByteBufferLogInputStream.nextBatchSize
      return invalid("CORRUPT_MESSAGE", `record size ${batchLength} is less than the minimum record overhead (14)`, at);
    }
    if (available < HEADER_SIZE_UP_TO_MAGIC || available < LOG_OVERHEAD + batchLength) {
      return invalid("INVALID_RECORD", "must have at least one record batch per partition", at);
    }
    const magic = r.buffer()[r.pos + 16]!;
    const signedMagic = magic > 127 ? magic - 256 : magic;
    if (signedMagic < 0 || signedMagic > MAGIC_V2) return invalid("CORRUPT_MESSAGE", `invalid magic found in record: ${signedMagic}`, at);
    if (signedMagic !== MAGIC_V2) return invalid("INVALID_RECORD", "only record batches with magic version 2 are allowed", at);
    const outerEnd = r.end;
    r.end = end;
    let batch: RecordBatch;
    try {
      batch = readRecordBatch(r);
    } finally {
      r.end = outerEnd;
    }
    // A second batch makes the request invalid only if it is whole (the iterator ignores a partial tail).
    const rest = end - r.pos;
    if (rest >= LOG_OVERHEAD) {
      const nextLength = peekInt32(r, r.pos + 8);
      if (nextLength < 14) return invalid("CORRUPT_MESSAGE", `record size ${nextLength} is less than the minimum record overhead (14)`, at);
      if (rest >= HEADER_SIZE_UP_TO_MAGIC && rest >= LOG_OVERHEAD + nextLength) {
        return invalid("INVALID_RECORD", "only exactly one record batch per partition is allowed", at);
      }
    }
    return { ok: true, batch };
  } catch (e) {
    if (!(e instanceof WireDecodeFailure)) throw e;
    const d = e.detail;
    const error: WireErrorName =
      d.kind === "bad-crc" || d.kind === "invalid-length" ? "CORRUPT_MESSAGE" : d.kind === "unsupported-compression" ? "UNSUPPORTED_COMPRESSION_TYPE" : "INVALID_RECORD";
    return { ok: false, error, detail: d };
  } finally {
    r.pos = end;
  }
}

function invalid(error: WireErrorName, message: string, offset: number): ProduceRecords {
  return { ok: false, error, detail: { kind: error === "CORRUPT_MESSAGE" ? "invalid-length" : "invalid-record", message, offset } };
}

function peekInt32(r: Reader, at: number): number {
  const b = r.buffer();
  return (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
}

export function writeProduceResponse(w: Writer, version: number, res: ProduceResponse): void {
  w.int32(res.topics.length);
  for (const t of res.topics) {
    w.string(t.name);
    w.int32(t.partitions.length);
    for (const p of t.partitions) {
      w.int32(p.index).int16(errorNumber(p.error)).int64(p.baseOffset);
      if (version >= 2) w.int64(p.logAppendTimeMs);
      if (version >= 5) w.int64(p.logStartOffset);
    }
  }
  if (version >= 1) w.int32(res.throttleTimeMs);
}
