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
  /** A consumer's request went unanswered for request.timeout.ms: it closed the connection (NetworkClient), whose
   *  unacknowledged data the kernel may still deliver (a timed-out commit can land after a later one, fact 32). */
  | { readonly type: "consumer-request-timeout"; readonly member: string; readonly group: string; readonly request: string; readonly node: string }
  /** The consumer left its group because poll() was not called within max.poll.interval.ms (fact 22). */
  | { readonly type: "poll-timeout"; readonly member: string; readonly group: string }
  /** The group coordinator took a new member id into a generation: a client's first join, or its rejoin after it
   *  had left (a member rejoining with the id it has is no news: see `rebalance`). member = the client. */
  | { readonly type: "member-joined"; readonly group: string; readonly member: string; readonly memberId: string; readonly generation: number; readonly reason: "join" | "rejoin" }
  /** A kafkajs-API handler threw (or its Promise rejected) on this record: kafkajs fetches it again after the retry
   *  backoff (sim/client/kafkajs/runner.ts). */
  | { readonly type: "handler-error"; readonly member: string; readonly group: string; readonly topic: string; readonly partition: number; readonly offset: number; readonly value: number; readonly error: string }
  /** A kafkajs-API consumer crashed (its retries ran out, or a non-retriable error): it left its group, and starts
   *  again after the retry time when `restart`. */
  | { readonly type: "kafkajs-crash"; readonly member: string; readonly group: string; readonly error: string; readonly restart: boolean }
  /** The group coordinator removed a member from `generation`, and why. */
  | { readonly type: "member-left"; readonly group: string; readonly member: string; readonly memberId: string; readonly generation: number; readonly reason: MemberLeftReason };

/** Why a member left its group: its LeaveGroup after max.poll.interval.ms without poll() (poll-timeout) or on
 *  close (leave-group); no heartbeat within session.timeout.ms while its process is up (session-timeout: paused,
 *  cut off) or down (crash); or it did not rejoin within the rebalance timeout (rebalance-timeout; crash if its
 *  process is down). */
export type MemberLeftReason = "poll-timeout" | "leave-group" | "session-timeout" | "crash" | "rebalance-timeout";
