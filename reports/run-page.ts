// The single-run report. Its first screen answers which write was lost (or duplicated, reordered...), why, and
// what setting would have kept it: anomalies grouped by type and the oracle's rule, with counts, the records as
// ranges linked to their marks in the diagram, the events that caused them and the oracle's sentence beside each
// group, the first few groups open. Below: the message diagram of the interesting window, the timeline of the
// whole run, ISR/HW and latency, liveness and capacity, the faults, the exports.
import type { RunResult } from "../sim/result.ts";
import { citedEvents, evidenceAnchor, explanationLines, groupAnomalies, recordsLine, remedyOf, tidyText } from "./anomaly-groups.ts";
import type { AnomalyGroup, RunJudgement } from "./anomaly-groups.ts";
import { anomalyMarks } from "./marks.ts";
import { causesOf, withCauses } from "./causes.ts";
import { diagramRecords, focusWindow } from "./messages.ts";
import { diagramLanes, diagramSvg } from "./diagram.ts";
import { timelineSvg } from "./timeline.ts";
import { laneEvents, laneIntervals } from "./run-events.ts";
import { describeFired } from "./resolve.ts";
import { isrHwSvg, latencySvg } from "./charts.ts";
import { esc, figure, page } from "./page.ts";
import { fmtS, ranges, sendOf } from "./records.ts";

/** At most this many records of a group are listed with their explanations (the JSON output has them all). */
export const MAX_ANOMALIES_SHOWN = 200;
const PER_GROUP = 20;
/** The first groups are open; the rest show their heading and count. */
export const OPEN_GROUPS = 3;

const STAT_ORDER = ["sent", "acked", "failed", "unknown", "lostWrites", "duplicates", "reorders", "uncommittedReads", "unseen", "skipped", "processedTwice", "polled", "committed"];
const STAT_WORDS: Readonly<Record<string, string>> = { lostWrites: "lost", uncommittedReads: "uncommitted reads", processedTwice: "processed twice" };

function statsLine(stats: object | undefined): string {
  if (!stats) return "";
  const s = stats as Record<string, unknown>;
  const keys = [...STAT_ORDER.filter((k) => typeof s[k] === "number"), ...Object.keys(s).filter((k) => !STAT_ORDER.includes(k) && typeof s[k] === "number")];
  return `<p class="stats">${keys.map((k) => `${esc(STAT_WORDS[k] ?? k)} <b>${esc(String(s[k]))}</b>`).join(" · ")}</p>`;
}

