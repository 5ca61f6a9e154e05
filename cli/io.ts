// Finding and reading scenario files: a path, or a name from the library (scenarios/*.yaml, then
// scenarios/regressions/*.yaml), by file name or by the scenario's own name. Files are size-checked before
// they are read (the maxFileBytes limit).
import { existsSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseScenario } from "../sim/scenario/parse.ts";
import { applyOverrides, didYouMean } from "../sim/scenario/schema.ts";
import { DEFAULT_LIMITS, LIMIT_NAMES, howToRaise } from "../sim/scenario/limits.ts";
import type { Limits, Scenario } from "../sim/scenario/types.ts";

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

/** The scenario name written in a library file (`name:` at the top level), without parsing the whole file. */
function declaredName(file: string): string | undefined {
  try {
    const m = /^name:[ \t]*(.+?)[ \t]*$/m.exec(readFileSync(file, "utf8").slice(0, 4096));
    return m ? (m[1] as string).replace(/^(["'])(.*)\1$/, "$2") : undefined;
  } catch {
    return undefined;
  }
}

/** Resolve `<file|name>` to a file path: an existing file, a library file name (without extension), or the
 *  `name:` of a library scenario (what `kafkasim list` prints). */
export function resolveScenario(arg: string): string {
  if (existsSync(arg)) {
    const st = statSync(arg);
    if (st.isFile()) return resolve(arg);
    if (st.isDirectory()) throw new UsageError(`${arg} is a directory; give a scenario file (.yaml or .json) or a library name (kafkasim list)`);
    throw new UsageError(`${arg} is not a regular file (a pipe or a device); give a scenario file (.yaml or .json)`);
  }
  for (const dir of [LIBRARY_DIR, REGRESSIONS_DIR]) {
    for (const ext of [".yaml", ".yml", ".json"]) {
      const f = join(dir, arg.replace(SCENARIO_EXT, "") + ext);
      if (existsSync(f)) return f;
    }
  }
  const library = [...libraryFiles(), ...libraryFiles(REGRESSIONS_DIR)];
  const byName = library.find((f) => declaredName(f) === arg);
  if (byName !== undefined) return byName;
  const names = library.map((f) => basename(f).replace(SCENARIO_EXT, ""));
  const dym = didYouMean(basename(arg).replace(SCENARIO_EXT, ""), names);
  throw new UsageError(`no scenario file or library scenario named "${arg}"${dym !== undefined ? `; did you mean "${dym}"?` : ""} (kafkasim list shows the library)`);
}

/** A scenario file's text, refused before it is read when larger than the maxFileBytes limit. */
export function readScenarioText(file: string, limits: Partial<Limits> = {}): string {
  const max = limits.maxFileBytes ?? DEFAULT_LIMITS.maxFileBytes;
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new UsageError(`cannot read ${displayPath(file)}: ${(e as Error).message}`);
  }
  if (size > max) throw new UsageError(`${displayPath(file)}: ${size} bytes exceeds the limit maxFileBytes = ${max}; ${howToRaise("maxFileBytes", size)}`);
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${displayPath(file)}: ${(e as Error).message}`);
  }
}

/** `--limit name=value` flags. */
export function parseLimits(args: readonly string[] = []): Partial<Limits> {
  const out: Partial<Record<keyof Limits, number>> = {};
  for (const a of args) {
    const m = /^([^=]+)=(.*)$/.exec(a);
    const name = m?.[1]?.trim() as keyof Limits | undefined;
    if (!m || name === undefined) throw new UsageError(`--limit ${a}: expected name=value, e.g. --limit maxRecords=10000000`);
    if (!LIMIT_NAMES.includes(name)) {
      const dym = didYouMean(name, LIMIT_NAMES);
      throw new UsageError(`--limit ${a}: unknown limit "${name}"${dym !== undefined ? `; did you mean "${dym}"?` : ""} Allowed: ${LIMIT_NAMES.join(", ")}`);
    }
    out[name] = parsePositiveInt((m[2] as string).trim().replace(/_/g, ""), `--limit ${name}`);
  }
  return out;
}

export interface LoadedScenario {
  readonly file: string;
  readonly scenario: Scenario;
}

/** Read, parse and validate; apply --seed and --set. Throws ScenarioError / UsageError. */
export function loadScenario(arg: string, opts: { seed?: string | undefined; sets?: readonly string[] | undefined; limits?: Partial<Limits> | undefined; externalClients?: boolean } = {}): LoadedScenario {
  const file = resolveScenario(arg);
  const text = readScenarioText(file, opts.limits);
  const external = opts.externalClients === true ? { externalClients: true } : {};
  let scenario = parseScenario(text, { file: displayPath(file), ...(opts.limits !== undefined ? { limits: opts.limits } : {}), ...external });
  const sets = [...(opts.sets ?? [])];
  if (opts.seed !== undefined) sets.push(`seed=${parseSeed(opts.seed)}`);
  if (sets.length > 0) scenario = applyOverrides(scenario, sets, external);
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

// ---------------------------------------------------------------------------------------------------------
// Output destinations: checked before any work, so a campaign is not thrown away at its first write.

/** The nearest existing ancestor of a path (the path itself when it exists). */
function nearestExisting(path: string): string {
  let p = resolve(path);
  while (!existsSync(p)) {
    const up = resolve(p, "..");
    if (up === p) break;
    p = up;
  }
  return p;
}

/** Write then remove a probe file in `dir`: the only reliable test of writability (access(2) says yes to
 *  root on read-only mounts' directories and in /proc). */
function probeWritable(dir: string): string | undefined {
  const probe = join(dir, `.kafkasim-probe-${process.pid}`);
  try {
    writeFileSync(probe, "", { flag: "wx" });
    unlinkSync(probe);
    return undefined;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "EROFS") return "read-only file system";
    if (err.code === "EACCES" || err.code === "EPERM") return "permission denied";
    if (err.code === "ENOENT" || err.code === "ENOTDIR") return "files cannot be created there";
    return err.code ?? err.message;
  }
}

/** A directory kafkasim will create (if needed) and write files into (--save, --html). */
export function checkOutputDir(flag: string, dir: string): void {
  if (dir.trim() === "") throw new UsageError(`${flag} needs a directory`);
  const at = nearestExisting(dir);
  const st = statSync(at);
  if (!st.isDirectory()) throw new UsageError(`${flag} ${dir}: ${displayPath(at)} is ${st.isFile() ? "a file" : "a device or a pipe"}, not a directory`);
  const why = probeWritable(at);
  if (why !== undefined) throw new UsageError(`${flag} ${dir}: cannot write in ${displayPath(at)} (${why})`);
}

/** A file kafkasim will write (--trace): its directory must exist and be writable; an existing target must be
 *  a regular file (writing to a pipe or a device could block forever). */
export function checkOutputFile(flag: string, file: string): void {
  if (file.trim() === "") throw new UsageError(`${flag} needs a file name`);
  const abs = resolve(file);
  if (existsSync(abs)) {
    const st = statSync(abs);
    if (st.isDirectory()) throw new UsageError(`${flag} ${file}: is a directory; give a file name`);
    if (!st.isFile()) throw new UsageError(`${flag} ${file}: not a regular file (a pipe or a device)`);
  }
  const dir = resolve(abs, "..");
  if (!existsSync(dir)) throw new UsageError(`${flag} ${file}: the directory ${displayPath(dir)} does not exist`);
  if (!statSync(dir).isDirectory()) throw new UsageError(`${flag} ${file}: ${displayPath(dir)} is not a directory`);
  const why = probeWritable(dir);
  if (why !== undefined) throw new UsageError(`${flag} ${file}: cannot write in ${displayPath(dir)} (${why})`);
}

/** Write a file atomically: a temporary file next to it, then a rename (readers never see half a file). */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to clean up
    }
    throw e;
  }
}
