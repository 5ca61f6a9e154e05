// The package as users get it (issue #17 §4): `npm pack`, the tarball installed in a temporary project from the
// npm cache only, then from plain Node (no tsx anywhere) `import "kafkasim"` and "kafkasim/properties" run a
// library scenario, and `npx kafkasim --help`, `list` and `run <name>` work from that install.
//
// The build (dist/) is redone first when a source is newer than it (a fresh clone's `npm install` has just built
// it through `prepare`). The temporary project gets a lockfile holding this repository's locked runtime
// dependencies, so `npm ci --offline` installs them from the cache `npm install` filled, without the network;
// when the cache lacks them the install tests are skipped and say why.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import type { SpawnSyncReturns } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseScenario } from "../sim/scenario/parse.ts";
import { runScenario } from "../sim/world.ts";
import { judge } from "../properties/index.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PKG = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { name: string; version: string; dependencies: Record<string, string>; bin: Record<string, string>; engines: Record<string, string>; license: string };
const SCENARIO = "acks1-leader-crash";

/** The newest modification time (ms) of the files the build reads: sources (not tests) and build configuration. */
function newestInput(): number {
  let newest = 0;
  const visit = (path: string): void => {
    const st = statSync(path);
    if (st.isDirectory()) {
      for (const f of readdirSync(path)) if (f !== "node_modules" && f !== "testdata") visit(join(path, f));
    } else if (/\.(ts|json|mjs)$/.test(path) && !path.endsWith(".test.ts")) newest = Math.max(newest, st.mtimeMs);
  };
  for (const d of ["sim", "properties", "reports", "cli", "bench"]) visit(join(ROOT, d));
  for (const f of ["package.json", "tsconfig.json", "tsconfig.build.json", "scripts/build.mjs"]) newest = Math.max(newest, statSync(join(ROOT, f)).mtimeMs);
  return newest;
}

/** dist/ as `npm run build` leaves it, rebuilt when missing or older than a source. */
function ensureBuilt(): void {
  const outputs = [join(ROOT, "dist", "cli.js"), join(ROOT, "dist", "types", "sim", "api.d.ts")];
  if (outputs.every(existsSync) && Math.min(...outputs.map((f) => statSync(f).mtimeMs)) >= newestInput()) return;
  const r = spawnSync(process.execPath, [join(ROOT, "scripts", "build.mjs")], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}${r.stderr}`);
}

/** The environment for npm in another directory: without what the `npm test` running us exported about this
 *  package (npm_config_local_prefix would point the child npm back at this repository). */
function npmEnv(): NodeJS.ProcessEnv {
  const keep = /^npm_config_(cache|userconfig|globalconfig|cafile|registry|proxy|https_proxy|noproxy|strict_ssl)$/i;
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || keep.test(k)));
}

function run(cmd: string, args: readonly string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...npmEnv(), NO_COLOR: "1" }, timeout: 60_000 });
}

interface PackedFile {
  path: string;
}

let tmp = "";
let app = "";
let tarball = "";
let files: string[] = [];
/** Why the install could not be done from the cache (the install tests are then skipped), or undefined. */
let cannotInstall: string | undefined;

beforeAll(() => {
  ensureBuilt();
  tmp = mkdtempSync(join(tmpdir(), "kafkasim-pack-"));
  // The build is fresh: pack it as it is (`prepare` would build it again).
  const packed = run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp], ROOT);
  if (packed.status !== 0) throw new Error(`npm pack failed: ${packed.stderr}`);
  const info = (JSON.parse(packed.stdout) as { filename: string; files: PackedFile[] }[])[0];
  if (info === undefined) throw new Error(`npm pack printed no package: ${packed.stdout}`);
  tarball = join(tmp, info.filename);
  files = info.files.map((f) => f.path).sort();

  // A project depending on the tarball, locked to this repository's runtime dependencies (the entries of
  // package-lock.json that are not dev-only): `npm ci --offline` then needs only the cached tarballs.
  app = join(tmp, "app");
  const spec = `file:../${info.filename}`;
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean }> };
  const packages: Record<string, unknown> = {
    "": { name: "app", dependencies: { kafkasim: spec } },
    "node_modules/kafkasim": {
      version: PKG.version,
      resolved: spec,
      integrity: `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`,
      license: PKG.license,
      dependencies: PKG.dependencies,
      bin: PKG.bin,
      engines: PKG.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) if (path !== "" && entry.dev !== true) packages[path] = entry;
  run("mkdir", ["-p", app], tmp);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module", dependencies: { kafkasim: spec } }, null, 2));
  writeFileSync(join(app, "package-lock.json"), JSON.stringify({ name: "app", lockfileVersion: 3, requires: true, packages }, null, 2));
  const installed = run("npm", ["ci", "--offline", "--no-audit", "--no-fund"], app);
  if (installed.status !== 0) {
    // Only a cache miss skips (this machine's npm cache lacks a locked tarball); any other failure is one.
    if (!/ENOTCACHED/.test(installed.stderr)) throw new Error(`npm ci of the packed tarball failed:\n${installed.stderr}`);
    const why = installed.stderr.split("\n").find((l) => /request to .* failed/.test(l)) ?? "ENOTCACHED";
    cannotInstall = `npm ci --offline could not install the tarball's dependencies from the npm cache (${why.replace(/^npm error /, "").trim()}); run npm install first`;
    console.warn(`cli/package.test.ts: install tests skipped: ${cannotInstall}`);
  }
}, 240_000);

