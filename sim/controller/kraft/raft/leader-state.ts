// The leader's state for one epoch (raft/.../LeaderState.java): each voter's fetch offset and the high watermark
// they give, check-quorum, the BeginQuorumEpoch resend timer, the append accumulator (linger) and the parked
// fetches (the fetch purgatory).
import type { NodeId } from "../../../core/ids.ts";
import type { FetchRequest, RaftRecord } from "./messages.ts";

/** LeaderState.CHECK_QUORUM_TIMEOUT_FACTOR: a leader resigns when a majority has not fetched for 1.5 × fetch timeout. */
export const CHECK_QUORUM_TIMEOUT_FACTOR = 1.5;

export interface ParkedFetch {
  readonly from: NodeId;
  readonly req: FetchRequest;
  readonly deadlineUs: number;
  /** The HW when it was parked: an expired fetch gets the answer it had then (the purgatory's timeout path). */
  readonly hw: number;
}

export class LeaderState<T> {
  /** -1 until a majority has fetched past the epoch start offset. */
  hw = -1;
  /** Voter fetch offsets (LEO), -1 unknown; the leader's own is its flushed end offset. Index = voters index. */
  private readonly endOffsets: Float64Array;
  private readonly scratch: Float64Array;
  private readonly selfIndex: number;
  private readonly fetchedVoters = new Set<NodeId>();
  private checkQuorumDeadlineUs: number;
  private readonly checkQuorumTimeoutUs: number;
  beginQuorumEpochDueUs: number;
  readonly beginQuorumEpochTimeoutUs: number;
  readonly acknowledged = new Set<NodeId>();
  /** Observer fetch offsets (DescribeQuorum's observers; they never count for the HW). */
  readonly observers = new Map<NodeId, number>();
  /** The accumulator: records appended but not yet written (drained after append.linger.ms). */
  pending: RaftRecord<T>[] = [];
  pendingSinceUs = -1;
  resignRequested = false;
  readonly parked: ParkedFetch[] = [];

  constructor(
    readonly epoch: number,
    readonly epochStartOffset: number,
    readonly voters: readonly NodeId[],
    readonly self: NodeId,
    readonly grantingVoters: readonly NodeId[],
    fetchTimeoutUs: number,
    nowUs: number,
  ) {
    this.endOffsets = new Float64Array(voters.length).fill(-1);
    this.scratch = new Float64Array(voters.length);
    this.selfIndex = voters.indexOf(self);
    this.checkQuorumTimeoutUs = Math.floor(fetchTimeoutUs * CHECK_QUORUM_TIMEOUT_FACTOR);
    this.checkQuorumDeadlineUs = nowUs + this.checkQuorumTimeoutUs;
    this.beginQuorumEpochTimeoutUs = Math.floor(fetchTimeoutUs / 2);
    this.beginQuorumEpochDueUs = nowUs;
    this.acknowledged.add(self);
  }

  /** Offset the next appended record gets: the log end plus what the accumulator holds. */
  nextOffset(logEnd: number): number {
    return logEnd + this.pending.length;
  }

  /** The leader's own end offset moved (after a flush). True when the HW moved. */
  updateLocalState(endOffset: number): boolean {
    this.endOffsets[this.selfIndex] = endOffset;
    return this.maybeUpdateHighWatermark();
  }

  /** A valid Fetch at `fetchOffset` from `node` (updateReplicaState). True when the HW moved. */
  updateReplicaState(node: NodeId, fetchOffset: number, nowUs: number): boolean {
    const i = this.voters.indexOf(node);
    if (i < 0) {
      this.observers.set(node, fetchOffset);
      return false;
    }
    this.endOffsets[i] = fetchOffset;
    this.updateCheckQuorum(node, nowUs);
    return this.maybeUpdateHighWatermark();
  }

  /** updateCheckQuorumForFollowingVoter: once a majority (the leader counted) has fetched, restart the timer. */
  private updateCheckQuorum(node: NodeId, nowUs: number): void {
    this.fetchedVoters.add(node);
    // The majority less the leader, which counts implicitly.
    const majority = this.voters.length >> 1;
    if (this.fetchedVoters.size >= majority) {
      this.fetchedVoters.clear();
      this.checkQuorumDeadlineUs = nowUs + this.checkQuorumTimeoutUs;
    }
  }

  /** When the check-quorum timer expires (never with a single voter). */
  checkQuorumDeadline(): number {
    return this.voters.length === 1 ? Infinity : this.checkQuorumDeadlineUs;
  }

  /** HW = the offset a majority of voters has reached, once it passes the epoch start offset: the leader must
   *  commit a record of its own epoch before exposing earlier ones (LeaderState.maybeUpdateHighWatermark). */
  private maybeUpdateHighWatermark(): boolean {
    const s = this.scratch;
    s.set(this.endOffsets);
    s.sort();
    // Sorted ascending: the (n/2)-th largest is at n - 1 - floor(n/2).
    const n = s.length;
    const candidate = s[n - 1 - (n >> 1)] as number;
    if (candidate < 0 || candidate <= this.epochStartOffset || candidate <= this.hw) return false;
    this.hw = candidate;
    return true;
  }

  /** Other voters by descending fetch offset: the preferred successors of a resigning leader. */
  successorsByFetchOffset(): NodeId[] {
    const others = this.voters.filter((v) => v !== this.self);
    const off = (v: NodeId): number => this.endOffsets[this.voters.indexOf(v)] as number;
    return others.sort((a, b) => off(b) - off(a));
  }

  fetchOffsetOf(node: NodeId): number {
    const i = this.voters.indexOf(node);
    return i < 0 ? (this.observers.get(node) ?? -1) : (this.endOffsets[i] as number);
  }
}
