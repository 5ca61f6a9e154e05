// SVG building blocks for the reports' charts, written as strings in Node (no browser, no chart library): scales,
// axes whose tick labels are spaced by their measured width, text measured in a monospace font so that a label's
// box is known before it is drawn (reports/layout.ts places labels with it so they never overlap).

/** Escapes text for HTML and SVG. */
export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Every chart's text uses this font: one width per character makes a label's box computable here. */
export const CHART_FONT = "'DejaVu Sans Mono', Menlo, Consolas, 'Liberation Mono', monospace";
/** Advance width of a monospace character per unit of font size (DejaVu Sans Mono 0.602, Menlo 0.602, Consolas
 *  0.55, Liberation Mono 0.600), rounded up. */
const CHAR_EM = 0.61;

export function textWidth(s: string, fontSize: number): number {
  return [...s].length * CHAR_EM * fontSize;
}

/** The text, cut with "…" to fit maxWidth. */
export function fitText(s: string, fontSize: number, maxWidth: number): string {
  const chars = [...s];
  const max = Math.floor(maxWidth / (CHAR_EM * fontSize));
  if (chars.length <= max) return s;
  if (max <= 1) return "";
  return chars.slice(0, max - 1).join("") + "…";
}

/** Coordinates in SVG text: one decimal is enough and keeps the files small. */
export function n1(x: number): string {
  return String(Math.round(x * 10) / 10);
}

export interface Scale {
  (v: number): number;
  readonly domain: readonly [number, number];
  readonly range: readonly [number, number];
  readonly ticks: (maxCount: number) => number[];
}

export function linearScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  const span = d1 - d0 || 1;
  const f = ((v: number) => range[0] + ((v - d0) / span) * (range[1] - range[0])) as Scale;
  return Object.assign(f, { domain, range, ticks: (maxCount: number) => niceTicks(d0, d1, maxCount) });
}

/** Log scale (base 10) over a positive domain; values below the domain are drawn at its bottom. */
export function logScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const l0 = Math.log10(domain[0]);
  const l1 = Math.log10(domain[1]);
  const span = l1 - l0 || 1;
  const f = ((v: number) => range[0] + ((Math.log10(Math.max(v, domain[0])) - l0) / span) * (range[1] - range[0])) as Scale;
  const ticks = (maxCount: number): number[] => {
    const decades: number[] = [];
    for (let e = Math.ceil(l0); e <= Math.floor(l1); e++) decades.push(e);
    const every = Math.max(1, Math.ceil(decades.length / Math.max(1, maxCount)));
    return decades.filter((e) => (Math.floor(l1) - e) % every === 0).map((e) => 10 ** e);
  };
  return Object.assign(f, { domain, range, ticks });
}

/** Round tick values (1, 2, 5 × 10^k steps) inside [lo, hi], at most maxCount of them. */
export function niceTicks(lo: number, hi: number, maxCount: number): number[] {
  if (!(hi > lo) || maxCount < 1) return [lo];
  const raw = (hi - lo) / Math.max(1, maxCount);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => (hi - lo) / s <= maxCount) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}

/** A tick label: thousands separated, at most 2 decimals. */
export function fmtNumber(v: number): string {
  if (v === 0) return "0";
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 0 : abs >= 1 ? 1 : 2;
  return v.toLocaleString("en-US", { maximumFractionDigits: digits });
}

export const AXIS_FONT = 10;

/** A horizontal axis at y (ticks below), its labels never closer than a gap: the tick count is chosen from the
 *  widest label. `data-v` on each tick carries its value (the browser test reads positions back through it). */
export function axisBottom(scale: Scale, y: number, opts: { readonly title?: string; readonly format?: (v: number) => string; readonly className?: string } = {}): string {
  const format = opts.format ?? fmtNumber;
  const [r0, r1] = scale.range;
  const span = Math.abs(r1 - r0);
  let ticks = scale.ticks(10);
  for (let count = 10; count >= 2; count--) {
    ticks = scale.ticks(count);
    const widest = Math.max(...ticks.map((t) => textWidth(format(t), AXIS_FONT)));
    if (ticks.length * (widest + 12) <= span) break;
  }
  const parts: string[] = [`<g class="axis axis-x${opts.className ? ` ${opts.className}` : ""}">`, `<line x1="${n1(r0)}" x2="${n1(r1)}" y1="${n1(y)}" y2="${n1(y)}" stroke="#888"/>`];
  for (const t of ticks) {
    const x = scale(t);
    parts.push(`<g class="tick" data-v="${t}"><line x1="${n1(x)}" x2="${n1(x)}" y1="${n1(y)}" y2="${n1(y + 4)}" stroke="#888"/><text x="${n1(x)}" y="${n1(y + 14)}" text-anchor="middle">${esc(format(t))}</text></g>`);
  }
  if (opts.title) parts.push(`<text class="axis-title" x="${n1((r0 + r1) / 2)}" y="${n1(y + 28)}" text-anchor="middle" fill="#444">${esc(opts.title)}</text>`);
  parts.push("</g>");
  return parts.join("");
}

