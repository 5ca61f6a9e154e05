// The comparison's charts (and the run report's ISR/HW and latency), as SVG written here: small multiples with
// axes on every panel, fault bands lettered and listed, series drawn to the end of the run, data reduced to what
// a pixel can show (a page of 16 configurations stays well under 2 MB).
import type { RunResult } from "../sim/result.ts";
import type { ConfigRow } from "./metrics.ts";
import { formatMs } from "./metrics.ts";
import { axisBottom, axisLeft, esc, fitText, fmtNumber, linearScale, logScale, n1, PALETTE, pathOf, stepPath, svgDoc, textWidth, titleBlock } from "./svg.ts";
import { clusterPoints, packRows, placeColumn, rowsUsed } from "./layout.ts";
import { faultPeriods, latencyPoints, partitionSeries } from "./series.ts";
import type { FaultPeriod } from "./series.ts";

export interface ChartRun {
  readonly label: string;
  readonly result: RunResult;
}

const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const letter = (i: number): string => (i < LETTERS.length ? LETTERS[i]! : `F${i + 1}`);
const FAULT_FILL = "#e4572e";

/** The fault track: each fault period as a lettered band on the time axis, and the list of what each letter is. */
function faultTrack(periods: readonly FaultPeriod[], x: (t: number) => number, left: number, width: number, y0: number): { svg: string; height: number } {
  const parts: string[] = [`<g class="fault-track">`];
  const boxes = periods.map((p) => {
    const w = textWidth(letter(0), 10) + 4;
    const x0 = Math.min(Math.max(x(p.startMs) + 2, left), left + width - w);
    return { x0, x1: x0 + w };
  });
  const rows = packRows(boxes, 4, 2);
  const used = Math.max(1, rowsUsed(rows));
  periods.forEach((p, i) => {
    const row = rows[i];
    const yy = y0 + (row ?? 0) * 14;
    parts.push(`<rect class="fault-band" x="${n1(x(p.startMs))}" y="${n1(yy)}" width="${n1(Math.max(2, x(p.endMs) - x(p.startMs)))}" height="12" fill="${FAULT_FILL}" fill-opacity="0.25"><title>${esc(`${letter(i)}: ${p.label}`)}</title></rect>`);
    if (row !== null) parts.push(`<text class="fault-letter" x="${n1(boxes[i]!.x0)}" y="${n1(yy + 10)}" font-size="10" font-weight="bold">${letter(i)}</text>`);
  });
  // The key: "A 1.12–2.03 s kill leader of orders-0 (broker 2)", two columns.
  const colW = width / 2 - 8;
  let ky = y0 + used * 14 + 14;
  periods.forEach((p, i) => {
    const col = i % 2;
    const text = `${letter(i)}  ${(p.startMs / 1000).toFixed(2)}–${(p.endMs / 1000).toFixed(2)} s  ${p.label}`;
    parts.push(`<text class="fault-key" x="${n1(left + col * (colW + 16))}" y="${n1(ky)}" font-size="9.5">${esc(fitText(text, 9.5, colW))}<title>${esc(text)}</title></text>`);
    if (col === 1 || i === periods.length - 1) ky += 13;
  });
  parts.push("</g>");
  return { svg: parts.join(""), height: ky - y0 + 2 };
}

