// The CI examples are valid YAML, and every kafkasim command they call exists and accepts the flags they pass.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { buildProgram } from "../cli/main.ts";

/** `kafkasim <command> --flag ... ` invocations in a text (npx or not). */
function invocations(withComments: string): { command: string; flags: string[] }[] {
  const text = withComments.replace(/^\s*#.*$/gm, "");
  const out: { command: string; flags: string[] }[] = [];
  for (const m of text.matchAll(/(?:npx )?kafkasim ([a-z]+)((?:[^\n>|;]|\n\s+(?=--))*)/g)) {
    out.push({ command: m[1] as string, flags: [...(m[2] ?? "").matchAll(/(--[a-z-]+)/g)].map((f) => f[1] as string) });
  }
  return out;
}

function optionsOf(command: string): string[] | undefined {
  const c = buildProgram().commands.find((x) => x.name() === command);
  return c?.options.map((o) => o.long ?? "").filter((x) => x !== "");
}

describe("CI examples", () => {
  it.each(["examples/github-actions/fuzz.yml", "examples/kubernetes/fuzz-job.yaml"])("%s is valid YAML whose kafkasim commands and flags exist", (file) => {
    const text = readFileSync(new URL(`../${file}`, import.meta.url), "utf8");
    const doc = parse(text) as Record<string, unknown>;
    expect(typeof doc).toBe("object");
    const calls = invocations(text);
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) {
      const opts = optionsOf(call.command);
      expect(opts, `kafkasim ${call.command} is not a command`).toBeDefined();
      for (const f of call.flags) expect(opts, `kafkasim ${call.command} has no ${f}`).toContain(f);
    }
  });
  it("the workflow shards over a matrix and merges every shard; the Job is Indexed and derives its shard from the index", () => {
    const wf = parse(readFileSync(new URL("../examples/github-actions/fuzz.yml", import.meta.url), "utf8")) as { jobs: { shard: { strategy: { matrix: { shard: number[] } } }; merge: { needs: string } } };
    expect(wf.jobs.shard.strategy.matrix.shard).toEqual([1, 2, 3, 4]);
    expect(wf.jobs.merge.needs).toBe("shard");
    const job = parse(readFileSync(new URL("../examples/kubernetes/fuzz-job.yaml", import.meta.url), "utf8")) as { spec: { completionMode: string; completions: number }; };
    expect(job.spec.completionMode).toBe("Indexed");
    expect(readFileSync(new URL("../examples/kubernetes/fuzz-job.yaml", import.meta.url), "utf8")).toContain(`--shard "$((JOB_COMPLETION_INDEX + 1))/$SHARDS"`);
  });
});
