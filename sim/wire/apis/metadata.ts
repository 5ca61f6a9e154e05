// Metadata (key 3), v0-6 (MetadataRequest.json / MetadataResponse.json). v1 makes the topic list nullable (null: all
// topics; in v0 an empty list means all, MetadataRequest.isAllTopics), v4 adds allowAutoTopicCreation; the response
// gains rack and controllerId (v1), clusterId (v2), throttleTimeMs (v3), offlineReplicas (v5). v7 (leader epochs)
// is beyond kafkajs.
import { API_KEY } from "../api-keys.ts";
import { errorNumber, type WireErrorName } from "../error-codes.ts";
import type { Reader } from "../reader.ts";
import type { Writer } from "../writer.ts";

export interface MetadataRequest {
  readonly apiKey: typeof API_KEY.Metadata;
  /** null: every topic (v0 sends an empty list for that; kafkajs sends null for an empty list from v1). */
  readonly topics: readonly string[] | null;
  /** v4+; true below (Kafka's default). */
  readonly allowAutoTopicCreation: boolean;
}

export interface MetadataBroker {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  /** v1+. */
  readonly rack: string | null;
}

export interface MetadataPartition {
  readonly error: WireErrorName;
  readonly partitionIndex: number;
  readonly leaderId: number;
  readonly replicaNodes: readonly number[];
  readonly isrNodes: readonly number[];
  /** v5+. */
  readonly offlineReplicas: readonly number[];
}

export interface MetadataTopic {
  readonly error: WireErrorName;
  readonly name: string;
  /** v1+. */
  readonly isInternal: boolean;
  readonly partitions: readonly MetadataPartition[];
}

export interface MetadataResponse {
  readonly apiKey: typeof API_KEY.Metadata;
  /** v3+. */
  readonly throttleTimeMs: number;
  readonly brokers: readonly MetadataBroker[];
  /** v2+. */
  readonly clusterId: string | null;
  /** v1+. */
  readonly controllerId: number;
  readonly topics: readonly MetadataTopic[];
}

export function readMetadataRequest(r: Reader, version: number): MetadataRequest {
  const n = version >= 1 ? r.nullableArrayLength(2, "topics") : r.arrayLength(2, "topics");
  let topics: string[] | null = null;
  if (n >= 0) {
    topics = new Array<string>(n);
    for (let i = 0; i < n; i++) topics[i] = r.string();
    if (version === 0 && n === 0) topics = null;
  }
  const allowAutoTopicCreation = version >= 4 ? r.boolean() : true;
  return { apiKey: API_KEY.Metadata, topics, allowAutoTopicCreation };
}

export function writeMetadataResponse(w: Writer, version: number, res: MetadataResponse): void {
  if (version >= 3) w.int32(res.throttleTimeMs);
  w.int32(res.brokers.length);
  for (const b of res.brokers) {
    w.int32(b.nodeId).string(b.host).int32(b.port);
    if (version >= 1) w.nullableString(b.rack);
  }
  if (version >= 2) w.nullableString(res.clusterId);
  if (version >= 1) w.int32(res.controllerId);
  w.int32(res.topics.length);
  for (const t of res.topics) {
    w.int16(errorNumber(t.error)).string(t.name);
    if (version >= 1) w.boolean(t.isInternal);
    w.int32(t.partitions.length);
    for (const p of t.partitions) {
      w.int16(errorNumber(p.error)).int32(p.partitionIndex).int32(p.leaderId).int32Array(p.replicaNodes).int32Array(p.isrNodes);
      if (version >= 5) w.int32Array(p.offlineReplicas);
    }
  }
}
