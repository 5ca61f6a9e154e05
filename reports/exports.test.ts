import { describe, it, expect } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { richRun } from "./fixtures.ts";
import { perfettoTrace } from "./perfetto.ts";
import { mermaidSequence } from "./mermaid.ts";
import { deriveMessages, diagramRecords, focusWindow } from "./messages.ts";
import { groupAnomalies } from "./anomaly-groups.ts";
import { anomalyMarks } from "./marks.ts";
import { faultPeriods, partitionSeries, downIntervals } from "./series.ts";
import { MAX_ANOMALIES_SHOWN, runHtml } from "./html.ts";
import { writeRunHtml } from "./run-report.ts";
import type { RunJudgement } from "./messages.ts";

const judgement: RunJudgement = {
  verdict: "bug",
  anomalies: [
    { type: "lost-write", partition: "orders-0", offset: 9, value: 9, explanation: "acknowledged by broker-1 <alone>", allowed: false },
    { type: "duplicate", partition: "orders-0", offset: 3, value: 3, explanation: "sent twice", allowed: false },
  ],
  stats: { sent: 40, lostWrites: 1 },
};

describe("series", () => {
  const r = richRun();
  it("fault periods run from the fault to its cure", () => {
    expect(faultPeriods(r)).toEqual([{ startMs: 1000, endMs: 2500, label: "kill leader of orders-0 (broker 1)", kind: "kill", nodes: ["broker-1"] }]);
  });
  it("ISR, HW and leaders per partition; down intervals per node", () => {
    const s = partitionSeries(r);
    expect(s.isr.map((p) => p.isrSize)).toEqual([3, 2, 3]);
    expect(s.leaders.map((l) => l.leader)).toEqual([1, 2]);
    expect(s.hw.at(-1)?.highWatermark).toBe(36);
    expect(s.hw.every((h, i) => i === 0 || h.highWatermark >= (s.hw[i - 1]?.highWatermark ?? 0))).toBe(true);
    expect(downIntervals(r)).toEqual([{ node: "broker-1", startMs: 1000, endMs: 2500, state: "killed" }]);
  });
});

describe("Perfetto trace", () => {
  const t = perfettoTrace(richRun());
  const ev = t.traceEvents;
  it("names a process per node and a thread per partition", () => {
    const procs = ev.filter((e) => e["ph"] === "M" && e["name"] === "process_name").map((e) => (e["args"] as { name: string }).name);
    expect(procs).toEqual(expect.arrayContaining(["zk", "broker-1", "broker-2", "broker-3", "p1", "g1/0"]));
    expect(ev.some((e) => e["ph"] === "M" && e["name"] === "thread_name" && (e["args"] as { name: string }).name === "orders-0")).toBe(true);
  });
  it("has leader slices, fault instants, ISR/HW counters and matched flows", () => {
    expect(ev.filter((e) => e["ph"] === "X" && String(e["name"]).startsWith("leader e")).length).toBe(2);
    expect(ev.filter((e) => e["ph"] === "i" && e["cat"] === "fault").map((e) => e["name"])).toEqual(["kill leader of orders-0", "restart broker 1"]);
    expect(ev.some((e) => e["ph"] === "C" && e["name"] === "orders-0 ISR size")).toBe(true);
    expect(ev.some((e) => e["ph"] === "C" && e["name"] === "orders-0 HW")).toBe(true);
    const starts = ev.filter((e) => e["ph"] === "s").map((e) => e["id"]);
    const ends = ev.filter((e) => e["ph"] === "f").map((e) => e["id"]);
    expect(starts.length).toBe(36); // every ok send but the 4 acknowledged during the failover (no append traced)
    expect(ends).toEqual(starts);
    for (const e of ev) if (e["ph"] !== "M") expect(typeof e["ts"] === "number" && Number.isFinite(e["ts"])).toBe(true);
    expect(JSON.parse(JSON.stringify(t)).displayTimeUnit).toBe("ms");
  });
});

