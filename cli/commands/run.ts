// `kafkasim run <file|name>` and `kafkasim replay <file>`: one run, its verdict, anomalies with explanations,
// the expectation if the scenario has one, and the repro command.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { displayPath, loadScenario } from "../io.ts";
import { loadEngine } from "../engine.ts";
import type { CliJudgement, ExpectationOutcome } from "../engine.ts";
import { makeChalk, renderRun, reproCommand, runJson } from "../output.ts";
import type { RunJson } from "../output.ts";
import type { RunResult } from "../../sim/result.ts";

export interface RunCommandOptions {
  readonly seed?: string;
  readonly json?: boolean;
  readonly trace?: string;
  readonly html?: string;
  readonly set?: readonly string[];
  readonly write?: (text: string) => void;
}

export interface RunOutcome {
  readonly result: RunResult;
  readonly judgement: CliJudgement;
  readonly outcome: ExpectationOutcome | null;
  readonly json: RunJson;
}

/** Exit code: 0 = valid or as expected; 1 = a bug, or the expectation not met. */
export function exitCodeOf(j: CliJudgement, outcome: ExpectationOutcome | null): number {
  if (outcome) return outcome.ok ? 0 : 1;
  return j.verdict === "bug" ? 1 : 0;
}

export async function runOnce(arg: string, opts: RunCommandOptions, record: boolean): Promise<RunOutcome & { file: string }> {
  const { file, scenario } = loadScenario(arg, { seed: opts.seed, sets: opts.set });
  const engine = await loadEngine();
  const t0 = performance.now();
  const result = engine.runScenario(scenario, { record });
  const judgement = engine.judge(result);
  const wallMs = performance.now() - t0;
  const outcome = scenario.expect ? engine.checkExpectation(scenario.expect, judgement) : null;
  const json = runJson(result, judgement, outcome, reproCommand(displayPath(file), scenario.seed, opts.set ?? []), wallMs);
  return { file, result, judgement, outcome, json };
}

export async function runCommand(arg: string, opts: RunCommandOptions): Promise<number> {
  const write = opts.write ?? ((t: string) => process.stdout.write(t));
  const record = opts.trace !== undefined || opts.html !== undefined;
  const r = await runOnce(arg, opts, record);
  if (opts.trace !== undefined) {
    writeFileSync(opts.trace, r.result.trace.map((e) => JSON.stringify(e)).join("\n") + "\n");
  }
  if (opts.html !== undefined) {
    mkdirSync(opts.html, { recursive: true });
    writeFileSync(join(opts.html, "index.html"), runHtml(r.json, r.result));
  }
  if (opts.json) write(JSON.stringify(r.json, null, 2) + "\n");
  else {
    const c = makeChalk();
    write(renderRun(c, r.json, r.judgement, { file: r.file }) + "\n");
    if (opts.trace !== undefined) write(c.dim(`trace: ${r.result.trace.length} events written to ${opts.trace}\n`));
    if (opts.html !== undefined) write(c.dim(`report: ${join(opts.html, "index.html")}\n`));
  }
  return exitCodeOf(r.judgement, r.outcome);
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[ch] as string);
}

/** A small self-contained page: summary, anomalies with explanations, the faults that fired. */
function runHtml(j: RunJson, r: RunResult): string {
  const rows = j.anomalies
    .slice(0, 500)
    .map((a) => `<tr><td>${esc(a.type)}</td><td>${esc(a.partition ?? "")}</td><td>${a.offset ?? ""}</td><td>${a.value ?? ""}</td><td><pre>${esc(a.explanation)}</pre></td></tr>`)
    .join("\n");
  const faults = r.faults.map((f) => `<li>${(f.timeUs / 1000).toFixed(1)} ms: ${esc(f.action.kind)} → ${esc(f.nodes.join(", ") || "(nothing)")}</li>`).join("\n");
  return `<!doctype html><html><head><meta charset="utf-8"><title>kafkasim: ${esc(j.scenario)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px;vertical-align:top}pre{margin:0;white-space:pre-wrap}</style></head><body>
<h1>${esc(j.scenario)}</h1><p>${esc(r.scenario.description ?? "")}</p>
<p>protocol ${esc(j.protocol)} · seed ${esc(String(j.seed))} · verdict <b>${esc(j.verdict)}</b> · trace hash ${esc(j.traceHash)}</p>
<pre>${esc(JSON.stringify(j.stats, null, 1))}</pre>
<h2>Faults</h2><ul>${faults}</ul>
<h2>Anomalies (${j.anomalies.length})</h2><table><tr><th>type</th><th>partition</th><th>offset</th><th>value</th><th>explanation</th></tr>${rows}</table>
<p>Repro: <code>${esc(j.repro)}</code></p></body></html>
`;
}
