// Types the parts of a consumer share (sim/client/consumer/: the actor and its parts, one concept each).
import type { NodeContext } from "../../core/node.ts";
import type { Message } from "../../kafka/protocol.ts";
import type { TraceEvent } from "../../events.ts";
import type { KafkaMessage } from "../user-code.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import type { Consumer } from "./consumer.ts";

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

/** The application around the consumer's protocol parts (membership, positions, commits): Kafka's poll loop with
 *  the processing model (poll-loop.ts, processing.ts), or the kafkajs runner (sim/client/kafkajs/runner.ts). */
export interface ConsumerApp {
  /** The application waits for a synchronous commit (Commits sets it; no rejoin meanwhile). */
  blocked: boolean;
  lastManualCommitUs: number;
  /** Heartbeats come from a background thread (the Java client), not from the application between records
   *  (kafkajs): the membership's heartbeat timer runs only then. */
  readonly heartbeatThread: boolean;
  /** False when the client's OffsetFetch cannot ask for stable offsets (kafkajs: OffsetFetch ≤ v4, no KIP-447
   *  require_stable); absent: the Java client's rule (read_committed on 2.5+). */
  readonly requireStableOffsets?: boolean;
  start(ctx: Ctx, startUs: number): void;
  onTimer(ctx: Ctx, tag: unknown): boolean;
  /** New data, or a rebalance finished: an application waiting in poll() returns now. */
  wakeApp(ctx: Ctx): void;
  /** A fetch came back with no records (kafkajs heartbeats then). */
  fetchedNothing?(ctx: Ctx): void;
  /** A synchronous commit returned: the application goes on with `then`. */
  unblock(ctx: Ctx, then: () => void): void;
  /** A heartbeat sent for the application (Membership.sendHeartbeat) was answered with `error`, or lost. */
  heartbeatDone?(ctx: Ctx, error: KafkaErrorCode): void;
}

/** What the consumer's parts need of the processing of records. */
export interface ConsumerProcessing {
  /** The running state (sum of processed values) and how many records were processed. */
  readonly sum: number;
  readonly processedCount: number;
  onTimer(ctx: Ctx, tag: unknown): boolean;
  /** The dead-letter produce of the record in processing was answered. */
  dltDone(ctx: Ctx, error: KafkaErrorCode): void;
}

/** Builds the application and processing of member `member` (the kafkajs API's runner); absent: Kafka's. */
export type ConsumerEngineFactory = (c: Consumer, member: number) => { readonly app: ConsumerApp; readonly processing: ConsumerProcessing };
