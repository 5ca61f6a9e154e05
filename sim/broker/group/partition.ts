// Which __consumer_offsets partition holds a group (GroupMetadataManager.partitionFor:
// Utils.abs(groupId.hashCode) % groupMetadataTopicPartitionCount). Clients and coordinators must agree.

/** Java's String.hashCode (UTF-16 code units, 32-bit wrap-around). */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's Utils.abs: Integer.MIN_VALUE maps to 0, not to itself. */
export function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

export function offsetsPartitionFor(group: string, offsetsPartitions: number): number {
  return kafkaAbs(javaStringHash(group)) % offsetsPartitions;
}

/** Key name of a committed offset in __consumer_offsets ("group/topic/partition", interned by the host). */
export function offsetKeyName(group: string, topic: string, partition: number): string {
  return `${group}/${topic}/${partition}`;
}
