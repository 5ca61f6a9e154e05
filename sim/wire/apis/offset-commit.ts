// OffsetCommit (key 8), v0-5 (OffsetCommitRequest.json / OffsetCommitResponse.json). v1 adds generationId, memberId
// and a per-partition commitTimestamp (v1 only); v2-4 a retentionTimeMs instead; v3 throttleTimeMs; v5 drops the
// retention time (KIP-211). v6 (committedLeaderEpoch) is beyond kafkajs.
import { API_KEY } from "../api-keys.ts";
import { errorNumber, type WireErrorName } from "../error-codes.ts";
import type { Reader } from "../reader.ts";
import type { Writer } from "../writer.ts";

export interface OffsetCommitPartition {
  readonly partitionIndex: number;
  readonly committedOffset: number;
  /** v1 only; -1 otherwise. */
  readonly commitTimestamp: number;
  readonly committedMetadata: string | null;
}

export interface OffsetCommitTopic {
  readonly name: string;
  readonly partitions: readonly OffsetCommitPartition[];
}

export interface OffsetCommitRequest {
  readonly apiKey: typeof API_KEY.OffsetCommit;
  readonly groupId: string;
  /** v1+; -1 below (a commit outside group management). */
  readonly generationId: number;
  /** v1+; "" below. */
  readonly memberId: string;
  /** v2-4; -1 (the broker's offsets.retention.minutes) otherwise. */
  readonly retentionTimeMs: number;
  readonly topics: readonly OffsetCommitTopic[];
}

export interface OffsetCommitPartitionResponse {
  readonly partitionIndex: number;
  readonly error: WireErrorName;
}

export interface OffsetCommitTopicResponse {
  readonly name: string;
  readonly partitions: readonly OffsetCommitPartitionResponse[];
}

export interface OffsetCommitResponse {
  readonly apiKey: typeof API_KEY.OffsetCommit;
  /** v3+. */
  readonly throttleTimeMs: number;
  readonly topics: readonly OffsetCommitTopicResponse[];
}

export function readOffsetCommitRequest(r: Reader, version: number): OffsetCommitRequest {
  const groupId = r.string();
  const generationId = version >= 1 ? r.int32() : -1;
  const memberId = version >= 1 ? r.string() : "";
  const retentionTimeMs = version >= 2 && version <= 4 ? r.int64() : -1;
  const topicCount = r.arrayLength(6, "topics");
  const topics = new Array<OffsetCommitTopic>(topicCount);
  for (let t = 0; t < topicCount; t++) {
    const name = r.string();
    const n = r.arrayLength(version === 1 ? 22 : 14, "partitions");
    const partitions = new Array<OffsetCommitPartition>(n);
    for (let p = 0; p < n; p++) {
      const partitionIndex = r.int32();
      const committedOffset = r.int64();
      const commitTimestamp = version === 1 ? r.int64() : -1;
      const committedMetadata = r.nullableString();
      partitions[p] = { partitionIndex, committedOffset, commitTimestamp, committedMetadata };
    }
    topics[t] = { name, partitions };
  }
  return { apiKey: API_KEY.OffsetCommit, groupId, generationId, memberId, retentionTimeMs, topics };
}

export function writeOffsetCommitResponse(w: Writer, version: number, res: OffsetCommitResponse): void {
  if (version >= 3) w.int32(res.throttleTimeMs);
  w.int32(res.topics.length);
  for (const t of res.topics) {
    w.string(t.name);
    w.int32(t.partitions.length);
    for (const p of t.partitions) w.int32(p.partitionIndex).int16(errorNumber(p.error));
  }
}
