// `kafkasim check <files...>`: validate scenario files without running them (editors, CI, pre-commit).
import { parseScenario } from "../../sim/scenario/parse.ts";
import { ScenarioError, formatScenarioError } from "../../sim/scenario/schema.ts";
import { UsageError, displayPath, parseLimits, readScenarioText, resolveScenario } from "../io.ts";
import { makeChalk } from "../output.ts";
import { checkJunitPath, junitOfCheck, writeJunit } from "../junit.ts";

export function checkCommand(files: readonly string[], opts: { limit?: readonly string[]; junit?: string; write?: (t: string) => void; writeErr?: (t: string) => void } = {}): number {
  const write = opts.write ?? ((t: string) => process.stdout.write(t));
  const writeErr = opts.writeErr ?? ((t: string) => process.stderr.write(t));
  const limits = parseLimits(opts.limit);
  const c = makeChalk();
  if (opts.junit !== undefined) checkJunitPath(opts.junit);
  const results: { file: string; problems: string | null }[] = [];
  let bad = 0;
  // Every file is checked, whatever the others hold: one line per problem, exit 2 if any is invalid.
  for (const arg of files) {
    try {
      const file = resolveScenario(arg);
      const s = parseScenario(readScenarioText(file, limits), { file: displayPath(file), limits });
      write(`${c.green("ok")} ${displayPath(file)} (${s.name})\n`);
      results.push({ file: displayPath(file), problems: null });
    } catch (e) {
      let problems: string;
      if (e instanceof ScenarioError) problems = formatScenarioError(e);
      else if (e instanceof UsageError) problems = e.message;
      else throw e;
      writeErr(`${problems}\n`);
      results.push({ file: arg, problems });
      bad++;
    }
  }
  if (opts.junit !== undefined) writeJunit(opts.junit, [junitOfCheck(results)]);
  return bad > 0 ? 2 : 0;
}
