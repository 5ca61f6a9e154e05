// The CLI through its real entry point (spawned `node bin/kafkasim.js`): help, exit codes, JSON shapes and a
// corpus of bad inputs, each answered with one clear message and exit code 2.
import { tempDir } from "./testdata/temp-dir.ts";
import { describe, it, expect } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BAD = join(ROOT, "cli", "testdata", "bad");

interface Ran {
  code: number;
  out: string;
  err: string;
}

/** Spawn the real entry point (async, so the tests of a file run concurrently on the available cores). */
function cliEnv(env: Record<string, string>, ...args: string[]): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "bin", "kafkasim.js"), ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, out, err }));
  });
}
const ESC = String.fromCharCode(27);
const cli = (...args: string[]): Promise<Ran> => cliEnv({ NO_COLOR: "1", FORCE_COLOR: "" }, ...args);

/** Expected message fragment of each bad file: its first line `# error: ...` (JSON files, which have no
 *  comments: cli/testdata/bad-json-errors.json). */
const JSON_EXPECT = JSON.parse(readFileSync(join(ROOT, "cli", "testdata", "bad-json-errors.json"), "utf8")) as Record<string, string>;

describe.concurrent("kafkasim --help and --version", () => {
  it("--version prints the package version", async () => {
    const r = await cli("--version");
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe((JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version);
  });
  it("documents every command and the exit codes", async () => {
    const r = await cli("--help");
    expect(r.code).toBe(0);
    for (const c of ["run", "list", "fuzz", "replay", "explain", "serve", "bench", "compare", "start", "check"]) expect(r.out).toMatch(new RegExp(`^  ${c} `, "m"));
    expect(r.out).toMatch(/2 bad input/);
  });
  it.each([["fuzz"]])("%s --help lists its options", async (cmd) => {
    const r = await cli(cmd, "--help");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--seed/);
    expect(r.out).toMatch(/--set/);
    expect(r.out).toMatch(/--json/);
  });
});

