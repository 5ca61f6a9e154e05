// Charts as Vega-Lite specs, rendered to SVG in Node (vega's headless View: no canvas, no browser), so the HTML
// reports are static, self-contained files that open offline.
import * as vega from "vega";
import * as vl from "vega-lite";
import type { TopLevelSpec } from "vega-lite";
import type { ConfigRow } from "./metrics.ts";
import { describeConfig } from "./metrics.ts";
import type { RunResult } from "../sim/result.ts";
import { downIntervals, faultPeriods, latencyPoints, partitionSeries } from "./series.ts";

/** Renders a Vega-Lite spec to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const FONT = { font: "system-ui, sans-serif", labelFont: "system-ui, sans-serif", titleFont: "system-ui, sans-serif" };
const CONFIG = { font: FONT.font, axis: { labelFont: FONT.font, titleFont: FONT.font }, legend: { labelFont: FONT.font, titleFont: FONT.font }, view: { stroke: "#ddd" } };

/** Loss vs unavailability vs p99 latency, one point per configuration (numbered as in the table). */
export function tradeoffSpec(rows: readonly ConfigRow[]): TopLevelSpec {
  // Configurations with the same numbers share one point, labelled with all their row numbers.
  const byPoint = new Map<string, { n: string; config: string; lost: number; unavailable: number; p99: number; front: string }>();
  rows.forEach((r, i) => {
    const p99 = r.latencyMs.p99 ?? 0;
    const key = `${r.lostWrites}/${r.unavailableMs}/${p99}`;
    const prev = byPoint.get(key);
    if (prev) {
      prev.n += `,${i + 1}`;
      prev.config += ` | ${describeConfig(r.config)}`;
      if (r.pareto) prev.front = "Pareto front";
    } else byPoint.set(key, { n: String(i + 1), config: describeConfig(r.config), lost: r.lostWrites, unavailable: r.unavailableMs, p99, front: r.pareto ? "Pareto front" : "dominated" });
  });
  const values = [...byPoint.values()];
  const maxX = Math.max(10, ...values.map((v) => v.unavailable)) * 1.08;
  const maxY = Math.max(1, ...values.map((v) => v.p99)) * 1.08;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: "Durability vs availability vs latency", subtitle: "x: write unavailability per run · y: produce p99 latency · colour/size: acknowledged writes lost · ◆ Pareto front" },
    width: 640,
    height: 380,
    config: CONFIG,
    data: { values },
    layer: [
      {
        mark: { type: "point", filled: true, opacity: 0.85, stroke: "#333", strokeWidth: 0.5 },
        encoding: {
          x: { field: "unavailable", type: "quantitative", title: "write unavailability per run (ms)", scale: { domain: [0, maxX], nice: true } },
          y: { field: "p99", type: "quantitative", title: "produce latency p99 (ms)", scale: { domain: [0, maxY], nice: true } },
          color: { field: "lost", type: "quantitative", title: "lost writes", scale: { scheme: "orangered", domainMin: 0 } },
          size: { field: "lost", type: "quantitative", title: "lost writes", scale: { range: [120, 900] } },
          shape: { field: "front", type: "nominal", title: "", scale: { domain: ["Pareto front", "dominated"], range: ["diamond", "circle"] } },
          tooltip: [{ field: "config" }, { field: "lost" }, { field: "unavailable" }, { field: "p99" }],
        },
      },
      { mark: { type: "text", align: "left", dx: 12, dy: -8, fontSize: 11 }, encoding: { x: { field: "unavailable", type: "quantitative" }, y: { field: "p99", type: "quantitative" }, text: { field: "n" } } },
    ],
  };
}

/** The same three objectives as bars, one row per configuration (readable when points crowd the scatter). */
export function tradeoffBarsSpec(rows: readonly ConfigRow[], label: (r: ConfigRow, i: number) => string): TopLevelSpec {
  const values = rows.map((r, i) => ({
    config: label(r, i),
    order: i,
    lost: r.lostWrites,
    unavailable: r.unavailableMs,
    p99: r.latencyMs.p99 ?? 0,
    front: r.pareto ? "Pareto front" : "dominated",
  }));
  const y = { field: "config", type: "nominal" as const, title: null, sort: values.map((v) => v.config) };
  const color = { field: "front", type: "nominal" as const, title: "", scale: { domain: ["Pareto front", "dominated"], range: ["#e9a100", "#8d99ae"] } };
  const bar = (field: string, title: string, showLabels: boolean) => ({
    width: 200,
    height: { step: 18 },
    mark: { type: "bar" as const },
    encoding: {
      y: showLabels ? { ...y, axis: { labelLimit: 0 } } : { ...y, axis: null },
      x: { field, type: "quantitative" as const, title },
      color,
      tooltip: [{ field: "config" }, { field, title }],
    },
  });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: "Per configuration", subtitle: "acknowledged writes lost · write unavailability per run · produce p99 latency (shorter is better)" },
    config: CONFIG,
    data: { values },
    hconcat: [bar("lost", "lost writes", true), bar("unavailable", "unavailable ms / run", false), bar("p99", "p99 latency (ms)", false)],
  };
}

