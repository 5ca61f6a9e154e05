// HTML reports: one self-contained file each (inline CSS, charts as inline SVG rendered in Node; no scripts, no
// network), so they open offline from disk and can be attached to a ticket.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunResult } from "../sim/result.ts";
import type { CompareOutcome } from "./compare.ts";
import { reproduceCommand } from "./compare.ts";
import { isrHwSpec, latencySpec, renderSvg, spaceTimeSpec, timelineSpec, tradeoffBarsSpec, tradeoffSpec } from "./charts.ts";
import { describeConfig, formatMs } from "./metrics.ts";
import type { ConfigRow } from "./metrics.ts";
import { formatBytes, formatErrors, formatValue, FRONT_RULE, shortKey, summariseInvalid } from "./table.ts";
import { ANOMALY_AXES, axisById } from "./ranking.ts";
import { deriveMessages, interestingWindow } from "./messages.ts";
import type { RunJudgement } from "./messages.ts";
import { describeAction } from "./series.ts";

export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1500px;padding:0 16px;color:#1b1b1b;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e5e5e5;padding-bottom:4px}
.sub{color:#666;margin:0 0 16px}
table{border-collapse:collapse;font-size:12.5px;margin:8px 0}th,td{border:1px solid #ddd;padding:3px 6px;text-align:right;white-space:nowrap}
th{background:#f5f5f5;position:sticky;top:0}td.l,th.l{text-align:left}td.trade{white-space:normal;text-align:left;min-width:300px;max-width:420px;color:#333}td.errs{white-space:normal;max-width:220px;text-align:left}
.scroll{overflow-x:auto}
tr.pareto td:first-child{font-weight:700;color:#b5830a}.loss{color:#b00020;font-weight:600}.ok{color:#1b7f3b}
figure.chart{margin:12px 0;overflow-x:auto}figure.chart figcaption{color:#555;font-size:12.5px;margin-top:4px}
details{margin:6px 0}summary{cursor:pointer}
.anomaly{border-left:4px solid #b00020;padding:4px 10px;margin:8px 0;background:#fff6f6}.anomaly.allowed{border-color:#f4a261;background:#fffaf2}
.anomaly pre{white-space:pre-wrap;margin:4px 0 0;font-size:12.5px}
code{background:#f3f3f3;padding:1px 4px;border-radius:3px}
.verdict-valid{color:#1b7f3b}.verdict-allowed{color:#b36b00}.verdict-liveness{color:#b00020}.verdict-bug{color:#b00020}
`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body>
${body}
</body></html>
`;
}

function figure(name: string, svg: string, caption: string): string {
  return `<figure class="chart" data-chart="${esc(name)}">${svg}<figcaption>${esc(caption)}</figcaption></figure>`;
}

/** Writes atomically (temp file + rename) so a reader never sees half a report. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

const titleOf = (id: string): string => axisById(id).title;

function compareTable(o: CompareOutcome): string {
  const keys = o.matrix.axes.map((a) => a.key);
  const head = ["#", ...keys.map(shortKey), ...ANOMALY_AXES.map((a) => a.title), titleOf("unavailableMs"), "p50", titleOf("latencyMs.p99"), "max", "e2e p50", titleOf("endToEndMs.p99"), titleOf("throughputPerSec"), titleOf("diskBytes"), "recovery", "produce errors", "trade-off"];
  const rows = o.report.rows
    .map((r, i) => {
      const cells = [
        `<td>${r.pareto ? "★" : ""}${i + 1}</td>`,
        ...keys.map((k) => `<td class="l">${esc(formatValue(r.config[k]))}</td>`),
        `<td class="${r.lostWrites > 0 ? "loss" : "ok"}">${r.lostWrites}${r.lostWrites > 0 ? ` (${Math.round(r.runsWithLoss * 100)}%)` : ""}</td>`,
        ...ANOMALY_AXES.filter((a) => a.id !== "lostWrites").map((a) => `<td>${a.read(r) ?? 0}</td>`),
        `<td>${esc(formatMs(r.unavailableMs))}</td>`,
        `<td>${esc(formatMs(r.latencyMs.p50))}</td><td>${esc(formatMs(r.latencyMs.p99))}</td><td>${esc(formatMs(r.latencyMs.max))}</td>`,
        `<td>${esc(formatMs(r.endToEndMs.p50))}</td><td>${esc(formatMs(r.endToEndMs.p99))}</td>`,
        `<td>${r.throughputPerSec.toFixed(0)}</td><td>${esc(formatBytes(r.diskBytes))}</td><td>${esc(formatMs(r.recoveryMs))}</td>`,
        `<td class="errs">${esc(formatErrors(r.produceErrors))}</td>`,
        `<td class="trade">${esc(o.tradeoffs[i] ?? "")}</td>`,
      ];
      return `<tr class="${r.pareto ? "pareto" : ""}">${cells.join("")}</tr>`;
    })
    .join("\n");
  return `<div class="scroll"><table><thead><tr>${head.map((h, i) => `<th class="${i > 0 && i <= keys.length ? "l" : ""}">${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows}</tbody></table></div>`;
}

/** The comparison report: table, trade-off chart, latency over time per configuration, ISR/HW per partition. */
export async function compareHtml(o: CompareOutcome): Promise<string> {
  const parts: string[] = [];
  const base = o.matrix.base;
  parts.push(`<h1>kafkasim compare — ${esc(o.matrix.name)}</h1>`);
  parts.push(
    `<p class="sub">${o.report.rows.length} configurations × ${o.report.seeds} seeds (root seed ${o.report.seed}); every configuration meets the same seeded fault schedules. Base: ${esc(base.description ?? base.name)}; ${base.durationMs} ms of workload, then ${base.drainMs} ms heal-and-drain. Reproduce: <code>${esc(reproduceCommand(o))}</code></p>`,
  );
  parts.push(`<h2>How to read this</h2><p>Each row is one configuration, run on the same seeds. <b>lost</b>: acknowledged writes missing from the final log (and the share of runs with any). <b>dup</b>, <b>reorder</b>: one value at two offsets, a producer's acknowledged sends out of order. <b>skipped</b>: records consumers skipped or committed without processing (at-most-once loss); <b>processed twice</b>: records processed more than once (at-least-once). <b>unavail/run</b>: time per run in which sends failed or waited longer than 500 ms. <b>p50/p99/max</b>: produce latency from send to acknowledgement, in virtual ms; <b>e2e</b>: send to first poll. <b>recovery</b>: from a fault to the next acknowledged send. <b>★</b> marks the Pareto front: ${esc(FRONT_RULE)}</p>`);
  parts.push(`<h2>Configurations</h2>${compareTable(o)}`);
  if (o.invalid.length > 0) parts.push(`<p class="sub">Not run (${o.invalid.length}): ${esc(summariseInvalid(o))}.</p>`);
  parts.push(`<h2>Trade-offs</h2>`);
  parts.push(figure("tradeoff", await renderSvg(tradeoffSpec(o.report.rows)), "Numbers are the table's row numbers. Bottom-left is fast and available; small pale points lose nothing."));
  const short = (r: ConfigRow, i: number): string => `#${i + 1} ${Object.entries(r.config).map(([k, v]) => `${shortKey(k)}=${formatValue(v)}`).join(" ")}`;
  parts.push(figure("tradeoff-bars", await renderSvg(tradeoffBarsSpec(o.report.rows, short)), "Gold: on the Pareto front."));
  if (o.samples.length > 0) {
    const runs = o.samples.map((s) => {
      const i = o.report.rows.findIndex((r) => describeConfig(r.config) === describeConfig(s.config));
      const cfg = Object.entries(s.config).map(([k, v]) => `${shortKey(k)}=${formatValue(v)}`).join(" ");
      return { label: `${i >= 0 ? `#${i + 1} ` : ""}${cfg} (seed ${s.seed})`, result: s.result };
    });
    parts.push(`<h2>Latency over time</h2>`);
    parts.push(figure("latency", await renderSvg(latencySpec(runs)), `The first seed's run of each configuration (seed ${o.samples[0]?.seed ?? ""}); the fault schedule is the same in every panel.`));
    parts.push(`<h2>ISR and high watermark per partition</h2>`);
    for (let i = 0; i < runs.length; i++) {
      const r = runs[i]!;
      const svg = await renderSvg(isrHwSpec(r.result, r.label));
      parts.push(`<details${i === 0 ? " open" : ""}><summary>${esc(r.label)}</summary>${figure(`isr-hw-${i + 1}`, svg, "Step lines: ISR size and the leader's HW per partition.")}</details>`);
    }
  }
  parts.push(`<script type="application/json" id="compare-json">${JSON.stringify(o.report).replace(/</g, "\\u003c")}</script>`);
  return page(`kafkasim compare — ${o.matrix.name}`, parts.join("\n"));
}

/** Writes index.html (and compare.json) into dir; returns the path of index.html. */
export async function writeCompareHtml(o: CompareOutcome, dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const html = await compareHtml(o);
  const path = join(dir, "index.html");
  writeFileAtomic(path, html);
  writeFileAtomic(join(dir, "compare.json"), JSON.stringify(o.report, null, 2) + "\n");
  return path;
}

function statsTable(stats: object | undefined): string {
  if (!stats) return "";
  const entries = Object.entries(stats).filter(([, v]) => typeof v === "number");
  return `<table><tbody>${entries.map(([k, v]) => `<tr><th class="l">${esc(k)}</th><td>${esc(String(v))}</td></tr>`).join("")}</tbody></table>`;
}

/** The single-run report: verdict, anomalies linked to their explanations, timeline, messages, ISR/HW, latency. */
/** At most this many anomalies are listed (and explained) in a run report; the JSON output has them all. */
export const MAX_ANOMALIES_SHOWN = 200;

export async function runHtml(r: RunResult, j: RunJudgement, exports: readonly string[] = [], opts: { readonly repro?: string } = {}): Promise<string> {
  const s = r.scenario;
  const shown = j.anomalies.slice(0, MAX_ANOMALIES_SHOWN);
  const more = j.anomalies.length - shown.length;
  const parts: string[] = [];
  parts.push(`<h1>kafkasim run — ${esc(s.name)}</h1>`);
  parts.push(
    `<p class="sub">seed ${esc(String(r.seed))} · protocol ${esc(r.protocol)} · ${s.brokers} brokers · ${r.virtualMs.toFixed(0)} ms virtual (${r.workloadEndMs} ms workload) · trace hash <code>${esc(r.traceHash)}</code> · verdict <b class="verdict-${esc(j.verdict)}">${esc(j.verdict)}</b><br>Reproduce: <code>${esc(opts.repro ?? `npx kafkasim run ${s.name} --seed ${String(r.seed)}`)}</code></p>`,
  );
  if (s.description) parts.push(`<p>${esc(s.description)}</p>`);
  parts.push(`<h2>Anomalies (${j.anomalies.length})</h2>`);
  if (j.anomalies.length === 0) parts.push(`<p class="ok">None: every check passed.</p>`);
  else {
    parts.push(
      `<ol>${shown
        .map((a, i) => `<li><a href="#anomaly-${i + 1}">${esc(a.type)}</a>${a.partition ? ` in ${esc(a.partition)}` : ""}${a.offset !== null ? ` at offset ${a.offset}` : ""}${a.value !== null ? `, value ${a.value}` : ""}${a.allowed ? " — allowed by this configuration" : " — not allowed: a bug"}</li>`)
        .join("")}</ol>${more > 0 ? `<p class="sub">… and ${more} more (kafkasim run --json lists them all).</p>` : ""}`,
    );
  }
  parts.push(`<h2>Timeline</h2>`);
  parts.push(figure("timeline", await renderSvg(timelineSpec(r)), "The green band is the heal-and-drain phase."));
  const win = interestingWindow(r, j);
  const mv = deriveMessages(r, win);
  parts.push(`<h2>Messages</h2>`);
  parts.push(
    figure("messages", await renderSvg(spaceTimeSpec(mv.lanes, mv.arrows, mv.notes, mv.windowMs)), "Derived from the history (send invoke/ok, polls) and the brokers' produce-append events; the trace has no per-message network events."),
  );
  parts.push(`<h2>ISR and high watermark</h2>`);
  parts.push(figure("isr-hw", await renderSvg(isrHwSpec(r, "Partitions")), "Step lines: ISR size and the leader's HW per partition."));
  parts.push(`<h2>Produce latency</h2>`);
  parts.push(figure("latency", await renderSvg(latencySpec([{ label: s.name, result: r }])), "Shaded: fault periods."));
  if (j.anomalies.length > 0) {
    parts.push(`<h2>Explanations</h2>`);
    shown.forEach((a, i) => {
      parts.push(
        `<div class="anomaly${a.allowed ? " allowed" : ""}" id="anomaly-${i + 1}"><b>${i + 1}. ${esc(a.type)}</b>${a.partition ? ` · ${esc(a.partition)}` : ""}${a.offset !== null ? ` · offset ${a.offset}` : ""}${a.value !== null ? ` · value ${a.value}` : ""}${a.reason ? `<br><i>allowed: ${esc(a.reason)}</i>` : ""}<pre>${esc(a.explanation)}</pre></div>`,
      );
    });
  }
  parts.push(`<h2>Faults fired (${r.faults.length})</h2>`);
  parts.push(`<table><tbody>${r.faults.map((f) => `<tr><td>${(f.timeUs / 1000).toFixed(1)} ms</td><td class="l">${esc(describeAction(f.action))}</td><td class="l">${esc(f.nodes.join(", ") || "(no target)")}</td></tr>`).join("")}</tbody></table>`);
  parts.push(`<h2>Stats</h2>${statsTable(j.stats)}`);
  if (exports.length) parts.push(`<h2>Exports</h2><ul>${exports.map((e) => `<li><a href="${esc(e)}">${esc(e)}</a></li>`).join("")}</ul><p class="sub">trace.perfetto.json opens in <code>ui.perfetto.dev</code> (Open trace file); sequence.mmd is a Mermaid sequence diagram (GitHub renders it in a <code>\`\`\`mermaid</code> block).</p>`);
  return page(`kafkasim run — ${s.name}`, parts.join("\n"));
}
