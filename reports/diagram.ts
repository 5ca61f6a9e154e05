// The message diagram (a space-time diagram, Lamport style): a vertical lane per node, time downwards at its real
// scale, produce requests (solid) and acknowledgements (dashed) as lines between a client and the leader at the
// times they happened. Every anomalous record in the window is drawn in its colour, with a tick on the client's
// lane at its send and at its acknowledgement (`data-value`; the ack tick is the anchor `rec-<value>`); runs of
// records too close to tell apart become one band with one label. Grey lines: a sample of the other sends.
// Faults, down and cut intervals, elections, ISR changes, truncations and the HW sit on the lanes they concern;
// the events the oracle cites are ringed. Labels stand in a column right of their lane, stacked so that none
// overlaps another, each with a leader line to its point when it had to move.
import type { RunResult } from "../sim/result.ts";
import { axisLeft, esc, fitText, linearScale, n1, svgDoc, titleBlock } from "./svg.ts";
import { placeColumn } from "./layout.ts";
import { legend, symbol, SYMBOL_DEFS, SYMBOLS } from "./symbols.ts";
import type { SymbolKind } from "./symbols.ts";
import type { DiagramRecord, FocusWindow } from "./messages.ts";
import type { LaneEvent, LaneInterval } from "./run-events.ts";
import { laneTitle, mergeRuns } from "./run-events.ts";
import { MARK_WORDS } from "./marks.ts";
import { fmtS, ranges } from "./records.ts";
import { evidenceAnchor } from "./anomaly-groups.ts";

export interface DiagramInput {
  readonly focus: FocusWindow;
  readonly records: readonly DiagramRecord[];
  readonly events: readonly LaneEvent[];
  readonly intervals: readonly LaneInterval[];
  /** Evidence indices the oracle cites. */
  readonly cited: ReadonlySet<number>;
  readonly width?: number;
}

const FONT = 9;
const LINE = 11.5;

interface ColumnLabel {
  readonly lane: string;
  readonly anchorY: number;
  readonly lines: readonly string[];
  readonly priority: number;
  readonly title?: string;
  readonly href?: string;
  readonly bold?: boolean;
}

/** Lanes worth a column: the clients and brokers of the records, every broker (up to 6), and any node with an
 *  event or interval in the window; producers first, then brokers, consumers, ZooKeeper. */
export function diagramLanes(r: RunResult, input: Pick<DiagramInput, "records" | "events" | "intervals">): string[] {
  const wanted = new Set<string>();
  for (const d of input.records) {
    wanted.add(d.lane);
    if (d.broker) wanted.add(d.broker);
  }
  for (const e of input.events) wanted.add(e.lane);
  for (const i of input.intervals) wanted.add(i.lane);
  if (r.scenario.brokers <= 6) for (let b = 1; b <= r.scenario.brokers; b++) wanted.add(`broker-${b}`);
  if (r.scenario.producers.length <= 3) for (const p of r.scenario.producers) wanted.add(p.id);
  const rank = (l: string): number => (r.scenario.producers.some((p) => p.id === l) ? 0 : /^broker-\d+$/.test(l) ? 1 : l === "zk" ? 3 : 2);
  return [...wanted].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b, "en", { numeric: true }));
}

const colorOf = (kind: DiagramRecord["kind"]): string => (kind === "context" ? "#9aa5b1" : SYMBOLS[kind].color);

