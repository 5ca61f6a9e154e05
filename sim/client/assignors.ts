// Partition assignors run by the group leader (eager protocol): Kafka's RangeAssignor and RoundRobinAssignor.
import type { TopicPartitionRef } from "../kafka/protocol-group.ts";

export interface MemberSubscription {
  readonly memberId: string;
  readonly topics: readonly string[];
}

export interface MemberAssignment {
  readonly memberId: string;
  readonly partitions: TopicPartitionRef[];
}

const byId = (a: MemberSubscription, b: MemberSubscription): number => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0);

/** RangeAssignor: per topic, members sorted by id get consecutive ranges; the first (n % m) get one extra. */
export function rangeAssign(members: readonly MemberSubscription[], partitionCounts: ReadonlyMap<string, number>): MemberAssignment[] {
  const out = new Map<string, TopicPartitionRef[]>(members.map((m) => [m.memberId, []]));
  const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
  for (const topic of topics) {
    const subs = members.filter((m) => m.topics.includes(topic)).sort(byId);
    const n = partitionCounts.get(topic) ?? 0;
    if (subs.length === 0 || n === 0) continue;
    const per = Math.floor(n / subs.length);
    const extra = n % subs.length;
    for (let i = 0; i < subs.length; i++) {
      const start = per * i + Math.min(i, extra);
      const len = per + (i < extra ? 1 : 0);
      const list = out.get((subs[i] as MemberSubscription).memberId) as TopicPartitionRef[];
      for (let p = start; p < start + len; p++) list.push({ topic, partition: p });
    }
  }
  return members.map((m) => ({ memberId: m.memberId, partitions: out.get(m.memberId) as TopicPartitionRef[] }));
}

/** RoundRobinAssignor: all partitions sorted by topic and partition, dealt to members sorted by id, skipping
 *  members not subscribed to the partition's topic. */
export function roundRobinAssign(members: readonly MemberSubscription[], partitionCounts: ReadonlyMap<string, number>): MemberAssignment[] {
  const out = new Map<string, TopicPartitionRef[]>(members.map((m) => [m.memberId, []]));
  const sorted = [...members].sort(byId);
  const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
  let next = 0;
  for (const topic of topics) {
    const n = partitionCounts.get(topic) ?? 0;
    for (let p = 0; p < n; p++) {
      for (let tries = 0; tries < sorted.length; tries++) {
        const m = sorted[next % sorted.length] as MemberSubscription;
        next++;
        if (m.topics.includes(topic)) {
          (out.get(m.memberId) as TopicPartitionRef[]).push({ topic, partition: p });
          break;
        }
      }
    }
  }
  return members.map((m) => ({ memberId: m.memberId, partitions: out.get(m.memberId) as TopicPartitionRef[] }));
}

export function assign(strategy: "range" | "roundrobin", members: readonly MemberSubscription[], partitionCounts: ReadonlyMap<string, number>): MemberAssignment[] {
  return strategy === "range" ? rangeAssign(members, partitionCounts) : roundRobinAssign(members, partitionCounts);
}