describe.concurrent("bad input: one clear message, exit code 2", () => {
  const files = readdirSync(BAD).sort();
  it("has a corpus of at least 100 bad scenario files, each JSON one with its expected message", () => {
    expect(files.length).toBeGreaterThanOrEqual(100);
    expect(Object.keys(JSON_EXPECT).sort()).toEqual(files.filter((f) => f.endsWith(".json")));
  });

  it("check answers every bad file with its position and what is allowed", async () => {
    const r = await cli("check", ...files.map((f) => join("cli", "testdata", "bad", f)));
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
    const lines = r.err.trimEnd().split("\n");
    for (const f of files) {
      const text = readFileSync(join(BAD, f), "utf8");
      const want = JSON_EXPECT[f] ?? /^# error: (.*)$/m.exec(text)?.[1];
      expect(want, f).toBeDefined();
      const mine = lines.filter((l) => l.startsWith(`cli/testdata/bad/${f}:`));
      expect(mine.length, `${f}: ${r.err}`).toBe(1);
      const line = mine[0] as string;
      expect(line, f).toContain(want as string);
      if (text.trim() !== "" && !text.split("\n").every((l) => l.startsWith("#") || l.trim() === "")) {
        expect(line, f).toMatch(new RegExp(`^cli/testdata/bad/${f.replace(/\./g, "\\.")}:\\d+:\\d+: `));
      }
    }
  });

  it.each([
    ["run", "cli/testdata/bad/acks-out-of-set.yaml", /acks-out-of-set\.yaml:5:46: producers\[0\]\.config\.acks: 2 is not allowed; allowed: all, -1, 0, 1/],
    ["run", "acks1-leader-crsh", /no scenario file or library scenario named "acks1-leader-crsh"; did you mean "acks1-leader-crash"\?/],
    ["replay", "cli/testdata/bad/malformed-yaml-flow.yaml", /malformed-yaml-flow\.yaml:3:1: malformed YAML/],
  ])("%s %s", async (cmd, arg, re) => {
    const r = await cli(cmd, arg);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(re);
    expect(r.err.trim().split("\n").length).toBe(1);
    expect(r.out).toBe("");
  });

  it.each([
    [["run", "acks1-leader-crash", "--set", "ack=1"], /--set ack=1: unknown key "ack"; did you mean "acks"\?/],
    [["run", "acks1-leader-crash", "--bogus"], /unknown option '--bogus'/],
    [["fuzz", "--runs", "0"], /--runs must be a whole number ≥ 1/],
    [["fuzz", "--until", "lost-writes"], /did you mean "lost-write"\?/],
    [["fuzz", "--time", "0"], /--time must be a number > 0, got "0"/],
    [["frobnicate"], /unknown command 'frobnicate'/],
    [["run", "acks1-leader-crash", "--limit", "maxRecord=5"], /--limit maxRecord=5: unknown limit "maxRecord"; did you mean "maxRecords"\?/],
    [["run", "cli/testdata/bad/limit-rate.yaml"], /limit-rate\.yaml:3:42: producers\[0\]\.ratePerSec: ratePerSec 1000000000 exceeds the limit maxRatePerSec = 100000; raise it with/],
    [["run", "acks1-leader-crash", "--set", "durationMs=1000000000000"], /durationMs \(after --set durationMs=1000000000000\): durationMs 1000000000000 exceeds the limit maxDurationMs = 3600000/],
    [["run", "acks1-leader-crash", "--trace", "/proc/kafkasim/t.jsonl"], /--trace \/proc\/kafkasim\/t\.jsonl: the directory \/proc\/kafkasim does not exist/],
    [["run", "acks1-leader-crash", "--html", "package.json"], /--html package\.json: package\.json is a file, not a directory/],
    [["fuzz", "--runs", "5", "--save", "/proc/kafkasim"], /--save \/proc\/kafkasim: cannot write in \/proc/],
  ])("%j", async (args, re) => {
    const t0 = performance.now();
    const r = await cli(...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(re);
    expect(r.err.trim().split("\n").length).toBe(1);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.out).toBe("");
    expect(performance.now() - t0).toBeLessThan(15_000); // refused before any run
  });

  it("a file too large is refused in bounded time and memory; --limit raises the limit", async () => {
    const dir = tempDir("kafkasim-cli-");
    const big = join(dir, "big.yaml");
    writeFileSync(big, `# ${"x".repeat(35_000_000)}\nproducers: [{ id: p1, topic: orders }]\n`);
    const r = await cli("check", big);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/big\.yaml: 35000042 bytes exceeds the limit maxFileBytes = 1048576; raise it with --limit maxFileBytes=35000042/);
    const raised = await cli("check", "--limit", "maxBrokers=60", "cli/testdata/bad/limit-brokers.yaml");
    expect(raised.code).toBe(0);
    expect(raised.out).toMatch(/^ok cli\/testdata\/bad\/limit-brokers\.yaml/);
  });
});

describe.concurrent("list", () => {
  it("list --json names every library scenario with its description", async () => {
    const r = await cli("list", "--json");
    expect(r.code).toBe(0);
    const entries = JSON.parse(r.out) as { name: string; file: string; description: string | null; error?: string }[];
    const lib = readdirSync(join(ROOT, "scenarios")).filter((f) => f.endsWith(".yaml"));
    expect(entries.filter((e) => !e.file.includes("regressions")).map((e) => `${e.name}.yaml`).sort()).toEqual(lib.sort());
    for (const e of entries) {
      expect(e.error, e.file).toBeUndefined();
      if (!e.file.includes("regressions")) expect(e.description, e.file).toBeTruthy();
    }
  });
});

