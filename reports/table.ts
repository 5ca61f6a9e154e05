// A comparison as text: the terminal table (cli-table3, chalk colours that carry no meaning on their own: a
// ★ marks the Pareto front and numbers are printed either way), Markdown and CSV.
import Table from "cli-table3";
import { Chalk } from "chalk";
import type { ChalkInstance } from "chalk";
import type { CompareOutcome } from "./compare.ts";
import { reproduceCommand } from "./compare.ts";
import { describeConfig, formatMs } from "./metrics.ts";
import type { ConfigRow, ConfigValue } from "./metrics.ts";

const SHORT: Readonly<Record<string, string>> = {
  "min.insync.replicas": "min.isr",
  "unclean.leader.election.enable": "unclean",
  "enable.idempotence": "idempotence",
  "replication.factor": "RF",
  "replica.lag.time.max.ms": "lag.max.ms",
  "max.in.flight.requests.per.connection": "in-flight",
  "enable.auto.commit": "auto.commit",
};

export function shortKey(key: string): string {
  return SHORT[key] ?? key;
}

export function formatValue(v: ConfigValue | undefined): string {
  if (v === true) return "on";
  if (v === false) return "off";
  if (v === undefined || v === null) return "–";
  return String(v);
}

export function formatBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

export function formatErrors(e: Readonly<Record<string, number>>): string {
  const parts = Object.entries(e).map(([k, n]) => `${k} ${n}`);
  return parts.length ? parts.join(", ") : "–";
}

const pct = (x: number): string => `${Math.round(x * 100)}%`;

function configKeys(o: CompareOutcome): string[] {
  return o.matrix.axes.map((a) => a.key);
}

export interface TableOptions {
  /** Colour level (default: chalk's detection; 0 = no colour). */
  readonly colorLevel?: 0 | 1 | 2 | 3;
  /** Terminal width: optional columns are left out until the table fits (0 or absent: show all). */
  readonly width?: number;
}

/** The terminal table plus a legend, the trade-off per configuration and the refused cells. */
export function renderTable(o: CompareOutcome, opts: TableOptions = {}): string {
  const c: ChalkInstance = opts.colorLevel === undefined ? new Chalk() : new Chalk({ level: opts.colorLevel });
  const keys = configKeys(o);
  const cols: { head: string; cell: (r: ConfigRow, i: number) => string; optional?: number }[] = [
    { head: "#", cell: (r, i) => (r.pareto ? c.bold.yellow(`★${i + 1}`) : ` ${i + 1}`) },
    ...keys.map((k) => ({ head: shortKey(k), cell: (r: ConfigRow) => formatValue(r.config[k]) })),
    { head: "lost (runs)", cell: (r) => (r.lostWrites > 0 ? c.red(`${r.lostWrites} (${pct(r.runsWithLoss)})`) : c.green("0")) },
    { head: "dup", cell: (r) => count(r.duplicates) },
    { head: "reord", cell: (r) => count(r.reorders) },
    { head: "skip", cell: (r) => count(r.skipped), optional: 7 },
    { head: "unavail/run", cell: (r) => (r.unavailableMs >= 1 ? c.magenta(formatMs(r.unavailableMs)) : "0") },
    { head: "p50", cell: (r) => formatMs(r.latencyMs.p50), optional: 8 },
    { head: "p99", cell: (r) => formatMs(r.latencyMs.p99) },
    { head: "max", cell: (r) => formatMs(r.latencyMs.max), optional: 2 },
    { head: "e2e p99", cell: (r) => formatMs(r.endToEndMs.p99), optional: 5 },
    { head: "rec/s", cell: (r) => r.throughputPerSec.toFixed(0), optional: 6 },
    { head: "disk", cell: (r) => formatBytes(r.diskBytes), optional: 4 },
    { head: "recovery", cell: (r) => formatMs(r.recoveryMs), optional: 3 },
    { head: "errors", cell: (r) => formatErrors(r.produceErrors), optional: 1 },
  ];
  function count(n: number): string {
    return n > 0 ? c.yellow(String(n)) : "0";
  }
  // Narrow terminal: drop optional columns (lowest number first) until the table fits.
  const width = opts.width ?? 0;
  let shown = cols;
  let table = "";
  for (let drop = 0; ; drop++) {
    shown = cols.filter((col) => col.optional === undefined || col.optional > drop);
    const t = new Table({ head: shown.map((col) => c.bold(col.head)), style: { head: [], border: [], compact: true } });
    o.report.rows.forEach((r, i) => t.push(shown.map((col) => col.cell(r, i))));
    table = t.toString();
    const firstLine = table.split("\n")[0] ?? "";
    const visible = firstLine.replace(new RegExp(String.fromCharCode(27) + "\\[[0-9;]*m", "g"), "").length;
    if (width <= 0 || visible <= width || drop >= 8) break;
  }
  const lines: string[] = [];
  lines.push(c.bold(`kafkasim compare — ${o.matrix.name}: ${o.report.rows.length} configurations × ${o.report.seeds} seeds (root seed ${o.report.seed}), same fault schedules for all`));
  lines.push(table);
  if (shown.length < cols.length) lines.push(c.dim(`(terminal too narrow: ${cols.length - shown.length} columns left out; --markdown or --csv show all)`));
  lines.push(
    c.dim(
      "★ = Pareto front (no other config has less loss, less unavailability and lower p99 at once). lost = acknowledged writes missing from the final log (share of runs with any); unavail/run = write unavailability per run; p50/p99/max = produce latency (virtual ms); e2e = send → first poll; rec/s = acks per second; recovery = fault → next ack.",
    ),
  );
  lines.push("");
  o.report.rows.forEach((r, i) => lines.push(`${r.pareto ? c.yellow(`★${i + 1}`) : ` ${i + 1}`} ${o.tradeoffs[i] ?? ""}`));
  if (o.invalid.length > 0) {
    lines.push("");
    lines.push(c.dim(`Not run (${o.invalid.length}): ${summariseInvalid(o)}`));
  }
  lines.push("");
  lines.push(c.dim(`Reproduce: ${reproduceCommand(o)}`));
  return lines.join("\n");
}

