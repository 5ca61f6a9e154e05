// A comparison as text: the terminal table (cli-table3, chalk colours that carry no meaning on their own: a
// ★ marks the Pareto front and numbers are printed either way), Markdown and CSV.
import Table from "cli-table3";
import { Chalk } from "chalk";
import type { ChalkInstance } from "chalk";
import type { CompareOutcome } from "./compare.ts";
import { reproduceCommand } from "./compare.ts";
import { describeConfig, formatBytes, formatMs } from "./metrics.ts";
import type { ConfigRow, ConfigValue } from "./metrics.ts";
import { ANOMALY_AXES, axisById } from "./ranking.ts";
import type { Axis } from "./ranking.ts";
import { wrap } from "./wrap.ts";

const SHORT: Readonly<Record<string, string>> = {
  "min.insync.replicas": "min.isr",
  "unclean.leader.election.enable": "unclean",
  "enable.idempotence": "idempotence",
  "replication.factor": "RF",
  "replica.lag.time.max.ms": "lag.max.ms",
  "max.in.flight.requests.per.connection": "in-flight",
  "enable.auto.commit": "auto.commit",
};

/** Tighter still for the terminal. */
const TERMINAL: Readonly<Record<string, string>> = { "enable.idempotence": "idemp" };

export function shortKey(key: string): string {
  return SHORT[key] ?? key;
}

export function terminalKey(key: string): string {
  return TERMINAL[key] ?? shortKey(key);
}

/** An anomaly count's cell: lost writes also show the share of runs with any. */
function anomalyCell(a: Axis, r: ConfigRow): string {
  const n = a.read(r) ?? 0;
  return a.id === "lostWrites" && n > 0 ? `${n} (${pct(r.runsWithLoss)})` : String(n);
}

export function formatValue(v: ConfigValue | undefined): string {
  if (v === true) return "on";
  if (v === false) return "off";
  if (v === undefined || v === null) return "–";
  return String(v);
}

