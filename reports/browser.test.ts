// The HTML reports looked at in a real headless browser (Debian's chromium driven by playwright-core), as a reader
// would: real runs (a library scenario, a variant losing a handful of records, the default comparison), then
// - no console errors, no network request, every chart drawn;
// - no two text boxes of a chart overlap (their bounding boxes, as laid out by the browser);
// - every lost record is marked in the message diagram at its true time (read back through the drawn axis) and
//   linked from the anomaly list; the events the oracle cites are ringed and linked;
// - every symbol a run chart draws has its legend entry;
// - at 1,280 px the comparison table's trade-off column is in view, and its configuration columns stay in view
//   when the table is scrolled to its end; every latency panel has its own x axis; the ISR and HW lines reach the
//   end of the time axis; the fault bands are lettered and keyed; the page weighs at most 2 MB.
// Screenshots go to reports/out/browser-test/ (test artefacts); the README's to docs/ with KAFKASIM_WRITE_DOCS=1.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import type { BrowserContext, Page } from "playwright-core";
import { writeRunHtml } from "./run-report.ts";
import { writeCompareHtml } from "./html.ts";
import { compare, defaultMatrix } from "./compare.ts";
import { runScenario } from "../sim/world.ts";
import { judge } from "../properties/index.ts";
import type { Judgement } from "../properties/index.ts";
import { parseScenario } from "../sim/scenario/parse.ts";
import type { Scenario } from "../sim/scenario/types.ts";
import type { RunResult } from "../sim/result.ts";

/** The little of the DOM these checks use, run inside the page (the project compiles without the DOM library). */
interface Box {
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
  readonly width: number;
  readonly height: number;
}
interface El {
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  removeAttribute(name: string): void;
  getBoundingClientRect(): Box;
  querySelector(sel: string): El | null;
  querySelectorAll(sel: string): ArrayLike<El>;
  closest(sel: string): El | null;
  readonly textContent: string | null;
  scrollLeft: number;
  readonly scrollWidth: number;
}

const CHROMIUM = "/usr/bin/chromium";
const OUT = resolve("reports/out/browser-test");
/** The README's screenshots are rewritten only when asked (KAFKASIM_WRITE_DOCS=1), so a test run leaves the tree
 *  clean; otherwise they go beside the other artefacts. */
const DOCS = process.env["KAFKASIM_WRITE_DOCS"] === "1" ? resolve("docs") : join(OUT, "docs");
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`[reports/browser.test.ts] SKIPPED: ${CHROMIUM} not found, so the HTML reports were not opened in a browser and none of their layout was checked. Install it with \`apt-get install -y chromium\` (.ci/run does when it can).`);

function library(name: string): Scenario {
  const file = resolve("scenarios", `${name}.yaml`);
  return parseScenario(readFileSync(file, "utf8"), { file });
}

interface Judged {
  readonly result: RunResult;
  readonly judgement: Judgement;
  readonly path: string;
}

async function report(s: Scenario, dir: string): Promise<Judged> {
  const result = runScenario(s, { record: true });
  const judgement = judge(result);
  const files = await writeRunHtml(result, judgement, join(OUT, dir));
  return { result, judgement, path: files[0]! };
}

/** The marks of a record: a tick holds the records on its pixel row, data-value (the first) and data-values (all,
 *  when more than one). */
const has = (sel: string, v: number): string => `${sel}[data-value="${v}"], ${sel}[data-values~="${v}"]`;

/** When each send was acknowledged and invoked, straight from the history. */
function sendTimes(r: RunResult): Map<number, { invokeMs: number; ackMs: number | null }> {
  const out = new Map<number, { invokeMs: number; ackMs: number | null }>();
  for (const op of r.history) {
    if (op.f !== "send") continue;
    if (op.type === "invoke") out.set(op.value.value, { invokeMs: op.timeUs / 1000, ackMs: null });
    else if (op.type === "ok") {
      const s = out.get(op.value.value);
      if (s && s.ackMs === null) s.ackMs = op.timeUs / 1000;
    }
  }
  return out;
}

