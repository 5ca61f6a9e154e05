// The `kafkasim` command. Exit codes: 0 = valid or as expected, 1 = a bug or an expectation not met,
// 2 = bad input (one clear message, never a stack trace).
//
// Start-up: this module loads commander and nothing else of kafkasim, so `--help` and `--version` cost node's
// start-up plus a few milliseconds (`kafkasim bench`, section startup). Each command, the scenario schema (zod),
// chalk and the error classes are imported when a command or an error needs them.
import { Command, CommanderError, Option } from "commander";
import { readFileSync } from "node:fs";

const collect = (v: string, prev: string[]): string[] => [...prev, v];
const LIMIT_HELP = "raise a limit on the size of a run: maxDurationMs, maxRatePerSec, maxRecords, maxBrokers, maxPartitions, maxFileBytes (README, section Limits); repeatable";

/** The package's version. "../package.json" is the package root's from cli/main.ts and from dist/cli.js alike. */
function version(): string {
  return (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
}

/** The message and exit code for anything thrown by a command. */
export async function errorExit(e: unknown): Promise<{ code: number; message: string }> {
  const [{ ZodError }, { SimInputError }, { ScenarioError, formatScenarioError }, { UsageError }] = await Promise.all([
    import("zod"),
    import("../sim/core/errors.ts"),
    import("../sim/scenario/schema.ts"),
    import("./io.ts"),
  ]);
  if (e instanceof ScenarioError) return { code: 2, message: formatScenarioError(e) };
  if (e instanceof UsageError) return { code: 2, message: e.message };
  if (e instanceof SimInputError) return { code: 2, message: `${e.path !== undefined ? `${e.path}: ` : ""}${e.message}` };
  if (e instanceof ZodError) return { code: 2, message: e.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n") };
  if (e instanceof CommanderError) return { code: e.exitCode === 0 ? 0 : 2, message: "" };
  const err = e as Error;
  return { code: 1, message: `internal error: ${err?.message ?? String(e)}${process.env.KAFKASIM_DEBUG ? `\n${err?.stack ?? ""}` : " (set KAFKASIM_DEBUG=1 for the stack)"}` };
}

function action<A extends unknown[]>(fn: (...args: A) => Promise<number> | number): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      process.exitCode = await fn(...args);
    } catch (e) {
      const { code, message } = await errorExit(e);
      const { makeChalk } = await import("./output.ts");
      if (message !== "") process.stderr.write(`${makeChalk(process.stderr.isTTY === true && !process.env.NO_COLOR).red("error:")} ${message}\n`);
      process.exitCode = code;
    }
  };
}