/** Produce latency over time, one panel per run, each with its own axes; fault bands lettered as in the track. */
export function latencySvg(runs: readonly ChartRun[], opts: { readonly title?: string; readonly width?: number } = {}): string {
  const width = opts.width ?? 1180;
  const left = 74;
  const right = width - 30;
  const end = Math.max(...runs.map((r) => r.result.virtualMs), 1);
  const x = linearScale([0, end], [left, right]);
  const bucketMs = Math.max(1, end / ((right - left) / 3));
  const series = runs.map(({ result }) => {
    const buckets = new Map<number, number[]>();
    for (const p of latencyPoints(result)) {
      const k = Math.floor(p.timeMs / bucketMs);
      const l = buckets.get(k);
      if (l) l.push(p.latencyMs);
      else buckets.set(k, [p.latencyMs]);
    }
    const fails = new Map<number, number>();
    for (const op of result.history) if (op.f === "send" && (op.type === "fail" || op.type === "info")) fails.set(Math.floor(op.timeUs / 1000 / bucketMs), (fails.get(Math.floor(op.timeUs / 1000 / bucketMs)) ?? 0) + 1);
    const stats = [...buckets].sort((a, b) => a[0] - b[0]).map(([k, l]) => {
      l.sort((a, b) => a - b);
      return { t: (k + 0.5) * bucketMs, min: l[0]!, p50: l[Math.floor(l.length / 2)]!, max: l[l.length - 1]! };
    });
    return { stats, fails };
  });
  const maxLat = Math.max(1, ...series.flatMap((s) => s.stats.map((b) => b.max)));
  const lo = 0.1;
  const hi = 10 ** Math.ceil(Math.log10(maxLat * 1.01));
  const periods0 = runs[0] ? faultPeriods(runs[0].result) : [];
  const head = titleBlock(8, opts.title ?? "Produce latency over time", "per 1/3-pixel bucket: band = fastest to slowest acknowledgement, line = median (log scale; acks=0 counts 0 ms, drawn at 0.1); red ticks: sends that failed", width - 16);
  const track = faultTrack(periods0, x, left, right - left, 46);
  const parts: string[] = [head, `<text x="8" y="${n1(46 + 10)}" font-size="10" font-weight="bold">faults</text>`, track.svg];
  let y0 = 46 + track.height + 8;
  const panelH = 64;
  runs.forEach((run, i) => {
    const s = series[i]!;
    const top = y0 + 16;
    const bottom = top + panelH;
    const y = logScale([lo, hi], [bottom, top]);
    const p: string[] = [`<g class="panel" data-panel="${i + 1}">`];
    p.push(`<text class="panel-title" x="${left}" y="${n1(y0 + 10)}" font-size="10.5" font-weight="bold">${esc(fitText(run.label, 10.5, right - left))}</text>`);
    faultPeriods(run.result).forEach((f, k) => p.push(`<rect class="fault-band" x="${n1(x(f.startMs))}" y="${n1(top)}" width="${n1(Math.max(1, x(f.endMs) - x(f.startMs)))}" height="${panelH}" fill="${FAULT_FILL}" fill-opacity="0.12"><title>${esc(`${letter(k)}: ${f.label}`)}</title></rect>`));
    // One band and median line per run of adjacent buckets: no line across a stretch without acknowledgements.
    for (const seg of segments(s.stats, bucketMs)) {
      const upper = seg.map((b) => [x(b.t), y(Math.max(b.max, lo))] as const);
      const lower = [...seg].reverse().map((b) => [x(b.t), y(Math.max(b.min, lo))] as const);
      p.push(`<path class="lat-band" d="${pathOf([...upper, ...lower])}Z" fill="#1f6fb2" fill-opacity="0.22" stroke="#1f6fb2" stroke-opacity="0.22" stroke-width="1"/>`);
      p.push(`<path class="lat-median" d="${pathOf(seg.map((b) => [x(b.t), y(Math.max(b.p50, lo))] as const))}" fill="none" stroke="#1f4e79" stroke-width="1.2"/>`);
    }
    for (const [k, n] of s.fails) p.push(`<line class="fail" x1="${n1(x((k + 0.5) * bucketMs))}" x2="${n1(x((k + 0.5) * bucketMs))}" y1="${n1(bottom)}" y2="${n1(bottom - 6)}" stroke="#b00020" stroke-width="1.2"><title>${n} failed</title></line>`);
    p.push(axisLeft(y, left, { format: (v) => formatMs(v), maxTicks: 4 }));
    p.push(axisBottom(x, bottom, { className: "panel-x" }));
    p.push("</g>");
    parts.push(p.join(""));
    y0 = bottom + 22;
  });
  parts.push(`<text class="axis-title" x="${n1((left + right) / 2)}" y="${n1(y0 + 4)}" text-anchor="middle" fill="#444">virtual time (ms); latency axis per panel (log)</text>`);
  return svgDoc(width, y0 + 12, parts.join(""), "Produce latency over time per configuration");
}

/** Runs of buckets without a gap between them. */
function segments<T extends { readonly t: number }>(stats: readonly T[], bucketMs: number): T[][] {
  const out: T[][] = [];
  for (const b of stats) {
    const last = out[out.length - 1];
    const prev = last?.[last.length - 1];
    if (last && prev && b.t - prev.t <= bucketMs * 1.5) last.push(b);
    else out.push([b]);
  }
  return out;
}

/** Keeps the last value per pixel column (the HW moves per batch: thousands of steps a run). */
function perPixel<T>(points: readonly T[], xOf: (p: T) => number): T[] {
  const out: T[] = [];
  for (const p of points) {
    const last = out[out.length - 1];
    if (last !== undefined && Math.round(xOf(last)) === Math.round(xOf(p))) out[out.length - 1] = p;
    else out.push(p);
  }
  return out;
}

