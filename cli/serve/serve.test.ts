// `kafkasim serve`: its commands, a real client (kafkajs over real TCP, on the wall clock) in-process, and the
// command through its real entry point (ports, stdin commands, the judged report, bad input).
import { tempDir } from "../testdata/temp-dir.ts";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { buildScenario } from "../../sim/scenario/defaults.ts";
import { judge } from "../../properties/judge.ts";
import { CommandError, parseCommand } from "./commands.ts";
import { startServe } from "./server.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- kafkajs ships no types for require()
const { Kafka, logLevel } = require("kafkajs") as any;

describe("serve commands", () => {
  it("faults in words, with the scenario file's targets", () => {
    expect(parseCommand("kill leader orders-0")).toEqual({ kind: "fault", action: { kind: "kill", target: { leaderOf: "orders-0" } } });
    expect(parseCommand("  power 2 ")).toEqual({ kind: "fault", action: { kind: "power", target: { broker: 2 } } });
    expect(parseCommand("restart broker 3")).toEqual({ kind: "fault", action: { kind: "restart", target: { broker: 3 } } });
    expect(parseCommand("pause controller 1500")).toEqual({ kind: "fault", action: { kind: "pause", target: { controller: true }, durationMs: 1500 } });
    expect(parseCommand("pause broker 2")).toEqual({ kind: "fault", action: { kind: "pause", target: { broker: 2 } } });
    expect(parseCommand("isolate followers orders-1")).toEqual({ kind: "fault", action: { kind: "isolate", target: { followersOf: "orders-1" } } });
    expect(parseCommand("heal")).toEqual({ kind: "fault", action: { kind: "heal" } });
    expect(parseCommand("heal 2")).toEqual({ kind: "fault", action: { kind: "heal", target: { broker: 2 } } });
    expect(parseCommand("slow zk 20")).toEqual({ kind: "fault", action: { kind: "slow", target: { coordinator: true }, factor: 20 } });
    expect(parseCommand("flaky leader t-0 0.3")).toEqual({ kind: "fault", action: { kind: "flaky", target: { leaderOf: "t-0" }, lossProb: 0.3 } });
    expect(parseCommand("partition 1 | 2, 3, coordinator")).toEqual({ kind: "fault", action: { kind: "partition", groups: [[{ broker: 1 }], [{ broker: 2 }, { broker: 3 }, { coordinator: true }]] } });
    expect(parseCommand("status")).toEqual({ kind: "status" });
    expect(parseCommand("quit")).toEqual({ kind: "quit" });
    expect(parseCommand("   ")).toEqual({ kind: "none" });
  });

  it("a wrong command says what was wrong and what is allowed", () => {
    const err = (line: string): string => {
      try {
        parseCommand(line);
      } catch (e) {
        expect(e).toBeInstanceOf(CommandError);
        return (e as Error).message;
      }
      throw new Error(`"${line}" was accepted`);
    };
    expect(err("kil 2")).toMatch(/^unknown command "kil"; commands:\nkill\|power/);
    expect(err("kill")).toMatch(/kill: which node\? e\.g\. "kill leader orders-0"/);
    expect(err("kill leader")).toMatch(/"leader" needs a topic-partition/);
    expect(err("kill 2 3")).toMatch(/unexpected "3"/);
    expect(err("kill nobody")).toMatch(/unknown target "nobody"; a target is a broker number/);
    expect(err("flaky 2 1.5")).toMatch(/flaky: needs a loss probability in \[0, 1\], got "1.5"/);
    expect(err("partition 1")).toMatch(/two or more groups separated by "\|"/);
  });
});

