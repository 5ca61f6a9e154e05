// The comparison matrix: a base scenario, axes of values per Kafka key or scenario field, and the runner that
// runs every configuration on the SAME seeds. The fault schedule of a run derives from its seed only (a seeded
// generator of kills, power loss, isolation and pauses over the base scenario), never from the configuration,
// so every configuration meets the same faults at the same times.
import { DELIVERY_SEMANTICS, withDelivery } from "../sim/scenario/delivery.ts";
import { parse as parseYaml } from "yaml";
import { SimInputError } from "../sim/core/errors.ts";
import { configDef, PROTOCOL_VERSIONS } from "../sim/kafka/config.ts";
import type { ConfigDef } from "../sim/kafka/config.ts";
import { buildScenario } from "../sim/scenario/defaults.ts";
import type { ScenarioInput } from "../sim/scenario/defaults.ts";
import type { CommitStrategy, Scenario, Verdict } from "../sim/scenario/types.ts";
import type { RunOptions, RunResult } from "../sim/result.ts";
import { aggregate, runMetrics } from "./metrics.ts";
import { rank, tradeoff } from "./ranking.ts";
import { seededFaults } from "./compare-faults.ts";
import type { ConfigCell, ConfigRow, ConfigValue, JudgementCounts, RunMetrics } from "./metrics.ts";

export interface MatrixAxis {
  readonly key: string;
  readonly values: readonly ConfigValue[];
}

export interface Matrix {
  readonly name: string;
  readonly base: Scenario;
  readonly axes: readonly MatrixAxis[];
  /** "generated": the seeded fault generator; "base": the base scenario's own faults (same for every run). */
  readonly faults: "generated" | "base";
  /** Runs per configuration when the command line does not say. */
  readonly seeds?: number;
  /** The matrix file it came from (for the reproduce line). */
  readonly source?: string;
}

/** The default base: RF 3 on 3 brokers, one producer and one consumer group, Kafka's timeouts scaled down so
 *  that a fault and its recovery fit in a few seconds of virtual time (the same for every configuration). */
