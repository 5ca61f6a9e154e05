// The symbols of the run charts (timeline and message diagram) and their legend: one table, so every symbol a
// chart draws is drawn the same way in its legend (the browser test checks that each kind drawn has an entry).
import { esc, n1, textWidth } from "./svg.ts";

export type SymbolKind =
  | "fault"
  | "cut"
  | "down"
  | "paused"
  | "heal"
  | "leader"
  | "unclean-leader"
  | "offline"
  | "isr-shrink"
  | "isr-expand"
  | "truncate"
  | "session-expired"
  | "controller"
  | "recovered"
  | "hw"
  | "replicated"
  | "cause"
  | "lost-ack"
  | "duplicate"
  | "reorder"
  | "other-anomaly"
  | "send-failed"
  | "retry"
  | "rebalance"
  | "member-left"
  | "produce"
  | "ack"
  | "poll"
  | "commit"
  | "processed"
  | "window"
  | "drain";

interface SymbolDef {
  readonly label: string;
  readonly color: string;
  /** The symbol centred at (x, y); `vertical`: drawn across a vertical lane (the message diagram). */
  readonly draw: (x: number, y: number, vertical: boolean) => string;
}

const tri = (x: number, y: number, down: boolean, fill: string): string =>
  down ? `<path d="M${n1(x - 5)},${n1(y - 4)}L${n1(x + 5)},${n1(y - 4)}L${n1(x)},${n1(y + 4)}Z" fill="${fill}"/>` : `<path d="M${n1(x - 5)},${n1(y + 4)}L${n1(x + 5)},${n1(y + 4)}L${n1(x)},${n1(y - 4)}Z" fill="${fill}"/>`;
const diamond = (x: number, y: number, fill: string): string => `<path d="M${n1(x)},${n1(y - 6)}L${n1(x + 5)},${n1(y)}L${n1(x)},${n1(y + 6)}L${n1(x - 5)},${n1(y)}Z" fill="${fill}"/>`;
const cross = (x: number, y: number, color: string, r = 5, w = 2.5): string => `<path d="M${n1(x - r)},${n1(y - r)}L${n1(x + r)},${n1(y + r)}M${n1(x + r)},${n1(y - r)}L${n1(x - r)},${n1(y + r)}" stroke="${color}" stroke-width="${w}"/>`;
/** A short tick across the lane: horizontal on a vertical lane, vertical on a horizontal one. */
const tick = (x: number, y: number, vertical: boolean, color: string, len = 6, w = 1.6): string =>
  vertical ? `<line x1="${n1(x - len)}" x2="${n1(x + len)}" y1="${n1(y)}" y2="${n1(y)}" stroke="${color}" stroke-width="${w}"/>` : `<line x1="${n1(x)}" x2="${n1(x)}" y1="${n1(y - len)}" y2="${n1(y + len)}" stroke="${color}" stroke-width="${w}"/>`;
const bar = (x: number, y: number, vertical: boolean, fill: string, extra = ""): string =>
  vertical ? `<rect x="${n1(x - 4)}" y="${n1(y - 8)}" width="8" height="16" fill="${fill}"${extra}/>` : `<rect x="${n1(x - 8)}" y="${n1(y - 4)}" width="16" height="8" fill="${fill}"${extra}/>`;