export function diagramSvg(r: RunResult, input: DiagramInput): string {
  const width = input.width ?? 1180;
  const [w0, w1] = input.focus.windowMs;
  const lanes = diagramLanes(r, { records: input.records, events: input.events.filter((e) => e.tMs >= w0 && e.tMs <= w1), intervals: input.intervals.filter((i) => i.endMs >= w0 && i.startMs <= w1) });
  const axisX = 66;
  const plotL = axisX + 14;
  const spacing = (width - plotL - 8) / Math.max(1, lanes.length);
  const laneX = new Map(lanes.map((l, i) => [l, plotL + 6 + i * spacing]));
  const colRight = (i: number): number => (i + 1 < lanes.length ? plotL + 6 + (i + 1) * spacing - 10 : width - 6);
  const top = 70;
  const height = 760;
  const bottom = top + height;
  const y = linearScale([w0, w1], [top, bottom]);
  const yc = (t: number): number => Math.min(Math.max(y(t), top), bottom);
  const inWin = (t: number | null): t is number => t !== null && t >= w0 && t <= w1;
  const kinds = new Set<SymbolKind>();
  const parts: string[] = [];
  const events = mergeRuns(
    input.events.filter((e) => inWin(e.tMs)),
    (40 * (w1 - w0)) / height,
    (e) => e.evidence !== undefined && input.cited.has(e.evidence),
  );
  const labels: ColumnLabel[] = [];

  // Lanes and their intervals.
  for (const lane of lanes) {
    const x = laneX.get(lane)!;
    parts.push(`<text class="lane-name" x="${n1(x)}" y="${top - 8}" text-anchor="middle" font-size="10.5" font-weight="bold">${esc(fitText(laneTitle(lane), 10.5, spacing - 12))}</text>`);
    parts.push(`<line x1="${n1(x)}" x2="${n1(x)}" y1="${top}" y2="${bottom}" stroke="#bbb"/>`);
  }
  for (const i of input.intervals) {
    const x = laneX.get(i.lane);
    if (x === undefined || i.endMs < w0 || i.startMs > w1) continue;
    kinds.add(i.kind);
    const y0 = yc(i.startMs);
    const y1 = yc(i.endMs);
    const h = n1(Math.max(1, y1 - y0));
    if (i.kind === "cut") parts.push(`<rect class="interval" data-kind="cut" x="${n1(x + 3)}" y="${n1(y0)}" width="6" height="${h}" fill="url(#hatch)" stroke="#e76f51" stroke-width="0.6"><title>${esc(`${laneTitle(i.lane)}: ${i.label}`)}</title></rect>`);
    else parts.push(`<rect class="interval" data-kind="${i.kind}" x="${n1(x - 3)}" y="${n1(y0)}" width="6" height="${h}" fill="${i.kind === "down" ? "#9e9e9e" : "#d0d0d0"}"${i.kind === "paused" ? ` stroke="#888" stroke-dasharray="2,2"` : ""}><title>${esc(`${laneTitle(i.lane)} ${i.label}`)}</title></rect>`);
    // Its label, unless the fault that started it says it on this lane.
    if (i.startMs < w0 || !events.some((e) => e.lane === i.lane && (e.kind === "fault" || e.kind === "heal") && Math.abs(e.tMs - i.startMs) < 0.5)) {
      labels.push({ lane: i.lane, anchorY: y0, lines: [`${i.kind === "cut" ? `cut: ${i.label}` : i.label}${i.startMs < w0 ? ` since ${fmtS(i.startMs)}` : ""}`], priority: 7 });
    }
  }

  // Records: context first (underneath), then the anomalous ones, banded when too close to tell apart.
  const ctx = input.records.filter((d) => d.kind === "context");
  const marked = input.records.filter((d) => d.kind !== "context");
  // Lines that start or end outside the window are cut at its edges.
  parts.push(`<clipPath id="plot-clip"><rect x="0" y="${top}" width="${width}" height="${height}"/></clipPath><g clip-path="url(#plot-clip)">`);
  for (const d of ctx) parts.push(recordLines(d, laneX, y, false));
  if (ctx.length > 0) {
    kinds.add("produce");
    kinds.add("ack");
  }
  const bands = bandsOf(marked, y);
  for (const b of bands) {
    const d0 = b[0]!;
    kinds.add(d0.kind as SymbolKind);
    kinds.add("produce");
    if (d0.endType === "ok") kinds.add("ack");
    if (b.length >= 3) parts.push(bandPolygons(b, laneX, y));
    else for (const d of b) parts.push(recordLines(d, laneX, y, true));
    const words = d0.kind === "context" ? "" : d0.kind === "other-anomaly" ? d0.type : MARK_WORDS[d0.kind];
    const values = ranges(
      b.map((d) => d.value),
      2,
    );
    const rep = b.filter((d) => d.replicatedMs !== null).length;
    const repWords = rep === 0 ? "never replicated" : rep === b.length ? "replicated" : `${rep} of ${b.length} replicated`;
    const ack = d0.endType === "ok" ? `acked by ${d0.broker ? laneTitle(d0.broker) : "?"}` : d0.endType === null ? "no answer" : d0.endType === "fail" ? "failed" : "outcome unknown";
    const first = b.find((d) => inWin(d.endMs) || inWin(d.invokeMs))!;
    labels.push({
      lane: d0.lane,
      anchorY: yc(first.endMs ?? first.invokeMs),
      lines: [`${b.length === 1 ? "" : `${b.length} `}${words} v${values}`, `${ack}, ${repWords}`],
      priority: 20,
      href: `#g-${d0.group ?? ""}`,
      bold: true,
      title: `${b.length} ${words} record(s) v${ranges(b.map((d) => d.value), 20)} of ${d0.tp}: sent ${fmtS(b[0]!.invokeMs)}–${fmtS(b[b.length - 1]!.invokeMs)}, ${ack}, ${repWords}`,
    });
  }
  parts.push("</g>");
  // Per record ticks on the client's lane (send and ack): the marks the browser test finds at their times.
  const anchored = new Set<number>();
  for (const d of marked) {
    const x = laneX.get(d.lane);
    if (x === undefined) continue;
    const c = colorOf(d.kind);
    if (inWin(d.invokeMs)) parts.push(`<line class="rec rec-produce" data-kind="${d.kind}" data-value="${d.value}" x1="${n1(x - 7)}" x2="${n1(x)}" y1="${n1(y(d.invokeMs))}" y2="${n1(y(d.invokeMs))}" stroke="${c}" stroke-width="1.5"/>`);
    if (d.endType === "ok" && inWin(d.endMs)) {
      const id = anchored.has(d.value) ? "" : ` id="rec-${d.value}"`;
      anchored.add(d.value);
      parts.push(`<line${id} class="rec rec-ack" data-kind="${d.kind}" data-value="${d.value}" x1="${n1(x - 12)}" x2="${n1(x)}" y1="${n1(y(d.endMs))}" y2="${n1(y(d.endMs))}" stroke="${c}" stroke-width="2"><title>${esc(`v${d.value} ${d.kind === "context" ? "" : MARK_WORDS[d.kind]}: acknowledged at ${fmtS(d.endMs)} (offset ${d.offset ?? "?"})`)}</title></line>`);
    } else if (d.endType !== null && d.endType !== "ok" && inWin(d.endMs)) {
      kinds.add("send-failed");
      parts.push(symbol("send-failed", x, y(d.endMs), true, `v${d.value} ${d.endType}`));
    }
  }
  // Replication: one check per broker and pixel row.
  const checks = new Map<string, DiagramRecord[]>();
  for (const d of marked) {
    if (!inWin(d.replicatedMs) || d.broker === null || !laneX.has(d.broker)) continue;
    const k = `${d.broker}/${Math.round(y(d.replicatedMs) / 4)}`;
    const l = checks.get(k);
    if (l) l.push(d);
    else checks.set(k, [d]);
  }
  for (const list of checks.values()) {
    const d = list[0]!;
    kinds.add("replicated");
    parts.push(symbol("replicated", laneX.get(d.broker!)! + 10, y(d.replicatedMs!), true, `HW passed v${ranges(list.map((x) => x.value), 10)} at ${fmtS(d.replicatedMs!)}: the ISR held them`));
  }

  // Events on their lanes; the cited ones ringed and anchored (once: a fault on three lanes is one event).
  const anchoredEv = new Set<number>();
  for (const e of events) {
    const x = laneX.get(e.lane);
    if (x === undefined || !inWin(e.tMs)) continue;
    kinds.add(e.kind);
    const cited = e.evidence !== undefined && input.cited.has(e.evidence);
    if (cited) kinds.add("cause");
    const id = cited && e.evidence !== undefined && !anchoredEv.has(e.evidence) ? ` id="${evidenceAnchor({ source: "trace", index: e.evidence })}"` : "";
    if (e.evidence !== undefined) anchoredEv.add(e.evidence);
    parts.push(`<g${id}>${symbol(e.kind, x, y(e.tMs), true, `${fmtS(e.tMs)}: ${e.detail}`)}${cited ? symbol("cause", x, y(e.tMs), true) : ""}</g>`);
    if (e.label) labels.push({ lane: e.lane, anchorY: y(e.tMs), lines: [`${fmtS(e.tMs)} ${e.label}`], priority: e.priority + (cited ? 15 : 0), bold: cited, title: e.detail });
  }

  // Label columns.
  lanes.forEach((lane, i) => {
    const x0 = laneX.get(lane)! + 12;
    const maxW = colRight(i) - x0;
    const mine = labels.filter((l) => l.lane === lane);
    const pos = placeColumn(
      mine.map((l) => ({ want: l.anchorY, size: l.lines.length * LINE, priority: l.priority })),
      top,
      bottom,
      1.5,
    );
    mine.forEach((l, k) => {
      const c = pos[k];
      if (c === null || c === undefined) return;
      const h = l.lines.length * LINE;
      const ty = c - h / 2;
      const lx = laneX.get(lane)!;
      if (Math.abs(c - l.anchorY) > 3) parts.push(`<path class="leader" d="M${n1(lx + 2)},${n1(l.anchorY)}L${n1(x0 - 2)},${n1(c)}" stroke="#999" stroke-width="0.6" fill="none"/>`);
      const tspans = l.lines.map((line, j) => `<tspan x="${n1(x0)}" y="${n1(ty + (j + 1) * LINE - 2.5)}">${esc(fitText(line, FONT, maxW))}</tspan>`).join("");
      const text = `<text class="label" font-size="${FONT}"${l.bold ? ` font-weight="bold"` : ""} paint-order="stroke" stroke="#fff" stroke-width="3" stroke-linejoin="round">${tspans}${l.title ? `<title>${esc(l.title)}</title>` : ""}</text>`;
      parts.push(l.href ? `<a href="${esc(l.href)}">${text}</a>` : text);
    });
  });

  const head = titleBlock(8, `Messages, ${fmtS(w0)} – ${fmtS(w1)}`, `${input.focus.reason}; each line at its real times (produce: client → leader's append; dashed: the ack back)`, width - 16);
  const axis = axisLeft(y, axisX, { title: "virtual time (ms)", maxTicks: 14 });
  const lg = legend(kinds, 8, bottom + 14, width - 16, true);
  return svgDoc(width, bottom + 14 + lg.height + 8, SYMBOL_DEFS + MARKERS + head + axis + parts.join("") + lg.svg, "Message diagram of the interesting window");
}

