// Ranking the configurations of a comparison honestly: the Pareto front over every outcome a user pays for —
// the checkers' anomaly counts (lost, duplicated, reordered, skipped or committed unprocessed, processed twice),
// write unavailability, produce p99 and end-to-end p99 latency, throughput and disk — and one sentence per
// configuration saying what it buys and what it pays; a dominated one names a configuration that beats it and the
// outcomes on which it does. A configuration that trades one anomaly for another is never dominated.
//
// Counts are exact: 3 duplicates are worse than 0, whatever else. Measurements (times, throughput, disk) come from a
// few seeded runs and move a little with any change of configuration, so two of them differ only when the gap is
// larger than the axis's margin: max(absolute, relative × the larger value). A configuration dominates another
// when it is worse on no axis and better on at least one, both in that sense.
import type { ConfigCell, ConfigRow, Dominator } from "./metrics.ts";
import { describeConfig, formatBytes, formatMs } from "./metrics.ts";

/** A measurement's noise margin: values closer than max(absolute, relative × the larger) count as equal. */
export interface Margin {
  readonly relative: number;
  readonly absolute: number;
}

/** One outcome the ranking compares. Adding one is one line in AXES. */
export interface Axis {
  /** The row field it reads, as in the JSON (also the id in a row's dominatedBy.better). */
  readonly id: string;
  /** Words for sentences ("better on <label>"). */
  readonly label: string;
  /** Short column header (terminal). */
  readonly head: string;
  /** Column header (Markdown, HTML). */
  readonly title: string;
  /** "anomaly": a checkers' count, compared exactly and shown as a column in every format; "measure": the rest. */
  readonly kind: "anomaly" | "measure";
  readonly better: "lower" | "higher";
  /** null: exact (any difference counts). */
  readonly margin: Margin | null;
  /** The value from a row; null when there is none (no send acknowledged, nothing polled): worse than any value. */
  readonly read: (r: ConfigRow) => number | null;
  /** A value in words (sentences). */
  readonly format: (v: number | null) => string;
}

const count = (v: number | null): string => (v === null ? "–" : String(v));
const TIME: Margin = { relative: 0.1, absolute: 1 };
// End-to-end p99 is the tail of the consumers' catch-up after a fault, which moves with where their fetches land:
// up to a fifth between configurations whose producers and brokers behave alike.
const E2E: Margin = { relative: 0.25, absolute: 10 };

export const AXES: readonly Axis[] = [
  { id: "lostWrites", label: "lost writes", head: "lost", title: "lost (runs)", kind: "anomaly", better: "lower", margin: null, read: (r) => r.lostWrites, format: count },
  { id: "duplicates", label: "duplicates", head: "dup", title: "dup", kind: "anomaly", better: "lower", margin: null, read: (r) => r.duplicates, format: count },
  { id: "reorders", label: "reorders", head: "reord", title: "reorder", kind: "anomaly", better: "lower", margin: null, read: (r) => r.reorders, format: count },
  { id: "skipped", label: "skipped or committed unprocessed", head: "skip", title: "skipped", kind: "anomaly", better: "lower", margin: null, read: (r) => r.skipped, format: count },
  { id: "processedTwice", label: "processed twice", head: "twice", title: "processed twice", kind: "anomaly", better: "lower", margin: null, read: (r) => r.processedTwice, format: count },
  { id: "duplicateOutputs", label: "duplicate outputs", head: "dupout", title: "dup output", kind: "anomaly", better: "lower", margin: null, read: (r) => r.duplicateOutputs, format: count },
  { id: "unavailableMs", label: "write unavailability", head: "unavail", title: "unavail/run", kind: "measure", better: "lower", margin: { relative: 0.1, absolute: 100 }, read: (r) => r.unavailableMs, format: formatMs },
  { id: "latencyMs.p99", label: "p99 latency", head: "p99", title: "p99", kind: "measure", better: "lower", margin: TIME, read: (r) => r.latencyMs.p99, format: formatMs },
  { id: "endToEndMs.p99", label: "end-to-end p99", head: "e2e p99", title: "e2e p99", kind: "measure", better: "lower", margin: E2E, read: (r) => r.endToEndMs.p99, format: formatMs },
  { id: "throughputPerSec", label: "throughput", head: "rec/s", title: "records/s", kind: "measure", better: "higher", margin: { relative: 0.05, absolute: 0.5 }, read: (r) => r.throughputPerSec, format: (v) => (v === null ? "–" : `${v.toFixed(0)}/s`) },
  // A fifth: a replica more or less (RF 2..5) changes disk by a fifth to a half; smaller gaps come from records
  // lost, refused or duplicated, which their own columns count.
  { id: "diskBytes", label: "disk", head: "disk", title: "disk", kind: "measure", better: "lower", margin: { relative: 0.2, absolute: 4096 }, read: (r) => r.diskBytes, format: (v) => (v === null ? "–" : formatBytes(v)) },
];

export const ANOMALY_AXES: readonly Axis[] = AXES.filter((a) => a.kind === "anomaly");

export function axisById(id: string): Axis {
  const a = AXES.find((x) => x.id === id);
  if (!a) throw new Error(`no ranking axis ${id}`);
  return a;
}

/** How a compares with b on one axis: "better", "worse", or "same" (equal, or within the margin). */
export function compareOn(axis: Axis, a: ConfigRow, b: ConfigRow): "better" | "same" | "worse" {
  const x = axis.read(a);
  const y = axis.read(b);
  if (x === null || y === null) return x === y ? "same" : x === null ? "worse" : "better";
  const gain = axis.better === "lower" ? y - x : x - y;
  const margin = axis.margin === null ? 0 : Math.max(axis.margin.absolute, axis.margin.relative * Math.max(Math.abs(x), Math.abs(y)));
  return gain > margin ? "better" : -gain > margin ? "worse" : "same";
}

