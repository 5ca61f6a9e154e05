// Campaigns at scale: the same campaign on one thread, on worker threads and split in shards then merged gives
// the same result (but the wall time); JUnit carries each counterexample; progress lines when not on a terminal.
import { tempDir } from "../testdata/temp-dir.ts";
import { describe, it, expect } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fuzzCommand } from "./fuzz.ts";
import type { FuzzJson } from "./fuzz.ts";
import { mergeResults } from "./merge.ts";
import { progressReporter } from "../progress.ts";
import { UsageError } from "../io.ts";

async function campaign(o: { runs: number; seed: number; workers: number; shard?: string; set?: string[]; junit?: string; save: string; steer?: boolean }): Promise<FuzzJson> {
  let out = "";
  await fuzzCommand(undefined, { runs: String(o.runs), seed: String(o.seed), workers: String(o.workers), json: true, save: o.save, set: o.set ?? [], ...(o.shard ? { shard: o.shard } : {}), ...(o.junit ? { junit: o.junit } : {}), ...(o.steer ? { steer: true } : {}), write: (t) => (out += t) });
  return JSON.parse(out) as FuzzJson;
}
const strip = (j: FuzzJson): Omit<FuzzJson, "wallMs"> => {
  const { wallMs: _w, ...rest } = j;
  return rest;
};

describe("a campaign on worker threads and in shards", () => {
  // A seeded bug gives bug verdicts, so counterexamples are shrunk, saved and listed in every variant.
  const set = ["bugs.ackBeforeReplication=true"];
  const dir = tempDir("kafkasim-campaign-");

  it("one thread, two workers, and three shards merged give the same result, counterexamples in run order", async () => {
    const one = await campaign({ runs: 24, seed: 14, workers: 1, set, save: join(dir, "one") });
    expect(one.verdicts.bug).toBeGreaterThan(0);
    expect(one.counterexamples.length).toBeGreaterThan(0);
    expect(one.counterexamples.map((c) => c.run)).toEqual([...one.counterexamples.map((c) => c.run)].sort((a, b) => a - b));
    const two = await campaign({ runs: 24, seed: 14, workers: 2, set, save: join(dir, "two") });
    expect(strip({ ...two, counterexamples: two.counterexamples.map((c) => ({ ...c, file: null, repro: null })) })).toEqual(strip({ ...one, counterexamples: one.counterexamples.map((c) => ({ ...c, file: null, repro: null })) }));
    // The saved files are the same files.
    for (const name of readdirSync(join(dir, "one"))) expect(readFileSync(join(dir, "two", name), "utf8").replace(/two/g, "one")).toBe(readFileSync(join(dir, "one", name), "utf8"));
    const shards = [];
    for (const i of [1, 2, 3]) shards.push({ file: `shard${i}.json`, result: await campaign({ runs: 24, seed: 14, workers: 1, set, shard: `${i}/3`, save: join(dir, "one") }) });
    expect(shards.map((s) => s.result.runs)).toEqual([8, 8, 8]);
    expect(strip(mergeResults(shards))).toEqual(strip(one));
    // Coverage counted and merged like the rest.
    expect(one.coverage.runs).toBe(24);
    expect(one.coverage.counts["leader-change"]).toBeGreaterThan(0);
    expect(one.meta.node).toBe(process.version);
  }, 120_000);

  it("JUnit: one failing test case per counterexample, with its explanation and repro", async () => {
    const junit = join(dir, "fuzz.xml");
    const j = await campaign({ runs: 12, seed: 14, workers: 1, set, junit, save: join(dir, "junit") });
    const xml = readFileSync(junit, "utf8");
    expect((xml.match(/<testcase /g) ?? []).length).toBe(j.counterexamples.length);
    expect((xml.match(/<failure /g) ?? []).length).toBe(j.counterexamples.filter((c) => c.verdict === "bug").length);
    expect(xml).toContain("npx kafkasim replay");
    const clean = join(dir, "clean.xml");
    await campaign({ runs: 3, seed: 2, workers: 1, junit: clean, save: join(dir, "clean") });
    const cleanXml = readFileSync(clean, "utf8");
    expect(cleanXml).toMatch(/<testcase classname="[^"]*" name="3 runs">/);
    expect(cleanXml).not.toContain("<failure");
  }, 60_000);

  it("merge refuses shards of different campaigns and a shard given twice", async () => {
    const a = await campaign({ runs: 4, seed: 1, workers: 1, shard: "1/2", save: join(dir, "m") });
    const b = await campaign({ runs: 4, seed: 2, workers: 1, shard: "2/2", save: join(dir, "m") });
    expect(() => mergeResults([{ file: "a", result: a }, { file: "b", result: b }])).toThrow(UsageError);
    expect(() => mergeResults([{ file: "a", result: a }, { file: "a2", result: a }])).toThrow(/given twice/);
  }, 60_000);
});

