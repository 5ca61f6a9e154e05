// Trace events of clients (producers, consumers, group coordinator).
import type { KafkaErrorCode } from "../kafka/errors.ts";

export type ClientTraceEvent =
  | { readonly type: "rebalance"; readonly group: string; readonly generation: number; readonly members: readonly string[] }
  | { readonly type: "producer-epoch-bump"; readonly producer: string; readonly producerId: number; readonly producerEpoch: number }
  | { readonly type: "producer-halted"; readonly producer: string; readonly reason: string }
  | { readonly type: "metadata-refresh"; readonly client: string }
  /** A batch that was sent is re-enqueued for a retry after `error` (its connection failing counts too); `attempt`
   *  is the retry's number (ProducerBatch.attempts), `values` the batch's records in order. */
  | { readonly type: "produce-retry"; readonly producer: string; readonly tp: string; readonly error: KafkaErrorCode; readonly attempt: number; readonly values: readonly number[] }
  /** The producer closed its connection to a broker after a request timeout (NetworkClient.handleTimedOutRequests),
   *  or lost it (the broker's process died or reset it). */
  | { readonly type: "producer-disconnect"; readonly producer: string; readonly broker: number; readonly reason: "request-timeout" | "disconnected" }
  /** A record failed for good and the producer's failure policy applied to it. */
  | { readonly type: "send-failed"; readonly producer: string; readonly topic: string; readonly partition: number; readonly value: number; readonly error: KafkaErrorCode; readonly policy: "drop" | "log" | "halt" | "dead-letter"; readonly outcome: "fail" | "info" }
  /** A commit was refused (CommitFailedException in the Java client when the cause is a rebalance). */
  | { readonly type: "commit-failed"; readonly member: string; readonly group: string; readonly generation: number; readonly error: KafkaErrorCode }
  /** The consumer left its group because poll() was not called within max.poll.interval.ms (fact 22). */
  | { readonly type: "poll-timeout"; readonly member: string; readonly group: string };