export { formatBytes };

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
  // Anomaly columns where every row is zero say nothing: left out, and named under the table.
  const allZero = ANOMALY_AXES.filter((a) => o.report.rows.every((r) => (a.read(r) ?? 0) === 0));
  const anomalyCols = ANOMALY_AXES.filter((a) => !allZero.includes(a)).map((a) => ({
    head: a.head,
    cell: (r: ConfigRow): string => {
      const n = a.read(r) ?? 0;
      if (a.id === "lostWrites") return n > 0 ? c.red(anomalyCell(a, r)) : c.green("0");
      return count(n);
    },
  }));
  const cols: { head: string; cell: (r: ConfigRow, i: number) => string; optional?: number }[] = [
    { head: "#", cell: (r, i) => (r.pareto ? c.bold.yellow(`★${i + 1}`) : ` ${i + 1}`) },
    ...keys.map((k) => ({ head: terminalKey(k), cell: (r: ConfigRow) => formatValue(r.config[k]) })),
    ...anomalyCols,
    { head: axisById("unavailableMs").head, cell: (r) => (r.unavailableMs >= 1 ? c.magenta(formatMs(r.unavailableMs)) : "0") },
    { head: "p50", cell: (r) => formatMs(r.latencyMs.p50), optional: 4 },
    { head: axisById("latencyMs.p99").head, cell: (r) => formatMs(r.latencyMs.p99) },
    { head: "max", cell: (r) => formatMs(r.latencyMs.max), optional: 2 },
    { head: axisById("endToEndMs.p99").head, cell: (r) => formatMs(r.endToEndMs.p99), optional: 7 },
    { head: axisById("throughputPerSec").head, cell: (r) => r.throughputPerSec.toFixed(0), optional: 6 },
    { head: axisById("diskBytes").head, cell: (r) => formatBytes(r.diskBytes), optional: 5 },
    { head: "recov", cell: (r) => formatMs(r.recoveryMs), optional: 3 },
    { head: "errors", cell: (r) => formatErrors(r.produceErrors), optional: 1 },
  ];
  function count(n: number): string {
    return n > 0 ? c.yellow(String(n)) : "0";
  }
  // Narrow terminal: drop optional columns (lowest number first) until the table fits; then drop the padding left
  // of each cell; when even that does not fit, one block per configuration (renderVertical).
  const width = opts.width ?? 0;
  const maxDrop = Math.max(...cols.map((col) => col.optional ?? 0));
  let shown = cols;
  let table = "";
  for (let step = 0; step <= maxDrop + 1; step++) {
    const drop = Math.min(step, maxDrop);
    shown = cols.filter((col) => col.optional === undefined || col.optional > drop);
    const tight = step > maxDrop;
    const t = new Table({ head: shown.map((col) => c.bold(col.head)), style: { head: [], border: [], compact: true, ...(tight ? { "padding-left": 0 } : {}) } });
    o.report.rows.forEach((r, i) => t.push(shown.map((col) => col.cell(r, i))));
    table = t.toString();
    const firstLine = table.split("\n")[0] ?? "";
    const visible = firstLine.replace(new RegExp(String.fromCharCode(27) + "\\[[0-9;]*m", "g"), "").length;
    if (width <= 0 || visible <= width) break;
    if (step === maxDrop + 1) return renderVertical(o, c, width, allZero);
  }
  const lines: string[] = [];
  lines.push(...wrap(c.bold(`kafkasim compare — ${o.matrix.name}: ${o.report.rows.length} configurations × ${o.report.seeds} seeds (root seed ${o.report.seed}), same fault schedules for all`), width));
  lines.push(table);
  if (allZero.length > 0) lines.push(...wrap(c.dim(`(0 in every row, columns left out: ${allZero.map((a) => a.label).join(", ")})`), width));
  if (shown.length < cols.length) lines.push(...wrap(c.dim(`(terminal too narrow: ${cols.length - shown.length} columns left out; --markdown or --csv show all)`), width));
  lines.push(...wrap(c.dim(`★ = Pareto front: ${FRONT_RULE}`), width));
  lines.push(
    ...wrap(
      c.dim(
        "lost = acknowledged writes missing from the final log (share of runs with any); dup = duplicates; reord = reorders; skip = records skipped or committed unprocessed by consumers; twice = records processed twice; unavail = write unavailability per run; p50/p99/max = produce latency (virtual ms); e2e = send → first poll; rec/s = acks per second; recov = fault → next ack.",
      ),
      width,
    ),
  );
  lines.push("");
  o.report.rows.forEach((r, i) => lines.push(...wrap(`${r.pareto ? c.yellow(`★${i + 1}`) : ` ${i + 1}`} ${o.tradeoffs[i] ?? ""}`, width, "    ")));
  return [...lines, ...footer(o, c).flatMap((l) => wrap(l, width))].join("\n");
}

function footer(o: CompareOutcome, c: ChalkInstance): string[] {
  const lines: string[] = [];
  if (o.invalid.length > 0) {
    lines.push("");
    lines.push(c.dim(`Not run (${o.invalid.length}): ${summariseInvalid(o)}`));
  }
  lines.push("");
  lines.push(c.dim(`Reproduce: ${reproduceCommand(o)}`));
  return lines;
}

/** One block per configuration, for a terminal too narrow for the table: its configuration, then its outcomes
 *  and its trade-off sentence, every line wrapped to the width. */