describe("progress without a terminal", () => {
  it("a plain line every 10 s of wall time, nothing in between; a bar only on a terminal", () => {
    const lines: string[] = [];
    let bars = 0;
    const p = progressReporter({ json: true, isTTY: false, write: (t) => lines.push(t), startBar: () => bars++, line: (ms) => `at ${ms}` });
    for (const ms of [500, 9_999, 10_000, 15_000, 31_000, 32_000]) p.tick(ms);
    expect(lines).toEqual(["at 10000\n", "at 31000\n"]);
    const tty = progressReporter({ json: false, isTTY: true, write: (t) => lines.push(t), startBar: () => bars++, line: () => "x" });
    tty.tick(500);
    tty.tick(1500);
    tty.tick(20_000);
    expect(bars).toBe(1);
    expect(lines).toHaveLength(2);
  });
});

describe("compare on worker threads, and JUnit from run, check and compare", () => {
  const dir = tempDir("kafkasim-junit-");
  it("a comparison on two workers is the same as on one", async () => {
    const { runCompare } = await import("./compare.ts");
    const { defaultMatrix } = await import("../../reports/compare.ts");
    const { renderJson } = await import("../../reports/table.ts");
    const matrix = { ...defaultMatrix(), axes: [{ key: "acks", values: [1, "all"] }], base: { ...defaultMatrix().base, durationMs: 3000 } };
    const one = await runCompare({ matrix, seed: 3, seeds: 2, progress: false, workers: 1 });
    const two = await runCompare({ matrix, seed: 3, seeds: 2, progress: false, workers: 2 });
    expect(renderJson(two.outcome)).toBe(renderJson(one.outcome));
    expect(one.outcome.report.rows.map((r) => r.verdicts)).toEqual(two.outcome.report.rows.map((r) => r.verdicts));
  }, 60_000);
  it("run: one case, failing with the unmet expectation; check: one case per file", async () => {
    const { runCommand } = await import("./run.ts");
    const { checkCommand } = await import("./check.ts");
    const xml = join(dir, "run.xml");
    const code = await runCommand("cli/testdata/unmet-expectation.yaml", { junit: xml, json: true, write: () => {} });
    expect(code).toBe(1);
    const run = readFileSync(xml, "utf8");
    expect((run.match(/<testcase /g) ?? []).length).toBe(1);
    expect(run).toMatch(/<failure message="expectation not met: /);
    expect(run).toContain("npx kafkasim run cli/testdata/unmet-expectation.yaml");
    const cx = join(dir, "check.xml");
    checkCommand(["scenarios/acks1-leader-crash.yaml", "cli/testdata/bad/expect-unknown-verdict.yaml"], { junit: cx, write: () => {}, writeErr: () => {} });
    const check = readFileSync(cx, "utf8");
    expect((check.match(/<testcase /g) ?? []).length).toBe(2);
    expect((check.match(/<failure /g) ?? []).length).toBe(1);
    expect(check).toContain("expect.verdict");
  }, 60_000);
});

describe("a steered campaign (--steer)", () => {
  const dir = tempDir("kafkasim-steer-");
  it("aims its second block at the probes the first never reached, and reaches them; the same on two workers", async () => {
    // Probes no default draw reaches in these runs: consumer crashes are opt-in episodes, and the quorum's own
    // elections need a stalled KRaft controller.
    const aimed = ["consumer-crash", "kraft-quorum-election", "kraft-metadata-truncation"] as const;
    const plain = await campaign({ runs: 150, seed: 5, workers: 1, save: join(dir, "plain") });
    expect(aimed.filter((p) => plain.coverage.counts[p] > 0)).toEqual([]);
    const steered = await campaign({ runs: 150, seed: 5, workers: 1, steer: true, save: join(dir, "steered") });
    expect(aimed.filter((p) => steered.coverage.counts[p] === 0)).toEqual([]);
    expect(steered.campaign.steer).toBe(true);
    expect(steered.repro).toContain("--steer");
    // The first block is the plain campaign's: steering starts at run 100.
    expect(steered.coverage.neverReached.length).toBeLessThan(plain.coverage.neverReached.length);
    const two = await campaign({ runs: 150, seed: 5, workers: 2, steer: true, save: join(dir, "steered2") });
    expect(strip({ ...two, counterexamples: two.counterexamples.map((c) => ({ ...c, file: null, repro: null })) })).toEqual(strip({ ...steered, counterexamples: steered.counterexamples.map((c) => ({ ...c, file: null, repro: null })) }));
  }, 180_000);
  it("--steer around a scenario file is a usage error", async () => {
    await expect(fuzzCommand("acks1-leader-crash", { runs: "1", steer: true, json: true, save: join(dir, "x"), write: () => undefined })).rejects.toThrow(UsageError);
  });
});
