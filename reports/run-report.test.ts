// The run report and exports on a real recorded run (not a fixture): the trace shapes the simulator emits.
import { describe, it, expect } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runScenario } from "../sim/world.ts";
import { judge } from "../properties/index.ts";
import { defaultMatrix, runScenarioFor } from "./compare.ts";
import { writeRunHtml } from "./run-report.ts";
import { faultPeriods, latencyPoints, partitionSeries } from "./series.ts";
import type { PerfettoTrace } from "./perfetto.ts";

describe("run report of a real run", () => {
  const m = defaultMatrix();
  const matrix = { ...m, base: { ...m.base, durationMs: 4000, drainMs: 2000 } };
  const scenario = { ...runScenarioFor(matrix, { acks: 1, "enable.idempotence": false }, 3), name: "compare-cell" };
  const result = runScenario(scenario, { record: true });
  const judgement = judge(result);

  it("series read the simulator's trace", () => {
    expect(latencyPoints(result).length).toBe(judgement.stats.acked);
    // The drawn schedule (seed 3): broker 3 killed at 736 ms, every broker restarted at 2987 ms — one fault
    // period, ended by broker 3's restart (the restarts themselves are cures, not periods).
    expect(scenario.faults.map((f) => ["atMs" in f ? f.atMs : null, f.action.kind])).toEqual([
      [736, "kill"],
      [2987, "restart"],
      [2987, "restart"],
      [2987, "restart"],
    ]);
    expect(faultPeriods(result).map((p) => [p.startMs, p.endMs, p.nodes])).toEqual([[736, 2987, ["broker-3"]]]);
    const s = partitionSeries(result);
    // one election of the user partition (broker 3 did not lead it); __consumer_offsets is left out
    const elections = result.trace.flatMap((e) => (e.type === "leader-elected" && !e.tp.startsWith("__") ? [[e.tp, e.leader, e.leaderEpoch]] : []));
    expect(elections).toHaveLength(1);
    expect(s.leaders.map((l) => [l.tp, l.leader, l.leaderEpoch])).toEqual(elections);
    // the HW as the only leader advanced it, ending at its final HW
    const leader = s.leaders[0]?.leader;
    const final = result.final.partitions.find((p) => p.topic === "orders" && p.partition === 0);
    expect(final?.leader).toBe(leader);
    expect(s.hw.length).toBe(result.trace.filter((e) => e.type === "hw-advance" && e.tp === "orders-0" && e.broker === leader).length);
    expect(s.hw.at(-1)?.highWatermark).toBe(final?.replicas.find((r) => r.broker === leader)?.highWatermark);
    expect(s.isr.every((p) => p.isrSize >= 1 && p.isrSize <= 3)).toBe(true);
  });

  it("writes the HTML, a Perfetto trace with flows, a Mermaid diagram and the EDN history", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kafkasim-runreport-"));
    try {
      await writeRunHtml(result, judgement, dir);
      const html = readFileSync(join(dir, "index.html"), "utf8");
      expect(html.match(/<figure class="chart"/g)?.length).toBe(4);
      expect(html).toContain(`seed ${result.seed}`);
      const trace = JSON.parse(readFileSync(join(dir, "trace.perfetto.json"), "utf8")) as PerfettoTrace;
      const ev = trace.traceEvents;
      // a flow from each acknowledged send to the append that stored it (acks=1: every one was appended)
      expect(ev.filter((e) => e["ph"] === "s").length).toBe(judgement.stats.acked);
      expect(ev.filter((e) => e["ph"] === "f").length).toBe(judgement.stats.acked);
      expect(ev.some((e) => e["ph"] === "X" && String(e["name"]).startsWith("leader e"))).toBe(true);
      expect(ev.filter((e) => e["ph"] === "X").every((e) => (e["dur"] as number) > 0)).toBe(true);
      const mmd = readFileSync(join(dir, "sequence.mmd"), "utf8");
      expect(mmd).toMatch(/^sequenceDiagram\n {2}participant N0 as p1\n/);
      expect(mmd).toMatch(/->>N\d+: produce v\d+ → orders-0/);
      const edn = readFileSync(join(dir, "history.edn"), "utf8").trim().split("\n");
      expect(edn.length).toBe(result.history.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