export const DEFAULT_BASE: ScenarioInput = {
  name: "compare-default",
  description: "3 brokers, orders with 1 partition (RF 3), a producer at 200 records/s, one consumer group; timeouts scaled down",
  // Named, so that a change of the default profile does not change what the default comparison runs on.
  protocol: "4.1",
  durationMs: 10_000,
  drainMs: 4000,
  brokers: 3,
  broker: {
    "replica.lag.time.max.ms": 1000,
    "zookeeper.session.timeout.ms": 1200,
    // KRaft (protocol 3.9 in mode kraft, 4.0, 4.1; ignored in ZooKeeper mode): the broker session as long as the
    // ZooKeeper one, the quorum's timeouts at about 0.3 × Kafka's defaults (election 1000, fetch 2000 ms).
    "broker.session.timeout.ms": 1200,
    "broker.heartbeat.interval.ms": 300,
    "controller.quorum.election.timeout.ms": 300,
    "controller.quorum.fetch.timeout.ms": 600,
    "controller.quorum.request.timeout.ms": 600,
    "controller.quorum.election.backoff.max.ms": 300,
    "metadata.max.idle.interval.ms": 150,
    "replica.fetch.backoff.ms": 100,
    "replica.socket.timeout.ms": 1000,
    "group.initial.rebalance.delay.ms": 0,
    "offsets.topic.num.partitions": 1,
  },
  topics: [{ name: "orders", partitions: 1, "replication.factor": 3 }],
  producers: [{ id: "p1", topic: "orders", ratePerSec: 200, config: { "request.timeout.ms": 1000, "delivery.timeout.ms": 3000 }, onFailure: "log" }],
  consumers: [
    {
      group: "g1",
      topics: ["orders"],
      config: { "auto.offset.reset": "earliest", "enable.auto.commit": false, "request.timeout.ms": 1000, "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000, "fetch.max.wait.ms": 100 },
      processing: { commit: "after-processing", commitEvery: "batch" },
    },
  ],
};

/** acks {0, 1, all} × min.insync.replicas {1, 2} × unclean election {off, on} × idempotence {off, on}. */
export const DEFAULT_AXES: readonly MatrixAxis[] = [
  { key: "acks", values: [0, 1, "all"] },
  { key: "min.insync.replicas", values: [1, 2] },
  { key: "unclean.leader.election.enable", values: [false, true] },
  { key: "enable.idempotence", values: [false, true] },
];

export function defaultMatrix(): Matrix {
  return { name: "default", base: buildScenario(DEFAULT_BASE), axes: DEFAULT_AXES, faults: "generated" };
}

/** ZooKeeper 3.7 vs KRaft 4.0 vs KRaft 4.1 (ELR on) × acks {1, all}, with min.insync.replicas=2 and unclean
 *  election off, on the default base and the same seeded faults: what the control plane changes (issue #13). */
export const PROTOCOL_AXES: readonly MatrixAxis[] = [
  { key: "protocol", values: ["3.7", "4.0", "4.1"] },
  { key: "acks", values: [1, "all"] },
];

export function protocolMatrix(): Matrix {
  const base = buildScenario({ ...DEFAULT_BASE, name: "compare-protocols", broker: { ...DEFAULT_BASE.broker, "min.insync.replicas": 2, "unclean.leader.election.enable": false } });
  return { name: "protocols", base, axes: PROTOCOL_AXES, faults: "generated", source: "protocols" };
}

/** Every combination of the axes' values, first axis slowest. */
export function cells(axes: readonly MatrixAxis[]): ConfigCell[] {
  let out: Record<string, ConfigValue>[] = [{}];
  for (const a of axes) out = out.flatMap((c) => a.values.map((v) => ({ ...c, [a.key]: v })));
  return out;
}

/** Why Kafka would refuse this configuration, or null. Explicit enable.idempotence=true needs acks=all
 *  (ProducerConfig.postProcessAndValidateIdempotenceConfigs; fact 16). */
export function invalidReason(s: Scenario): string | null {
  for (const p of s.producers) {
    if (p.config["enable.idempotence"] && p.explicit.includes("enable.idempotence") && p.config.acks !== "all" && p.config.acks !== -1) {
      return `enable.idempotence=true with acks=${p.config.acks} is a config error in Kafka (idempotence needs acks=all)`;
    }
  }
  return null;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const SCENARIO_FIELDS = ["replication.factor", "partitions", "brokers", "protocol", "commit", "commit.every", "processing.async", "durationMs", "delivery"] as const;


function coerce(def: ConfigDef, key: string, v: ConfigValue): ConfigValue {
  const t = def.type;
  const bad = (allowed: string): never => {
    throw new SimInputError("INVALID_CONFIG", `matrix: ${key}=${JSON.stringify(v)} is not allowed; expected ${allowed}`, key);
  };
  switch (t.kind) {
    case "bool":
      if (typeof v === "boolean") return v;
      if (v === null && t.nullable) return null;
      if (v === "on" || v === "true") return true;
      if (v === "off" || v === "false") return false;
      return bad("true/false (or on/off)");
    case "int": {
      if (v === null && t.nullable) return null;
      const n = typeof v === "string" && /^-?\d+$/.test(v) ? Number(v) : v;
      if (typeof n !== "number" || !Number.isInteger(n) || (t.min !== undefined && n < t.min) || (t.max !== undefined && n > t.max)) {
        return bad(`an integer${t.min !== undefined ? ` ≥ ${t.min}` : ""}${t.max !== undefined ? ` ≤ ${t.max}` : ""}`);
      }
      return n;
    }
    case "enum": {
      const hit = t.values.find((x) => x === v || String(x) === String(v));
      if (hit === undefined) return bad(`one of ${t.values.join(", ")}`);
      return hit;
    }
  }
}

/** The base scenario with one matrix cell applied (a Kafka key at its scope, or a scenario field). */
export function applyCell(base: Scenario, cell: ConfigCell): Scenario {
  const s: Mutable<Scenario> = { ...base };
  for (const [key, raw] of Object.entries(cell)) {
    const producerDef = configDef("producer", key);
    const brokerDef = configDef("broker", key) ?? configDef("topic", key);
    const consumerDef = configDef("consumer", key);
    if (producerDef) {
      const v = coerce(producerDef, key, raw);
      s.producers = s.producers.map((p) => ({ ...p, config: { ...p.config, [producerDef.key]: v }, explicit: [...new Set([...p.explicit, producerDef.key])] }));
    }
    if (brokerDef) {
      const v = coerce(brokerDef, key, raw);
      s.broker = { ...s.broker, [brokerDef.key]: v };
      // A topic-level override would win over the broker's value: set it there too.
      if (brokerDef.scopes.includes("topic")) s.topics = s.topics.map((t) => (brokerDef.key in t.config ? { ...t, config: { ...t.config, [brokerDef.key]: v } } : t));
    }
    if (consumerDef) {
      const v = coerce(consumerDef, key, raw);
      s.consumers = s.consumers.map((c) => ({ ...c, config: { ...c.config, [consumerDef.key]: v }, explicit: [...new Set([...c.explicit, consumerDef.key])] }));
    }
    if (producerDef || brokerDef || consumerDef) continue;
    applyScenarioField(s, key, raw);
  }
  return s;
}

function positiveInt(key: string, v: ConfigValue): number {
  const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) throw new SimInputError("INVALID_CONFIG", `matrix: ${key}=${JSON.stringify(v)} must be an integer ≥ 1`, key);
  return n;
}

function applyScenarioField(s: Mutable<Scenario>, key: string, v: ConfigValue): void {
  switch (key) {
    case "replication.factor": {
      const rf = positiveInt(key, v);
      s.topics = s.topics.map((t) => ({ ...t, "replication.factor": rf }));
      return;
    }
    case "partitions": {
      const n = positiveInt(key, v);
      s.topics = s.topics.map((t) => ({ ...t, partitions: n }));
      return;
    }
    case "brokers":
      s.brokers = positiveInt(key, v);
      return;
    case "durationMs":
      s.durationMs = positiveInt(key, v);
      return;
    case "protocol": {
      const p = PROTOCOL_VERSIONS.find((x) => x === String(v));
      if (!p) throw new SimInputError("INVALID_CONFIG", `matrix: protocol=${JSON.stringify(v)}; allowed: ${PROTOCOL_VERSIONS.join(", ")}`, key);
      s.protocol = p;
      return;
    }
    case "commit": {
      const allowed: readonly CommitStrategy[] = ["before-processing", "after-processing", "auto"];
      const c = allowed.find((x) => x === v);
      if (!c) throw new SimInputError("INVALID_CONFIG", `matrix: commit=${JSON.stringify(v)}; allowed: ${allowed.join(", ")}`, key);
      // "auto" leaves commits to enable.auto.commit: switch it on with it.
      s.consumers = s.consumers.map((x) => ({
        ...x,
        processing: { ...x.processing, commit: c },
        config: c === "auto" ? { ...x.config, "enable.auto.commit": true } : x.config,
      }));
      return;
    }
    case "commit.every": {
      const allowed = ["record", "batch", "interval"] as const;
      const c = allowed.find((x) => x === v);
      if (!c) throw new SimInputError("INVALID_CONFIG", `matrix: commit.every=${JSON.stringify(v)}; allowed: ${allowed.join(", ")}`, key);
      s.consumers = s.consumers.map((x) => ({ ...x, processing: { ...x.processing, commitEvery: c } }));
      return;
    }
    case "delivery": {
      const d = DELIVERY_SEMANTICS.find((x) => x === v);
      if (!d) throw new SimInputError("INVALID_CONFIG", `matrix: delivery=${JSON.stringify(v)}; allowed: ${DELIVERY_SEMANTICS.join(", ")}`, key);
      Object.assign(s, withDelivery(s, d));
      return;
    }
    case "processing.async": {
      if (typeof v !== "boolean") throw new SimInputError("INVALID_CONFIG", `matrix: processing.async must be true or false`, key);
      s.consumers = s.consumers.map((x) => ({ ...x, processing: { ...x.processing, async: v } }));
      return;
    }
    default:
      throw new SimInputError(
        "INVALID_CONFIG",
        `matrix: unknown key "${key}"; use a Kafka broker/topic/producer/consumer key (e.g. acks, min.insync.replicas, replica.lag.time.max.ms) or one of ${SCENARIO_FIELDS.join(", ")}`,
        key,
      );
  }
}

/** The run seeds of a comparison: root, root + 1, ... (each reproducible alone with `kafkasim run --seed`). */
export function runSeeds(root: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => root + i);
}

