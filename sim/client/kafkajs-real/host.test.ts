// The real kafkajs (2.2.4, as published, unmodified) against the simulated cluster in virtual time: what it
// produces comes back to its consumer byte for byte, its history feeds the checkers, and a run is a pure function of
// its seed — twice in this process, once in a worker thread and once in a new process: the same trace hash and history.
/* eslint-disable no-restricted-globals, no-restricted-properties -- user code, which the host runs on the simulation's clock and seeded randomness */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { runKafkajs, DEFAULT_EPOCH_MS } from "./host.ts";
import { Kafka, logLevel, roundTrip, scenario } from "./testkit.ts";

function inWorker(seed: number): Promise<{ traceHash: string; history: string }> {
  const moduleUrl = new URL("./testkit.ts", import.meta.url).href;
  const code = `
    const { parentPort, workerData } = require("node:worker_threads");
    import("tsx/esm/api")
      .then((tsx) => { tsx.register(); return import(workerData.moduleUrl); })
      .then((m) => m.runRoundTrip(workerData.seed))
      .then((r) => parentPort.postMessage({ ok: r }), (e) => parentPort.postMessage({ error: String((e && e.stack) || e) }));`;
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { moduleUrl, seed } });
    w.once("message", (m: { ok?: { traceHash: string; history: string }; error?: string }) => {
      void w.terminate();
      if (m.ok) resolve(m.ok);
      else reject(new Error(m.error));
    });
    w.once("error", reject);
  });
}

/** The round trip on a seed in a new Node.js process (fresh module state, fresh kafkajs, another V8 heap). */
function inProcess(seed: number): Promise<{ traceHash: string; history: string }> {
  const moduleUrl = new URL("./testkit.ts", import.meta.url).href;
  const code = `import(${JSON.stringify(moduleUrl)}).then((m) => m.runRoundTrip(${seed})).then((r) => process.stdout.write(JSON.stringify(r)))`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { cwd: fileURLToPath(new URL("../../..", import.meta.url)) });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out) as { traceHash: string; history: string }) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

