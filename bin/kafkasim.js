#!/usr/bin/env node
// Entry point of the `kafkasim` command.
// - An installed package (npm install kafkasim, or from git: `prepare` builds it) ships no TypeScript: the command
//   runs the compiled JavaScript in dist/ (`npm run build`), with no loader.
// - A git checkout runs its TypeScript sources through the tsx loader (esbuild transpiles each file once; the hot
//   loop then runs as plain JavaScript), so an edit takes effect without a build and tests spawn what they test.
import { existsSync } from "node:fs";

const source = new URL("../cli/main.ts", import.meta.url);
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  await import(source.href);
} else {
  await import("../dist/cli.js");
}
