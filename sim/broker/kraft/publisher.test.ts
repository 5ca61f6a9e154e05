// The KRaft broker's metadata publisher (MetadataLoader → BrokerMetadataPublisher → ReplicaManager.applyDelta): it
// replays committed batches into its image, publishes the partitions a delta touched that have a replica here to the
// replica manager, rebuilds the metadata cache, and holds batches back while a metadata-lag fault lasts.
import { describe, expect, it } from "vitest";
import { MetadataPublisher } from "./publisher.ts";
import { ManualCtx, metadataBatch } from "./testkit.ts";
import { defaultControllerConfig } from "../../controller/kraft/config.ts";
import type { MetadataRecord } from "../../controller/kraft/controller/records.ts";
import type { ReplicaManager } from "../replica/manager.ts";
import type { PartitionStateUpdate } from "../replica/partition-state.ts";
import type { PartitionMetadata } from "../../kafka/protocol.ts";

/** A replica manager that records what the publisher hands it. */
function recordingRm() {
  const applied: PartitionStateUpdate[] = [];
  const caches: { live: readonly number[]; partitions: readonly PartitionMetadata[] }[] = [];
  const rm = {
    applyPartitionState: (_ctx: unknown, st: PartitionStateUpdate) => {
      applied.push(st);
      return "NONE";
    },
    setMetadataCache: (live: readonly number[], partitions: readonly PartitionMetadata[]) => caches.push({ live, partitions }),
  } as unknown as ReplicaManager;
  return { rm, applied, caches };
}

const register = (brokerId: number, brokerEpoch: number, fenced = false): MetadataRecord => ({ type: "RegisterBrokerRecord", brokerId, incarnationId: `b${brokerId}`, brokerEpoch, fenced, inControlledShutdown: false });
const topic: MetadataRecord = { type: "TopicRecord", name: "t" };
const part = (partition: number, replicas: number[], leader: number): MetadataRecord => ({
  type: "PartitionRecord",
  topic: "t",
  partition,
  replicas,
  isr: [...replicas],
  elr: [],
  lastKnownElr: [],
  leader,
  leaderRecoveryState: "RECOVERED",
  leaderEpoch: 0,
  partitionEpoch: 0,
});
/** Leader 2 at epoch 1, ISR [2, 3] for t-0. */
const moveLeader: MetadataRecord = { type: "PartitionChangeRecord", topic: "t", partition: 0, leader: 2, isr: [2, 3], elr: null, lastKnownElr: null, leaderRecoveryState: null };

/** Broker 1's publisher with brokers 1..3 registered and t-0 on [1, 2, 3] (led by 1), t-1 on [2, 3] (led by 2). */
function bootstrapped() {
  const ctx = new ManualCtx();
  const pub = new MetadataPublisher(1, defaultControllerConfig());
  const { rm, applied, caches } = recordingRm();
  pub.receive(ctx, metadataBatch(0, [register(1, 0), register(2, 1), register(3, 2), topic, part(0, [1, 2, 3], 1), part(1, [2, 3], 2)]));
  pub.publish(ctx, rm);
  return { ctx, pub, rm, applied, caches };
}

