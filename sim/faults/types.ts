// Faults are data: a schedule of small, serialisable values that fast-check can draw and shrink, and that a
// scenario file spells out. The world's fault interpreter (sim/faults/interpreter.ts) carries them out.

/** Who a fault hits. Resolved when the fault fires (e.g. "the leader of orders-0" at that moment). */
export type FaultTarget =
  | { readonly broker: number }
  | { readonly leaderOf: string }
  /** The replicas of a partition other than its leader at that moment (e.g. to cut the followers off). */
  | { readonly followersOf: string }
  /** The controller: in ZooKeeper mode the broker holding /controller, in KRaft mode the active controller. */
  | { readonly controller: true }
  /** KRaft: one controller node by its id (controller-2 is { controllerNode: 2 }). */
  | { readonly controllerNode: number }
  /** KRaft: every controller node (the whole quorum). */
  | { readonly quorum: true }
  /** ZooKeeper; in KRaft mode the controller quorum (the cluster's metadata service). */
  | { readonly coordinator: true }
  /** A client: a producer id ("p1") or a consumer member ("g1/0"). */
  | { readonly client: string };

/** Events a fault can wait for (counted from the start of the run). */
export type FaultEvent =
  | "produce-acked"
  | "produce-failed"
  | "leader-change"
  | "isr-shrink"
  | "isr-expand"
  | "session-expired"
  | "controller-change"
  | "consumer-poll"
  | "commit"
  | "rebalance";

export type FaultTrigger =
  | { readonly atMs: number }
  /** Fire when `event` has happened `count` times (default 1), optionally only for one partition, then after `afterMs`. */
  | { readonly on: { readonly event: FaultEvent; readonly count?: number; readonly partition?: string }; readonly afterMs?: number };

export type FaultAction =
  | { readonly kind: "kill"; readonly target: FaultTarget }
  | { readonly kind: "power"; readonly target: FaultTarget }
  /** Clean shutdown (flushes the disk). */
  | { readonly kind: "stop"; readonly target: FaultTarget }
  | { readonly kind: "restart"; readonly target: FaultTarget }
  /** A GC pause / frozen VM; resumes by itself after durationMs when given. */
  | { readonly kind: "pause"; readonly target: FaultTarget; readonly durationMs?: number }
  | { readonly kind: "resume"; readonly target: FaultTarget }
  /** The coordinator expires this broker's session now (as if heartbeats had stopped). */
  | { readonly kind: "expire-session"; readonly target: FaultTarget }
  /** Groups that cannot talk to each other; nodes in no group keep their links. */
  | { readonly kind: "partition"; readonly groups: readonly (readonly FaultTarget[])[] }
  /** Nothing from `from` reaches `to` until a heal (TCP retransmits it then); the other direction works. */
  | { readonly kind: "partition-oneway"; readonly from: readonly FaultTarget[]; readonly to: readonly FaultTarget[] }
  | { readonly kind: "isolate"; readonly target: FaultTarget }
  /** Heal everything, or only one node's links (partitions, slow and lossy links on them). */
  | { readonly kind: "heal"; readonly target?: FaultTarget }
  /** Multiply the latency of every link out of and into the target. */
  | { readonly kind: "slow"; readonly target: FaultTarget; readonly factor: number }
  /** Lossy links out of and into the target: each transmission is lost with probability `lossProb` and, as TCP
   *  does, retransmitted after the RTO (200 ms, doubling per consecutive loss, at most 120 s) while later
   *  messages on the link wait behind it; after 15 lost retransmissions of one message the connection is reset
   *  (its client sees a disconnect). Messages arrive late, never silently lost. */
  | { readonly kind: "flaky"; readonly target: FaultTarget; readonly lossProb: number }
  /** KRaft: the target broker applies committed metadata `delayMs` late (its metadata fetches are held up), for
   *  `durationMs` or until the drain: a stale-leadership window. The broker reports only what it applied. */
  | { readonly kind: "metadata-lag"; readonly target: FaultTarget; readonly delayMs: number; readonly durationMs?: number }
  /** A consumer group's downstream (its database) fails every call until `durationMs` has passed. */
  | { readonly kind: "downstream-down"; readonly group: string; readonly durationMs: number };

export type FaultKind = FaultAction["kind"];

export type Fault = FaultTrigger & { readonly action: FaultAction };

/** A fault as it actually fired, for the history, the oracle and reports. */
export interface FiredFault {
  readonly timeUs: number;
  readonly action: FaultAction;
  /** Node ids the target resolved to (empty when it resolved to nothing, e.g. no leader). */
  readonly nodes: readonly string[];
}

/** A fault that fired but could not apply (restart a running broker, kill one already down, a target that
 *  resolved to no node): the run goes on; the CLI prints it. */
export interface FaultWarning {
  /** Index in the scenario's faults. */
  readonly fault: number;
  readonly timeMs: number;
  /** "faults[2] at 5000 ms (restart broker 2): broker-2 is already running; nothing to restart" */
  readonly message: string;
}
