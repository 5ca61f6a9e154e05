// The CLI through its real entry point (spawned `node bin/kafkasim.js`): help, exit codes, JSON shapes and a
// corpus of bad inputs, each answered with one clear message and exit code 2.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BAD = join(ROOT, "cli", "testdata", "bad");

function cli(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "kafkasim.js"), ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "" }, timeout: 60_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** Expected message fragment of each bad file: its first line `# error: ...` (JSON files: listed here). */
const JSON_EXPECT: Record<string, string> = { "json-wrong-type.json": 'expected records per second, got "fast"' };

describe("kafkasim --help", () => {
  it("documents every command and the exit codes", () => {
    const r = cli("--help");
    expect(r.code).toBe(0);
    for (const c of ["run", "list", "fuzz", "replay", "explain", "bench", "compare", "start", "check"]) expect(r.out).toMatch(new RegExp(`^  ${c} `, "m"));
    expect(r.out).toMatch(/2 bad input/);
  });
  it.each([["run"], ["fuzz"]])("%s --help lists its options", (cmd) => {
    const r = cli(cmd, "--help");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--seed/);
    expect(r.out).toMatch(/--set/);
    expect(r.out).toMatch(/--json/);
  });
});

describe("bad input: one clear message, exit code 2", () => {
  const files = readdirSync(BAD).sort();
  it("has a corpus of at least 30 bad scenario files", () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
  });

  it("check answers every bad file with its position and what is allowed", () => {
    const r = cli("check", ...files.map((f) => join("cli", "testdata", "bad", f)));
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
    ["run", "no-such-scenario", /no scenario file or library scenario named "no-such-scenario"/],
    ["run", "acks1-leader-crsh", /did you mean "acks1-leader-crash"\?/],
    ["replay", "cli/testdata/bad/malformed-yaml-flow.yaml", /malformed-yaml-flow\.yaml:3:1: malformed YAML/],
    ["explain", "cli/testdata/bad/fault-unknown-broker.yaml", /there is no broker 4; brokers are 1\.\.3/],
  ])("%s %s", (cmd, arg, re) => {
    const r = cli(cmd, arg);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(re);
    expect(r.err.trim().split("\n").length).toBe(1);
    expect(r.out).toBe("");
  });

  it.each([
    [["run", "acks1-leader-crash", "--set", "ack=1"], /--set ack=1: unknown key "ack"; did you mean "acks"\?/],
    [["run", "acks1-leader-crash", "--set", "producer.acks=3"], /allowed: all, -1, 0, 1/],
    [["run", "acks1-leader-crash", "--bogus"], /unknown option '--bogus'/],
    [["fuzz", "--runs", "0"], /--runs must be a whole number ≥ 1/],
    [["fuzz", "--runs", "3", "--time", "5"], /cannot be used with option/],
    [["fuzz", "--until", "lost-writes"], /did you mean "lost-write"\?/],
    [["fuzz", "--set", "brokers=0"], /must be ≥ 1, got 0/],
    [["frobnicate"], /unknown command 'frobnicate'/],
  ])("%j", (args, re) => {
    const r = cli(...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(re);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});

describe("list and schema", () => {
  it("list --json names every library scenario with its description", () => {
    const r = cli("list", "--json");
    expect(r.code).toBe(0);
    const entries = JSON.parse(r.out) as { name: string; file: string; description: string | null; error?: string }[];
    const lib = readdirSync(join(ROOT, "scenarios")).filter((f) => f.endsWith(".yaml"));
    expect(entries.filter((e) => !e.file.includes("regressions")).map((e) => `${e.name}.yaml`).sort()).toEqual(lib.sort());
    for (const e of entries) {
      expect(e.error).toBeUndefined();
      expect(e.description).toBeTruthy();
    }
  });
  it("schema prints the published JSON Schema", () => {
    const r = cli("schema");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual(JSON.parse(readFileSync(join(ROOT, "scenarios", "schema.json"), "utf8")));
  });
});
