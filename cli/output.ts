// Rendering for the terminal and the JSON contracts (README.md, "JSON output"). Colour is off when stdout is not a
// TTY, with NO_COLOR, or under --json.
import { Chalk } from "chalk";
import { shellWord } from "../properties/shell-word.ts";
import type { ChalkInstance } from "chalk";
import { runMetrics } from "../reports/metrics.ts";
import type { RunResult } from "../sim/result.ts";
import type { Scenario } from "../sim/scenario/types.ts";
import type { CliAnomaly, CliJudgement, ExpectationOutcome } from "./engine.ts";
import { explanationLines, groupAnomalies, recordsLine, remedyOf, tidyText } from "../reports/anomaly-groups.ts";
import { causesOf, withCauses } from "../reports/causes.ts";
import { fmtS, ranges } from "../reports/records.ts";
import { wrap } from "../reports/wrap.ts";

export function colourEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== "") return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true;
}

export function makeChalk(enabled = colourEnabled()): ChalkInstance {
  return new Chalk({ level: enabled ? 1 : 0 });
}

/** A word as the shell reads it (quoted when needed). */
export { shellWord } from "../properties/shell-word.ts";

/** The one-line command that reproduces a run (the --limit flags it needed included). */
export function reproCommand(file: string, seed: Scenario["seed"], sets: readonly string[] = [], limits: readonly string[] = []): string {
  const q = shellWord;
  return ["npx kafkasim run", q(file), "--seed", q(String(seed)), ...sets.flatMap((s) => ["--set", q(s)]), ...limits.flatMap((l) => ["--limit", q(l)])].join(" ");
}

export interface RunJson {
  readonly seed: Scenario["seed"];
  readonly scenario: string;
  readonly protocol: string;
  readonly traceHash: string;
  readonly verdict: CliJudgement["verdict"];
  readonly expectation: (ExpectationOutcome & { readonly expect: NonNullable<Scenario["expect"]> }) | null;
  readonly stats: Readonly<Record<string, number>>;
  readonly anomalies: readonly {
    type: string;
    partition: string | null;
    offset: number | null;
    value: number | null;
    explanation: string;
    allowed: boolean | null;
    allowedBecause: CliAnomaly["allowedBecause"];
    liveness: boolean;
  }[];
  readonly liveness: CliJudgement["liveness"];
  readonly capacity: CliJudgement["capacity"];
  readonly metrics: Readonly<Record<string, unknown>>;
  readonly repro: string;
  /** Faults that fired but could not apply, one line each (restart a running broker, no leader to kill). */
  readonly warnings: readonly string[];
}

export function runJson(r: RunResult, j: CliJudgement, outcome: ExpectationOutcome | null, repro: string, wallMs: number): RunJson {
  const m = runMetrics(r, j.stats);
  return {
    seed: r.seed,
    scenario: r.scenario.name,
    protocol: r.protocol,
    traceHash: r.traceHash,
    verdict: j.verdict,
    expectation: outcome && r.scenario.expect ? { expect: r.scenario.expect, ...outcome } : null,
    stats: { ...j.stats },
    anomalies: j.anomalies.map((a) => ({ type: a.type, partition: a.partition, offset: a.offset, value: a.value, explanation: a.explanation, allowed: a.allowed ?? null, allowedBecause: a.allowedBecause, liveness: a.liveness === true })),
    liveness: j.liveness,
    capacity: j.capacity,
    metrics: {
      end: r.end.reason,
      virtualMs: r.virtualMs,
      workloadEndMs: r.workloadEndMs,
      events: r.events,
      faultsFired: r.faults.length,
      throughputPerSec: m.throughputPerSec,
      latencyMs: m.latencyMs,
      endToEndMs: m.endToEndMs,
      unavailableMs: m.unavailableMs,
      recoveriesMs: m.recoveriesMs,
      produceErrors: m.produceErrors,
      diskBytes: r.diskBytes,
      network: r.network,
      wallMs: Math.round(wallMs),
    },
    repro,
    warnings: (r.warnings ?? []).map((w) => w.message),
  };
}

function verdictText(c: ChalkInstance, v: CliJudgement["verdict"]): string {
  switch (v) {
    case "valid":
      return c.green.bold("VALID");
    case "allowed":
      return c.yellow.bold("ALLOWED");
    case "liveness":
      return c.red.bold("LIVENESS");
    case "bug":
      return c.red.bold("BUG");
  }
}

function anomalyLine(c: ChalkInstance, a: CliAnomaly): string {
  const where = [a.partition ?? undefined, a.offset !== null ? `offset ${a.offset}` : undefined, a.value !== null ? `value ${a.value}` : undefined].filter(Boolean).join(" ");
  const tag = a.allowed ? c.yellow(a.type) : c.red(a.type);
  return `  ${tag}${where ? ` ${c.dim(where)}` : ""}`;
}

