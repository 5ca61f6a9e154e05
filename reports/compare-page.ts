// The comparison report: the table (readable at 1,280 px: the configuration columns stay put while the numbers
// scroll, the trade-off sentence sits right after the outcomes a user pays for, the finer measurements after it),
// the trade-off scatter with a table of the points that coincide, per-configuration bars, latency over time and
// ISR/HW as small multiples with the fault periods lettered.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { CompareOutcome } from "./compare.ts";
import { reproduceCommand } from "./compare.ts";
import { describeConfig, formatMs } from "./metrics.ts";
import type { ConfigRow } from "./metrics.ts";
import { formatBytes, formatErrors, formatValue, FRONT_RULE, shortKey, summariseInvalid, terminalKey } from "./table.ts";
import { ANOMALY_AXES, axisById } from "./ranking.ts";
import { isrHwSvg, latencySvg, tradeoffBarsSvg, tradeoffSvg } from "./charts.ts";
import { esc, figure, page, writeFileAtomic } from "./page.ts";

/** Estimated width of table text (12 px system sans), for the sticky columns' offsets. */
const cellWidth = (texts: readonly string[]): number => Math.ceil(12 + 7.2 * Math.max(...texts.map((t) => [...t].length)));

const VERDICT_ORDER = ["bug", "liveness", "allowed", "valid"] as const;

function verdictCell(r: ConfigRow): string {
  const v = r.verdicts;
  if (!v) return "–";
  return VERDICT_ORDER.filter((k) => v[k] > 0)
    .map((k) => (k === "bug" || k === "liveness" ? `<span class="loss">${v[k]} ${k}</span>` : `${v[k]} ${k}`))
    .join("<br>");
}

export function compareTable(o: CompareOutcome): string {
  const keys = o.matrix.axes.map((a) => a.key);
  const rows = o.report.rows;
  // Sticky columns: the rank and the configuration, with fixed widths so their offsets are known.
  const rankW = cellWidth(["#", ...rows.map((_, i) => `★${i + 1}`)]);
  const keyW = keys.map((k) => cellWidth([terminalKey(k), ...rows.map((r) => formatValue(r.config[k]))]));
  const lefts: number[] = [0, rankW];
  keyW.forEach((w, i) => lefts.push(lefts[i + 1]! + w));
  const sticky = (col: number, w: number): string => ` style="left:${lefts[col]}px;min-width:${w - 10}px;max-width:${w - 10}px"`;
  const head = [
    `<th class="sticky"${sticky(0, rankW)}>#</th>`,
    ...keys.map((k, i) => `<th class="l sticky"${sticky(i + 1, keyW[i]!)} title="${esc(k)}">${esc(terminalKey(k))}</th>`),
    ...ANOMALY_AXES.map((a) => `<th title="${esc(a.label)}">${esc(a.head)}</th>`),
    `<th title="the oracle's verdicts of the runs">runs</th>`,
    ...["unavailableMs", "latencyMs.p99", "endToEndMs.p99", "throughputPerSec", "diskBytes"].map((id) => `<th title="${esc(axisById(id).label)}">${esc(axisById(id).head)}</th>`),
    `<th class="l trade">trade-off</th>`,
    `<th>p50</th><th>max</th><th>e2e p50</th><th>recovery</th><th class="l">produce errors</th>`,
  ];
  const body = rows.map((r, i) => {
    const cells = [
      `<td class="rank sticky"${sticky(0, rankW)}>${r.pareto ? "★" : ""}${i + 1}</td>`,
      ...keys.map((k, c) => `<td class="l sticky"${sticky(c + 1, keyW[c]!)}>${esc(formatValue(r.config[k]))}</td>`),
      `<td class="${r.lostWrites > 0 ? "loss" : "ok"}">${r.lostWrites}${r.lostWrites > 0 ? `<br><small>${Math.round(r.runsWithLoss * 100)}% of runs</small>` : ""}</td>`,
      ...ANOMALY_AXES.filter((a) => a.id !== "lostWrites").map((a) => `<td>${a.read(r) ?? 0}</td>`),
      `<td class="l">${verdictCell(r)}</td>`,
      `<td>${esc(formatMs(r.unavailableMs))}</td>`,
      `<td>${esc(formatMs(r.latencyMs.p99))}</td>`,
      `<td>${esc(formatMs(r.endToEndMs.p99))}</td>`,
      `<td>${r.throughputPerSec.toFixed(0)}</td>`,
      `<td>${esc(formatBytes(r.diskBytes))}</td>`,
      `<td class="trade">${esc(o.tradeoffs[i] ?? "")}</td>`,
      `<td>${esc(formatMs(r.latencyMs.p50))}</td><td>${esc(formatMs(r.latencyMs.max))}</td><td>${esc(formatMs(r.endToEndMs.p50))}</td><td>${esc(formatMs(r.recoveryMs))}</td>`,
      `<td class="errs">${esc(formatErrors(r.produceErrors))}</td>`,
    ];
    return `<tr class="${r.pareto ? "pareto" : ""}">${cells.join("")}</tr>`;
  });
  return `<div class="scroll"><table class="cmp"><thead><tr>${head.join("")}</tr></thead><tbody>${body.join("\n")}</tbody></table></div>`;
}

