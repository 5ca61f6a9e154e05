// Indexes over one RunResult that the checkers share, built once per result (memoised): the final log of every
// partition, where each value ended up, and what was sent — then one streaming pass over the history
// (properties/scan.ts) that feeds every checker. Checkers read only the RunResult: history, final state, faults,
// scenario and trace — never simulator objects. Per-record data is kept in typed arrays indexed by the send value
// (properties/value-table.ts), not in Maps of objects.
import type { FinalPartition, FinalReplica, HistoryColumns } from "../sim/history.ts";
import type { RunResult } from "../sim/result.ts";
import { historyColumns } from "../sim/result.ts";
import type { ReplicaLog } from "../sim/final-log.ts";
import { replicaLog } from "../sim/final-log.ts";
import { OFFSETS_TOPIC } from "../sim/broker/group/host.ts";
import { TXN_TOPIC } from "../sim/broker/txn/host.ts";
import { IntTable, denseSize } from "../sim/core/value-table.ts";
import type { HistoryScan } from "./scan.ts";
import { scanHistory } from "./scan.ts";

/** The authoritative log of one partition at the end: the final leader's replica (or, without a leader, the
 *  replica with the highest high watermark, live ones first). */
export interface FinalLog {
  readonly tp: string;
  readonly topic: string;
  readonly partition: number;
  readonly broker: number | null;
  readonly start: number;
  /** Records in the log (from `start`). */
  readonly length: number;
  /** The records, compact (what the checkers read). */
  readonly log: ReplicaLog;
  /** The records as arrays (built when first read). */
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
  readonly outcome: "invoke" | "ok" | "fail" | "info";
  readonly outcomeIndex: number;
  readonly partition: number | undefined;
  readonly ackOffset: number | undefined;
  readonly ackTimeUs: number;
}

/** A read-only map over value-indexed columns (SendInfo and the like built on each read). */
type ValueView<V> = ReadonlyMap<number, V>;

