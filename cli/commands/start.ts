// `kafkasim start` / `npm start`: the default comparison, small enough for a minute on 2 cores: the 16 valid
// producer/topic configurations on Kafka 4.1, then ZooKeeper 3.7 vs KRaft 4.0 vs KRaft 4.1 (ELR) on the same
// seeded faults; prints both tables, writes reports/out/index.html (and reports/out/protocols/index.html) and says
// where they are.
import { join, resolve } from "node:path";
import { defaultMatrix, protocolMatrix } from "../../reports/compare.ts";
import type { Matrix } from "../../reports/compare.ts";
import { renderTable } from "../../reports/table.ts";
import { runCompare, terminalWidth } from "./compare.ts";

/** Seeds per configuration in the default comparison (16 valid configurations × this many runs). */
export const START_SEEDS = 3;
export const START_OUT_DIR = "reports/out";

/** Resolves to the exit code. `matrix` replaces the first comparison, `protocols` the second (null: none). */
export async function startCommand(opts: { write?: (text: string) => void; progress?: boolean; outDir?: string; seeds?: number; matrix?: Matrix; protocols?: Matrix | null } = {}): Promise<number> {
  const write = opts.write ?? ((t: string) => void process.stdout.write(t));
  const outDir = opts.outDir ?? START_OUT_DIR;
  const common = { seed: 1, seeds: opts.seeds ?? START_SEEDS, progress: opts.progress ?? process.stderr.isTTY === true };
  write("kafkasim: comparing Kafka configurations on the same seeded fault schedules (kills, power loss, partitions, pauses)…\n");
  const first = await runCompare({ ...common, matrix: opts.matrix ?? defaultMatrix(), html: outDir });
  write(renderTable(first.outcome, { width: terminalWidth(opts.write) }) + "\n\n");
  const protocols = opts.protocols === undefined ? protocolMatrix() : opts.protocols;
  let second: string | null = null;
  if (protocols !== null) {
    write("kafkasim: the same faults on ZooKeeper 3.7, KRaft 4.0 and KRaft 4.1 (Eligible Leader Replicas), min.insync.replicas=2, unclean election off…\n");
    const run = await runCompare({ ...common, matrix: protocols, html: join(outDir, "protocols") });
    write(renderTable(run.outcome, { width: terminalWidth(opts.write) }) + "\n\n");
    second = run.htmlPath;
  }
  if (first.htmlPath !== null) write(`HTML report with charts: ${resolve(first.htmlPath)}${second !== null ? `\nand for the protocols: ${resolve(second)}` : ""}\n(open it in a browser; it is one self-contained file)\n`);
  return 0;
}
