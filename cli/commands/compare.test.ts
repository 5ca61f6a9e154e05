// compare and start against the real simulator: the numbers in the JSON and the table are those of the runs.
import { describe, it, expect } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compareCommand, loadMatrix, loadWorld } from "./compare.ts";
import { startCommand } from "./start.ts";
import { cells, runScenarioFor } from "../../reports/compare.ts";
import type { ConfigRow } from "../../reports/metrics.ts";
import { judge } from "../../properties/index.ts";
import { SimInputError } from "../../sim/core/errors.ts";

describe("compare: bad input", () => {
  it("refuses two output formats, bad seeds and a missing matrix file", async () => {
    await expect(compareCommand({ json: true, csv: true })).rejects.toThrow(/one of --json, --csv, --markdown/);
    await expect(compareCommand({ seeds: "abc" })).rejects.toThrow(/--seeds must be an integer ≥ 1, got "abc"/);
    await expect(compareCommand({ seeds: 0 })).rejects.toThrow(SimInputError);
    await expect(compareCommand({ seed: "-1" })).rejects.toThrow(/--seed must be an integer ≥ 0/);
    await expect(compareCommand({ matrix: "/nonexistent/matrix.yaml" })).rejects.toThrow(/cannot read matrix file \/nonexistent\/matrix.yaml: ENOENT/);
  });
});

describe("compare end to end", () => {
  const dir = mkdtempSync(join(tmpdir(), "kafkasim-compare-"));
  const file = join(dir, "matrix.yaml");
  writeFileSync(file, ["name: small", "base:", "  durationMs: 3000", "  drainMs: 2000", "matrix:", "  acks: [1, all]"].join("\n"));

  it("JSON rows hold the runs' numbers; the table shows them", async () => {
    let json = "";
    expect(await compareCommand({ matrix: file, seeds: 2, seed: 5, json: true, write: (t) => (json += t), progress: false })).toBe(0);
    const report = JSON.parse(json) as { seed: number; seeds: number; rows: ConfigRow[] };
    expect(report.seed).toBe(5);
    expect(report.seeds).toBe(2);
    expect(report.rows.map((r) => r.config)).toEqual([{ acks: 1 }, { acks: "all" }]);

    const run = await loadWorld();
    const matrix = loadMatrix(file);
    for (const [i, cell] of cells(matrix.axes).entries()) {
      const row = report.rows[i] as ConfigRow;
      let lost = 0;
      let runsWithLoss = 0;
      let errors = 0;
      let maxLatencyMs = 0;
      let disk = 0;
      for (const seed of [5, 6]) {
        const r = run(runScenarioFor(matrix, cell, seed));
        const j = judge(r);
        lost += j.stats.lostWrites;
        if (j.stats.lostWrites > 0) runsWithLoss++;
        disk += r.diskBytes;
        const invoked = new Map<number, number>();
        for (const op of r.history) {
          if (op.f !== "send") continue;
          if (op.type === "invoke") invoked.set(op.value.value, op.timeUs);
          else if (op.type === "ok") maxLatencyMs = Math.max(maxLatencyMs, (op.timeUs - (invoked.get(op.value.value) as number)) / 1000);
          else errors++;
        }
      }
      expect(row.lostWrites).toBe(lost);
      expect(row.runsWithLoss).toBe(runsWithLoss / 2);
      expect(Object.values(row.produceErrors).reduce((a, b) => a + b, 0)).toBe(errors);
      expect(row.latencyMs.max).toBeCloseTo(maxLatencyMs, 3);
      expect(row.diskBytes).toBe(Math.round(disk / 2));
    }

    let table = "";
    await compareCommand({ matrix: file, seeds: 2, seed: 5, write: (t) => (table += t), progress: false });
    const allRow = table.split("\n").find((l) => /│ all /.test(l));
    const r1 = report.rows[1] as ConfigRow;
    expect(allRow).toContain(r1.lostWrites > 0 ? `${r1.lostWrites} (` : "│ 0 ");
    expect(table).toContain(`npx kafkasim compare --matrix ${file} --seed 5 --seeds 2`);
  });

  it("start writes the HTML report and says where it is", async () => {
    const out = join(dir, "out");
    let text = "";
    // the default matrix is 16 valid cells (reports/compare.test.ts); a 2-cell one keeps this test fast
    expect(await startCommand({ write: (t) => (text += t), progress: false, outDir: out, seeds: 1, matrix: loadMatrix(file) })).toBe(0);
    expect(text).toContain("kafkasim compare — small: 2 configurations × 1 seeds");
    expect(text).toContain(join(out, "index.html"));
    const html = readFileSync(join(out, "index.html"), "utf8");
    expect(html).toContain('data-chart="tradeoff"');
    expect(html.match(/<svg/g)?.length ?? 0).toBe(5); // trade-off scatter and bars, latency, ISR/HW of each config
    rmSync(dir, { recursive: true, force: true });
  });
});
