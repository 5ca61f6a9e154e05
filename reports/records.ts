// What happened to one record, read from a run: its send (invoke and outcome, from the history), the leader's
// appends that wrote it and when the high watermark passed it (from the recorded trace). Indexes are built once
// per RunResult and cached, so a report with hundreds of marked records stays linear.
import type { RunResult } from "../sim/result.ts";

export interface SendRecord {
  readonly value: number;
  readonly process: string;
  readonly topic: string;
  readonly invokeMs: number;
  /** The outcome; null while unknown at the end of the run. */
  end: { readonly type: "ok" | "fail" | "info"; readonly tMs: number; readonly partition: number | null; readonly offset: number | null; readonly broker: number | null; readonly error: string | null } | null;
}

export interface Append {
  readonly tMs: number;
  readonly broker: number;
  readonly base: number;
  readonly count: number;
  readonly epoch: number;
}

interface HwStep {
  readonly tMs: number;
  readonly hw: number;
}

interface RecordIndex {
  readonly sends: Map<number, SendRecord>;
  /** produce-append events per tp, in time order. */
  readonly appends: Map<string, Append[]>;
  /** hw-advance events per "tp/broker", in time order. */
  readonly hw: Map<string, HwStep[]>;
}

export interface Poll {
  readonly tMs: number;
  readonly process: string;
  readonly group: string;
  readonly tp: string;
  readonly offset: number;
}

export interface Commit {
  readonly tMs: number;
  readonly process: string;
  readonly ok: boolean;
  /** Committed offset (the next to read) per tp. */
  readonly offsets: ReadonlyMap<string, number>;
}

interface ConsumerIndex {
  /** Value → the polls that returned it, in time order. */
  readonly polls: Map<number, Poll[]>;
  /** Value → when it was processed (any result), by whom. */
  readonly processed: Map<number, { readonly tMs: number; readonly process: string; readonly result: string }[]>;
  /** Member → its commits, in time order. */
  readonly commits: Map<string, Commit[]>;
}

const CACHE = new WeakMap<RunResult, RecordIndex>();
const CONSUMERS = new WeakMap<RunResult, ConsumerIndex>();

function consumerIndex(r: RunResult): ConsumerIndex {
  const hit = CONSUMERS.get(r);
  if (hit) return hit;
  const polls = new Map<number, Poll[]>();
  const processed = new Map<number, { tMs: number; process: string; result: string }[]>();
  const commits = new Map<string, Commit[]>();
  for (const op of r.history) {
    const tMs = op.timeUs / 1000;
    if (op.f === "poll" && op.type === "ok") {
      for (const rec of op.value.records) {
        const p = { tMs, process: op.process, group: op.value.group, tp: `${rec.topic}-${rec.partition}`, offset: rec.offset };
        const l = polls.get(rec.value);
        if (l) l.push(p);
        else polls.set(rec.value, [p]);
      }
    } else if (op.f === "process") {
      const l = processed.get(op.value.value);
      const p = { tMs, process: op.process, result: op.value.result };
      if (l) l.push(p);
      else processed.set(op.value.value, [p]);
    } else if (op.f === "commit" && op.type !== "invoke") {
      const c = { tMs, process: op.process, ok: op.type === "ok", offsets: new Map(op.value.offsets.map((o) => [`${o.topic}-${o.partition}`, o.offset])) };
      const l = commits.get(op.process);
      if (l) l.push(c);
      else commits.set(op.process, [c]);
    }
  }
  const idx = { polls, processed, commits };
  CONSUMERS.set(r, idx);
  return idx;
}

/** The polls that returned a value (every member, in time order). */
export function pollsOf(r: RunResult, value: number): readonly Poll[] {
  return consumerIndex(r).polls.get(value) ?? [];
}

/** When a value was processed (every attempt's end, in time order). */
export function processingsOf(r: RunResult, value: number): readonly { readonly tMs: number; readonly process: string; readonly result: string }[] {
  return consumerIndex(r).processed.get(value) ?? [];
}

/** The first successful commit by `member` at or after tMs that covers `offset` of tp (committed offset above it). */
export function commitCovering(r: RunResult, member: string, tp: string, offset: number, tMs: number): Commit | null {
  for (const c of consumerIndex(r).commits.get(member) ?? []) if (c.ok && c.tMs >= tMs && (c.offsets.get(tp) ?? -1) > offset) return c;
  return null;
}

