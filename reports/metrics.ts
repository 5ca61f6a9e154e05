// Metrics of a comparison: pure functions of RunResults (and the checkers' counts), no simulator objects.
// Per run: what the clients saw (history ops) and what the disks hold; per configuration: the aggregate over
// its runs on the same seeds. The ranking (Pareto front, trade-off sentences) is reports/ranking.ts.
//
// Definitions (also in the README):
// - latency: send invoke → ok, virtual ms, pooled over the runs of a configuration (HdrHistograms,
//   reports/histogram.ts: exact below 2.048 ms, within 0.1% above; the maximum exact).
// - end-to-end: send invoke → the first poll (any consumer) that returned the value.
// - unavailability: the part of the workload phase covered by the union of [invoke, fail] of every send that
//   ended fail/info, and [invoke + STALL_MS, ok] of every send that waited longer than STALL_MS (pending sends
//   count until the end of the run); mean per run.
// - recovery: for each disruptive fault in the workload phase, the time from the fault to the first ok of a send
//   invoked at or after it (or to the end of the run when none came); mean over faults.
// - throughput: sends acknowledged during the workload phase per second of workload; mean per run.
// - counts (the checkers' ANOMALY_COUNTS, produce errors) are sums over the runs.
import type { RunResult } from "../sim/result.ts";
import { historyColumns } from "../sim/result.ts";
import type { FaultKind } from "../sim/faults/types.ts";
import { IntTable, denseSize } from "../sim/core/value-table.ts";
import type { EncodedHistogram } from "./histogram.ts";
import { encodeHistogram, maxMs, mergeHistograms, newHistogram, percentileMs } from "./histogram.ts";

/** A send waiting longer than this counts as "produce unavailable" from then on. */
export const STALL_MS = 500;

/** The checkers' counts a comparison sums per configuration (each a field of properties' JudgementStats and of
 *  ConfigRow): lost acknowledged writes, duplicates, reorders (nonmonotonic-send), records skipped by consumers
 *  or committed unprocessed (poll-skip + committed-unprocessed), records processed more than once, a pipeline's
 *  outputs committed twice (duplicate-output). */
export const ANOMALY_COUNTS = ["lostWrites", "duplicates", "reorders", "skipped", "processedTwice", "duplicateOutputs"] as const;
export type AnomalyCount = (typeof ANOMALY_COUNTS)[number];

/** What the reports need of a Judgement (properties/index.ts): the checkers' counts. */
export type JudgementCounts = Readonly<Record<AnomalyCount, number>>;

function pickCounts(c: JudgementCounts): Record<AnomalyCount, number> {
  const out = {} as Record<AnomalyCount, number>;
  for (const k of ANOMALY_COUNTS) out[k] = c[k];
  return out;
}

export type ConfigValue = string | number | boolean | null;
export type ConfigCell = Readonly<Record<string, ConfigValue>>;

export interface RunMetrics extends JudgementCounts {
  readonly seed: RunResult["seed"];
  readonly sent: number;
  readonly acked: number;
  readonly unavailableMs: number;
  readonly produceErrors: Readonly<Record<string, number>>;
  /** Send latencies (µs), as an encoded HdrHistogram: pooled across runs by aggregate(). */
  readonly latencies: EncodedHistogram;
  readonly endToEnd: EncodedHistogram;
  /** This run's own percentiles (ms; within the histogram's precision). */
  readonly latencyMs: { readonly p50: number | null; readonly p99: number | null; readonly max: number | null };
  readonly endToEndMs: { readonly p50: number | null; readonly p99: number | null };
  readonly throughputPerSec: number;
  readonly diskBytes: number;
  /** One per disruptive fault fired in the workload phase. */
  readonly recoveriesMs: readonly number[];
}

export interface ConfigRow extends JudgementCounts {
  readonly config: ConfigCell;
  /** Share of runs (0..1) with at least one lost acknowledged write. */
  readonly runsWithLoss: number;
  readonly unavailableMs: number;
  readonly produceErrors: Readonly<Record<string, number>>;
  readonly latencyMs: { readonly p50: number | null; readonly p99: number | null; readonly max: number | null };
  readonly endToEndMs: { readonly p50: number | null; readonly p99: number | null };
  readonly throughputPerSec: number;
  readonly diskBytes: number;
  readonly recoveryMs: number | null;
  /** On the Pareto front (reports/ranking.ts). */
  readonly pareto: boolean;
  /** Why not on the front: a configuration at least as good on every outcome, and the outcomes (ranking axis
   *  ids) on which it is better; null on the front. */
  readonly dominatedBy: Dominator | null;
  /** The runs' verdicts (set by the comparison; a bug or liveness verdict fails the row's JUnit case). */
  readonly verdicts?: Readonly<Record<"valid" | "allowed" | "liveness" | "bug", number>>;
}

