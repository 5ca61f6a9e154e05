// `kafkasim serve [scenario]`: the simulated cluster in real time on 127.0.0.1, one port per broker, for any real
// Kafka client; the scenario's faults fire on the wall clock, more on command (stdin, or --control <port>: one
// command a line, `help` lists them). Ctrl-C, SIGTERM, `quit` or --duration stops it: the clients' connections
// close, the cluster drains (in virtual time), and what the clients did is judged by the checkers and reported like
// a run. Exit code as `run`: 0 valid or allowed, 1 a bug or liveness. Not deterministic: the clients are real.
import net from "node:net";
import readline from "node:readline";
import { buildScenario } from "../../sim/scenario/defaults.ts";
import { applyOverrides } from "../../sim/scenario/schema.ts";
import type { Scenario } from "../../sim/scenario/types.ts";
import { SimInputError } from "../../sim/core/errors.ts";
import { loadScenario, parseLimits, parsePositiveInt, parsePositiveNumber, parseSeed, UsageError } from "../io.ts";
import { loadEngine } from "../engine.ts";
import { makeChalk, renderRun, runJson } from "../output.ts";
import { exitCodeOf } from "./run.ts";
import { COMMAND_HELP, CommandError, parseCommand } from "../serve/commands.ts";
import { startServe, type ServeHandle } from "../serve/server.ts";

export interface ServeCommandOptions {
  readonly port?: string;
  readonly host?: string;
  readonly duration?: string;
  readonly brokers?: string;
  readonly topic?: readonly string[];
  readonly seed?: string;
  readonly set?: readonly string[];
  readonly limit?: readonly string[];
  readonly control?: string;
  readonly json?: boolean;
  readonly write?: (text: string) => void;
  readonly writeErr?: (text: string) => void;
  /** Resolves when the command should stop (tests); default: SIGINT, SIGTERM, --duration or `quit`. */
  readonly until?: Promise<void>;
  /** Called once the ports are open (tests). */
  readonly onReady?: (h: ServeHandle) => void;
}

export const NOT_REPRODUCIBLE = "(none: kafkasim serve runs real clients on the wall clock; it is not deterministic)";

/** "orders", "orders:6", "orders:6:3" (name, partitions, replication factor). */
function parseTopic(text: string, brokers: number): { name: string; partitions: number; "replication.factor": number } {
  const m = /^([A-Za-z0-9._-]+)(?::(\d+))?(?::(\d+))?$/.exec(text);
  if (m === null) throw new UsageError(`--topic ${text}: expected name[:partitions[:replication factor]], e.g. --topic orders:3:3`);
  const partitions = m[2] === undefined ? 1 : Number(m[2]);
  const rf = m[3] === undefined ? Math.min(3, brokers) : Number(m[3]);
  if (partitions < 1) throw new UsageError(`--topic ${text}: partitions must be ≥ 1`);
  if (rf < 1 || rf > brokers) throw new UsageError(`--topic ${text}: replication factor must be 1..${brokers} (the brokers)`);
  return { name: m[1] as string, partitions, "replication.factor": rf };
}

function serveScenario(file: string | undefined, o: ServeCommandOptions): Scenario {
  const limits = parseLimits(o.limit);
  if (file !== undefined) {
    if (o.brokers !== undefined || (o.topic ?? []).length > 0) throw new UsageError("--brokers and --topic are for serving without a scenario file; the file says which brokers and topics there are");
    return loadScenario(file, { seed: o.seed, sets: o.set, limits, externalClients: true }).scenario;
  }
  const brokers = o.brokers === undefined ? 3 : parsePositiveInt(o.brokers, "--brokers");
  const topics = (o.topic ?? []).length > 0 ? (o.topic ?? []).map((t) => parseTopic(t, brokers)) : [{ name: "test", partitions: 3, "replication.factor": Math.min(3, brokers) }];
  let s = buildScenario({ name: "serve", brokers, topics, ...(o.seed !== undefined ? { seed: parseSeed(o.seed) } : {}), ...(limits !== undefined ? { limits } : {}) });
  if ((o.set ?? []).length > 0) s = applyOverrides(s, o.set ?? [], { externalClients: true });
  return s;
}

function parsePort(text: string | undefined, flag: string, dflt: number): number {
  if (text === undefined) return dflt;
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new UsageError(`${flag} must be a port number 0..65535 (0: any free port), got "${text}"`);
  return Number(text);
}