describe.concurrent("running scenarios", () => {
  it("run --json prints the documented shape, exit 0 when the expectation is met; replay gives the same hash; --seed changes it", async () => {
    const [r, b, c] = await Promise.all([
      cli("run", "acks1-leader-crash", "--json"),
      cli("replay", "scenarios/acks1-leader-crash.yaml", "--json"),
      cli("run", "acks1-leader-crash", "--seed", "7", "--json"),
    ]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as Record<string, unknown> & { stats: Record<string, number>; anomalies: Record<string, unknown>[]; metrics: Record<string, unknown>; expectation: { ok: boolean } };
    expect(Object.keys(j)).toEqual(["seed", "scenario", "protocol", "traceHash", "verdict", "expectation", "stats", "anomalies", "liveness", "capacity", "metrics", "repro", "warnings"]);
    expect(j.warnings).toEqual([]);
    expect(j).toMatchObject({ seed: 1, scenario: "acks1-leader-crash", protocol: "3.7", verdict: "allowed", expectation: { ok: true } });
    expect(j.traceHash).toMatch(/^[0-9a-f]+$/);
    for (const k of ["sent", "acked", "failed", "lostWrites", "duplicates", "reorders", "uncommittedReads"]) expect(typeof j.stats[k], k).toBe("number");
    expect(j.stats.lostWrites).toBeGreaterThan(0);
    expect(j.anomalies.length).toBeGreaterThan(0);
    for (const a of j.anomalies) expect(Object.keys(a)).toEqual(["type", "partition", "offset", "value", "explanation", "allowed", "allowedBecause", "liveness"]);
    expect(j.anomalies.some((a) => a.type === "lost-write" && a.partition === "orders-0")).toBe(true);
    const because = j.anomalies.find((a) => a.type === "lost-write")?.allowedBecause as { rule: string; events: { type: string; timeUs: number }[] };
    expect(because.rule).toBe("acks1-leader-change");
    expect(because.events.map((e) => e.type)).toEqual(["leader-elected", "become-leader"]);
    expect(typeof j.metrics.virtualMs).toBe("number");
    expect(j.repro).toBe("npx kafkasim run scenarios/acks1-leader-crash.yaml --seed 1");
    const [jb, jc] = [b, c].map((x) => JSON.parse(x.out) as { traceHash: string; seed: number; repro: string });
    expect(jb?.traceHash).toBe(j.traceHash);
    expect(jc?.seed).toBe(7);
    expect(jc?.traceHash).not.toBe(j.traceHash);
    expect(jc?.repro).toMatch(/--seed 7$/);
  });

  it("the terminal report shows seed, verdict, explanations and the repro command; colour with FORCE_COLOR", async () => {
    const coloured = await cliEnv({ FORCE_COLOR: "1", NO_COLOR: "" }, "run", "acks1-leader-crash");
    expect(coloured.out.includes(`${ESC}[`)).toBe(true);
    const r = { ...coloured, out: coloured.out.replace(new RegExp(`${ESC}\\[[0-9;]*m`, "g"), "") };
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/seed 1/);
    expect(r.out).toMatch(/^verdict: ALLOWED$/m);
    expect(r.out).toMatch(/lost-write ×\d+/);
    expect(r.out).toMatch(/acknowledged at offset \d+/);
    expect(r.out).toMatch(/^expectation: met/m);
    expect(r.out).toMatch(/^repro: npx kafkasim run scenarios\/acks1-leader-crash\.yaml --seed 1$/m);
    // Every count, `unknown` included; each group says what caused it and the setting that would have kept it.
    expect(r.out).toMatch(/^sent 1201 · acked 1201 · failed 0 · unknown 0 · lost 199 ·/m);
    expect(r.out).toMatch(/^ {2}caused by: 2\.000 s fault: one-way partition .*; 3\.000 s fault: kill leader of orders-0 \(broker 2\)/m);
    expect(r.out).toMatch(/^ {2}would have kept it: acks=all with min\.insync\.replicas=2/m);
  });

  it("exit 1 when the expectation is not met, with the reasons", async () => {
    const r = await cli("run", "cli/testdata/unmet-expectation.yaml");
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/expectation: NOT met/);
    expect(r.out).toMatch(/expected a lost-write anomaly, found none/);
    expect(r.out.includes(ESC)).toBe(false); // NO_COLOR
  });

  it("exit 1 on a bug verdict; --trace writes the recorded trace as JSON lines", async () => {
    const dir = tempDir("kafkasim-cli-");
    const trace = join(dir, "t.jsonl");
    const r = await cli("run", "cli/testdata/seeded-bug.yaml", "--trace", trace);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^verdict: BUG$/m);
    const lines = readFileSync(trace, "utf8").trim().split("\n");
    expect(lines.length).toBeGreaterThan(10);
    const events = lines.map((l) => JSON.parse(l) as { type: string; timeUs: number });
    expect(events.some((e) => e.type === "fault")).toBe(true);
    expect(events.every((e, i) => i === 0 || e.timeUs >= (events[i - 1]?.timeUs ?? 0))).toBe(true);
  });

  it("explain walks through faults, leader changes and the operations on an anomalous record", async () => {
    const r = await cli("explain", "cli/testdata/seeded-bug.yaml");
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/Step by step/);
    expect(r.out).toMatch(/FAULT kill leader of orders-0 \(broker \d\)/);
    expect(r.out).toMatch(/orders-0 leader → broker \d, epoch 1/);
    expect(r.out).toMatch(/operations on this record:/);
    expect(r.out).toMatch(/p1 send value \d+ ok orders-0 @\d+/);
    // "heal all" is not a target that resolved to nothing; brokers are named one way; a lost write's steps include
    // the one-way partition in effect when it was acknowledged (it kept the followers from the record).
    expect(r.out).toMatch(/FAULT heal all\n/);
    expect(r.out).not.toMatch(/resolved to nothing/);
    expect(r.out).not.toMatch(/broker-\d/);
    expect(r.out).toMatch(/^ {2}Steps:\n(?: {4}.*\n)*? {4}1\.000 s fault: one-way partition broker 1, broker 2, broker 3 -\/-> leader of orders-0 \(broker 2\)/m);
  });

  it("faults that cannot apply: one warning line each on stderr, and in the JSON", async () => {
    const [text, json] = await Promise.all([cli("run", "cli/testdata/fault-cannot-apply.yaml"), cli("run", "cli/testdata/fault-cannot-apply.yaml", "--json")]);
    expect(text.code).toBe(0);
    expect(text.err).toBe(
      "warning: faults[0] at 500 ms (restart broker 2): broker-2 is already running; nothing to restart\n" + "warning: faults[2] at 700 ms (kill broker 3): broker-3 is not running (killed); nothing to kill\n",
    );
    expect(json.err).toBe("");
    expect((JSON.parse(json.out) as { warnings: string[] }).warnings).toEqual([
      "faults[0] at 500 ms (restart broker 2): broker-2 is already running; nothing to restart",
      "faults[2] at 700 ms (kill broker 3): broker-3 is not running (killed); nothing to kill",
    ]);
  });

  it("the HTML report's repro line names the file's path", async () => {
    const dir = tempDir("kafkasim-html-");
    const r = await cli("run", "cli/testdata/fault-cannot-apply.yaml", "--html", dir);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, "index.html"), "utf8")).toContain("Reproduce: <code>npx kafkasim run cli/testdata/fault-cannot-apply.yaml --seed 1</code>");
  });

  it("a drawn campaign's counterexample reproduces with its repro line (the file's own seed)", async () => {
    const dir = tempDir("kafkasim-fuzz-");
    const r = await cli("fuzz", "--workers", "1", "--runs", "40", "--set", "acks=1", "--until", "lost-write", "--save", dir, "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { runs: number; repro: string; counterexamples: { seed: number; file: string; repro: string; reproduced: boolean }[] };
    const ce = j.counterexamples[0]!;
    expect(ce.repro).toBe(`npx kafkasim replay ${ce.file}`);
    expect(ce.reproduced).toBe(true);
    expect(j.repro).toBe(`npx kafkasim fuzz --seed 1 --runs ${j.runs} --set acks=1 --until lost-write`);
    const replay = await cli(...ce.repro.replace("npx kafkasim ", "").split(" "), "--json");
    const rj = JSON.parse(replay.out) as { seed: number; anomalies: { type: string }[] };
    expect(rj.seed).toBe(ce.seed);
    expect(rj.anomalies.some((a) => a.type === "lost-write")).toBe(true);
  });

  it("fuzz finds, shrinks and saves counterexamples that replay to the same anomaly; --json shape", async () => {
    const dir = tempDir("kafkasim-fuzz-");
    const r = await cli("fuzz", "cli/testdata/seeded-bug.yaml", "--workers", "1", "--runs", "2", "--seed", "5", "--save", dir, "--json");
    expect(r.err).toBe("");
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out) as { seed: number; runs: number; wallMs: number; verdicts: Record<string, number>; anomalies: Record<string, { count: number; firstRun: number }>; counterexamples: { seed: number; verdict: string; anomalies: string[]; file: string; repro: string; reproduced: boolean }[]; repro: string };
    expect(Object.keys(j)).toEqual(["seed", "campaign", "shard", "runs", "wallMs", "interrupted", "verdicts", "capacity", "anomalies", "counterexamples", "coverage", "repro", "meta"]);
    expect(j).toMatchObject({ seed: 5, runs: 2, verdicts: { valid: 0, allowed: 0, bug: 2 } });
    expect(j.repro).toBe("npx kafkasim fuzz cli/testdata/seeded-bug.yaml --seed 5 --runs 2");
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(j.anomalies["lost-write"]?.firstRun).toBe(0);
    // Both runs shrink to the same schedule (the scenario's faults, only the seed varies): one counterexample, the
    // other run counted as its repeat.
    expect(j.counterexamples.map((c) => [c.reproduced, (c as unknown as { repeats: number }).repeats])).toEqual([[true, 1]]);
    const ce = j.counterexamples[0]!;
    expect(ce.verdict).toBe("bug");
    expect(existsSync(ce.file)).toBe(true);
    const replay = await cli("replay", ce.file, "--json");
    expect(replay.code).toBe(1);
    const rj = JSON.parse(replay.out) as { seed: number; verdict: string; anomalies: { type: string }[] };
    expect(rj.seed).toBe(ce.seed);
    expect(rj.verdict).toBe("bug");
    expect(rj.anomalies.some((a) => a.type === "lost-write")).toBe(true);
  });

  it("fuzz --until stops at the first anomaly of that type", async () => {
    const dir = tempDir("kafkasim-fuzz-");
    const r = await cli("fuzz", "acks1-leader-crash", "--workers", "1", "--runs", "5", "--until", "lost-write", "--save", dir, "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { runs: number; counterexamples: { anomalies: string[] }[] };
    expect(j.runs).toBe(1);
    expect(j.counterexamples[0]?.anomalies).toContain("lost-write");
  });
});