describe.skipIf(!haveChromium)("HTML reports in headless chromium", () => {
  let ctx: BrowserContext;
  let profile: string;
  let comparePath: string;
  let acks1: Judged;
  let fewLost: Judged;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    acks1 = await report(library("acks1-leader-crash"), "acks1-leader-crash");
    // The same cluster losing only a handful of records: the followers are cut off 35 ms before the leader dies.
    const base = library("acks1-leader-crash");
    fewLost = await report({ ...base, name: "acks1-few-lost", faults: [{ atMs: 2965, action: base.faults[0]!.action }, { atMs: 3000, action: base.faults[1]!.action }] }, "acks1-few-lost");
    // The default comparison (on one seed: the charts draw the first seed's runs, so the page is the same size).
    const o = compare({ matrix: defaultMatrix(), seed: 1, seeds: 1, recordSamples: true, run: runScenario, judge });
    comparePath = await writeCompareHtml(o, join(OUT, "compare"));
    profile = mkdtempSync(join(tmpdir(), "kafkasim-chromium-"));
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      viewport: { width: 1280, height: 900 },
    });
  }, 120_000);

  afterAll(async () => {
    await ctx?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  async function open(path: string): Promise<{ page: Page; errors: string[]; requests: string[] }> {
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
    // Open every <details> so that every chart and label is laid out.
    await page.$$eval("details", (ds) => (ds as unknown as El[]).forEach((d) => d.setAttribute("open", "")));
    return { page, errors, requests };
  }

  /** Pairs of text boxes that overlap, per chart (by more than half a pixel each way). */
  async function overlaps(page: Page): Promise<string[]> {
    return page.$$eval("figure.chart", (figs) => {
      const out: string[] = [];
      for (const f of figs as unknown as El[]) {
        const boxes = Array.from(f.querySelectorAll("svg text"))
          .filter((t) => (t.textContent ?? "").trim() !== "")
          .map((t) => ({ text: (t.textContent ?? "").trim().slice(0, 40), r: t.getBoundingClientRect() }))
          .filter((b) => b.r.width > 0 && b.r.height > 0);
        for (let i = 0; i < boxes.length; i++) {
          for (let j = i + 1; j < boxes.length; j++) {
            const a = boxes[i]!.r;
            const b = boxes[j]!.r;
            const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
            const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
            if (w > 0.5 && h > 0.5) out.push(`${f.getAttribute("data-chart")}: "${boxes[i]!.text}" × "${boxes[j]!.text}"`);
          }
        }
      }
      return out;
    });
  }

  /** Where each selected mark of the message diagram is drawn, as a time read back through its drawn time axis
   *  (ticks' values and positions), and the axis' ms per pixel. null: no such mark. */
  async function drawnTimes(page: Page, selectors: readonly string[]): Promise<{ msPerPx: number; times: (number | null)[] }> {
    return page.$eval(
      "figure[data-chart=messages] svg",
      (node, sels) => {
        const svg = node as unknown as El;
        const ticks = Array.from(svg.querySelectorAll(".axis-y .tick")).map((t) => ({ v: Number(t.getAttribute("data-v")), y: t.querySelector("line")!.getBoundingClientRect().top }));
        const [a, b] = [ticks[0]!, ticks[ticks.length - 1]!];
        const timeAt = (y: number): number => a.v + ((y - a.y) / (b.y - a.y)) * (b.v - a.v);
        return {
          msPerPx: Math.abs((b.v - a.v) / (b.y - a.y)),
          // "selector|k": the k-th element matching it.
          times: sels.map((spec) => {
            const [sel, k] = spec.split("|") as [string, string | undefined];
            const el = Array.from(svg.querySelectorAll(sel))[Number(k ?? 0)];
            if (!el) return null;
            const r = el.getBoundingClientRect();
            return timeAt((r.top + r.bottom) / 2);
          }),
        };
      },
      selectors,
    );
  }

  async function shot(page: Page, file: string, full: boolean): Promise<void> {
    await page.screenshot({ path: file, fullPage: full });
    expect(statSync(file).size).toBeGreaterThan(10_000);
  }

  it("the run report loads cleanly, offline; every chart is drawn; no two labels overlap", async () => {
    for (const j of [acks1, fewLost]) {
      const { page, errors, requests } = await open(j.path);
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      const charts = await page.$$eval("figure.chart", (fs) => (fs as unknown as El[]).map((f) => ({ name: f.getAttribute("data-chart"), shapes: f.querySelectorAll("svg path, svg line, svg rect, svg polygon, svg circle").length })));
      expect(charts.map((c) => c.name)).toEqual(["messages", "timeline", "isr-hw", "latency"]);
      for (const c of charts) expect(c.shapes, c.name ?? "").toBeGreaterThan(20);
      expect(await overlaps(page)).toEqual([]);
      await shot(page, join(OUT, `${j.result.scenario.name}.png`), true);
      await page.close();
    }
  });

  it("every lost (and reordered) record is marked in the message diagram at its true send and acknowledgement times, and linked", async () => {
    for (const j of [acks1, fewLost]) {
      const lost = j.judgement.anomalies.filter((a) => a.type === "lost-write").map((a) => a.value!);
      expect(lost.length, j.result.scenario.name).toBeGreaterThan(0);
      const { page } = await open(j.path);
      const sels = lost.flatMap((v) => [has("line.rec-ack", v), has("line.rec-produce", v), has("line.rec-ack[id]", v)]);
      const drawn = await drawnTimes(page, sels);
      const times = sendTimes(j.result);
      // Within a pixel of the true time (the drawing rounds coordinates to a tenth of a unit).
      const tol = drawn.msPerPx * 1.01;
      lost.forEach((v, k) => {
        const [ack, produce, anchor] = [drawn.times[3 * k], drawn.times[3 * k + 1], drawn.times[3 * k + 2]];
        const t = times.get(v)!;
        expect(ack, `v${v} ack mark`).not.toBeNull();
        expect(Math.abs(ack! - t.ackMs!), `v${v} ack at ${t.ackMs} ms, drawn at ${ack}`).toBeLessThanOrEqual(tol);
        expect(produce, `v${v} produce mark`).not.toBeNull();
        expect(Math.abs(produce! - t.invokeMs), `v${v} sent at ${t.invokeMs} ms, drawn at ${produce}`).toBeLessThanOrEqual(tol);
        expect(anchor, `v${v} anchor`).toBe(ack);
      });
      // The reordered records (nonmonotonic-send): ticked at each send and acknowledgement inside the window.
      const title = await page.$eval("figure[data-chart=messages] .chart-title", (t) => (t as unknown as El).textContent ?? "");
      const [w0, w1] = [...title.matchAll(/([\d.]+) s/g)].map((m) => Number(m[1]) * 1000) as [number, number];
      const inWin = (t: number | null): t is number => t !== null && t >= w0 + 1 && t <= w1 - 1;
      const reordered = [...new Set(j.judgement.anomalies.filter((a) => a.type === "nonmonotonic-send").map((a) => a.value!))];
      const rd = await drawnTimes(page, reordered.flatMap((v) => [has("line.rec-produce", v), has("line.rec-ack", v)]));
      let checked = 0;
      reordered.forEach((v, k) => {
        const t = times.get(v)!;
        for (const [want, got, what] of [[t.invokeMs, rd.times[2 * k]!, "sent"], [t.ackMs, rd.times[2 * k + 1]!, "acknowledged"]] as const) {
          if (!inWin(want)) continue;
          checked++;
          expect(got, `reordered v${v} ${what} mark`).not.toBeNull();
          expect(Math.abs(got - want), `reordered v${v} ${what} at ${want} ms, drawn at ${got}`).toBeLessThanOrEqual(rd.msPerPx * 1.01);
        }
      });
      if (j === acks1) expect(checked, "acks1-leader-crash: the 40 reordered records' sends are in the window").toBe(40);
      // The anomaly list links to the marks, and each link leads to the tick holding its record.
      const links = await page.$$eval('#anomalies ~ details a[href^="#rec-"]', (as) => {
        const doc = (globalThis as unknown as { document: { getElementById(id: string): El | null } }).document;
        return (as as unknown as El[]).map((a) => {
          const v = a.getAttribute("data-value")!;
          const target = doc.getElementById(a.getAttribute("href")!.slice(1));
          const values = target ? (target.getAttribute("data-values") ?? target.getAttribute("data-value") ?? "").split(" ") : [];
          return { href: a.getAttribute("href")!, v, ok: values.includes(v) };
        });
      });
      expect(links.length).toBeGreaterThanOrEqual(Math.min(lost.length, 16));
      expect(links.filter((l) => !l.ok)).toEqual([]);
      // The events the oracle cites for the lost writes are ringed in the diagram and linked from the group.
      const cited = [...new Set(j.judgement.anomalies.filter((a) => a.type === "lost-write").flatMap((a) => a.allowedBecause!.events.filter((e) => e.source === "trace").map((e) => e.index)))];
      expect(cited.length).toBeGreaterThan(0);
      for (const i of cited) {
        expect(await page.$(`figure[data-chart=messages] #ev-${i} [data-kind=cause]`), `evidence ${i} ringed`).not.toBeNull();
        expect(await page.$(`#anomalies ~ details a[href="#ev-${i}"]`), `evidence ${i} linked`).not.toBeNull();
      }
      await page.close();
    }
  });

  it("a duplicated record's two writes and an unprocessed record's poll are marked at their times", async () => {
    // retries-duplicates: each duplicated value is written twice by the leader; the diagram ticks both writes.
    const dup = await report(library("retries-duplicates"), "retries-duplicates");
    const values = dup.judgement.anomalies.filter((a) => a.type === "duplicate").map((a) => a.value!);
    expect(values.length).toBe(5);
    const appends = new Map<number, number[]>();
    const finalLog = dup.result.final.partitions.find((p) => p.topic === "orders")!;
    const leader = finalLog.replicas.find((x) => x.broker === finalLog.leader)!;
    for (const ev of dup.result.trace) {
      if (ev.type !== "produce-append" || ev.broker !== finalLog.leader) continue;
      for (let o = ev.baseOffset; o < ev.baseOffset + ev.count; o++) {
        const v = leader.values[o - leader.logStartOffset];
        if (v !== undefined && values.includes(v)) appends.set(v, [...(appends.get(v) ?? []), ev.timeUs / 1000]);
      }
    }
    let page = (await open(dup.path)).page;
    for (const v of values) {
      const want = appends.get(v)!;
      expect(want.length, `v${v} written twice`).toBe(2);
      // Exactly two ticks hold v (in document order, which need not be time order).
      const drawn = await drawnTimes(page, [0, 1, 2].map((k) => `${has("line.rec-append", v)}|${k}`));
      expect(drawn.times[2], `v${v} ticked only twice`).toBeNull();
      expect(drawn.times.slice(0, 2), `v${v} both writes ticked`).not.toContain(null);
      const got = (drawn.times.slice(0, 2) as number[]).sort((a, b) => a - b);
      want.forEach((t, k) => expect(Math.abs(got[k]! - t), `v${v} written at ${t} ms, drawn at ${got[k]}`).toBeLessThanOrEqual(drawn.msPerPx * 1.01));
    }
    await page.close();
    // commit-before-processing: each committed-unprocessed record is marked on the consumer's lane at its poll.
    const cbp = await report(library("commit-before-processing"), "commit-before-processing");
    const skipped = cbp.judgement.anomalies.filter((a) => a.type === "committed-unprocessed").map((a) => a.value!);
    expect(skipped.length).toBeGreaterThan(0);
    const pollAt = new Map<number, number>();
    for (const op of cbp.result.history) if (op.f === "poll" && op.type === "ok") for (const rec of op.value.records) if (!pollAt.has(rec.value)) pollAt.set(rec.value, op.timeUs / 1000);
    page = (await open(cbp.path)).page;
    const drawn = await drawnTimes(
      page,
      skipped.map((v) => has("line.rec-poll", v)),
    );
    skipped.forEach((v, k) => {
      expect(drawn.times[k], `v${v} poll mark`).not.toBeNull();
      expect(Math.abs(drawn.times[k]! - pollAt.get(v)!), `v${v} polled at ${pollAt.get(v)} ms`).toBeLessThanOrEqual(drawn.msPerPx * 1.01);
    });
    expect(await overlaps(page)).toEqual([]);
    await page.close();
  });

  it("every symbol the run charts draw has its legend entry", async () => {
    const { page } = await open(acks1.path);
    const missing = await page.$$eval("figure[data-chart=messages] svg, figure[data-chart=timeline] svg", (svgs) =>
      (svgs as unknown as El[]).flatMap((svg) => {
        const legend = new Set(Array.from(svg.querySelectorAll(".legend-entry[data-kind]")).map((e) => e.getAttribute("data-kind")));
        const drawn = new Set(
          Array.from(svg.querySelectorAll("[data-kind]"))
            .filter((e) => !e.closest(".legend") && e.getAttribute("data-kind") !== "context")
            .map((e) => e.getAttribute("data-kind")),
        );
        return [...drawn].filter((k) => !legend.has(k)).map((k) => `${svg.getAttribute("aria-label")}: ${k}`);
      }),
    );
    expect(missing).toEqual([]);
    await page.close();
  });

  it("the comparison at 1,280 px: trade-off column in view, configuration columns sticky, charts legible, ≤ 2 MB", async () => {
    const bytes = statSync(comparePath).size;
    expect(bytes).toBeLessThanOrEqual(2 * 1024 * 1024);
    const { page, errors, requests } = await open(comparePath);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    const trade = await page.$$eval("table.cmp th.trade, table.cmp td.trade", (cells) => (cells as unknown as El[]).map((c) => c.getBoundingClientRect()).map((r) => ({ left: r.left, right: r.right })));
    expect(trade.length).toBe(17);
    for (const r of trade) {
      expect(r.left).toBeGreaterThanOrEqual(0);
      expect(r.right).toBeLessThanOrEqual(1280);
    }
    // Scrolled to its end, the configuration is still in view (sticky), over the cells that scrolled under it.
    const sticky = await page.$eval("div.scroll", (node) => {
      const div = node as unknown as El;
      div.scrollLeft = div.scrollWidth;
      const box = div.getBoundingClientRect();
      const cells = Array.from(div.querySelectorAll("tbody tr:first-child td.sticky")).map((c) => c.getBoundingClientRect());
      return { scrolled: div.scrollLeft, left: box.left, lefts: cells.map((c) => c.left), rights: cells.map((c) => c.right) };
    });
    expect(sticky.scrolled).toBeGreaterThan(0);
    expect(Math.abs(sticky.lefts[0]! - sticky.left)).toBeLessThanOrEqual(1.5);
    for (let i = 1; i < sticky.lefts.length; i++) expect(Math.abs(sticky.lefts[i]! - sticky.rights[i - 1]!)).toBeLessThanOrEqual(1.5);
    expect(await overlaps(page)).toEqual([]);
    // No point of the scatter covers a text (an axis' tick label, a row label).
    const covered = await page.$eval("figure[data-chart=tradeoff] svg", (node) => {
      const svg = node as unknown as El;
      const texts = Array.from(svg.querySelectorAll("text")).map((t) => ({ text: t.textContent ?? "", r: t.getBoundingClientRect() }));
      return Array.from(svg.querySelectorAll("g.point")).flatMap((g) => {
        const p = g.getBoundingClientRect();
        return texts.filter(({ r }) => Math.min(p.right, r.right) - Math.max(p.left, r.left) > 0.5 && Math.min(p.bottom, r.bottom) - Math.max(p.top, r.top) > 0.5).map((t) => `#${g.getAttribute("data-rows")} × "${t.text}"`);
      });
    });
    expect(covered).toEqual([]);
    // Every latency panel has an x axis with labels; the ISR and HW lines reach the end of their time axis.
    const panels = await page.$$eval("figure[data-chart=latency] .panel", (ps) => (ps as unknown as El[]).map((p) => p.querySelectorAll(".axis-x .tick text").length));
    expect(panels.length).toBe(16);
    for (const n of panels) expect(n).toBeGreaterThanOrEqual(4);
    const ends = await page.$$eval("figure[data-chart=isr-hw] .panel", (ps) =>
      (ps as unknown as El[]).map((p) => {
        const axis = p.querySelector(".axis-x > line")!.getBoundingClientRect();
        return { axis: axis.right, isr: p.querySelector("path.isr")!.getBoundingClientRect().right, hw: p.querySelector("path.hw")!.getBoundingClientRect().right };
      }),
    );
    expect(ends.length).toBe(16);
    for (const e of ends) {
      expect(Math.abs(e.hw - e.axis)).toBeLessThanOrEqual(1.5);
      expect(Math.abs(e.isr - e.axis)).toBeLessThanOrEqual(1.5);
    }
    // Fault bands: each lettered in the track and keyed; every band's tooltip names its letter's fault.
    const faults = await page.$eval("figure[data-chart=latency] svg", (node) => {
      const svg = node as unknown as El;
      return {
      letters: Array.from(svg.querySelectorAll(".fault-track .fault-letter")).map((t) => t.textContent),
      keys: Array.from(svg.querySelectorAll(".fault-track .fault-key")).map((t) => (t.textContent ?? "").slice(0, 1)),
        bands: Array.from(svg.querySelectorAll(".panel .fault-band title")).map((t) => (t.textContent ?? "").slice(0, 1)),
      };
    });
    expect(faults.keys.length).toBeGreaterThan(0);
    expect(faults.letters).toEqual(faults.keys);
    for (const b of faults.bands) expect(faults.keys).toContain(b);
    await shot(page, join(OUT, "compare.png"), true);
    await page.close();
  });

  it("writes the README's screenshots (docs/ with KAFKASIM_WRITE_DOCS=1)", async () => {
    mkdirSync(DOCS, { recursive: true });
    const run = await open(acks1.path);
    await run.page.$$eval("details.group details", (ds) => (ds as unknown as El[]).forEach((d) => d.removeAttribute("open")));
    await shot(run.page, join(DOCS, "run-report.png"), false);
    const fig = await run.page.$("figure[data-chart=messages]");
    await fig!.screenshot({ path: join(DOCS, "run-report-messages.png") });
    await run.page.close();
    const cmp = await open(comparePath);
    await cmp.page.$$eval("details", (ds) => (ds as unknown as El[]).forEach((d) => d.removeAttribute("open")));
    await shot(cmp.page, join(DOCS, "compare.png"), false);
    const t = await cmp.page.$("figure[data-chart=tradeoff]");
    await t!.screenshot({ path: join(DOCS, "compare-tradeoff.png") });
    await cmp.page.close();
  });
});
