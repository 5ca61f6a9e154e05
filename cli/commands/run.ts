// `kafkasim run <file|name>` and `kafkasim replay <file>`: one run, its verdict, anomalies with explanations,
// the expectation if the scenario has one, and the repro command.
import cliProgress from "cli-progress";
import { writeRunHtml } from "../../reports/run-report.ts";
import { checkOutputDir, checkOutputFile, displayPath, loadScenario, parseLimits, writeFileAtomic } from "../io.ts";
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

/** A progress bar on stderr for runs longer than a second of wall time; none under --json or without a TTY. */
function runProgress(json: boolean, t0: number): { update: (virtualMs: number, totalMs: number) => void; stop: () => void } {
  let bar: cliProgress.SingleBar | undefined;
  const show = !json && process.stderr.isTTY === true;
  return {
    update: (virtualMs, totalMs) => {
      if (!show) return;
      if (bar === undefined) {
        if (performance.now() - t0 < 1000) return;
        bar = new cliProgress.SingleBar({ stream: process.stderr, format: " run {bar} {value}/{total} virtual s", hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
        bar.start(Math.ceil(totalMs / 1000), 0);
      }
      bar.update(Math.floor(virtualMs / 1000));
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
  const record = opts.trace !== undefined || opts.html !== undefined;
  const r = await runOnce(arg, opts, record);
  if (opts.trace !== undefined) {
    writeFileAtomic(opts.trace, r.result.trace.map((e) => JSON.stringify(e)).join("\n") + "\n");
  }
  const written = opts.html !== undefined ? await writeRunHtml(r.result, r.judgement, opts.html, { repro: r.json.repro }) : [];
  if (opts.json) write(JSON.stringify(r.json, null, 2) + "\n");
  else {
    const c = makeChalk();
    for (const w of r.json.warnings) writeErr(`${makeChalk(process.stderr.isTTY === true && !process.env.NO_COLOR).yellow("warning:")} ${w}\n`);
    write(renderRun(c, r.json, r.judgement, { file: r.file }) + "\n");
    if (opts.trace !== undefined) write(c.dim(`trace: ${r.result.trace.length} events written to ${opts.trace}\n`));
    if (written.length > 0) write(c.dim(`report: ${written.join(", ")}\n`));
  }
  return exitCodeOf(r.judgement, r.outcome);
}
