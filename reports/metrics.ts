// Metrics of a comparison: pure functions of RunResults (and the checkers' counts), no simulator objects.
// Per run: what the clients saw (history ops) and what the disks hold; per configuration: the aggregate over
// its runs on the same seeds; then the Pareto front over (loss, unavailability, p99 latency) and a one-line
// trade-off sentence per configuration.
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
// - counts (lost writes, duplicates, reorders, skipped, produce errors) are sums over the runs.
import type { RunResult } from "../sim/result.ts";
import type { FaultKind } from "../sim/faults/types.ts";

/** A send waiting longer than this counts as "produce unavailable" from then on. */
export const STALL_MS = 500;

/** What the reports need of a Judgement (properties/index.ts): the checkers' counts. */
export interface JudgementCounts {
  readonly lostWrites: number;
  readonly duplicates: number;
  readonly reorders: number;
  readonly skipped: number;
}

export type ConfigValue = string | number | boolean | null;
export type ConfigCell = Readonly<Record<string, ConfigValue>>;

export interface RunMetrics {
  readonly seed: RunResult["seed"];
  readonly sent: number;
  readonly acked: number;
  readonly lostWrites: number;
  readonly duplicates: number;
  readonly reorders: number;
  readonly skipped: number;
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

export interface ConfigRow {
  readonly config: ConfigCell;
  readonly lostWrites: number;
  /** Share of runs (0..1) with at least one lost acknowledged write. */
  readonly runsWithLoss: number;
  readonly duplicates: number;
  readonly reorders: number;
  readonly skipped: number;
  readonly unavailableMs: number;
  readonly produceErrors: Readonly<Record<string, number>>;
  readonly latencyMs: { readonly p50: number | null; readonly p99: number | null; readonly max: number | null };
  readonly endToEndMs: { readonly p50: number | null; readonly p99: number | null };
  readonly throughputPerSec: number;
  readonly diskBytes: number;
  readonly recoveryMs: number | null;
  readonly pareto: boolean;
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
    lostWrites: counts.lostWrites,
    duplicates: counts.duplicates,
    reorders: counts.reorders,
    skipped: counts.skipped,
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

/** One configuration's row from its runs (pareto is filled in by markPareto). */
export function aggregate(config: ConfigCell, runs: readonly RunMetrics[]): ConfigRow {
  const lat = mergeSorted(runs.map((r) => r.latenciesMs));
  const e2e = mergeSorted(runs.map((r) => r.endToEndMs));
  const recoveries = runs.flatMap((r) => r.recoveriesMs);
  const produceErrors: Record<string, number> = {};
  for (const r of runs) for (const [k, n] of Object.entries(r.produceErrors)) produceErrors[k] = (produceErrors[k] ?? 0) + n;
  const sortedErrors: Record<string, number> = {};
  for (const k of Object.keys(produceErrors).sort()) sortedErrors[k] = produceErrors[k] as number;
  const sum = (f: (r: RunMetrics) => number): number => runs.reduce((a, r) => a + f(r), 0);
  return {
    config,
    lostWrites: sum((r) => r.lostWrites),
    runsWithLoss: runs.length === 0 ? 0 : round3(runs.filter((r) => r.lostWrites > 0).length / runs.length),
    duplicates: sum((r) => r.duplicates),
    reorders: sum((r) => r.reorders),
    skipped: sum((r) => r.skipped),
    unavailableMs: round3(mean(runs.map((r) => r.unavailableMs))),
    produceErrors: sortedErrors,
    latencyMs: { p50: percentile(lat, 50), p99: percentile(lat, 99), max: lat.length ? (lat[lat.length - 1] as number) : null },
    endToEndMs: { p50: percentile(e2e, 50), p99: percentile(e2e, 99) },
    throughputPerSec: round3(mean(runs.map((r) => r.throughputPerSec))),
    diskBytes: Math.round(mean(runs.map((r) => r.diskBytes))),
    recoveryMs: recoveries.length === 0 ? null : round3(mean(recoveries)),
    pareto: false,
  };
}

/** The three objectives the Pareto front is over, all minimised. */
export function objectives(r: ConfigRow): [number, number, number] {
  return [r.lostWrites, r.unavailableMs, r.latencyMs.p99 ?? Infinity];
}

/** a dominates b: no worse on every objective and better on one. */
export function dominates(a: ConfigRow, b: ConfigRow): boolean {
  const oa = objectives(a);
  const ob = objectives(b);
  let better = false;
  for (let i = 0; i < 3; i++) {
    if ((oa[i] as number) > (ob[i] as number)) return false;
    if ((oa[i] as number) < (ob[i] as number)) better = true;
  }
  return better;
}

/** Marks the rows no other row dominates. */
export function markPareto(rows: readonly ConfigRow[]): ConfigRow[] {
  return rows.map((r) => ({ ...r, pareto: !rows.some((o) => o !== r && dominates(o, r)) }));
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

/** One line: what this configuration buys and what it pays, relative to the others in the comparison. */
export function tradeoff(row: ConfigRow, rows: readonly ConfigRow[]): string {
  const good: string[] = [];
  const bad: string[] = [];
  const runs = row.runsWithLoss;
  if (row.lostWrites > 0) bad.push(`loses acknowledged writes (${row.lostWrites}, in ${Math.round(runs * 100)}% of runs)`);
  else good.push("no acknowledged write lost");
  if (row.duplicates > 0) bad.push(`${row.duplicates} duplicates`);
  if (row.reorders > 0) bad.push(`${row.reorders} reorders`);
  if (row.skipped > 0) bad.push(`${row.skipped} skipped by consumers`);
  const minUnavail = Math.min(...rows.map((r) => r.unavailableMs));
  if (row.unavailableMs <= minUnavail + 1) good.push(row.unavailableMs < 1 ? "writes always available" : "least write unavailability");
  else bad.push(`writes unavailable ${formatMs(row.unavailableMs)} per run (best ${formatMs(minUnavail)})`);
  const p99s = rows.map((r) => r.latencyMs.p99).filter((x): x is number => x !== null);
  const best = p99s.length ? Math.min(...p99s) : null;
  const p99 = row.latencyMs.p99;
  if (p99 === null) bad.push("no send acknowledged");
  else if (best !== null && p99 <= best * 1.1 + 0.5) good.push(`lowest p99 latency (${formatMs(p99)})`);
  else bad.push(`p99 latency ${formatMs(p99)} (best ${formatMs(best)})`);
  let head = "Pareto-optimal: ";
  if (!row.pareto) {
    const by = rows.find((o) => o !== row && dominates(o, row));
    const diff = by ? Object.entries(by.config).filter(([k, v]) => row.config[k] !== v) : [];
    head = by ? `Dominated by ${describeConfig(Object.fromEntries(diff)) || describeConfig(by.config)}: ` : "Dominated: ";
  }
  const body = good.length === 0 ? bad.join(", ") : `${good.join(", ")}${bad.length ? `; but ${bad.join(", ")}` : ""}`;
  return `${head}${body}.`;
}