const MARKERS = `<defs>${["#9aa5b1", SYMBOLS["lost-ack"].color, SYMBOLS.duplicate.color, SYMBOLS.reorder.color, SYMBOLS["other-anomaly"].color]
  .map((c, i) => `<marker id="arrow-${i}" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0L8,4L0,8Z" fill="${c}"/></marker>`)
  .join("")}</defs>`;
const markerOf = (kind: DiagramRecord["kind"]): number => ({ context: 0, "lost-ack": 1, duplicate: 2, reorder: 3, "other-anomaly": 4 })[kind];

function recordLines(d: DiagramRecord, laneX: ReadonlyMap<string, number>, y: (t: number) => number, strong: boolean): string {
  const xl = laneX.get(d.lane);
  const xb = d.broker !== null ? laneX.get(d.broker) : undefined;
  if (xl === undefined || xb === undefined) return "";
  const c = colorOf(d.kind);
  const w = strong ? 1.4 : 0.8;
  const op = strong ? 1 : 0.6;
  const tApp = d.appendMs ?? d.invokeMs;
  const m = `url(#arrow-${markerOf(d.kind)})`;
  const kind = d.kind === "context" ? "context" : d.kind;
  let s = `<g class="msg" data-kind="${kind}" data-value="${d.value}" opacity="${op}"><line data-kind="produce" x1="${n1(xl)}" y1="${n1(y(d.invokeMs))}" x2="${n1(xb)}" y2="${n1(y(tApp))}" stroke="${c}" stroke-width="${w}" marker-end="${m}"/>`;
  if (d.endType === "ok" && d.endMs !== null) s += `<line data-kind="ack" x1="${n1(xb)}" y1="${n1(y(tApp))}" x2="${n1(xl)}" y2="${n1(y(d.endMs))}" stroke="${c}" stroke-width="${w}" stroke-dasharray="4,2" marker-end="${m}"/>`;
  return `${s}<title>${esc(`v${d.value} → ${d.tp}: sent ${fmtS(d.invokeMs)}${d.appendMs !== null ? `, appended ${fmtS(d.appendMs)}` : ""}${d.endMs !== null ? `, ${d.endType} ${fmtS(d.endMs)}` : ", no answer"}`)}</title></g>`;
}

