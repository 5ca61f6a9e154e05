// Finding and reading scenario files: a path, or a name from the library (scenarios/*.yaml, then
// scenarios/regressions/*.yaml).
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseScenario } from "../sim/scenario/parse.ts";
import { applyOverrides, didYouMean } from "../sim/scenario/schema.ts";
import type { Scenario } from "../sim/scenario/types.ts";

/** Bad command-line input: printed as one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const LIBRARY_DIR = join(ROOT, "scenarios");
export const REGRESSIONS_DIR = join(LIBRARY_DIR, "regressions");

const SCENARIO_EXT = /\.(ya?ml|json)$/i;

export function libraryFiles(dir = LIBRARY_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => SCENARIO_EXT.test(f) && f !== "schema.json")
    .sort()
    .map((f) => join(dir, f));
}

/** A path as the user should type it (relative to the working directory when shorter). */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel !== "" && !rel.startsWith("..") && rel.length < file.length ? rel : file;
}

/** Resolve `<file|name>` to a file path. */
export function resolveScenario(arg: string): string {
  if (existsSync(arg) && statSync(arg).isFile()) return resolve(arg);
  if (existsSync(arg) && statSync(arg).isDirectory()) throw new UsageError(`${arg} is a directory; give a scenario file (.yaml or .json) or a library name (kafkasim list)`);
  for (const dir of [LIBRARY_DIR, REGRESSIONS_DIR]) {
    for (const ext of [".yaml", ".yml", ".json"]) {
      const f = join(dir, arg.replace(SCENARIO_EXT, "") + ext);
      if (existsSync(f)) return f;
    }
  }
  const names = [...libraryFiles(), ...libraryFiles(REGRESSIONS_DIR)].map((f) => basename(f).replace(SCENARIO_EXT, ""));
  const dym = didYouMean(basename(arg).replace(SCENARIO_EXT, ""), names);
  throw new UsageError(`no scenario file or library scenario named "${arg}"${dym !== undefined ? `; did you mean "${dym}"?` : ""} (kafkasim list shows the library)`);
}

export interface LoadedScenario {
  readonly file: string;
  readonly scenario: Scenario;
}

/** Read, parse and validate; apply --seed and --set. Throws ScenarioError / UsageError. */
export function loadScenario(arg: string, opts: { seed?: string | undefined; sets?: readonly string[] | undefined } = {}): LoadedScenario {
  const file = resolveScenario(arg);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${displayPath(file)}: ${(e as Error).message}`);
  }
  let scenario = parseScenario(text, { file: displayPath(file) });
  const sets = [...(opts.sets ?? [])];
  if (opts.seed !== undefined) sets.push(`seed=${parseSeed(opts.seed)}`);
  if (sets.length > 0) scenario = applyOverrides(scenario, sets);
  return { file, scenario };
}

export function parseSeed(text: string): number | string {
  if (/^-?\d+$/.test(text)) {
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw new UsageError(`--seed ${text} is too large; give a whole number up to ${Number.MAX_SAFE_INTEGER}`);
    return n;
  }
  if (text === "") throw new UsageError("--seed needs a value, e.g. --seed 42");
  return text;
}

export function parsePositiveInt(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) throw new UsageError(`${flag} must be a whole number ≥ 1, got "${text}"`);
  return Number(text);
}

export function parsePositiveNumber(text: string, flag: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a number > 0, got "${text}"`);
  return n;
}
