// What every rule reads: the run, its evidence index, the checkers' run index, and the configuration of a topic,
// a producer or a group as the run had it.
import type { RunResult } from "../../sim/result.ts";
import type { ConsumerSpec, ProducerSpec } from "../../sim/scenario/types.ts";
import type { RunIndex } from "../context.ts";
import type { BrokerConfig } from "../../sim/kafka/config.ts";
import { brokerConfigOf, weakestBrokerConfig } from "../../sim/scenario/defaults.ts";
import { runIndex } from "../context.ts";
import type { EvidenceIndex, EvidenceRef } from "./evidence.ts";
import { evidenceIndex } from "./evidence.ts";
import type { RuleId } from "./rules.ts";
import { RULES } from "./rules.ts";

/** Why an anomaly is allowed: the rule, and the events of this run it rests on. */
export interface Justification {
  readonly rule: RuleId;
  readonly events: readonly EvidenceRef[];
  /** One sentence: the configuration, then what happened. */
  readonly sentence: string;
}

const PROTOCOL_RANK: Readonly<Record<string, number>> = { "0.10": 0, "0.11": 1, "2.0": 2, "2.7": 3, "3.7": 4 };

export class OracleContext {
  readonly idx: EvidenceIndex;
  readonly run: RunIndex;
  /** 0 for protocol 0.10, 1 for 0.11, 2 and up for the versions with KIP-279 and later. */
  readonly rank: number;
  private readonly weakest: BrokerConfig;
  private readonly producers = new Map<string, ProducerSpec>();
  private readonly groups = new Map<string, ConsumerSpec>();

  constructor(readonly result: RunResult) {
    this.idx = evidenceIndex(result);
    this.run = runIndex(result);
    this.rank = PROTOCOL_RANK[result.protocol] ?? 4;
    this.weakest = weakestBrokerConfig(result.scenario);
    for (const p of result.scenario.producers) this.producers.set(p.id, p);
    for (const c of result.scenario.consumers) this.groups.set(c.group, c);
  }

  producer(id: string): ProducerSpec | undefined {
    return this.producers.get(id);
  }

  group(name: string): ConsumerSpec | undefined {
    return this.groups.get(name);
  }

  /** A topic-level setting: the topic's override, else that broker's config (brokerOverrides), else — no broker
   *  named — the weakest of the brokers' (any of them may be the controller that elects). */
  topicSetting<K extends "min.insync.replicas" | "unclean.leader.election.enable" | "log.flush.interval.messages">(topic: string, key: K, broker?: number): BrokerConfig[K] {
    const t = this.result.scenario.topics.find((x) => x.name === topic);
    const v = t?.config[key];
    if (v !== undefined) return v as BrokerConfig[K];
    return (broker === undefined ? this.weakest : brokerConfigOf(this.result.scenario, broker))[key];
  }

  /** No fsync per record on that broker: a power loss may take acknowledged records with it (fact 27). */
  unflushed(topic: string, broker?: number): boolean {
    return this.topicSetting(topic, "log.flush.interval.messages", broker) !== 1;
  }

  /** The producer may write a batch twice: not idempotent (or protocol 0.10, which has no idempotence) and retrying. */
  nonIdempotent(p: ProducerSpec): boolean {
    return (!p.config["enable.idempotence"] || this.rank < 1) && p.config.retries > 0;
  }

  justify(rule: RuleId, events: readonly EvidenceRef[], what: string): Justification {
    return { rule, events, sentence: `${RULES[rule].when}: ${what}` };
  }
}

const CACHE = new WeakMap<RunResult, OracleContext>();

export function oracleContext(result: RunResult): OracleContext {
  let c = CACHE.get(result);
  if (!c) CACHE.set(result, (c = new OracleContext(result)));
  return c;
}
