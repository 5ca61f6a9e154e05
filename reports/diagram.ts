// The message diagram (a space-time diagram, Lamport style): a vertical lane per node, time downwards at its real
// scale, produce requests (solid) and acknowledgements (dashed) as lines between a client and the leader at the
// times they happened. Every anomalous record in the window is drawn in its colour: a write with a tick on its
// producer's lane at its send and at its acknowledgement (a duplicate also at each leader write), a read (a
// record committed unprocessed, skipped, ...) from the leader to its consumer at the poll, with the commit and
// the processing that followed. Ticks on one pixel row are one element (`data-value`, `data-values`); the ack or
// poll tick is the anchor `rec-<value>` the anomaly list links to. Runs of records too close to tell apart become
// one band with one label. Grey lines: a sample of the other sends.
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
import { fmtS, ranges, valueSpan } from "./records.ts";
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
    if (d.read) wanted.add(d.read.lane);
    if (d.read?.broker) wanted.add(d.read.broker);
  }
  for (const e of input.events) wanted.add(e.lane);
  for (const i of input.intervals) wanted.add(i.lane);
  if (r.scenario.brokers <= 6) for (let b = 1; b <= r.scenario.brokers; b++) wanted.add(`broker-${b}`);
  if (r.scenario.producers.length <= 3) for (const p of r.scenario.producers) wanted.add(p.id);
  const rank = (l: string): number => (r.scenario.producers.some((p) => p.id === l) ? 0 : /^broker-\d+$/.test(l) ? 1 : l === "zk" ? 3 : 2);
  return [...wanted].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b, "en", { numeric: true }));
}

const colorOf = (kind: DiagramRecord["kind"]): string => (kind === "context" ? "#9aa5b1" : SYMBOLS[kind].color);