/** ISR size and the leader's HW per partition, one panel per run (two per row), to the end of each run. */
export function isrHwSvg(runs: readonly ChartRun[], opts: { readonly title?: string; readonly width?: number; readonly columns?: number } = {}): string {
  const width = opts.width ?? 1180;
  const cols = Math.min(opts.columns ?? 2, Math.max(1, runs.length));
  const panelW = (width - 16) / cols;
  const head = titleBlock(8, opts.title ?? "ISR size and high watermark per partition", "step lines to the end of each run; top strip: ISR size; bottom: the leader's HW; shaded: fault periods (lettered as in the latency chart)", width - 16);
  const tps = [...new Set(runs.flatMap((r) => partitionSeries(r.result).isr.map((p) => p.tp)))];
  const colour = new Map(tps.map((tp, i) => [tp, PALETTE[i % PALETTE.length]!]));
  const parts: string[] = [head];
  // Partition key.
  let kx = 8;
  for (const tp of tps) {
    parts.push(`<g class="legend-entry"><line x1="${kx}" x2="${kx + 14}" y1="46" y2="46" stroke="${colour.get(tp)}" stroke-width="2"/><text x="${kx + 18}" y="49.5">${esc(tp)}</text></g>`);
    kx += 18 + textWidth(tp, 10) + 16;
  }
  const panelH = 150;
  runs.forEach((run, i) => {
    const col = i % cols;
    const row = Math.floor(i / cols);
    const ox = 8 + col * panelW;
    const oy = 58 + row * (panelH + 20);
    const left = ox + 58;
    const right = ox + panelW - 14;
    const end = run.result.virtualMs;
    const x = linearScale([0, end], [left, right]);
    const s = partitionSeries(run.result);
    const rf = Math.max(1, ...s.isr.map((p) => p.isrSize), ...run.result.scenario.topics.map((t) => t["replication.factor"]));
    const isrTop = oy + 18;
    const isrBottom = isrTop + 36;
    const hwTop = isrBottom + 16;
    const hwBottom = oy + panelH - 24;
    const yIsr = linearScale([0, rf], [isrBottom, isrTop]);
    const maxHw = Math.max(1, ...s.hw.map((h) => h.highWatermark));
    const yHw = linearScale([0, maxHw * 1.05], [hwBottom, hwTop]);
    const p: string[] = [`<g class="panel" data-panel="${i + 1}">`, `<text class="panel-title" x="${n1(ox)}" y="${n1(oy + 10)}" font-size="10.5" font-weight="bold">${esc(fitText(run.label, 10.5, panelW - 16))}</text>`];
    faultPeriods(run.result).forEach((f, k) => p.push(`<rect class="fault-band" x="${n1(x(f.startMs))}" y="${n1(isrTop)}" width="${n1(Math.max(1, x(f.endMs) - x(f.startMs)))}" height="${n1(hwBottom - isrTop)}" fill="${FAULT_FILL}" fill-opacity="0.12"><title>${esc(`${letter(k)}: ${f.label}`)}</title></rect>`));
    for (const tp of tps) {
      const isr = s.isr.filter((q) => q.tp === tp).map((q) => [x(q.timeMs), yIsr(q.isrSize)] as const);
      if (isr.length > 0) p.push(`<path class="isr" data-tp="${esc(tp)}" d="${stepPath(isr, x(end))}" fill="none" stroke="${colour.get(tp)}" stroke-width="1.5"/>`);
      const hw = perPixel(
        s.hw.filter((q) => q.tp === tp),
        (q) => x(q.timeMs),
      ).map((q) => [x(q.timeMs), yHw(q.highWatermark)] as const);
      if (hw.length > 0) p.push(`<path class="hw" data-tp="${esc(tp)}" d="${stepPath(hw, x(end))}" fill="none" stroke="${colour.get(tp)}" stroke-width="1.5"/>`);
    }
    p.push(axisLeft(yIsr, left, { ticks: rf <= 3 ? Array.from({ length: rf + 1 }, (_, k) => k) : [0, rf] }));
    p.push(`<text x="${n1(ox)}" y="${n1((isrTop + isrBottom) / 2 + 3)}" font-size="9" fill="#444">ISR</text>`);
    p.push(axisLeft(yHw, left, { maxTicks: 4 }));
    p.push(`<text x="${n1(ox)}" y="${n1((hwTop + hwBottom) / 2 + 3)}" font-size="9" fill="#444">HW</text>`);
    p.push(axisBottom(x, hwBottom, { className: "panel-x" }));
    p.push("</g>");
    parts.push(p.join(""));
  });
  const rowsN = Math.ceil(runs.length / cols);
  const height = 58 + rowsN * (panelH + 20) + 14;
  parts.push(`<text class="axis-title" x="${n1(width / 2)}" y="${n1(height - 6)}" text-anchor="middle" fill="#444">virtual time (ms)</text>`);
  return svgDoc(width, height, parts.join(""), "ISR size and high watermark per partition");
}

