// ListOffsets (key 2), v0-3 (ListOffsetsRequest.json / ListOffsetsResponse.json). v0 asks for up to maxNumOffsets
// offsets before a timestamp and answers a list (oldStyleOffsets); v1 answers one timestamp and offset; v2 adds
// isolationLevel and throttleTimeMs; v3 changes only throttling. Timestamps -1 (latest) and -2 (earliest) are the
// special values kafkajs sends (ListOffsetsRequest.LATEST_TIMESTAMP / EARLIEST_TIMESTAMP).
import { API_KEY } from "../api-keys.ts";
import { errorNumber, type WireErrorName } from "../error-codes.ts";
import type { Reader } from "../reader.ts";
import type { Writer } from "../writer.ts";

export interface ListOffsetsPartition {
  readonly partitionIndex: number;
  readonly timestamp: number;
  /** v0 only; 1 from v1. */
  readonly maxNumOffsets: number;
}

export interface ListOffsetsTopic {
  readonly name: string;
  readonly partitions: readonly ListOffsetsPartition[];
}

export interface ListOffsetsRequest {
  readonly apiKey: typeof API_KEY.ListOffsets;
  readonly replicaId: number;
  /** v2+; 0 (read_uncommitted) below. */
  readonly isolationLevel: number;
  readonly topics: readonly ListOffsetsTopic[];
}

export interface ListOffsetsPartitionResponse {
  readonly partitionIndex: number;
  readonly error: WireErrorName;
  /** v0 only. */
  readonly oldStyleOffsets: readonly number[];
  /** v1+. */
  readonly timestamp: number;
  /** v1+. */
  readonly offset: number;
}

export interface ListOffsetsTopicResponse {
  readonly name: string;
  readonly partitions: readonly ListOffsetsPartitionResponse[];
}

export interface ListOffsetsResponse {
  readonly apiKey: typeof API_KEY.ListOffsets;
  /** v2+. */
  readonly throttleTimeMs: number;
  readonly topics: readonly ListOffsetsTopicResponse[];
}

export function readListOffsetsRequest(r: Reader, version: number): ListOffsetsRequest {
  const replicaId = r.int32();
  const isolationLevel = version >= 2 ? r.int8() : 0;
  const topicCount = r.arrayLength(6, "topics");
  const topics = new Array<ListOffsetsTopic>(topicCount);
  for (let t = 0; t < topicCount; t++) {
    const name = r.string();
    const n = r.arrayLength(version === 0 ? 16 : 12, "partitions");
    const partitions = new Array<ListOffsetsPartition>(n);
    for (let p = 0; p < n; p++) {
      const partitionIndex = r.int32();
      const timestamp = r.int64();
      const maxNumOffsets = version === 0 ? r.int32() : 1;
      partitions[p] = { partitionIndex, timestamp, maxNumOffsets };
    }
    topics[t] = { name, partitions };
  }
  return { apiKey: API_KEY.ListOffsets, replicaId, isolationLevel, topics };
}

export function writeListOffsetsResponse(w: Writer, version: number, res: ListOffsetsResponse): void {
  if (version >= 2) w.int32(res.throttleTimeMs);
  w.int32(res.topics.length);
  for (const t of res.topics) {
    w.string(t.name);
    w.int32(t.partitions.length);
    for (const p of t.partitions) {
      w.int32(p.partitionIndex).int16(errorNumber(p.error));
      if (version === 0) {
        w.int32(p.oldStyleOffsets.length);
        for (const o of p.oldStyleOffsets) w.int64(o);
      } else {
        w.int64(p.timestamp).int64(p.offset);
      }
    }
  }
}
