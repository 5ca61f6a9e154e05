// The sticky partitioner of KIP-480 (kafka-facts 39; Kafka 2.4 to 3.2: DefaultPartitioner + StickyPartitionCache), for the
// profiles before 3.7: records without a key stick to one partition, and a new one is drawn when a new batch would
// be needed, i.e. when the sticky batch is full or has been sent. Kafka ≥ 3.3 replaced it (partitioner-builtin.ts).
import type { Rng } from "../core/rng.ts";
import type { Batch } from "./producer-accumulator.ts";
import type { ProducerMetadata, TopicMeta } from "./producer-metadata.ts";
import type { StickyStrategy } from "./partitioner.ts";

/** What the sticky partitioner reads of a batch (the transactional producer's batches have it too). */
type StickyBatch = Pick<Batch, "topic" | "partition" | "values" | "keys" | "attempts">;

export class StickyPartitioner implements StickyStrategy {
  private readonly sticky = new Map<string, number>();

  constructor(
    private readonly metadata: ProducerMetadata,
    private readonly recordsPerBatch: number,
  ) {}

  partition(rng: Rng, topic: string, m: TopicMeta): number {
    let p = this.sticky.get(topic);
    if (p === undefined || p >= m.partitions) {
      p = rng.int(0, m.partitions - 1);
      this.sticky.set(topic, p);
    }
    return p;
  }

  /** A full sticky batch moves the topic on. */
  onAppend(rng: Rng, batch: StickyBatch, key: number | null): void {
    if (batch.values.length >= this.recordsPerBatch && key === null) this.switchSticky(rng, batch.topic, batch.partition);
  }

  /** A batch left the accumulator for the first time: the next unkeyed record needs a new batch, on a new partition. */
  onDrain(rng: Rng, batch: StickyBatch): void {
    if (batch.attempts === 0 && batch.partition === this.sticky.get(batch.topic) && batch.keys[0] === -1) this.switchSticky(rng, batch.topic, batch.partition);
  }

  updateLoadStats(): void {}

  nodeReady(): void {}

  /** StickyPartitionCache.nextPartition: another partition than the one just used, uniformly. */
  private switchSticky(rng: Rng, topic: string, partition: number): void {
    const m = this.metadata.topics.get(topic);
    if (m === undefined || this.sticky.get(topic) !== partition || m.partitions < 2) return;
    let p = rng.int(0, m.partitions - 2);
    if (p >= partition) p++;
    this.sticky.set(topic, p);
  }
}