export interface RunIndex {
  readonly logs: Map<string, FinalLog>;
  /** value → "topic-partition" and offset of its first occurrence in the final logs. */
  readonly valueTp: ValueView<string>;
  readonly valueOffset: ValueView<number>;
  readonly duplicates: DuplicateAt[];
  /** value → its send (dead-letter topics excluded), in the order of the first invokes. */
  readonly sends: SendTable;
  /** The final log holding `value` first, or undefined (lost, or never written). */
  logOf(value: number): FinalLog | undefined;
  /** Offset of `value`'s first occurrence in the final logs, or -1. */
  offsetOf(value: number): number;
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

/** The output topics of consume-transform-produce groups (processing.output). */
export function pipelineOutputTopics(s: RunResult["scenario"]): Set<string> {
  const out = new Set<string>();
  for (const c of s.consumers) if (c.processing.output !== undefined) out.add(c.processing.output.topic);
  return out;
}

/** Dead-letter topics of a scenario, and the output topics of consume-transform-produce groups: they hold copies
 *  of values sent elsewhere, so a value there is not a duplicate and a send there is not the value's own send (an
 *  output topic's duplicates are checked by duplicate-output). */
export function deadLetterTopics(s: RunResult["scenario"]): Set<string> {
  const out = new Set<string>();
  for (const p of s.producers) if (p.onFailure === "dead-letter") out.add(p.deadLetterTopic ?? `${p.topic}.dlt`);
  for (const c of s.consumers) if (c.processing.onFailure === "dead-letter") out.add(c.processing.deadLetterTopic ?? `${c.topics[0] ?? "topic"}.dlt`);
  for (const t of pipelineOutputTopics(s)) out.add(t);
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

const NO_RECORDS: readonly number[] = [];

export function finalLogOf(p: FinalPartition): FinalLog {
  const r = pickReplica(p);
  const log = r ? replicaLog(r) : replicaLog({ broker: -1, alive: false, logStartOffset: 0, logEndOffset: 0, highWatermark: 0, values: [], epochs: [] });
  return {
    tp: tpName(p.topic, p.partition),
    topic: p.topic,
    partition: p.partition,
    broker: r ? r.broker : null,
    start: r ? r.logStartOffset : 0,
    length: log.length,
    log,
    get values() {
      return r ? r.values : NO_RECORDS;
    },
    get epochs() {
      return r ? r.epochs : NO_RECORDS;
    },
    highWatermark: r ? r.highWatermark : 0,
    logEndOffset: r ? r.logEndOffset : 0,
    source: p,
  };
}

/** The value at `offset` of a final log, or undefined outside it. */
export function valueAt(log: FinalLog, offset: number): number | undefined {
  return log.log.valueAtOffset(offset);
}

/** Sends by value: the rows of each value's first invoke and final outcome in the history, as columns. A
 *  ReadonlyMap for users (each read builds a SendInfo); the checkers use the columnar reads. */
export class SendTable implements ReadonlyMap<number, SendInfo> {
  private readonly invokes: IntTable;
  private readonly outcomes: IntTable;
  /** Partition the last outcome named (ABSENT: none yet, the invoke's applies). */
  private readonly partitions: IntTable;
  private n = 0;

  constructor(
    private readonly h: HistoryColumns,
    size: number,
  ) {
    this.invokes = new IntTable(size);
    this.outcomes = new IntTable(size);
    this.partitions = new IntTable(size, ABSENT);
  }

  /** Feed row `i`, a send of a user topic other than a dead-letter topic (the scan calls this in history order). */
  feed(i: number, v: number, invoke: boolean): void {
    if (invoke) {
      if (this.invokes.get(v) < 0) {
        this.invokes.set(v, i);
        this.n++;
      }
      return;
    }
    if (this.invokes.get(v) < 0) return;
    const o = this.outcomes.get(v);
    // An ok is final; a later info/fail for the same value never downgrades it.
    if (o >= 0 && this.h.type(o) === "ok") return;
    this.outcomes.set(v, i);
    const p = this.h.partition(i);
    if (p !== undefined) this.partitions.set(v, p);
  }

  /** Row of the value's first invoke, or -1. */
  invokeRow(v: number): number {
    return this.invokes.get(v);
  }

  /** Row of the value's final outcome, or -1. */
  outcomeRow(v: number): number {
    return this.outcomes.get(v);
  }

  /** Acknowledged (its outcome is an ok). */
  acked(v: number): boolean {
    const o = this.outcomes.get(v);
    return o >= 0 && this.h.type(o) === "ok";
  }

  partitionOf(v: number): number | undefined {
    const p = this.partitions.get(v);
    if (p !== ABSENT) return p;
    const i = this.invokes.get(v);
    return i < 0 ? undefined : this.h.partition(i);
  }

  ackTimeUs(v: number): number {
    return this.acked(v) ? this.h.timeUs(this.outcomes.get(v)) : -1;
  }

  /** Each send (value, invoke row) in the order of the first invokes. */
  forEachSend(fn: (value: number, invokeRow: number) => void): void {
    const h = this.h;
    for (let i = 0; i < h.length; i++) {
      if (h.f(i) !== "send" || h.type(i) !== "invoke") continue;
      const v = h.value(i);
      if (this.invokes.get(v) === i) fn(v, i);
    }
  }

  get(v: number): SendInfo | undefined {
    const i = this.invokes.get(v);
    if (i < 0) return undefined;
    const h = this.h;
    const o = this.outcomes.get(v);
    const ok = o >= 0 && h.type(o) === "ok";
    return { invoke: i, process: h.process(i), topic: h.topic(i), outcome: o < 0 ? "invoke" : h.type(o), outcomeIndex: o, partition: this.partitionOf(v), ackOffset: ok ? h.offset(o) : undefined, ackTimeUs: ok ? h.timeUs(o) : -1 };
  }

  has(v: number): boolean {
    return this.invokes.get(v) >= 0;
  }

  get size(): number {
    return this.n;
  }

  *entries(): MapIterator<[number, SendInfo]> {
    const out: number[] = [];
    this.forEachSend((v) => out.push(v));
    for (const v of out) yield [v, this.get(v) as SendInfo];
  }

  *keys(): MapIterator<number> {
    for (const [v] of this.entries()) yield v;
  }

  *values(): MapIterator<SendInfo> {
    for (const [, s] of this.entries()) yield s;
  }

  [Symbol.iterator](): MapIterator<[number, SendInfo]> {
    return this.entries();
  }

  forEach(fn: (value: SendInfo, key: number, map: ReadonlyMap<number, SendInfo>) => void): void {
    for (const [k, s] of this.entries()) fn(s, k, this);
  }
}

const ABSENT = -0x80000000;

/** value → a field of its first occurrence in the final logs, as a ReadonlyMap (in value order). */
class LogPositionView<V> implements ValueView<V> {
  constructor(
    private readonly idx: { logOf(v: number): FinalLog | undefined; offsetOf(v: number): number },
    private readonly all: () => number[],
    private readonly read: (log: FinalLog, offset: number) => V,
  ) {}
  get(v: number): V | undefined {
    const log = this.idx.logOf(v);
    return log === undefined ? undefined : this.read(log, this.idx.offsetOf(v));
  }
  has(v: number): boolean {
    return this.idx.logOf(v) !== undefined;
  }
  get size(): number {
    return this.all().length;
  }
  *entries(): MapIterator<[number, V]> {
    for (const v of this.all()) yield [v, this.get(v) as V];
  }
  *keys(): MapIterator<number> {
    for (const v of this.all()) yield v;
  }
  *values(): MapIterator<V> {
    for (const [, x] of this.entries()) yield x;
  }
  [Symbol.iterator](): MapIterator<[number, V]> {
    return this.entries();
  }
  forEach(fn: (value: V, key: number, map: ReadonlyMap<number, V>) => void): void {
    for (const [k, x] of this.entries()) fn(x, k, this);
  }
}

interface Built {
  readonly idx: RunIndex;
  readonly scan: HistoryScan;
}

const CACHE = new WeakMap<RunResult, Built>();

function build(result: RunResult): Built {
  const hit = CACHE.get(result);
  if (hit) return hit;
  const h = historyColumns(result);
  const size = denseSize(h.maxValue, h.length);
  const logs = new Map<string, FinalLog>();
  const logList: FinalLog[] = [];
  // value → 1 + index into logList of its first occurrence (0: none), and that offset.
  const valueLog = new IntTable(size, 0);
  const valueOffset = new IntTable(size, -1);
  const duplicates: DuplicateAt[] = [];
  const dlt = deadLetterTopics(result.scenario);
  for (const p of result.final.partitions) {
    if (!isUserTopic(p.topic)) continue;
    const log = finalLogOf(p);
    logs.set(log.tp, log);
    if (dlt.has(p.topic)) continue;
    logList.push(log);
    const k = logList.length;
    const l = log.log;
    for (let i = 0; i < l.length; i++) {
      const v = l.valueAt(i);
      if (v < 0) continue; // a transaction marker (sim/kafka/records.ts: markerValue), not a record anyone sent
      const prev = valueLog.get(v);
      if (prev === 0) {
        valueLog.set(v, k);
        valueOffset.set(v, log.start + i);
      } else {
        duplicates.push({ value: v, tp: log.tp, offset: log.start + i, firstTp: (logList[prev - 1] as FinalLog).tp, firstOffset: valueOffset.get(v) });
      }
    }
  }
  const logOf = (v: number): FinalLog | undefined => {
    const k = valueLog.get(v);
    return k === 0 ? undefined : logList[k - 1];
  };
  const offsetOf = (v: number): number => valueOffset.get(v);
  let allValues: number[] | undefined;
  const all = (): number[] => {
    if (allValues) return allValues;
    const seen = new Set<number>();
    for (const log of logList) {
      for (let i = 0; i < log.length; i++) {
        const v = log.log.valueAt(i);
        if (v >= 0) seen.add(v); // v < 0: a transaction marker
      }
    }
    return (allValues = [...seen].sort((a, b) => a - b));
  };
  const pos = { logOf, offsetOf };
  const sends = new SendTable(h, size);
  const idx: RunIndex = {
    logs,
    valueTp: new LogPositionView(pos, all, (log) => log.tp),
    valueOffset: new LogPositionView(pos, all, (_, o) => o),
    duplicates,
    sends,
    logOf,
    offsetOf,
  };
  const built: Built = { idx, scan: scanHistory(result, h, idx, size, dlt) };
  CACHE.set(result, built);
  return built;
}

export function runIndex(result: RunResult): RunIndex {
  return build(result).idx;
}

/** What the one pass over the history gathered for every checker (properties/scan.ts). */
export function historyScan(result: RunResult): HistoryScan {
  return build(result).scan;
}