export const SYMBOLS: Readonly<Record<SymbolKind, SymbolDef>> = {
  fault: { label: "fault fired", color: "#d62828", draw: (x, y) => cross(x, y, "#d62828") },
  cut: { label: "network cut (partition, isolation)", color: "#f4a261", draw: (x, y, v) => bar(x, y, v, "url(#hatch)", ` stroke="#e76f51" stroke-width="0.8"`) },
  down: { label: "down (killed, powered off, stopped)", color: "#9e9e9e", draw: (x, y, v) => bar(x, y, v, "#9e9e9e") },
  paused: { label: "paused", color: "#bdbdbd", draw: (x, y, v) => bar(x, y, v, "#d0d0d0", ` stroke="#888" stroke-dasharray="2,2"`) },
  heal: { label: "healed / restarted", color: "#2a9d8f", draw: (x, y, v) => tick(x, y, v, "#2a9d8f", 6, 3) },
  leader: { label: "leader elected", color: "#1d3557", draw: (x, y) => diamond(x, y, "#1d3557") },
  "unclean-leader": { label: "UNCLEAN leader elected", color: "#f77f00", draw: (x, y) => diamond(x, y, "#f77f00") },
  offline: { label: "partition offline", color: "#6a040f", draw: (x, y) => `<rect x="${n1(x - 4.5)}" y="${n1(y - 4.5)}" width="9" height="9" fill="#6a040f"/>` },
  "isr-shrink": { label: "ISR shrinks", color: "#e76f51", draw: (x, y) => tri(x, y, true, "#e76f51") },
  "isr-expand": { label: "ISR grows", color: "#2a9d8f", draw: (x, y) => tri(x, y, false, "#2a9d8f") },
  truncate: {
    label: "log truncated",
    color: "#7209b7",
    draw: (x, y) => `<path d="M${n1(x - 5)},${n1(y - 6)}L${n1(x + 5)},${n1(y - 6)}M${n1(x)},${n1(y - 6)}L${n1(x)},${n1(y + 6)}M${n1(x - 5)},${n1(y + 6)}L${n1(x + 5)},${n1(y + 6)}" stroke="#7209b7" stroke-width="2.2"/>`,
  },
  "session-expired": { label: "ZooKeeper session expired", color: "#555", draw: (x, y) => `<circle cx="${n1(x)}" cy="${n1(y)}" r="4.5" fill="#fff" stroke="#555" stroke-width="1.8"/>` },
  controller: { label: "became controller", color: "#000", draw: (x, y) => `<path d="M${n1(x - 4)},${n1(y - 5)}L${n1(x + 5)},${n1(y)}L${n1(x - 4)},${n1(y + 5)}Z" fill="#000"/>` },
  recovered: { label: "recovered its log from disk", color: "#2a9d8f", draw: (x, y) => `<rect x="${n1(x - 4)}" y="${n1(y - 4)}" width="8" height="8" fill="#fff" stroke="#2a9d8f" stroke-width="1.8"/>` },
  hw: { label: "high watermark (HW) then", color: "#6c757d", draw: (x, y, v) => tick(x, y, v, "#6c757d", 3, 1.2) },
  replicated: { label: "committed (the leader's HW passed it)", color: "#1b7f3b", draw: (x, y) => `<path d="M${n1(x - 4)},${n1(y)}L${n1(x - 1)},${n1(y + 3)}L${n1(x + 4)},${n1(y - 4)}" fill="none" stroke="#1b7f3b" stroke-width="1.8"/>` },
  cause: { label: "the event the oracle cites", color: "#b00020", draw: (x, y) => `<circle cx="${n1(x)}" cy="${n1(y)}" r="9" fill="none" stroke="#b00020" stroke-width="2"/>` },
  "lost-ack": { label: "acknowledged, then lost", color: "#b00020", draw: (x, y, v) => tick(x, y, v, "#b00020") },
  duplicate: { label: "duplicated record", color: "#e85d04", draw: (x, y, v) => tick(x, y, v, "#e85d04") },
  reorder: { label: "reordered record", color: "#9d4edd", draw: (x, y, v) => tick(x, y, v, "#9d4edd") },
  "other-anomaly": { label: "other anomalous record", color: "#c9184a", draw: (x, y, v) => tick(x, y, v, "#c9184a", 4) },
  "send-failed": { label: "send failed (error or timeout)", color: "#6c757d", draw: (x, y) => cross(x, y, "#6c757d", 3.5, 1.6) },
  retry: { label: "producer retried a batch", color: "#f4a261", draw: (x, y) => `<circle cx="${n1(x)}" cy="${n1(y)}" r="3" fill="#f4a261"/>` },
  rebalance: { label: "group rebalanced", color: "#168aad", draw: (x, y) => `<rect x="${n1(x - 4)}" y="${n1(y - 4)}" width="8" height="8" fill="none" stroke="#168aad" stroke-width="1.8"/>` },
  "member-left": { label: "member left its group", color: "#168aad", draw: (x, y) => cross(x, y, "#168aad", 3.5, 1.6) },
  produce: { label: "produce request (solid)", color: "#4a6fa5", draw: (x, y) => `<line x1="${n1(x - 9)}" x2="${n1(x + 9)}" y1="${n1(y)}" y2="${n1(y)}" stroke="#4a6fa5" stroke-width="1.4"/>` },
  ack: { label: "acknowledgement (dashed)", color: "#4a6fa5", draw: (x, y) => `<line x1="${n1(x - 9)}" x2="${n1(x + 9)}" y1="${n1(y)}" y2="${n1(y)}" stroke="#4a6fa5" stroke-width="1.4" stroke-dasharray="4,2"/>` },
  poll: { label: "records polled by a consumer", color: "#168aad", draw: (x, y) => `<line x1="${n1(x - 9)}" x2="${n1(x + 9)}" y1="${n1(y)}" y2="${n1(y)}" stroke="#168aad" stroke-width="1.2" stroke-dasharray="1,2"/>` },
  drain: { label: "heal-and-drain phase", color: "#2a9d8f", draw: (x, y) => `<rect x="${n1(x - 8)}" y="${n1(y - 5)}" width="16" height="10" fill="#2a9d8f" fill-opacity="0.12"/>` },
  commit: { label: "offset committed past the record", color: "#168aad", draw: (x, y) => `<circle cx="${n1(x)}" cy="${n1(y)}" r="3.5" fill="#168aad"/>` },
  processed: { label: "record processed", color: "#1b7f3b", draw: (x, y) => `<path d="M${n1(x - 4)},${n1(y)}L${n1(x - 1)},${n1(y + 3)}L${n1(x + 4)},${n1(y - 4)}" fill="none" stroke="#1b7f3b" stroke-width="2.4"/>` },
  window: { label: "the message diagram's window", color: "#3a86ff", draw: (x, y) => `<rect x="${n1(x - 8)}" y="${n1(y - 5)}" width="16" height="10" fill="#3a86ff" fill-opacity="0.15" stroke="#3a86ff"/>` },
};

