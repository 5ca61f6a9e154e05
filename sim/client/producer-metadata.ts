// The producer's view of the cluster (Kafka's ProducerMetadata / Metadata): partition count and leader of each
// topic it sends to, when it needs a refresh, which broker to ask next, and the records that wait for their
// topic's metadata (KafkaProducer.waitOnMetadata). kafka-facts 38.
import type { MetadataResponse } from "../kafka/protocol.ts";
import { LeaderEpochs } from "./leader-epochs.ts";

export interface TopicMeta {
  readonly partitions: number;
  readonly leaders: (number | null)[];
}

/** A record handed to send() before its topic's metadata was known. */
export interface WaitingRecord {
  readonly topic: string;
  readonly value: number;
  readonly key: number | null;
  readonly partition: number | null;
  readonly createdUs: number;
  readonly deadLetter: boolean;
}

export class ProducerMetadata {
  readonly topics = new Map<string, TopicMeta>();
  /** A refresh is wanted (Metadata.requestUpdate). */
  stale = true;
  lastUpdateUs = -Infinity;
  /** Index into the bootstrap brokers of the one to ask next (moves on after a failure). */
  node = 0;
  /** Metadata.refreshBackoffMs: no refresh before this time. */
  retryAtUs = 0;
  /** Records whose topic has no metadata yet, in send order. */
  readonly waiting: WaitingRecord[] = [];

  constructor(
    private readonly retryBackoffUs: number,
    private readonly epochs: LeaderEpochs = new LeaderEpochs(false),
  ) {}

  leaderOf(topic: string, partition: number): number | null {
    return this.topics.get(topic)?.leaders[partition] ?? null;
  }

  /** Take a metadata answer (NetworkClient.DefaultMetadataUpdater.handleSuccessfulResponse + Metadata.update).
   *  A topic answered with a topic-level error (UNKNOWN_TOPIC_OR_PARTITION: the broker does not know it yet) is
   *  not known: its records keep waiting, and a refresh is requested (Metadata.handleMetadataResponse). */
  update(nowUs: number, msg: MetadataResponse): void {
    // "When talking to the startup phase of a broker, it is possible to receive an empty metadata set, which we
    // should retry later": an answer without brokers counts as a failed update.
    if (msg.brokers.length === 0) return this.failed(nowUs);
    const byTopic = new Map<string, (number | null)[]>();
    let complete = msg.partitions.length > 0;
    for (const p of msg.partitions) {
      if (p.partition < 0) {
        complete = false;
        this.topics.delete(p.topic);
        continue;
      }
      let l = byTopic.get(p.topic);
      if (l === undefined) byTopic.set(p.topic, (l = []));
      // KIP-320: an entry older than the epoch already seen keeps what is cached.
      l[p.partition] = !this.epochs.accept(p.topic, p.partition, p.leaderEpoch) ? this.leaderOf(p.topic, p.partition) : p.error === "NONE" ? p.leader : null;
    }
    for (const [topic, leaders] of byTopic) {
      const filled = Array.from({ length: leaders.length }, (_, i) => leaders[i] ?? null);
      if (filled.some((l) => l === null)) complete = false;
      this.topics.set(topic, { partitions: filled.length, leaders: filled });
    }
    this.lastUpdateUs = nowUs;
    this.stale = !complete;
    // Metadata.refreshBackoffMs: the next refresh waits retry.backoff.ms.
    this.retryAtUs = nowUs + this.retryBackoffUs;
    if (!complete) this.node++;
  }

  /** A metadata request failed (timeout or disconnect): ask another broker after the backoff. */
  failed(nowUs: number): void {
    this.node++;
    this.stale = true;
    this.retryAtUs = nowUs + this.retryBackoffUs;
  }
}
