// `kafkasim check <files...>`: validate scenario files without running them (editors, CI, pre-commit).
import { parseScenario } from "../../sim/scenario/parse.ts";
import { ScenarioError, formatScenarioError } from "../../sim/scenario/schema.ts";
import { UsageError, displayPath, parseLimits, readScenarioText, resolveScenario } from "../io.ts";
import { makeChalk } from "../output.ts";

export function checkCommand(files: readonly string[], opts: { limit?: readonly string[]; write?: (t: string) => void; writeErr?: (t: string) => void } = {}): number {
  const write = opts.write ?? ((t: string) => process.stdout.write(t));
  const writeErr = opts.writeErr ?? ((t: string) => process.stderr.write(t));
  const limits = parseLimits(opts.limit);
  const c = makeChalk();
  let bad = 0;
  // Every file is checked, whatever the others hold: one line per problem, exit 2 if any is invalid.
  for (const arg of files) {
    try {
      const file = resolveScenario(arg);
      const s = parseScenario(readScenarioText(file, limits), { file: displayPath(file), limits });
      write(`${c.green("ok")} ${displayPath(file)} (${s.name})\n`);
    } catch (e) {
      if (e instanceof ScenarioError) writeErr(`${formatScenarioError(e)}\n`);
      else if (e instanceof UsageError) writeErr(`${e.message}\n`);
      else throw e;
      bad++;
    }
  }
  return bad > 0 ? 2 : 0;
}
