// kafkajs's Kafka client (src/index.js): `producer(config)` and `consumer(config)` with kafkajs's option names and
// defaults, each mapped onto a modelled client of the simulation (a producer node, a consumer-group member). The
// mapping, and where kafkajs's defaults differ from the Java client's (README "Your own client code"):
//   idempotent (false)              → enable.idempotence
//   maxInFlightRequests (no limit)  → max.in.flight.requests.per.connection (unset: the Java default, 5)
//   retry.retries (5)               → retries; retry.initialRetryTime (300) → retry.backoff.ms (flat here)
//   requestTimeout (30000)          → request.timeout.ms
//   sessionTimeout (30000), rebalanceTimeout (60000), heartbeatInterval (3000), maxWaitTimeInMs (5000)
//                                   → session.timeout.ms, the JoinGroup rebalance timeout, heartbeat.interval.ms,
//                                     fetch.max.wait.ms
//   partition assigner: kafkajs's RoundRobinAssigner → partition.assignment.strategy roundrobin
//   transactionalId, transactionTimeout (60000) → transactional.id, transaction.timeout.ms (eos.ts runs the
//                                     transactions as kafkajs does)
//   readUncommitted (false)         → isolation.level read_committed (kafkajs's default, unlike Java's)
import type { Acks } from "../../kafka/config.ts";
import type { ConsumerSpec, ProducerSpec } from "../../scenario/types.ts";
import { consumerSpec, producerSpec } from "../../scenario/defaults.ts";
import { effectiveProducerConfig } from "../producer-config.ts";
import type { KafkaJSLink } from "./link.ts";
import { KafkaJSConsumer } from "./consumer.ts";
import type { GroupBinding } from "./consumer.ts";
import { KafkaJSProducer, KafkaJSProducerActor } from "./producer.ts";
import type { KafkaJSProducerConfig } from "./producer.ts";
import type { RetryOptions } from "./retry.ts";
import { KafkaJSNonRetriableError, KafkaJSNotImplemented } from "./errors.ts";

export interface KafkaConfig {
  readonly clientId?: string;
  /** Accepted for kafkajs compatibility; the simulated cluster is the one the clients reach. */
  readonly brokers?: readonly string[];
  readonly requestTimeout?: number;
  readonly retry?: RetryOptions;
}

export interface KafkaJSConsumerConfig {
  readonly groupId: string;
  readonly sessionTimeout?: number;
  readonly rebalanceTimeout?: number;
  readonly heartbeatInterval?: number;
  readonly maxWaitTimeInMs?: number;
  readonly retry?: RetryOptions;
  readonly metadataMaxAge?: number;
  readonly allowAutoTopicCreation?: boolean;
  readonly maxBytesPerPartition?: number;
  readonly minBytes?: number;
  readonly maxBytes?: number;
  readonly readUncommitted?: boolean;
  readonly rackId?: string;
}

/** What a simulation gives its Kafka clients: the shared link, and the place to register their processes. */
export interface ClientRegistry {
  readonly link: KafkaJSLink;
  addProducer(spec: ProducerSpec, api: KafkaJSProducer): void;
  addGroup(spec: ConsumerSpec): void;
  /** The scenario's first topic (a kafkajs producer's nominal topic). */
  readonly firstTopic: string;
}

export class Kafka {
  private producers = 0;
  private readonly clientId: string;

  constructor(
    private readonly reg: ClientRegistry,
    private readonly groups: Map<string, GroupBinding>,
    readonly config: KafkaConfig = {},
  ) {
    this.clientId = config.clientId ?? "kafkajs";
  }

