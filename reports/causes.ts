// What caused an anomaly, in the order it happened: the faults in effect on the record's partition (its
// replicas) or its client when the record was acknowledged or read, the faults between then and the events the
// oracle cites, and those events. Used by the run report (the interesting window, the "why" of each group) and
// `kafkasim explain` (a lost write's steps include the one-way partition that caused it).
import type { RunResult } from "../sim/result.ts";
import type { ReportAnomaly } from "./anomaly-groups.ts";
import { faultPeriods } from "./series.ts";
import { replicasOf } from "./resolve.ts";
import { fmtS, pollsOf, sendOf } from "./records.ts";
import { WRITE_TYPES } from "./marks.ts";

export interface Cause {
  readonly tMs: number;
  /** Until when a fault was in effect (its cure, or the end of the workload); = tMs for an instant. */
  readonly endMs: number;
  readonly text: string;
  readonly kind: "fault" | "evidence";
  /** Index into RunResult.evidence (trace) or RunResult.history, for "evidence". */
  readonly ref?: { readonly source: "trace" | "history"; readonly index: number };
  /** Node lanes it concerns. */
  readonly nodes: readonly string[];
}

/** When the anomaly's window opens: the acknowledgement (or read) it is about. */
export function anomalyTimeMs(r: RunResult, a: ReportAnomaly): number | null {
  if (a.sinceUs !== undefined) return a.sinceUs / 1000;
  if (a.value !== null && !WRITE_TYPES.has(a.type)) {
    const poll = pollsOf(r, a.value).find((p) => (a.process === undefined || p.process === a.process) && (a.group === undefined || p.group === a.group));
    if (poll) return poll.tMs;
  }
  if (a.value !== null) {
    const s = sendOf(r, a.value);
    if (s) return s.end?.tMs ?? s.invokeMs;
  }
  return null;
}

export function causesOf(r: RunResult, a: ReportAnomaly): Cause[] {
  const since = anomalyTimeMs(r, a);
  const cited: Cause[] = (a.allowedBecause?.events ?? []).map((e) => ({ tMs: e.timeUs / 1000, endMs: e.timeUs / 1000, text: e.text, kind: "evidence" as const, ref: { source: e.source, index: e.index }, nodes: [] }));
  const lastCited = cited.reduce((m, c) => Math.max(m, c.tMs), since ?? 0);
  const relevant = new Set<string>(["zk"]);
  if (a.partition !== null) for (const b of replicasOf(r, a.partition)) relevant.add(`broker-${b}`);
  if (a.process) relevant.add(a.process);
  const group = r.scenario.consumers.find((c) => c.group === a.group);
  if (group) for (let m = 0; m < group.members; m++) relevant.add(`${group.group}/${m}`);
  if (a.value !== null) {
    const s = sendOf(r, a.value);
    if (s) relevant.add(s.process);
  }
  // Without a cited event (a bug), what followed the acknowledgement to the end of the workload may be the cause.
  const until = cited.length > 0 ? lastCited : r.workloadEndMs;
  const faults: Cause[] = [];
  if (since !== null) {
    for (const p of faultPeriods(r)) {
      if (!p.nodes.some((n) => relevant.has(n))) continue;
      const inEffect = p.startMs <= since && since <= p.endMs;
      const after = p.startMs > since && p.startMs <= until;
      if (inEffect || after) faults.push({ tMs: p.startMs, endMs: p.endMs, text: p.label, kind: "fault", nodes: p.nodes });
    }
  }
  return [...faults, ...cited].sort((x, y) => x.tMs - y.tMs || (x.kind === "fault" ? -1 : 1));
}

/** An explanation's lines (anomaly-groups' explanationLines) with the causing faults put into its steps, in time
 *  order: the explanation's story starts at the acknowledgement, so a fault in effect since before it (the one-way
 *  partition that kept the followers from the record) would otherwise be missing. */
export function withCauses(lines: readonly string[], causes: readonly Cause[]): string[] {
  const faults = causes.filter((c) => c.kind === "fault");
  if (faults.length === 0) return [...lines];
  const at = lines.indexOf("Steps:");
  const head = at >= 0 ? lines.slice(0, at) : [...lines];
  const steps = at >= 0 ? lines.slice(at + 1) : [];
  let lastT = Number.NEGATIVE_INFINITY;
  const parsed = steps.map((line, i) => {
    const m = /^\s*(\d+\.\d{3}) s (.*)$/.exec(line);
    if (m) lastT = Number(m[1]) * 1000;
    return { t: lastT, i, line, fault: m !== null && m[2]!.startsWith("fault:") };
  });
  // The same fault told by the explanation ("fault: kill leader of orders-0 (broker 2)", or without a trace
  // "kill leader of orders-0") is not told twice.
  const bare = (x: string): string => x.replace(/^\s*\d+\.\d{3} s /, "").replace(/^fault: /, "").replace(/ \([^()]*\)/g, "");
  for (const f of faults) {
    if (parsed.some((p) => Math.abs(p.t - f.tMs) < 0.5 && (p.fault || bare(f.text).startsWith(bare(p.line)) || bare(p.line).startsWith(bare(f.text))))) continue;
    parsed.push({ t: f.tMs, i: -1, line: `  ${fmtS(f.tMs)} fault: ${f.text}${f.endMs > f.tMs ? ` (until ${fmtS(f.endMs)})` : ""}`, fault: true });
  }
  parsed.sort((a, b) => a.t - b.t || a.i - b.i);
  return [...head, "Steps:", ...parsed.map((p) => p.line)];
}
