// Kafka's default partitioner for keyed records: murmur2 over the serialized key (Utils.murmur2, toPositive),
// modulo the partition count. Keys are integers serialized as 4 big-endian bytes (IntegerSerializer).
import type { Rng } from "../core/rng.ts";
import type { Batch } from "./producer-accumulator.ts";
import type { TopicMeta } from "./producer-metadata.ts";

const M = 0x5bd1e995;

/** Utils.murmur2 (clients/src/main/java/org/apache/kafka/common/utils/Utils.java), signed 32-bit result. */
export function murmur2(data: ArrayLike<number>): number {
  const length = data.length;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = ((data[i4] as number) & 0xff) + (((data[i4 + 1] as number) & 0xff) << 8) + (((data[i4 + 2] as number) & 0xff) << 16) + (((data[i4 + 3] as number) & 0xff) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  const tail = length & ~3;
  const rest = length % 4;
  if (rest >= 3) h ^= ((data[tail + 2] as number) & 0xff) << 16;
  if (rest >= 2) h ^= ((data[tail + 1] as number) & 0xff) << 8;
  if (rest >= 1) {
    h ^= (data[tail] as number) & 0xff;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

const keyBytes = [0, 0, 0, 0];
/** Partition of an integer key: toPositive(murmur2(IntegerSerializer(key))) % partitions. */
export function partitionForKey(key: number, partitions: number): number {
  keyBytes[0] = (key >>> 24) & 0xff;
  keyBytes[1] = (key >>> 16) & 0xff;
  keyBytes[2] = (key >>> 8) & 0xff;
  keyBytes[3] = key & 0xff;
  return (murmur2(keyBytes) & 0x7fffffff) % partitions;
}

/** How a producer spreads records that have neither a key nor a partition of their own over a topic's partitions:
 *  KIP-480's sticky partitioner (partitioner-sticky.ts) or Kafka ≥ 3.3's BuiltInPartitioner (partitioner-builtin.ts). */
export interface StickyStrategy {
  /** The partition for the next record without a key. */
  partition(rng: Rng, topic: string, m: TopicMeta): number;
  /** A record went into `batch`; `sticky`: its partition came from partition(). */
  onAppend(rng: Rng, batch: Batch, key: number | null, sticky: boolean): void;
  /** A batch left the accumulator. */
  onDrain(rng: Rng, batch: Batch): void;
  /** The sender's ready pass is about to drain (RecordAccumulator.partitionReady: the queues' load). */
  updateLoadStats(): void;
  /** The sender found data ready for `leader`, which could (canDrain) or could not take a request. */
  nodeReady(leader: number, nowUs: number, canDrain: boolean): void;
}