/** Refused cells, grouped by reason. */
export function summariseInvalid(o: CompareOutcome): string {
  const byReason = new Map<string, string[]>();
  for (const x of o.invalid) {
    const list = byReason.get(x.reason) ?? [];
    list.push(describeConfig(x.config));
    byReason.set(x.reason, list);
  }
  return [...byReason].map(([reason, cfgs]) => `${reason} — ${cfgs.length} cell${cfgs.length === 1 ? "" : "s"}`).join("; ");
}

function mdEscape(s: string): string {
  return s.replace(/\|/g, "\\|");
}

export function renderMarkdown(o: CompareOutcome): string {
  const keys = configKeys(o);
  const head = ["", ...keys.map(shortKey), "lost (runs)", "dup", "reorder", "skipped", "unavail/run", "p50", "p99", "max", "e2e p50", "e2e p99", "records/s", "disk", "recovery", "produce errors", "trade-off"];
  const out: string[] = [];
  out.push(`### kafkasim compare — ${o.matrix.name}`);
  out.push("");
  out.push(`${o.report.rows.length} configurations × ${o.report.seeds} seeds (root seed ${o.report.seed}); every configuration meets the same fault schedules. ★ = Pareto front over loss, unavailability and p99 latency.`);
  out.push("");
  out.push(`| ${head.join(" | ")} |`);
  out.push(`|${head.map((_, i) => (i === 0 || i > keys.length ? "---:" : ":---")).join("|")}|`);
  o.report.rows.forEach((r: ConfigRow, i) => {
    const cellsOut = [
      r.pareto ? `★${i + 1}` : String(i + 1),
      ...keys.map((k) => formatValue(r.config[k])),
      r.lostWrites > 0 ? `**${r.lostWrites}** (${pct(r.runsWithLoss)})` : "0",
      String(r.duplicates),
      String(r.reorders),
      String(r.skipped),
      formatMs(r.unavailableMs),
      formatMs(r.latencyMs.p50),
      formatMs(r.latencyMs.p99),
      formatMs(r.latencyMs.max),
      formatMs(r.endToEndMs.p50),
      formatMs(r.endToEndMs.p99),
      r.throughputPerSec.toFixed(0),
      formatBytes(r.diskBytes),
      formatMs(r.recoveryMs),
      formatErrors(r.produceErrors),
      o.tradeoffs[i] ?? "",
    ];
    out.push(`| ${cellsOut.map(mdEscape).join(" | ")} |`);
  });
  if (o.invalid.length > 0) {
    out.push("");
    out.push(`Not run: ${mdEscape(summariseInvalid(o))}.`);
  }
  out.push("");
  out.push(`Reproduce: \`${reproduceCommand(o)}\``);
  return out.join("\n") + "\n";
}

function csvField(v: string | number | boolean | null): string {
  const s = v === null ? "" : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderCsv(o: CompareOutcome): string {
  const keys = configKeys(o);
  const head = [
    ...keys,
    "lostWrites",
    "runsWithLoss",
    "duplicates",
    "reorders",
    "skipped",
    "unavailableMs",
    "produceErrors",
    "latencyP50Ms",
    "latencyP99Ms",
    "latencyMaxMs",
    "endToEndP50Ms",
    "endToEndP99Ms",
    "throughputPerSec",
    "diskBytes",
    "recoveryMs",
    "pareto",
    "tradeoff",
  ];
  const lines = [head.map(csvField).join(",")];
  o.report.rows.forEach((r, i) => {
    lines.push(
      [
        ...keys.map((k) => r.config[k] ?? null),
        r.lostWrites,
        r.runsWithLoss,
        r.duplicates,
        r.reorders,
        r.skipped,
        r.unavailableMs,
        Object.entries(r.produceErrors)
          .map(([k, n]) => `${k}:${n}`)
          .join(";"),
        r.latencyMs.p50,
        r.latencyMs.p99,
        r.latencyMs.max,
        r.endToEndMs.p50,
        r.endToEndMs.p99,
        r.throughputPerSec,
        r.diskBytes,
        r.recoveryMs,
        r.pareto,
        o.tradeoffs[i] ?? "",
      ]
        .map(csvField)
        .join(","),
    );
  });
  return lines.join("\n") + "\n";
}

/** The JSON contract: exactly { seed, seeds, rows: [...] }. */
export function renderJson(o: CompareOutcome): string {
  const { seed, seeds, rows } = o.report;
  return JSON.stringify({ seed, seeds, rows }, null, 2) + "\n";
}