describe("Mermaid sequence diagram", () => {
  const text = mermaidSequence(richRun(), judgement);
  it("declares participants and shows faults, elections, produce/ack arrows and the anomalies", () => {
    const lines = text.split("\n");
    expect(lines[0]).toBe("sequenceDiagram");
    expect(text).toMatch(/participant N\d+ as broker-1/);
    expect(text).toMatch(/Note over N\d+: ⚡ kill leader of orders-0/);
    expect(text).toMatch(/Note over N\d+: leader orders-0 e1 ISR \[2,3\]/);
    expect(text).toMatch(/N0->>N\d+: produce v0 → orders-0/);
    expect(text).toMatch(/-->>N0: ack v0 @0/);
    expect(text).toMatch(/BUG lost-write orders-0 @9 v9/);
    expect(text).not.toMatch(/[;#]/);
  });
  it("caps its length", () => {
    expect(mermaidSequence(richRun(), null, { maxLines: 10 }).split("\n").length).toBeLessThan(25);
  });
});

describe("run report", () => {
  it("the message diagram's window is around the first anomaly's record", () => {
    const r = richRun();
    const groups = groupAnomalies(judgement.anomalies);
    const marks = anomalyMarks(r, judgement.anomalies, groups);
    // The bug (the lost write of value 9, sent at 950 ms and acknowledged at 957 ms) comes first.
    expect(groups.map((g) => g.key)).toEqual(["lost-write/bug", "duplicate/bug"]);
    const f = focusWindow(r, judgement, groups, marks);
    expect(f.group).toBe("lost-write/bug");
    expect(f.windowMs[0]).toBeLessThanOrEqual(950);
    expect(f.windowMs[1]).toBeGreaterThanOrEqual(957);
    const records = diagramRecords(r, f.windowMs, marks);
    expect(records.filter((d) => d.kind !== "context").map((d) => [d.value, d.kind, d.invokeMs, d.endMs])).toEqual([[9, "lost-ack", 950, 957]]);
    expect(deriveMessages(r, f.windowMs).arrows.length).toBeGreaterThan(0);
  });
  it("groups the anomalies by type and cause, links them, escapes text", async () => {
    const html = await runHtml(richRun(), judgement);
    expect(html).toContain('<details class="group bug" id="g-lost-write/bug" open><summary><b>lost-write × 1</b>');
    expect(html).toContain('id="a-0"');
    expect(html).toContain('id="a-1"');
    expect(html).toContain('<a href="#rec-9" data-value="9">v9</a>');
    expect(html).toContain('id="rec-9"');
    expect(html).toContain("acknowledged by broker 1 &lt;alone&gt;");
    expect(html.match(/<figure class="chart"/g)?.length).toBe(4);
    expect(html).not.toMatch(/<script/);
  });
  it("lists at most MAX_ANOMALIES_SHOWN anomalies, a group's first few, and says how many more", async () => {
    const many = Array.from({ length: MAX_ANOMALIES_SHOWN + 5 }, (_, i) => ({ type: "duplicate", partition: "orders-0", offset: i, value: i, explanation: `dup ${i}`, allowed: true, allowedBecause: null }));
    const html = await runHtml(richRun(), { verdict: "allowed", anomalies: many });
    expect(html).toContain("duplicate × 205");
    expect(html).toContain("first 20 of 205");
    expect(html).toContain('id="a-19"');
    expect(html).not.toContain('id="a-20"');
  });
  it("writes index.html and the exports", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kafkasim-run-"));
    const files = await writeRunHtml(richRun(), judgement, dir);
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(["index.html", "trace.perfetto.json", "sequence.mmd", "history.edn"]);
    expect(readFileSync(join(dir, "history.edn"), "utf8")).toMatch(/:type :invoke/);
    expect(JSON.parse(readFileSync(join(dir, "trace.perfetto.json"), "utf8")).traceEvents.length).toBeGreaterThan(50);
    expect(readFileSync(join(dir, "index.html"), "utf8")).toContain('href="trace.perfetto.json"');
    rmSync(dir, { recursive: true, force: true });
  });
});