function index(r: RunResult): RecordIndex {
  const hit = CACHE.get(r);
  if (hit) return hit;
  const sends = new Map<number, SendRecord>();
  for (const op of r.history) {
    if (op.f !== "send") continue;
    const t = op.timeUs / 1000;
    if (op.type === "invoke") {
      if (!sends.has(op.value.value)) sends.set(op.value.value, { value: op.value.value, process: op.process, topic: op.value.topic, invokeMs: t, end: null });
      continue;
    }
    const s = sends.get(op.value.value);
    if (!s || s.end) continue;
    const off = op.value.offset;
    s.end = { type: op.type, tMs: t, partition: op.value.partition ?? null, offset: off !== undefined && off >= 0 ? off : null, broker: op.value.broker ?? null, error: op.value.error ?? null };
  }
  const appends = new Map<string, Append[]>();
  const hw = new Map<string, HwStep[]>();
  for (const ev of r.trace) {
    if (ev.type === "produce-append") {
      let l = appends.get(ev.tp);
      if (!l) appends.set(ev.tp, (l = []));
      l.push({ tMs: ev.timeUs / 1000, broker: ev.broker, base: ev.baseOffset, count: ev.count, epoch: ev.leaderEpoch });
    } else if (ev.type === "hw-advance") {
      const k = `${ev.tp}/${ev.broker}`;
      let l = hw.get(k);
      if (!l) hw.set(k, (l = []));
      l.push({ tMs: ev.timeUs / 1000, hw: ev.highWatermark });
    }
  }
  const idx = { sends, appends, hw };
  CACHE.set(r, idx);
  return idx;
}

export function sendOf(r: RunResult, value: number): SendRecord | undefined {
  return index(r).sends.get(value);
}

export function allSends(r: RunResult): Iterable<SendRecord> {
  return index(r).sends.values();
}

/** First index in a time-ordered list at or after tMs. */
function lowerBound<T extends { readonly tMs: number }>(list: readonly T[], tMs: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.tMs < tMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The leader appends of tp that wrote `offset`, between fromMs and toMs. */
export function appendsOf(r: RunResult, tp: string, offset: number, fromMs: number, toMs = Number.POSITIVE_INFINITY): Append[] {
  const list = index(r).appends.get(tp) ?? [];
  const out: Append[] = [];
  for (let i = lowerBound(list, fromMs); i < list.length && list[i]!.tMs <= toMs; i++) {
    const a = list[i]!;
    if (a.base <= offset && offset < a.base + a.count) out.push(a);
  }
  return out;
}

/** When broker's high watermark of tp first passed `offset` at or after fromMs, before untilMs (its leadership
 *  or process ending): the ISR then held the record. */
export function hwPassed(r: RunResult, tp: string, broker: number, offset: number, fromMs: number, untilMs: number): number | null {
  const list = index(r).hw.get(`${tp}/${broker}`) ?? [];
  for (let i = lowerBound(list, fromMs); i < list.length && list[i]!.tMs < untilMs; i++) if (list[i]!.hw > offset) return list[i]!.tMs;
  return null;
}

/** The last HW of broker on tp at or before tMs (null before any). */
export function hwAt(r: RunResult, tp: string, broker: number, tMs: number): number | null {
  const list = index(r).hw.get(`${tp}/${broker}`) ?? [];
  const i = lowerBound(list, tMs + 1e-9);
  return i === 0 ? null : list[i - 1]!.hw;
}

/** Consecutive integers as ranges: [401, 402, 403, 407] → "401–403, 407" (at most `max` parts). */
export function ranges(values: readonly number[], max = 6): string {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j > i ? `${sorted[i]}–${sorted[j]}` : String(sorted[i]));
    i = j + 1;
  }
  return parts.length > max ? `${parts.slice(0, max).join(", ")}, … (${parts.length - max} more ranges)` : parts.join(", ");
}

/** Values in a few characters: "v401–599" when consecutive, "v601…660" when not, "v12" alone. */
export function valueSpan(values: readonly number[]): string {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  if (lo === hi) return `v${lo}`;
  return new Set(values).size === hi - lo + 1 ? `v${lo}–${hi}` : `v${lo}…${hi}`;
}

/** Seconds with 3 decimals, the explanations' unit ("2.006 s"). */
export function fmtS(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}