describe("serve with kafkajs over real TCP (a client in real time)", () => {
  it("produces and consumes in a group, a fault on command on the way; the run is judged from the brokers' side", async () => {
    const s = buildScenario({ name: "serve-kafkajs", seed: 9, protocol: "3.7", drainMs: 5_000, broker: { "offsets.topic.num.partitions": 1, "group.initial.rebalance.delay.ms": 0, "zookeeper.session.timeout.ms": 2000 }, topics: [{ name: "events", partitions: 2 }] });
    const h = await startServe(s, { port: 0 });
    try {
      const kafka = new Kafka({ clientId: "tcp-app", brokers: h.bootstrap.split(","), logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
      const producer = kafka.producer();
      await producer.connect();
      for (let i = 0; i < 20; i++) await producer.send({ topic: "events", acks: -1, messages: [{ key: `k${i}`, value: `e${i}` }] });
      // A follower of events-0 dies; acks=all goes on with the other two.
      h.fault({ kind: "kill", target: { followersOf: "events-0" } });
      for (let i = 20; i < 40; i++) await producer.send({ topic: "events", acks: -1, messages: [{ key: `k${i}`, value: `e${i}` }] });
      await producer.disconnect();
      const consumer = kafka.consumer({ groupId: "readers", maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topics: ["events"], fromBeginning: true });
      const got = new Set<string>();
      await new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }: { message: { value: Buffer } }) => {
            got.add(message.value.toString());
            if (got.size === 40) resolve();
          },
        });
      });
      await consumer.disconnect();
      expect([...got].sort()).toEqual(Array.from({ length: 40 }, (_, i) => `e${i}`).sort());
      expect(h.status()).toMatch(/events-0: leader \d/);
    } finally {
      const result = await h.stop();
      const j = judge(result);
      expect(j.anomalies.filter((a) => !a.allowed)).toEqual([]);
      expect(j.stats).toMatchObject({ sent: 40, acked: 40, lostWrites: 0 });
      expect(result.scenario.consumers.map((c) => [c.group, c.external])).toEqual([["readers", "wire group readers"]]);
      expect(result.faults.map((f) => f.action.kind)).toEqual(["kill"]);
    }
  });
});

interface Ran {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** The real entry point; `input` is written to stdin once the ports are open (the "bootstrap:" line). */
function serve(args: readonly string[], input?: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "bin", "kafkasim.js"), "serve", ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" } });
    let out = "";
    let err = "";
    let fed = false;
    const feed = (): void => {
      if (fed || input === undefined || !/bootstrap: /.test(out + err)) return;
      fed = true;
      child.stdin.write(input);
    };
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      feed();
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      err += d;
      feed();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, out, err }));
    if (input === undefined) child.stdin.end();
  });
}

