// `kafkasim run <file|name>` and `kafkasim replay <file>`: one run, its verdict, anomalies with explanations,
// the expectation if the scenario has one, and the repro command.
import cliProgress from "cli-progress";
import { writeRunHtml } from "../../reports/run-report.ts";
import { checkOutputDir, checkOutputFile, displayPath, loadScenario, parseLimits, writeFileAtomic } from "../io.ts";
import { checkJunitPath, junitOfRun, writeJunit } from "../junit.ts";
import { progressReporter } from "../progress.ts";
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
  /** `--limit name=value` flags. */
  readonly limit?: readonly string[];
  /** Also write the outcome as JUnit XML. */
  readonly junit?: string;
  readonly write?: (text: string) => void;
  readonly writeErr?: (text: string) => void;
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
  return j.verdict === "bug" || j.verdict === "liveness" ? 1 : 0;
}

/** A progress bar on stderr for runs longer than a second of wall time (none under --json); without a terminal,
 *  a plain line every 10 s of wall time. */
function runProgress(json: boolean, t0: number): { update: (virtualMs: number, totalMs: number) => void; stop: () => void } {
  let bar: cliProgress.SingleBar | undefined;
  let virtualMs = 0;
  let totalMs = 0;
  const reporter = progressReporter({
    json,
    startBar: () => {
      bar = new cliProgress.SingleBar({ stream: process.stderr, format: " run {bar} {value}/{total} virtual s", hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
      bar.start(Math.ceil(totalMs / 1000), Math.floor(virtualMs / 1000));
    },
    line: (elapsedMs) => `run: ${Math.floor(virtualMs / 1000)} of ${Math.ceil(totalMs / 1000)} virtual s after ${(elapsedMs / 1000).toFixed(0)} s`,
  });
  return {
    update: (v, total) => {
      virtualMs = v;
      totalMs = total;
      reporter.tick(performance.now() - t0);
      bar?.update(Math.floor(v / 1000));
    },
    stop: () => bar?.stop(),
  };
}

export async function runOnce(arg: string, opts: RunCommandOptions, record: boolean): Promise<RunOutcome & { file: string }> {
  const { file, scenario } = loadScenario(arg, { seed: opts.seed, sets: opts.set, limits: parseLimits(opts.limit) });
  const engine = await loadEngine();
  const t0 = performance.now();
  const progress = runProgress(opts.json === true, t0);
  let result: RunResult;
  try {
    result = engine.runScenario(scenario, { record, onProgress: progress.update });
  } finally {
    progress.stop();
  }
  const judgement = engine.judge(result);
  const wallMs = performance.now() - t0;
  const outcome = scenario.expect ? engine.checkExpectation(scenario.expect, judgement) : null;
  const json = runJson(result, judgement, outcome, reproCommand(displayPath(file), scenario.seed, opts.set ?? [], opts.limit ?? []), wallMs);
  return { file, result, judgement, outcome, json };
}

export async function runCommand(arg: string, opts: RunCommandOptions): Promise<number> {
  const write = opts.write ?? ((t: string) => process.stdout.write(t));
  const writeErr = opts.writeErr ?? ((t: string) => process.stderr.write(t));
  // Destinations first: a run is not thrown away because its output cannot be written.
  if (opts.trace !== undefined) checkOutputFile("--trace", opts.trace);
  if (opts.html !== undefined) checkOutputDir("--html", opts.html);
  if (opts.junit !== undefined) checkJunitPath(opts.junit);
  const record = opts.trace !== undefined || opts.html !== undefined;
  const r = await runOnce(arg, opts, record);
  if (opts.junit !== undefined) {
    const bad = r.judgement.anomalies.filter((a) => !a.allowed).slice(0, 5).map((a) => a.explanation);
    const live = r.judgement.liveness.violations.slice(0, 5).map((v) => v.explanation);
    writeJunit(opts.junit, [junitOfRun({ scenario: r.json.scenario, file: displayPath(r.file), verdict: r.judgement.verdict, problems: r.outcome ? r.outcome.problems : null, explanations: [...bad, ...live], repro: r.json.repro, wallMs: Number(r.json.metrics.wallMs) })]);
  }
  if (opts.trace !== undefined) {
    writeFileAtomic(opts.trace, r.result.trace.map((e) => JSON.stringify(e)).join("\n") + "\n");
  }
  const written = opts.html !== undefined ? await writeRunHtml(r.result, r.judgement, opts.html, { repro: r.json.repro }) : [];
  if (opts.json) write(JSON.stringify(r.json, null, 2) + "\n");
  else {
    const c = makeChalk();
    for (const w of r.json.warnings) writeErr(`${makeChalk(process.stderr.isTTY === true && !process.env.NO_COLOR).yellow("warning:")} ${w}\n`);
    const width = opts.write === undefined && process.stdout.isTTY ? (process.stdout.columns ?? 0) : 0;
    write(renderRun(c, r.json, r.judgement, { file: r.file, width, result: r.result }) + "\n");
    if (opts.trace !== undefined) write(c.dim(`trace: ${r.result.trace.length} events written to ${opts.trace}\n`));
    if (written.length > 0) write(c.dim(`report: ${written.join(", ")}\n`));
  }
  return exitCodeOf(r.judgement, r.outcome);
}
