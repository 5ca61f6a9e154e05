// Types the parts of a consumer share (sim/client/consumer/: the actor and its parts, one concept each).
import type { NodeContext } from "../../core/node.ts";
import type { Message } from "../../kafka/protocol.ts";
import type { TraceEvent } from "../../events.ts";
import type { KafkaMessage } from "../user-code.ts";

export type Ctx = NodeContext<Message, TraceEvent>;

/** A committed or committable position: the next offset to read. */
export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

/** A record handed out by poll(), waiting for (or in) processing. */
export interface WorkItem {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
  /** Last record of its poll's batch. */
  readonly endOfBatch: boolean;
  /** eachBatch: the partition's records of one poll, handled in one call (message = the first of them). */
  readonly batch?: readonly KafkaMessage[];
}

/** Consumer state kept "stored": the running sum with the offsets it covers, flushed before each commit is sent
 *  (like keeping offsets in the state's own store); on assignment the consumer starts from the later of the
 *  committed and the stored offset, so the sum never counts a record twice nor misses one. */
export interface StoredState {
  readonly sum: number;
  readonly offsets: Readonly<Record<string, number>>;
}
export const STATE_BLOB = "consumer/state";