describe.concurrent("kafkasim serve (the command)", () => {
  it("listens, takes commands on stdin, and reports the run judged when told to quit", async () => {
    // On 3.7: the commands come at once, and a KRaft cluster (4.1, the default) has no leader before ~1.5 s.
    const r = await serve(["--port", "0", "--brokers", "3", "--topic", "orders:2:3", "--set", "broker.offsets.topic.num.partitions=1", "--set", "protocol=3.7"], "kill leader orders-0\nkill nobody\nstatus\nquit\n");
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^kafkasim serve serve: 3 broker\(s\), not deterministic/);
    expect(r.out).toMatch(/broker 1 {2}127\.0\.0\.1:\d+\n {2}broker 2 {2}127\.0\.0\.1:\d+\n {2}broker 3 {2}127\.0\.0\.1:\d+/);
    expect(r.out).toMatch(/topics: orders \(2 partition\(s\), RF 3\)/);
    expect(r.out).toMatch(/ok: kill leader orders-0 at \d+ ms/);
    expect(r.out).toMatch(/error: kill: unknown target "nobody"/);
    expect(r.out).toMatch(/broker \d: killed/);
    expect(r.out).toMatch(/connections: 0 opened/);
    expect(r.out).toMatch(/verdict: VALID/);
    expect(r.out).toMatch(/repro: \(none: kafkasim serve runs real clients on the wall clock; it is not deterministic\)/);
  }, 120_000);

  it("--duration stops it; --json prints the run's JSON with serve's counts (start-up lines on stderr)", async () => {
    const r = await serve(["--port", "0", "--duration", "1", "--json"]);
    expect(r.code, r.err).toBe(0);
    const json = JSON.parse(r.out) as { verdict: string; scenario: string; repro: string; serve: { connectionsOpened: number; bootstrap: string } };
    expect(json.verdict).toBe("valid");
    expect(json.scenario).toBe("serve");
    expect(json.serve.connectionsOpened).toBe(0);
    expect(json.serve.bootstrap).toMatch(/^127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+$/);
    expect(r.err).toMatch(/bootstrap: 127\.0\.0\.1/);
  }, 120_000);

  it("a scenario file's faults fire on the wall clock, the control port takes commands, Ctrl-C (SIGINT) stops and judges", async () => {
    const dir = tempDir("kafkasim-serve-");
    const file = join(dir, "wall-clock.yaml");
    writeFileSync(
      file,
      [
        "name: wall-clock",
        'protocol: "3.7"',
        "brokers: 3",
        "broker: { offsets.topic.num.partitions: 1, zookeeper.session.timeout.ms: 1500 }",
        "topics: [{ name: orders, partitions: 1, replication.factor: 3 }]",
        "faults:",
        "  - { at: 300, kill: { broker: 3 } }",
        "",
      ].join("\n"),
    );
    const child = spawn(process.execPath, [join(ROOT, "bin", "kafkasim.js"), "serve", file, "--port", "0", "--control", "0", "--json"], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" } });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    const controlPort = new Promise<number>((resolve) =>
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        err += d;
        const m = /control: 127\.0\.0\.1:(\d+)/.exec(err);
        if (m !== null && /commands on stdin/.test(err)) resolve(Number(m[1]));
      }),
    );
    const closed = new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? -1)));
    child.stdin.end();
    const port = await controlPort;
    // Ask the control port, one command a line, until the file's kill (at 300 ms of wall clock) shows.
    const sock = net.connect(port, "127.0.0.1");
    sock.setEncoding("utf8");
    let replies = "";
    sock.on("data", (d: string) => (replies += d));
    const t0 = Date.now();
    while (!/broker 3: killed/.test(replies)) {
      if (Date.now() - t0 > 30_000) throw new Error(`the file's kill never showed in status: ${replies}`);
      sock.write("status\n");
      await new Promise((r) => setTimeout(r, 100));
    }
    const before = replies.length;
    sock.write("kill leader orders-0\nkill 9\n");
    while (!/error: /.test(replies.slice(before))) await new Promise((r) => setTimeout(r, 20));
    // (Answers to status lines still on their way may come first: answers keep the order of the lines.)
    expect(replies.slice(before)).toMatch(/(^|\n)ok: kill leader orders-0 at \d+ ms\nerror: .*broker 9/);
    sock.end();
    child.kill("SIGINT");
    const code = await closed;
    expect(code, err).toBe(0);
    const json = JSON.parse(out) as { verdict: string; scenario: string; metrics: { faultsFired: number; virtualMs: number } };
    expect(json.scenario).toBe("wall-clock");
    expect(json.verdict).toBe("valid");
    expect(json.metrics.faultsFired).toBe(2);
  }, 120_000);

  it("bad input: one line, exit 2", async () => {
    const cases: [string[], RegExp][] = [
      [["--topic", "orders:x"], /--topic orders:x: expected name\[:partitions\[:replication factor\]\]/],
      [["--topic", "orders:1:5"], /--topic orders:1:5: replication factor must be 1\.\.3/],
      [["--port", "70000"], /--port must be a port number 0\.\.65535/],
      [["--duration", "-1"], /--duration must be a number > 0/],
      [["acks1-leader-crash", "--topic", "x"], /--brokers and --topic are for serving without a scenario file/],
      [["--set", "broker.min.insync.replica=2"], /min\.insync\.replica/],
    ];
    const runs = await Promise.all(cases.map(([args]) => serve(args)));
    runs.forEach((r, i) => {
      const [, pattern] = cases[i] as [string[], RegExp];
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(pattern);
      expect(r.err).not.toMatch(/\n\s+at /);
    });
  }, 120_000);
});
