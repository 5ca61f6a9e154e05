// Building normalised scenarios in code with Kafka's defaults filled in: for tests, fuzzing arbitraries and
// library users who prefer plain objects to scenario files. (Scenario files go through sim/scenario/schema.ts.)
import { BROKER_DEFAULTS, CONSUMER_DEFAULTS, DEFAULT_PROTOCOL, PRODUCER_DEFAULTS } from "../kafka/config.ts";
import type { BrokerConfig, ConsumerConfig, ProducerConfig } from "../kafka/config.ts";
import type { ConsumerSpec, ProcessingSpec, ProducerSpec, Scenario, TopicSpec } from "./types.ts";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export const DEFAULT_PROCESSING: ProcessingSpec = {
  timeMs: 1,
  failureProb: 0,
  retries: 0,
  retryBackoffMs: 100,
  onFailure: "skip",
  commit: "after-processing",
  commitEvery: "batch",
  commitIntervalMs: 1000,
  commitMode: "sync",
  async: false,
  state: "none",
};

export type ProducerInput = Partial<Omit<ProducerSpec, "config">> & { readonly id: string; readonly topic: string; readonly config?: Partial<ProducerConfig> };
export type ConsumerInput = Partial<Omit<ConsumerSpec, "config" | "processing">> & {
  readonly group: string;
  readonly topics: readonly string[];
  readonly config?: Partial<ConsumerConfig>;
  readonly processing?: Partial<ProcessingSpec>;
};
export type TopicInput = Partial<Omit<TopicSpec, "name">> & { readonly name: string };
export type ScenarioInput = Partial<Omit<Scenario, "broker" | "topics" | "producers" | "consumers">> & {
  readonly broker?: Partial<BrokerConfig>;
  readonly topics?: readonly TopicInput[];
  readonly producers?: readonly ProducerInput[];
  readonly consumers?: readonly ConsumerInput[];
};

export function producerSpec(p: ProducerInput): ProducerSpec {
  const out: Mutable<ProducerSpec> = {
    ratePerSec: 100,
    keys: 0,
    onFailure: "log",
    ...p,
    config: { ...PRODUCER_DEFAULTS, ...p.config },
    explicit: p.explicit ?? Object.keys(p.config ?? {}),
  };
  return withDeliveryTimeout(out);
}

/** KafkaProducer.configureDeliveryTimeout: a delivery.timeout.ms left to its default that is below linger.ms +
 *  request.timeout.ms is raised to that sum (an explicit one is a ConfigException: sim/scenario/check.ts). */
export function withDeliveryTimeout(p: ProducerSpec): ProducerSpec {
  const c = p.config;
  const floor = c["linger.ms"] + c["request.timeout.ms"];
  if (c["delivery.timeout.ms"] >= floor || p.explicit.includes("delivery.timeout.ms")) return p;
  return { ...p, config: { ...c, "delivery.timeout.ms": floor } };
}

export function consumerSpec(c: ConsumerInput): ConsumerSpec {
  return {
    members: 1,
    ...c,
    config: { ...CONSUMER_DEFAULTS, ...c.config, "group.id": c.group },
    explicit: c.explicit ?? Object.keys(c.config ?? {}),
    processing: { ...DEFAULT_PROCESSING, ...c.processing },
  };
}

export function topicSpec(t: TopicInput, brokers: number): TopicSpec {
  // A pinned assignment gives the partition count and the replication factor (kafka-topics --replica-assignment).
  const a = t.replicaAssignment;
  return { partitions: a?.length ?? 1, "replication.factor": a?.[0]?.length ?? Math.min(3, brokers), config: {}, ...t };
}

/** Broker `id`'s own config: the cluster's `broker:` with that broker's overrides on top. */
export function brokerConfigOf(s: Pick<Scenario, "broker" | "brokerOverrides">, id: number): BrokerConfig {
  const o = s.brokerOverrides?.[id];
  return o === undefined ? s.broker : { ...s.broker, ...o };
}

/** A complete scenario from a partial one: 3 brokers, Kafka 3.x defaults, protocol 4.1 (DEFAULT_PROTOCOL), 10 s + 40 s heal-and-drain (longer than zookeeper.session.timeout.ms so a killed broker's session expires). */
export function buildScenario(input: ScenarioInput = {}): Scenario {
  const brokers = input.brokers ?? 3;
  return {
    name: input.name ?? "unnamed",
    seed: input.seed ?? 1,
    durationMs: input.durationMs ?? 10_000,
    drainMs: input.drainMs ?? 40_000,
    protocol: input.protocol ?? DEFAULT_PROTOCOL,
    brokers,
    network: input.network ?? {},
    faults: input.faults ?? [],
    bugs: input.bugs ?? {},
    ...(input.description !== undefined ? { description: input.description } : {}),
    ...(input.expect !== undefined ? { expect: input.expect } : {}),
    ...(input.brokerOverrides !== undefined ? { brokerOverrides: input.brokerOverrides } : {}),
    ...(input.controller !== undefined ? { controller: input.controller } : {}),
    ...(input.mode !== undefined ? { mode: input.mode } : {}),
    ...(input.controllers !== undefined ? { controllers: input.controllers } : {}),
    ...(input.limits !== undefined ? { limits: input.limits } : {}),
    broker: { ...BROKER_DEFAULTS, ...input.broker },
    topics: (input.topics ?? [{ name: "orders" }]).map((t) => topicSpec(t, brokers)),
    producers: (input.producers ?? []).map(producerSpec),
    consumers: (input.consumers ?? []).map(consumerSpec),
  };
}

/** The most permissive of the brokers' configs for what the oracle judges: the lowest min.insync.replicas,
 *  unclean election if any broker enables it, no fsync per message if any broker lacks it. With per-broker
 *  overrides any broker may lead, or be the controller, so a judge must allow what the weakest one allows. */
export function weakestBrokerConfig(s: Pick<Scenario, "broker" | "brokerOverrides" | "brokers">): BrokerConfig {
  if (s.brokerOverrides === undefined) return s.broker;
  let out = s.broker;
  for (let b = 1; b <= s.brokers; b++) {
    const c = brokerConfigOf(s, b);
    out = {
      ...out,
      "min.insync.replicas": Math.min(out["min.insync.replicas"], c["min.insync.replicas"]),
      "unclean.leader.election.enable": out["unclean.leader.election.enable"] || c["unclean.leader.election.enable"],
      "log.flush.interval.messages": out["log.flush.interval.messages"] === 1 ? c["log.flush.interval.messages"] : out["log.flush.interval.messages"],
    };
  }
  return out;
}
