// The run timeline: the whole run, a lane per node (ZooKeeper, brokers, producers, consumer members). Each lane
// shows when its node was down, paused or cut off, the faults that hit it, the elections, ISR changes,
// truncations and HW values on it, and on client lanes the acknowledgements of the records the anomalies are about.
// Labels sit in rows above their lane, packed so that none overlaps another (what does not fit keeps a tooltip).
import type { RunResult } from "../sim/result.ts";
import { axisBottom, esc, fitText, linearScale, n1, svgDoc, textWidth, titleBlock } from "./svg.ts";
import { packRows, rowsUsed } from "./layout.ts";
import { legend, symbol, SYMBOL_DEFS } from "./symbols.ts";
import type { SymbolKind } from "./symbols.ts";
import { allLanes, laneEvents, laneIntervals, laneTitle, mergeRuns } from "./run-events.ts";
import type { LaneEvent } from "./run-events.ts";
import type { Mark } from "./marks.ts";
import { clusterMarks, MARK_WORDS } from "./marks.ts";
import { valueSpan } from "./records.ts";
import { evidenceAnchor } from "./anomaly-groups.ts";

export interface TimelineOptions {
  readonly marks: readonly Mark[];
  /** The message diagram's window, highlighted. */
  readonly windowMs?: readonly [number, number];
  /** Internal partitions to show (those an anomaly is about). */
  readonly keepTps?: ReadonlySet<string>;
  /** Evidence indices the oracle cites: drawn with a ring. */
  readonly cited?: ReadonlySet<number>;
  readonly width?: number;
}

const LABEL_FONT = 9.5;
const ROW_H = 13;
const MAX_ROWS = 4;

interface Label {
  readonly x: number;
  readonly text: string;
  readonly priority: number;
  readonly href?: string;
  /** Left-aligned at x (an interval's start) rather than centred. */
  readonly left?: boolean;
}