/** A vertical axis at x (labels to its left), ticks at least a line apart. */
export function axisLeft(scale: Scale, x: number, opts: { readonly title?: string; readonly format?: (v: number) => string; readonly maxTicks?: number; readonly grid?: number; readonly ticks?: readonly number[] } = {}): string {
  const format = opts.format ?? fmtNumber;
  const [r0, r1] = scale.range;
  const span = Math.abs(r1 - r0);
  const maxTicks = Math.max(2, Math.min(opts.maxTicks ?? 8, Math.floor(span / (AXIS_FONT * 1.8))));
  // Tick labels at least a line apart (given ticks are thinned the same way).
  const ticks: number[] = [];
  for (const t of opts.ticks ?? scale.ticks(maxTicks)) {
    const last = ticks[ticks.length - 1];
    if (last === undefined || Math.abs(scale(t) - scale(last)) >= AXIS_FONT * 1.4) ticks.push(t);
  }
  const parts: string[] = [`<g class="axis axis-y">`, `<line x1="${n1(x)}" x2="${n1(x)}" y1="${n1(r0)}" y2="${n1(r1)}" stroke="#888"/>`];
  for (const t of ticks) {
    const y = scale(t);
    const grid = opts.grid !== undefined ? `<line x1="${n1(x)}" x2="${n1(opts.grid)}" y1="${n1(y)}" y2="${n1(y)}" stroke="#eee"/>` : "";
    parts.push(`<g class="tick" data-v="${t}">${grid}<line x1="${n1(x - 4)}" x2="${n1(x)}" y1="${n1(y)}" y2="${n1(y)}" stroke="#888"/><text x="${n1(x - 6)}" y="${n1(y + 3.5)}" text-anchor="end">${esc(format(t))}</text></g>`);
  }
  if (opts.title) parts.push(`<text class="axis-title" transform="translate(${n1(x - 44)},${n1((r0 + r1) / 2)}) rotate(-90)" text-anchor="middle" fill="#444">${esc(opts.title)}</text>`);
  parts.push("</g>");
  return parts.join("");
}

/** The document: a fixed coordinate system that scales down to its container (text and layout scale with it). */
export function svgDoc(width: number, height: number, body: string, label: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${n1(width)} ${n1(height)}" width="${n1(width)}" height="${n1(height)}" role="img" aria-label="${esc(label)}" font-family="${esc(CHART_FONT)}" font-size="${AXIS_FONT}" style="max-width:100%;height:auto">${body}</svg>`;
}

/** A chart title and subtitle at the top left. */
export function titleBlock(x: number, title: string, subtitle: string | undefined, maxWidth: number): string {
  const t = `<text class="chart-title" x="${n1(x)}" y="16" font-size="13" font-weight="bold">${esc(fitText(title, 13, maxWidth))}</text>`;
  return subtitle ? `${t}<text class="chart-subtitle" x="${n1(x)}" y="32" font-size="10" fill="#555">${esc(fitText(subtitle, 10, maxWidth))}</text>` : t;
}

/** A polyline path through points (already in pixels), as compact as SVG allows. */
export function pathOf(points: readonly (readonly [number, number])[]): string {
  if (points.length === 0) return "";
  let d = `M${n1(points[0]![0])},${n1(points[0]![1])}`;
  for (let i = 1; i < points.length; i++) d += `L${n1(points[i]![0])},${n1(points[i]![1])}`;
  return d;
}

/** A step-after path: the value holds until the next point, and to xEnd after the last. */
export function stepPath(points: readonly (readonly [number, number])[], xEnd: number): string {
  if (points.length === 0) return "";
  const out: [number, number][] = [];
  for (let i = 0; i < points.length; i++) {
    const [x, y] = points[i]!;
    if (i > 0) out.push([x, points[i - 1]![1]]);
    out.push([x, y]);
  }
  out.push([xEnd, points[points.length - 1]![1]]);
  return pathOf(out);
}

/** A categorical palette (colour-blind friendly: Okabe–Ito, then Tableau). */
export const PALETTE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000", "#4e79a7", "#f28e2b"];