export interface Dominator {
  readonly config: ConfigCell;
  readonly better: readonly string[];
}

/** Faults that disrupt (recovery is measured after these); heal / restart / resume are the cures. */
const DISRUPTIVE: ReadonlySet<FaultKind> = new Set<FaultKind>(["kill", "power", "stop", "pause", "expire-session", "partition", "partition-oneway", "isolate", "slow", "flaky"]);

/** Nearest-rank percentile of an ascending array; null when empty. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

/** Total length of the union of [start, end] intervals clipped to [lo, hi]. */
export function unionLength(intervals: readonly (readonly [number, number])[], lo: number, hi: number): number {
  const clipped: [number, number][] = [];
  for (const [a, b] of intervals) {
    const s = Math.max(a, lo);
    const e = Math.min(b, hi);
    if (e > s) clipped.push([s, e]);
  }
  clipped.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let total = 0;
  let curS = -Infinity;
  let curE = -Infinity;
  for (const [s, e] of clipped) {
    if (s > curE) {
      if (curE > curS) total += curE - curS;
      curS = s;
      curE = e;
    } else if (e > curE) curE = e;
  }
  if (curE > curS) total += curE - curS;
  return total;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Index of the last of the ascending `xs` that is ≤ x; -1 when none is. */
function lastAtOrBefore(xs: Float64Array, x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((xs[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

const OUTCOME_OK = 1;

/** The metrics of one run (read from the history's columns: no object per send). */
export function runMetrics(result: RunResult, counts: JudgementCounts): RunMetrics {
  const h = historyColumns(result);
  const size = denseSize(h.maxValue, h.length);
  // value → the row of its first invoke, of its first outcome, of the first poll that returned it
  const invokeRow = new IntTable(size);
  const endRow = new IntTable(size);
  const pollRow = new IntTable(size);
  const produceErrors: Record<string, number> = {};
  let sends = 0;
  for (let i = 0; i < h.length; i++) {
    const f = h.f(i);
    if (f === "send") {
      const v = h.value(i);
      const type = h.type(i);
      if (type === "invoke") {
        if (invokeRow.get(v) < 0) {
          invokeRow.set(v, i);
          sends++;
        }
        continue;
      }
      if (invokeRow.get(v) < 0 || endRow.get(v) >= 0) continue;
      endRow.set(v, i);
      if (type !== "ok") {
        const code = h.error(i) ?? (type === "info" ? "UNKNOWN_OUTCOME" : "UNKNOWN_ERROR");
        produceErrors[code] = (produceErrors[code] ?? 0) + 1;
      }
    } else if (f === "poll" && h.type(i) === "ok") {
      for (let j = 0; j < h.records(i); j++) {
        const v = h.recValue(i, j);
        if (pollRow.get(v) < 0) pollRow.set(v, i);
      }
    }
  }

  const workloadEnd = result.workloadEndMs;
  // The recovery after each disruptive fault of the workload: the earliest ok among the sends invoked at or after
  // it. One pass over the sends, each counted in the bucket of the latest fault time at or before its invoke
  // (`faultMs` ascending): the sends at or after fault j are those of buckets j and later.
  const recoverable = result.faults.filter((f) => DISRUPTIVE.has(f.action.kind) && f.timeUs / 1000 <= workloadEnd && f.nodes.length > 0);
  const faultMs = Float64Array.from(new Set(recoverable.map((f) => f.timeUs / 1000))).sort();
  const bucketOkMs = new Float64Array(faultMs.length).fill(Infinity);
  const bucketSends = new Int32Array(faultMs.length);
  const latencies = newHistogram();
  const e2e = newHistogram();
  const bad: [number, number][] = [];
  let acked = 0;
  let ackedInWorkload = 0;
  for (let i = 0; i < h.length; i++) {
    if (h.f(i) !== "send" || h.type(i) !== "invoke") continue;
    const v = h.value(i);
    if (invokeRow.get(v) !== i) continue;
    const invokeUs = h.timeUs(i);
    const inv = invokeUs / 1000;
    const end = endRow.get(v);
    const outcome = end < 0 ? 0 : h.type(end) === "ok" ? OUTCOME_OK : 2;
    const endMs = end < 0 ? null : h.timeUs(end) / 1000;
    if (outcome === OUTCOME_OK && endMs !== null) {
      acked++;
      if (endMs <= workloadEnd) ackedInWorkload++;
      latencies.recordValue(Math.round(h.timeUs(end) - invokeUs));
      if (endMs - inv > STALL_MS) bad.push([inv + STALL_MS, endMs]);
    } else if (end >= 0) {
      bad.push([inv, endMs ?? result.virtualMs]);
    } else {
      bad.push([inv + STALL_MS, result.virtualMs]);
    }
    const polled = pollRow.get(v);
    if (polled >= 0 && h.timeUs(polled) >= invokeUs) e2e.recordValue(Math.round(h.timeUs(polled) - invokeUs));
    const j = lastAtOrBefore(faultMs, inv);
    if (j >= 0) {
      bucketSends[j] = (bucketSends[j] as number) + 1;
      if (outcome === OUTCOME_OK && endMs !== null && endMs < (bucketOkMs[j] as number)) bucketOkMs[j] = endMs;
    }
  }
  for (let j = faultMs.length - 2; j >= 0; j--) {
    bucketSends[j] = (bucketSends[j] as number) + (bucketSends[j + 1] as number);
    bucketOkMs[j] = Math.min(bucketOkMs[j] as number, bucketOkMs[j + 1] as number);
  }
  const recoveries: number[] = [];
  for (const f of recoverable) {
    const tf = f.timeUs / 1000;
    const j = lastAtOrBefore(faultMs, tf);
    if (bucketSends[j] === 0) continue; // no send after the fault: nothing to measure
    const ok = bucketOkMs[j] as number;
    recoveries.push(round3((Number.isFinite(ok) ? ok : result.virtualMs) - tf));
  }

  const out: RunMetrics = {
    seed: result.seed,
    sent: sends,
    acked,
    ...pickCounts(counts),
    unavailableMs: round3(unionLength(bad, 0, workloadEnd)),
    produceErrors,
    latencies: encodeHistogram(latencies),
    endToEnd: encodeHistogram(e2e),
    latencyMs: { p50: percentileMs(latencies, 50), p99: percentileMs(latencies, 99), max: maxMs(latencies) },
    endToEndMs: { p50: percentileMs(e2e, 50), p99: percentileMs(e2e, 99) },
    throughputPerSec: workloadEnd > 0 ? round3(ackedInWorkload / (workloadEnd / 1000)) : 0,
    diskBytes: result.diskBytes,
    recoveriesMs: recoveries,
  };
  latencies.destroy();
  e2e.destroy();
  return out;
}

const mean = (xs: readonly number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

/** One configuration's row from its runs (pareto and dominatedBy are filled in by rank, reports/ranking.ts). */
export function aggregate(config: ConfigCell, runs: readonly RunMetrics[]): ConfigRow {
  const lat = mergeHistograms(runs.map((r) => r.latencies));
  const e2e = mergeHistograms(runs.map((r) => r.endToEnd));
  const recoveries = runs.flatMap((r) => r.recoveriesMs);
  const produceErrors: Record<string, number> = {};
  for (const r of runs) for (const [k, n] of Object.entries(r.produceErrors)) produceErrors[k] = (produceErrors[k] ?? 0) + n;
  const sortedErrors: Record<string, number> = {};
  for (const k of Object.keys(produceErrors).sort()) sortedErrors[k] = produceErrors[k] as number;
  const counts = {} as Record<AnomalyCount, number>;
  for (const k of ANOMALY_COUNTS) counts[k] = runs.reduce((a, r) => a + r[k], 0);
  const { lostWrites, ...otherCounts } = counts;
  return {
    config,
    lostWrites,
    runsWithLoss: runs.length === 0 ? 0 : round3(runs.filter((r) => r.lostWrites > 0).length / runs.length),
    ...otherCounts,
    unavailableMs: round3(mean(runs.map((r) => r.unavailableMs))),
    produceErrors: sortedErrors,
    latencyMs: { p50: percentileMs(lat, 50), p99: percentileMs(lat, 99), max: runs.reduce<number | null>((m, r) => (r.latencyMs.max === null ? m : Math.max(m ?? r.latencyMs.max, r.latencyMs.max)), null) },
    endToEndMs: { p50: percentileMs(e2e, 50), p99: percentileMs(e2e, 99) },
    throughputPerSec: round3(mean(runs.map((r) => r.throughputPerSec))),
    diskBytes: Math.round(mean(runs.map((r) => r.diskBytes))),
    recoveryMs: recoveries.length === 0 ? null : round3(mean(recoveries)),
    pareto: false,
    dominatedBy: null,
  };
}

/** "acks=all, min.insync.replicas=2" */
export function describeConfig(c: ConfigCell): string {
  return Object.entries(c)
    .map(([k, v]) => `${k}=${v === true ? "on" : v === false ? "off" : String(v)}`)
    .join(", ");
}

export function formatMs(ms: number | null): string {
  if (ms === null) return "–";
  if (ms === 0) return "0 ms";
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(1)} ms`;
}

export function formatBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}
