// The HTML reports opened in a real headless browser (Debian's chromium driven by playwright-core): the page
// loads with no console errors, every chart has rendered marks, and a screenshot is written under reports/out/.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import type { BrowserContext } from "playwright-core";
import { NO_ANOMALIES, richRun } from "./fixtures.ts";
import { writeRunHtml } from "./run-report.ts";
import { writeCompareHtml } from "./html.ts";
import { compare, defaultMatrix } from "./compare.ts";
import type { RunResult } from "../sim/result.ts";

const CHROMIUM = "/usr/bin/chromium";
const OUT = resolve("reports/out/browser-test");
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`[reports/browser.test.ts] SKIPPED: ${CHROMIUM} not found (apt-get install -y chromium); the HTML was not opened in a browser`);

describe.skipIf(!haveChromium)("HTML reports in headless chromium", () => {
  let ctx: BrowserContext;
  let profile: string;
  let comparePath: string;
  let runPath: string;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    const lost = new WeakMap<RunResult, number>();
    const o = compare({
      matrix: { ...defaultMatrix(), axes: [{ key: "acks", values: [1, "all"] }, { key: "min.insync.replicas", values: [1, 2] }] },
      seed: 1,
      seeds: 2,
      recordSamples: true,
      run: (s) => {
        const acks = s.producers[0]?.config.acks;
        const r = richRun(Number(s.seed), { latencyMs: acks === 1 ? 2 : 8 });
        lost.set(r, acks === 1 ? 1 : 0);
        return r;
      },
      judge: (r) => ({ stats: { ...NO_ANOMALIES, lostWrites: lost.get(r) ?? 0 }, verdict: "allowed" }),
    });
    comparePath = await writeCompareHtml(o, join(OUT, "compare"));
    const files = await writeRunHtml(
      richRun(1),
      {
        verdict: "allowed",
        anomalies: [{ type: "lost-write", partition: "orders-0", offset: 9, value: 9, explanation: "acknowledged by broker-1 alone, then broker-1 was killed", allowed: true, reason: "acks=1 may lose on leader failure" }],
        stats: { sent: 40, acked: 40, lostWrites: 1 },
      },
      join(OUT, "run"),
    );
    runPath = files[0] as string;
    profile = mkdtempSync(join(tmpdir(), "kafkasim-chromium-"));
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      viewport: { width: 1280, height: 900 },
    });
  });

  afterAll(async () => {
    await ctx?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  async function open(path: string, shot: string): Promise<{ charts: { name: string; marks: number }[]; errors: string[]; requests: string[] }> {
    const page = await ctx.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("request", (r) => {
      if (!r.url().startsWith("file:")) requests.push(r.url());
    });
    await page.goto(pathToFileURL(path).href, { waitUntil: "load" });
    const charts = await page.$$eval("figure.chart", (figs) =>
      figs.map((f) => ({
        name: f.getAttribute("data-chart") ?? "?",
        // data marks of a Vega SVG: children of mark groups that are not axes, legends or titles
        marks: Array.from(f.querySelectorAll("svg g.role-mark > *")).filter((el) => {
          const box = (el as unknown as { getBBox?: () => { width: number; height: number } }).getBBox?.();
          return box !== undefined && (box.width > 0 || box.height > 0);
        }).length,
      })),
    );
    const file = join(resolve("reports/out"), shot);
    await page.screenshot({ path: file, fullPage: true });
    expect(statSync(file).size).toBeGreaterThan(10_000);
    await page.close();
    return { charts, errors, requests };
  }

  it("the comparison report loads cleanly, offline, and every chart has marks", async () => {
    const { charts, errors, requests } = await open(comparePath, "compare-screenshot.png");
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    expect(charts.map((c) => c.name)).toEqual(["tradeoff", "tradeoff-bars", "latency", "isr-hw-1", "isr-hw-2", "isr-hw-3", "isr-hw-4"]);
    for (const c of charts) expect(c.marks, c.name).toBeGreaterThan(0);
  });

  it("the run report loads cleanly and every chart has marks", async () => {
    const { charts, errors, requests } = await open(runPath, "run-screenshot.png");
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    expect(charts.map((c) => c.name)).toEqual(["timeline", "messages", "isr-hw", "latency"]);
    for (const c of charts) expect(c.marks, c.name).toBeGreaterThan(0);
  });
});
