// A group's state as its coordinator holds it (GroupMetadata.scala): members, generation, committed offsets, the
// timers' tags, the form its metadata is stored in on __consumer_offsets, and the choice of the generation's
// protocol.
import type { NodeId } from "../../core/ids.ts";
import type { GroupProtocol, TopicPartitionRef } from "../../kafka/protocol-group.ts";
import type { TraceEvent } from "../../events.ts";

export type GroupState = "empty" | "preparing" | "completing" | "stable";
export type MemberLeftReason = Extract<TraceEvent, { type: "member-left" }>["reason"];

export class SessionTag {
  handle = -1;
  constructor(
    readonly group: string,
    readonly memberId: string,
  ) {}
}
export class JoinTag {
  handle = -1;
  constructor(readonly group: string) {}
}

export interface Member {
  readonly id: string;
  node: NodeId;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  topics: readonly string[];
  /** Correlation id of a JoinGroup waiting for the rebalance to complete. */
  joinCorr: number | null;
  syncCorr: number | null;
  assignment: readonly TopicPartitionRef[];
  /** A real client's protocols (assignors with their metadata) and the assignment bytes its leader sent: opaque. */
  protocols?: readonly GroupProtocol[];
  assignmentBytes?: string;
  readonly session: SessionTag;
  /** In a completed generation already (member-joined was told). */
  joined: boolean;
}

export interface Group {
  readonly name: string;
  readonly partition: number;
  state: GroupState;
  generation: number;
  leaderId: string;
  /** The protocol chosen for the generation (when members sent protocols). */
  protocol?: string;
  readonly members: Map<string, Member>;
  /** "topic/partition" → committed offset (the next offset to read). */
  readonly offsets: Map<string, number>;
  readonly join: JoinTag;
  /** In the first rebalance of an empty group (group.initial.rebalance.delay.ms). */
  initialDelay: boolean;
  initialDeadlineUs: number;
  nextMemberSeq: number;
  /** Clients that had a member here and lost it (a later join of theirs is a rejoin): trace only. */
  readonly leftClients: Set<string>;
}

export interface StoredMember {
  readonly id: string;
  readonly node: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly topics: readonly string[];
  readonly assignment: readonly TopicPartitionRef[];
  readonly protocols?: readonly GroupProtocol[];
  readonly assignmentBytes?: string;
}

export interface StoredGroup {
  readonly generation: number;
  readonly leaderId: string;
  readonly nextMemberSeq: number;
  readonly protocol?: string;
  readonly members: readonly StoredMember[];
}

/** GroupMetadata.selectProtocol: among the protocols every member supports, each member votes for the first in its
 *  own order of preference; the most votes win (a tie goes to the earlier-joined member's vote, where Kafka's
 *  HashMap order decides). Undefined when no member sent protocols (the modelled consumers). */
export function selectProtocol(members: Iterable<{ readonly protocols?: readonly GroupProtocol[] }>): string | undefined {
  const lists: (readonly GroupProtocol[])[] = [];
  for (const m of members) if (m.protocols !== undefined) lists.push(m.protocols);
  const first = lists[0];
  if (first === undefined) return undefined;
  const candidates = first.map((p) => p.name).filter((n) => lists.every((l) => l.some((p) => p.name === n)));
  const votes = new Map<string, number>();
  for (const l of lists) {
    const vote = l.find((p) => candidates.includes(p.name))?.name;
    if (vote !== undefined) votes.set(vote, (votes.get(vote) ?? 0) + 1);
  }
  let best: string | undefined;
  let bestVotes = 0;
  for (const [name, n] of votes) {
    if (n > bestVotes) {
      best = name;
      bestVotes = n;
    }
  }
  return best ?? first[0]?.name;
}
