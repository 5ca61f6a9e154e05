import { describe, it, expect } from "vitest";
import { compare, defaultMatrix } from "./compare.ts";
import type { CompareOutcome, JudgeFn, RunFn } from "./compare.ts";
import { renderCsv, renderJson, renderMarkdown, renderTable } from "./table.ts";
import { compareTable } from "./html.ts";
import { fakeRun } from "./fixtures.ts";
import type { RunResult } from "../sim/result.ts";
import type { JudgementCounts } from "./metrics.ts";

const ESC = String.fromCharCode(27);

/** Two configs, two seeds, hand-picked numbers. */
function outcome(): CompareOutcome {
  const counts = new WeakMap<RunResult, JudgementCounts>();
  const run: RunFn = (s) => {
    const acks = s.producers[0]?.config.acks;
    const seed = Number(s.seed);
    const lat = acks === 1 ? 2 : 20;
    const r = fakeRun({
      seed,
      diskBytes: acks === 1 ? 2048 : 6144,
      sends: [
        { value: 0, invokeMs: 0, endMs: lat, outcome: "ok" },
        { value: 1, invokeMs: 10, endMs: 10 + lat * 2, outcome: "ok" },
        ...(acks === "all" ? [{ value: 2, invokeMs: 1000, endMs: 1600, outcome: "fail" as const, error: "NOT_ENOUGH_REPLICAS" as const }] : []),
      ],
    });
    counts.set(r, { lostWrites: acks === 1 && seed === 1 ? 3 : 0, duplicates: acks === 1 && seed === 2 ? 2 : 0, reorders: 0, skipped: 0, processedTwice: acks === "all" && seed === 1 ? 4 : 0, duplicateOutputs: 0 });
    return r;
  };
  const judge: JudgeFn = (r) => ({ stats: counts.get(r) as JudgementCounts, verdict: "allowed" });
  return compare({ matrix: { ...defaultMatrix(), axes: [{ key: "acks", values: [1, "all"] }] }, seed: 1, seeds: 2, run, judge });
}

