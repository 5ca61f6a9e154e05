// `kafkasim start` / `npm start`: the default comparison, small enough for a minute on 2 cores; prints the
// table, writes reports/out/index.html and says where it is.

/** Resolves to the exit code. */
export async function startCommand(): Promise<number> {
  // Filled in by the reports helper (issue 7).
  throw new Error("kafkasim start is not implemented yet");
}