  producer(cfg: KafkaJSProducerConfig = {}): KafkaJSProducer {
    const transactionalId = cfg.transactionalId;
    if (transactionalId !== undefined && (typeof transactionalId !== "string" || transactionalId === "")) throw new KafkaJSNonRetriableError(`kafkasim: transactionalId must be a non-empty string, got ${JSON.stringify(transactionalId)}`);
    const idempotent = cfg.idempotent ?? false;
    const retry = { ...this.config.retry, ...cfg.retry };
    const retries = retry.retries ?? 5;
    if (idempotent && retries < 1) throw new KafkaJSNonRetriableError("Idempotent producer must allow retries to protect against transient errors");
    const acks = cfg.acks ?? -1;
    if (acks !== -1 && acks !== 0 && acks !== 1) throw new KafkaJSNonRetriableError(`kafkasim: acks must be -1, 0 or 1, got ${String(acks)}`);
    const id = cfg.id ?? `${this.clientId}-producer-${++this.producers}`;
    const config: Record<string, unknown> = {
      acks: (acks === -1 ? "all" : acks) satisfies Acks,
      "enable.idempotence": idempotent,
      retries,
      "retry.backoff.ms": retry.initialRetryTime ?? 300,
      "request.timeout.ms": this.config.requestTimeout ?? 30_000,
      "metadata.max.age.ms": cfg.metadataMaxAge ?? 300_000,
    };
    if (cfg.maxInFlightRequests !== undefined && cfg.maxInFlightRequests !== null) config["max.in.flight.requests.per.connection"] = cfg.maxInFlightRequests;
    const transactionTimeout = cfg.transactionTimeout ?? 60_000;
    if (transactionalId !== undefined) {
      // A transaction's sends are idempotent, acks -1 (the oracle judges a producer by one acks value).
      if (acks !== -1) throw new KafkaJSNonRetriableError(`kafkasim: producer with transactionalId ${transactionalId} must send with acks -1 (its transactions' sends are idempotent); got acks ${acks}`);
      config["transactional.id"] = transactionalId;
      config["transaction.timeout.ms"] = transactionTimeout;
    }
    let api: KafkaJSProducer | null = null;
    const spec = producerSpec({ id, topic: this.reg.firstTopic, ratePerSec: 0, keys: 0, onFailure: "log", config, actor: (s, env) => new KafkaJSProducerActor(s, env, api as KafkaJSProducer) });
    // Kafka's own rules for the resulting config (idempotence needs acks=all and at most 5 in flight, fact 16).
    effectiveProducerConfig(spec);
    const txn = transactionalId === undefined ? null : { transactionalId, transactionTimeoutMs: transactionTimeout, retry, requestTimeoutMs: this.config.requestTimeout ?? 30_000 };
    api = new KafkaJSProducer(this.reg.link, spec, acks, idempotent, txn);
    this.reg.addProducer(spec, api);
    return api;
  }

  consumer(cfg: KafkaJSConsumerConfig): KafkaJSConsumer {
    if (!cfg || !cfg.groupId) throw new KafkaJSNonRetriableError("Consumer groupId must be a non-empty string.");
    const sessionTimeout = cfg.sessionTimeout ?? 30_000;
    const heartbeatInterval = cfg.heartbeatInterval ?? 3_000;
    if (heartbeatInterval >= sessionTimeout) {
      throw new KafkaJSNonRetriableError(`Consumer heartbeatInterval (${heartbeatInterval}) must be lower than sessionTimeout (${sessionTimeout}). It is recommended to set heartbeatInterval to approximately a third of the sessionTimeout.`);
    }
    const config = {
      "session.timeout.ms": sessionTimeout,
      "heartbeat.interval.ms": heartbeatInterval,
      // The JoinGroup's rebalance timeout (the modelled consumer sends max.poll.interval.ms there; kafkajs has no
      // poll timeout, and its runner never checks one).
      "max.poll.interval.ms": cfg.rebalanceTimeout ?? 60_000,
      "fetch.max.wait.ms": cfg.maxWaitTimeInMs ?? 5_000,
      "request.timeout.ms": this.config.requestTimeout ?? 30_000,
      "partition.assignment.strategy": "roundrobin" as const,
      // kafkajs's autoCommit is its runner's (runner.ts), not the Java client's auto-commit in poll().
      "enable.auto.commit": false,
      "auto.offset.reset": "latest" as const,
      // readUncommitted (false) → the Fetch and ListOffsets isolation level: READ_COMMITTED unless asked (src/index.js).
      "isolation.level": cfg.readUncommitted === true ? ("read_uncommitted" as const) : ("read_committed" as const),
    };
    let group = this.groups.get(cfg.groupId);
    if (group === undefined) {
      const topics: string[] = [];
      let binding: GroupBinding | null = null;
      const spec = consumerSpec({
        group: cfg.groupId,
        members: 0,
        topics,
        config,
        processing: { commit: "after-processing", commitEvery: "batch", commitMode: "sync", retries: 0, onFailure: "skip", async: false, state: "none", timeMs: 1 },
        engine: (c, m) => KafkaJSConsumer.engine(binding as GroupBinding)(c, m),
      });
      binding = { spec, topics, members: [] };
      group = binding;
      this.groups.set(cfg.groupId, group);
      this.reg.addGroup(spec);
    } else {
      const c = group.spec.config;
      for (const [k, v] of Object.entries(config)) {
        if (k !== "auto.offset.reset" && (c as unknown as Record<string, unknown>)[k] !== v) throw new KafkaJSNonRetriableError(`kafkasim: the members of group ${cfg.groupId} share one configuration (${k}: ${String((c as unknown as Record<string, unknown>)[k])} vs ${String(v)})`);
      }
    }
    const retry: RetryOptions = { ...this.config.retry, ...cfg.retry };
    const member = new KafkaJSConsumer(this.reg.link, group, group.members.length, retry);
    group.members.push(member);
    (group.spec as { members: number }).members = group.members.length;
    return member;
  }

  admin(): never {
    throw new KafkaJSNotImplemented("kafkasim: the admin client is not modelled");
  }
}
