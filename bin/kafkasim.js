#!/usr/bin/env node
// Entry point: registers the tsx loader (esbuild transpiles once; the hot loop runs as plain JS) and starts the CLI.
import { register } from "tsx/esm/api";
register();
await import("../cli/main.ts");