describe("terminal table", () => {
  const o = outcome();
  const text = renderTable(o, { colorLevel: 0 });
  const lines = text.split("\n");
  it("has no colour codes at level 0 and one line per config with its numbers", () => {
    expect(text.includes(ESC)).toBe(false);
    const row1 = lines.find((l) => /★1|\b1 │/.test(l) && l.includes("(50%)"));
    expect(row1).toBeDefined();
    // acks=1: 3 writes lost in seed 1 only, 2 duplicates in seed 2; latencies 2 and 4 ms in both runs; 2 KiB disk
    expect(row1).toMatch(/│ 1 +│ 3 \(50%\) +│ 2 +│ 0 +│ 0 +│/);
    expect(row1).toMatch(/2\.0 ms.*4\.0 ms.*4\.0 ms/);
    expect(row1).toContain("2.0 KiB");
    const row2 = lines.find((l) => l.includes("NOT_ENOUGH_REPLICAS 2"));
    expect(row2).toMatch(/│ all +│ 0 +│ 0 +│ 4 +│ 600 ms +│/);
  });
  it("leaves out anomaly columns that are 0 in every row, and names them", () => {
    expect(lines.find((l) => l.includes("│ #"))).toMatch(/^│ # +│ acks +│ lost +│ dup +│ twice +│ unavail +│/);
    expect(text).toContain("(0 in every row, columns left out: reorders, skipped or committed unprocessed, duplicate outputs)");
  });
  it("marks both configs as Pareto (one loses, the other is unavailable) and says why", () => {
    expect(o.report.rows.map((r) => r.pareto)).toEqual([true, true]);
    expect(text).toMatch(/★1 Pareto-optimal: .*loses acknowledged writes \(3, in 50% of runs\), 2 duplicates\./);
    expect(text).toMatch(/★2 Pareto-optimal: no acknowledged write lost; but 4 processed twice, writes unavailable 600 ms per run/);
    expect(text).toContain("npx kafkasim compare --seed 1 --seeds 2");
  });
  it("leaves optional columns out to fit a narrow terminal, and says so", () => {
    const narrow = renderTable(o, { colorLevel: 1, width: 90 });
    const first = narrow.split("\n")[1] ?? "";
    expect(first.replace(new RegExp(ESC + "\\[[0-9;]*m", "g"), "").length).toBeLessThanOrEqual(90);
    expect(narrow).toContain("columns left out");
    expect(narrow).not.toContain("NOT_ENOUGH_REPLICAS");
    expect(narrow.replace(new RegExp(ESC + "\\[[0-9;]*m", "g"), "")).toMatch(/│ lost +│/);
    expect(text).not.toContain("terminal too narrow");
  });
  const headLine = (t: string): string => t.split("\n").find((l) => /^│ ?#/.test(l)) ?? "";
  it("drops the cell padding as a last resort", () => {
    expect(headLine(renderTable(o, { colorLevel: 0, width: 58 }))).toMatch(/^│ # +│ acks │ lost +│ dup │ twice │ unavail │ p99 +│$/);
    const tight = renderTable(o, { colorLevel: 0, width: 52 });
    expect(headLine(tight)).toMatch(/^│# +│acks │lost +│dup │twice │unavail │p99 +│$/);
    for (const l of tight.split("\n")) expect(l.length, l).toBeLessThanOrEqual(52);
  });
  it("one block per configuration when even that does not fit, every line within the width", () => {
    const text = renderTable(o, { colorLevel: 0, width: 40 });
    expect(headLine(text)).toBe("");
    for (const l of text.split("\n")) expect([...l].length, l).toBeLessThanOrEqual(40);
    const lines = text.split("\n");
    const at = lines.indexOf("★1  acks=1");
    expect(at).toBeGreaterThan(0);
    // Its outcomes (the counts, as in the table) and its trade-off sentence follow, indented.
    expect(lines.slice(at + 1, at + 3).join(" ")).toMatch(/^ {4}lost 3 \(50%\) · dup 2 · twice 0/);
    expect(lines.slice(at + 1, at + 12).join(" ")).toMatch(/Pareto-optimal:/);
  });
  it("uses colour when asked", () => {
    expect(renderTable(o, { colorLevel: 1 }).includes(ESC)).toBe(true);
  });
});

describe("markdown, CSV and JSON", () => {
  const o = outcome();
  it("markdown table rows carry the same numbers", () => {
    const md = renderMarkdown(o);
    expect(md).toMatch(/^\| {2}\| acks \| lost \(runs\) \| dup \| reorder \| skipped \| processed twice \| dup output \| unavail\/run \|/m);
    expect(md).toMatch(/^\| ★1 \| 1 \| \*\*3\*\* \(50%\) \| 2 \| 0 \| 0 \| 0 \| 0 \| 0 ms \|/m);
    expect(md).toMatch(/^\| ★2 \| all \| 0 \| 0 \| 0 \| 0 \| 4 \| 0 \| 600 ms \|/m);
  });
  it("CSV has a header and one line per config", () => {
    const lines = renderCsv(o).trim().split("\n");
    expect(lines[0]).toMatch(/^acks,lostWrites,runsWithLoss,duplicates,reorders,skipped,processedTwice,duplicateOutputs,unavailableMs,produceErrors,.*,pareto,dominatedBy,dominatedByBetterOn,tradeoff$/);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^1,3,0\.5,2,0,0,0,0,0,,2,4,4,.*,true,,,/);
    expect(lines[2]).toMatch(/^all,0,0,0,0,0,4,0,600,NOT_ENOUGH_REPLICAS:2,20,40,40,/);
  });
  it("JSON is exactly { seed, seeds, rows } with the contract's row keys", () => {
    const j = JSON.parse(renderJson(o)) as { seed: number; seeds: number; rows: Record<string, unknown>[] };
    expect(Object.keys(j)).toEqual(["seed", "seeds", "rows"]);
    expect(Object.keys(j.rows[0] ?? {})).toEqual([
      "config",
      "lostWrites",
      "runsWithLoss",
      "duplicates",
      "reorders",
      "skipped",
      "processedTwice",
      "duplicateOutputs",
      "unavailableMs",
      "produceErrors",
      "latencyMs",
      "endToEndMs",
      "throughputPerSec",
      "diskBytes",
      "recoveryMs",
      "pareto",
      "dominatedBy",
      "verdicts",
    ]);
    expect(j.rows[0]?.["config"]).toEqual({ acks: 1 });
    expect(j.rows[1]?.["latencyMs"]).toEqual({ p50: 20, p99: 40, max: 40 });
  });
});

describe("HTML table", () => {
  it("has a column per anomaly count, the verdicts, the outcomes, then the trade-off and the finer measurements", async () => {
    const html = compareTable(outcome());
    const heads = [...html.matchAll(/<th[^>]*>([^<]*)<\/th>/g)].map((m) => m[1]);
    expect(heads).toEqual(["#", "acks", "lost", "dup", "reord", "skip", "twice", "dupout", "runs", "unavail", "p99", "e2e p99", "rec/s", "disk", "trade-off", "p50", "max", "e2e p50", "recovery", "produce errors"]);
    // acks=all: 4 processed twice in seed 1, both runs allowed, 600 ms unavailable per run
    expect(html).toMatch(/>★2<\/td><td class="l sticky"[^>]*>all<\/td><td class="ok">0<\/td><td>0<\/td><td>0<\/td><td>0<\/td><td>4<\/td><td>0<\/td><td class="l">2 allowed<\/td><td>600 ms<\/td>/);
    // The configuration columns stay in view: sticky, at known offsets.
    expect(html).toMatch(/<th class="sticky" style="left:0px;/);
    expect(html).toMatch(/<th class="l sticky" style="left:\d+px;[^"]*" title="acks">acks<\/th>/);
  });
});