/** Pattern and marker definitions the symbols use (once per SVG). */
export const SYMBOL_DEFS = `<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fde2cf"/><line x1="0" y1="0" x2="0" y2="6" stroke="#e76f51" stroke-width="2"/></pattern></defs>`;

/** A symbol with its kind on the element (the legend test reads `data-kind`). */
export function symbol(kind: SymbolKind, x: number, y: number, vertical: boolean, title?: string): string {
  return `<g class="sym" data-kind="${kind}">${SYMBOLS[kind].draw(x, y, vertical)}${title ? `<title>${esc(title)}</title>` : ""}</g>`;
}

export const LEGEND_FONT = 10;

/** The legend of the kinds a chart drew, wrapped into rows of maxWidth: returns its SVG and height. */
export function legend(kinds: Iterable<SymbolKind>, x: number, y: number, maxWidth: number, vertical: boolean): { svg: string; height: number } {
  const order = Object.keys(SYMBOLS) as SymbolKind[];
  const used = new Set(kinds);
  const entries = order.filter((k) => used.has(k));
  const rowH = 18;
  let cx = x;
  let cy = y + 9;
  const parts: string[] = [`<g class="legend">`];
  for (const k of entries) {
    const w = 24 + textWidth(SYMBOLS[k].label, LEGEND_FONT) + 14;
    if (cx + w > x + maxWidth && cx > x) {
      cx = x;
      cy += rowH;
    }
    parts.push(`<g class="legend-entry" data-kind="${k}">${SYMBOLS[k].draw(cx + 10, cy, vertical)}<text x="${n1(cx + 24)}" y="${n1(cy + 3.5)}" font-size="${LEGEND_FONT}">${esc(SYMBOLS[k].label)}</text></g>`);
    cx += w;
  }
  parts.push("</g>");
  return { svg: parts.join(""), height: entries.length === 0 ? 0 : cy - y + 10 };
}
