// Reading scenarios and checking where output goes, in process: library names, file size limit, --limit,
// output destinations refused before any work, atomic writes.
import { tempDir } from "./testdata/temp-dir.ts";
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError, checkOutputDir, checkOutputFile, parseLimits, readScenarioText, resolveScenario, writeFileAtomic } from "./io.ts";
import { listEntries } from "./commands/list.ts";

const tmp = (): string => tempDir("kafkasim-io-");

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
  throw new Error("expected a UsageError");
}

describe("scenario names", () => {
  it("every name `list` prints is accepted by `run` (the scenario's own name as well as its file name)", () => {
    const entries = listEntries();
    expect(entries.length).toBeGreaterThan(40);
    for (const e of entries) expect(resolveScenario(e.name), e.name).toMatch(new RegExp(`${e.file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`));
    // A regression's name differs from its file name: both resolve to the file.
    expect(resolveScenario("regression-acks=0 loses")).toMatch(/scenarios\/regressions\/acks-0-loses\.yaml$/);
    expect(resolveScenario("acks-0-loses")).toMatch(/scenarios\/regressions\/acks-0-loses\.yaml$/);
  });

  it("a pipe is not read (it could block forever)", () => {
    const dir = tmp();
    const fifo = join(dir, "p.yaml");
    execFileSync("mkfifo", [fifo]);
    expect(usage(() => resolveScenario(fifo))).toMatch(/is not a regular file/);
  });
});

describe("limits", () => {
  it("a file larger than maxFileBytes is refused before it is read, naming the limit and how to raise it", () => {
    const f = join(tmp(), "big.yaml");
    writeFileSync(f, `# ${"x".repeat(2_000_000)}\nbrokers: 3\n`);
    expect(usage(() => readScenarioText(f))).toMatch(/2000014 bytes exceeds the limit maxFileBytes = 1048576; raise it with --limit maxFileBytes=2000014$/);
    expect(readScenarioText(f, { maxFileBytes: 3_000_000 })).toMatch(/brokers: 3/);
  });

  it("--limit name=value, with a did-you-mean for names", () => {
    expect(parseLimits(["maxRecords=10_000_000", "maxBrokers=80"])).toEqual({ maxRecords: 10_000_000, maxBrokers: 80 });
    expect(usage(() => parseLimits(["maxRecord=5"]))).toMatch(/unknown limit "maxRecord"; did you mean "maxRecords"\?/);
    expect(usage(() => parseLimits(["maxRecords=lots"]))).toMatch(/--limit maxRecords must be a whole number ≥ 1, got "lots"/);
    expect(usage(() => parseLimits(["maxRecords"]))).toMatch(/expected name=value/);
  });
});

describe("output destinations are checked before any work", () => {
  it("a directory destination: a file in the way, or a place nothing can be written", () => {
    const dir = tmp();
    const file = join(dir, "f");
    writeFileSync(file, "");
    expect(usage(() => checkOutputDir("--save", join(file, "sub")))).toMatch(/--save .*f\/sub: .*f is a file, not a directory/);
    expect(usage(() => checkOutputDir("--html", file))).toMatch(/is a file, not a directory/);
    expect(usage(() => checkOutputDir("--save", "/proc/kafkasim/out"))).toMatch(/--save \/proc\/kafkasim\/out: cannot write in \/proc/);
    checkOutputDir("--save", join(dir, "new", "deeper")); // to be created: fine
    expect(readdirSync(dir)).toEqual(["f"]); // the check leaves nothing behind
  });

  it("a file destination: a directory, a pipe, a missing or unwritable directory", () => {
    const dir = tmp();
    const fifo = join(dir, "pipe");
    execFileSync("mkfifo", [fifo]);
    expect(usage(() => checkOutputFile("--trace", dir))).toMatch(/is a directory; give a file name/);
    expect(usage(() => checkOutputFile("--trace", fifo))).toMatch(/not a regular file \(a pipe or a device\)/);
    expect(usage(() => checkOutputFile("--trace", join(dir, "no", "t.jsonl")))).toMatch(/the directory .* does not exist/);
    expect(usage(() => checkOutputFile("--trace", "/proc/self/kafkasim.jsonl"))).toMatch(/cannot write in \/proc\/self/);
    checkOutputFile("--trace", join(dir, "t.jsonl"));
  });

  it("writeFileAtomic leaves the whole file and no temporary one", () => {
    const dir = tmp();
    const f = join(dir, "ce.yaml");
    writeFileAtomic(f, "a: 1\n");
    writeFileAtomic(f, "a: 2\n");
    expect(readFileSync(f, "utf8")).toBe("a: 2\n");
    expect(readdirSync(dir)).toEqual(["ce.yaml"]);
    expect(() => writeFileAtomic(join(dir, "no", "x.yaml"), "x")).toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual(["ce.yaml"]);
  });
});
