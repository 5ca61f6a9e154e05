// What every rule reads: the run, its evidence index, the checkers' run index, and the configuration of a topic,
// a producer or a group as the run had it.
import type { RunResult } from "../../sim/result.ts";
import type { ConsumerSpec, ProducerSpec } from "../../sim/scenario/types.ts";
import type { RunIndex } from "../context.ts";
import type { HistoryColumns } from "../../sim/history.ts";
import { historyColumns } from "../../sim/result.ts";
import { IntTable, denseSize } from "../../sim/core/value-table.ts";
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
  /** The history, as columns. */
  readonly h: HistoryColumns;
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
    this.h = historyColumns(result);
    this.rank = PROTOCOL_RANK[result.protocol] ?? 4;
    this.elr = modeOf(result.scenario) === "kraft" && elrVersionOf(result.scenario.protocol, result.scenario.broker) === 1;
    this.weakest = result.scenario.brokerOverrides === undefined ? result.scenario.broker : weakestBrokerConfig(result.scenario);
    for (const p of result.scenario.producers) this.producers.set(p.id, p);
    for (const c of result.scenario.consumers) this.groups.set(c.group, c);
  }

  private consumed: Consumption | undefined;

  /** Per group: the first poll of each value, and its successful processings in time order (one pass over the
   *  history's columns, when a consumer-side anomaly first needs it). */
  consumption(): Consumption {
    return (this.consumed ??= new Consumption(this.h));
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

/** Per group: value → history index of its first poll, and of its successful processings. */
export class Consumption {
  private readonly polls = new Map<string, IntTable>();
  private readonly firstProcessing = new Map<string, IntTable>();
  /** Values processed more than once: every processing, in time order. */
  private readonly more = new Map<string, Map<number, number[]>>();

  constructor(readonly h: HistoryColumns) {
    const size = denseSize(h.maxValue, h.length);
    const table = (m: Map<string, IntTable>, group: string): IntTable => {
      let t = m.get(group);
      if (!t) m.set(group, (t = new IntTable(size)));
      return t;
    };
    for (let i = 0; i < h.length; i++) {
      const f = h.f(i);
      if (f === "poll" && h.type(i) === "ok") {
        const n = h.records(i);
        if (n === 0) continue;
        const t = table(this.polls, h.group(i));
        for (let j = 0; j < n; j++) {
          const v = h.recValue(i, j);
          if (t.get(v) < 0) t.set(v, i);
        }
      } else if (f === "process" && h.type(i) === "ok" && h.result(i) === "ok") {
        const group = h.group(i);
        const t = table(this.firstProcessing, group);
        const v = h.value(i);
        const first = t.get(v);
        if (first < 0) {
          t.set(v, i);
          continue;
        }
        let m = this.more.get(group);
        if (!m) this.more.set(group, (m = new Map()));
        const l = m.get(v);
        if (l) l.push(i);
        else m.set(v, [first, i]);
      }
    }
  }

  /** History index of the group's first poll of `value`, or -1. */
  firstPoll(group: string, value: number): number {
    return this.polls.get(group)?.get(value) ?? -1;
  }

  /** History indices of the group's successful processings of `value`, in time order. */
  processings(group: string, value: number): readonly number[] {
    const more = this.more.get(group)?.get(value);
    if (more) return more;
    const first = this.firstProcessing.get(group)?.get(value) ?? -1;
    return first < 0 ? [] : [first];
  }
}
