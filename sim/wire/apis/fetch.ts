// Fetch (key 1), v4-11 (FetchRequest.json / FetchResponse.json). v4 brings isolationLevel, lastStableOffset and
// abortedTransactions (and record batches v2: Fetch v0-3 answer legacy message sets and are not implemented); v5
// logStartOffset; v7 fetch sessions (KIP-227: sessionId, sessionEpoch, forgottenTopicsData, a top-level error);
// v9 currentLeaderEpoch (KIP-320); v11 rackId and preferredReadReplica (KIP-392). v12 is the first flexible one.
import { API_KEY } from "../api-keys.ts";
import { errorNumber, type WireErrorName } from "../error-codes.ts";
import type { Reader } from "../reader.ts";
import { writeRecordBatch, type RecordBatch } from "../record-batch.ts";
import type { Writer } from "../writer.ts";

export interface FetchPartition {
  readonly partition: number;
  /** v9+; -1 (unknown) below. */
  readonly currentLeaderEpoch: number;
  readonly fetchOffset: number;
  /** v5+ (followers only); -1 below. */
  readonly logStartOffset: number;
  readonly partitionMaxBytes: number;
}

export interface FetchTopic {
  readonly topic: string;
  readonly partitions: readonly FetchPartition[];
}

export interface ForgottenTopic {
  readonly topic: string;
  readonly partitions: readonly number[];
}

export interface FetchRequest {
  readonly apiKey: typeof API_KEY.Fetch;
  /** -1 for a consumer. */
  readonly replicaId: number;
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  /** 0 read_uncommitted, 1 read_committed (kafkajs's default). */
  readonly isolationLevel: number;
  /** v7+; 0 (no session) below. */
  readonly sessionId: number;
  /** v7+; -1 below. */
  readonly sessionEpoch: number;
  readonly topics: readonly FetchTopic[];
  /** v7+; empty below. */
  readonly forgottenTopicsData: readonly ForgottenTopic[];
  /** v11+; "" below. */
  readonly rackId: string;
}

export interface AbortedTransaction {
  readonly producerId: number;
  readonly firstOffset: number;
}

export interface FetchPartitionResponse {
  readonly partitionIndex: number;
  readonly error: WireErrorName;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  /** v5+. */
  readonly logStartOffset: number;
  /** null when the fetch is read_uncommitted. */
  readonly abortedTransactions: readonly AbortedTransaction[] | null;
  /** v11+; -1: none. */
  readonly preferredReadReplica: number;
  /** The batches, written one after the other into the records field. */
  readonly records: readonly RecordBatch[];
}

export interface FetchTopicResponse {
  readonly topic: string;
  readonly partitions: readonly FetchPartitionResponse[];
}

export interface FetchResponse {
  readonly apiKey: typeof API_KEY.Fetch;
  readonly throttleTimeMs: number;
  /** v7+: the fetch session's error (e.g. FETCH_SESSION_ID_NOT_FOUND). */
  readonly error: WireErrorName;
  /** v7+; 0: no session. */
  readonly sessionId: number;
  readonly responses: readonly FetchTopicResponse[];
}

export function readFetchRequest(r: Reader, version: number): FetchRequest {
  const replicaId = r.int32();
  const maxWaitMs = r.int32();
  const minBytes = r.int32();
  const maxBytes = r.int32();
  const isolationLevel = r.int8();
  const sessionId = version >= 7 ? r.int32() : 0;
  const sessionEpoch = version >= 7 ? r.int32() : -1;
  const topicCount = r.arrayLength(6, "topics");
  const topics = new Array<FetchTopic>(topicCount);
  const partitionBytes = 4 + (version >= 9 ? 4 : 0) + 8 + (version >= 5 ? 8 : 0) + 4;
  for (let t = 0; t < topicCount; t++) {
    const topic = r.string();
    const n = r.arrayLength(partitionBytes, "partitions");
    const partitions = new Array<FetchPartition>(n);
    for (let p = 0; p < n; p++) {
      const partition = r.int32();
      const currentLeaderEpoch = version >= 9 ? r.int32() : -1;
      const fetchOffset = r.int64();
      const logStartOffset = version >= 5 ? r.int64() : -1;
      const partitionMaxBytes = r.int32();
      partitions[p] = { partition, currentLeaderEpoch, fetchOffset, logStartOffset, partitionMaxBytes };
    }
    topics[t] = { topic, partitions };
  }
  let forgottenTopicsData: ForgottenTopic[] = [];
  if (version >= 7) {
    const n = r.arrayLength(6, "forgotten topics");
    forgottenTopicsData = new Array<ForgottenTopic>(n);
    for (let i = 0; i < n; i++) forgottenTopicsData[i] = { topic: r.string(), partitions: r.int32Array("forgotten partitions") };
  }
  const rackId = version >= 11 ? r.string() : "";
  return { apiKey: API_KEY.Fetch, replicaId, maxWaitMs, minBytes, maxBytes, isolationLevel, sessionId, sessionEpoch, topics, forgottenTopicsData, rackId };
}

export function writeFetchResponse(w: Writer, version: number, res: FetchResponse): void {
  w.int32(res.throttleTimeMs);
  if (version >= 7) w.int16(errorNumber(res.error)).int32(res.sessionId);
  w.int32(res.responses.length);
  for (const t of res.responses) {
    w.string(t.topic);
    w.int32(t.partitions.length);
    for (const p of t.partitions) {
      w.int32(p.partitionIndex).int16(errorNumber(p.error)).int64(p.highWatermark).int64(p.lastStableOffset);
      if (version >= 5) w.int64(p.logStartOffset);
      const aborted = p.abortedTransactions;
      if (aborted === null) w.int32(-1);
      else {
        w.int32(aborted.length);
        for (const a of aborted) w.int64(a.producerId).int64(a.firstOffset);
      }
      if (version >= 11) w.int32(p.preferredReadReplica);
      const sizeAt = w.reserveInt32();
      for (const b of p.records) writeRecordBatch(w, b);
      w.patchInt32(sizeAt, w.pos - sizeAt - 4);
    }
  }
}
