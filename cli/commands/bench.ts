// `kafkasim bench`: the benchmarks of bench/index.ts (kernel, and the workload / fuzz sections when present).
import { runBench } from "../../bench/index.ts";

export async function benchCommand(opts: { json?: boolean; quick?: boolean }): Promise<number> {
  await runBench({ json: opts.json === true, quick: opts.quick === true });
  return 0;
}
