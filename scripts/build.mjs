// `npm run build` (and `prepare`, so a git install builds too): the ESM JavaScript of the library, its
// "./properties" export and the CLI into dist/, and their .d.ts into dist/types/.
//
// esbuild bundles the three entry points with code splitting: shared modules live once in flat dist/ chunks
// (so `kafkasim` and `kafkasim/properties` share one copy of the simulator, and `instanceof` holds across
// them), each CLI command is its own chunk loaded on demand (`kafkasim --help` loads commander and little
// else), and npm dependencies stay imports. Every file sits directly in dist/, so `new URL("..",
// import.meta.url)` is the package root from the sources and from the build alike (cli/io.ts finds
// scenarios/ that way). tsc writes the declarations (tsconfig.build.json): esbuild does not type-check.
//
// `--js-only --outdir DIR` (DIR a directory directly under the package root, so its parent is still the root):
// the JavaScript alone, for `kafkasim bench` to measure the long run as an installed package runs it.
import { build } from "esbuild";
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const jsOnly = args.includes("--js-only");
const outArg = args.indexOf("--outdir");
const outdir = outArg >= 0 ? args[outArg + 1] : "dist";
if (outdir === undefined || !/^[A-Za-z0-9._-]+$/.test(outdir)) {
  process.stderr.write(`error: --outdir ${outdir ?? ""}: expected a directory name directly under the package root (letters, digits, ".", "_", "-")\n`);
  process.exit(2);
}
const dist = fileURLToPath(new URL(`../${outdir}/`, import.meta.url));

/** The declarations: tsc in a child process, in parallel with esbuild. */
function declarations() {
  return new Promise((resolve, reject) => {
    const tsc = fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url));
    const child = spawn(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`tsc -p tsconfig.build.json exited with ${code}`))));
  });
}

const t0 = Date.now();
rmSync(dist, { recursive: true, force: true });
await Promise.all([
  build({
    absWorkingDir: root,
    // worker: the thread entry of --workers (cli/pool.ts loads ./worker.js next to its own chunk).
    entryPoints: { index: "sim/api.ts", properties: "properties/index.ts", cli: "cli/main.ts", worker: "cli/worker.ts" },
    outdir,
    entryNames: "[name]",
    chunkNames: "[name]-[hash]",
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    logLevel: "warning",
  }),
  jsOnly ? Promise.resolve() : declarations(),
]);
process.stdout.write(`built ${outdir}/ in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
