// Indexes over one RunResult that several checkers share, built once per result (memoised) in linear passes:
// the final log of every partition, where each value ended up, and what was sent. Checkers read only the
// RunResult: history, final state, faults, scenario and trace — never simulator objects.
import type { FinalPartition, FinalReplica, HistoryOp } from "../sim/history.ts";
import type { RunResult } from "../sim/result.ts";
import { OFFSETS_TOPIC } from "../sim/broker/group/host.ts";
import { TXN_TOPIC } from "../sim/broker/txn/host.ts";

/** The authoritative log of one partition at the end: the final leader's replica (or, without a leader, the
 *  replica with the highest high watermark, live ones first). */
export interface FinalLog {
  readonly tp: string;
  readonly topic: string;
  readonly partition: number;
  readonly broker: number | null;
  readonly start: number;
  readonly values: readonly number[];
  readonly epochs: readonly number[];
  readonly highWatermark: number;
  readonly logEndOffset: number;
  readonly source: FinalPartition;
}

export interface DuplicateAt {
  readonly value: number;
  readonly tp: string;
  readonly offset: number;
  readonly firstTp: string;
  readonly firstOffset: number;
}

export interface SendInfo {
  /** Index of the invoke op. */
  readonly invoke: number;
  readonly process: string;
  readonly topic: string;
  /** Final outcome op type ("invoke" while none came). */
  outcome: "invoke" | "ok" | "fail" | "info";
  outcomeIndex: number;
  partition: number | undefined;
  ackOffset: number | undefined;
  ackTimeUs: number;
}

export interface RunIndex {
  readonly logs: Map<string, FinalLog>;
  /** value → index into `logs` order (tpOf) and offset of its first occurrence in the final logs. */
  readonly valueTp: Map<number, string>;
  readonly valueOffset: Map<number, number>;
  readonly duplicates: DuplicateAt[];
  readonly sends: Map<number, SendInfo>;
}

export function tpName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export function topicOfTp(tp: string): string {
  const i = tp.lastIndexOf("-");
  return i < 0 ? tp : tp.slice(0, i);
}

export function isUserTopic(topic: string): boolean {
  return topic !== OFFSETS_TOPIC && topic !== TXN_TOPIC;
}

/** Dead-letter topics of a scenario: they hold copies of values sent elsewhere, so a value there is not a
 *  duplicate and a send there is not the value's own send. */
export function deadLetterTopics(s: RunResult["scenario"]): Set<string> {
  const out = new Set<string>();
  for (const p of s.producers) if (p.onFailure === "dead-letter") out.add(p.deadLetterTopic ?? `${p.topic}.dlt`);
  for (const c of s.consumers) if (c.processing.onFailure === "dead-letter") out.add(c.processing.deadLetterTopic ?? `${c.topics[0] ?? "topic"}.dlt`);
  return out;
}

function pickReplica(p: FinalPartition): FinalReplica | undefined {
  if (p.leader !== null) {
    const l = p.replicas.find((r) => r.broker === p.leader);
    if (l) return l;
  }
  let best: FinalReplica | undefined;
  for (const r of p.replicas) {
    if (!best || (r.alive && !best.alive) || (r.alive === best.alive && r.highWatermark > best.highWatermark)) best = r;
  }
  return best;
}

export function finalLogOf(p: FinalPartition): FinalLog {
  const r = pickReplica(p);
  return {
    tp: tpName(p.topic, p.partition),
    topic: p.topic,
    partition: p.partition,
    broker: r ? r.broker : null,
    start: r ? r.logStartOffset : 0,
    values: r ? r.values : [],
    epochs: r ? r.epochs : [],
    highWatermark: r ? r.highWatermark : 0,
    logEndOffset: r ? r.logEndOffset : 0,
    source: p,
  };
}

/** The value at `offset` of a final log, or undefined outside it. */
export function valueAt(log: FinalLog, offset: number): number | undefined {
  const i = offset - log.start;
  return i >= 0 && i < log.values.length ? log.values[i] : undefined;
}

const CACHE = new WeakMap<RunResult, RunIndex>();

export function runIndex(result: RunResult): RunIndex {
  const hit = CACHE.get(result);
  if (hit) return hit;
  const logs = new Map<string, FinalLog>();
  const valueTp = new Map<number, string>();
  const valueOffset = new Map<number, number>();
  const duplicates: DuplicateAt[] = [];
  const dlt = deadLetterTopics(result.scenario);
  for (const p of result.final.partitions) {
    if (!isUserTopic(p.topic)) continue;
    const log = finalLogOf(p);
    if (dlt.has(p.topic)) {
      logs.set(log.tp, log);
      continue;
    }
    logs.set(log.tp, log);
    const vs = log.values;
    for (let i = 0; i < vs.length; i++) {
      const v = vs[i] as number;
      if (v < 0) continue; // a transaction marker (sim/kafka/records.ts: markerValue), not a record anyone sent
      const prevTp = valueTp.get(v);
      if (prevTp === undefined) {
        valueTp.set(v, log.tp);
        valueOffset.set(v, log.start + i);
      } else {
        duplicates.push({ value: v, tp: log.tp, offset: log.start + i, firstTp: prevTp, firstOffset: valueOffset.get(v) ?? -1 });
      }
    }
  }
  const sends = new Map<number, SendInfo>();
  const h = result.history;
  for (let i = 0; i < h.length; i++) {
    const op = h[i] as HistoryOp;
    if (op.f !== "send" || dlt.has(op.value.topic)) continue;
    const v = op.value.value;
    if (op.type === "invoke") {
      if (!sends.has(v)) {
        sends.set(v, { invoke: op.index, process: op.process, topic: op.value.topic, outcome: "invoke", outcomeIndex: -1, partition: op.value.partition, ackOffset: undefined, ackTimeUs: -1 });
      }
      continue;
    }
    const s = sends.get(v);
    if (!s) continue;
    // An ok is final; a later info/fail for the same value never downgrades it.
    if (s.outcome === "ok") continue;
    s.outcome = op.type;
    s.outcomeIndex = op.index;
    if (op.value.partition !== undefined) s.partition = op.value.partition;
    if (op.type === "ok") {
      s.ackOffset = op.value.offset;
      s.ackTimeUs = op.timeUs;
    }
  }
  const idx: RunIndex = { logs, valueTp, valueOffset, duplicates, sends };
  CACHE.set(result, idx);
  return idx;
}
