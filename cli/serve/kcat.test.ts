// `kafkasim serve` against kcat (librdkafka): a real client in another process, over real TCP, on the wall clock.
// CI installs kcat (.ci/run: Debian's `kcat` package); without it these tests are skipped and say why.
import { spawn, spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { buildScenario } from "../../sim/scenario/defaults.ts";
import { judge } from "../../properties/judge.ts";
import type { RunResult } from "../../sim/result.ts";
import { startServe, type ServeHandle } from "./server.ts";

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- kafkajs ships no types for require()
const { Kafka, logLevel } = require("kafkajs") as any;

const KCAT = spawnSync("kcat", ["-V"], { encoding: "utf8" });
const HAVE_KCAT = KCAT.status === 0;
const WHY = HAVE_KCAT ? "" : `kcat is not installed (${KCAT.error?.message ?? `exit ${KCAT.status}`}): .ci/run installs Debian's kcat package; run \`apt-get install kcat\` to run these tests`;
if (!HAVE_KCAT) console.warn(`skipping the kcat tests: ${WHY}`);

interface Ran {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Run kcat with `input` on stdin (written at once, or by `feed`). */
function kcat(args: readonly string[], feed: (write: (s: string) => void, end: () => void) => void, timeoutMs = 60_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn("kcat", args, { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out, err });
    });
    feed(
      (s) => child.stdin.write(s),
      () => child.stdin.end(),
    );
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** The values (as text) of the final log of a topic's partitions, below the high watermark: the bytes the clients
 *  produced, by the record numbers in the simulated log. */
function finalValues(result: RunResult, h: ServeHandle, topic: string): string[] {
  const out: string[] = [];
  for (const p of result.final.partitions) {
    if (p.topic !== topic) continue;
    const leader = p.replicas.find((r) => r.broker === p.leader);
    if (leader === undefined) throw new Error(`${topic}-${p.partition} has no leader at the end`);
    for (let i = 0; i < leader.highWatermark - leader.logStartOffset; i++) {
      const value = h.records.payload(leader.values[i] as number)?.value;
      out.push(value === undefined || value === null ? "" : Buffer.from(value).toString());
    }
  }
  return out;
}

describe.skipIf(!HAVE_KCAT)("kafkasim serve with kcat", () => {
  it("kcat produces 1,000 messages with acks=all and consumes them back identical", async () => {
    const s = buildScenario({ name: "kcat-roundtrip", seed: 1, protocol: "3.7", drainMs: 5_000, broker: { "offsets.topic.num.partitions": 3 }, topics: [{ name: "test", partitions: 3 }] });
    const h = await startServe(s, { port: 0 });
    try {
      const lines = Array.from({ length: 1000 }, (_, i) => `message-${i} ${"x".repeat(i % 37)}`);
      const produced = await kcat(["-P", "-b", h.bootstrap, "-t", "test", "-X", "acks=all", "-X", "linger.ms=5"], (write, end) => {
        write(lines.join("\n") + "\n");
        end();
      });
      expect(produced.code, produced.err).toBe(0);
      const consumed = await kcat(["-C", "-b", h.bootstrap, "-t", "test", "-o", "beginning", "-e", "-q"], (_w, end) => end());
      expect(consumed.code, consumed.err).toBe(0);
      const got = consumed.out.split("\n").filter((l) => l !== "");
      expect(got.length).toBe(1000);
      expect([...got].sort()).toEqual([...lines].sort());
    } finally {
      const result = await h.stop();
      const j = judge(result);
      expect(j.verdict).toBe("valid");
      expect(j.stats.sent).toBe(1000);
      expect(j.stats.acked).toBe(1000);
    }
  }, 120_000);

  it("on the default profile (KRaft 4.1) kcat produces at once: serve opens its ports once every partition has a leader", async () => {
    const s = buildScenario({ name: "kcat-kraft", seed: 2, drainMs: 5_000, broker: { "offsets.topic.num.partitions": 1 }, topics: [{ name: "test", partitions: 3 }] });
    expect(s.protocol).toBe("4.1");
    const h = await startServe(s, { port: 0 });
    try {
      // A KRaft cluster elects its first leaders ~1.5 s in: the simulation ran ahead to then before listening.
      expect(h.world.runtime.nowUs).toBeGreaterThan(1_000_000);
      const lines = Array.from({ length: 200 }, (_, i) => `kraft-${i}`);
      const produced = await kcat(["-P", "-b", h.bootstrap, "-t", "test", "-X", "acks=all", "-X", "message.timeout.ms=5000"], (write, end) => {
        write(lines.join("\n") + "\n");
        end();
      });
      expect(produced.code, produced.err).toBe(0);
    } finally {
      const result = await h.stop();
      expect(judge(result).stats.acked).toBe(200);
    }
  }, 120_000);

  it("kcat's delivery reports against the final log when the leader is killed midway", async () => {
    const s = buildScenario({
      name: "kcat-leader-kill",
      seed: 2,
      protocol: "3.7", // the ZooKeeper era (zookeeper.session.timeout.ms below)
      drainMs: 20_000,
      broker: { "zookeeper.session.timeout.ms": 2000, "offsets.topic.num.partitions": 1, "replica.lag.time.max.ms": 5000 },
      topics: [{ name: "test", partitions: 1, "replication.factor": 3, config: { "min.insync.replicas": 2 } }],
    });
    const h = await startServe(s, { port: 0 });
    let result: RunResult | undefined;
    try {
      const lines = Array.from({ length: 1000 }, (_, i) => `m${String(i).padStart(4, "0")}`);
      let killed = -1;
      // -v -v: a delivery report per message ("Message delivered to partition 0 (offset 17) on broker 2"); failures
      // are reported at any verbosity ("Delivery failed for message: <error>").
      const produced = await kcat(["-P", "-v", "-v", "-b", h.bootstrap, "-t", "test", "-X", "acks=all", "-X", "linger.ms=5", "-X", "message.timeout.ms=60000"], (write, end) => {
        void (async () => {
          write(lines.slice(0, 400).join("\n") + "\n");
          await until(() => h.world.history.sendsAcked >= 300, 30_000, "300 acknowledged sends");
          // The followers stop fetching (the leader cannot acknowledge acks=all writes now), more records arrive,
          // then the leader dies with them unreplicated: kcat must get them delivered by the next leader.
          h.fault({ kind: "partition-oneway", from: [{ followersOf: "test-0" }], to: [{ leaderOf: "test-0" }] });
          for (let i = 400; i < 700; i += 10) {
            write(lines.slice(i, i + 10).join("\n") + "\n");
            await sleep(10);
          }
          const leader = h.world.faults.resolve({ leaderOf: "test-0" })[0];
          killed = leader === undefined ? -1 : Number(leader.slice("broker-".length));
          h.fault({ kind: "kill", target: { leaderOf: "test-0" } });
          h.fault({ kind: "heal" });
          write(lines.slice(700).join("\n") + "\n");
          end();
        })();
      });
      expect(killed).toBeGreaterThan(0);
      const reports = [...produced.err.matchAll(/Message delivered to partition (\d+) \(offset (-?\d+)\) on broker (-?\d+)/g)].map((m) => ({ partition: Number(m[1]), offset: Number(m[2]), broker: Number(m[3]) }));
      const failed = [...produced.err.matchAll(/Delivery failed for message/g)].length;
      expect(reports.length + failed).toBe(1000);
      result = await h.stop();
      const log = finalValues(result, h, "test");
      // Every delivery kcat was told of (acks=all) is in the final log at its offset, holding one of its messages,
      // and every message it was told was delivered is in the log.
      const sent = new Set(lines);
      for (const r of reports) expect(sent.has(log[r.offset] ?? "(beyond the log)"), `offset ${r.offset}`).toBe(true);
      expect(new Set(log.filter((v) => sent.has(v))).size).toBeGreaterThanOrEqual(reports.length);
      expect(new Set(reports.map((r) => r.offset)).size).toBe(reports.length);
      // And the checkers, from the brokers' side, agree: no acknowledged write lost.
      const j = judge(result);
      expect(j.anomalies.filter((a) => a.type === "lost-write")).toEqual([]);
      expect(j.anomalies.filter((a) => !a.allowed)).toEqual([]);
      expect(j.stats.acked).toBe(reports.length);
      // librdkafka without idempotence retries what the dead leader had written but not acknowledged: duplicates,
      // each allowed as a retry of a producer without idempotence.
      expect(j.anomalies.every((a) => a.type === "duplicate" && a.allowedBecause?.rule === "retry-without-idempotence")).toBe(true);
      expect(result.faults.map((f) => f.action.kind)).toEqual(["partition-oneway", "kill", "heal"]);
      // The leader died midway: reports from it before, from the new leader after.
      expect(new Set(reports.map((r) => r.broker)).size).toBeGreaterThan(1);
      expect(reports.filter((r) => r.broker !== killed).length).toBeGreaterThanOrEqual(600);
    } finally {
      if (result === undefined) await h.stop();
    }
  }, 120_000);

  it("transactions: kcat's transactional producer commits; kafkajs's aborted transaction is read by kcat with read_uncommitted only, and no marker by either", async () => {
    const s = buildScenario({
      name: "kcat-transactions",
      seed: 3,
      protocol: "3.7",
      drainMs: 5_000,
      broker: { "offsets.topic.num.partitions": 1 },
      topics: [
        { name: "test", partitions: 1 },
        { name: "__transaction_state", partitions: 1 },
      ],
    });
    const h = await startServe(s, { port: 0 });
    try {
      // kcat -X transactional.id: every message in one transaction, committed when stdin ends.
      const committed = Array.from({ length: 20 }, (_, i) => `kcat-${i}`);
      const produced = await kcat(["-P", "-b", h.bootstrap, "-t", "test", "-X", "transactional.id=kcat-tx"], (write, end) => {
        write(committed.join("\n") + "\n");
        end();
      });
      expect(produced.code, produced.err).toBe(0);
      // kafkajs over TCP: an aborted transaction, then a committed one.
      const kafka = new Kafka({ clientId: "tcp-tx", brokers: h.bootstrap.split(","), logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
      const producer = kafka.producer({ transactionalId: "kafkajs-tx", maxInFlightRequests: 1, idempotent: true });
      await producer.connect();
      const aborted = await producer.transaction();
      await aborted.send({ topic: "test", messages: [0, 1, 2].map((i) => ({ value: `aborted-${i}` })) });
      await aborted.abort();
      const last = await producer.transaction();
      await last.send({ topic: "test", messages: [{ value: "last" }] });
      await last.commit();
      await producer.disconnect();

      const read = async (isolation: string): Promise<string[]> => {
        // A reader without a group is judged by its client.id's isolation level: one client.id per level.
        const r = await kcat(["-C", "-b", h.bootstrap, "-t", "test", "-o", "beginning", "-e", "-q", "-X", `isolation.level=${isolation}`, "-X", `client.id=${isolation}-reader`], (_w, end) => end());
        expect(r.code, r.err).toBe(0);
        return r.out.split("\n").filter((l) => l !== "");
      };
      expect(await read("read_committed")).toEqual([...committed, "last"]);
      expect(await read("read_uncommitted")).toEqual([...committed, "aborted-0", "aborted-1", "aborted-2", "last"]);
    } finally {
      const result = await h.stop();
      // The readers, as groups of one: the read_committed one's skipped markers and aborted records are no skips.
      expect(result.scenario.consumers.map((c) => [c.group, c.config["isolation.level"], c.external])).toEqual([
        ["read_committed-reader", "read_committed", "wire reader read_committed-reader"],
        ["read_uncommitted-reader", "read_uncommitted", "wire reader read_uncommitted-reader"],
      ]);
      const j = judge(result);
      expect(j.anomalies).toEqual([]);
      expect(j.stats.acked).toBe(24);
    }
  }, 120_000);
});
