// OffsetFetch (key 9), v1-4 (OffsetFetchRequest.json / OffsetFetchResponse.json). v0 (offsets in ZooKeeper) is not
// implemented, as in kafkajs. v2 makes the topic list nullable (null: every partition the group committed) and adds a
// top-level error; v3 throttleTimeMs; v4 changes only throttling. v5 (committedLeaderEpoch) is beyond kafkajs.
import { API_KEY } from "../api-keys.ts";
import { errorNumber, type WireErrorName } from "../error-codes.ts";
import type { Reader } from "../reader.ts";
import type { Writer } from "../writer.ts";

export interface OffsetFetchTopic {
  readonly name: string;
  readonly partitionIndexes: readonly number[];
}

export interface OffsetFetchRequest {
  readonly apiKey: typeof API_KEY.OffsetFetch;
  readonly groupId: string;
  /** null (v2+): every committed partition of the group. kafkajs sends null for an empty list from v3. */
  readonly topics: readonly OffsetFetchTopic[] | null;
}

export interface OffsetFetchPartitionResponse {
  readonly partitionIndex: number;
  /** -1: no committed offset. */
  readonly committedOffset: number;
  readonly metadata: string | null;
  readonly error: WireErrorName;
}

export interface OffsetFetchTopicResponse {
  readonly name: string;
  readonly partitions: readonly OffsetFetchPartitionResponse[];
}

export interface OffsetFetchResponse {
  readonly apiKey: typeof API_KEY.OffsetFetch;
  /** v3+. */
  readonly throttleTimeMs: number;
  readonly topics: readonly OffsetFetchTopicResponse[];
  /** v2+: a group-level error (e.g. COORDINATOR_LOAD_IN_PROGRESS). */
  readonly error: WireErrorName;
}

export function readOffsetFetchRequest(r: Reader, version: number): OffsetFetchRequest {
  const groupId = r.string();
  const n = version >= 2 ? r.nullableArrayLength(6, "topics") : r.arrayLength(6, "topics");
  let topics: OffsetFetchTopic[] | null = null;
  if (n >= 0) {
    topics = new Array<OffsetFetchTopic>(n);
    for (let t = 0; t < n; t++) topics[t] = { name: r.string(), partitionIndexes: r.int32Array("partition indexes") };
  }
  return { apiKey: API_KEY.OffsetFetch, groupId, topics };
}

export function writeOffsetFetchResponse(w: Writer, version: number, res: OffsetFetchResponse): void {
  if (version >= 3) w.int32(res.throttleTimeMs);
  w.int32(res.topics.length);
  for (const t of res.topics) {
    w.string(t.name);
    w.int32(t.partitions.length);
    for (const p of t.partitions) w.int32(p.partitionIndex).int64(p.committedOffset).nullableString(p.metadata).int16(errorNumber(p.error));
  }
  if (version >= 2) w.int16(errorNumber(res.error));
}