/** The diagram, and for each value marked in it the id of its mark (rec-<value>, or the shared tick's). */
export function diagramSvg(r: RunResult, input: DiagramInput): { svg: string; anchored: ReadonlyMap<number, string> } {
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

  // Records: the sample first (underneath), then the anomalous ones — a write in colour from its producer, a read
  // in colour from the leader to its consumer (its produce then drawn grey). A run of like records has one label;
  // a run too dense to tell apart is drawn as a band.
  const ctx = input.records.filter((d) => d.kind === "context" || d.read !== null);
  const writes = input.records.filter((d) => d.kind !== "context" && d.read === null);
  const reads = input.records.filter((d) => d.kind !== "context" && d.read !== null);
  const maxGapMs = (w1 - w0) * 0.08;
  // Lines that start or end outside the window are cut at its edges.
  parts.push(`<clipPath id="plot-clip"><rect x="0" y="${top}" width="${width}" height="${height}"/></clipPath><g clip-path="url(#plot-clip)">`);
  for (const d of ctx) parts.push(recordLines(d, laneX, y, false));
  if (ctx.length > 0) {
    kinds.add("produce");
    kinds.add("ack");
  }
  const words = (d: DiagramRecord): string => (d.kind === "context" ? "" : d.kind === "other-anomaly" ? d.type : MARK_WORDS[d.kind]);
  for (const run of runsOf(writes, (d) => `${d.kind}/${d.lane}/${d.broker}/${d.endType}`, (d) => d.invokeMs, maxGapMs)) {
    const d0 = run[0]!;
    kinds.add(d0.kind as SymbolKind);
    kinds.add("produce");
    if (d0.endType === "ok") kinds.add("ack");
    if (dense(run.map((d) => y(d.invokeMs)))) parts.push(bandPolygons(run, laneX, y));
    else for (const d of run) parts.push(recordLines(d, laneX, y, true));
    const rep = run.filter((d) => d.replicatedMs !== null).length;
    // Committed: the leader's HW passed it (every replica of the ISR then had it — the leader alone, when the ISR
    // had shrunk to it).
    const repWords = rep === 0 ? "never committed" : rep === run.length ? "committed" : `${rep} of ${run.length} committed`;
    const ack = d0.endType === "ok" ? `acked by ${d0.broker ? laneTitle(d0.broker) : "?"}` : d0.endType === null ? "no answer" : d0.endType === "fail" ? "failed" : "outcome unknown";
    const twice = d0.kind === "duplicate" ? `, written ${Math.max(...run.map((d) => d.appendsMs.length))}×` : "";
    const first = run.find((d) => inWin(d.endMs) || inWin(d.invokeMs)) ?? d0;
    labels.push({
      lane: d0.lane,
      anchorY: yc(first.endMs ?? first.invokeMs),
      lines: [`${run.length === 1 ? "" : `${run.length} `}${words(d0)} ${valueSpan(run.map((d) => d.value))}`, `${ack}${twice}, ${repWords}`],
      priority: 20,
      href: `#g-${d0.group ?? ""}`,
      bold: true,
      title: `${run.length} ${words(d0)} record(s) v${ranges(run.map((d) => d.value), 20)} of ${d0.tp}: sent ${fmtS(run[0]!.invokeMs)}–${fmtS(run[run.length - 1]!.invokeMs)}, ${ack}${twice}, ${repWords}`,
    });
  }
  for (const run of runsOf(reads, (d) => `${d.kind}/${d.read!.lane}/${d.read!.broker}`, (d) => d.read!.pollMs, maxGapMs)) {
    const d0 = run[0]!;
    const rd = d0.read!;
    kinds.add(d0.kind as SymbolKind);
    kinds.add("poll");
    if (dense(run.map((d) => y(d.read!.pollMs)))) parts.push(readBand(run, laneX, y));
    else for (const d of run) parts.push(readLine(d, laneX, y));
    const committed = run.filter((d) => d.read!.commitMs !== null).length;
    const processed = run.filter((d) => d.read!.processedMs !== null).length;
    const commitWords = committed === 0 ? "not committed" : committed === run.length ? "committed" : `${committed} committed`;
    const processWords = processed === 0 ? "never processed" : processed === run.length ? "processed" : `${processed} processed`;
    labels.push({
      lane: rd.lane,
      anchorY: yc(rd.pollMs),
      lines: [`${run.length === 1 ? "" : `${run.length} `}${words(d0)} ${valueSpan(run.map((d) => d.value))}`, `from ${rd.broker ? laneTitle(rd.broker) : "?"}, ${commitWords}, ${processWords}`],
      priority: 20,
      href: `#g-${d0.group ?? ""}`,
      bold: true,
      title: `${run.length} ${words(d0)} record(s) v${ranges(run.map((d) => d.value), 20)}: polled by ${rd.lane} ${fmtS(rd.pollMs)}–${fmtS(run[run.length - 1]!.read!.pollMs)}, ${commitWords}, ${processWords}`,
    });
  }
  parts.push("</g>");
  // Per record ticks: on the producer's lane at its send and acknowledgement, on the consumer's at its poll; the
  // marks the browser test finds at their times. Records that fall on the same pixel row share one tick (its
  // data-values lists them), so a run of thousands costs a few hundred elements; an acknowledgement or poll tick
  // is the anchor, rec-<value>, of every value it holds (named after the first not yet used).
  const anchored = new Map<number, string>();
  const usedIds = new Set<string>();
  const anchorOf = (values: readonly number[]): string => {
    const v = values.find((x) => !usedIds.has(`rec-${x}`));
    if (v === undefined) return "";
    const id = `rec-${v}`;
    usedIds.add(id);
    for (const x of values) if (!anchored.has(x)) anchored.set(x, id);
    return ` id="${id}"`;
  };
  interface Tick {
    readonly cls: string;
    readonly kind: string;
    readonly x1: number;
    readonly x2: number;
    readonly y: number;
    readonly color: string;
    readonly width: number;
    readonly values: number[];
    readonly words: string;
    readonly tMs: number;
  }
  const ticks = new Map<string, Tick>();
  const tick = (t: Omit<Tick, "values">, value: number): void => {
    const k = `${t.cls}/${t.kind}/${n1(t.x1)}/${Math.round(t.y)}`;
    const hit = ticks.get(k);
    if (hit) hit.values.push(value);
    else ticks.set(k, { ...t, values: [value] });
  };
  for (const d of writes) {
    const x = laneX.get(d.lane);
    if (x === undefined) continue;
    const c = colorOf(d.kind);
    if (inWin(d.invokeMs)) tick({ cls: "rec-produce", kind: d.kind, x1: x - 7, x2: x, y: y(d.invokeMs), color: c, width: 1.5, words: `${words(d)}: sent`, tMs: d.invokeMs }, d.value);
    if (d.endType === "ok" && inWin(d.endMs)) tick({ cls: "rec-ack", kind: d.kind, x1: x - 12, x2: x, y: y(d.endMs), color: c, width: 2, words: `${words(d)}: acknowledged`, tMs: d.endMs }, d.value);
    else if (d.endType !== null && d.endType !== "ok" && inWin(d.endMs)) {
      kinds.add("send-failed");
      parts.push(symbol("send-failed", x, y(d.endMs), true, `v${d.value} ${d.endType}`));
    }
    // A duplicate's writes: a tick on the leader's lane at each.
    const xb = d.broker !== null ? laneX.get(d.broker) : undefined;
    if (d.appendsMs.length > 1 && xb !== undefined) for (const t of d.appendsMs.filter(inWin)) tick({ cls: "rec-append", kind: d.kind, x1: xb, x2: xb + 8, y: y(t), color: c, width: 2, words: `${words(d)}: written`, tMs: t }, d.value);
  }
  for (const d of reads) {
    const x = laneX.get(d.read!.lane);
    if (x === undefined || !inWin(d.read!.pollMs)) continue;
    tick({ cls: "rec-poll", kind: d.kind, x1: x, x2: x + 12, y: y(d.read!.pollMs), color: colorOf(d.kind), width: 2, words: `${words(d)}: polled by ${d.read!.lane}`, tMs: d.read!.pollMs }, d.value);
  }
  for (const t of ticks.values()) {
    const first = t.values[0]!;
    const id = t.cls === "rec-ack" || t.cls === "rec-poll" ? anchorOf(t.values) : "";
    const many = t.values.length > 1 ? ` data-values="${t.values.join(" ")}"` : "";
    const title = t.values.length > 1 ? `${t.values.length} records (v${ranges(t.values, 3)}) ${t.words} at ${fmtS(t.tMs)}` : `v${first} ${t.words} at ${fmtS(t.tMs)}`;
    parts.push(`<line${id} class="rec ${t.cls}" data-kind="${t.kind}" data-value="${first}"${many} x1="${n1(t.x1)}" x2="${n1(t.x2)}" y1="${n1(t.y)}" y2="${n1(t.y)}" stroke="${t.color}" stroke-width="${t.width}"><title>${esc(title)}</title></line>`);
  }
  const cluster = (list: readonly DiagramRecord[], at: (d: DiagramRecord) => number | null, lane: (d: DiagramRecord) => string | null, kind: SymbolKind, dx: number, words2: string): void => {
    const rows = new Map<string, DiagramRecord[]>();
    for (const d of list) {
      const t = at(d);
      const l = lane(d);
      if (!inWin(t) || l === null || !laneX.has(l)) continue;
      const k = `${l}/${Math.round(y(t) / 4)}`;
      const g = rows.get(k);
      if (g) g.push(d);
      else rows.set(k, [d]);
    }
    for (const g of rows.values()) {
      kinds.add(kind);
      parts.push(symbol(kind, laneX.get(lane(g[0]!)!)! + dx, y(at(g[0]!)!), true, `${words2} v${ranges(g.map((x) => x.value), 10)} at ${fmtS(at(g[0]!)!)}`));
    }
  };
  cluster(writes, (d) => d.replicatedMs, (d) => d.broker, "replicated", 10, "committed: the leader's HW passed (every ISR member held)");
  cluster(reads, (d) => d.read!.commitMs, (d) => d.read!.lane, "commit", -10, "offset committed past");
  cluster(reads, (d) => d.read!.processedMs, (d) => d.read!.lane, "processed", -10, "processed");

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
  return { svg: svgDoc(width, bottom + 14 + lg.height + 8, SYMBOL_DEFS + MARKERS + head + axis + parts.join("") + lg.svg, "Message diagram of the interesting window"), anchored };
}