/** One command line → the reply (several lines); `quit` calls stop. */
function execute(h: ServeHandle, line: string, stop: () => void): string {
  try {
    const c = parseCommand(line);
    switch (c.kind) {
      case "none":
        return "";
      case "help":
        return COMMAND_HELP;
      case "status":
        return h.status();
      case "quit":
        stop();
        return "stopping";
      case "fault":
        h.fault(c.action);
        return `ok: ${line.trim()} at ${(h.world.runtime.nowUs / 1000).toFixed(0)} ms`;
    }
  } catch (e) {
    if (e instanceof CommandError || e instanceof SimInputError) return `error: ${e.message}`;
    throw e;
  }
}

export async function serveCommand(file: string | undefined, o: ServeCommandOptions): Promise<number> {
  const write = o.write ?? ((t: string) => process.stdout.write(t));
  const writeErr = o.writeErr ?? ((t: string) => process.stderr.write(t));
  const info = o.json === true ? writeErr : write;
  const s = serveScenario(file, o);
  const port = parsePort(o.port, "--port", 19092);
  const controlPort = o.control === undefined ? undefined : parsePort(o.control, "--control", 0);
  const durationMs = o.duration === undefined ? undefined : parsePositiveNumber(o.duration, "--duration") * 1000;
  if (port !== 0 && port + s.brokers - 1 > 65535) throw new UsageError(`--port ${port}: brokers 1..${s.brokers} need ports ${port}..${port + s.brokers - 1}, beyond 65535`);
  const engine = await loadEngine();
  const t0 = performance.now();
  let h: ServeHandle;
  try {
    h = await startServe(s, { port, ...(o.host !== undefined ? { host: o.host } : {}) });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "EADDRINUSE" || err.code === "EACCES") throw new UsageError(`cannot listen on ${o.host ?? "127.0.0.1"}: ${err.message}; choose another --port (0: any free ports)`);
    throw e;
  }
  const c = makeChalk(o.json !== true && process.stdout.isTTY === true && !process.env.NO_COLOR);
  info(`${c.bold("kafkasim serve")} ${s.name}: ${s.brokers} broker(s), not deterministic (real clients on the wall clock)\n`);
  h.ports.forEach((p, i) => info(`  broker ${i + 1}  ${h.host}:${p}\n`));
  info(`bootstrap: ${h.bootstrap}\n`);
  info(`topics: ${s.topics.map((t) => `${t.name} (${t.partitions} partition(s), RF ${t["replication.factor"]})`).join(", ")}\n`);

  let finish: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (finish = resolve));
  const onSignal = (): void => finish();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const timer = durationMs === undefined ? undefined : setTimeout(finish, durationMs);
  let control: net.Server | undefined;
  if (controlPort !== undefined) {
    control = net.createServer((sock) => {
      readline.createInterface({ input: sock }).on("line", (line) => {
        if (!sock.destroyed) sock.write(`${execute(h, line, finish)}\n`);
      });
      sock.on("error", () => sock.destroy());
    });
    await new Promise<void>((resolve) => (control as net.Server).listen(controlPort, h.host, resolve));
    info(`control: ${h.host}:${(control.address() as net.AddressInfo).port} (one command a line)\n`);
  }
  let rl: readline.Interface | undefined;
  if (o.until === undefined && process.stdin.readable) {
    rl = readline.createInterface({ input: process.stdin, terminal: false });
    rl.on("line", (line) => {
      const reply = execute(h, line, finish);
      if (reply !== "") info(`${reply}\n`);
    });
  }
  info(`commands on stdin${control !== undefined ? " or the control port" : ""} ("help"); Ctrl-C${durationMs !== undefined ? `, --duration` : ""} or "quit" stops and judges the run\n`);
  o.onReady?.(h);
  await Promise.race([stopped, ...(o.until !== undefined ? [o.until] : [])]);

  process.removeListener("SIGINT", onSignal);
  process.removeListener("SIGTERM", onSignal);
  if (timer !== undefined) clearTimeout(timer);
  rl?.close();
  if (o.until === undefined) process.stdin.pause();
  control?.close();
  const stats = h.stats();
  const result = await h.stop();
  const judgement = engine.judge(result);
  const json = runJson(result, judgement, null, NOT_REPRODUCIBLE, performance.now() - t0);
  if (o.json === true) write(JSON.stringify({ ...json, serve: { ...stats, bootstrap: h.bootstrap } }, null, 2) + "\n");
  else {
    for (const w of json.warnings) writeErr(`${makeChalk(process.stderr.isTTY === true && !process.env.NO_COLOR).yellow("warning:")} ${w}\n`);
    write(`\nconnections: ${stats.connectionsOpened} opened, at most ${stats.peakConnections} at once; ${stats.recordsStored} record(s) produced by the clients\n`);
    write(renderRun(c, json, judgement, { file: file ?? "serve" }) + "\n");
  }
  return exitCodeOf(judgement, null);
}
