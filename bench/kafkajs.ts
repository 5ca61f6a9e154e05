// The kafkajs-API benchmark (issue #16): one workload run twice — with the modelled clients (a producer at a rate, a
// consumer group whose processing model takes 1 ms a record, one record at a time), and with kafkajs-shaped user
// code (a main program sending one message a millisecond, an async eachMessage that awaits a 1 ms database call, one
// partition at a time: the same processing capacity) — and the ratio of their costs, in CPU time (this machine is
// shared: CPU time varies less than wall time with the load; wall times are reported too). Target: the kafkajs-API
// run costs at most 3× the modelled one. Also reported: the kafkajs run with partitionsConsumedConcurrently 3,
// which keeps up more easily, so it fetches smaller batches and commits more often (kafkajs commits per batch,
// kafka-facts KJ6): more work for the simulation, not the same workload.
import { runScenario } from "../sim/world.ts";
import { buildScenario } from "../sim/scenario/defaults.ts";
import type { ScenarioInput } from "../sim/scenario/defaults.ts";
import { createSimulation } from "../sim/client/kafkajs/simulation.ts";
import type { RunResult } from "../sim/result.ts";
import type { BenchOptions } from "./index.ts";

/** The issue's target: kafkajs-API wall time / modelled wall time. */
export const KAFKAJS_TARGET_RATIO = 3;

export interface KafkaJSBenchResult {
  /** Records produced (and consumed) by each run. */
  readonly records: number;
  readonly virtualSeconds: number;
  /** Median CPU time (user + system) of the modelled-client run, seconds. */
  readonly modelledCpuSeconds: number;
  /** Median CPU time of the kafkajs-API run, seconds. */
  readonly kafkajsCpuSeconds: number;
  /** kafkajsCpuSeconds / modelledCpuSeconds (target ≤ 3). */
  readonly ratio: number;
  /** The same with wall times (median), seconds, and their ratio. */
  readonly modelledWallSeconds: number;
  readonly kafkajsWallSeconds: number;
  readonly wallRatio: number;
  /** Records each run processed (the same workload: both process every record). */
  readonly processed: { readonly modelled: number; readonly kafkajs: number };
  /** The kafkajs run with partitionsConsumedConcurrently 3: median CPU seconds, its ratio to the modelled run. */
  readonly concurrent3CpuSeconds: number;
  readonly concurrent3Ratio: number;
  /** Offset commits of each run (the last one measured): kafkajs commits per partition batch. */
  readonly commits: { readonly modelled: number; readonly kafkajs: number; readonly concurrent3: number };
  readonly runs: number;
}

const RATE = 1000;

function base(durationMs: number): ScenarioInput {
  return {
    name: "bench-kafkajs",
    seed: 42,
    durationMs,
    // Long enough for the kafkajs consumer, one partition at a time, to catch up: both runs process every record.
    drainMs: 15_000,
    topics: [{ name: "orders", partitions: 3, "replication.factor": 3 }],
    broker: { "offsets.topic.num.partitions": 1, "group.initial.rebalance.delay.ms": 0 },
  };
}

function count(r: RunResult, f: "process" | "commit"): number {
  let n = 0;
  for (const op of r.history) if (op.f === f && op.type === "ok") n++;
  return n;
}

interface Measured {
  readonly wall: number;
  readonly cpu: number;
  readonly processed: number;
  readonly commits: number;
  readonly virtual: number;
}

function measure<T>(f: () => T): { value: T; wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const value = f();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return { value, wall, cpu: (c.user + c.system) / 1e6 };
}

function modelled(durationMs: number): Measured {
  const records = (durationMs / 1000) * RATE;
  const s = buildScenario({
    ...base(durationMs),
    producers: [{ id: "p1", topic: "orders", ratePerSec: RATE, messages: records, keys: 100, config: { acks: "all" } }],
    consumers: [{ group: "g1", topics: ["orders"], config: { "auto.offset.reset": "earliest", "enable.auto.commit": false }, processing: { timeMs: 1, commit: "after-processing", commitEvery: "batch" } }],
  });
  const m = measure(() => runScenario(s));
  return { wall: m.wall, cpu: m.cpu, processed: count(m.value, "process"), commits: count(m.value, "commit"), virtual: m.value.virtualMs / 1000 };
}

