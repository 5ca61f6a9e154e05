// The library surface: what `import ... from "kafkasim"` gives a team writing its own properties.
// Checkers, the oracle and the fast-check arbitraries are under "kafkasim/properties".

export { runScenario, worldTopics } from "./world.ts";
export type { RunOptions, RunResult, RunEnd } from "./result.ts";
export { buildScenario, producerSpec, consumerSpec, brokerConfigOf, DEFAULT_PROCESSING } from "./scenario/defaults.ts";
export { DEFAULT_LIMITS } from "./scenario/limits.ts";
export type { ScenarioInput, ProducerInput, ConsumerInput, TopicInput } from "./scenario/defaults.ts";
export { defineScenario, normalizeScenario, applyOverrides, ScenarioError, formatScenarioError } from "./scenario/schema.ts";
export type * from "./scenario/types.ts";
export type * from "./faults/types.ts";
export type * from "./history.ts";
export { toJsonLines, fromJsonLines, toJepsenEdn } from "./history-export.ts";
export { parseScenario } from "./scenario/parse.ts";
export type { TraceEvent } from "./events.ts";
export type { ProducerLogic, ConsumerHandler } from "./client/user-code.ts";
export { CONFIG_DEFS, BROKER_DEFAULTS, PRODUCER_DEFAULTS, CONSUMER_DEFAULTS, PROTOCOL_VERSIONS, DEFAULT_PROTOCOL } from "./kafka/config.ts";
export type { BrokerConfig, ProducerConfig, ConsumerConfig, ProtocolVersion, Acks } from "./kafka/config.ts";
export type { KafkaErrorCode } from "./kafka/errors.ts";
export { isRetriable } from "./kafka/errors.ts";
export { SimInputError } from "./core/errors.ts";
export * from "./client/kafkajs/index.ts";
export { createWorld } from "./world.ts";
export type { World, WorldOptions, OutsideNodes } from "./world.ts";
export { runKafkajs, DEFAULT_EPOCH_MS } from "./client/kafkajs-real/host.ts";
export type { KafkajsSim, KafkajsRun, KafkajsRunOptions, SocketFactoryArgs } from "./client/kafkajs-real/host.ts";
export { Gateway } from "./wire/gateway/index.ts";
export type { GatewayOptions, WireTransport } from "./wire/gateway/index.ts";