/** The scenario of one run: the configured cell on this seed, with the seed's fault schedule. */
export function runScenarioFor(matrix: Matrix, cell: ConfigCell, seed: number): Scenario {
  const s = applyCell(matrix.base, cell);
  const firstTopic = s.topics[0];
  const faults =
    matrix.faults === "base" || !firstTopic ? s.faults : seededFaults(seed, { brokers: s.brokers, tp: `${firstTopic.name}-0`, durationMs: s.durationMs, producers: s.producers.map((p) => p.id), sessionTimeoutMs: s.broker["zookeeper.session.timeout.ms"] });
  return { ...s, seed, faults };
}

export type RunFn = (s: Scenario, opts?: RunOptions) => RunResult;
export type JudgeFn = (r: RunResult) => { readonly stats: JudgementCounts; readonly verdict: Verdict };

/** What charts need from one recorded run per configuration (kept small: the runs themselves are dropped). */
export interface RunSample {
  readonly config: ConfigCell;
  readonly seed: number;
  readonly result: RunResult;
}

export interface CompareReport {
  readonly seed: number;
  readonly seeds: number;
  readonly rows: readonly ConfigRow[];
}

export interface CompareOutcome {
  /** The JSON contract. */
  readonly report: CompareReport;
  readonly matrix: Matrix;
  /** One sentence per row (same order). */
  readonly tradeoffs: readonly string[];
  /** Cells Kafka refuses (or the world rejects), with the reason; not in rows. */
  readonly invalid: readonly { readonly config: ConfigCell; readonly reason: string }[];
  /** The first seed's run of each configuration, recorded (when asked for). */
  readonly samples: readonly RunSample[];
  /** Per row, per run: the metrics the row was aggregated from (for tests and drill-down). */
  readonly perRun: readonly (readonly RunMetrics[])[];
}

