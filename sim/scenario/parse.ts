// Scenario text (YAML or JSON) → normalised Scenario, with every problem mapped to file:line:column through the
// YAML parser's node ranges. No file I/O here: the CLI reads the file and passes its text and name.
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from "yaml";
import type { Node } from "yaml";
import { ScenarioError, normalizeScenario } from "./schema.ts";
import type { IssuePath } from "./schema.ts";
import type { Scenario } from "./types.ts";

export interface ParseOptions {
  /** Shown in messages (file:line:column). */
  readonly file?: string;
  /** Name of a scenario that has none (default: the file's base name). */
  readonly defaultName?: string;
}

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
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0] ?? lc.linePos(e.pos[0]);
    const msg = e.message.split("\n")[0] ?? e.message;
    throw new ScenarioError(
      [{ path: "", line: pos.line, column: pos.col, message: `malformed ${/\.json$/i.test(opts.file ?? "") ? "JSON" : "YAML"}: ${msg.replace(/ at line \d+, column \d+.*$/, "")}` }],
      opts.file,
    );
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  const defaultName = opts.defaultName ?? baseName(opts.file);
  return normalizeScenario(value, {
    locate: (path, atKey) => locate(doc, lc, path, atKey),
    ...(opts.file !== undefined ? { file: opts.file } : {}),
    ...(defaultName !== undefined ? { defaultName } : {}),
  });
}