const rowLabel = (r: ConfigRow, i: number): string => `#${i + 1} ${Object.entries(r.config).map(([k, v]) => `${shortKey(k)}=${formatValue(v)}`).join(" ")}`;

/** The points of the scatter that coincide, as a table: which rows, and their numbers side by side. */
function coincideTable(rows: readonly ConfigRow[], clusters: readonly number[][]): string {
  if (clusters.length === 0) return "";
  const body = clusters
    .flatMap((c, k) =>
      c.map(
        (i, n) =>
          `<tr>${n === 0 ? `<td rowspan="${c.length}">${k + 1}</td>` : ""}<td class="l">${esc(rowLabel(rows[i]!, i))}</td><td>${rows[i]!.lostWrites}</td><td>${esc(formatMs(rows[i]!.unavailableMs))}</td><td>${esc(formatMs(rows[i]!.latencyMs.p99))}</td></tr>`,
      ),
    )
    .join("");
  return `<details open><summary>Points that coincide in the chart (${clusters.length} group${clusters.length === 1 ? "" : "s"})</summary><table><thead><tr><th>group</th><th class="l">configuration</th><th>lost</th><th>unavail/run</th><th>p99</th></tr></thead><tbody>${body}</tbody></table></details>`;
}

export async function compareHtml(o: CompareOutcome): Promise<string> {
  await Promise.resolve();
  const parts: string[] = [];
  const base = o.matrix.base;
  parts.push(`<h1>kafkasim compare — ${esc(o.matrix.name)}</h1>`);
  parts.push(
    `<p class="sub">${o.report.rows.length} configurations × ${o.report.seeds} seeds (root seed ${o.report.seed}); every configuration meets the same seeded fault schedules. Base: ${esc(base.description ?? base.name)}; ${base.durationMs} ms of workload, then ${base.drainMs} ms heal-and-drain. Reproduce: <code>${esc(reproduceCommand(o))}</code></p>`,
  );
  parts.push(
    `<details><summary><b>How to read this</b></summary><p>Each row is one configuration, run on the same seeds. <b>lost</b>: acknowledged writes missing from the final log (and the share of runs with any). <b>dup</b>, <b>reorder</b>: one value at two offsets, a producer's acknowledged sends out of order. <b>skipped</b>: records consumers skipped or committed without processing (at-most-once loss); <b>processed twice</b>: records processed more than once (at-least-once). <b>runs</b>: the oracle's verdicts of the runs (a bug is an anomaly nothing permits). <b>unavail/run</b>: time per run in which sends failed or waited longer than 500 ms. <b>p99</b>: produce latency from send to acknowledgement, in virtual ms; <b>e2e</b>: send to first poll. <b>trade-off</b>: what the configuration buys and pays. Scroll right for p50, max, e2e p50, <b>recovery</b> (from a fault to the next acknowledged send) and the produce errors; the configuration columns stay in view. <b>★</b> marks the Pareto front: ${esc(FRONT_RULE)}</p></details>`,
  );
  parts.push(`<h2>Configurations</h2>${compareTable(o)}`);
  if (o.invalid.length > 0) parts.push(`<p class="sub">Not run (${o.invalid.length}): ${esc(summariseInvalid(o))}.</p>`);
  parts.push(`<h2>Trade-offs</h2>`);
  const t = tradeoffSvg(o.report.rows);
  parts.push(figure("tradeoff", t.svg, "Numbers are the table's row numbers; each label sits beside the plot with a line to its point. Bottom-left is fast and available; small pale points lose nothing."));
  parts.push(coincideTable(o.report.rows, t.clusters));
  parts.push(figure("tradeoff-bars", tradeoffBarsSvg(o.report.rows, rowLabel), "Gold: on the Pareto front."));
  if (o.samples.length > 0) {
    const runs = o.samples.map((s) => {
      const i = o.report.rows.findIndex((r) => describeConfig(r.config) === describeConfig(s.config));
      const cfg = Object.entries(s.config).map(([k, v]) => `${shortKey(k)}=${formatValue(v)}`).join(" ");
      return { label: `${i >= 0 ? `#${i + 1} ` : ""}${cfg} (seed ${s.seed})`, result: s.result };
    });
    parts.push(`<h2>Latency over time</h2>`);
    parts.push(figure("latency", latencySvg(runs), `The first seed's run of each configuration (seed ${o.samples[0]?.seed ?? ""}): the same fault schedule in every panel (letters as in the key).`));
    parts.push(`<h2>ISR and high watermark per partition</h2>`);
    parts.push(figure("isr-hw", isrHwSvg(runs), "The same runs: ISR size and the leader's HW, to the end of each run."));
  }
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
