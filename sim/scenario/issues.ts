// Bad scenario input as data: each problem with its path and position (ScenarioError, what the CLI prints
// with exit code 2), and the wording helpers every message uses (did you mean, allowed values).

export type IssuePath = readonly (string | number)[];

export interface ScenarioIssue {
  /** Where in the scenario, as written ("producers[0].config.acks"), or the `--set` argument. */
  readonly path: string;
  /** 1-based; 0 when unknown (a TypeScript object, a --set argument). */
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** Bad scenario input: every problem found, each with its position. The CLI prints it and exits 2. */
export class ScenarioError extends Error {
  readonly issues: readonly ScenarioIssue[];
  readonly file: string | undefined;
  constructor(issues: readonly ScenarioIssue[], file?: string) {
    super(formatIssues(issues, file));
    this.name = "ScenarioError";
    this.issues = issues;
    this.file = file;
  }
}

function formatIssues(issues: readonly ScenarioIssue[], file: string | undefined): string {
  return issues.map((i) => formatIssue(i, file)).join("\n");
}

/** `file:line:column: path: message` (position parts left out when unknown). */
export function formatIssue(i: ScenarioIssue, file?: string): string {
  const where = [file, i.line > 0 ? String(i.line) : undefined, i.line > 0 ? String(i.column) : undefined].filter((x) => x !== undefined).join(":");
  const path = i.path === "" ? "" : `${i.path}: `;
  return `${where === "" ? "" : `${where}: `}${path}${i.message}`;
}

/** The whole error as the CLI prints it: one line per problem (at most `max`). */
export function formatScenarioError(e: ScenarioError, max = 10): string {
  const shown = e.issues.slice(0, max).map((i) => formatIssue(i, e.file));
  if (e.issues.length > max) shown.push(`... and ${e.issues.length - max} more problems`);
  return shown.join("\n");
}

export function pathToString(path: IssuePath): string {
  let out = "";
  for (const seg of path) out += typeof seg === "number" ? `[${seg}]` : out === "" ? seg : `.${seg}`;
  return out;
}


// ---------------------------------------------------------------------------------------------------------
// Did you mean

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] as number;
}

/** The closest candidate, if close enough to be a typo (case and separators ignored). */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const norm = (s: string): string => s.toLowerCase().replace(/[._\-\s]/g, "");
  const w = norm(word);
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(w, norm(c));
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(w.length / 3)) ? best : undefined;
}

export function unknownKeyMessage(key: string, allowed: readonly string[], advertised = allowed): string {
  const dym = didYouMean(key, allowed);
  return `unknown key "${key}"${dym !== undefined ? `; did you mean "${dym}"?` : ""} Allowed: ${advertised.join(", ")}`;
}

export function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  return String(v);
}

export function showAllowed(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === "string" ? v : String(v))).join(", ");
}

/** `"x" is not allowed; did you mean "y"? Allowed: a, b, c` */
export function notAllowed(input: unknown, values: readonly unknown[]): string {
  const dym = typeof input === "string" ? didYouMean(input, values.map(String)) : undefined;
  return `${show(input)} is not allowed; ${dym !== undefined ? `did you mean "${dym}"? ` : ""}allowed: ${showAllowed(values)}`;
}

/** A strict object whose unknown keys get a "did you mean" (and the allowed keys). */

/** A problem found while normalising, before positions are attached (paths in the written form's terms). */
export interface RawIssue {
  readonly path: IssuePath;
  readonly message: string;
  /** Point at the key rather than its value (unknown keys). */
  readonly atKey?: boolean;
}