export interface CompareParams {
  readonly matrix: Matrix;
  readonly seed: number;
  readonly seeds: number;
  readonly run: RunFn;
  readonly judge: JudgeFn;
  /** Record the first seed's run of every configuration (for the HTML charts). */
  readonly recordSamples?: boolean;
  readonly onProgress?: (done: number, total: number, label: string) => void;
}

/** One run of a comparison: a configuration on a seed (recorded for the HTML charts when asked). */
export interface CompareJob {
  readonly config: ConfigCell;
  readonly seed: number;
  readonly record: boolean;
}

export type CompareJobResult =
  | { readonly ok: true; readonly metrics: RunMetrics; readonly verdict: Verdict; readonly result?: RunResult }
  /** A configuration the world rejects (SimInputError), or a simulator failure. */
  | { readonly ok: false; readonly reason: string };

/** Run and judge one job: the unit a worker thread executes. */
export function compareJob(matrix: Matrix, job: CompareJob, run: RunFn, judge: JudgeFn): CompareJobResult {
  const scenario = runScenarioFor(matrix, job.config, job.seed);
  let result: RunResult;
  try {
    result = run(scenario, { record: job.record });
  } catch (e) {
    return { ok: false, reason: e instanceof SimInputError ? e.message : `simulator error on seed ${job.seed}: ${(e as Error).message}` };
  }
  const j = judge(result);
  return { ok: true, metrics: runMetrics(result, j.stats), verdict: j.verdict, ...(job.record ? { result } : {}) };
}

interface Plan {
  readonly seeds: readonly number[];
  /** Configurations Kafka refuses, with the reason (no job). */
  readonly refused: { readonly config: ConfigCell; readonly reason: string }[];
  /** The other configurations, each with one job per seed. */
  readonly runnable: { readonly config: ConfigCell; readonly jobs: readonly CompareJob[] }[];
}