export function timelineSvg(r: RunResult, opts: TimelineOptions): string {
  const width = opts.width ?? 1180;
  const left = 96;
  const right = width - 28;
  const x = linearScale([0, r.virtualMs], [left, right]);
  const lanes = allLanes(r);
  const msPerPx = r.virtualMs / (right - left);
  const events = mergeRuns(laneEvents(r, opts.keepTps), 60 * msPerPx);
  const intervals = laneIntervals(r);
  const kinds = new Set<SymbolKind>(["drain"]);
  const anchored = new Set<number>();
  for (const l of [...intervals.map((i) => i.lane), ...events.map((e) => e.lane)]) if (!lanes.includes(l)) lanes.push(l);

  const head = titleBlock(8, "Timeline of the whole run", "a lane per node · labels never overlap: what does not fit keeps its tooltip · ringed: the events the oracle cites", width - 16);
  const failures = r.history.filter((op) => op.f === "send" && (op.type === "fail" || op.type === "info"));
  // Per lane: symbols and labels.
  const laneParts: { lane: string; height: number; body: (y: number) => string }[] = [];
  const gapMs = (6 * r.virtualMs) / (right - left);
  const markClusters = clusterMarks(opts.marks, gapMs);
  for (const lane of lanes) {
    const evs = events.filter((e) => e.lane === lane);
    const ivs = intervals.filter((i) => i.lane === lane);
    const labels: Label[] = [];
    for (const e of evs) if (e.label) labels.push({ x: x(e.tMs), text: e.label, priority: e.priority + (e.evidence !== undefined && opts.cited?.has(e.evidence) ? 10 : 0) });
    // A cut's label, unless the fault that started it already says it on this lane.
    for (const i of ivs) if (i.kind === "cut" && !evs.some((e) => e.kind === "fault" && Math.abs(e.tMs - i.startMs) < 0.5)) labels.push({ x: x(i.startMs), text: i.label, priority: 7, left: true });
    const clusters = markClusters.filter((c) => c[0]!.lane === lane);
    for (const c of clusters) {
      const m = c[0]!;
      const t0 = m.tMs;
      const t1 = c[c.length - 1]!.tMs;
      labels.push({ x: x((t0 + t1) / 2), text: `${c.length} ${m.kind === "other-anomaly" ? m.type : MARK_WORDS[m.kind]} ${valueSpan(c.map((k) => k.value))}`, priority: 12, href: `#g-${m.group}` });
    }
    const fails = failures.filter((f) => f.process === lane);
    const failBuckets = new Map<number, number>();
    for (const f of fails) {
      const b = Math.floor(x(f.timeUs / 1000) / 8);
      failBuckets.set(b, (failBuckets.get(b) ?? 0) + 1);
    }
    // Label boxes along the axis, packed into rows.
    const boxes = labels.map((l) => {
      const w = textWidth(l.text, LABEL_FONT);
      const x0 = Math.min(Math.max(l.left ? l.x : l.x - w / 2, left), right - w);
      return { x0, x1: x0 + w, priority: l.priority };
    });
    const rows = packRows(boxes, MAX_ROWS, 6);
    const used = rowsUsed(rows);
    const height = 16 + used * ROW_H + 10;
    laneParts.push({
      lane,
      height,
      body: (y0: number) => {
        const yLine = y0 + used * ROW_H + 14;
        const p: string[] = [`<g class="lane" data-lane="${esc(lane)}">`];
        p.push(`<text class="lane-name" x="${n1(left - 8)}" y="${n1(yLine + 3.5)}" text-anchor="end" font-size="10.5" font-weight="bold">${esc(fitText(laneTitle(lane), 10.5, left - 12))}</text>`);
        p.push(`<line x1="${left}" x2="${right}" y1="${n1(yLine)}" y2="${n1(yLine)}" stroke="#ccc"/>`);
        for (const i of ivs) {
          kinds.add(i.kind);
          const fill = i.kind === "cut" ? `fill="url(#hatch)" stroke="#e76f51" stroke-width="0.6"` : i.kind === "paused" ? `fill="#d0d0d0" stroke="#888" stroke-dasharray="2,2"` : `fill="#9e9e9e" fill-opacity="0.8"`;
          const h = i.kind === "cut" ? 6 : 10;
          const yy = i.kind === "cut" ? yLine + 3 : yLine - 5;
          p.push(`<rect class="interval" data-kind="${i.kind}" x="${n1(x(i.startMs))}" y="${n1(yy)}" width="${n1(Math.max(1, x(i.endMs) - x(i.startMs)))}" height="${h}" ${fill}><title>${esc(`${laneTitle(lane)} ${i.label}, ${i.startMs.toFixed(0)}–${i.endMs.toFixed(0)} ms`)}</title></rect>`);
        }
        for (const [b, n] of failBuckets) {
          kinds.add("send-failed");
          p.push(symbol("send-failed", b * 8 + 4, yLine, false, `${n} send(s) failed or timed out`));
        }
        for (const e of evs) p.push(eventSymbol(e, x(e.tMs), yLine, opts.cited, kinds, anchored));
        // One tick per pixel column (thousands of acknowledgements in a second would be thousands of lines).
        for (const c of clusters) {
          const cols = new Map<number, Mark[]>();
          for (const m of c) {
            const k = Math.round(x(m.tMs));
            const l = cols.get(k);
            if (l) l.push(m);
            else cols.set(k, [m]);
          }
          for (const ms of cols.values()) {
            const m = ms[0]!;
            kinds.add(m.kind);
            p.push(`<g class="sym mark" data-kind="${m.kind}" data-value="${m.value}">${symbolOnly(m.kind, x(m.tMs), yLine)}<title>${esc(`${ms.length} ${m.kind === "other-anomaly" ? m.type : MARK_WORDS[m.kind]} ${valueSpan(ms.map((q) => q.value))} at ${(m.tMs / 1000).toFixed(3)} s`)}</title></g>`);
          }
        }
        labels.forEach((l, k) => {
          const row = rows[k];
          if (row === null || row === undefined) return;
          const box = boxes[k]!;
          const ty = yLine - 12 - row * ROW_H;
          const text = `<text class="label" x="${n1(box.x0)}" y="${n1(ty)}" font-size="${LABEL_FONT}">${esc(l.text)}</text>`;
          p.push(l.href ? `<a href="${esc(l.href)}">${text}</a>` : text);
        });
        p.push("</g>");
        return p.join("");
      },
    });
  }
  // Assemble: title, legend, lanes, axis.
  let y = 42;
  const lanesSvg: string[] = [];
  const lanesTop = y;
  const bodies: string[] = [];
  for (const l of laneParts) {
    bodies.push(l.body(y));
    y += l.height;
  }
  const lanesBottom = y;
  const back: string[] = [];
  back.push(`<rect class="phase" x="${n1(x(r.workloadEndMs))}" y="${lanesTop}" width="${n1(x(r.virtualMs) - x(r.workloadEndMs))}" height="${n1(lanesBottom - lanesTop)}" fill="#2a9d8f" fill-opacity="0.07"/>`);
  if (opts.windowMs) {
    kinds.add("window");
    const [w0, w1] = opts.windowMs;
    back.push(`<rect class="window" x="${n1(x(w0))}" y="${lanesTop}" width="${n1(Math.max(2, x(w1) - x(w0)))}" height="${n1(lanesBottom - lanesTop)}" fill="#3a86ff" fill-opacity="0.08" stroke="#3a86ff" stroke-dasharray="3,3"/>`);
  }
  lanesSvg.push(...back, ...bodies);
  const axis = axisBottom(x, lanesBottom + 4, { title: "virtual time (ms)" });
  const lg = legend(kinds, 8, lanesBottom + 44, width - 16, false);
  const height = lanesBottom + 44 + lg.height + 8;
  return svgDoc(width, height, SYMBOL_DEFS + head + lanesSvg.join("") + axis + lg.svg, "Timeline of the run");
}

function symbolOnly(kind: SymbolKind, x: number, y: number): string {
  // The mark's own tick, without the wrapper symbol() adds (the mark carries data-value itself).
  return symbol(kind, x, y, false).replace(/^<g class="sym" data-kind="[^"]*">/, "").replace(/<\/g>$/, "");
}

function eventSymbol(e: LaneEvent, x: number, y: number, cited: ReadonlySet<number> | undefined, kinds: Set<SymbolKind>, anchored: Set<number>): string {
  kinds.add(e.kind);
  const ring = e.evidence !== undefined && cited?.has(e.evidence);
  if (ring) kinds.add("cause");
  // One anchor per event (a fault on three lanes is one event).
  const id = e.evidence !== undefined && !anchored.has(e.evidence) ? ` id="tl-${evidenceAnchor({ source: "trace", index: e.evidence })}"` : "";
  if (e.evidence !== undefined) anchored.add(e.evidence);
  return `<g${id}>${symbol(e.kind, x, y, false, `${(e.tMs / 1000).toFixed(3)} s: ${e.detail}`)}${ring ? symbol("cause", x, y, false) : ""}</g>`;
}
