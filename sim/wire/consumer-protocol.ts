// The consumer's embedded protocol (clients/.../consumer/internals/ConsumerProtocol.java, ConsumerProtocolSubscription
// and ConsumerProtocolAssignment in common/message): the bytes a consumer puts in JoinGroup's protocol metadata (its
// subscription) and its leader puts in SyncGroup's assignments. The broker treats both as opaque; the gateway reads
// them only to tell the simulated coordinator (and the history) which topics a member subscribes to and which
// partitions it was given.
//
//   Subscription: version int16 | topics [string] | userData nullable bytes | v1+: ownedPartitions [topic string,
//                 partitions [int32]] | v2+: generationId int32 | v3+: rackId nullable string
//   Assignment:   version int16 | assignedPartitions [topic string, partitions [int32]] | userData nullable bytes
//
// Fields after those we need are not read (a newer version adds fields at the end; Kafka reads "the fields it
// knows" the same way).
import { catchDecode, type Decoded } from "./decode-error.ts";
import { Reader } from "./reader.ts";
import { Writer } from "./writer.ts";

export interface Subscription {
  readonly version: number;
  readonly topics: readonly string[];
}

export interface AssignedPartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

export interface Assignment {
  readonly version: number;
  readonly partitions: readonly AssignedPartitions[];
}

/** A member's subscription from its JoinGroup protocol metadata. */
export function decodeSubscription(bytes: Uint8Array): Decoded<Subscription> {
  return catchDecode(() => {
    const r = new Reader(bytes);
    const version = r.int16();
    const n = r.arrayLength(2, "subscription topics");
    const topics: string[] = [];
    for (let i = 0; i < n; i++) topics.push(r.string());
    return { version, topics };
  });
}

/** A member's assignment from SyncGroup. Empty bytes are the empty assignment (what a coordinator hands a member
 *  its leader gave nothing, and what kafkajs reads as null). */
export function decodeAssignment(bytes: Uint8Array): Decoded<Assignment> {
  if (bytes.length === 0) return { ok: true, value: { version: 0, partitions: [] } };
  return catchDecode(() => {
    const r = new Reader(bytes);
    const version = r.int16();
    const n = r.arrayLength(6, "assigned topics");
    const partitions: AssignedPartitions[] = [];
    for (let i = 0; i < n; i++) {
      const topic = r.string();
      const k = r.arrayLength(4, "assigned partitions");
      const ps: number[] = [];
      for (let j = 0; j < k; j++) ps.push(r.int32());
      partitions.push({ topic, partitions: ps });
    }
    return { version, partitions };
  });
}

/** Subscription v0 bytes (tests, and a gateway that speaks for a modelled member). */
export function encodeSubscription(topics: readonly string[], w = new Writer()): Buffer {
  w.reset();
  w.int16(0).int32(topics.length);
  for (const t of topics) w.string(t);
  w.nullableBytes(null);
  return w.toBytes();
}

/** Assignment v0 bytes. */
export function encodeAssignment(partitions: readonly AssignedPartitions[], w = new Writer()): Buffer {
  w.reset();
  w.int16(0).int32(partitions.length);
  for (const p of partitions) {
    w.string(p.topic).int32(p.partitions.length);
    for (const x of p.partitions) w.int32(x);
  }
  w.nullableBytes(null);
  return w.toBytes();
}
