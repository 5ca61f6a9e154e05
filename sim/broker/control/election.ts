// The controller's pure decisions (ZooKeeper-era KafkaController / PartitionStateMachine / ReplicaStateMachine):
// who leads a partition, and what its ISR becomes when brokers die. No I/O: the controller applies them.

export interface LeaderAndIsr {
  /** -1: no leader (offline). */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
}

export type Election =
  | { readonly kind: "clean"; readonly leader: number; readonly isr: readonly number[] }
  /** No live in-sync replica; an out-of-sync one was elected (may lose committed data). */
  | { readonly kind: "unclean"; readonly leader: number; readonly isr: readonly number[] }
  | { readonly kind: "none" };

export interface ElectionRules {
  /** unclean.leader.election.enable for the partition's topic (topic override wins). */
  readonly uncleanEnabled: boolean;
  /** Seeded bug: elect the first live replica even when it is not in the ISR (BugSwitches.electOutOfSync). */
  readonly electOutOfSync: boolean;
}

/** PartitionLeaderElectionAlgorithms.offlinePartitionLeaderElection: the first replica in assignment order
 *  that is live and in the ISR; else, with unclean election, the first live replica (its ISR is itself alone);
 *  else none. A clean election's ISR is the old ISR minus the replicas that are not live
 *  (PartitionStateMachine.leaderForOffline). */
export function offlinePartitionLeaderElection(
  assignment: readonly number[],
  isr: readonly number[],
  isLive: (broker: number) => boolean,
  rules: ElectionRules,
): Election {
  if (rules.electOutOfSync) {
    const first = assignment.find(isLive);
    if (first !== undefined && !isr.includes(first)) return { kind: "unclean", leader: first, isr: [first] };
  }
  const clean = assignment.find((r) => isLive(r) && isr.includes(r));
  if (clean !== undefined) return { kind: "clean", leader: clean, isr: isr.filter(isLive) };
  if (rules.uncleanEnabled) {
    const first = assignment.find(isLive);
    if (first !== undefined) return { kind: "unclean", leader: first, isr: [first] };
  }
  return { kind: "none" };
}

/** ReplicaStateMachine.doRemoveReplicasFromIsr for each replica that is not live, in ISR order: a replica is
 *  removed unless it is the last member (the ISR is never empty, fact 10). */
export function removeDeadFromIsr(isr: readonly number[], isLive: (broker: number) => boolean): number[] {
  let out = [...isr];
  for (const r of isr) {
    if (isLive(r)) continue;
    if (out.length > 1) out = out.filter((x) => x !== r);
  }
  return out;
}

/** PartitionStateMachine.initializeLeaderAndIsrForPartitions: leader = first live replica in assignment
 *  order, ISR = the live replicas, leader epoch 0; null when no replica is live. */
export function initialLeaderAndIsr(assignment: readonly number[], isLive: (broker: number) => boolean): LeaderAndIsr | null {
  const live = assignment.filter(isLive);
  const leader = live[0];
  if (leader === undefined) return null;
  return { leader, leaderEpoch: 0, isr: live };
}

export function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (const x of a) if (!b.includes(x)) return false;
  return true;
}
