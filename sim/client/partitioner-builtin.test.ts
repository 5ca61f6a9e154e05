// Kafka ≥ 3.3's built-in partitioner for records without a key (KIP-794, BuiltInPartitioner), and KIP-480 kept
// for the older profiles.
import { describe, it, expect } from "vitest";
import type { Rng } from "../core/rng.ts";
import { BuiltInPartitioner } from "./partitioner-builtin.ts";
import { RecordAccumulator } from "./producer-accumulator.ts";
import { ProducerMetadata } from "./producer-metadata.ts";
import { FakeCluster } from "./testkit.ts";
import { producerSpec } from "../scenario/defaults.ts";
import type { ProtocolVersion } from "../kafka/config.ts";
import type { SendValue } from "../history.ts";

const TOPIC = "orders";

/** BuiltInPartitionerTest's mockRandom: 0, 1, 2, ... */
function sequentialRng(): Rng {
  let n = 0;
  return { int: (lo: number, hi: number) => lo + (n++ % (hi - lo + 1)) } as unknown as Rng;
}

describe("BuiltInPartitioner (KIP-794)", () => {
  it("weighs partitions against their queue lengths: queues 5 0 3 0 1 → chosen 1 6 3 6 5 times per cycle (BuiltInPartitionerTest.adaptivePartitionsTest)", () => {
    const acc = new RecordAccumulator(1);
    const meta = new ProducerMetadata(0);
    meta.topics.set(TOPIC, { partitions: 5, leaders: [1, 2, 3, 1, 2] });
    const sizes = [5, 0, 3, 0, 1];
    sizes.forEach((n, p) => {
      for (let i = 0; i < n; i++) acc.append(TOPIC, p, i, null, 0, false, 0);
      acc.queue(TOPIC, p, acc.tpName(TOPIC, p));
    });
    // batch.size 1: every record switches (BuiltInPartitioner with stickyBatchSize 1).
    const bip = new BuiltInPartitioner({ stickyBatchBytes: 1, adaptive: true, availabilityTimeoutUs: 0 }, acc, meta);
    const rng = sequentialRng();
    const m = meta.topics.get(TOPIC) as NonNullable<ReturnType<typeof meta.topics.get>>;
    const first = bip.partition(rng, TOPIC, m); // draw 0, uniform: no stats yet
    bip.updateLoadStats();
    expect(bip.loadStats(TOPIC)).toEqual({ ids: [0, 1, 2, 3, 4], cft: [1, 7, 10, 16, 21] });
    bip.onAppend(rng, acc.append(TOPIC, first, 99, null, 0, false, 0), null, true);
    const freq = [0, 0, 0, 0, 0];
    for (let i = 0; i < 42; i++) {
      const p = bip.partition(rng, TOPIC, m);
      freq[p] = (freq[p] as number) + 1;
      bip.onAppend(rng, acc.append(TOPIC, p, 100 + i, null, 0, false, 0), null, true);
    }
    expect(freq).toEqual([2, 12, 6, 12, 10]);
  });

  it("leaves out partitions without a leader, and with partitioner.availability.timeout.ms those whose leader could not take data for longer", () => {
    const acc = new RecordAccumulator(1);
    const meta = new ProducerMetadata(0);
    meta.topics.set(TOPIC, { partitions: 3, leaders: [1, null, 3] });
    for (let p = 0; p < 3; p++) acc.append(TOPIC, p, p, null, 0, false, 0);
    const bip = new BuiltInPartitioner({ stickyBatchBytes: 16384, adaptive: true, availabilityTimeoutUs: 500_000 }, acc, meta);
    bip.partition(sequentialRng(), TOPIC, meta.topics.get(TOPIC) as NonNullable<ReturnType<typeof meta.topics.get>>);
    bip.updateLoadStats();
    // Queues 1 _ 1: partition 1 has no leader, so not all are alike: weights 1 and 1.
    expect(bip.loadStats(TOPIC)).toEqual({ ids: [0, 2], cft: [1, 2] });
    // Broker 3 had data ready since 0 and could not take it (its connection full) until 600 ms.
    bip.nodeReady(3, 0, true);
    bip.nodeReady(3, 600_000, false);
    bip.nodeReady(1, 600_000, true);
    bip.updateLoadStats();
    expect(bip.loadStats(TOPIC)).toEqual({ ids: [0], cft: [1] });
    // It drains again: back in.
    bip.nodeReady(3, 700_000, true);
    bip.updateLoadStats();
    expect(bip.loadStats(TOPIC)).toEqual({ ids: [0, 2], cft: [1, 2] });
  });

  it("partitioner.adaptive.partitioning.enable=false: no load stats, uniform over the partitions with a leader", () => {
    const acc = new RecordAccumulator(1);
    const meta = new ProducerMetadata(0);
    meta.topics.set(TOPIC, { partitions: 3, leaders: [1, null, 3] });
    for (let p = 0; p < 3; p++) for (let i = 0; i <= p; i++) acc.append(TOPIC, p, i, null, 0, false, 0);
    const bip = new BuiltInPartitioner({ stickyBatchBytes: 1, adaptive: false, availabilityTimeoutUs: 0 }, acc, meta);
    const rng = sequentialRng();
    const m = meta.topics.get(TOPIC) as NonNullable<ReturnType<typeof meta.topics.get>>;
    bip.partition(rng, TOPIC, m);
    bip.updateLoadStats();
    expect(bip.loadStats(TOPIC)).toBeNull();
    const chosen: number[] = [];
    for (let i = 0; i < 4; i++) {
      const p = bip.partition(rng, TOPIC, m);
      chosen.push(p);
      bip.onAppend(rng, acc.append(TOPIC, p, 10 + i, null, 0, false, 0), null, true);
    }
    expect(chosen).toEqual([0, 2, 0, 2]);
  });
});

/** Each partition change in value order: the index of the first record on the new partition. */
function switchPoints(protocol: ProtocolVersion, batchSize: number): number[] {
  const c = new FakeCluster({ topics: [{ name: TOPIC, partitions: 3 }], protocol, producers: [producerSpec({ id: "p1", topic: TOPIC, ratePerSec: 2000, messages: 1000, config: { "batch.size": batchSize } })] });
  c.run(2000);
  const byValue = c
    .ops("send")
    .filter((o) => o.type === "ok")
    .map((o) => o.value as SendValue)
    .sort((a, b) => a.value - b.value);
  expect(byValue.length).toBe(1000);
  const out: number[] = [];
  for (let i = 1; i < byValue.length; i++) if (byValue[i]?.partition !== byValue[i - 1]?.partition) out.push(i);
  return out;
}

describe("the sticky partition by profile", () => {
  it("3.7 (KIP-794): the sticky partition switches only after batch.size bytes, here 164 records of 100 bytes (16,384 / 100 rounded up)", () => {
    const points = switchPoints("3.7", 16384);
    expect(points.length).toBeGreaterThan(0);
    for (const i of points) expect(i % 164).toBe(0);
  });

  it("3.7 with batch.size 1000: every 10 records", () => {
    const points = switchPoints("3.7", 1000);
    expect(points.length).toBeGreaterThan(10);
    for (const i of points) expect(i % 10).toBe(0);
  });

  it("2.7 (KIP-480): a new partition whenever a new batch is needed — with linger.ms=0, after every batch sent", () => {
    const points = switchPoints("2.7", 16384);
    expect(points.length).toBeGreaterThan(100);
    expect(points.some((i) => i % 164 !== 0)).toBe(true);
  });
});