/** Consecutive anomalous records of one kind, client and leader whose lines would lie within 5 px of each other. */
function bandsOf(records: readonly DiagramRecord[], y: (t: number) => number): DiagramRecord[][] {
  const out: DiagramRecord[][] = [];
  for (const d of records) {
    const last = out[out.length - 1];
    const p = last?.[last.length - 1];
    const close = (a: number | null, b: number | null): boolean => (a === null && b === null) || (a !== null && b !== null && Math.abs(y(a) - y(b)) < 5);
    if (last && p && p.kind === d.kind && p.lane === d.lane && p.broker === d.broker && p.endType === d.endType && close(p.invokeMs, d.invokeMs) && close(p.endMs, d.endMs)) last.push(d);
    else out.push([d]);
  }
  return out;
}

function bandPolygons(b: readonly DiagramRecord[], laneX: ReadonlyMap<string, number>, y: (t: number) => number): string {
  const d0 = b[0]!;
  const dn = b[b.length - 1]!;
  const xl = laneX.get(d0.lane);
  const xb = d0.broker !== null ? laneX.get(d0.broker) : undefined;
  if (xl === undefined || xb === undefined) return "";
  const c = colorOf(d0.kind);
  const app = (d: DiagramRecord): number => d.appendMs ?? d.invokeMs;
  const pt = (x: number, t: number): string => `${n1(x)},${n1(y(t))}`;
  let s = `<g class="band" data-kind="${d0.kind}"><polygon data-kind="produce" points="${pt(xl, d0.invokeMs)} ${pt(xb, app(d0))} ${pt(xb, app(dn))} ${pt(xl, dn.invokeMs)}" fill="${c}" fill-opacity="0.07" stroke="${c}" stroke-width="0.8"/>`;
  if (d0.endType === "ok" && d0.endMs !== null && dn.endMs !== null) s += `<polygon data-kind="ack" points="${pt(xb, app(d0))} ${pt(xl, d0.endMs)} ${pt(xl, dn.endMs)} ${pt(xb, app(dn))}" fill="${c}" fill-opacity="0.07" stroke="${c}" stroke-width="0.8" stroke-dasharray="4,2"/>`;
  return `${s}</g>`;
}
