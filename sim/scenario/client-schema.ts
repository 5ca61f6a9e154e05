// Producers and consumer groups in scenario files: the written form (workload, Kafka client config, failure
// policy, the processing model of a group) and its normalisation into the inputs buildScenario completes.
import type { z } from "zod";
import type { ConsumerHandler, ProducerLogic } from "../client/user-code.ts";
import type { ConsumerInput, ProducerInput } from "./defaults.ts";
import type { RawIssue } from "./issues.ts";
import { bool, fn, int, listOf, ms, num, oneOf, str, strict } from "./primitives.ts";
import { canonicalConfig, configSchema } from "./config-schema.ts";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const processingSchema = strict({
  timeMs: ms().optional(),
  failureProb: num("a probability", 0, { max: 1 }).optional(),
  retries: int(0).optional(),
  retryBackoffMs: ms().optional(),
  onFailure: oneOf(["skip", "dead-letter"]).optional(),
  deadLetterTopic: str("a topic name").optional(),
  commit: oneOf(["before-processing", "after-processing", "auto"]).optional(),
  commitEvery: oneOf(["record", "batch", "interval"]).optional(),
  commitIntervalMs: ms(1).optional(),
  commitMode: oneOf(["sync", "async"]).optional(),
  async: bool().optional(),
  state: oneOf(["none", "memory", "stored"]).optional(),
  // Consume-transform-produce: each processed record written to `topic`; transactional: exactly-once.
  output: strict({ topic: str("a topic name"), transactional: bool().optional() }).optional(),
});

export const producerSchema = strict({
  id: str("a producer id"),
  topic: str("a topic name"),
  ratePerSec: num("records per second", 0, { exclusiveMin: true }).optional(),
  messages: int(0).optional(),
  startMs: ms().optional(),
  keys: int(0).optional(),
  config: configSchema("producer").optional(),
  onFailure: oneOf(["drop", "log", "halt", "dead-letter"]).optional(),
  deadLetterTopic: str("a topic name").optional(),
  logic: fn<ProducerLogic>("TypeScript form only").optional(),
  // With a transactional.id: records per transaction and the probability the producer aborts one.
  transaction: strict({ records: int(1), abortProb: num("a probability", 0, { max: 1 }).optional() }).optional(),
});

export const consumerSchema = strict({
  group: str("a group id"),
  members: int(1, 64).optional(),
  topic: str("a topic name").optional(),
  topics: listOf(str("a topic name"), "topic names").optional(),
  startMs: ms().optional(),
  config: configSchema("consumer").optional(),
  processing: processingSchema.optional(),
  handler: fn<ConsumerHandler>("TypeScript form only").optional(),
});

export function stripUndefined<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

export function normaliseProducers(raw: readonly z.output<typeof producerSchema>[], issues: RawIssue[]): ProducerInput[] {
  return raw.map((p, i) => {
    const config = canonicalConfig("producer", p.config ?? {}, ["producers", i, "config"], issues);
    const { config: _c, ...rest } = p;
    return { ...stripUndefined(rest), config, explicit: Object.keys(config) } as ProducerInput;
  });
}

export function normaliseConsumers(raw: readonly z.output<typeof consumerSchema>[], issues: RawIssue[]): ConsumerInput[] {
  return raw.map((c, i) => {
    const path = ["consumers", i];
    const config = canonicalConfig("consumer", c.config ?? {}, [...path, "config"], issues);
    if (config["group.id"] !== undefined && config["group.id"] !== c.group) {
      issues.push({ path: [...path, "config", "group.id"], message: `group.id "${String(config["group.id"])}" differs from the entry's group "${c.group}"; set the group with group: only` });
    }
    let topics: string[];
    if (c.topic !== undefined && c.topics !== undefined) {
      issues.push({ path: [...path, "topics"], message: "give topic or topics, not both", atKey: true });
      topics = [];
    } else if (c.topic !== undefined) topics = [c.topic];
    else if (c.topics !== undefined && c.topics.length > 0) topics = c.topics;
    else {
      issues.push({ path, message: `consumer group "${c.group}" needs a topic: topic: orders (or topics: [orders, payments])` });
      topics = [];
    }
    const { config: _c, topic: _t, topics: _ts, processing, ...rest } = c;
    const out = { ...stripUndefined(rest), topics, config, explicit: Object.keys(config) } as Mutable<ConsumerInput>;
    if (processing) {
      const { output, ...p } = processing;
      out.processing = { ...stripUndefined(p), ...(output !== undefined ? { output: { topic: output.topic, transactional: output.transactional ?? false } } : {}) } as ConsumerInput["processing"] & object;
    }
    return out;
  });
}