function plan(p: Omit<CompareParams, "run" | "judge">): Plan {
  if (!(Number.isInteger(p.seeds) && p.seeds >= 1)) throw new SimInputError("INVALID_CONFIG", `--seeds must be an integer ≥ 1, got ${p.seeds}`, "seeds");
  if (!Number.isSafeInteger(p.seed)) throw new SimInputError("INVALID_SEED", `--seed must be an integer, got ${p.seed}`, "seed");
  const seeds = runSeeds(p.seed, p.seeds);
  const refused: Plan["refused"] = [];
  const runnable: Plan["runnable"] = [];
  for (const config of cells(p.matrix.axes)) {
    const reason = invalidReason(applyCell(p.matrix.base, config));
    if (reason !== null) refused.push({ config, reason });
    else runnable.push({ config, jobs: seeds.map((seed) => ({ config, seed, record: p.recordSamples === true && seed === seeds[0] })) });
  }
  return { seeds, refused, runnable };
}

/** The outcome from the jobs' results (in plan order): a configuration with a failed job is reported as invalid
 *  with its first failure's reason. */
function assemble(p: Omit<CompareParams, "run" | "judge">, pl: Plan, results: readonly (readonly CompareJobResult[])[]): CompareOutcome {
  const valid: { config: ConfigCell; metrics: RunMetrics[]; verdicts: Record<Verdict, number> }[] = [];
  const invalid: { config: ConfigCell; reason: string }[] = [...pl.refused];
  const samples: RunSample[] = [];
  pl.runnable.forEach((r, i) => {
    const rs = results[i] ?? [];
    const failed = rs.find((x) => !x.ok);
    if (failed && !failed.ok) {
      invalid.push({ config: r.config, reason: failed.reason });
      return;
    }
    const verdicts: Record<Verdict, number> = { valid: 0, allowed: 0, liveness: 0, bug: 0 };
    const metrics: RunMetrics[] = [];
    rs.forEach((x, k) => {
      if (!x.ok) return;
      metrics.push(x.metrics);
      verdicts[x.verdict]++;
      if (x.result) samples.push({ config: r.config, seed: pl.seeds[k] as number, result: x.result });
    });
    valid.push({ config: r.config, metrics, verdicts });
  });
  // Invalid cells in the matrix's own order.
  const order = cells(p.matrix.axes).map((c) => JSON.stringify(c));
  invalid.sort((x, y) => order.indexOf(JSON.stringify(x.config)) - order.indexOf(JSON.stringify(y.config)));
  const verdictsOf = new Map(valid.map((v) => [JSON.stringify(v.config), v.verdicts]));
  const rows = rank(valid.map((v) => aggregate(v.config, v.metrics))).map((row) => ({ ...row, verdicts: verdictsOf.get(JSON.stringify(row.config)) ?? { valid: 0, allowed: 0, liveness: 0, bug: 0 } }));
  return {
    report: { seed: p.seed, seeds: p.seeds, rows },
    matrix: p.matrix,
    tradeoffs: rows.map((r) => tradeoff(r, rows)),
    invalid,
    samples,
    perRun: valid.map((v) => v.metrics),
  };
}

/** Every configuration on the same seeds, in this thread. */
export function compare(p: CompareParams): CompareOutcome {
  const pl = plan(p);
  const total = (pl.refused.length + pl.runnable.length) * pl.seeds.length;
  let done = pl.refused.length * pl.seeds.length;
  const results = pl.runnable.map((r) =>
    r.jobs.map((job) => {
      const x = compareJob(p.matrix, job, p.run, p.judge);
      p.onProgress?.(++done, total, describe(r.config));
      return x;
    }),
  );
  return assemble(p, pl, results);
}

/** The same on an executor (worker threads): jobs run concurrently, the outcome is the same. */
export async function compareAsync(p: Omit<CompareParams, "run" | "judge"> & { readonly exec: (job: CompareJob) => Promise<CompareJobResult> }): Promise<CompareOutcome> {
  const pl = plan(p);
  const total = (pl.refused.length + pl.runnable.length) * pl.seeds.length;
  let done = pl.refused.length * pl.seeds.length;
  const results = await Promise.all(
    pl.runnable.map((r) =>
      Promise.all(
        r.jobs.map(async (job) => {
          const x = await p.exec(job);
          p.onProgress?.(++done, total, describe(r.config));
          return x;
        }),
      ),
    ),
  );
  return assemble(p, pl, results);
}