/** Produce latency over time for several runs (one panel each), fault periods shaded. */
export function latencySpec(runs: readonly { readonly label: string; readonly result: RunResult }[]): TopLevelSpec {
  const values: Record<string, unknown>[] = [];
  runs.forEach(({ label, result }, order) => {
    for (const p of latencyPoints(result)) values.push({ layer: "latency", run: label, order, t: p.timeMs, latency: Math.max(p.latencyMs, 0.1) });
    for (const f of faultPeriods(result)) values.push({ layer: "fault", run: label, order, start: f.startMs, end: f.endMs, fault: f.label });
  });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: "Produce latency over time", subtitle: "each dot is an acknowledged send (at its invoke time; below 0.1 ms drawn at 0.1, e.g. acks=0); shaded: fault periods" },
    config: CONFIG,
    data: { values },
    facet: { row: { field: "run", type: "nominal", title: null, sort: { field: "order", op: "min" }, header: { labelAngle: 0, labelAlign: "left", labelAnchor: "start", labelFontSize: 11, labelLimit: 0, labelOrient: "top" } } },
    spec: {
      width: 720,
      height: 70,
      layer: [
        {
          transform: [{ filter: "datum.layer === 'fault'" }],
          mark: { type: "rect", color: "#e4572e", opacity: 0.18 },
          encoding: { x: { field: "start", type: "quantitative", title: "virtual time (ms)" }, x2: { field: "end" }, tooltip: [{ field: "fault" }] },
        },
        {
          transform: [{ filter: "datum.layer === 'latency'" }],
          mark: { type: "circle", size: 8, opacity: 0.7, color: "#1f6fb2" },
          encoding: {
            x: { field: "t", type: "quantitative", title: "virtual time (ms)" },
            y: { field: "latency", type: "quantitative", title: "latency (ms)", scale: { type: "log", domainMin: 0.1 } },
          },
        },
      ],
    },
    resolve: { scale: { x: "shared" } },
  };
}

/** ISR size and the leader's high watermark over time, per partition, faults shaded. */
export function isrHwSpec(result: RunResult, title: string): TopLevelSpec {
  const s = partitionSeries(result);
  const faults = faultPeriods(result).map((f) => ({ start: f.startMs, end: f.endMs, fault: f.label }));
  const end = result.virtualMs;
  // Step lines need a last point at the end of the run.
  const isrValues = [...s.isr];
  const lastIsr = new Map<string, (typeof s.isr)[number]>();
  for (const p of s.isr) lastIsr.set(p.tp, p);
  for (const p of lastIsr.values()) isrValues.push({ ...p, timeMs: end });
  const faultLayer = {
    data: { values: faults },
    mark: { type: "rect" as const, color: "#e4572e", opacity: 0.15 },
    encoding: { x: { field: "start", type: "quantitative" as const }, x2: { field: "end" }, tooltip: [{ field: "fault" }] },
  };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: title, subtitle: "ISR size and the leader's high watermark per partition; shaded: fault periods" },
    config: CONFIG,
    vconcat: [
      {
        width: 720,
        height: 110,
        layer: [
          faultLayer,
          {
            data: { values: isrValues },
            mark: { type: "line", interpolate: "step-after", point: true },
            encoding: {
              x: { field: "timeMs", type: "quantitative", title: "virtual time (ms)", scale: { domain: [0, end] } },
              y: { field: "isrSize", type: "quantitative", title: "ISR size", scale: { domainMin: 0 }, axis: { tickMinStep: 1 } },
              color: { field: "tp", type: "nominal", title: "partition" },
              tooltip: [{ field: "tp" }, { field: "isr" }, { field: "timeMs" }],
            },
          },
        ],
      },
      {
        width: 720,
        height: 150,
        layer: [
          faultLayer,
          {
            data: { values: s.hw },
            mark: { type: "line", interpolate: "step-after" },
            encoding: {
              x: { field: "timeMs", type: "quantitative", title: "virtual time (ms)", scale: { domain: [0, end] } },
              y: { field: "highWatermark", type: "quantitative", title: "high watermark" },
              color: { field: "tp", type: "nominal", title: "partition" },
              tooltip: [{ field: "tp" }, { field: "broker" }, { field: "highWatermark" }],
            },
          },
        ],
      },
    ],
  };
}

