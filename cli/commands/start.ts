// `kafkasim start` / `npm start`: the default comparison, small enough for a minute on 2 cores; prints the
// table, writes reports/out/index.html and says where it is.
import { resolve } from "node:path";
import { defaultMatrix } from "../../reports/compare.ts";
import type { Matrix } from "../../reports/compare.ts";
import { renderTable } from "../../reports/table.ts";
import { runCompare, terminalWidth } from "./compare.ts";

/** Seeds per configuration in the default comparison (16 valid configurations × this many runs). */
export const START_SEEDS = 3;
export const START_OUT_DIR = "reports/out";

/** Resolves to the exit code. */
export async function startCommand(opts: { write?: (text: string) => void; progress?: boolean; outDir?: string; seeds?: number; matrix?: Matrix } = {}): Promise<number> {
  const write = opts.write ?? ((t: string) => void process.stdout.write(t));
  write("kafkasim: comparing Kafka configurations on the same seeded fault schedules (kills, power loss, partitions, pauses)…\n");
  const { outcome, htmlPath } = await runCompare({
    matrix: opts.matrix ?? defaultMatrix(),
    seed: 1,
    seeds: opts.seeds ?? START_SEEDS,
    html: opts.outDir ?? START_OUT_DIR,
    progress: opts.progress ?? process.stderr.isTTY === true,
  });
  write(renderTable(outcome, { width: terminalWidth(opts.write) }) + "\n\n");
  if (htmlPath !== null) write(`HTML report with charts: ${resolve(htmlPath)}\n(open it in a browser; it is one self-contained file)\n`);
  return 0;
}
