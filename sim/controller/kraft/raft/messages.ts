// The KRaft RPCs (KIP-595): Vote (with KIP-996's preVote flag), BeginQuorumEpoch, EndQuorumEpoch and Fetch,
// each a request and its response, as one discriminated union. The sender is the message's `from`; every
// response carries the responder's epoch and known leader, from which the requester learns of elections
// (KafkaRaftClient.maybeHandleCommonResponse). Records travel as a view of the leader's log columns.
import type { NodeId } from "../../../core/ids.ts";
import type { RaftErrorCode } from "../errors.ts";

/** A record of the Raft log: a control record (a new leader's LeaderChangeMessage) or the host's data. */
export type RaftRecord<T> =
  | {
      readonly kind: "leader-change";
      readonly leaderId: NodeId;
      readonly voters: readonly NodeId[];
      readonly grantingVoters: readonly NodeId[];
    }
  | { readonly kind: "data"; readonly data: T };

/** Whole batches of the leader's log at [baseOffset, baseOffset + count): views of its columns from index `at`
 *  (LogFile copies its columns when it shrinks, so a view keeps what was read), and its payload table. */
export interface RaftRecordSlice<T> {
  readonly baseOffset: number;
  readonly count: number;
  readonly at: number;
  /** Epoch of each record (the epoch of the leader that appended its batch). */
  readonly epochs: Int16Array | Int32Array;
  /** Index of each record's payload in `table`. */
  readonly ids: Int32Array | Float64Array;
  /** Size of the batch each record belongs to, and the record's position in it. */
  readonly batchSizes: Int16Array | Int32Array;
  readonly batchPositions: Int32Array;
  /** The leader's payload table: append-only, never rewritten, so ids stay valid. */
  readonly table: readonly RaftRecord<T>[];
}

export interface VoteRequest {
  readonly type: "raft-vote";
  readonly corr: number;
  /** The candidate's epoch (a pre-vote's is the prospective's current epoch, not bumped). */
  readonly replicaEpoch: number;
  readonly lastOffsetEpoch: number;
  /** The candidate's log end offset. */
  readonly lastOffset: number;
  readonly preVote: boolean;
}

export interface VoteResponse {
  readonly type: "raft-vote-response";
  readonly corr: number;
  readonly error: RaftErrorCode;
  readonly epoch: number;
  readonly leaderId: NodeId | null;
  readonly voteGranted: boolean;
}

export interface BeginQuorumEpochRequest {
  readonly type: "raft-begin-quorum-epoch";
  readonly corr: number;
  readonly epoch: number;
  readonly leaderId: NodeId;
}

export interface EndQuorumEpochRequest {
  readonly type: "raft-end-quorum-epoch";
  readonly corr: number;
  readonly epoch: number;
  readonly leaderId: NodeId;
  /** Voters by descending fetch offset: the first may start an election at once (strict exponential backoff). */
  readonly preferredSuccessors: readonly NodeId[];
}

/** The answer to BeginQuorumEpoch and EndQuorumEpoch. */
export interface QuorumEpochResponse {
  readonly type: "raft-begin-quorum-epoch-response" | "raft-end-quorum-epoch-response";
  readonly corr: number;
  readonly error: RaftErrorCode;
  readonly epoch: number;
  readonly leaderId: NodeId | null;
}

export interface FetchRequest {
  readonly type: "raft-fetch";
  readonly corr: number;
  readonly currentLeaderEpoch: number;
  /** The fetcher's log end offset. */
  readonly fetchOffset: number;
  /** The epoch of the fetcher's last record (0 for an empty log). */
  readonly lastFetchedEpoch: number;
  readonly maxWaitMs: number;
  /** KIP-1166 (Fetch v18, 4.1+): the fetcher's high watermark, -1 unknown; absent before. */
  readonly highWatermark?: number;
}

export interface FetchResponse<T> {
  readonly type: "raft-fetch-response";
  readonly corr: number;
  readonly error: RaftErrorCode;
  readonly epoch: number;
  readonly leaderId: NodeId | null;
  /** The leader's high watermark, -1 while it has none in its epoch. */
  readonly highWatermark: number;
  /** Set when the fetcher's log diverges: truncate to the end of this epoch (KIP-595 divergingEpoch). */
  readonly divergingEpoch: number;
  readonly divergingEndOffset: number;
  readonly records: RaftRecordSlice<T> | null;
}

export type RaftMessage<T> = VoteRequest | VoteResponse | BeginQuorumEpochRequest | EndQuorumEpochRequest | QuorumEpochResponse | FetchRequest | FetchResponse<T>;

export type RaftMessageType = RaftMessage<unknown>["type"];

const RAFT_TYPES: ReadonlySet<string> = new Set<RaftMessageType>([
  "raft-vote",
  "raft-vote-response",
  "raft-begin-quorum-epoch",
  "raft-end-quorum-epoch",
  "raft-begin-quorum-epoch-response",
  "raft-end-quorum-epoch-response",
  "raft-fetch",
  "raft-fetch-response",
]);

/** Route a host's message union: is this one for the Raft node? */
export function isRaftMessage<T>(msg: { readonly type: string }): msg is RaftMessage<T> {
  return RAFT_TYPES.has(msg.type);
}