const MARKERS = `<defs>${["#9aa5b1", SYMBOLS["lost-ack"].color, SYMBOLS.duplicate.color, SYMBOLS.reorder.color, SYMBOLS["other-anomaly"].color]
  .map((c, i) => `<marker id="arrow-${i}" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0L8,4L0,8Z" fill="${c}"/></marker>`)
  .join("")}</defs>`;
const markerOf = (kind: DiagramRecord["kind"]): number => ({ context: 0, "lost-ack": 1, duplicate: 2, reorder: 3, "other-anomaly": 4 })[kind];

function recordLines(d: DiagramRecord, laneX: ReadonlyMap<string, number>, y: (t: number) => number, strong: boolean): string {
  const xl = laneX.get(d.lane);
  const xb = d.broker !== null ? laneX.get(d.broker) : undefined;
  if (xl === undefined || xb === undefined) return "";
  // A consumer-side record's produce is context: grey.
  const c = d.read !== null ? colorOf("context") : colorOf(d.kind);
  const w = strong ? 1.4 : 0.8;
  const op = strong ? 1 : 0.6;
  // The produce reaches the leader's first write of it (a duplicate's retry wrote it again); the ack leaves from
  // the write it acknowledges.
  const tFirst = d.appendsMs[0] ?? d.appendMs ?? d.invokeMs;
  const tApp = d.appendMs ?? d.invokeMs;
  const m = `url(#arrow-${markerOf(d.read !== null ? "context" : d.kind)})`;
  const kind = d.kind === "context" || d.read !== null ? "context" : d.kind;
  let s = `<g class="msg" data-kind="${kind}" data-value="${d.value}" opacity="${op}"><line data-kind="produce" x1="${n1(xl)}" y1="${n1(y(d.invokeMs))}" x2="${n1(xb)}" y2="${n1(y(tFirst))}" stroke="${c}" stroke-width="${w}" marker-end="${m}"/>`;
  if (d.endType === "ok" && d.endMs !== null) s += `<line data-kind="ack" x1="${n1(xb)}" y1="${n1(y(tApp))}" x2="${n1(xl)}" y2="${n1(y(d.endMs))}" stroke="${c}" stroke-width="${w}" stroke-dasharray="4,2" marker-end="${m}"/>`;
  return `${s}<title>${esc(`v${d.value} → ${d.tp}: sent ${fmtS(d.invokeMs)}${d.appendMs !== null ? `, appended ${fmtS(d.appendMs)}` : ""}${d.endMs !== null ? `, ${d.endType} ${fmtS(d.endMs)}` : ", no answer"}`)}</title></g>`;
}

