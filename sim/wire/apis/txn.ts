// The transaction APIs of KIP-98 a transactional producer sends (kafkajs's eosManager): AddPartitionsToTxn (key 24),
// AddOffsetsToTxn (25), EndTxn (26), TxnOffsetCommit (28), v0-1 each (AddPartitionsToTxnRequest.json, …,
// TxnOffsetCommitResponse.json). v1 changes only throttling (KIP-219) in all four; v2 adds nothing a v1 client
// needs but TxnOffsetCommit's committedLeaderEpoch; the first flexible versions are AddPartitionsToTxn 3,
// AddOffsetsToTxn 3, EndTxn 3 and TxnOffsetCommit 3 (KIP-447's generation and member id come with v3), all beyond
// kafkajs 2.2.x. One file for the four: they share the (transactional id, producer id, epoch) prefix.
import { API_KEY } from "../api-keys.ts";
import { errorNumber, type WireErrorName } from "../error-codes.ts";
import type { Reader } from "../reader.ts";
import type { Writer } from "../writer.ts";

export interface AddPartitionsToTxnTopic {
  readonly name: string;
  readonly partitions: readonly number[];
}

export interface AddPartitionsToTxnRequest {
  readonly apiKey: typeof API_KEY.AddPartitionsToTxn;
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly topics: readonly AddPartitionsToTxnTopic[];
}

export interface PartitionError {
  readonly partitionIndex: number;
  readonly error: WireErrorName;
}

export interface TopicPartitionErrors {
  readonly name: string;
  readonly partitions: readonly PartitionError[];
}

export interface AddPartitionsToTxnResponse {
  readonly apiKey: typeof API_KEY.AddPartitionsToTxn;
  readonly throttleTimeMs: number;
  readonly results: readonly TopicPartitionErrors[];
}

export interface AddOffsetsToTxnRequest {
  readonly apiKey: typeof API_KEY.AddOffsetsToTxn;
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly groupId: string;
}

export interface AddOffsetsToTxnResponse {
  readonly apiKey: typeof API_KEY.AddOffsetsToTxn;
  readonly throttleTimeMs: number;
  readonly error: WireErrorName;
}

export interface EndTxnRequest {
  readonly apiKey: typeof API_KEY.EndTxn;
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  /** true: commit, false: abort. */
  readonly committed: boolean;
}

export interface EndTxnResponse {
  readonly apiKey: typeof API_KEY.EndTxn;
  readonly throttleTimeMs: number;
  readonly error: WireErrorName;
}

export interface TxnOffsetCommitPartition {
  readonly partitionIndex: number;
  readonly committedOffset: number;
  readonly committedMetadata: string | null;
}

export interface TxnOffsetCommitTopic {
  readonly name: string;
  readonly partitions: readonly TxnOffsetCommitPartition[];
}

export interface TxnOffsetCommitRequest {
  readonly apiKey: typeof API_KEY.TxnOffsetCommit;
  readonly transactionalId: string;
  readonly groupId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly topics: readonly TxnOffsetCommitTopic[];
}

export interface TxnOffsetCommitResponse {
  readonly apiKey: typeof API_KEY.TxnOffsetCommit;
  readonly throttleTimeMs: number;
  readonly topics: readonly TopicPartitionErrors[];
}

export function readAddPartitionsToTxnRequest(r: Reader, _version: number): AddPartitionsToTxnRequest {
  const transactionalId = r.string();
  const producerId = r.int64();
  const producerEpoch = r.int16();
  const topicCount = r.arrayLength(6, "topics");
  const topics = new Array<AddPartitionsToTxnTopic>(topicCount);
  for (let t = 0; t < topicCount; t++) {
    const name = r.string();
    const n = r.arrayLength(4, "partitions");
    const partitions = new Array<number>(n);
    for (let p = 0; p < n; p++) partitions[p] = r.int32();
    topics[t] = { name, partitions };
  }
  return { apiKey: API_KEY.AddPartitionsToTxn, transactionalId, producerId, producerEpoch, topics };
}

function writeTopicPartitionErrors(w: Writer, topics: readonly TopicPartitionErrors[]): void {
  w.int32(topics.length);
  for (const t of topics) {
    w.string(t.name);
    w.int32(t.partitions.length);
    for (const p of t.partitions) w.int32(p.partitionIndex).int16(errorNumber(p.error));
  }
}

export function writeAddPartitionsToTxnResponse(w: Writer, _version: number, res: AddPartitionsToTxnResponse): void {
  w.int32(res.throttleTimeMs);
  writeTopicPartitionErrors(w, res.results);
}

export function readAddOffsetsToTxnRequest(r: Reader, _version: number): AddOffsetsToTxnRequest {
  const transactionalId = r.string();
  const producerId = r.int64();
  const producerEpoch = r.int16();
  const groupId = r.string();
  return { apiKey: API_KEY.AddOffsetsToTxn, transactionalId, producerId, producerEpoch, groupId };
}

export function writeAddOffsetsToTxnResponse(w: Writer, _version: number, res: AddOffsetsToTxnResponse): void {
  w.int32(res.throttleTimeMs).int16(errorNumber(res.error));
}

export function readEndTxnRequest(r: Reader, _version: number): EndTxnRequest {
  const transactionalId = r.string();
  const producerId = r.int64();
  const producerEpoch = r.int16();
  const committed = r.boolean();
  return { apiKey: API_KEY.EndTxn, transactionalId, producerId, producerEpoch, committed };
}

export function writeEndTxnResponse(w: Writer, _version: number, res: EndTxnResponse): void {
  w.int32(res.throttleTimeMs).int16(errorNumber(res.error));
}

export function readTxnOffsetCommitRequest(r: Reader, _version: number): TxnOffsetCommitRequest {
  const transactionalId = r.string();
  const groupId = r.string();
  const producerId = r.int64();
  const producerEpoch = r.int16();
  const topicCount = r.arrayLength(6, "topics");
  const topics = new Array<TxnOffsetCommitTopic>(topicCount);
  for (let t = 0; t < topicCount; t++) {
    const name = r.string();
    const n = r.arrayLength(14, "partitions");
    const partitions = new Array<TxnOffsetCommitPartition>(n);
    for (let p = 0; p < n; p++) {
      const partitionIndex = r.int32();
      const committedOffset = r.int64();
      const committedMetadata = r.nullableString();
      partitions[p] = { partitionIndex, committedOffset, committedMetadata };
    }
    topics[t] = { name, partitions };
  }
  return { apiKey: API_KEY.TxnOffsetCommit, transactionalId, groupId, producerId, producerEpoch, topics };
}

export function writeTxnOffsetCommitResponse(w: Writer, _version: number, res: TxnOffsetCommitResponse): void {
  w.int32(res.throttleTimeMs);
  writeTopicPartitionErrors(w, res.topics);
}
