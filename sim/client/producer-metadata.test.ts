// The producer's metadata as a state machine: what an answer teaches it (Metadata.update,
// NetworkClient.DefaultMetadataUpdater.handleSuccessfulResponse).
import { describe, it, expect } from "vitest";
import { ProducerMetadata } from "./producer-metadata.ts";
import { LeaderEpochs } from "./leader-epochs.ts";
import type { MetadataResponse, PartitionMetadata } from "../kafka/protocol.ts";

const part = (topic: string, partition: number, leader: number | null, error: PartitionMetadata["error"] = "NONE"): PartitionMetadata => ({ topic, partition, error, leader, leaderEpoch: 0, replicas: [1, 2, 3], isr: [1, 2, 3] });
const answer = (brokers: number[], partitions: PartitionMetadata[]): MetadataResponse => ({ type: "metadata-response", corr: 1, brokers, controller: 1, partitions });
/** How the broker answers for a topic it does not know (ReplicaManager.handleMetadata). */
const unknownTopic = (topic: string): PartitionMetadata => part(topic, -1, null, "UNKNOWN_TOPIC_OR_PARTITION");

describe("ProducerMetadata.update", () => {
  it("a complete answer: partitions and leaders known, no refresh wanted until the backoff", () => {
    const m = new ProducerMetadata(100_000);
    m.update(5_000, answer([1, 2, 3], [part("orders", 0, 2), part("orders", 1, 3)]));
    expect(m.topics.get("orders")).toEqual({ partitions: 2, leaders: [2, 3] });
    expect(m.stale).toBe(false);
    expect(m.retryAtUs).toBe(105_000);
  });

  it("an answer without brokers (a broker in its startup phase) is a failed update: nothing learned, retried after the backoff", () => {
    const m = new ProducerMetadata(100_000);
    m.update(5_000, answer([], [unknownTopic("orders")]));
    expect(m.topics.has("orders")).toBe(false);
    expect(m.lastUpdateUs).toBe(-Infinity);
    expect(m.stale).toBe(true);
    expect(m.retryAtUs).toBe(105_000);
    expect(m.node).toBe(1);
  });

  it("UNKNOWN_TOPIC_OR_PARTITION for the topic: its partition count stays unknown (records keep waiting) and a refresh is wanted", () => {
    const m = new ProducerMetadata(100_000);
    m.update(5_000, answer([1, 2, 3], [unknownTopic("orders")]));
    expect(m.topics.has("orders")).toBe(false);
    expect(m.stale).toBe(true);
    // A topic known before and unknown to the answering broker is dropped from the cache, as Kafka's full update does.
    m.update(200_000, answer([1, 2, 3], [part("orders", 0, 1)]));
    expect(m.topics.get("orders")?.partitions).toBe(1);
    m.update(400_000, answer([1, 2, 3], [unknownTopic("orders")]));
    expect(m.topics.has("orders")).toBe(false);
  });

  it("a partition without a leader keeps the topic known and wants a refresh", () => {
    const m = new ProducerMetadata(100_000);
    m.update(5_000, answer([1, 2, 3], [part("orders", 0, null, "LEADER_NOT_AVAILABLE"), part("orders", 1, 3)]));
    expect(m.topics.get("orders")).toEqual({ partitions: 2, leaders: [null, 3] });
    expect(m.stale).toBe(true);
  });

  it("KIP-320 (clients from 2.1): a partition's metadata with an older leader epoch keeps the cached leader; before 2.1 it replaces it", () => {
    const at = (leader: number, leaderEpoch: number): PartitionMetadata => ({ ...part("orders", 0, leader), leaderEpoch });
    for (const [epochs, expected] of [
      [LeaderEpochs.forProtocol("2.7"), 2],
      [LeaderEpochs.forProtocol("2.0"), 1],
    ] as const) {
      const m = new ProducerMetadata(0, epochs);
      m.update(1_000, answer([1, 2, 3], [at(2, 4)]));
      // A deposed leader (broker 1, cut off since epoch 3) answers from its stale cache.
      m.update(2_000, answer([1, 2, 3], [at(1, 3)]));
      expect(m.leaderOf("orders", 0)).toBe(expected);
    }
    const m = new ProducerMetadata(0, LeaderEpochs.forProtocol("3.7"));
    m.update(1_000, answer([1, 2, 3], [at(2, 4)]));
    m.update(2_000, answer([1, 2, 3], [at(3, 4), part("orders", 1, 1)]));
    expect(m.topics.get("orders")).toEqual({ partitions: 2, leaders: [3, 1] });
  });
});
