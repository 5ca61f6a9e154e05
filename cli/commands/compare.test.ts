// compare and start against the real simulator: the numbers in the JSON and the table are those of the runs.
import { describe, it, expect } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compareCommand, loadMatrix, loadWorld } from "./compare.ts";
import { startCommand } from "./start.ts";
import { cells, compare, DEFAULT_BASE, defaultMatrix, runScenarioFor } from "../../reports/compare.ts";
import { seededFaults } from "../../reports/compare-faults.ts";
import type { ConfigCell, ConfigRow } from "../../reports/metrics.ts";
import { dominates } from "../../reports/ranking.ts";
import { buildScenario } from "../../sim/scenario/defaults.ts";
import type { Fault } from "../../sim/faults/types.ts";
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
    expect(await startCommand({ write: (t) => (text += t), progress: false, outDir: out, seeds: 1, matrix: loadMatrix(file), protocols: loadMatrix(file) })).toBe(0);
    expect(text.match(/kafkasim compare — small: 2 configurations × 1 seeds/g)).toHaveLength(2);
    expect(text).toContain("the same faults on ZooKeeper 3.7, KRaft 4.0 and KRaft 4.1");
    expect(text).toContain(`HTML report with charts: ${join(out, "index.html")}\nand for the protocols: ${join(out, "protocols", "index.html")}`);
    expect(readFileSync(join(out, "protocols", "index.html"), "utf8")).toContain('data-chart="tradeoff"');
    const html = readFileSync(join(out, "index.html"), "utf8");
    expect(html).toContain('data-chart="tradeoff"');
    // trade-off scatter and bars, then latency and ISR/HW as small multiples: a panel per configuration
    expect([...html.matchAll(/data-chart="([^"]+)"/g)].map((m) => m[1])).toEqual(["tradeoff", "tradeoff-bars", "latency", "isr-hw"]);
    expect(html.match(/<g class="panel"/g)?.length ?? 0).toBe(4);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("the ranking on real runs", () => {
  const same = (a: ConfigCell, b: ConfigCell, except: string): boolean => Object.keys(a).every((k) => k === except || a[k] === b[k]);

  it("default matrix: idempotence=on is never dominated by off while off duplicates or reorders", async () => {
    const run = await loadWorld();
    // npm start's matrix and root seed, fewer runs
    const rows = compare({ matrix: defaultMatrix(), seed: 1, seeds: 2, run, judge }).report.rows;
    let pairs = 0;
    for (const off of rows.filter((r) => r.config["enable.idempotence"] === false)) {
      const on = rows.find((r) => r.config["enable.idempotence"] === true && same(r.config, off.config, "enable.idempotence"));
      if (!on || off.duplicates + off.reorders === 0) continue;
      pairs++;
      expect(on.duplicates + on.reorders, JSON.stringify(on.config)).toBe(0);
      expect(dominates(off, on), JSON.stringify(on.config)).toBe(false);
      expect(on.dominatedBy?.config ?? null).not.toEqual(off.config);
    }
    // acks=all × min.isr {1, 2} × unclean {off, on}: off duplicates or reorders in some of them at least
    expect(pairs).toBeGreaterThanOrEqual(2);
  });

  it("commit order: after-processing is never dominated by before-processing while before leaves records unprocessed", async () => {
    const run = await loadWorld();
    const [group] = DEFAULT_BASE.consumers ?? [];
    // The seeded broker faults of one schedule (so produce latency and unavailability differ by noise between the
    // two), and the consumer killed mid-batch twice.
    const crashes: Fault[] = [2000, 5000].flatMap((atMs) => [
      { atMs, action: { kind: "kill", target: { client: "g1/0" } } },
      { atMs: atMs + 500, action: { kind: "restart", target: { client: "g1/0" } } },
    ]);
    const base = buildScenario({
      ...DEFAULT_BASE,
      broker: { ...DEFAULT_BASE.broker, "group.min.session.timeout.ms": 1000 },
      consumers: [{ ...group!, config: { ...group!.config, "session.timeout.ms": 2000, "heartbeat.interval.ms": 500 }, processing: { commit: "after-processing", commitEvery: "batch", timeMs: 5 } }],
      faults: [...seededFaults(2, { brokers: 3, tp: "orders-0", durationMs: 10_000, producers: ["p1"] }), ...crashes],
    });
    const matrix = { ...defaultMatrix(), name: "commit order", base, faults: "base" as const, axes: [{ key: "commit", values: ["before-processing", "after-processing"] }] };
    const o = compare({ matrix, seed: 1, seeds: 2, run, judge });
    const [before, after] = o.report.rows as [ConfigRow, ConfigRow];
    expect(before.config).toEqual({ commit: "before-processing" });
    expect(before.skipped).toBeGreaterThan(0); // at-most-once: committed, then the crash
    expect(after.skipped).toBe(0);
    expect(after.processedTwice).toBeGreaterThan(0); // at-least-once: processed, then the crash before the commit
    expect(dominates(before, after)).toBe(false);
    expect(dominates(after, before)).toBe(false);
    expect([before.pareto, after.pareto]).toEqual([true, true]);
    expect(o.tradeoffs[1]).toMatch(/^Pareto-optimal: .*but \d+ processed twice/);
  });
});
