// `--junit FILE` on run, fuzz, check and compare: the command's outcome as JUnit XML for CI (one test case per
// scenario expectation, counterexample, checked file or configuration), written atomically.
import { junitXml } from "../reports/junit.ts";
import type { JunitCase, JunitSuite } from "../reports/junit.ts";
import { checkOutputFile, writeFileAtomic } from "./io.ts";
import type { FuzzJson } from "./commands/fuzz.ts";
import type { CompareOutcome } from "../reports/compare.ts";
import { describeConfig } from "../reports/metrics.ts";

export function checkJunitPath(file: string): void {
  checkOutputFile("--junit", file);
}

export function writeJunit(file: string, suites: readonly JunitSuite[]): void {
  writeFileAtomic(file, junitXml(suites));
}

/** A campaign: one failing case per counterexample (a bug or a liveness failure), else one passing case. */
export function junitOfFuzz(out: FuzzJson): JunitSuite {
  const name = `kafkasim fuzz ${out.campaign.base ?? "(drawn)"} seed ${String(out.seed)}${out.shard ? ` shard ${out.shard.index}/${out.shard.count}` : ""}`;
  const cases: JunitCase[] = out.counterexamples.map((ce) => ({
    className: name,
    name: `run ${ce.run}: ${ce.target}`,
    failure: ce.verdict === "bug" || ce.verdict === "liveness" ? { message: `${ce.verdict}: ${ce.target} (${ce.anomalies.join(", ") || ce.liveness.join(", ")})`, type: ce.verdict, details: `${ce.explanation}\n\nreproduce: ${ce.repro ?? "(the file could not be saved)"}` } : null,
    stdout: ce.repro ?? "",
  }));
  const v = out.verdicts;
  const bad = v.bug + v.liveness;
  if (cases.every((x) => x.failure === null)) {
    cases.push({
      className: name,
      name: `${out.runs} runs`,
      failure: bad > 0 ? { message: `${bad} run(s) with a bug or liveness verdict`, type: "bug", details: out.repro } : null,
      stdout: `valid ${v.valid}, allowed ${v.allowed}, liveness ${v.liveness}, bug ${v.bug}; capacity findings ${out.capacity}; repro: ${out.repro}`,
    });
  }
  return { name, cases, timeSec: out.wallMs / 1000 };
}

/** A comparison: one case per configuration, failing when one of its runs had a bug or liveness verdict (an
 *  anomaly no rule allows); the configurations Kafka refuses are skipped cases. */
export function junitOfCompare(o: CompareOutcome): JunitSuite {
  const name = `kafkasim compare ${o.matrix.name} seed ${o.report.seed} × ${o.report.seeds}`;
  const cases: JunitCase[] = o.report.rows.map((r, i) => {
    const v = r.verdicts ?? { valid: 0, allowed: 0, liveness: 0, bug: 0 };
    const bad = v.bug + v.liveness;
    return {
      className: name,
      name: describeConfig(r.config) || "(base)",
      failure: bad > 0 ? { message: `${v.bug} bug and ${v.liveness} liveness verdict(s) in ${o.report.seeds} run(s)`, type: v.bug > 0 ? "bug" : "liveness", details: o.tradeoffs[i] ?? "" } : null,
      stdout: o.tradeoffs[i] ?? "",
    };
  });
  for (const x of o.invalid) cases.push({ className: name, name: describeConfig(x.config), failure: null, stdout: `not run: ${x.reason}` });
  return { name, cases };
}

/** One run against its scenario: failing when the expectation is not met, or (without one) on a bug or liveness
 *  verdict; the details say why and how to reproduce it. */
export function junitOfRun(o: { scenario: string; file: string; verdict: string; problems: readonly string[] | null; explanations: readonly string[]; repro: string; wallMs: number }): JunitSuite {
  const name = `kafkasim run ${o.file}`;
  const failed = o.problems !== null ? o.problems.length > 0 : o.verdict === "bug" || o.verdict === "liveness";
  const message = o.problems !== null ? (o.problems.length > 0 ? `expectation not met: ${o.problems.join("; ")}` : "") : `verdict ${o.verdict}`;
  return {
    name,
    timeSec: o.wallMs / 1000,
    cases: [{ className: name, name: o.scenario, failure: failed ? { message, type: o.verdict, details: `${o.explanations.join("\n")}\n\nreproduce: ${o.repro}` } : null, stdout: `verdict ${o.verdict}; reproduce: ${o.repro}`, timeSec: o.wallMs / 1000 }],
  };
}

/** `check`: one case per file, failing with its problems. */
export function junitOfCheck(results: readonly { file: string; problems: string | null }[]): JunitSuite {
  const name = "kafkasim check";
  return { name, cases: results.map((r) => ({ className: name, name: r.file, failure: r.problems === null ? null : { message: r.problems.split("\n")[0] ?? "invalid", type: "invalid", details: r.problems } })) };
}