/** Runs of records with one key, in time order, each no more than maxGapMs after the one before. */
function runsOf(records: readonly DiagramRecord[], key: (d: DiagramRecord) => string, t: (d: DiagramRecord) => number, maxGapMs: number): DiagramRecord[][] {
  const open = new Map<string, DiagramRecord[]>();
  const out: DiagramRecord[][] = [];
  for (const d of [...records].sort((a, b) => t(a) - t(b))) {
    const k = key(d);
    const run = open.get(k);
    if (run && t(d) - t(run[run.length - 1]!) <= maxGapMs) run.push(d);
    else {
      const fresh = [d];
      open.set(k, fresh);
      out.push(fresh);
    }
  }
  return out;
}

/** Records closer than 5 px on average: drawn as a band rather than lines. */
function dense(ys: readonly number[]): boolean {
  return ys.length >= 3 && Math.abs(ys[ys.length - 1]! - ys[0]!) / (ys.length - 1) < 5;
}

/** A read: the leader's answer reaching the consumer at the poll (the fetch's send is not recorded). */
function readLine(d: DiagramRecord, laneX: ReadonlyMap<string, number>, y: (t: number) => number): string {
  const rd = d.read!;
  const xr = laneX.get(rd.lane);
  const xb = rd.broker !== null ? laneX.get(rd.broker) : undefined;
  if (xr === undefined || xb === undefined) return "";
  const yy = n1(y(rd.pollMs));
  return `<g class="msg" data-kind="${d.kind}" data-value="${d.value}"><line data-kind="poll" x1="${n1(xb)}" y1="${yy}" x2="${n1(xr)}" y2="${yy}" stroke="${colorOf(d.kind)}" stroke-width="1.4" stroke-dasharray="1,2" marker-end="url(#arrow-${markerOf(d.kind)})"/><title>${esc(`v${d.value} polled by ${rd.lane} at ${fmtS(rd.pollMs)}`)}</title></g>`;
}

function readBand(run: readonly DiagramRecord[], laneX: ReadonlyMap<string, number>, y: (t: number) => number): string {
  const r0 = run[0]!.read!;
  const rn = run[run.length - 1]!.read!;
  const xr = laneX.get(r0.lane);
  const xb = r0.broker !== null ? laneX.get(r0.broker) : undefined;
  if (xr === undefined || xb === undefined) return "";
  const c = colorOf(run[0]!.kind);
  return `<g class="band" data-kind="${run[0]!.kind}"><polygon data-kind="poll" points="${n1(xb)},${n1(y(r0.pollMs))} ${n1(xr)},${n1(y(r0.pollMs))} ${n1(xr)},${n1(y(rn.pollMs))} ${n1(xb)},${n1(y(rn.pollMs))}" fill="${c}" fill-opacity="0.07" stroke="${c}" stroke-width="0.8" stroke-dasharray="1,2"/></g>`;
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
