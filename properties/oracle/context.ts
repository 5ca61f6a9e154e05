// What every rule reads: the run, its evidence index, the checkers' run index, and the configuration of a topic,
// a producer or a group as the run had it.
import type { RunResult } from "../../sim/result.ts";
import type { ConsumerSpec, ProducerSpec } from "../../sim/scenario/types.ts";
import type { RunIndex } from "../context.ts";
import type { HistoryOp } from "../../sim/history.ts";
import type { BrokerConfig } from "../../sim/kafka/config.ts";
import { brokerConfigOf, weakestBrokerConfig } from "../../sim/scenario/defaults.ts";
import { runIndex } from "../context.ts";
import { elrVersionOf, modeOf } from "../../sim/kafka/profiles.ts";
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

/** A justification whose sentence is computed on first read (toJSON writes it out). */
class LazyJustification implements Justification {
  private text: string | undefined;
  constructor(
    readonly rule: RuleId,
    readonly events: readonly EvidenceRef[],
    private readonly words: () => string,
  ) {}
  get sentence(): string {
    return (this.text ??= this.words());
  }
  toJSON(): { rule: RuleId; sentence: string; events: readonly EvidenceRef[] } {
    return { rule: this.rule, sentence: this.sentence, events: this.events };
  }
}

export function lazyJustification(rule: RuleId, events: readonly EvidenceRef[], sentence: () => string): Justification {
  return new LazyJustification(rule, events, sentence);
}

const PROTOCOL_RANK: Readonly<Record<string, number>> = { "0.10": 0, "0.11": 1, "2.0": 2, "2.7": 3, "3.7": 4, "3.9": 5, "4.0": 6, "4.1": 7 };

export class OracleContext {
  readonly idx: EvidenceIndex;
  readonly run: RunIndex;
  /** 0 for protocol 0.10, 1 for 0.11, 2 and up for the versions with KIP-279 and later. */
  readonly rank: number;
  /** KRaft with eligible.leader.replicas.version=1 (KIP-966): an uncleanly shut-down replica leaves the ISR and the
   *  ELR when it registers again, so it can lead again only through an unclean or last-known-leader election. */
  readonly elr: boolean;
  private readonly weakest: BrokerConfig;
  private readonly producers = new Map<string, ProducerSpec>();
  private readonly groups = new Map<string, ConsumerSpec>();

  constructor(readonly result: RunResult) {
    this.idx = evidenceIndex(result);
    this.run = runIndex(result);
    this.rank = PROTOCOL_RANK[result.protocol] ?? 4;
    this.elr = modeOf(result.scenario) === "kraft" && elrVersionOf(result.scenario.protocol, result.scenario.broker) === 1;
    this.weakest = result.scenario.brokerOverrides === undefined ? result.scenario.broker : weakestBrokerConfig(result.scenario);
    for (const p of result.scenario.producers) this.producers.set(p.id, p);
    for (const c of result.scenario.consumers) this.groups.set(c.group, c);
  }

  private consumed: { firstPoll: Map<string, Map<number, HistoryOp>>; processed: Map<string, Map<number, HistoryOp[]>> } | undefined;

  /** Per group: the first poll of each value, and its successful processings in time order (one pass over the
   *  history, when a consumer-side anomaly first needs it). */
  consumption(): { readonly firstPoll: Map<string, Map<number, HistoryOp>>; readonly processed: Map<string, Map<number, HistoryOp[]>> } {
    if (this.consumed) return this.consumed;
    const firstPoll = new Map<string, Map<number, HistoryOp>>();
    const processed = new Map<string, Map<number, HistoryOp[]>>();
    for (const op of this.result.history) {
      if (op.f === "poll" && op.type === "ok") {
        let m = firstPoll.get(op.value.group);
        if (!m) firstPoll.set(op.value.group, (m = new Map()));
        for (const r of op.value.records) if (!m.has(r.value)) m.set(r.value, op);
      } else if (op.f === "process" && op.type === "ok" && op.value.result === "ok") {
        let m = processed.get(op.value.group);
        if (!m) processed.set(op.value.group, (m = new Map()));
        const l = m.get(op.value.value);
        if (l) l.push(op);
        else m.set(op.value.value, [op]);
      }
    }
    return (this.consumed = { firstPoll, processed });
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

  /** A justification; its sentence (`what` happened, a thunk) is built once, when first read: most anomalies are
   *  counted, few are shown. */
  justify(rule: RuleId, events: readonly EvidenceRef[], what: () => string): Justification {
    return lazyJustification(rule, events, () => `${RULES[rule].when}: ${what()}`);
  }
}

const CACHE = new WeakMap<RunResult, OracleContext>();

export function oracleContext(result: RunResult): OracleContext {
  let c = CACHE.get(result);
  if (!c) CACHE.set(result, (c = new OracleContext(result)));
  return c;
}