/** Loss × unavailability × p99: one point per configuration; points that coincide (closer than 14 px) share one
 *  marker; every marker is labelled in a column beside the plot, with a leader line. */
export function tradeoffSvg(rows: readonly ConfigRow[], opts: { readonly width?: number } = {}): { svg: string; clusters: number[][] } {
  const width = opts.width ?? 1000;
  const left = 74;
  const plotR = width - 300;
  const top = 48;
  const bottom = top + 360;
  const maxX = Math.max(10, ...rows.map((r) => r.unavailableMs)) * 1.05;
  const p99s = rows.map((r) => Math.max(r.latencyMs.p99 ?? 0, 0.1));
  const useLog = Math.max(...p99s) / Math.min(...p99s) > 50;
  // A gutter as wide as the largest marker (12 px) between the y axis and x = 0: a point at 0 ms stays clear of the
  // axis' tick labels.
  const x = linearScale([0, maxX], [left + 14, plotR]);
  // Log: from a third below the fastest (so no point sits on the x axis) to the decade above the slowest.
  const y = useLog ? logScale([Math.min(...p99s) / 3, 10 ** Math.ceil(Math.log10(Math.max(...p99s) * 1.01))], [bottom, top]) : linearScale([0, Math.max(1, ...p99s) * 1.08], [bottom, top]);
  const maxLost = Math.max(1, ...rows.map((r) => r.lostWrites));
  const pts = rows.map((r, i) => ({ x: x(r.unavailableMs), y: y(p99s[i]!), i }));
  // Points that coincide (closer than 14 px): one marker, one label, and a row in the table under the chart —
  // however many writes each lost (the label gives the range), or one marker would hide the other.
  const clusters = clusterPoints(pts, 14).map((c) => c.map((k) => pts[k]!.i));
  clusters.sort((a, b) => a[0]! - b[0]!);
  const parts: string[] = [titleBlock(8, "Durability vs availability vs latency", `x: write unavailability per run · y: produce p99${useLog ? " (log)" : ""} · size: acknowledged writes lost`, width - 16)];
  // Legend: shapes and colours, under the x axis.
  const key: [string, string][] = [
    [`<path d="M0,-6L6,0L0,6L-6,0Z" fill="#fde0c5" stroke="#333" stroke-width="0.7"/>`, "Pareto front"],
    [`<circle r="5" fill="#fde0c5" stroke="#333" stroke-width="0.7"/>`, "dominated; pale: no write lost"],
    [`<circle r="5" fill="#f08a4b" stroke="#333" stroke-width="0.7"/>`, "some writes lost"],
    [`<circle r="5" fill="#b00020" stroke="#333" stroke-width="0.7"/>`, "over half the most lost"],
  ];
  let kx = left;
  for (const [shape, words] of key) {
    parts.push(`<g class="legend-entry" transform="translate(${n1(kx + 6)},${n1(bottom + 46)})">${shape}</g><text x="${n1(kx + 16)}" y="${n1(bottom + 49.5)}" font-size="9.5">${esc(words)}</text>`);
    kx += 30 + textWidth(words, 9.5);
  }
  parts.push(axisBottom(x, bottom, { title: "write unavailability per run (ms)" }));
  parts.push(axisLeft(y, left, { title: "produce p99 (ms)", format: (v) => fmtNumber(v), grid: plotR }));
  const labelItems: { want: number; size: number; text: string; cx: number; cy: number }[] = [];
  for (const c of clusters) {
    const members = c.map((k) => rows[k]!);
    const cx = c.reduce((s, k) => s + pts[k]!.x, 0) / c.length;
    const cy = c.reduce((s, k) => s + pts[k]!.y, 0) / c.length;
    const lost = Math.max(...members.map((m) => m.lostWrites));
    const rad = 4 + 8 * Math.sqrt(lost / maxLost);
    const front = members.some((m) => m.pareto);
    const fill = lost === 0 ? "#fde0c5" : lost / maxLost > 0.5 ? "#b00020" : "#f08a4b";
    const shape = front ? `<path d="M${n1(cx)},${n1(cy - rad - 2)}L${n1(cx + rad + 2)},${n1(cy)}L${n1(cx)},${n1(cy + rad + 2)}L${n1(cx - rad - 2)},${n1(cy)}Z"` : `<circle cx="${n1(cx)}" cy="${n1(cy)}" r="${n1(rad)}"`;
    const names = c.map((k) => `#${k + 1}`).join(" ");
    parts.push(`<g class="point" data-rows="${c.map((k) => k + 1).join(",")}">${shape} fill="${fill}" stroke="#333" stroke-width="0.7"><title>${esc(`${names}: lost ${members.map((m) => m.lostWrites).join("/")}, unavailable ${members.map((m) => formatMs(m.unavailableMs)).join("/")}, p99 ${members.map((m) => formatMs(m.latencyMs.p99)).join("/")}`)}</title>${front ? "</path>" : "</circle>"}</g>`);
    const text = `${names}: lost ${lost === Math.min(...members.map((m) => m.lostWrites)) ? lost : `${Math.min(...members.map((m) => m.lostWrites))}–${lost}`}`;
    labelItems.push({ want: cy, size: 12.5, text, cx: cx + rad, cy });
  }
  const lx = plotR + 24;
  const pos = placeColumn(labelItems, top, bottom + 20, 1);
  labelItems.forEach((l, k) => {
    const c = pos[k];
    if (c === null || c === undefined) return;
    parts.push(`<path class="leader" d="M${n1(l.cx + 1)},${n1(l.cy)}L${n1(lx - 3)},${n1(c)}" stroke="#aaa" stroke-width="0.6" fill="none"/>`);
    parts.push(`<text class="label" x="${n1(lx)}" y="${n1(c + 3.5)}" font-size="10">${esc(fitText(l.text, 10, width - lx - 6))}</text>`);
  });
  return { svg: svgDoc(width, bottom + 62, parts.join(""), "Trade-off scatter"), clusters: clusters.filter((c) => c.length > 1) };
}

