// The scenario library: every file is valid, described and carries an expectation; the published JSON Schema
// matches the schema in code.
import { describe, it, expect } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseScenario } from "../sim/scenario/parse.ts";
import { scenarioJsonSchema } from "../sim/scenario/schema.ts";
import type { Scenario } from "../sim/scenario/types.ts";

const DIR = fileURLToPath(new URL(".", import.meta.url));
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith(".yaml"))
  .sort();

function load(f: string): Scenario {
  return parseScenario(readFileSync(join(DIR, f), "utf8"), { file: f });
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

  it("scenarios/schema.json is the JSON Schema generated from the zod schema", () => {
    expect(JSON.parse(readFileSync(join(DIR, "schema.json"), "utf8"))).toEqual(JSON.parse(JSON.stringify(scenarioJsonSchema())));
  });
});
