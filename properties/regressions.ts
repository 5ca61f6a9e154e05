// Counterexamples as scenario files: the shrunk Scenario itself, in the scenario file form the CLI loads
// (sim/scenario/to-file.ts), with `expect` set to the recorded verdict and anomalies and the metadata (seed,
// fast-check path and version, verdict, anomalies) as a JSON line in the header comment. Written atomically
// (temp file + rename) under scenarios/regressions/. Replaying runs the scenario, not a seed.
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import type { AnomalyType, Scenario, Verdict } from "../sim/scenario/types.ts";
import type { Judgement } from "./types.ts";
import { parseScenario } from "../sim/scenario/parse.ts";
import { scenarioToYaml } from "../sim/scenario/to-file.ts";

export const REGRESSIONS_DIR = new URL("../scenarios/regressions/", import.meta.url).pathname;

export interface RegressionMeta {
  readonly property: string;
  readonly seed: number;
  readonly fastCheckPath: string | null;
  readonly fastCheckVersion: string;
  readonly verdict: Verdict;
  readonly anomalies: readonly AnomalyType[];
  /** The first anomaly's explanation, for a human reading the file. */
  readonly explanation?: string;
  /** Trace hash of the run when it was recorded: a replay with the same hash is the same run. */
  readonly traceHash?: string;
}

export interface RegressionFile {
  readonly kafkasimRegression: 1;
  readonly meta: RegressionMeta;
  readonly scenario: Scenario;
}

/** `targets`: the anomaly types the property hunted — the file's `expect` asks for those (and the verdict);
 *  every type found is kept in the metadata for the reader. */
export function regressionOf(property: string, scenario: Scenario, j: Judgement, seed: number, path: string | null, targets?: readonly AnomalyType[], traceHash?: string): RegressionFile {
  const anomalies = [...new Set(j.anomalies.map((a) => a.type))];
  const expected = targets ? anomalies.filter((t) => targets.includes(t)) : anomalies;
  const first = j.anomalies.find((a) => !a.allowed) ?? j.anomalies[0];
  return {
    kafkasimRegression: 1,
    meta: { property, seed, fastCheckPath: path, fastCheckVersion: fc.__version, verdict: j.verdict, anomalies, ...(first ? { explanation: first.explanation } : {}), ...(traceHash !== undefined ? { traceHash } : {}) },
    scenario: { ...scenario, name: `regression-${property}`, description: `Shrunk counterexample of the property "${property}": ${expected.join(", ")} (verdict ${j.verdict}).`, expect: { verdict: j.verdict, anomalies: expected } },
  };
}

const META_PREFIX = "kafkasim-regression: ";

/** Write atomically; returns the path. Scenarios holding user code (functions) cannot be saved. */
export function saveRegression(file: RegressionFile, dir = REGRESSIONS_DIR): string {
  mkdirSync(dir, { recursive: true });
  const name = `${file.meta.property.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}.yaml`;
  const path = join(dir, name);
  const tmp = `${path}.${process.pid}.tmp`;
  const header = [`Counterexample found by the property "${file.meta.property}" (shrunk by fast-check).`, `${META_PREFIX}${JSON.stringify(file.meta)}`].join("\n");
  writeFileSync(tmp, scenarioToYaml(file.scenario, header));
  renameSync(tmp, path);
  return path;
}

/** What a replay records about its run: the trace hash and, for the reader, the anomalies and explanation. */
export type RunRecord = Pick<RegressionMeta, "anomalies" | "explanation"> & { readonly traceHash: string };

export function runRecordOf(j: Judgement, traceHash: string): RunRecord {
  const first = j.anomalies.find((a) => !a.allowed) ?? j.anomalies[0];
  return { traceHash, anomalies: [...new Set(j.anomalies.map((a) => a.type))], ...(first ? { explanation: first.explanation } : {}) };
}

/** Re-record a file's run after an intended change of the simulator: rewrite only the metadata line of the
 *  header (trace hash, anomalies, explanation), keeping the scenario, its expectation and the rest of the file
 *  byte for byte (atomically). `loadedText` is the file's text when it was replayed: if the file changed since
 *  (re-hunted meanwhile), it is left alone and false is returned. */
export function rerecordRegression(path: string, loadedText: string, run: RunRecord): boolean {
  const text = readFileSync(path, "utf8");
  if (text !== loadedText) return false;
  const lines = text.split("\n");
  const i = lines.findIndex((l) => l.startsWith(`# ${META_PREFIX}`));
  if (i < 0) throw new Error(`${path}: no "${META_PREFIX}" header line`);
  const { explanation: _e, traceHash: _h, ...meta } = JSON.parse((lines[i] as string).slice(2 + META_PREFIX.length)) as RegressionMeta;
  const updated: RegressionMeta = { ...meta, anomalies: run.anomalies, ...(run.explanation !== undefined ? { explanation: run.explanation } : {}), ...(run.traceHash !== undefined ? { traceHash: run.traceHash } : {}) };
  lines[i] = `# ${META_PREFIX}${JSON.stringify(updated)}`;
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, lines.join("\n"));
  renameSync(tmp, path);
  return true;
}

export function readRegression(path: string): RegressionFile {
  return parseRegression(path, readFileSync(path, "utf8"));
}

function parseRegression(path: string, text: string): RegressionFile {
  const line = text.split("\n").find((l) => l.startsWith(`# ${META_PREFIX}`));
  if (!line) throw new Error(`${path}: no "${META_PREFIX}" header line`);
  const meta = JSON.parse(line.slice(2 + META_PREFIX.length)) as RegressionMeta;
  return { kafkasimRegression: 1, meta, scenario: parseScenario(text, { file: path }) };
}

/** Every saved counterexample in `dir`, with the text it was read from. */
export function loadRegressions(dir = REGRESSIONS_DIR): { path: string; file: RegressionFile; text: string }[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".yaml")).sort();
  } catch {
    return [];
  }
  return names.map((n) => {
    const path = join(dir, n);
    const text = readFileSync(path, "utf8");
    return { path, file: parseRegression(path, text), text };
  });
}
