// `kafkasim check <files...>`: validate scenario files without running them (editors, CI, pre-commit).
import { readFileSync } from "node:fs";
import { parseScenario } from "../../sim/scenario/parse.ts";
import { ScenarioError, formatScenarioError } from "../../sim/scenario/schema.ts";
import { displayPath, resolveScenario } from "../io.ts";
import { makeChalk } from "../output.ts";

export function checkCommand(files: readonly string[], opts: { write?: (t: string) => void; writeErr?: (t: string) => void } = {}): number {
  const write = opts.write ?? ((t: string) => process.stdout.write(t));
  const writeErr = opts.writeErr ?? ((t: string) => process.stderr.write(t));
  const c = makeChalk();
  let bad = 0;
  for (const arg of files) {
    const file = resolveScenario(arg);
    try {
      const s = parseScenario(readFileSync(file, "utf8"), { file: displayPath(file) });
      write(`${c.green("ok")} ${displayPath(file)} (${s.name})\n`);
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      bad++;
      writeErr(`${formatScenarioError(e)}\n`);
    }
  }
  return bad > 0 ? 2 : 0;
}
