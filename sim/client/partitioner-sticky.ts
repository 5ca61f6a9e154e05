// Which partition a record goes to. A keyed record: murmur2 of its key (partitioner.ts). `partitioner:
// round-robin`: Kafka's RoundRobinPartitioner. Otherwise the sticky partitioner of KIP-480 (Kafka 2.4 to 3.2,
// DefaultPartitioner + StickyPartitionCache): unkeyed records stick to one partition and a new one is drawn when a
// new batch would be needed, i.e. when the sticky batch is full or has been sent.
import type { Rng } from "../core/rng.ts";
import type { ProducerConfig } from "../kafka/config.ts";
import type { Batch } from "./producer-accumulator.ts";
import type { ProducerMetadata } from "./producer-metadata.ts";
import { partitionForKey } from "./partitioner.ts";

export class StickyPartitioner {
  private readonly sticky = new Map<string, number>();
  private roundRobin = 0;

  constructor(
    private readonly kind: ProducerConfig["partitioner"],
    private readonly metadata: ProducerMetadata,
  ) {}

  /** KafkaProducer.partition for a record without an explicit partition. */
  partition(rng: Rng, topic: string, partitions: number, key: number | null): number {
    if (key !== null && this.kind === "default") return partitionForKey(key, partitions);
    if (this.kind === "round-robin") return this.roundRobin++ % partitions;
    let p = this.sticky.get(topic);
    if (p === undefined || p >= partitions) {
      p = rng.int(0, partitions - 1);
      this.sticky.set(topic, p);
    }
    return p;
  }

  /** A record was appended to `batch`: a full sticky batch moves the topic on. */
  onAppend(rng: Rng, batch: Batch, key: number | null, recordsPerBatch: number): void {
    if (batch.values.length >= recordsPerBatch && key === null) this.switchSticky(rng, batch.topic, batch.partition);
  }

  /** A batch left the accumulator for the first time: the next unkeyed record needs a new batch, on a new partition. */
  onDrain(rng: Rng, batch: Batch): void {
    if (batch.attempts === 0 && batch.partition === this.sticky.get(batch.topic) && batch.keys[0] === -1) this.switchSticky(rng, batch.topic, batch.partition);
  }

  /** StickyPartitionCache.nextPartition: another partition than the one just used, uniformly. */
  private switchSticky(rng: Rng, topic: string, partition: number): void {
    const m = this.metadata.topics.get(topic);
    if (m === undefined || this.sticky.get(topic) !== partition || m.partitions < 2) return;
    let p = rng.int(0, m.partitions - 2);
    if (p >= partition) p++;
    this.sticky.set(topic, p);
  }
}
