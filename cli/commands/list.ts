// `kafkasim list`: the scenario library, one line each.
import { basename } from "node:path";
import { parseScenario } from "../../sim/scenario/parse.ts";
import { ScenarioError } from "../../sim/scenario/schema.ts";
import { LIBRARY_DIR, REGRESSIONS_DIR, displayPath, libraryFiles, readScenarioText } from "../io.ts";
import { makeChalk } from "../output.ts";

export interface ListEntry {
  readonly name: string;
  readonly file: string;
  readonly description: string | null;
  readonly protocol: string;
  readonly brokers: number;
  readonly expect: unknown;
  readonly error?: string;
}

export function listEntries(): ListEntry[] {
  return [...libraryFiles(LIBRARY_DIR), ...libraryFiles(REGRESSIONS_DIR)].map((f) => {
    const file = displayPath(f);
    try {
      const s = parseScenario(readScenarioText(f), { file });
      return { name: s.name, file, description: s.description ?? null, protocol: s.protocol, brokers: s.brokers, expect: s.expect ?? null };
    } catch (e) {
      const msg = e instanceof ScenarioError ? e.message.split("\n")[0] ?? e.message : (e as Error).message;
      return { name: basename(f), file, description: null, protocol: "", brokers: 0, expect: null, error: msg };
    }
  });
}

export function listCommand(opts: { json?: boolean; write?: (t: string) => void }): number {
  const write = opts.write ?? ((t: string) => process.stdout.write(t));
  const entries = listEntries();
  if (opts.json) {
    write(JSON.stringify(entries, null, 2) + "\n");
  } else {
    const c = makeChalk();
    const w = Math.max(0, ...entries.map((e) => e.name.length));
    for (const e of entries) {
      if (e.error !== undefined) write(`${c.red(e.name.padEnd(w))}  ${c.red(e.error)}\n`);
      else write(`${c.bold(e.name.padEnd(w))}  ${c.dim(`[${e.protocol}]`)} ${e.description ?? ""}\n`);
    }
    write(c.dim(`${entries.length} scenarios; run one with: npx kafkasim run <name>\n`));
  }
  return entries.some((e) => e.error !== undefined) ? 2 : 0;
}