export async function runHtml(r: RunResult, j: RunJudgement, exports: readonly string[] = [], opts: { readonly repro?: string } = {}): Promise<string> {
  await Promise.resolve();
  const s = r.scenario;
  const groups = groupAnomalies(j.anomalies);
  const marks = anomalyMarks(r, j.anomalies, groups);
  const keepTps = new Set(j.anomalies.map((a) => a.partition).filter((p): p is string => p !== null && p.startsWith("__")));
  const cited = new Set<number>();
  for (const a of j.anomalies) for (const e of a.allowedBecause?.events ?? []) if (e.source === "trace") cited.add(e.index);
  const focus = focusWindow(r, j, groups, marks);
  const [w0, w1] = focus.windowMs;
  const records = diagramRecords(r, focus.windowMs, marks);
  const events = laneEvents(r, keepTps);
  const intervals = laneIntervals(r);
  const lanes = new Set(diagramLanes(r, { records, events: events.filter((e) => e.tMs >= w0 && e.tMs <= w1), intervals: intervals.filter((i) => i.endMs >= w0 && i.startMs <= w1) }));
  // The diagram first: the records with an anchor in it are what the anomaly list links to.
  const diagram = diagramSvg(r, { focus, records, events, intervals, cited });
  const inDiagram = diagram.anchored;
  const drawn = new Map<number, "diagram" | "timeline">();
  for (const e of events) {
    if (e.evidence === undefined || !cited.has(e.evidence)) continue;
    const here = e.tMs >= w0 && e.tMs <= w1 && lanes.has(e.lane) ? "diagram" : "timeline";
    if (drawn.get(e.evidence) !== "diagram") drawn.set(e.evidence, here);
  }

  const parts: string[] = [];
  parts.push(`<h1>kafkasim run — ${esc(s.name)} <span class="verdict verdict-${esc(j.verdict)}">${esc(j.verdict.toUpperCase())}</span></h1>`);
  parts.push(
    `<p class="sub">seed ${esc(String(r.seed))} · protocol ${esc(r.protocol)} · ${s.brokers} brokers · ${r.virtualMs.toFixed(0)} ms virtual (${r.workloadEndMs} ms workload, then heal and drain) · trace hash <code>${esc(r.traceHash)}</code><br>Reproduce: <code>${esc(opts.repro ?? `npx kafkasim run ${s.name} --seed ${String(r.seed)}`)}</code></p>`,
  );
  if (s.description) parts.push(`<p>${esc(s.description)}</p>`);
  parts.push(statsLine(j.stats));
  parts.push(`<h2 id="anomalies">What happened: ${j.anomalies.length} anomal${j.anomalies.length === 1 ? "y" : "ies"}${groups.length > 0 ? ` in ${groups.length} group${groups.length === 1 ? "" : "s"}` : ""}</h2>`);
  if (groups.length === 0) parts.push(`<p class="ok">None: every check passed.</p>`);
  let listed = 0;
  groups.forEach((g, gi) => {
    const html = groupHtml(r, j, g, gi < OPEN_GROUPS, { inDiagram, drawn, budget: Math.max(0, MAX_ANOMALIES_SHOWN - listed) });
    listed += Math.min(g.members.length, PER_GROUP);
    parts.push(html);
  });
  parts.push(findingsHtml(j));

  parts.push(`<h2>Messages</h2>`);
  parts.push(figure("messages", diagram.svg, "Time runs downwards at its real scale. Coloured: the anomalous records (ticks on the producer's lane at each send and acknowledgement, on the consumer's at each poll; a band when they are too many to tell apart); grey: a sample of the other sends. Labels link to their anomaly group."));
  parts.push(`<h2>Timeline</h2>`);
  parts.push(figure("timeline", timelineSvg(r, { marks, windowMs: focus.windowMs, keepTps, cited }), "The whole run. The dashed blue box is the message diagram's window; the green band is the heal-and-drain phase."));
  parts.push(`<h2>ISR and high watermark</h2>`);
  parts.push(figure("isr-hw", isrHwSvg([{ label: `${s.name} (seed ${String(r.seed)})`, result: r }], { columns: 1 }), "Step lines to the end of the run; shaded: fault periods."));
  parts.push(`<h2>Produce latency</h2>`);
  parts.push(figure("latency", latencySvg([{ label: `${s.name} (seed ${String(r.seed)})`, result: r }]), "Shaded and lettered: fault periods."));
  parts.push(`<h2>Faults fired (${r.faults.length})</h2>`);
  parts.push(`<table><tbody>${r.faults.map((f) => `<tr><td>${esc(fmtS(f.timeUs / 1000))}</td><td class="l">${esc(describeFired(r, f))}</td></tr>`).join("")}</tbody></table>`);
  if (exports.length) parts.push(`<h2>Exports</h2><ul>${exports.map((e) => `<li><a href="${esc(e)}">${esc(e)}</a></li>`).join("")}</ul><p class="sub">trace.perfetto.json opens in <code>ui.perfetto.dev</code> (Open trace file); sequence.mmd is a Mermaid sequence diagram (GitHub renders it in a <code>\`\`\`mermaid</code> block).</p>`);
  return page(`kafkasim run — ${s.name}`, parts.join("\n"));
}

interface GroupContext {
  /** Value → the id of its mark in the message diagram. */
  readonly inDiagram: ReadonlyMap<number, string>;
  readonly drawn: ReadonlyMap<number, "diagram" | "timeline">;
  readonly budget: number;
}

