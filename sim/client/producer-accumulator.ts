// Kafka's RecordAccumulator: one queue (deque) of batches per partition. A record goes into the last batch of its
// partition's queue until that batch holds batch.size bytes (100 bytes a record here, as everywhere in kafkasim);
// a retried batch goes back to the front (reenqueue). The sender drains the queues' heads (producer-sender.ts).
import { TpNames } from "./tp-names.ts";
import type { KafkaErrorCode } from "../kafka/errors.ts";

/** Every record counts as 100 bytes (README: request sizes beyond that are not modelled). */
export const BYTES_PER_RECORD = 100;

export interface Batch {
  readonly topic: string;
  readonly partition: number;
  readonly tp: string;
  readonly values: number[];
  readonly keys: number[];
  /** Records of this batch are dead-letter copies (their failure is only logged). */
  readonly deadLetter: boolean;
  readonly createdUs: number;
  /** Retries so far (Kafka's ProducerBatch.attempts counts re-enqueues). */
  attempts: number;
  /** When the last attempt failed (ProducerBatch.lastAttemptMs, set by reenqueued): the retry backoff counts from it. */
  lastAttemptUs: number;
  baseSequence: number;
  epoch: number;
  /** Some attempt may have appended it (timeout, disconnect, NOT_ENOUGH_REPLICAS_AFTER_APPEND, ...). */
  maybeWritten: boolean;
  /** The last retriable error, reported if the batch then expires. */
  lastError: KafkaErrorCode;
}

/** A topic's queues, in creation order, with their partitions (RecordAccumulator.TopicInfo.batches). */
export interface TopicQueues {
  readonly partitions: number[];
  readonly queues: Batch[][];
}

export class RecordAccumulator {
  readonly queues = new Map<string, Batch[]>();
  /** The same queues in creation order (the Map's order): the sender walks them without an iterator. */
  readonly queueList: Batch[][] = [];
  /** The same queues by topic (the built-in partitioner weighs a topic's partitions by their queues). */
  readonly byTopic = new Map<string, TopicQueues>();
  private readonly tpNames = new TpNames();
  /** The queue the last record went to (queues are never replaced): most records go where the last one went. */
  private lastAppendTopic = "";
  private lastAppendPartition = -1;
  private lastAppendTp = "";
  private lastAppendQueue: Batch[] = [];

  constructor(readonly recordsPerBatch: number) {}

  /** Append one record to the last batch of its partition's queue (a new batch when that one is full, a retry or
   *  of the other kind); returns the batch it went into. `epoch`: the producer epoch a new batch starts under. */
  append(topic: string, partition: number, value: number, key: number | null, createdUs: number, deadLetter: boolean, epoch: number): Batch {
    let q: Batch[];
    let tp: string;
    if (partition === this.lastAppendPartition && topic === this.lastAppendTopic) {
      q = this.lastAppendQueue;
      tp = this.lastAppendTp;
    } else {
      tp = this.tpName(topic, partition);
      q = this.queue(topic, partition, tp);
      this.lastAppendTopic = topic;
      this.lastAppendPartition = partition;
      this.lastAppendTp = tp;
      this.lastAppendQueue = q;
    }
    let last = q[q.length - 1];
    if (last === undefined || last.attempts > 0 || last.values.length >= this.recordsPerBatch || last.deadLetter !== deadLetter) {
      // A new batch's arrays start as literals of one element: an empty array's first push reserves 17, and most
      // batches hold a few records (linger.ms=0) yet live until acknowledged, so the spare room reached old space.
      last = { topic, partition, tp, values: [value], keys: [key ?? -1], deadLetter, createdUs, attempts: 0, lastAttemptUs: -Infinity, baseSequence: -1, epoch, maybeWritten: false, lastError: "NONE" };
      q.push(last);
      return last;
    }
    last.values.push(value);
    last.keys.push(key ?? -1);
    return last;
  }

  /** The queue the last record went to. */
  get lastQueue(): readonly Batch[] {
    return this.lastAppendQueue;
  }

  /** Whether only full batches are in the queue (RecordAccumulator.allBatchesFull: only the last may not be;
   *  a retried batch is closed to appends). */
  allBatchesFull(q: readonly Batch[] | undefined): boolean {
    const last = q?.[q.length - 1];
    return last === undefined || last.attempts > 0 || last.values.length >= this.recordsPerBatch;
  }

  queue(topic: string, partition: number, tp: string): Batch[] {
    let q = this.queues.get(tp);
    if (q === undefined) {
      q = [];
      this.queues.set(tp, q);
      this.queueList.push(q);
      let t = this.byTopic.get(topic);
      if (t === undefined) this.byTopic.set(topic, (t = { partitions: [], queues: [] }));
      t.partitions.push(partition);
      t.queues.push(q);
    }
    return q;
  }

  /** "topic-partition", interned (the accumulator's hot path would otherwise build a string per record). */
  tpName(topic: string, partition: number): string {
    return this.tpNames.of(topic, partition);
  }

  /** RecordAccumulator.reenqueue: at the front; with idempotence, in sequence order among the retries. */
  reenqueue(b: Batch, idempotent: boolean): void {
    const q = this.queue(b.topic, b.partition, b.tp);
    if (!idempotent || b.baseSequence < 0) {
      q.unshift(b);
      return;
    }
    let i = 0;
    while (i < q.length) {
      const x = q[i] as Batch;
      if (x.baseSequence < 0 || x.epoch !== b.epoch || x.baseSequence > b.baseSequence) break;
      i++;
    }
    q.splice(i, 0, b);
  }
}