/** The command line that reproduces a comparison. */
export function reproduceCommand(o: { readonly matrix: Matrix; readonly report: CompareReport }): string {
  const m = o.matrix.source !== undefined && o.matrix.source !== "matrix" ? ` --matrix ${o.matrix.source}` : "";
  return `npx kafkasim compare${m} --seed ${o.report.seed} --seeds ${o.report.seeds}`;
}

function describe(c: ConfigCell): string {
  return Object.entries(c)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(" ");
}

// ---------------------------------------------------------------------------------------------------------
// Matrix files

/** Parses a matrix file's text (YAML or JSON):
 *  `{ name?, seeds?, faults?: generated | base, base?: <partial scenario>, matrix: { <key>: [values] } }`.
 *  The base is laid over the default base (broker/producer/consumer configs merged key by key). */
export function parseMatrix(text: string, source = "matrix"): Matrix {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new SimInputError("INVALID_CONFIG", `${source}: not valid YAML/JSON: ${(e as Error).message}`, source);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new SimInputError("INVALID_CONFIG", `${source}: expected a mapping with a "matrix" key`, source);
  const d = doc as Record<string, unknown>;
  for (const k of Object.keys(d)) {
    if (!["name", "seeds", "faults", "base", "matrix"].includes(k)) throw new SimInputError("INVALID_CONFIG", `${source}: unknown key "${k}"; allowed: name, seeds, faults, base, matrix`, k);
  }
  const m = d["matrix"];
  if (typeof m !== "object" || m === null || Array.isArray(m) || Object.keys(m).length === 0) {
    throw new SimInputError("INVALID_CONFIG", `${source}: "matrix" must map keys to lists of values, e.g. matrix: { acks: [1, all] }`, "matrix");
  }
  const axes: MatrixAxis[] = Object.entries(m as Record<string, unknown>).map(([key, values]) => {
    const list = Array.isArray(values) ? values : [values];
    if (list.length === 0) throw new SimInputError("INVALID_CONFIG", `${source}: matrix.${key} has no values`, `matrix.${key}`);
    for (const v of list) {
      if (!(typeof v === "string" || typeof v === "number" || typeof v === "boolean" || v === null)) {
        throw new SimInputError("INVALID_CONFIG", `${source}: matrix.${key} values must be strings, numbers or booleans`, `matrix.${key}`);
      }
    }
    return { key, values: list as ConfigValue[] };
  });
  const baseIn = d["base"] ?? {};
  if (typeof baseIn !== "object" || baseIn === null || Array.isArray(baseIn)) throw new SimInputError("INVALID_CONFIG", `${source}: "base" must be a scenario mapping`, "base");
  const b = baseIn as ScenarioInput & Record<string, unknown>;
  const merged: ScenarioInput = {
    ...DEFAULT_BASE,
    ...b,
    broker: { ...DEFAULT_BASE.broker, ...b.broker },
  };
  const base = buildScenario(merged);
  checkConfigKeys(base);
  const faults = d["faults"] ?? (Array.isArray(b.faults) && b.faults.length > 0 ? "base" : "generated");
  if (faults !== "generated" && faults !== "base") throw new SimInputError("INVALID_CONFIG", `${source}: faults must be "generated" or "base"`, "faults");
  const seeds = d["seeds"];
  if (seeds !== undefined && !(typeof seeds === "number" && Number.isInteger(seeds) && seeds >= 1)) throw new SimInputError("INVALID_CONFIG", `${source}: seeds must be an integer ≥ 1`, "seeds");
  // Apply every value once up front so a bad key or value is reported before any run.
  for (const a of axes) for (const v of a.values) applyCell(base, { [a.key]: v });
  return { name: typeof d["name"] === "string" ? d["name"] : source, base, axes, faults, source, ...(seeds !== undefined ? { seeds } : {}) };
}

function checkConfigKeys(s: Scenario): void {
  const check = (scope: "broker" | "producer" | "consumer", cfg: object, where: string): void => {
    for (const k of Object.keys(cfg)) if (!configDef(scope, k)) throw new SimInputError("INVALID_CONFIG", `base: unknown ${scope} config key "${k}" in ${where}`, k);
  };
  check("broker", s.broker, "base.broker");
  for (const p of s.producers) check("producer", p.config, `producer ${p.id}`);
  for (const c of s.consumers) check("consumer", c.config, `consumer group ${c.group}`);
}
