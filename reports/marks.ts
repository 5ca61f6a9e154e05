// The records the anomalies are about, as marks on the run charts: where (the client's lane) and when (the
// acknowledgement of a lost, duplicated or reordered write; the read or processing of a consumer-side anomaly),
// each linked to its anomaly group.
import type { RunResult } from "../sim/result.ts";
import type { AnomalyGroup, ReportAnomaly } from "./anomaly-groups.ts";
import { pollsOf, sendOf } from "./records.ts";
import type { SymbolKind } from "./symbols.ts";

export type MarkKind = Extract<SymbolKind, "lost-ack" | "duplicate" | "reorder" | "other-anomaly">;

export interface Mark {
  readonly value: number;
  /** "write": marked at the producer's acknowledgement; "read": at the consumer's poll. */
  readonly side: "write" | "read";
  readonly kind: MarkKind;
  readonly type: string;
  /** The anomaly group's key (its anchor in the report). */
  readonly group: string;
  /** Index of the anomaly in the judgement. */
  readonly anomaly: number;
  readonly lane: string;
  readonly tMs: number;
  readonly tp: string | null;
  readonly offset: number | null;
}

export function markKind(type: string): MarkKind {
  switch (type) {
    case "lost-write":
      return "lost-ack";
    case "duplicate":
      return "duplicate";
    case "nonmonotonic-send":
      return "reorder";
    default:
      return "other-anomaly";
  }
}

/** The producer-side anomaly types: their mark is the send's acknowledgement. */
export const WRITE_TYPES: ReadonlySet<string> = new Set(["lost-write", "duplicate", "nonmonotonic-send", "inconsistent-offsets"]);

/** One mark per (record, anomaly type), in time order. */
export function anomalyMarks(r: RunResult, anomalies: readonly ReportAnomaly[], groups: readonly AnomalyGroup[]): Mark[] {
  const groupOf = new Map<number, string>();
  for (const g of groups) for (const i of g.members) groupOf.set(i, g.key);
  const seen = new Set<string>();
  const out: Mark[] = [];
  anomalies.forEach((a, i) => {
    if (a.value === null) return;
    const k = `${a.type}/${a.value}`;
    if (seen.has(k)) return;
    seen.add(k);
    const send = sendOf(r, a.value);
    const write = WRITE_TYPES.has(a.type);
    // A consumer-side record is marked where its reader got it: the first poll of it by the anomaly's member or
    // group (the checkers do not always name the member).
    const poll = write ? undefined : pollsOf(r, a.value).find((p) => (a.process === undefined || p.process === a.process) && (a.group === undefined || p.group === a.group));
    const lane = write ? (send?.process ?? a.process) : (poll?.process ?? a.process ?? send?.process);
    const tMs = write && send?.end?.type === "ok" ? send.end.tMs : poll ? poll.tMs : a.sinceUs !== undefined ? a.sinceUs / 1000 : send?.invokeMs;
    if (lane === undefined || tMs === undefined) return;
    out.push({ value: a.value, side: write ? "write" : "read", kind: markKind(a.type), type: a.type, group: groupOf.get(i) ?? "", anomaly: i, lane, tMs, tp: a.partition, offset: a.offset });
  });
  return out.sort((x, y) => x.tMs - y.tMs);
}

/** Runs of marks of one kind on one lane closer than gapMs: one label each. */
export function clusterMarks(marks: readonly Mark[], gapMs: number): Mark[][] {
  const byKey = new Map<string, Mark[][]>();
  for (const m of marks) {
    const k = `${m.lane}/${m.kind}`;
    let runs = byKey.get(k);
    if (!runs) byKey.set(k, (runs = []));
    const last = runs[runs.length - 1];
    const prev = last?.[last.length - 1];
    if (last && prev && m.tMs - prev.tMs <= gapMs) last.push(m);
    else runs.push([m]);
  }
  return [...byKey.values()].flat().sort((a, b) => a[0]!.tMs - b[0]!.tMs);
}

export const MARK_WORDS: Readonly<Record<MarkKind, string>> = { "lost-ack": "lost", duplicate: "duplicated", reorder: "reordered", "other-anomaly": "anomalous" };