/** The axes on which a is better than b when a dominates b (worse on none, better on one at least), else null. */
export function dominance(a: ConfigRow, b: ConfigRow): Axis[] | null {
  const better: Axis[] = [];
  for (const axis of AXES) {
    const c = compareOn(axis, a, b);
    if (c === "worse") return null;
    if (c === "better") better.push(axis);
  }
  return better.length > 0 ? better : null;
}

export function dominates(a: ConfigRow, b: ConfigRow): boolean {
  return dominance(a, b) !== null;
}

/** The config keys on which two cells differ. */
function configDiff(by: ConfigCell, of: ConfigCell): ConfigCell {
  return Object.fromEntries(Object.entries(by).filter(([k, v]) => of[k] !== v));
}

/**
 * Marks the Pareto front and, for every other row, the configuration that dominates it. Margins make "dominates"
 * intransitive, so in principle rows could dominate one another in a circle; a row is taken off the front only by
 * a row it does not itself dominate, directly or through others, so the front is never empty. The dominator named
 * is one on the front if there is one, then the one differing from the row in the fewest keys, then the first.
 */
export function rank(rows: readonly ConfigRow[]): ConfigRow[] {
  const n = rows.length;
  const edge: (Axis[] | null)[][] = rows.map((a, i) => rows.map((b, j) => (i === j ? null : dominance(a, b))));
  // reach[i][j]: i dominates j directly or through a chain.
  const reach = rows.map((_, i) => {
    const seen = new Uint8Array(n);
    const stack = [i];
    while (stack.length > 0) {
      const x = stack.pop() as number;
      for (let y = 0; y < n; y++) {
        if (seen[y] === 0 && edge[x]?.[y]) {
          seen[y] = 1;
          stack.push(y);
        }
      }
    }
    return seen;
  });
  const dominators = rows.map((_, j) => rows.map((_, i) => i).filter((i) => edge[i]?.[j] && reach[j]?.[i] === 0));
  const front = dominators.map((d) => d.length === 0);
  return rows.map((r, j) => {
    const ds = dominators[j] ?? [];
    if (ds.length === 0) return { ...r, pareto: true, dominatedBy: null };
    const keyOf = (i: number): [number, number, number] => [front[i] ? 0 : 1, Object.keys(configDiff((rows[i] as ConfigRow).config, r.config)).length, i];
    const best = ds.reduce((x, y) => {
      const [kx, ky] = [keyOf(x), keyOf(y)];
      for (let k = 0; k < 3; k++) if (kx[k] !== ky[k]) return (kx[k] as number) < (ky[k] as number) ? x : y;
      return x;
    });
    const by: Dominator = { config: (rows[best] as ConfigRow).config, better: (edge[best]?.[j] ?? []).map((a) => a.id) };
    return { ...r, pareto: false, dominatedBy: by };
  });
}

/** One line: what this configuration buys and what it pays, relative to the others in the comparison. A
 *  dominated one starts with the configuration that dominates it and the outcomes on which it is better. */
export function tradeoff(row: ConfigRow, rows: readonly ConfigRow[]): string {
  const good: string[] = [];
  const bad: string[] = [];
  if (row.lostWrites > 0) bad.push(`loses acknowledged writes (${row.lostWrites}, in ${Math.round(row.runsWithLoss * 100)}% of runs)`);
  else good.push("no acknowledged write lost");
  for (const a of ANOMALY_AXES) {
    const v = a.read(row);
    if (a.id !== "lostWrites" && v !== null && v > 0) bad.push(`${v} ${a.label}`);
  }
  // Best on an axis: no row is better beyond the margin.
  const bestOn = (axis: Axis): { best: boolean; value: number | null } => {
    const others = rows.filter((o) => compareOn(axis, o, row) === "better").map((o) => axis.read(o));
    const value = others.reduce<number | null>((b, v) => (v === null ? b : b === null ? v : axis.better === "lower" ? Math.min(b, v) : Math.max(b, v)), null);
    return { best: others.length === 0, value };
  };
  const unavail = bestOn(axisById("unavailableMs"));
  if (unavail.best) good.push(row.unavailableMs < 1 ? "writes always available" : "least write unavailability");
  else bad.push(`writes unavailable ${formatMs(row.unavailableMs)} per run (best ${formatMs(unavail.value)})`);
  const p99 = bestOn(axisById("latencyMs.p99"));
  if (row.latencyMs.p99 === null) bad.push("no send acknowledged");
  else if (p99.best) good.push(`lowest p99 latency (${formatMs(row.latencyMs.p99)})`);
  else bad.push(`p99 latency ${formatMs(row.latencyMs.p99)} (best ${formatMs(p99.value)})`);
  let head = "Pareto-optimal: ";
  const by = row.dominatedBy;
  if (by !== null) {
    const other = rows.find((o) => describeConfig(o.config) === describeConfig(by.config));
    const better = by.better.map((id) => {
      const axis = axisById(id);
      return other ? `${axis.label} (${axis.format(axis.read(other))} vs ${axis.format(axis.read(row))})` : axis.label;
    });
    head = `Dominated by ${describeConfig(configDiff(by.config, row.config)) || describeConfig(by.config)}, better on ${joinWords(better)}: `;
  }
  const body = good.length === 0 ? bad.join(", ") : `${good.join(", ")}${bad.length ? `; but ${bad.join(", ")}` : ""}`;
  return `${head}${body}.`;
}

function joinWords(xs: readonly string[]): string {
  return xs.length <= 1 ? (xs[0] ?? "") : `${xs.slice(0, -1).join(", ")} and ${xs[xs.length - 1] as string}`;
}
