// The scenario library: every file is valid, described, and meets its expectation when run (runScenario +
// judge + checkExpectation); the published JSON Schema matches the schema in code.
import { describe, it, expect } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseScenario } from "../sim/scenario/parse.ts";
import { scenarioJsonSchema } from "../sim/scenario/schema.ts";
import type { Scenario } from "../sim/scenario/types.ts";
import { runScenario } from "../sim/world.ts";
import { checkExpectation, judge } from "../properties/index.ts";
import type { Judgement } from "../properties/index.ts";

const DIR = fileURLToPath(new URL(".", import.meta.url));
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith(".yaml"))
  .sort();

function load(f: string): Scenario {
  return parseScenario(readFileSync(join(DIR, f), "utf8"), { file: f });
}

const judged = new Map<string, Judgement>();
function run(f: string): Judgement {
  let j = judged.get(f);
  if (!j) judged.set(f, (j = judge(runScenario(load(f)))));
  return j;
}

describe("scenario library", () => {
  it("has a scenario for each point of the reliability notes", () => {
    expect(FILES.length).toBeGreaterThanOrEqual(30);
  });

  it.each(FILES)("%s is valid, named after its file, described, with an expectation", (f) => {
    const s = load(f);
    expect(s.name).toBe(f.replace(/\.yaml$/, ""));
    expect(s.description?.length ?? 0).toBeGreaterThan(40);
    expect(s.expect).toBeDefined();
    expect((s.expect?.verdict !== undefined ? 1 : 0) + (s.expect?.anomalies?.length ?? 0) + (s.expect?.absent?.length ?? 0)).toBeGreaterThan(0);
  });

  it.each(FILES)("%s meets its expectation", (f) => {
    const s = load(f);
    const j = run(f);
    const outcome = checkExpectation(s.expect, j);
    expect(outcome.problems, `${f}: ${outcome.problems.join("; ")}`).toEqual([]);
    expect(outcome.ok).toBe(true);
  });

  it("halting on the first failure sends less than logging and going on", () => {
    const halt = run("failure-policy-halt.yaml").stats;
    const log = run("failure-policy-log.yaml").stats;
    expect(halt.sent).toBeLessThan(log.sent);
  });

  it("min-insync-rejects-writes: the leader really refuses acks=all writes with NOT_ENOUGH_REPLICAS once the controller has shrunk the ISR; with min.insync.replicas=1 it acknowledges them", () => {
    const s = load("min-insync-rejects-writes.yaml");
    const errors = (r: ReturnType<typeof runScenario>): string[] => r.history.filter((op) => op.f === "send" && op.type !== "ok" && op.type !== "invoke").map((op) => (op.f === "send" ? (op.value.error ?? "") : ""));
    const r = runScenario(s, { record: true });
    expect(r.trace.some((e) => e.type === "isr-shrink" && e.tp === "orders-0" && e.isr.length === 1)).toBe(true);
    expect(errors(r).filter((e) => e === "NOT_ENOUGH_REPLICAS").length).toBeGreaterThan(50);
    const one = runScenario({ ...s, broker: { ...s.broker, "min.insync.replicas": 1 } });
    expect(errors(one)).not.toContain("NOT_ENOUGH_REPLICAS");
    expect(one.sendsAcked).toBeGreaterThan(r.sendsAcked);
  });

  it("a scenario replays to the same trace hash", () => {
    const s = load("acks1-leader-crash.yaml");
    expect(runScenario(s).traceHash).toBe(runScenario(s).traceHash);
  });

  it("the scenario example in README.md is a valid scenario", () => {
    const md = readFileSync(join(DIR, "..", "README.md"), "utf8");
    const yaml = /```yaml\n([\s\S]*?)```/.exec(md)?.[1];
    expect(yaml).toBeDefined();
    const s = parseScenario(yaml as string, { file: "README.md" });
    expect(s.faults.length).toBe(3);
    expect(s.consumers[0]?.processing.onFailure).toBe("dead-letter");
  });

  it("scenarios/schema.json is the JSON Schema generated from the zod schema", () => {
    expect(JSON.parse(readFileSync(join(DIR, "schema.json"), "utf8"))).toEqual(JSON.parse(JSON.stringify(scenarioJsonSchema())));
  });
});
