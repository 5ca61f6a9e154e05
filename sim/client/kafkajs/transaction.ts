// The object `await producer.transaction()` returns (kafkajs 2.2.x src/producer/index.js): send and sendBatch
// (identical to the producer's, inside the transaction), sendOffsets, commit, abort, isActive. Every method of a
// transaction that ended — committed, aborted, or its producer's process died — rejects with kafkajs's
// "Cannot continue to use transaction once ended".
import type { KafkaJSEos } from "./eos.ts";
import type { KafkaJSProducer, ProducerBatch, ProducerRecord, RecordMetadata } from "./producer.ts";
import { KafkaJSNonRetriableError } from "./errors.ts";

export interface TransactionOffsets {
  readonly consumerGroupId: string;
  readonly topics: readonly { readonly topic: string; readonly partitions: readonly { readonly partition: number; readonly offset: string }[] }[];
}

export class KafkaJSTransaction {
  private didEnd = false;

  constructor(
    private readonly producer: KafkaJSProducer,
    private readonly eos: KafkaJSEos,
  ) {}

  /** In its transaction still (not ended, its producer's process the same). */
  readonly isActive = (): boolean => this.producer.currentEos() === this.eos && this.eos.isInTransaction() && !this.didEnd;

  private guard<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.isActive()) return Promise.reject(new KafkaJSNonRetriableError("Cannot continue to use transaction once ended"));
    return fn();
  }

  readonly send = (record: ProducerRecord): Promise<RecordMetadata[]> =>
    this.guard(() => this.producer.sendInTransaction(this.eos, { topicMessages: [{ topic: record.topic, messages: record.messages }], ...(record.acks !== undefined ? { acks: record.acks } : {}) }));

  readonly sendBatch = (batch: ProducerBatch): Promise<RecordMetadata[]> => this.guard(() => this.producer.sendInTransaction(this.eos, batch));

  /** The consumer group's offsets, committed if and when the transaction commits (AddOffsetsToTxn, TxnOffsetCommit). */
  readonly sendOffsets = ({ consumerGroupId, topics }: TransactionOffsets): Promise<void> =>
    this.guard(() => {
      // eosManager.sendOffsets: assert(consumerGroupId, 'Missing consumerGroupId'), assert(topics, 'Missing offset topics').
      if (!consumerGroupId) return Promise.reject(assertionError("Missing consumerGroupId"));
      if (!topics) return Promise.reject(assertionError("Missing offset topics"));
      return this.producer.inProcess(this.eos, () => this.eos.sendOffsets(consumerGroupId, topics));
    });

  readonly commit = (): Promise<void> =>
    this.guard(async () => {
      await this.producer.inProcess(this.eos, () => this.eos.commit());
      this.didEnd = true;
    });

  readonly abort = (): Promise<void> =>
    this.guard(async () => {
      await this.producer.inProcess(this.eos, () => this.eos.abort());
      this.didEnd = true;
    });
}

/** What node's assert throws (kafkajs asserts its arguments). */
function assertionError(message: string): Error {
  const e = new Error(message);
  e.name = "AssertionError";
  return e;
}