afterAll(() => {
  if (tmp !== "") rmSync(tmp, { recursive: true, force: true });
});

describe("npm pack", () => {
  it("ships the build, the bin, the scenario library and its schema, and no sources or tests", () => {
    expect(files.filter((f) => /\.test\.|\.property\.|(^|\/)testdata\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
    expect(files.filter((f) => !/^(dist\/|bin\/kafkasim\.js$|scenarios\/|package\.json$|README\.md$)/.test(f))).toEqual([]);
    for (const f of ["dist/index.js", "dist/properties.js", "dist/cli.js", "dist/types/sim/api.d.ts", "dist/types/properties/index.d.ts", "bin/kafkasim.js", "scenarios/schema.json", `scenarios/${SCENARIO}.yaml`]) expect(files).toContain(f);
    // Every target of "exports", "types" and "bin" is in the tarball.
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { exports: Record<string, string | Record<string, string>>; types: string; bin: Record<string, string> };
    const targets = [pkg.types, ...Object.values(pkg.bin), ...Object.values(pkg.exports).flatMap((e) => (typeof e === "string" ? [e] : Object.values(e)))];
    expect(targets.length).toBe(7);
    for (const t of targets) expect(files).toContain(t.replace(/^\.\//, ""));
    const library = readdirSync(join(ROOT, "scenarios")).filter((f) => f.endsWith(".yaml"));
    const regressions = readdirSync(join(ROOT, "scenarios", "regressions")).filter((f) => f.endsWith(".yaml"));
    expect(files.filter((f) => /^scenarios\/.*\.yaml$/.test(f))).toEqual([...library.map((f) => `scenarios/${f}`), ...regressions.map((f) => `scenarios/regressions/${f}`)].sort());
  });

  it("every relative import of the shipped declarations is shipped", () => {
    const dts = files.filter((f) => f.endsWith(".d.ts"));
    const missing: string[] = [];
    for (const f of dts) {
      const text = readFileSync(join(ROOT, f), "utf8");
      for (const m of text.matchAll(/from "(\.{1,2}\/[^"]+)"/g)) {
        const target = join(f, "..", (m[1] as string).replace(/\.ts$/, ".d.ts"));
        if (!files.includes(target)) missing.push(`${f}: ${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
    expect(dts.length).toBeGreaterThan(2);
  });
});

describe("installed from the tarball", () => {
  it("no tsx: the installed package runs its compiled JavaScript", ({ skip }) => {
    if (cannotInstall !== undefined) skip(cannotInstall);
    expect(existsSync(join(app, "node_modules", "kafkasim", "dist", "cli.js"))).toBe(true);
    expect(existsSync(join(app, "node_modules", "tsx"))).toBe(false);
    expect(existsSync(join(app, "node_modules", "kafkasim", "cli", "main.ts"))).toBe(false);
  });

  it('import { runScenario } from "kafkasim" in plain Node runs a library scenario as the sources do', ({ skip }) => {
    if (cannotInstall !== undefined) skip(cannotInstall);
    const script = [
      'import { readFileSync } from "node:fs";',
      'import { createRequire } from "node:module";',
      'import { parseScenario, runScenario } from "kafkasim";',
      'import { judge } from "kafkasim/properties";',
      `const file = createRequire(import.meta.url).resolve("kafkasim/package.json").replace(/package\\.json$/, "scenarios/${SCENARIO}.yaml");`,
      "const r = runScenario(parseScenario(readFileSync(file, 'utf8'), { file }));",
      "const j = judge(r);",
      "console.log(JSON.stringify({ traceHash: r.traceHash, verdict: j.verdict, anomalies: [...new Set(j.anomalies.map((a) => a.type))].sort() }));",
    ].join("\n");
    writeFileSync(join(app, "use.mjs"), script);
    const r = run(process.execPath, ["use.mjs"], app);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);

    const file = join(ROOT, "scenarios", `${SCENARIO}.yaml`);
    const source = runScenario(parseScenario(readFileSync(file, "utf8"), { file }));
    const j = judge(source);
    expect(JSON.parse(r.stdout)).toEqual({ traceHash: source.traceHash, verdict: j.verdict, anomalies: [...new Set(j.anomalies.map((a) => a.type))].sort() });
    expect(j.anomalies.map((a) => a.type)).toContain("lost-write");
  });

  it("npx kafkasim --help and --version", ({ skip }) => {
    if (cannotInstall !== undefined) skip(cannotInstall);
    const help = run("npx", ["--offline", "kafkasim", "--help"], app);
    expect(help.stderr).toBe("");
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: kafkasim \[options\] \[command\]/);
    for (const c of ["run", "list", "fuzz", "replay", "explain", "bench", "compare", "start", "check", "schema"]) expect(help.stdout).toMatch(new RegExp(`^  ${c} `, "m"));
    const version = run("npx", ["--offline", "kafkasim", "--version"], app);
    expect(version.stdout.trim()).toBe(PKG.version);
  });

  it("kafkasim list and run <name> find the library inside the installed package", ({ skip }) => {
    if (cannotInstall !== undefined) skip(cannotInstall);
    const bin = join(app, "node_modules", ".bin", "kafkasim");
    const list = run(bin, ["list", "--json"], app);
    expect(list.status).toBe(0);
    const names = (JSON.parse(list.stdout) as { name: string }[]).map((s) => s.name);
    expect(names).toContain(SCENARIO);
    expect(names.length).toBe(readdirSync(join(ROOT, "scenarios")).filter((f) => f.endsWith(".yaml")).length + readdirSync(join(ROOT, "scenarios", "regressions")).filter((f) => f.endsWith(".yaml")).length);

    const one = run(bin, ["run", SCENARIO, "--json"], app);
    expect(one.status).toBe(0);
    const file = join(ROOT, "scenarios", `${SCENARIO}.yaml`);
    const out = JSON.parse(one.stdout) as { scenario: string; traceHash: string; expectation: { ok: boolean } };
    expect(out.scenario).toBe(SCENARIO);
    expect(out.traceHash).toBe(runScenario(parseScenario(readFileSync(file, "utf8"), { file })).traceHash);
    expect(out.expectation.ok).toBe(true);

    const bad = run(bin, ["run", "no-such-scenario"], app);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^error: no scenario file or library scenario named "no-such-scenario"/);
  });
});