export function buildProgram(): Command {
  const program = new Command("kafkasim")
    .description("Deterministic simulator of Apache Kafka's replication and delivery guarantees.\nExit codes: 0 valid or as expected, 1 bug or expectation not met, 2 bad input, 130/143 interrupted (SIGINT/SIGTERM).")
    .version(version(), "-V, --version", "print the version")
    .exitOverride()
    // One line per problem: commander's message with the hint on the same line.
    .configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: (s, write) => write(`${s.trimEnd()} (add --help for usage)\n`) });

  program
    .command("run")
    .description("run one scenario (a file or a library name); prints seed, verdict, anomalies with explanations and a repro command")
    .argument("<file|name>", "scenario file (.yaml/.json) or library name (see kafkasim list)")
    .option("--seed <n>", "override the scenario's seed")
    .option("--set <key=value>", "override a Kafka key (acks=1, producer.acks=1, broker.min.insync.replicas=2) or a scenario field (protocol=3.7, brokers=5; a scenario that names no protocol runs on 4.1); repeatable", collect, [])
    .option("--json", "print the result as JSON (see README.md, section JSON output)")
    .option("--trace <file>", "write the recorded trace as JSON lines")
    .option("--html <dir>", "write a self-contained HTML report into this directory")
    .option("--limit <name=value>", LIMIT_HELP, collect, [])
    .option("--junit <file>", "also write the outcome as JUnit XML (one test case: the expectation, or the verdict)")
    .action(
      action(async (file: string, o: { seed?: string; set: string[]; json?: boolean; trace?: string; html?: string; limit: string[]; junit?: string }) => {
        const { runCommand } = await import("./commands/run.ts");
        return runCommand(file, o);
      }),
    );

  program
    .command("list")
    .description("list the scenario library, one line each")
    .option("--json", "print as JSON")
    .action(
      action(async (o: { json?: boolean }) => {
        const { listCommand } = await import("./commands/list.ts");
        return listCommand(o);
      }),
    );

  program
    .command("fuzz")
    .description("a campaign of runs with drawn configurations and fault schedules (or around a scenario); shrinks and saves counterexamples; Ctrl-C stops cleanly")
    .argument("[file|name]", "scenario to fuzz around (its config, a fault schedule drawn per run when it has none); default: configurations, workloads and fault mixes drawn by properties/arbitraries.ts")
    .option("--set <key=value>", "override a Kafka key or scenario field; repeatable", collect, [])
    .addOption(new Option("--runs <n>", "number of runs (default 100)").conflicts("time"))
    .addOption(new Option("--time <seconds>", "run for this long instead").conflicts("runs"))
    .option("--seed <n>", "root seed of the campaign (default 1)")
    .option("--until <type>", "stop at the first anomaly of this type (e.g. lost-write)")
    .option("--save <dir>", "where counterexamples go (default ./counterexamples)")
    .option("--json", "print the summary as JSON (see README.md, section JSON output)")
    .option("--limit <name=value>", LIMIT_HELP, collect, [])
    .option("--workers <n>", "worker threads running the campaign (default: the machine's cores); the output is the same for any number")
    .option("--shard <i/n>", "run only the i-th of n shares of the run indices (i-1, i-1+n, ...); kafkasim merge puts the shards' --json results together")
    .option("--junit <file>", "also write the outcome as JUnit XML (one test case per counterexample)")
    .option("--steer", "aim each block of 100 runs at the coverage probes earlier blocks never reached (drawn campaigns); each shard steers on its own share")
    .action(
      action(async (file: string | undefined, o: { set: string[]; runs?: string; time?: string; seed?: string; until?: string; save?: string; json?: boolean; limit: string[]; workers?: string; shard?: string; junit?: string; steer?: boolean }) => {
        const { fuzzCommand } = await import("./commands/fuzz.ts");
        return fuzzCommand(file, o);
      }),
    );

  program
    .command("merge")
    .description("merge the --json results of a campaign's shards (kafkasim fuzz --shard i/n) into the campaign's result")
    .argument("<results...>", "fuzz --json result files of the shards of one campaign")
    .option("--json", "print the merged result as JSON (the fuzz --json shape)")
    .option("--junit <file>", "also write the merged outcome as JUnit XML")
    .action(
      action(async (files: string[], o: { json?: boolean; junit?: string }) => {
        const { mergeCommand } = await import("./commands/merge.ts");
        return mergeCommand(files, o);
      }),
    );

  program
    .command("replay")
    .description("replay a saved scenario or counterexample exactly (its own seed)")
    .argument("<file>", "scenario file")
    .option("--json", "print the result as JSON")
    .option("--limit <name=value>", LIMIT_HELP, collect, [])
    .action(
      action(async (file: string, o: { json?: boolean; limit: string[] }) => {
        const { runCommand } = await import("./commands/run.ts");
        return runCommand(file, o);
      }),
    );

  program
    .command("explain")
    .description("walk through a saved counterexample step by step: faults, leader/ISR/HW changes, the operations involved")
    .argument("<file>", "scenario file")
    .option("--limit <name=value>", LIMIT_HELP, collect, [])
    .action(
      action(async (file: string, o: { limit: string[] }) => {
        const { explainCommand } = await import("./commands/explain.ts");
        return explainCommand(file, { limit: o.limit });
      }),
    );

  program
    .command("serve")
    .description("run the simulated cluster in real time on 127.0.0.1 (a port per broker) for real clients (kcat, librdkafka, Java, kafkajs); faults fire on the wall clock and on command (stdin); Ctrl-C judges what the clients did")
    .argument("[file|name]", "scenario file or library name: brokers, topics, config and faults (its clients, if any, run too); default: 3 brokers, topic test (3 partitions, RF 3)")
    .option("--port <n>", "port of broker 1 (broker b: port + b - 1; default 19092; 0: any free ports)")
    .option("--host <address>", "address to listen on and advertise (default 127.0.0.1)")
    .option("--duration <seconds>", "stop after this many seconds (default: Ctrl-C, SIGTERM or the quit command)")
    .option("--brokers <n>", "brokers, without a scenario file (default 3)")
    .option("--topic <name[:partitions[:rf]]>", "a topic, without a scenario file (default test:3:3); repeatable", collect, [])
    .option("--seed <n>", "seed of the simulation's random draws (network latency, ...)")
    .option("--set <key=value>", "override a Kafka key or scenario field (broker.min.insync.replicas=2); repeatable", collect, [])
    .option("--control <port>", "also take commands on this TCP port (one a line; 0: any free port)")
    .option("--json", "print the final report as JSON (the run --json shape, plus serve's connection counts); start-up lines go to stderr")
    .option("--limit <name=value>", LIMIT_HELP, collect, [])
    .action(
      action(async (file: string | undefined, o: { port?: string; host?: string; duration?: string; brokers?: string; topic: string[]; seed?: string; set: string[]; control?: string; json?: boolean; limit: string[] }) => {
        const { serveCommand } = await import("./commands/serve.ts");
        return serveCommand(file, o);
      }),
    );

  program
    .command("bench")
    .description("run the simulator benchmarks (events/s of the kernel, whole-cluster runs/s)")
    .option("--json", "print as JSON")
    .option("--quick", "a short smoke run instead of a measurement")
    .action(
      action(async (o: { json?: boolean; quick?: boolean }) => {
        const { benchCommand } = await import("./commands/bench.ts");
        return benchCommand(o);
      }),
    );

  program
    .command("compare")
    .description("run a matrix of configurations on the same seeds and compare durability, availability, latency and cost")
    .option("--matrix <file>", "matrix file (YAML/JSON): a base scenario and values per key; `protocols` is the built-in ZooKeeper 3.7 vs KRaft 4.0 vs KRaft 4.1 comparison (default: acks × min.insync.replicas × unclean × idempotence on 4.1)")
    .option("--seeds <n>", "runs per configuration (default 3)")
    .option("--seed <n>", "root seed (default 1)")
    .option("--json", "print JSON")
    .option("--csv", "print CSV")
    .option("--markdown", "print a Markdown table")
    .option("--html <dir>", "also write an HTML report into this directory")
    .option("--workers <n>", "worker threads (default: the machine's cores); the outcome is the same for any number")
    .option("--junit <file>", "also write the outcome as JUnit XML (one test case per configuration; a bug or liveness verdict fails it)")
    .action(
      action(async (o: { matrix?: string; seeds?: string; seed?: string; json?: boolean; csv?: boolean; markdown?: boolean; html?: string; workers?: string; junit?: string }) => {
        const { compareCommand } = await import("./commands/compare.ts");
        return compareCommand(o);
      }),
    );

  program
    .command("start")
    .description("the default comparison: the 16 configurations on Kafka 4.1, then ZooKeeper 3.7 vs KRaft 4.0 vs KRaft 4.1 on the same faults; tables in the terminal and HTML reports")
    .action(
      action(async () => {
        const { startCommand } = await import("./commands/start.ts");
        return startCommand();
      }),
    );

  program
    .command("check")
    .description("validate scenario files without running them")
    .argument("<files...>", "scenario files or library names")
    .option("--limit <name=value>", LIMIT_HELP, collect, [])
    .option("--junit <file>", "also write the outcome as JUnit XML (one test case per file)")
    .action(
      action(async (files: string[], o: { limit: string[]; junit?: string }) => {
        const { checkCommand } = await import("./commands/check.ts");
        return checkCommand(files, { limit: o.limit, ...(o.junit !== undefined ? { junit: o.junit } : {}) });
      }),
    );

  program
    .command("schema")
    .description("print the JSON Schema of scenario files (for editors)")
    .action(
      action(async () => {
        const { scenarioJsonSchema } = await import("../sim/scenario/schema.ts");
        process.stdout.write(JSON.stringify(scenarioJsonSchema(), null, 2) + "\n");
        return 0;
      }),
    );

  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  // `kafkasim run x | head`: a closed pipe ends the command quietly.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
  } catch (e) {
    // Commander already printed its message (unknown option, missing argument, --help).
    if (e instanceof CommanderError) process.exitCode = e.exitCode === 0 ? 0 : 2;
    else {
      const { code, message } = await errorExit(e);
      process.stderr.write(`error: ${message}\n`);
      process.exitCode = code;
    }
  }
}

await main(process.argv);