/** The run timeline: a lane per node — down/paused bars, faults, leader changes, ISR changes, HW steps. */
export function timelineSpec(result: RunResult): TopLevelSpec {
  const s = partitionSeries(result);
  const lanes = new Set<string>(["zk"]);
  for (let b = 1; b <= result.scenario.brokers; b++) lanes.add(`broker-${b}`);
  for (const p of result.scenario.producers) lanes.add(p.id);
  for (const c of result.scenario.consumers) for (let m = 0; m < c.members; m++) lanes.add(`${c.group}/${m}`);
  const events: Record<string, unknown>[] = [];
  for (const f of result.faults) {
    const label = f.action.kind;
    const nodes = f.nodes.length ? f.nodes : ["zk"];
    for (const n of nodes) events.push({ node: n, t: f.timeUs / 1000, kind: "fault", label, detail: `${f.action.kind} → ${f.nodes.join(", ") || "nothing"}` });
  }
  for (const l of s.leaders) {
    if (l.leader === null) events.push({ node: "zk", t: l.timeMs, kind: "offline", label: `${l.tp} offline`, detail: `${l.tp} has no leader (epoch ${l.leaderEpoch})` });
    else events.push({ node: `broker-${l.leader}`, t: l.timeMs, kind: l.unclean ? "unclean leader" : "leader", label: `${l.tp} e${l.leaderEpoch}`, detail: `leader of ${l.tp}, epoch ${l.leaderEpoch}${l.unclean ? " (UNCLEAN)" : ""}` });
  }
  for (const ev of result.trace) {
    if ((ev.type === "isr-shrink" || ev.type === "isr-expand") && !ev.tp.startsWith("__")) {
      events.push({ node: `broker-${ev.leader}`, t: ev.timeUs / 1000, kind: ev.type, label: `[${ev.isr.join(",")}]`, detail: `${ev.tp} ISR → [${ev.isr.join(", ")}]` });
    }
    if (ev.type === "truncate" && !ev.tp.startsWith("__")) {
      events.push({ node: `broker-${ev.broker}`, t: ev.timeUs / 1000, kind: "truncate", label: `trunc ${ev.fromOffset}→${ev.toOffset}`, detail: `${ev.tp} truncated ${ev.fromOffset} → ${ev.toOffset} (${ev.reason})` });
    }
  }
  for (const e of events) lanes.add(e["node"] as string);
  const down = downIntervals(result).map((d) => ({ ...d, detail: `${d.node} ${d.state}` }));
  for (const d of down) lanes.add(d.node);
  const laneList = [...lanes];
  // HW: the last value in each of ~14 time buckets per broker, as small labels under the lane (every advance
  // would paint a solid band at hundreds of records per second).
  const bucketMs = Math.max(1, result.virtualMs / 14);
  const lastHw = new Map<string, { node: string; t: number; detail: string; label: string }>();
  for (const h of s.hw) lastHw.set(`${h.broker}/${h.tp}/${Math.floor(h.timeMs / bucketMs)}`, { node: `broker-${h.broker}`, t: h.timeMs, detail: `${h.tp} HW ${h.highWatermark}`, label: `HW ${h.highWatermark}` });
  const hwTicks = [...lastHw.values()];
  const x = { field: "t", type: "quantitative" as const, title: "virtual time (ms)", scale: { domain: [0, result.virtualMs] } };
  const y = { field: "node", type: "nominal" as const, title: null, sort: laneList, scale: { domain: laneList } };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: "Timeline", subtitle: "a lane per node: grey bars = down or paused; grey numbers = the HW it reported; symbols = faults, leader elections, ISR changes, truncations" },
    config: CONFIG,
    width: 820,
    height: Math.max(120, laneList.length * 34),
    layer: [
      {
        data: { values: [{ t: result.workloadEndMs, t2: result.virtualMs }] },
        mark: { type: "rect", color: "#2a9d8f", opacity: 0.07 },
        encoding: { x: { field: "t", type: "quantitative", scale: { domain: [0, result.virtualMs] } }, x2: { field: "t2" } },
      },
      {
        data: { values: down },
        mark: { type: "bar", color: "#999", opacity: 0.55, height: 16 },
        encoding: { x: { field: "startMs", type: "quantitative", scale: { domain: [0, result.virtualMs] } }, x2: { field: "endMs" }, y, tooltip: [{ field: "detail" }] },
      },
      {
        data: { values: hwTicks.length ? hwTicks : [{ node: laneList[0], t: 0, detail: "", label: "" }] },
        mark: { type: "text", dy: 12, fontSize: 8, color: "#6c757d" },
        encoding: { x, y, text: { field: "label" }, tooltip: [{ field: "detail" }] },
      },
      {
        data: { values: events },
        mark: { type: "point", filled: true, size: 90 },
        encoding: {
          x,
          y,
          shape: { field: "kind", type: "nominal", title: "event", scale: { domain: ["fault", "leader", "unclean leader", "offline", "isr-shrink", "isr-expand", "truncate"], range: ["cross", "diamond", "diamond", "square", "triangle-down", "triangle-up", "stroke"] } },
          color: { field: "kind", type: "nominal", title: "event", scale: { domain: ["fault", "leader", "unclean leader", "offline", "isr-shrink", "isr-expand", "truncate"], range: ["#d62828", "#1d3557", "#f77f00", "#6a040f", "#e76f51", "#2a9d8f", "#7209b7"] } },
          tooltip: [{ field: "detail" }, { field: "t", title: "ms" }],
        },
      },
      {
        data: { values: events.filter((e) => e["kind"] !== "fault") },
        mark: { type: "text", dy: -11, fontSize: 9, color: "#333" },
        encoding: { x, y, text: { field: "label" } },
      },
    ],
  };
}

