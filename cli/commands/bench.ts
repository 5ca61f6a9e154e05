// `kafkasim bench`: the kernel helper's benchmarks (bench/index.ts).
const BENCH = "../../bench/index.ts";

export async function benchCommand(opts: { json?: boolean }): Promise<number> {
  let mod: { runBench?: (o: { json?: boolean }) => unknown };
  try {
    mod = (await import(BENCH)) as typeof mod;
  } catch (e) {
    throw new Error(`the benchmarks are not available: ${(e as Error).message}`);
  }
  if (typeof mod.runBench !== "function") throw new Error("bench/index.ts does not export runBench");
  const r = await mod.runBench({ json: opts.json === true });
  return typeof r === "number" ? r : 0;
}
