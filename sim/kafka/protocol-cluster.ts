// Cluster-internal messages: the ZooKeeper-like coordinator's client protocol, and controller ↔ broker
// requests (LeaderAndIsr, UpdateMetadata, StopReplica, AlterPartition). Owned by the broker/replication work.
// (Placeholder: the replication work defines the real union here.)

export interface ClusterPlaceholder {
  readonly type: "cluster-placeholder";
}

export type ClusterMessage = ClusterPlaceholder;
