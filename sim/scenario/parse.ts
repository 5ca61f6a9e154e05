// Scenario text (YAML or JSON) → normalised Scenario, with every problem mapped to file:line:column through the
// YAML parser's node ranges. No file I/O here: the CLI reads the file and passes its text and name.
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, visit } from "yaml";
import type { Node } from "yaml";
import { ScenarioError, normalizeScenario } from "./schema.ts";
import type { IssuePath } from "./schema.ts";
import { jsonSyntaxError } from "./strict-json.ts";
import type { Limits, Scenario } from "./types.ts";

export interface ParseOptions {
  /** Shown in messages (file:line:column). */
  readonly file?: string;
  /** Name of a scenario that has none (default: the file's base name). */
  readonly defaultName?: string;
  /** Strict JSON instead of YAML (default: when the file name ends in .json). */
  readonly json?: boolean;
  /** Limits raised on the command line (--limit), over the scenario's own `limits:`. */
  readonly limits?: Partial<Limits>;
  /** Real clients will connect (kafkasim serve): a scenario without producers or consumers is fine. */
  readonly externalClients?: boolean;
}

/** YAML aliases may expand to at most this many nodes (the yaml package's guard against alias bombs). */
export const MAX_ALIAS_COUNT = 100;

function baseName(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  const b = file.split(/[\\/]/).pop() ?? file;
  return b.replace(/\.(ya?ml|json)$/i, "");
}

/** The node at a path, or the deepest existing ancestor (the key itself when atKey). */
export function locate(doc: ReturnType<typeof parseDocument>, lc: LineCounter, path: IssuePath, atKey: boolean): { line: number; column: number } | undefined {
  let node: unknown = doc.contents;
  let best: unknown = node;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
      if (!pair) break;
      if (last && atKey) {
        best = pair.key;
        break;
      }
      node = pair.value ?? pair.key;
      best = node;
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg];
      if (item === undefined) break;
      node = item;
      best = node;
    } else break;
  }
  const range = (best as Node | null)?.range;
  if (!range) return undefined;
  const p = lc.linePos(range[0]);
  return { line: p.line, column: p.col };
}

/** Parse and validate a scenario file's text. Throws ScenarioError (with positions) on any problem. */
export function parseScenario(text: string, opts: ParseOptions = {}): Scenario {
  const lc = new LineCounter();
  const fail = (offset: number | undefined, message: string): ScenarioError => {
    if (offset === undefined) return new ScenarioError([{ path: "", line: 0, column: 0, message }], opts.file);
    const p = lineColumn(text, offset);
    return new ScenarioError([{ path: "", line: p.line, column: p.column, message }], opts.file);
  };
  const json = opts.json ?? /\.json$/i.test(opts.file ?? "");
  if (json) {
    const e = jsonSyntaxError(text);
    if (e) throw fail(e.offset, `malformed JSON: ${e.message}`);
  }
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0] ?? lc.linePos(e.pos[0]);
    const raw = e.message.split("\n")[0] ?? e.message;
    const msg = /call stack/i.test(raw) ? "nested too deeply" : raw.replace(/ at line \d+, column \d+.*$/, "");
    throw new ScenarioError([{ path: "", line: pos.line, column: pos.col, message: `malformed ${json ? "JSON" : "YAML"}: ${msg}` }], opts.file);
  }
  let value: unknown;
  try {
    value = json ? JSON.parse(text) : doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    // The yaml package throws a ReferenceError when aliases expand past maxAliasCount (an alias bomb), or for an
    // alias whose anchor is not set before it.
    if (e instanceof ReferenceError && /unresolved alias/i.test(e.message)) {
      const name = /:\s*(\S+)\s*$/.exec(e.message)?.[1] ?? "";
      throw fail(firstAliasOffset(doc, name), `malformed YAML: alias *${name} refers to no anchor (an anchor &${name} must come before it)`);
    }
    if (e instanceof ReferenceError && /alias/i.test(e.message)) throw fail(firstAliasOffset(doc), `YAML aliases expand to more than ${MAX_ALIAS_COUNT} nodes (an alias bomb?); write the values out instead of repeating aliases`);
    if (e instanceof RangeError) throw fail(undefined, "malformed input: nested too deeply");
    throw e;
  }
  const defaultName = opts.defaultName ?? baseName(opts.file);
  try {
    return normalizeScenario(value, {
      locate: (path, atKey) => locate(doc, lc, path, atKey),
      ...(opts.file !== undefined ? { file: opts.file } : {}),
      ...(defaultName !== undefined ? { defaultName } : {}),
      ...(opts.limits !== undefined ? { limits: opts.limits } : {}),
      ...(opts.externalClients === true ? { externalClients: true } : {}),
    });
  } catch (e) {
    if (e instanceof RangeError) throw fail(undefined, "the scenario is nested too deeply");
    throw e;
  }
}

/** 1-based line and column of an offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, column: offset - last };
}

/** Where the first alias (of that name, when given) is. */
function firstAliasOffset(doc: ReturnType<typeof parseDocument>, name?: string): number | undefined {
  let at: number | undefined;
  visit(doc, {
    Alias(_k, node) {
      if (!isAlias(node) || (name !== undefined && node.source !== name)) return undefined;
      if (node.range) at = node.range[0];
      return visit.BREAK;
    },
  });
  return at;
}
