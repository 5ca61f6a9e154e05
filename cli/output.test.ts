// The terminal report of a run at 80 columns: every line fits, every count (unknown included) is there, and the
// anomalies come grouped by type and cause with what caused them and the setting that would have kept them.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { makeChalk, renderRun, runJson } from "./output.ts";
import { runScenario } from "../sim/world.ts";
import { judge } from "../properties/index.ts";
import { parseScenario } from "../sim/scenario/parse.ts";

function render(name: string, width: number): string {
  const file = resolve("scenarios", `${name}.yaml`);
  const result = runScenario(parseScenario(readFileSync(file, "utf8"), { file }));
  const j = judge(result);
  return renderRun(makeChalk(false), runJson(result, j, null, `npx kafkasim run ${name}`, 0), j, { file, width, result });
}

describe("renderRun", () => {
  it("fits 80 columns, and names the sends whose outcome is unknown", () => {
    const text = render("min-insync-rejects-writes", 80);
    for (const l of text.split("\n")) expect([...l].length, l).toBeLessThanOrEqual(80);
    expect(text).toMatch(/^sent 1601 · acked \d+ · failed \d+ · unknown 331 · lost 0 ·/m);
  });

  it("groups anomalies by type and rule, with the records, the cause, the oracle's reason and the remedy", () => {
    const text = render("acks1-leader-crash", 80);
    for (const l of text.split("\n")) expect([...l].length, l).toBeLessThanOrEqual(80);
    expect(text).toMatch(/^anomalies \(438 in 3 groups\):$/m);
    expect(text).toMatch(/^lost-write ×199 — allowed \(acks1-leader-change\)$/m);
    expect(text).toMatch(/^ {2}which: values 401–599 offsets 401–599 of orders-0$/m);
    // The one-way partition that kept the followers from the records is named first among the causes.
    expect(text).toMatch(/^ {2}caused by: 2\.000 s fault: one-way partition broker 1, broker 2,/m);
    expect(text).toMatch(/^ {2}would have kept it: acks=all with min\.insync\.replicas=2/m);
    expect(text.match(/^ {2}lost-write orders-0 offset \d+ value \d+$/gm)?.length).toBe(3);
    expect(text).toMatch(/^ {2}\.\.\. and 196 more \(--json lists all\)$/m);
  });
});