/** The counts of a run, `unknown` (sends with no outcome at the end) included. */
export function statsLine(st: Readonly<Record<string, number>>): string {
  return `sent ${st.sent ?? 0} · acked ${st.acked ?? 0} · failed ${st.failed ?? 0} · unknown ${st.unknown ?? 0} · lost ${st.lostWrites ?? 0} · duplicates ${st.duplicates ?? 0} · reorders ${st.reorders ?? 0} · uncommitted reads ${st.uncommittedReads ?? 0}`;
}

/** The terminal report of one run: anomalies grouped by type and the oracle's rule (bugs first), each group with
 *  its records, the oracle's reason, what caused it and the setting that would have kept it, then the first few
 *  records explained. `width`: wrap to it (0: no wrapping). `result`: the run, for the causes. */
export function renderRun(c: ChalkInstance, json: RunJson, j: CliJudgement, opts: { maxPerType?: number; file: string; width?: number; result?: RunResult }): string {
  const width = opts.width ?? 0;
  const lines: string[] = [];
  const push = (text: string, indent = "    "): void => {
    lines.push(...wrap(text, width, indent));
  };
  push(`${c.bold(json.scenario)}  ${c.dim(`protocol ${json.protocol} · seed ${String(json.seed)} · ${String(json.metrics.virtualMs)} ms virtual · ${String(json.metrics.wallMs)} ms wall`)}`);
  push(statsLine(json.stats));
  const max = opts.maxPerType ?? 3;
  const groups = groupAnomalies(j.anomalies);
  if (groups.length > 0) push(c.bold(`anomalies (${j.anomalies.length} in ${groups.length} group${groups.length === 1 ? "" : "s"}):`));
  for (const g of groups) {
    const list = g.members.map((i) => j.anomalies[i] as CliAnomaly);
    const first = list[0] as CliAnomaly;
    const head = g.status === "allowed" ? c.yellow(`allowed (${g.rule ?? "?"})`) : g.status === "liveness" ? c.red("not read, and no rule explains it: see liveness") : c.red("NOT ALLOWED: nothing in this run permits it (a bug)");
    push(`${c.bold(g.type)} ×${list.length} — ${head}`);
    push(`  which: ${recordsLine(j.anomalies, g.members, (v) => ranges(v))}`);
    if (g.because) push(`  why: ${tidyText(g.because.sentence, false)}`);
    if (opts.result) {
      const causes = causesOf(opts.result, first);
      if (causes.length > 0) push(`  caused by: ${causes.map((x) => `${fmtS(x.tMs)} ${x.kind === "fault" ? "fault: " : ""}${tidyText(x.text, false)}`).join("; ")}`);
    }
    push(c.green(`  would have kept it: ${remedyOf(g)}`));
    for (const a of list.slice(0, max)) {
      push(anomalyLine(c, a));
      const ex = opts.result ? withCauses(explanationLines(a), causesOf(opts.result, a)) : explanationLines(a);
      for (const e of ex.slice(0, 14)) push(`      ${c.dim(e)}`, `        ${/^ */.exec(e)?.[0] ?? ""}`);
      if (ex.length > 14) push(`      ${c.dim(`… ${ex.length - 14} more steps (kafkasim explain shows them)`)}`);
    }
    if (list.length > max) push(c.dim(`  ... and ${list.length - max} more (--json lists all)`));
  }
  for (const f of j.capacity) push(`${c.yellow.bold("capacity")}: ${f.explanation}`);
  if (j.liveness.violations.length > 0) {
    push(c.bold("liveness (after the heal and the drain):"));
    for (const v of j.liveness.violations) push(`  ${c.red(v.kind)} ${v.subject}: ${tidyText(v.explanation, false)}`);
  } else if (!j.liveness.judged && j.liveness.reason !== undefined) push(c.dim(`liveness not judged: ${j.liveness.reason}`));
  lines.push(`verdict: ${verdictText(c, json.verdict)}`);
  if (json.expectation) {
    const e = json.expectation;
    const want = [e.expect.verdict ? `verdict ${e.expect.verdict}` : "", ...(e.expect.anomalies ?? []).map((a) => `finds ${a}`), ...(e.expect.absent ?? []).map((a) => `no ${a}`)].filter(Boolean).join(", ");
    push(e.ok ? `expectation: ${c.green("met")} ${c.dim(`(${want})`)}` : `expectation: ${c.red("NOT met")} ${c.dim(`(${want})`)}`);
    if (!e.ok) for (const p of e.problems) push(`  - ${p}`);
  }
  lines.push(c.dim(`trace hash ${json.traceHash}`));
  lines.push(`repro: ${c.cyan(json.repro)}`);
  return lines.join("\n");
}
