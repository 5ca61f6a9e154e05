// `kafkasim compare`: run a matrix of configurations on the same seeds (so the same fault schedules) and report
// durability, availability, latency and cost per configuration. The CLI (cli/main.ts) parses the flags into
// CompareOptions and calls compareCommand; reports/compare.ts does the work.

/** The options of `kafkasim compare` (the CLI helper's cli/main.ts fills this from the flags). */
export interface CompareOptions {
  /** A matrix file (YAML or JSON): a base scenario and lists of values per Kafka key or scenario field. */
  readonly matrix?: string;
  /** Runs per configuration (default 3). Strings from the command line are accepted and validated. */
  readonly seeds?: number | string;
  /** Root seed (default 1): the run seeds, hence the fault schedules, derive from it. */
  readonly seed?: number | string;
  /** Output format on stdout (default: a terminal table). At most one of these. */
  readonly json?: boolean;
  readonly csv?: boolean;
  readonly markdown?: boolean;
  /** Also write an HTML report (index.html, self-contained) into this directory. */
  readonly html?: string;
  /** Show the progress bar (default: on stderr when it is a TTY and not --json/--csv). */
  readonly progress?: boolean;
  /** Where output goes (default process.stdout); tests pass a collector. */
  readonly write?: (text: string) => void;
}

/** Runs the comparison and prints it; resolves to the exit code (0). Bad input throws SimInputError (exit 2). */
export async function compareCommand(opts: CompareOptions): Promise<number> {
  // Filled in by the reports helper (issue 7) as soon as the world runs end to end.
  void opts;
  throw new Error("kafkasim compare is not implemented yet");
}