async function kafkajs(durationMs: number, concurrency: number): Promise<Measured> {
  const records = (durationMs / 1000) * RATE;
  const sim = createSimulation(base(durationMs));
  const kafka = sim.kafka();
  const producer = kafka.producer({ acks: -1 });
  const consumer = kafka.consumer({ groupId: "g1" });
  const db = sim.database("g1", { latencyMs: 1 });
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const r = await sim.run(async () => {
    await consumer.subscribe({ topic: "orders", fromBeginning: true });
    await consumer.run({ partitionsConsumedConcurrently: concurrency, eachMessage: async ({ message }) => db.write(message.key?.toString() ?? "", message.value) });
    await producer.connect();
    for (let i = 0; i < records; i++) {
      void producer.send({ topic: "orders", messages: [{ key: `k${i % 100}`, value: `${i}` }] });
      await sim.sleep(1000 / RATE);
    }
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e6, processed: count(r, "process"), commits: count(r, "commit"), virtual: r.virtualMs / 1000 };
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

export async function runKafkaJSBench(opts: BenchOptions): Promise<KafkaJSBenchResult> {
  const durationMs = opts.quick ? 5_000 : 20_000;
  const runs = opts.quick ? 1 : 3;
  // Warm both paths up (JIT), then alternate the measured runs so machine noise hits both alike.
  modelled(2_000);
  await kafkajs(2_000, 1);
  const m: Measured[] = [];
  const k: Measured[] = [];
  const k3: Measured[] = [];
  for (let i = 0; i < runs; i++) {
    m.push(modelled(durationMs));
    k.push(await kafkajs(durationMs, 1));
    k3.push(await kafkajs(durationMs, 3));
  }
  const mc = median(m.map((x) => x.cpu));
  const kc = median(k.map((x) => x.cpu));
  const mw = median(m.map((x) => x.wall));
  const kw = median(k.map((x) => x.wall));
  const k3c = median(k3.map((x) => x.cpu));
  const lastOf = (xs: Measured[]): Measured => xs[xs.length - 1] as Measured;
  const last = { modelled: lastOf(m).processed, kafkajs: lastOf(k).processed, virtual: (m[0] as Measured).virtual };
  return {
    records: (durationMs / 1000) * RATE,
    virtualSeconds: last.virtual,
    modelledCpuSeconds: Number(mc.toFixed(3)),
    kafkajsCpuSeconds: Number(kc.toFixed(3)),
    ratio: Number((kc / mc).toFixed(2)),
    modelledWallSeconds: Number(mw.toFixed(3)),
    kafkajsWallSeconds: Number(kw.toFixed(3)),
    wallRatio: Number((kw / mw).toFixed(2)),
    processed: { modelled: last.modelled, kafkajs: last.kafkajs },
    concurrent3CpuSeconds: Number(k3c.toFixed(3)),
    concurrent3Ratio: Number((k3c / mc).toFixed(2)),
    commits: { modelled: lastOf(m).commits, kafkajs: lastOf(k).commits, concurrent3: lastOf(k3).commits },
    runs,
  };
}

export function describeKafkaJS(r: KafkaJSBenchResult): string[] {
  return [
    `3 brokers, 3 partitions RF 3, ${RATE} records/s for ${r.records / RATE} s: modelled clients (1 ms processing model) vs kafkajs-API user code (send per message, async eachMessage awaiting a 1 ms database call, one partition at a time)`,
    `  CPU time: modelled ${r.modelledCpuSeconds} s, kafkajs API ${r.kafkajsCpuSeconds} s (median of ${r.runs}; ${r.processed.modelled} and ${r.processed.kafkajs} records processed${r.processed.modelled === r.processed.kafkajs ? "" : ": NOT the same work"}): ratio ${r.ratio}× ${r.ratio <= KAFKAJS_TARGET_RATIO ? `(target ≤ ${KAFKAJS_TARGET_RATIO}× met)` : `(target ≤ ${KAFKAJS_TARGET_RATIO}× NOT met)`}`,
    `  wall time: modelled ${r.modelledWallSeconds} s, kafkajs API ${r.kafkajsWallSeconds} s: ${r.wallRatio}×`,
    `  kafkajs API with partitionsConsumedConcurrently 3: ${r.concurrent3CpuSeconds} s CPU, ${r.concurrent3Ratio}× (smaller batches: ${r.commits.concurrent3} commits vs ${r.commits.kafkajs}, modelled ${r.commits.modelled})`,
  ];
}
