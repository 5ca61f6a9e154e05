// The README's table of oracle rules is generated from RULES: this keeps it in step.
import { readFileSync } from "node:fs";
import { describe, it, expect } from "vitest";
import { RULES, rulesMarkdown } from "./rules.ts";

describe("oracle rules", () => {
  it("the README lists every rule with the evidence it requires, as generated", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const m = /<!-- rules: generated from properties\/oracle\/rules.ts -->\n([\s\S]*?)<!-- \/rules -->/.exec(readme);
    expect(m?.[1]).toBe(rulesMarkdown());
  });
  it("every rule names its source and what it needs", () => {
    for (const r of Object.values(RULES)) {
      expect(r.source.length, r.id).toBeGreaterThan(5);
      expect(r.evidence.length, r.id).toBeGreaterThan(10);
      expect(r.anomalies.length, r.id).toBeGreaterThan(0);
    }
  });
});