function renderVertical(o: CompareOutcome, c: ChalkInstance, width: number, allZero: readonly Axis[]): string {
  const keys = configKeys(o);
  const out: string[] = [];
  const add = (text: string, indent = "      "): void => {
    out.push(...wrap(text, width, indent));
  };
  add(c.bold(`kafkasim compare — ${o.matrix.name}: ${o.report.rows.length} configurations × ${o.report.seeds} seeds (root seed ${o.report.seed}), same fault schedules for all`), "");
  add(c.dim("(one block per configuration: the terminal is too narrow for the table; --markdown or --csv give it)"), "");
  o.report.rows.forEach((r, i) => {
    out.push("");
    const rank = r.pareto ? c.bold.yellow(`★${i + 1}`) : ` ${i + 1}`;
    add(`${rank}  ${keys.map((k) => `${terminalKey(k)}=${formatValue(r.config[k])}`).join(" ")}`);
    const anomalies = ANOMALY_AXES.filter((a) => !allZero.includes(a)).map((a) => {
      const n = a.read(r) ?? 0;
      const text = `${a.head} ${anomalyCell(a, r)}`;
      return a.id === "lostWrites" ? (n > 0 ? c.red(text) : c.green(text)) : n > 0 ? c.yellow(text) : text;
    });
    const v = r.verdicts;
    const runs = v ? (["bug", "liveness", "allowed", "valid"] as const).filter((k) => v[k] > 0).map((k) => (k === "bug" || k === "liveness" ? c.red(`${v[k]} ${k}`) : `${v[k]} ${k}`)) : [];
    if (anomalies.length > 0 || runs.length > 0) add(`    ${[...anomalies, ...(runs.length > 0 ? [`runs: ${runs.join(", ")}`] : [])].join(" · ")}`);
    add(`    unavail ${formatMs(r.unavailableMs)} · p50 ${formatMs(r.latencyMs.p50)} · p99 ${formatMs(r.latencyMs.p99)} · max ${formatMs(r.latencyMs.max)} · e2e p99 ${formatMs(r.endToEndMs.p99)} · ${r.throughputPerSec.toFixed(0)} rec/s · disk ${formatBytes(r.diskBytes)} · recov ${formatMs(r.recoveryMs)}`);
    const errors = formatErrors(r.produceErrors);
    if (errors !== "–") add(`    errors: ${errors}`);
    add(c.dim(`    ${o.tradeoffs[i] ?? ""}`));
  });
  if (allZero.length > 0) add(c.dim(`(0 in every row, left out: ${allZero.map((a) => a.label).join(", ")})`), "");
  add(c.dim(`★ = Pareto front: ${FRONT_RULE}`), "");
  for (const l of footer(o, c)) add(l, "");
  return out.join("\n");
}

/** The rule of the ★, in words (every format). */
export const FRONT_RULE =
  "no other configuration is at least as good on every outcome (lost, duplicated, reordered, skipped or committed unprocessed, processed twice, outputs committed twice, unavailability, p99 and end-to-end p99 latency, throughput, disk) and better on one; counts compare exactly, measurements only beyond their noise margin.";

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

const titleOf = (id: string): string => axisById(id).title;

export function renderMarkdown(o: CompareOutcome): string {
  const keys = configKeys(o);
  const head = ["", ...keys.map(shortKey), ...ANOMALY_AXES.map((a) => a.title), titleOf("unavailableMs"), "p50", titleOf("latencyMs.p99"), "max", "e2e p50", titleOf("endToEndMs.p99"), titleOf("throughputPerSec"), titleOf("diskBytes"), "recovery", "produce errors", "trade-off"];
  const out: string[] = [];
  out.push(`### kafkasim compare — ${o.matrix.name}`);
  out.push("");
  out.push(`${o.report.rows.length} configurations × ${o.report.seeds} seeds (root seed ${o.report.seed}); every configuration meets the same fault schedules. ★ = Pareto front: ${FRONT_RULE}`);
  out.push("");
  out.push(`| ${head.join(" | ")} |`);
  out.push(`|${head.map((_, i) => (i === 0 || i > keys.length ? "---:" : ":---")).join("|")}|`);
  o.report.rows.forEach((r: ConfigRow, i) => {
    const cellsOut = [
      r.pareto ? `★${i + 1}` : String(i + 1),
      ...keys.map((k) => formatValue(r.config[k])),
      ...ANOMALY_AXES.map((a) => (a.id === "lostWrites" && r.lostWrites > 0 ? `**${r.lostWrites}** (${pct(r.runsWithLoss)})` : anomalyCell(a, r))),
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
    ...ANOMALY_AXES.filter((a) => a.id !== "lostWrites").map((a) => a.id),
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
    "dominatedBy",
    "dominatedByBetterOn",
    "tradeoff",
  ];
  const lines = [head.map(csvField).join(",")];
  o.report.rows.forEach((r, i) => {
    lines.push(
      [
        ...keys.map((k) => r.config[k] ?? null),
        r.lostWrites,
        r.runsWithLoss,
        ...ANOMALY_AXES.filter((a) => a.id !== "lostWrites").map((a) => a.read(r)),
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
        r.dominatedBy === null ? null : describeConfig(r.dominatedBy.config),
        r.dominatedBy === null ? null : r.dominatedBy.better.join(";"),
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
