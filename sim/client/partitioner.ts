// Kafka's default partitioner for keyed records: murmur2 over the serialized key (Utils.murmur2, toPositive),
// modulo the partition count. Keys are integers serialized as 4 big-endian bytes (IntegerSerializer).

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
