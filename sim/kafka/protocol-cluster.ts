// Cluster-internal messages. Two families:
// 1. The ZooKeeper-like coordinator's client protocol (broker ↔ "zk"): sessions kept by pings, multi-ops on
//    versioned/ephemeral nodes, one-shot watches (fact 25, 26).
// 2. Controller ↔ broker requests in the ZooKeeper era: LeaderAndIsr, UpdateMetadata, StopReplica, and
//    AlterPartition (KIP-497: the leader asks the controller to change the ISR; the controller writes ZK with a
//    compare-and-set on the partition state's version and answers; stale requests are rejected: fact 9).
import type { PartitionMetadata } from "./protocol.ts";

// ---------- ZooKeeper-like coordinator ----------

export type ZkError = "NONE" | "NODE_EXISTS" | "NO_NODE" | "BAD_VERSION" | "NOT_EMPTY" | "SESSION_EXPIRED";

export type ZkOp =
  /** sequential: the name gets the parent's 10-digit child counter appended (the result's path is the name). */
  | { readonly op: "create"; readonly path: string; readonly data: unknown; readonly ephemeral: boolean; readonly sequential?: boolean; readonly announce?: unknown }
  /** version -1 = any version. `announce` (create, set): a trace event the coordinator emits when the write is
   *  applied — a controller's partition-state change takes effect there, whether or not the controller hears
   *  the answer (a controller slowed or cut off after writing still elected the leader it wrote). */
  | { readonly op: "set"; readonly path: string; readonly data: unknown; readonly version: number; readonly announce?: unknown }
  | { readonly op: "delete"; readonly path: string; readonly version: number }
  | { readonly op: "check"; readonly path: string; readonly version: number }
  | { readonly op: "get"; readonly path: string; readonly watch: boolean }
  | { readonly op: "children"; readonly path: string; readonly watch: boolean };

export interface ZkOpResult {
  readonly path: string;
  readonly error: ZkError;
  readonly data?: unknown;
  /** The node's version after the op (data version). */
  readonly version?: number;
  /** zxid that created the node (the broker epoch is the creation zxid of /brokers/ids/<id>). */
  readonly czxid?: number;
  readonly children?: readonly string[];
}

export type ZkMessage =
  | { readonly type: "zk.connect"; readonly sessionTimeoutMs: number }
  | { readonly type: "zk.connected"; readonly sessionId: number; readonly sessionTimeoutMs: number }
  /** ackWatchSeq: the highest zk.watch seq received in order; the coordinator re-sends later ones (watch
   *  notifications survive a broken connection, as ZooKeeper's SetWatches on reconnect ensures). */
  | { readonly type: "zk.ping"; readonly sessionId: number; readonly ackWatchSeq?: number }
  | { readonly type: "zk.pong"; readonly sessionId: number }
  /** A multi-op: all or nothing, in order. Reads (get/children) may be mixed in and may set watches. */
  | { readonly type: "zk.request"; readonly corr: number; readonly sessionId: number; readonly ops: readonly ZkOp[] }
  | { readonly type: "zk.response"; readonly corr: number; readonly error: ZkError; readonly zxid: number; readonly results: readonly ZkOpResult[] }
  /** seq: per-session notification number (1, 2, ...), for in-order, exactly-once delivery. */
  | { readonly type: "zk.watch"; readonly sessionId: number; readonly path: string; readonly event: "created" | "deleted" | "changed" | "children"; readonly seq?: number }
  /** Sent to a client whose session is gone (on its next request or ping). */
  | { readonly type: "zk.expired"; readonly sessionId: number }
  /** A client closes its session on a clean shutdown (KafkaServer.shutdown → zkClient.close): its ephemeral
   *  nodes go at once instead of after the session timeout. */
  | { readonly type: "zk.close"; readonly sessionId: number };

// ---------- Controller ↔ broker ----------

export interface LeaderAndIsrPartition {
  readonly topic: string;
  readonly partition: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
  /** Version of the partition state in ZK (zkVersion / partition epoch). */
  readonly partitionEpoch: number;
  readonly replicas: readonly number[];
}

export type ControllerMessage =
  | {
      readonly type: "leader-and-isr";
      readonly corr: number;
      readonly controllerId: number;
      readonly controllerEpoch: number;
      /** The receiver's broker epoch as the controller knows it (stale → STALE_BROKER_EPOCH). */
      readonly brokerEpoch: number;
      readonly partitions: readonly LeaderAndIsrPartition[];
    }
  | { readonly type: "leader-and-isr-response"; readonly corr: number; readonly error: "NONE" | "STALE_CONTROLLER_EPOCH" | "STALE_BROKER_EPOCH"; readonly partitions: readonly { readonly topic: string; readonly partition: number; readonly error: string }[] }
  | {
      readonly type: "update-metadata";
      readonly corr: number;
      readonly controllerId: number;
      readonly controllerEpoch: number;
      /** The receiver's broker epoch as the controller knows it (KIP-380: stale → STALE_BROKER_EPOCH); -1 = unchecked. */
      readonly brokerEpoch: number;
      readonly liveBrokers: readonly number[];
      readonly partitions: readonly PartitionMetadata[];
    }
  /** A broker's answer to update-metadata (UpdateMetadataResponse); the controller re-sends unanswered ones. */
  | { readonly type: "update-metadata-response"; readonly corr: number; readonly error: "NONE" | "STALE_CONTROLLER_EPOCH" | "STALE_BROKER_EPOCH" }
  | { readonly type: "stop-replica"; readonly corr: number; readonly controllerId: number; readonly controllerEpoch: number; readonly partitions: readonly { readonly topic: string; readonly partition: number }[] }
  | {
      readonly type: "alter-partition";
      readonly corr: number;
      readonly brokerId: number;
      readonly brokerEpoch: number;
      readonly topic: string;
      readonly partition: number;
      readonly leaderEpoch: number;
      readonly newIsr: readonly number[];
      readonly partitionEpoch: number;
    }
  | {
      readonly type: "alter-partition-response";
      readonly corr: number;
      readonly topic: string;
      readonly partition: number;
      /** NONE, FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION, STALE_BROKER_EPOCH, NOT_CONTROLLER, UNKNOWN_TOPIC_OR_PARTITION,
       *  INELIGIBLE_REPLICA (a new ISR member is not alive: KAFKA-7128/KIP-841), NOT_LEADER_OR_FOLLOWER, INVALID_REQUEST */
      readonly error: string;
      readonly leaderEpoch: number;
      readonly isr: readonly number[];
      readonly partitionEpoch: number;
    };

export type ClusterMessage = ZkMessage | ControllerMessage;