// (The checkers judge kafkajs runs in properties/examples/kafkajs-real.test.ts: sim/ does not import properties/.)
describe("the real kafkajs against the simulated cluster, in virtual time", () => {
  it("what it produces comes back to its consumer group: keys, values, headers, offsets; the checkers find nothing", async () => {
    const run = await runKafkajs(scenario(7), roundTrip);
    if (run.error !== undefined) throw run.error;
    const got = (run.value as { got: string[] }).got;
    expect(got.length).toBe(30);
    expect(got.map((g) => g.split(" ")[1]).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `customer-${i % 4}=order-${i}`).sort());
    for (const g of got) expect(g.split(" ")[2]).toBe(`t${/order-(\d+)/.exec(g)?.[1]}`);
    // Per partition, offsets 0, 1, 2, ... in order (the keys hash to partitions as kafkajs's murmur2 says).
    const byPartition = new Map<string, number[]>();
    for (const g of got) {
      const [p, o] = (g.split(" ")[0] as string).split("/");
      byPartition.set(p as string, [...(byPartition.get(p as string) ?? []), Number(o)]);
    }
    for (const offsets of byPartition.values()) expect(offsets).toEqual(offsets.map((_, i) => i));

    // The history, from the gateway's view: each send an invoke and an ok at its offset, each record polled once.
    const sends = run.result.history.filter((o) => o.f === "send");
    expect(sends.filter((o) => o.type === "invoke").length).toBe(30);
    expect(sends.filter((o) => o.type === "ok").map((o) => (o.f === "send" ? o.value.offset : -1)).every((x) => x !== undefined && x >= 0)).toBe(true);
    expect(sends.filter((o) => o.type === "ok").length).toBe(30);
    const polled = run.result.history.flatMap((o) => (o.f === "poll" && o.type === "ok" ? o.value.records : []));
    expect(polled.map((r) => r.value).sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    // The clients the gateway saw are in the result's scenario, as external specs the oracle reads.
    expect(run.result.scenario.producers.map((p) => [p.id, p.config.acks, p.config["enable.idempotence"], p.external])).toEqual([["shop", "all", false, "kafkajs client shop"]]);
    expect(run.result.scenario.consumers.map((c) => [c.group, c.members, c.topics, c.config["session.timeout.ms"], c.external])).toEqual([["billing", 1, ["orders"], 10_000, "kafkajs group billing"]]);
    const ops = run.result.history;
    expect(ops.filter((o) => o.f === "assign").length).toBe(1);
    const commits = ops.flatMap((o) => (o.f === "commit" && o.type === "ok" ? [o.value] : []));
    expect(commits.length).toBe(3);
    // What it committed last, per partition, is the end of what it read there (the next offset to read).
    const committed = new Map<string, number>();
    for (const c of commits) for (const o of c.offsets) committed.set(String(o.partition), o.offset);
    expect(Object.fromEntries(committed)).toEqual(Object.fromEntries([...byPartition].map(([p, offsets]) => [p, offsets.length])));
  });

  it("same seed, same run: twice in this process, in a worker thread and in a new process (trace hash, history, what the code saw); another seed differs", async () => {
    const a = await runKafkajs(scenario(11), roundTrip);
    const b = await runKafkajs(scenario(11), roundTrip);
    const c = await runKafkajs(scenario(12), roundTrip);
    for (const r of [a, b, c]) if (r.error !== undefined) throw r.error;
    expect(b.result.traceHash).toBe(a.result.traceHash);
    expect(JSON.stringify(b.result.history)).toBe(JSON.stringify(a.result.history));
    expect(b.value).toEqual(a.value);
    expect(c.result.traceHash).not.toBe(a.result.traceHash);
    // The handler's Math.random draws and clock readings are the simulation's: seeded, and virtual time since the
    // fixed epoch (a few seconds into the run).
    const seen = a.value as { draws: number[]; clock: number[] };
    expect(seen.draws.length).toBe(30);
    expect(new Set(seen.draws).size).toBe(30);
    for (const t of seen.clock) expect(t - DEFAULT_EPOCH_MS).toBeGreaterThan(0);
    for (const t of seen.clock) expect(t - DEFAULT_EPOCH_MS).toBeLessThan(60_000);
    const [w, p] = await Promise.all([inWorker(11), inProcess(11)]);
    expect(w.traceHash).toBe(a.result.traceHash);
    expect(w.history).toBe(JSON.stringify(a.result.history));
    expect(p.traceHash).toBe(a.result.traceHash);
    expect(p.history).toBe(JSON.stringify(a.result.history));
  }, 60_000);

  it("puts the real timers, Date and Math.random back after the run", async () => {
    const realSetTimeout = globalThis.setTimeout;
    const realRandom = Math.random;
    const RealDate = Date;
    const inside: number[] = [];
    const run = await runKafkajs(scenario(3), async (sim) => {
      const before = Date.now();
      await sim.sleep(1234);
      inside.push(Date.now() - before, Date.now() - DEFAULT_EPOCH_MS - Math.floor(sim.nowMs()));
      return globalThis.setTimeout === realSetTimeout;
    });
    expect(run.value).toBe(false);
    expect(inside).toEqual([1234, 0]);
    expect(globalThis.setTimeout).toBe(realSetTimeout);
    expect(Math.random).toBe(realRandom);
    expect(Date).toBe(RealDate);
    expect(Math.abs(Date.now() - new RealDate().getTime())).toBeLessThan(1000);
  });

  it("code still running at durationMs, or waiting for what nothing will do, ends the run with an error that says so", async () => {
    const slow = await runKafkajs({ ...scenario(3), durationMs: 2000 }, (sim) => sim.sleep(10_000));
    expect(String(slow.error)).toMatch(/still running at durationMs \(2000 ms of virtual time\)/);
    expect(slow.result.virtualMs).toBeGreaterThanOrEqual(2000);
    const stuck = await runKafkajs({ ...scenario(3), drainMs: 0 }, async (sim) => {
      await sim.sleep(100);
      await new Promise(() => {});
    });
    // The cluster's own timers keep the queue busy, so "nothing left" is rare; the code is then still running at the end.
    expect(String(stuck.error)).toMatch(/still running at durationMs|nothing is left to happen/);
  });

  it("a connection to a killed broker is refused (ECONNREFUSED), and kafkajs's connect fails with it", async () => {
    const run = await runKafkajs(scenario(5), async (sim) => {
      sim.fault({ kind: "kill", target: { broker: 1 } });
      const kafka = new Kafka({ clientId: "lonely", brokers: ["broker-1:9092"], socketFactory: sim.socketFactory, logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 100 } });
      const producer = kafka.producer();
      await producer.connect();
    });
    expect(String(run.error)).toMatch(/ECONNREFUSED broker-1:9092/);
  });
});