export interface Arrow {
  readonly from: string;
  readonly to: string;
  readonly t0: number;
  readonly t1: number;
  readonly label: string;
  readonly kind: string;
}

/** A space-time diagram: nodes as vertical lines, time downwards, messages as arrows (Lamport style). */
export function spaceTimeSpec(lanes: readonly string[], arrows: readonly Arrow[], notes: readonly { node: string; t: number; label: string }[], windowMs: readonly [number, number]): TopLevelSpec {
  const segs = arrows.map((a) => ({ ...a, mid: (a.t0 + a.t1) / 2 }));
  const y = (field: string) => ({ field, type: "quantitative" as const, title: "virtual time (ms)", scale: { domain: [windowMs[0], windowMs[1]], reverse: true, zero: false } });
  const x = (field: string) => ({ field, type: "nominal" as const, title: null, sort: [...lanes], scale: { domain: [...lanes] }, axis: { orient: "top" as const, labelAngle: 0 } });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: "Messages in the interesting window", subtitle: `${windowMs[0].toFixed(0)}–${windowMs[1].toFixed(0)} ms; arrows: request → response as the clients and brokers saw them; red notes: faults and elections` },
    config: CONFIG,
    width: Math.max(360, lanes.length * 110),
    height: 520,
    layer: [
      {
        data: { values: lanes.map((n) => ({ n, a: windowMs[0], b: windowMs[1] })) },
        mark: { type: "rule", color: "#bbb" },
        encoding: { x: x("n"), y: y("a"), y2: { field: "b" } },
      },
      {
        data: { values: segs.length ? segs : [{ from: lanes[0], to: lanes[0], t0: windowMs[0], t1: windowMs[0], label: "", kind: "none", mid: windowMs[0] }] },
        mark: { type: "rule", strokeWidth: 1.2, opacity: segs.length ? 0.8 : 0, clip: true },
        encoding: { x: x("from"), x2: { field: "to" }, y: y("t0"), y2: { field: "t1" }, color: { field: "kind", type: "nominal", title: "message" }, tooltip: [{ field: "label" }, { field: "t0" }, { field: "t1" }] },
      },
      {
        data: { values: segs.length ? segs : [{ to: lanes[0], t1: windowMs[0], kind: "none" }] },
        mark: { type: "point", shape: "triangle-down", filled: true, size: 40, opacity: segs.length ? 1 : 0, clip: true },
        encoding: { x: x("to"), y: y("t1"), color: { field: "kind", type: "nominal" } },
      },
      {
        data: { values: notes.length ? notes : [{ node: lanes[0], t: windowMs[0], label: "" }] },
        mark: { type: "text", color: "#c1121f", fontSize: 10, align: "left", dx: 4, clip: true },
        encoding: { x: x("node"), y: y("t"), text: { field: "label" } },
      },
    ],
  };
}