describe("MetadataPublisher: committed batches reach the replica manager", () => {
  it("the first publication hands over each partition with a replica here (not the others) and the metadata cache", () => {
    const { pub, applied, caches } = bootstrapped();
    expect(applied).toEqual([{ topic: "t", partition: 0, leader: 1, leaderEpoch: 0, partitionEpoch: 0, isr: [1, 2, 3], replicas: [1, 2, 3] }]);
    expect(caches).toHaveLength(1);
    expect(caches[0]?.live).toEqual([1, 2, 3]);
    expect(caches[0]?.partitions.map((p) => [p.partition, p.leader, p.error])).toEqual([[0, 1, "NONE"], [1, 2, "NONE"]]);
    expect([pub.appliedOffset, pub.publishedOffset, pub.publications]).toEqual([5, 5, 1]);
  });

  it("a delta that moves the leadership and the ISR is applied with the merged state (leader epoch and partition epoch bumped)", () => {
    const { ctx, pub, rm, applied } = bootstrapped();
    applied.length = 0;
    pub.receive(ctx, metadataBatch(6, [moveLeader]));
    pub.publish(ctx, rm);
    expect(applied).toEqual([{ topic: "t", partition: 0, leader: 2, leaderEpoch: 1, partitionEpoch: 1, isr: [2, 3], replicas: [1, 2, 3] }]);
    expect(pub.publishedOffset).toBe(6);
  });

  it("a publication with nothing new applied hands nothing over again", () => {
    const { ctx, pub, rm, applied, caches } = bootstrapped();
    pub.publish(ctx, rm);
    expect([applied.length, caches.length, pub.publications]).toEqual([1, 1, 1]);
  });

  it("a fencing rebuilds the metadata cache without the fenced broker and touches no partition", () => {
    const { ctx, pub, rm, applied, caches } = bootstrapped();
    applied.length = 0;
    pub.receive(ctx, metadataBatch(6, [{ type: "BrokerRegistrationChangeRecord", brokerId: 3, brokerEpoch: 2, fenced: "FENCE", inControlledShutdown: false }]));
    pub.publish(ctx, rm);
    expect(applied).toEqual([]);
    expect(caches.at(-1)?.live).toEqual([1, 2]);
  });

  it("every applied batch is in the trace with its offsets, Raft epoch and digest (what metadata-divergence compares)", () => {
    const { ctx } = bootstrapped();
    expect(ctx.emitted.filter((e) => e.type === "metadata-batch")).toEqual([expect.objectContaining({ type: "metadata-batch", node: "broker-1", baseOffset: 0, lastOffset: 5, epoch: 1 })]);
  });
});

describe("MetadataPublisher: ISR eligibility from the image (Partition.isReplicaIsrEligible)", () => {
  it("registered and unfenced: eligible; fenced, in controlled shutdown or unknown: not", () => {
    const { ctx, pub } = bootstrapped();
    pub.receive(ctx, metadataBatch(6, [register(4, 6, true), { type: "BrokerRegistrationChangeRecord", brokerId: 3, brokerEpoch: 2, fenced: "NONE", inControlledShutdown: true }]));
    expect([1, 2, 3, 4, 5].map((b) => pub.isIsrEligible(b))).toEqual([true, true, false, false, false]);
    expect([pub.brokerEpochOf(2), pub.brokerEpochOf(4), pub.brokerEpochOf(5)]).toEqual([1, 6, -1]);
  });
});

describe("MetadataPublisher: its own lag (the metadata-lag fault)", () => {
  it("holds committed batches back by the delay, then applies them in order; after the lag ends batches apply at once", () => {
    const { ctx, pub, rm, applied } = bootstrapped();
    applied.length = 0;
    pub.setLag(3_000_000, 10_000_000);
    ctx.nowUs = 1_000_000;
    expect(pub.receive(ctx, metadataBatch(6, [moveLeader]))).toBe(false);
    ctx.nowUs = 2_000_000;
    expect(pub.receive(ctx, metadataBatch(7, [{ type: "NoOpRecord" }]))).toBe(false);
    expect([pub.appliedOffset, pub.image.partition("t", 0)?.leader, pub.nextReleaseUs]).toEqual([5, 1, 4_000_000]);
    ctx.nowUs = 3_999_999;
    expect(pub.release(ctx)).toBe(false);
    ctx.nowUs = 4_000_000;
    expect(pub.release(ctx)).toBe(true);
    expect([pub.appliedOffset, pub.image.partition("t", 0)?.leader, pub.nextReleaseUs]).toEqual([6, 2, 5_000_000]);
    pub.publish(ctx, rm);
    expect(applied.map((a) => [a.leader, a.leaderEpoch])).toEqual([[2, 1]]);
    ctx.nowUs = 5_000_000;
    pub.release(ctx);
    expect([pub.appliedOffset, pub.lagging]).toEqual([7, false]);
    ctx.nowUs = 10_000_000;
    expect(pub.receive(ctx, metadataBatch(8, [{ type: "NoOpRecord" }]))).toBe(true);
    expect(pub.appliedOffset).toBe(8);
  });

  it("a batch arriving while earlier ones are held waits behind them even once the lag is over (log order)", () => {
    const { ctx, pub } = bootstrapped();
    pub.setLag(3_000_000, 2_000_000);
    ctx.nowUs = 1_000_000;
    pub.receive(ctx, metadataBatch(6, [moveLeader]));
    ctx.nowUs = 2_500_000;
    expect(pub.receive(ctx, metadataBatch(7, [{ type: "NoOpRecord" }]))).toBe(false);
    expect(pub.appliedOffset).toBe(5);
  });
});