describe("fuzz and signals", () => {
  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)("%s stops the campaign cleanly, prints the summary and keeps what was found (exit %d)", async (signal, exit) => {
    const dir = tempDir("kafkasim-fuzz-");
    const child = spawn(process.execPath, [join(ROOT, "bin", "kafkasim.js"), "fuzz", "cli/testdata/seeded-bug.yaml", "--runs", "100000", "--save", dir], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" } });
    let out = "";
    let signalled = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      // Interrupt once the first counterexample is reported: the campaign is running.
      if (!signalled && out.includes("found lost-write")) {
        signalled = true;
        child.kill(signal);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
    expect(signalled).toBe(true);
    expect(code).toBe(exit);
    expect(out).toMatch(new RegExp(`\\(interrupted by ${signal}\\)`));
    expect(out).toMatch(/^repro of the campaign: npx kafkasim fuzz cli\/testdata\/seeded-bug\.yaml --seed 1 --runs \d+$/m);
    const runs = Number(/ (\d+) runs in /.exec(out)?.[1]);
    expect(runs).toBeGreaterThanOrEqual(1);
    expect(runs).toBeLessThan(100000);
    const saved = readdirSync(dir);
    expect(saved.length).toBeGreaterThanOrEqual(1);
    expect(out).toContain(join(dir, saved[0] as string));
  });
});
