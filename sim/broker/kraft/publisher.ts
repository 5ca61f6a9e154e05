// A KRaft broker's metadata publishing (MetadataLoader → BrokerMetadataPublisher → ReplicaManager.applyDelta,
// KRaftMetadataCache): committed batches of __cluster_metadata are replayed into the broker's own MetadataImage;
// once the broker has caught up with the high watermark it knows, every partition a batch touched that has a replica
// here is applied to the replica manager (applyPartitionState, in partition-epoch order) and the metadata cache is
// rebuilt from the image (live = registered and unfenced brokers). Each broker publishes at its own lag: the Raft
// observer's fetches, and the metadata-lag fault, which holds committed batches back by a delay.
import type { BrokerCtx } from "../group/host.ts";
import type { ReplicaManager } from "../replica/manager.ts";
import type { PartitionMetadata } from "../../kafka/protocol.ts";
import { MetadataImage } from "../../controller/kraft/controller/image.ts";
import type { ControllerConfig } from "../../controller/kraft/config.ts";
import type { MetadataRecord } from "../../controller/kraft/controller/records.ts";
import type { RaftBatch } from "../../controller/kraft/raft/log.ts";
import { batchDigest } from "../../controller/kraft/controller/digest.ts";

const NO_PARTITIONS: readonly PartitionMetadata[] = [];

export class MetadataPublisher {
  readonly image: MetadataImage;
  /** The last offset replayed into the image, and the last one published to the replica manager (-1: none). */
  appliedOffset = -1;
  publishedOffset = -1;
  /** Publications so far (the broker may unfence only after the first: BrokerServer waits for it). */
  publications = 0;
  private readonly dirty = new Map<string, { readonly topic: string; readonly partition: number }>();
  private brokersDirty = false;
  /** metadata-lag: batches held back until their release time. */
  private readonly held: { readonly batch: RaftBatch<MetadataRecord>; readonly releaseUs: number }[] = [];
  private lagUs = 0;
  private lagUntilUs = 0;

  constructor(
    private readonly brokerId: number,
    defaults: ControllerConfig,
  ) {
    this.image = new MetadataImage(defaults);
  }

  /** A metadata-lag fault: hold committed batches back by `delayUs` until `untilUs` (Infinity: until cleared). */
  setLag(delayUs: number, untilUs: number): void {
    this.lagUs = delayUs;
    this.lagUntilUs = untilUs;
  }

  get lagging(): boolean {
    return this.held.length > 0;
  }

  /** When the next held batch is due, or Infinity. */
  get nextReleaseUs(): number {
    return this.held.length > 0 ? (this.held[0] as { releaseUs: number }).releaseUs : Infinity;
  }

  /** A committed batch from the Raft listener. True when it was applied now (false: held back by a lag). */
  receive(ctx: BrokerCtx, batch: RaftBatch<MetadataRecord>): boolean {
    const now = ctx.nowUs;
    if (this.held.length > 0 || (this.lagUs > 0 && now < this.lagUntilUs)) {
      this.held.push({ batch, releaseUs: now + this.lagUs });
      return false;
    }
    this.apply(ctx, batch);
    return true;
  }

  /** Apply the held batches that are due; true if any was. */
  release(ctx: BrokerCtx): boolean {
    const now = ctx.nowUs;
    let n = 0;
    while (n < this.held.length && (this.held[n] as { releaseUs: number }).releaseUs <= now) this.apply(ctx, (this.held[n++] as { batch: RaftBatch<MetadataRecord> }).batch);
    if (n > 0) this.held.splice(0, n);
    return n > 0;
  }

  /** Replay a batch into the image; note what it touched. */
  private apply(ctx: BrokerCtx, batch: RaftBatch<MetadataRecord>): void {
    batch.records.forEach((r, i) => {
      if (r.kind !== "data") return;
      const d = r.data;
      this.image.replay(d, batch.baseOffset + i);
      if (d.type === "PartitionRecord" || d.type === "PartitionChangeRecord") this.dirty.set(`${d.topic}-${d.partition}`, { topic: d.topic, partition: d.partition });
      else if (d.type === "RegisterBrokerRecord" || d.type === "BrokerRegistrationChangeRecord" || d.type === "FenceBrokerRecord" || d.type === "UnfenceBrokerRecord") this.brokersDirty = true;
    });
    this.appliedOffset = batch.lastOffset;
    ctx.emit({ type: "metadata-batch", node: ctx.self, baseOffset: batch.baseOffset, lastOffset: batch.lastOffset, epoch: batch.epoch, digest: batchDigest(batch) });
  }

  /** Publish what was applied since the last publication: each touched partition with a replica here goes to the
   *  replica manager, and the metadata cache is rebuilt when partitions or brokers changed. */
  publish(ctx: BrokerCtx, rm: ReplicaManager): void {
    if (this.appliedOffset === this.publishedOffset && this.publications > 0) return;
    const img = this.image;
    for (const { topic, partition } of this.dirty.values()) {
      const p = img.partition(topic, partition);
      if (p === undefined || !p.replicas.includes(this.brokerId)) continue;
      rm.applyPartitionState(ctx, { topic, partition, leader: p.leader, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, isr: p.isr, replicas: p.replicas });
    }
    if (this.dirty.size > 0 || this.brokersDirty || this.publications === 0) rm.setMetadataCache(this.liveBrokers(), this.partitionMetadata());
    this.dirty.clear();
    this.brokersDirty = false;
    this.publishedOffset = this.appliedOffset;
    this.publications++;
  }

  /** Registered, unfenced brokers, ascending (KRaftMetadataCache.getAliveBrokerNodes). */
  liveBrokers(): number[] {
    const out: number[] = [];
    for (const b of this.image.brokers.values()) if (!b.fenced) out.push(b.id);
    return out.sort((a, b) => a - b);
  }

  /** Every partition of the image as a Metadata answer carries it (LEADER_NOT_AVAILABLE without a leader). */
  private partitionMetadata(): readonly PartitionMetadata[] {
    if (this.image.topics.size === 0) return NO_PARTITIONS;
    const out: PartitionMetadata[] = [];
    for (const t of this.image.topics.values()) {
      t.partitions.forEach((p, partition) => {
        if (p.leader < 0) out.push({ topic: t.name, partition, error: "LEADER_NOT_AVAILABLE", leader: null, leaderEpoch: p.leaderEpoch, replicas: p.replicas, isr: p.isr });
        else out.push({ topic: t.name, partition, error: "NONE", leader: p.leader, leaderEpoch: p.leaderEpoch, replicas: p.replicas, isr: p.isr });
      });
    }
    return out;
  }

  /** May `broker` join an ISR (Partition.isReplicaIsrEligible): registered, not fenced, not in controlled shutdown. */
  isIsrEligible(broker: number): boolean {
    const b = this.image.brokers.get(broker);
    return b !== undefined && !b.fenced && !b.inControlledShutdown;
  }

  /** The broker epoch of `broker` in the image, -1 if unknown (KIP-903's newIsrWithEpochs). */
  brokerEpochOf(broker: number): number {
    return this.image.brokers.get(broker)?.epoch ?? -1;
  }
}
