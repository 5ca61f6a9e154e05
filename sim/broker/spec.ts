// What every broker (and the coordinator's seed) knows about the cluster it belongs to: static, built once by
// the world from the normalised scenario. Broker ids are 1..brokers; the node of broker b is brokerNode(b).
import type { BrokerConfig, ProtocolVersion } from "../kafka/config.ts";
import type { BugSwitches, TopicSpec } from "../scenario/types.ts";

export interface ClusterSpec {
  /** Number of brokers; their ids are 1..brokers. */
  readonly brokers: number;
  readonly broker: BrokerConfig;
  /** Every topic of the world (scenario topics, dead-letter topics, __consumer_offsets when used). */
  readonly topics: readonly TopicSpec[];
  readonly protocol: ProtocolVersion;
  readonly bugs: BugSwitches;
  /** Replica assignment by tpKey(topic, partition) ("orders-0" → [2, 3, 1]); the first replica is the
   *  preferred leader. Built by assignReplicas (sim/broker/assignment.ts). */
  readonly assignment: ReadonlyMap<string, readonly number[]>;
}

/** The broker ids of a cluster, ascending: 1..spec.brokers. */
export function brokerIdsOf(spec: Pick<ClusterSpec, "brokers">): number[] {
  return Array.from({ length: spec.brokers }, (_, i) => i + 1);
}

/** A topic's effective unclean.leader.election.enable: the topic override wins over the broker setting
 *  (LogConfig: topic configs override broker defaults). */
export function uncleanElectionEnabled(spec: Pick<ClusterSpec, "broker" | "topics">, topic: string): boolean {
  const t = spec.topics.find((x) => x.name === topic);
  return t?.config["unclean.leader.election.enable"] ?? spec.broker["unclean.leader.election.enable"];
}

/** A topic's effective min.insync.replicas (topic override wins). */
export function minInsyncReplicas(spec: Pick<ClusterSpec, "broker" | "topics">, topic: string): number {
  const t = spec.topics.find((x) => x.name === topic);
  return t?.config["min.insync.replicas"] ?? spec.broker["min.insync.replicas"];
}
