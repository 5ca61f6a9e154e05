// The world's topics in a KRaft cluster. They are in the metadata from the cluster's first records (as the
// ZooKeeper-era world seeds its topic znodes), each partition with its assignment and no leader yet (leader epoch
// -1: never led), so clients see every topic and partition from the start. The active controller elects their first
// leaders as an admin's CreateTopics would, once the cluster is up: when every replica is active (registered,
// unfenced), or NEW_PARTITION_GRACE_MS after the first broker became active with the replicas that are then (ISR =
// the active replicas, leader = the first of them: ReplicationControlManager.createTopic). Until then fencing and
// unfencing leave these partitions alone.
import type { CreateTopicRequest } from "./messages.ts";
import type { MetadataImage } from "./image.ts";
import type { MetadataRecord, PartitionRegistration } from "./records.ts";
import type { RecordSink } from "./replication-control.ts";

export type TopicSpec = Omit<CreateTopicRequest, "type" | "corr">;

/** How long after the first broker became active new partitions wait for their other replicas (the ZooKeeper-era
 *  controller's NEW_PARTITION_GRACE_MS). */
export const NEW_PARTITION_GRACE_MS = 1000;

/** A partition that never had a leader (created by the bootstrap, not yet elected). */
export function neverLed(p: PartitionRegistration): boolean {
  return p.leaderEpoch < 0;
}

/** The records a new cluster's metadata starts with for its topics. */
export function bootstrapTopicRecords(topics: readonly TopicSpec[]): MetadataRecord[] {
  const out: MetadataRecord[] = [];
  for (const t of topics) {
    out.push({ type: "TopicRecord", name: t.name });
    const c = t.configs ?? {};
    if (c["min.insync.replicas"] !== undefined) out.push({ type: "ConfigRecord", resourceName: t.name, name: "min.insync.replicas", value: String(c["min.insync.replicas"]) });
    if (c["unclean.leader.election.enable"] !== undefined) out.push({ type: "ConfigRecord", resourceName: t.name, name: "unclean.leader.election.enable", value: String(c["unclean.leader.election.enable"]) });
    t.assignments.forEach((replicas, partition) => {
      out.push({ type: "PartitionRecord", topic: t.name, partition, replicas: [...replicas], isr: [...replicas], elr: [], lastKnownElr: [], leader: -1, leaderRecoveryState: "RECOVERED", leaderEpoch: -1, partitionEpoch: 0 });
    });
  }
  return out;
}

/** Elect the first leaders of never-led partitions when every replica is active or the grace is over (`graceUs`:
 *  when it ends, -1 before the first active broker). Returns the grace deadline to keep. */
export function electNewPartitions(img: MetadataImage, sink: RecordSink, nowUs: number, graceUs: number): number {
  const pending: { topic: string; partition: number; p: PartitionRegistration }[] = [];
  for (const t of img.topics.values()) t.partitions.forEach((p, partition) => neverLed(p) && pending.push({ topic: t.name, partition, p }));
  if (pending.length === 0) return graceUs;
  let grace = graceUs;
  if (grace < 0) {
    if (![...img.brokers.keys()].some((b) => img.isActive(b))) return grace;
    grace = nowUs + NEW_PARTITION_GRACE_MS * 1000;
  }
  const allActive = pending.every(({ p }) => p.replicas.every((b) => img.isActive(b)));
  if (!allActive && nowUs < grace) return grace;
  for (const { topic, partition, p } of pending) {
    const isr = p.replicas.filter((b) => img.isActive(b));
    if (isr.length === 0) continue;
    sink.add({ type: "PartitionChangeRecord", topic, partition, leader: isr[0] as number, isr, elr: null, lastKnownElr: null, leaderRecoveryState: null }, "clean");
  }
  return grace;
}
