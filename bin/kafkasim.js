#!/usr/bin/env node
// Entry point of the `kafkasim` command.
// - An installed package (npm install kafkasim, or from git: `prepare` builds it) ships no TypeScript: the command
//   runs the compiled JavaScript in dist/ (`npm run build`), with no loader.
// - A git checkout runs its TypeScript sources through the tsx loader (esbuild transpiles each file once; the hot
//   loop then runs as plain JavaScript), so an edit takes effect without a build and tests spawn what they test.
//   Without the devDependencies (npm install --omit=dev) it runs dist/ too.
import { existsSync } from "node:fs";

const source = new URL("../cli/main.ts", import.meta.url);
const dist = new URL("../dist/cli.js", import.meta.url);

async function loadTsx() {
  try {
    return await import("tsx/esm/api");
  } catch (e) {
    if (e?.code === "ERR_MODULE_NOT_FOUND") return undefined;
    throw e;
  }
}

const tsx = existsSync(source) ? await loadTsx() : undefined;
if (tsx !== undefined) {
  tsx.register();
  await import(source.href);
} else if (existsSync(dist)) {
  await import(dist.href);
} else {
  process.stderr.write("error: kafkasim is not built: run `npm install` (the sources run through tsx) or `npm run build` (dist/)\n");
  process.exitCode = 1;
}
