// User code plugged into clients: it runs inside the simulation, in virtual time, and must stay deterministic.
// A synchronous handler returns what it did and how long it took (virtual ms), and the simulator schedules the rest;
// use `random()` from the payload for seeded randomness. A handler may also be async (return a Promise): then the
// scenario runs with `await runScenarioAsync(scenario)` (sim/client/kafkajs/driver.ts), the attempt lasts the
// virtual time until the Promise settles (its timers, Date.now and Math.random are the simulation's), a rejection
// is a failed attempt, and a record counts as processed only once an attempt resolved. A handler that throws has
// failed that attempt (retried per the processing spec). For kafkajs's own API in virtual time, see
// sim/client/kafkajs/ (`sim.kafka()`).
//
// Producer logic — decides what each tick of the workload sends:
// ```ts
// const logic: ProducerLogic = ({ sent, random }) =>
//   sent % 10 === 9 ? null                        // skip every tenth tick
//   : { key: Math.floor(random() * 4) };          // keyed: the murmur2 partitioner picks the partition
// ```
//
// Consumer handler, kafkajs-like. eachMessage is called once per record attempt:
// ```ts
// const handler: ConsumerHandler = {
//   eachMessage: ({ message, attempt }) =>
//     message.value % 100 === 0 && attempt < 3
//       ? { processMs: 5, ok: false }            // fails twice: retried with processing.retryBackoffMs
//       : { processMs: 2 },                      // ok after 2 ms of virtual time
// };
// ```
// or eachBatch, once per partition of each poll; only resolved offsets count as processed (kafkajs
// eachBatchAutoResolve=false); commitOffsetsIfNecessary() asks for a commit of the resolved offsets when the
// batch's processing time is over:
// ```ts
// const handler: ConsumerHandler = {
//   eachBatch: ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
//     for (const m of batch.messages) { if (m.value < 0) break; resolveOffset(m.offset); }
//     commitOffsetsIfNecessary();
//     return { processMs: batch.messages.length };
//   },
// };
// ```
// The processing spec still decides retries, the dead-letter topic, the commit strategy and the state kept.

export interface ProducerLogicContext {
  readonly nowMs: number;
  /** Records sent so far by this producer (ticks that returned null are not counted). */
  readonly sent: number;
  /** Seeded random number in [0, 1) from the producer's own stream. */
  random(): number;
}

export interface ProducerDecision {
  /** A key (integer; hashed with murmur2 over its 4 big-endian bytes), or null/absent for none. */
  readonly key?: number | null;
  /** Force a partition (skips the partitioner). */
  readonly partition?: number;
}

/** Decides what a producer sends at each workload tick. Return null to skip this tick. */
export type ProducerLogic = (ctx: ProducerLogicContext) => ProducerDecision | null;

export interface KafkaMessage {
  readonly offset: number;
  readonly key: number | null;
  readonly value: number;
}

export interface EachMessagePayload {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
  /** 1 for the first attempt, 2 for the first retry, ... */
  readonly attempt: number;
  readonly nowMs: number;
  /** True while the failing-downstream fault is active. */
  readonly downstreamDown: boolean;
  random(): number;
}

/** What one processing attempt did. `undefined` = ok after processing.timeMs. */
export type MessageOutcome = { readonly processMs?: number; readonly ok?: boolean } | undefined | void;

export interface EachBatchPayload {
  readonly batch: {
    readonly topic: string;
    readonly partition: number;
    readonly highWatermark: number;
    readonly messages: readonly KafkaMessage[];
  };
  /** Mark every record up to and including this offset as processed. */
  resolveOffset(offset: number): void;
  /** Kept for kafkajs compatibility: the heartbeat runs in the background here, as in the Java client. */
  heartbeat(): void;
  /** Commit the resolved offsets once the batch's processing time is over (per processing.commitMode). */
  commitOffsetsIfNecessary(): void;
  readonly nowMs: number;
  readonly downstreamDown: boolean;
  random(): number;
}

/** How long the batch took. Records after the last resolved offset are fetched again. */
export type BatchOutcome = { readonly processMs?: number } | undefined | void;

/** kafkajs-like consumer handler: give eachMessage or eachBatch (eachBatch wins if both are given). */
export interface ConsumerHandler {
  readonly eachMessage?: (payload: EachMessagePayload) => MessageOutcome | Promise<MessageOutcome>;
  readonly eachBatch?: (payload: EachBatchPayload) => BatchOutcome | Promise<BatchOutcome>;
}
