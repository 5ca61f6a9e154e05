// Metrics of a comparison: pure functions of RunResults (and the checkers' counts), no simulator objects.
// Per run: what the clients saw (history ops) and what the disks hold; per configuration: the aggregate over
// its runs on the same seeds. The ranking (Pareto front, trade-off sentences) is reports/ranking.ts.
//
// Definitions (also in the README):
// - latency: send invoke → ok, virtual ms, pooled over the runs of a configuration.
// - end-to-end: send invoke → the first poll (any consumer) that returned the value.
// - unavailability: the part of the workload phase covered by the union of [invoke, fail] of every send that
//   ended fail/info, and [invoke + STALL_MS, ok] of every send that waited longer than STALL_MS (pending sends
//   count until the end of the run); mean per run.
// - recovery: for each disruptive fault in the workload phase, the time from the fault to the first ok of a send
//   invoked at or after it (or to the end of the run when none came); mean over faults.
// - throughput: sends acknowledged during the workload phase per second of workload; mean per run.
// - counts (the checkers' ANOMALY_COUNTS, produce errors) are sums over the runs.
import type { RunResult } from "../sim/result.ts";
import type { FaultKind } from "../sim/faults/types.ts";

/** A send waiting longer than this counts as "produce unavailable" from then on. */
export const STALL_MS = 500;

/** The checkers' counts a comparison sums per configuration (each a field of properties' JudgementStats and of
 *  ConfigRow): lost acknowledged writes, duplicates, reorders (nonmonotonic-send), records skipped by consumers
 *  or committed unprocessed (poll-skip + committed-unprocessed), records processed more than once. */
export const ANOMALY_COUNTS = ["lostWrites", "duplicates", "reorders", "skipped", "processedTwice"] as const;
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
  /** Sorted ascending. */
  readonly latenciesMs: readonly number[];
  readonly endToEndMs: readonly number[];
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

interface SendTrack {
  invokeMs: number;
  endMs: number | null;
  outcome: "ok" | "fail" | "info" | null;
}

/** The metrics of one run. */
export function runMetrics(result: RunResult, counts: JudgementCounts): RunMetrics {
  const sends = new Map<number, SendTrack>();
  const firstPollMs = new Map<number, number>();
  const produceErrors: Record<string, number> = {};
  for (const op of result.history) {
    if (op.f === "send") {
      const v = op.value.value;
      const t = op.timeUs / 1000;
      if (op.type === "invoke") {
        if (!sends.has(v)) sends.set(v, { invokeMs: t, endMs: null, outcome: null });
        continue;
      }
      const s = sends.get(v);
      if (!s || s.outcome !== null) continue;
      s.endMs = t;
      s.outcome = op.type;
      if (op.type !== "ok") {
        const code = op.value.error ?? (op.type === "info" ? "UNKNOWN_OUTCOME" : "UNKNOWN_ERROR");
        produceErrors[code] = (produceErrors[code] ?? 0) + 1;
      }
    } else if (op.f === "poll" && op.type === "ok") {
      const t = op.timeUs / 1000;
      for (const r of op.value.records) if (!firstPollMs.has(r.value)) firstPollMs.set(r.value, t);
    }
  }

  const workloadEnd = result.workloadEndMs;
  const latencies: number[] = [];
  const e2e: number[] = [];
  const bad: [number, number][] = [];
  let acked = 0;
  let ackedInWorkload = 0;
  // Sends in invoke order with the time of their ok (Infinity if none), for the recovery search.
  const byInvoke: { invokeMs: number; okMs: number }[] = [];
  for (const [v, s] of sends) {
    if (s.outcome === "ok" && s.endMs !== null) {
      acked++;
      if (s.endMs <= workloadEnd) ackedInWorkload++;
      const lat = s.endMs - s.invokeMs;
      latencies.push(round3(lat));
      if (lat > STALL_MS) bad.push([s.invokeMs + STALL_MS, s.endMs]);
    } else if (s.outcome === "fail" || s.outcome === "info") {
      bad.push([s.invokeMs, s.endMs ?? result.virtualMs]);
    } else {
      bad.push([s.invokeMs + STALL_MS, result.virtualMs]);
    }
    const polled = firstPollMs.get(v);
    if (polled !== undefined && polled >= s.invokeMs) e2e.push(round3(polled - s.invokeMs));
    byInvoke.push({ invokeMs: s.invokeMs, okMs: s.outcome === "ok" && s.endMs !== null ? s.endMs : Infinity });
  }
  latencies.sort((a, b) => a - b);
  e2e.sort((a, b) => a - b);
  byInvoke.sort((a, b) => a.invokeMs - b.invokeMs);
  // suffixOk[i] = earliest ok among sends invoked at index ≥ i.
  const suffixOk = new Array<number>(byInvoke.length + 1).fill(Infinity);
  for (let i = byInvoke.length - 1; i >= 0; i--) suffixOk[i] = Math.min((byInvoke[i] as { okMs: number }).okMs, suffixOk[i + 1] as number);

  const recoveries: number[] = [];
  for (const f of result.faults) {
    const tf = f.timeUs / 1000;
    if (!DISRUPTIVE.has(f.action.kind) || tf > workloadEnd || f.nodes.length === 0) continue;
    let lo = 0;
    let hi = byInvoke.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((byInvoke[mid] as { invokeMs: number }).invokeMs < tf) lo = mid + 1;
      else hi = mid;
    }
    if (lo >= byInvoke.length) continue; // no send after the fault: nothing to measure
    const okMs = suffixOk[lo] as number;
    recoveries.push(round3((Number.isFinite(okMs) ? okMs : result.virtualMs) - tf));
  }

  return {
    seed: result.seed,
    sent: sends.size,
    acked,
    ...pickCounts(counts),
    unavailableMs: round3(unionLength(bad, 0, workloadEnd)),
    produceErrors,
    latenciesMs: latencies,
    endToEndMs: e2e,
    throughputPerSec: workloadEnd > 0 ? round3(ackedInWorkload / (workloadEnd / 1000)) : 0,
    diskBytes: result.diskBytes,
    recoveriesMs: recoveries,
  };
}

function mergeSorted(arrays: readonly (readonly number[])[]): number[] {
  const out: number[] = [];
  for (const a of arrays) for (const x of a) out.push(x);
  return out.sort((a, b) => a - b);
}

const mean = (xs: readonly number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

/** One configuration's row from its runs (pareto and dominatedBy are filled in by rank, reports/ranking.ts). */
export function aggregate(config: ConfigCell, runs: readonly RunMetrics[]): ConfigRow {
  const lat = mergeSorted(runs.map((r) => r.latenciesMs));
  const e2e = mergeSorted(runs.map((r) => r.endToEndMs));
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
    latencyMs: { p50: percentile(lat, 50), p99: percentile(lat, 99), max: lat.length ? (lat[lat.length - 1] as number) : null },
    endToEndMs: { p50: percentile(e2e, 50), p99: percentile(e2e, 99) },
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
