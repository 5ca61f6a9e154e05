// Trace events of the KRaft quorum and the QuorumController (not yet part of sim/events.ts: the integration adds
// KRaftTraceEvent to TraceEvent and KRAFT_HOT_EVENT_TYPES to HOT_EVENT_TYPES).

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
    };

export type KRaftTraceEventType = KRaftTraceEvent["type"];

/** Too frequent to keep as evidence. */
export const KRAFT_HOT_EVENT_TYPES: ReadonlySet<KRaftTraceEventType> = new Set<KRaftTraceEventType>(["raft-hw"]);
