// What each protocol profile changes beyond the data plane (README "Protocol versions"): 0.10–3.7 run the
// ZooKeeper-era control plane; 3.9 runs ZooKeeper or KRaft (the last release with both; KRaft by default here, as
// Kafka recommends it from 3.x); 4.0 and 4.1 run KRaft only (KIP-833: ZooKeeper removed in 4.0). Pre-vote (KIP-996)
// is on from 4.0. The eligible.leader.replicas.version feature (KIP-966) exists from 4.0: off (0) by default on
// 4.0, on (1) for new clusters from 4.1. The data-plane rules of 3.9+ are those of 3.7 (versionAtLeast treats
// every later profile as at least 3.7). 4.1 also brings KIP-1166 (the metadata log's high watermark reaches brokers
// without the 500 ms park).
import { PROTOCOL_VERSIONS } from "./config.ts";
import type { BrokerConfig, ProtocolVersion } from "./config.ts";

export type ClusterMode = "zookeeper" | "kraft";
export const CLUSTER_MODES: readonly ClusterMode[] = ["zookeeper", "kraft"];

/** Is `v` at least `min` in release order? */
export function versionAtLeast(v: ProtocolVersion, min: ProtocolVersion): boolean {
  return PROTOCOL_VERSIONS.indexOf(v) >= PROTOCOL_VERSIONS.indexOf(min);
}

/** The control planes a profile can run. */
export function modesOf(v: ProtocolVersion): readonly ClusterMode[] {
  if (versionAtLeast(v, "4.0")) return ["kraft"];
  if (versionAtLeast(v, "3.9")) return ["zookeeper", "kraft"];
  return ["zookeeper"];
}

/** The mode a profile runs when the scenario names none. */
export function defaultModeOf(v: ProtocolVersion): ClusterMode {
  return versionAtLeast(v, "3.9") ? "kraft" : "zookeeper";
}

/** A scenario's control plane: its `mode`, else its profile's default. */
export function modeOf(s: { readonly protocol: ProtocolVersion; readonly mode?: ClusterMode | undefined }): ClusterMode {
  return s.mode ?? defaultModeOf(s.protocol);
}

/** Pre-vote (KIP-996) from 4.0. */
export function preVoteOf(v: ProtocolVersion): boolean {
  return versionAtLeast(v, "4.0");
}

/** KIP-1166 (4.1, Fetch v18): KRaft fetches carry the fetcher's high watermark, so metadata reaches brokers without
 *  waiting for the next record or the 500 ms park. */
export function fetchHighWatermarkOf(v: ProtocolVersion): boolean {
  return versionAtLeast(v, "4.1");
}

/** Does the profile know the eligible.leader.replicas.version feature (4.0+)? */
export function hasElrFeature(v: ProtocolVersion): boolean {
  return versionAtLeast(v, "4.0");
}

/** eligible.leader.replicas.version of a new cluster: the scenario's key, else 1 on 4.1+, 0 on 4.0, 0 before. */
export function elrVersionOf(v: ProtocolVersion, broker: Pick<BrokerConfig, "eligible.leader.replicas.version">): 0 | 1 {
  const set = broker["eligible.leader.replicas.version"];
  if (set !== null && hasElrFeature(v)) return set === 1 ? 1 : 0;
  return versionAtLeast(v, "4.1") ? 1 : 0;
}

/** Does the profile know the transaction.version feature at level 2 (KIP-890 part 2: TransactionVersion.TV_2,
 *  bootstrapped from metadata.version 4.0-IV2)? */
export function hasTransactionV2(v: ProtocolVersion): boolean {
  return versionAtLeast(v, "4.0");
}

/** transaction.version of a cluster: the scenario's key, else the profile's — 2 on 4.0+ (a new cluster is formatted
 *  at the latest metadata.version, which finalizes TV_2; an upgraded one stays at its level until kafka-features
 *  upgrade), 0 before (the classic protocol; level 1 only changes the log record format). */
export function transactionVersionOf(v: ProtocolVersion, broker: Pick<BrokerConfig, "transaction.version">): number {
  const set = broker["transaction.version"];
  if (set !== null && set !== undefined) return set;
  return hasTransactionV2(v) ? 2 : 0;
}

/** transaction.partition.verification.enable (KIP-890 part 1, 3.6+; kafka-facts T14): the scenario's key, else true
 *  on the profiles that have it (3.7+), false before (the key does not exist there). */
export function partitionVerificationOf(v: ProtocolVersion, broker: Pick<BrokerConfig, "transaction.partition.verification.enable">): boolean {
  if (!versionAtLeast(v, "3.7")) return false;
  return broker["transaction.partition.verification.enable"] ?? true;
}

/** Number of controller nodes of a KRaft cluster when the scenario names none. */
export const DEFAULT_CONTROLLERS = 3;
