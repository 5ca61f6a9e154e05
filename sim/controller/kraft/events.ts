// Trace events of the KRaft quorum, the QuorumController and the brokers' KRaft lifecycle (members of TraceEvent,
// sim/events.ts; KRAFT_HOT_EVENT_TYPES are members of HOT_EVENT_TYPES).

export type RaftRole = "unattached" | "prospective" | "candidate" | "leader" | "follower" | "resigned";

export type KRaftTraceEvent =
  /** A Raft state transition (QuorumState.transitionTo*). `leader` is "" when unknown. */
  | { readonly type: "raft-role"; readonly node: string; readonly role: RaftRole; readonly epoch: number; readonly leader: string }
  /** A vote or pre-vote this node granted. */
  | { readonly type: "raft-vote-granted"; readonly node: string; readonly candidate: string; readonly epoch: number; readonly preVote: boolean }
  /** This node's high watermark moved (frequent: hot). */
  | { readonly type: "raft-hw"; readonly node: string; readonly epoch: number; readonly hw: number }
  /** A follower truncated its log after a divergingEpoch answer. */
  | { readonly type: "raft-truncate"; readonly node: string; readonly from: number; readonly to: number }
  /** A leader gave up its leadership. */
  | { readonly type: "raft-resign"; readonly node: string; readonly epoch: number; readonly reason: "check-quorum" | "shutdown" | "requested" }
  /** A controller became the active controller (claim) or stopped being it (renounce). */
  | { readonly type: "kraft-controller"; readonly node: string; readonly epoch: number; readonly active: boolean }
  /** The active controller changed a broker's registration (appended, not necessarily committed). */
  | {
      readonly type: "kraft-broker";
      readonly node: string;
      readonly broker: number;
      readonly brokerEpoch: number;
      readonly change: "registered" | "fenced" | "unfenced" | "controlled-shutdown";
      readonly offset: number;
    }
  /** The active controller changed a partition (appended, not necessarily committed). */
  | {
      readonly type: "kraft-partition";
      readonly node: string;
      readonly topic: string;
      readonly partition: number;
      readonly leader: number;
      readonly leaderEpoch: number;
      readonly partitionEpoch: number;
      readonly isr: readonly number[];
      readonly elr: readonly number[];
      readonly recovering: boolean;
      readonly election: "none" | "clean" | "elr" | "unclean" | "last-known-leader";
      readonly offset: number;
      /** The Raft epoch the active controller appended it in. */
      readonly epoch: number;
      /** What wrote it: a leader's AlterPartition, or the controller itself (fencing, shutdowns, elections). */
      readonly source: "alter-partition" | "controller";
    }
  /** A node's metadata listener was handed a committed batch (controllers and brokers, each once per batch per
   *  process): its offsets, Raft epoch and a digest of its records, so checkers compare what each node saw. */
  | { readonly type: "metadata-batch"; readonly node: string; readonly baseOffset: number; readonly lastOffset: number; readonly epoch: number; readonly digest: number }
  /** A broker's lifecycle state (BrokerLifecycleManager: STARTING → RECOVERY → RUNNING → PENDING_CONTROLLED_SHUTDOWN
   *  → SHUTTING_DOWN). */
  | { readonly type: "kraft-broker-state"; readonly broker: number; readonly state: BrokerLifecycleState; readonly brokerEpoch: number }
  /** A broker applied committed metadata late: a metadata-lag fault began (delayUs > 0) or ended. */
  | { readonly type: "metadata-lag"; readonly broker: number; readonly delayMs: number };

export type BrokerLifecycleState = "STARTING" | "RECOVERY" | "RUNNING" | "PENDING_CONTROLLED_SHUTDOWN" | "SHUTTING_DOWN";

export type KRaftTraceEventType = KRaftTraceEvent["type"];

/** Too frequent to keep as evidence. */
export const KRAFT_HOT_EVENT_TYPES: ReadonlySet<KRaftTraceEventType> = new Set<KRaftTraceEventType>(["raft-hw"]);
