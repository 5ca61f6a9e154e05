// `kafkasim run ... --html DIR`: the single-run report and its exports in one directory —
// index.html (timeline, messages, ISR/HW, latency, anomalies with explanations), trace.perfetto.json,
// sequence.mmd (Mermaid) and history.edn (Jepsen's EDN, from sim/history-export.ts).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { RunResult } from "../sim/result.ts";
import { runHtml, writeFileAtomic } from "./html.ts";
import { perfettoTrace } from "./perfetto.ts";
import { mermaidSequence } from "./mermaid.ts";
import type { RunJudgement } from "./messages.ts";
import { toJepsenEdn } from "../sim/history-export.ts";

/** Writes the run report into dir; returns the paths written (index.html first). */
/** `repro`: the command line that reproduces the run (the CLI's, with the file's path); default: by name. */
export async function writeRunHtml(result: RunResult, judgement: RunJudgement, dir: string, opts: { readonly repro?: string } = {}): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const exports: string[] = [];
  if (result.trace.length > 0) {
    writeFileAtomic(join(dir, "trace.perfetto.json"), JSON.stringify(perfettoTrace(result)));
    exports.push("trace.perfetto.json");
  }
  writeFileAtomic(join(dir, "sequence.mmd"), mermaidSequence(result, judgement));
  exports.push("sequence.mmd");
  writeFileAtomic(join(dir, "history.edn"), toJepsenEdn(result.history));
  exports.push("history.edn");
  const index = join(dir, "index.html");
  writeFileAtomic(index, await runHtml(result, judgement, exports, opts));
  written.push(index, ...exports.map((e) => join(dir, e)));
  return written;
}