/** The three objectives as bars, one row per configuration, an axis under each panel. */
export function tradeoffBarsSvg(rows: readonly ConfigRow[], label: (r: ConfigRow, i: number) => string, opts: { readonly width?: number } = {}): string {
  const width = opts.width ?? 1180;
  const labelW = Math.min(380, Math.max(...rows.map((r, i) => textWidth(label(r, i), 10))) + 12);
  const rowH = 17;
  const top = 48;
  const bottom = top + rows.length * rowH;
  const panelW = (width - labelW - 16 - 2 * 24) / 3;
  const panels: { title: string; read: (r: ConfigRow) => number; format: (v: number) => string }[] = [
    { title: "acknowledged writes lost", read: (r) => r.lostWrites, format: fmtNumber },
    { title: "unavailable ms per run", read: (r) => r.unavailableMs, format: fmtNumber },
    { title: "produce p99 (ms)", read: (r) => r.latencyMs.p99 ?? 0, format: fmtNumber },
  ];
  const parts: string[] = [titleBlock(8, "Per configuration", "shorter is better on each; gold: on the Pareto front", width - 16)];
  rows.forEach((r, i) => parts.push(`<text class="row-label" x="${n1(8 + labelW - 8)}" y="${n1(top + i * rowH + rowH / 2 + 3.5)}" text-anchor="end" font-size="10">${esc(label(r, i))}</text>`));
  panels.forEach((p, k) => {
    const x0 = 8 + labelW + k * (panelW + 24);
    const max = Math.max(1, ...rows.map(p.read));
    const x = linearScale([0, max * 1.05], [x0, x0 + panelW]);
    rows.forEach((r, i) => {
      const v = p.read(r);
      parts.push(`<rect class="bar" x="${n1(x0)}" y="${n1(top + i * rowH + 3)}" width="${n1(Math.max(0, x(v) - x0))}" height="${rowH - 6}" fill="${r.pareto ? "#e9a100" : "#8d99ae"}"><title>${esc(`#${i + 1} ${p.title}: ${p.format(v)}`)}</title></rect>`);
    });
    parts.push(axisBottom(x, bottom + 2, { title: p.title }));
  });
  return svgDoc(width, bottom + 40, parts.join(""), "Per-configuration bars");
}
