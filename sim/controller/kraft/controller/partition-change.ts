// PartitionChangeBuilder (metadata/.../controller/PartitionChangeBuilder.java): from a partition's state, a target
// ISR and which brokers may lead, the PartitionChangeRecord to write (or none). Elections: keep the leader if it
// still qualifies, else the first replica in the ISR — or, with ELR on and the ISR empty, in the ELR — that may
// lead; else (ELR on, ISR and ELR empty) the last known leader; else, when unclean election is enabled, any replica
// that may lead, with ISR = [it] and leaderRecoveryState RECOVERING (KIP-704). With ELR (KIP-966) replicas that leave
// an ISR below min.insync.replicas enter the ELR, the ISR may become empty, and an unclean election clears the ELR.
// Reassignment is not modelled (replicas never change).
import { NO_LEADER, NO_LEADER_CHANGE, sameMembers } from "./records.ts";
import type { LeaderRecoveryState, PartitionChange, PartitionRegistration } from "./records.ts";

export type Election = "ONLINE" | "UNCLEAN";
export type ElectionKind = "none" | "clean" | "elr" | "unclean" | "last-known-leader";

export interface PartitionChangeInput {
  readonly partition: PartitionRegistration;
  /** Registered, unfenced, not shutting down (LeaderAcceptor; the caller adjusts it for the broker at hand). */
  readonly isAcceptableLeader: (broker: number) => boolean;
  readonly minIsr: number;
  readonly elrEnabled: boolean;
  readonly election: Election;
  readonly targetIsr?: readonly number[];
  /** Brokers that came back from an unclean shutdown: out of the ISR and the ELR. */
  readonly uncleanShutdownReplicas?: readonly number[];
  readonly targetLeaderRecoveryState?: LeaderRecoveryState;
}

export interface PartitionChangeResult {
  /** null: nothing changes (changeRecordIsNoOp). */
  readonly change: PartitionChange | null;
  readonly election: ElectionKind;
}

interface Draft {
  leader: number;
  isr: readonly number[] | null;
  elr: readonly number[] | null;
  lastKnownElr: readonly number[] | null;
  leaderRecoveryState: LeaderRecoveryState | null;
}

const ascending = (a: number, b: number): number => a - b;

export function buildPartitionChange(input: PartitionChangeInput): PartitionChangeResult {
  const p = input.partition;
  const accept = input.isAcceptableLeader;
  const unclean = input.uncleanShutdownReplicas ?? [];
  let targetIsr: readonly number[] = input.targetIsr ?? p.isr;
  let targetElr: readonly number[] = p.elr;
  let targetLastKnownElr: readonly number[] = p.lastKnownElr;
  const targetLrs = input.targetLeaderRecoveryState ?? p.leaderRecoveryState;
  const draft: Draft = { leader: NO_LEADER_CHANGE, isr: null, elr: null, lastKnownElr: null, leaderRecoveryState: null };

  // maybePopulateTargetElr: below min ISR, the old ISR members leaving the ISR join the ELR (those that shut
  // down uncleanly excepted); at or above it, the ELR is cleared.
  if (input.elrEnabled) {
    if (targetIsr.length >= input.minIsr) {
      targetElr = [];
      targetLastKnownElr = [];
    } else {
      const candidates = new Set<number>([...targetElr, ...p.isr]);
      targetElr = [...candidates].filter((r) => !targetIsr.includes(r) && !unclean.includes(r)).sort(ascending);
      for (const r of targetLastKnownElr) candidates.add(r);
      targetLastKnownElr = [...candidates].filter((r) => !targetIsr.includes(r) && !targetElr.includes(r)).sort(ascending);
    }
  }

  // electLeader (Election ONLINE or UNCLEAN): electAnyLeader.
  const isValidNewLeader = (r: number): boolean => (targetIsr.includes(r) || (targetIsr.length === 0 && targetElr.includes(r))) && accept(r);
  let node = NO_LEADER;
  let uncleanElection = false;
  let kind: ElectionKind = "none";
  if (p.leader !== NO_LEADER && isValidNewLeader(p.leader)) node = p.leader;
  else {
    const online = p.replicas.find(isValidNewLeader);
    if (online !== undefined) node = online;
    else if (canElectLastKnownLeader(input, targetIsr, targetElr)) {
      node = p.lastKnownElr[0] as number;
      uncleanElection = true;
      kind = "last-known-leader";
    } else if (input.election === "UNCLEAN") {
      const any = p.replicas.find(accept);
      if (any !== undefined) {
        node = any;
        uncleanElection = true;
        kind = "unclean";
      }
    }
  }
  // tryElection
  if (node !== p.leader) {
    if (targetElr.includes(node)) {
      targetIsr = [node];
      targetElr = targetElr.filter((r) => r !== node);
      kind = "elr";
    } else if (!uncleanElection && node !== NO_LEADER) kind = "clean";
    draft.leader = node;
    if (uncleanElection) {
      // An unclean election forces ISR = [leader]: this can lose committed data.
      draft.isr = [node];
      if (p.leaderRecoveryState !== "RECOVERING") draft.leaderRecoveryState = "RECOVERING";
    }
  } else kind = "none";

  // maybeUpdateRecordElr: an unclean election (or ELR off) clears the ELR.
  if (draft.isr !== null || !input.elrEnabled) {
    targetElr = [];
    targetLastKnownElr = [];
  }
  if (!sameMembers(targetElr, p.elr)) draft.elr = targetElr;

  // With ELR on the ISR may become empty; without it the last member stays.
  if (draft.isr === null && (targetIsr.length > 0 || input.elrEnabled) && !sameMembers(targetIsr, p.isr)) draft.isr = targetIsr;

  // maybeUpdateLastKnownLeader (useLastKnownLeaderInBalancedRecovery, on by default): remember the leader when
  // the ISR first becomes empty; forget it once the partition has a leader again.
  if (input.elrEnabled) {
    if (draft.isr !== null && draft.isr.length === 0 && (p.lastKnownElr.length !== 1 || p.lastKnownElr[0] !== p.leader)) draft.lastKnownElr = [p.leader];
    else if ((draft.leader >= 0 || (p.leader !== NO_LEADER && draft.leader !== NO_LEADER)) && p.lastKnownElr.length > 0) draft.lastKnownElr = [];
  }
  if (draft.leaderRecoveryState === null && targetLrs !== p.leaderRecoveryState) draft.leaderRecoveryState = targetLrs;

  const noOp = draft.leader === NO_LEADER_CHANGE && draft.isr === null && draft.elr === null && draft.lastKnownElr === null && draft.leaderRecoveryState === null;
  return { change: noOp ? null : draft, election: noOp ? "none" : kind };
}

/** ELR on, ISR and ELR empty, one last known leader and it may lead. (Kafka 4.0 elected it without the liveness
 *  check — a log line tested it — later versions require it; kafkasim requires it.) */
function canElectLastKnownLeader(input: PartitionChangeInput, targetIsr: readonly number[], targetElr: readonly number[]): boolean {
  const p = input.partition;
  if (!input.elrEnabled || targetElr.length > 0 || targetIsr.length > 0) return false;
  if (p.lastKnownElr.length !== 1) return false;
  return input.isAcceptableLeader(p.lastKnownElr[0] as number);
}