function groupHtml(r: RunResult, j: RunJudgement, g: AnomalyGroup, open: boolean, ctx: GroupContext): string {
  const as = g.members.map((i) => j.anomalies[i]!);
  const first = as[0]!;
  const head =
    g.status === "allowed" ? `allowed by <code>${esc(g.rule ?? "?")}</code>` : g.status === "liveness" ? `<span class="loss">not read, and no rule explains it: liveness</span>` : `<span class="loss">NOT ALLOWED: nothing in this run permits it (a bug)</span>`;
  const p: string[] = [`<details class="group ${g.status}" id="g-${esc(g.key)}"${open ? " open" : ""}><summary><b>${esc(g.type)} × ${g.members.length}</b> — ${head}</summary>`];
  // Which records, and when they were acknowledged.
  const acks = as.map((a) => (a.value !== null ? sendOf(r, a.value)?.end : undefined)).filter((e) => e?.type === "ok");
  const t0 = Math.min(...acks.map((e) => e!.tMs));
  const t1 = Math.max(...acks.map((e) => e!.tMs));
  const when = acks.length > 0 ? `; acknowledged ${t1 - t0 >= 0.5 ? `${fmtS(t0)}–${fmtS(t1)}` : `at ${fmtS(t0)}`}${brokersOf(acks)}` : "";
  p.push(`<p class="which"><b>Which:</b> ${esc(recordsLine(j.anomalies, g.members, (v) => ranges(v)))}${esc(when)}.</p>`);
  const linked = as.filter((a) => a.value !== null && ctx.inDiagram.has(a.value)).slice(0, 16);
  if (linked.length > 0) p.push(`<p class="records">In the message diagram: ${linked.map((a) => `<a href="#${ctx.inDiagram.get(a.value!)!}" data-value="${a.value}">v${a.value}</a>`).join("")}${as.filter((a) => a.value !== null && ctx.inDiagram.has(a.value)).length > linked.length ? "…" : ""}</p>`);
  // Why: the oracle's sentence and the events it rests on, with the faults that led there.
  if (g.because) p.push(`<p class="why"><b>Why (the oracle):</b> ${esc(tidyText(g.because.sentence, false))}</p>`);
  const causes = causesOf(r, first);
  const cited = citedEvents(j.anomalies, g.members);
  const lines: string[] = [];
  for (const c of causes.filter((c) => c.kind === "fault")) lines.push(`<li>${esc(fmtS(c.tMs))} fault: ${esc(c.text)}${c.endMs > c.tMs ? ` (until ${esc(fmtS(c.endMs))})` : ""}</li>`);
  for (const e of cited) {
    const where = e.source === "trace" ? ctx.drawn.get(e.index) : undefined;
    const anchor = where === "diagram" ? `#${evidenceAnchor(e)}` : where === "timeline" ? `#tl-${evidenceAnchor(e)}` : null;
    const text = `${fmtS(e.timeUs / 1000)} ${tidyText(e.text, false)}`;
    lines.push(`<li>${anchor ? `<a href="${anchor}">${esc(text)}</a>` : esc(text)}</li>`);
  }
  if (lines.length > 0) p.push(`<div class="why"><b>Caused by</b> (in order):<ul>${lines.join("")}</ul></div>`);
  p.push(`<p class="fix"><b>What would have kept it:</b> ${esc(remedyOf(g))}</p>`);
  const shown = as.slice(0, Math.min(PER_GROUP, ctx.budget));
  if (shown.length > 0) {
    p.push(`<details><summary>The records${as.length > shown.length ? ` (first ${shown.length} of ${as.length}; <code>kafkasim run --json</code> lists all)` : ""}, each explained</summary>`);
    g.members.slice(0, shown.length).forEach((i) => {
      const a = j.anomalies[i]!;
      const where = [a.partition, a.offset !== null ? `offset ${a.offset}` : null, a.value !== null ? `value ${a.value}` : null].filter(Boolean).join(" · ");
      p.push(`<div class="anomaly" id="a-${i}"><b>${esc(a.type)}</b> ${esc(where)}${a.value !== null && ctx.inDiagram.has(a.value) ? ` <a href="#${ctx.inDiagram.get(a.value)!}" data-value="${a.value}">(in the diagram)</a>` : ""}<pre>${esc(withCauses(explanationLines(a), causesOf(r, a)).join("\n"))}</pre></div>`);
    });
    p.push(`</details>`);
  }
  p.push(`</details>`);
  return p.join("");
}

function brokersOf(acks: readonly ({ readonly broker: number | null } | null | undefined)[]): string {
  const bs = [...new Set(acks.map((e) => e?.broker).filter((b): b is number => b !== null && b !== undefined))];
  return bs.length === 0 ? "" : ` by broker${bs.length > 1 ? "s" : ""} ${bs.join(", ")}`;
}

function findingsHtml(j: RunJudgement): string {
  const out: string[] = [];
  const l = j.liveness;
  if (l) {
    if (!l.judged) out.push(`<li>Liveness not judged: ${esc(l.reason ?? "the drain was too short")}.</li>`);
    else if (l.violations.length === 0) out.push(`<li class="ok">Liveness: the cluster converged after the heal (within the settle time of ${l.settleMs} ms): every partition led, every live replica back in the ISR and caught up.</li>`);
    for (const v of l.violations) out.push(`<li class="loss">Liveness violation, <b>${esc(v.kind)}</b> ${esc(v.subject)}: ${esc(tidyText(v.explanation, false))}</li>`);
  }
  for (const c of j.capacity ?? []) out.push(`<li>Capacity: group <b>${esc(c.group)}</b> processed ${c.processingRatePerSec.toFixed(0)} records/s against ${c.produceRatePerSec.toFixed(0)} produced (backlog ${c.backlog}): ${esc(c.explanation)}</li>`);
  return out.length > 0 ? `<h3>Liveness and capacity</h3><ul class="findings">${out.join("")}</ul>` : "";
}
