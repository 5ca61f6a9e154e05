// The kafkajs-compatible API in virtual time (issue #16 layer 1): what `import ... from "kafkasim"` exports of it.
export { createSimulation, Simulation } from "./simulation.ts";
export type { SimulationRunOptions } from "./simulation.ts";
export { Kafka } from "./kafka.ts";
export type { KafkaConfig, KafkaJSConsumerConfig } from "./kafka.ts";
export { KafkaJSProducer } from "./producer.ts";
export type { KafkaJSProducerConfig, ProducerRecord, ProducerBatch, RecordMetadata } from "./producer.ts";
export { KafkaJSTransaction } from "./transaction.ts";
export type { TransactionOffsets } from "./transaction.ts";
export { KafkaJSConsumer, CONSUMER_EVENTS } from "./consumer.ts";
export type { ConsumerRunConfig, EachMessagePayload, EachBatchPayload, Batch } from "./consumer.ts";
export type { Message, KafkaMessage, Headers } from "./messages.ts";
export { SimDatabase, DatabaseError } from "./database.ts";
export type { DatabaseOptions } from "./database.ts";
export type { RetryOptions } from "./retry.ts";
export { runScenarioAsync } from "./driver.ts";
export type { AsyncRunOptions } from "./driver.ts";
export {
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSConnectionError,
  KafkaJSRequestTimeoutError,
  KafkaJSNotImplemented,
} from "./errors.ts";
