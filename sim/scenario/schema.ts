// Scenario files: the zod schema of the written form (YAML, JSON or a TypeScript object), its normalisation
// into the Scenario the world runs, the semantic checks (unknown topic, broker, client), `--set` overrides and
// the JSON Schema for editors. Kafka config validation is built from CONFIG_DEFS (sim/kafka/config.ts): keys,
// aliases, types, ranges and allowed values come from that one table.
import { z } from "zod";
import { CONFIG_DEFS, PROTOCOL_VERSIONS, configDef, configKeys } from "../kafka/config.ts";
import type { ConfigDef, ConfigScope } from "../kafka/config.ts";
import type { Fault, FaultAction, FaultEvent, FaultKind, FaultTarget } from "../faults/types.ts";
import type { LatencyDist } from "../core/rng.ts";
import type { ConsumerHandler, ProducerLogic } from "../client/user-code.ts";
import { buildScenario } from "./defaults.ts";
import type { ConsumerInput, ProducerInput, TopicInput } from "./defaults.ts";
import type { AnomalyType, BugSwitches, ConsumerSpec, Scenario, TopicSpec, Verdict } from "./types.ts";

// ---------------------------------------------------------------------------------------------------------
// Errors

export type IssuePath = readonly (string | number)[];

export interface ScenarioIssue {
  /** Where in the scenario, as written ("producers[0].config.acks"), or the `--set` argument. */
  readonly path: string;
  /** 1-based; 0 when unknown (a TypeScript object, a --set argument). */
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** Bad scenario input: every problem found, each with its position. The CLI prints it and exits 2. */
export class ScenarioError extends Error {
  readonly issues: readonly ScenarioIssue[];
  readonly file: string | undefined;
  constructor(issues: readonly ScenarioIssue[], file?: string) {
    super(formatIssues(issues, file));
    this.name = "ScenarioError";
    this.issues = issues;
    this.file = file;
  }
}

function formatIssues(issues: readonly ScenarioIssue[], file: string | undefined): string {
  return issues.map((i) => formatIssue(i, file)).join("\n");
}

/** `file:line:column: path: message` (position parts left out when unknown). */
export function formatIssue(i: ScenarioIssue, file?: string): string {
  const where = [file, i.line > 0 ? String(i.line) : undefined, i.line > 0 ? String(i.column) : undefined].filter((x) => x !== undefined).join(":");
  const path = i.path === "" ? "" : `${i.path}: `;
  return `${where === "" ? "" : `${where}: `}${path}${i.message}`;
}

/** The whole error as the CLI prints it: one line per problem (at most `max`). */
export function formatScenarioError(e: ScenarioError, max = 10): string {
  const shown = e.issues.slice(0, max).map((i) => formatIssue(i, e.file));
  if (e.issues.length > max) shown.push(`... and ${e.issues.length - max} more problems`);
  return shown.join("\n");
}

export function pathToString(path: IssuePath): string {
  let out = "";
  for (const seg of path) out += typeof seg === "number" ? `[${seg}]` : out === "" ? seg : `.${seg}`;
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Did you mean

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] as number;
}

/** The closest candidate, if close enough to be a typo (case and separators ignored). */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const norm = (s: string): string => s.toLowerCase().replace(/[._\-\s]/g, "");
  const w = norm(word);
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(w, norm(c));
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(w.length / 3)) ? best : undefined;
}

function unknownKeyMessage(key: string, allowed: readonly string[], advertised = allowed): string {
  const dym = didYouMean(key, allowed);
  return `unknown key "${key}"${dym !== undefined ? `; did you mean "${dym}"?` : ""} Allowed: ${advertised.join(", ")}`;
}

function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  return String(v);
}

function showAllowed(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === "string" ? v : String(v))).join(", ");
}

/** `"x" is not allowed; did you mean "y"? Allowed: a, b, c` */
function notAllowed(input: unknown, values: readonly unknown[]): string {
  const dym = typeof input === "string" ? didYouMean(input, values.map(String)) : undefined;
  return `${show(input)} is not allowed; ${dym !== undefined ? `did you mean "${dym}"? ` : ""}allowed: ${showAllowed(values)}`;
}

/** A strict object whose unknown keys get a "did you mean" (and the allowed keys). */
function strict<T extends z.ZodRawShape>(shape: T, what?: string, advertised?: readonly string[]): z.ZodObject<T, z.core.$strict> {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code === "unrecognized_keys") return unknownKeyMessage(String(iss.keys[0]), allowed, advertised ?? allowed);
      if (iss.code === "invalid_type") return `expected ${what ?? "an object"}, got ${show(iss.input)}`;
      return undefined;
    },
  });
}

const num = (what: string, min?: number, opts: { int?: boolean; max?: number; exclusiveMin?: boolean } = {}): z.ZodNumber => {
  let s = z.number({ error: (iss) => `expected ${what}, got ${show(iss.input)}` });
  if (opts.int) s = s.int({ error: (iss) => `expected a whole number, got ${show(iss.input)}` });
  if (min !== undefined) {
    s = opts.exclusiveMin
      ? s.gt(min, { error: (iss) => `must be > ${min}, got ${show(iss.input)}` })
      : s.min(min, { error: (iss) => `must be ≥ ${min}, got ${show(iss.input)}` });
  }
  if (opts.max !== undefined) s = s.max(opts.max, { error: (iss) => `must be ≤ ${opts.max}, got ${show(iss.input)}` });
  return s;
};
const int = (min?: number, max?: number): z.ZodNumber => num("a whole number", min, max !== undefined ? { int: true, max } : { int: true });
const ms = (min = 0): z.ZodNumber => num("a time in milliseconds", min);
const str = (what = "a string"): z.ZodString =>
  z.string({ error: (iss) => `expected ${what}, got ${show(iss.input)}` }).min(1, { error: `expected ${what}, got an empty string` });
const bool = (): z.ZodBoolean => z.boolean({ error: (iss) => `expected true or false, got ${show(iss.input)}` });
function oneOf<const T extends readonly [string, ...string[]]>(values: T): z.ZodEnum<{ [K in T[number]]: K }> {
  return z.enum(values, {
    error: (iss) => notAllowed(iss.input, values),
  });
}
function listOf<T extends z.ZodType>(item: T, what: string): z.ZodArray<T> {
  return z.array(item, { error: (iss) => `expected a list of ${what}, got ${show(iss.input)}` });
}

// ---------------------------------------------------------------------------------------------------------
// Kafka configs, from CONFIG_DEFS

function configValueSchema(def: ConfigDef): z.ZodType {
  const t = def.type;
  switch (t.kind) {
    case "int": {
      const s = int(t.min, t.max);
      return t.nullable ? s.nullable() : s;
    }
    case "bool":
      return bool();
    case "enum": {
      if (t.values.length === 0) return str(); // group.id: free text
      const values = t.values;
      return z.any().superRefine((v, ctx) => {
        const hit = values.some((a) => a === v || (typeof v === "string" && String(a) === v));
        if (!hit) ctx.addIssue({ code: "custom", message: notAllowed(v, values) });
      }).transform((v) => values.find((a) => a === v || String(a) === String(v)));
    }
  }
}

function configShape(scope: ConfigScope): Record<string, z.ZodType> {
  const shape: Record<string, z.ZodType> = {};
  for (const d of CONFIG_DEFS) {
    if (!d.scopes.includes(scope)) continue;
    const inner = configValueSchema(d);
    const v = (d.type.kind === "enum" && d.type.values.length > 0 ? inner.meta({ enum: [...d.type.values], description: d.doc }) : inner.describe(d.doc)).optional();
    shape[d.key] = v;
    for (const a of d.aliases ?? []) shape[a] = v;
  }
  return shape;
}

/** Kafka config of one scope: canonical dotted keys and camelCase aliases; unknown keys get a did-you-mean
 *  over the canonical keys (the aliases are accepted silently but not advertised). */
function configSchema(scope: ConfigScope): z.ZodType<Record<string, unknown>> {
  const allowed = configKeys(scope);
  return z.strictObject(configShape(scope), {
    error: (iss) => {
      if (iss.code === "unrecognized_keys") {
        const key = String(iss.keys[0]);
        const elsewhere = (["broker", "topic", "producer", "consumer"] as const).filter((s) => s !== scope && configDef(s, key) !== undefined);
        const dym = didYouMean(key, allowed);
        return `unknown ${scope} config "${key}"${elsewhere.length > 0 ? ` (it is a ${elsewhere.join("/")} config)` : ""}${dym !== undefined && elsewhere.length === 0 ? `; did you mean "${dym}"?` : ""} Allowed: ${allowed.join(", ")}`;
      }
      if (iss.code === "invalid_type") return `expected an object of ${scope} configs, got ${show(iss.input)}`;
      return undefined;
    },
  }) as unknown as z.ZodType<Record<string, unknown>>;
}

/** Canonical keys from a raw config object; both a key and its alias given is an error. */
function canonicalConfig(scope: ConfigScope, raw: Readonly<Record<string, unknown>>, path: IssuePath, issues: RawIssue[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const from: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    const def = configDef(scope, k);
    if (!def) continue;
    if (def.key in out) issues.push({ path: [...path, k], message: `"${k}" and "${from[def.key]}" both set ${def.key}; keep one` });
    out[def.key] = v;
    from[def.key] = k;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Lists the types only spell as unions

export const ANOMALY_TYPES = [
  "lost-write",
  "duplicate",
  "nonmonotonic-send",
  "uncommitted-read",
  "inconsistent-offsets",
  "poll-skip",
  "nonmonotonic-poll",
  "unseen",
  "phantom",
  "committed-unprocessed",
  "processed-twice",
  "log-divergence",
  "leader-incomplete",
  "strong-isr",
] as const satisfies readonly AnomalyType[];
type MissingAnomaly = Exclude<AnomalyType, (typeof ANOMALY_TYPES)[number]>;
const _allAnomalies: MissingAnomaly extends never ? true : never = true;

export const VERDICTS = ["valid", "allowed", "liveness", "bug"] as const satisfies readonly Verdict[];

export const FAULT_EVENTS = [
  "produce-acked",
  "produce-failed",
  "leader-change",
  "isr-shrink",
  "isr-expand",
  "session-expired",
  "controller-change",
  "consumer-poll",
  "commit",
  "rebalance",
] as const satisfies readonly FaultEvent[];
const _allEvents: Exclude<FaultEvent, (typeof FAULT_EVENTS)[number]> extends never ? true : never = true;

export const FAULT_KINDS = [
  "kill",
  "power",
  "stop",
  "restart",
  "pause",
  "resume",
  "expire-session",
  "partition",
  "partition-oneway",
  "isolate",
  "heal",
  "slow",
  "flaky",
  "downstream-down",
] as const satisfies readonly FaultKind[];
const _allKinds: Exclude<FaultKind, (typeof FAULT_KINDS)[number]> extends never ? true : never = true;

export const BUG_SWITCHES = [
  "ackBeforeReplication",
  "readAboveHighWatermark",
  "skipTruncation",
  "electOutOfSync",
  "acceptStaleEpoch",
  "commitBeforeProcessing",
] as const satisfies readonly (keyof BugSwitches)[];
const _allBugs: Exclude<keyof BugSwitches, (typeof BUG_SWITCHES)[number]> extends never ? true : never = true;
void [_allAnomalies, _allEvents, _allKinds, _allBugs];

// ---------------------------------------------------------------------------------------------------------
// The written form

const TARGET_HELP = "a fault target is a broker id (2), controller, coordinator, a client id (p1, g1, g1/0), { leaderOf: orders-0 }, { followersOf: orders-0 }, { broker: 2 } or { client: p1 }";

const targetSchema = z.union(
  [
    z.number().int().min(1),
    z.string().min(1),
    z.strictObject({ leaderOf: z.string().min(1) }),
    z.strictObject({ followersOf: z.string().min(1) }),
    z.strictObject({ broker: z.number().int().min(1) }),
    z.strictObject({ client: z.string().min(1) }),
    z.strictObject({ controller: z.literal(true) }),
    z.strictObject({ coordinator: z.literal(true) }),
  ],
  { error: (iss) => `${show(iss.input)} is not a fault target: ${TARGET_HELP}` },
);
type RawTarget = z.infer<typeof targetSchema>;
const targetsSchema = z.union([targetSchema, z.array(targetSchema)], { error: (iss) => `${show(iss.input)} is not a fault target or a list of them: ${TARGET_HELP}` });

const latencySchema = z.discriminatedUnion(
  "dist",
  [
    strict({ dist: z.literal("constant"), valueMs: ms() }),
    strict({ dist: z.literal("uniform"), minMs: ms(), maxMs: ms() }),
    strict({ dist: z.literal("exponential"), meanMs: ms(), minMs: ms().optional() }),
    strict({ dist: z.literal("lognormal"), medianMs: ms(), sigma: num("a number", 0) }),
    strict({ dist: z.literal("pareto"), scaleMs: ms(), shape: num("a number", 0, { exclusiveMin: true }) }),
  ],
  { error: (iss) => `${iss.input === undefined ? "missing dist" : `dist ${show((iss.input as { dist?: unknown } | undefined)?.dist ?? iss.input)} is not allowed`}; allowed: constant, uniform, exponential, lognormal, pareto` },
);

const FAULT_KIND_KEYS: Record<string, FaultKind> = Object.fromEntries([
  ...FAULT_KINDS.map((k) => [k, k] as const),
  ["expireSession", "expire-session"],
  ["partitionOneway", "partition-oneway"],
  ["oneway", "partition-oneway"],
  ["downstreamDown", "downstream-down"],
  ["powerLoss", "power"],
  ["power-loss", "power"],
]);

const faultShape = {
  at: ms().optional(),
  on: strict({ event: oneOf(FAULT_EVENTS), count: int(1).optional(), partition: str("a topic-partition like orders-0").optional() }).optional(),
  afterMs: ms().optional(),
  durationMs: ms().optional(),
  factor: num("a factor", 0, { exclusiveMin: true }).optional(),
  lossProb: num("a probability", 0, { max: 1 })
    .describe("flaky: the probability that each transmission on the target's links is lost; a lost one is retransmitted as TCP does (after 200 ms, doubling per loss, at most 120 s; later messages wait behind it), and 15 lost retransmissions in a row reset the connection")
    .optional(),
  ...Object.fromEntries(Object.keys(FAULT_KIND_KEYS).map((k) => [k, z.unknown().optional()])),
} as Record<string, z.ZodType>;

const faultSchema = strict(faultShape, "a fault like { at: 5000, kill: 2 }", ["at", "on", "afterMs", ...FAULT_KINDS, "durationMs", "factor", "lossProb"]);

const processingSchema = strict({
  timeMs: ms().optional(),
  failureProb: num("a probability", 0, { max: 1 }).optional(),
  retries: int(0).optional(),
  retryBackoffMs: ms().optional(),
  onFailure: oneOf(["skip", "dead-letter"]).optional(),
  deadLetterTopic: str("a topic name").optional(),
  commit: oneOf(["before-processing", "after-processing", "auto"]).optional(),
  commitEvery: oneOf(["record", "batch", "interval"]).optional(),
  commitIntervalMs: ms(1).optional(),
  commitMode: oneOf(["sync", "async"]).optional(),
  async: bool().optional(),
  state: oneOf(["none", "memory", "stored"]).optional(),
});

const fn = <T>(what: string): z.ZodType<T> => z.custom<T>((v) => typeof v === "function", { error: `expected a function (${what})` });

const producerSchema = strict({
  id: str("a producer id"),
  topic: str("a topic name"),
  ratePerSec: num("records per second", 0, { exclusiveMin: true }).optional(),
  messages: int(0).optional(),
  startMs: ms().optional(),
  keys: int(0).optional(),
  config: configSchema("producer").optional(),
  onFailure: oneOf(["drop", "log", "halt", "dead-letter"]).optional(),
  deadLetterTopic: str("a topic name").optional(),
  logic: fn<ProducerLogic>("TypeScript form only").optional(),
});

const consumerSchema = strict({
  group: str("a group id"),
  members: int(1, 64).optional(),
  topic: str("a topic name").optional(),
  topics: listOf(str("a topic name"), "topic names").optional(),
  startMs: ms().optional(),
  config: configSchema("consumer").optional(),
  processing: processingSchema.optional(),
  handler: fn<ConsumerHandler>("TypeScript form only").optional(),
});

const topicSchema = strict({
  name: str("a topic name"),
  partitions: int(1, 1000).optional(),
  "replication.factor": int(1).optional(),
  replicationFactor: int(1).optional(),
  config: configSchema("topic").optional(),
  ...(configShape("topic") as Record<string, z.ZodType>),
});

const protocolSchema = z.preprocess(
  (v) => (typeof v === "number" ? (PROTOCOL_VERSIONS.find((p) => Number(p) === v) ?? v) : v),
  z.enum(PROTOCOL_VERSIONS, {
    error: (iss) => `protocol ${show(iss.input)} is not modelled; allowed: ${PROTOCOL_VERSIONS.join(", ")} (write it quoted: "0.10")`,
  }),
);

const seedSchema = z.union([z.number().int().refine((n) => Number.isSafeInteger(n)), z.string().min(1)], {
  error: (iss) => `seed must be a whole number or a non-empty string, got ${show(iss.input)}`,
});

export const scenarioSchema = strict({
  name: str("a scenario name").optional(),
  description: z.string({ error: (iss) => `expected a description, got ${show(iss.input)}` }).optional(),
  seed: seedSchema.optional(),
  durationMs: ms(1).optional(),
  drainMs: ms(0).optional(),
  protocol: protocolSchema.optional(),
  brokers: int(1, 100).optional(),
  broker: configSchema("broker").optional(),
  topics: listOf(topicSchema, "topics").optional(),
  network: strict({ latency: latencySchema.optional() }).optional(),
  producers: listOf(producerSchema, "producers").optional(),
  consumers: listOf(consumerSchema, "consumer groups").optional(),
  faults: listOf(faultSchema, "faults").optional(),
  bugs: strict(Object.fromEntries(BUG_SWITCHES.map((b) => [b, bool().optional()]))).optional(),
  expect: strict({
    verdict: oneOf(VERDICTS).optional(),
    anomalies: listOf(oneOf(ANOMALY_TYPES), "anomaly types").optional(),
    absent: listOf(oneOf(ANOMALY_TYPES), "anomaly types").optional(),
  }).optional(),
});

/** The written form of a scenario (YAML, JSON or the TypeScript object of defineScenario). */
export type ScenarioFileInput = z.input<typeof scenarioSchema>;
type RawScenario = z.output<typeof scenarioSchema>;

// ---------------------------------------------------------------------------------------------------------
// Normalisation

interface RawIssue {
  readonly path: IssuePath;
  readonly message: string;
  /** Point at the key rather than its value (unknown keys). */
  readonly atKey?: boolean;
}

function zodIssues(err: z.ZodError): RawIssue[] {
  const out: RawIssue[] = [];
  for (const iss of err.issues) {
    const path = iss.path.map((p) => (typeof p === "symbol" ? String(p) : p));
    if (iss.code === "unrecognized_keys") out.push({ path: [...path, String(iss.keys[0])], message: iss.message, atKey: true });
    else if (iss.code === "invalid_type" && iss.input === undefined) out.push({ path, message: `missing required key "${String(path[path.length - 1])}"`, atKey: true });
    else out.push({ path, message: iss.message });
  }
  return out;
}

function faultTarget(t: RawTarget): FaultTarget {
  if (typeof t === "number") return { broker: t };
  if (typeof t === "string") {
    if (t === "controller") return { controller: true };
    if (t === "coordinator" || t === "zk" || t === "zookeeper") return { coordinator: true };
    const b = /^(?:broker-?)?(\d+)$/.exec(t);
    if (b) return { broker: Number(b[1]) };
    const l = /^leader(?:Of|-of| of)\s*[:(]?\s*([^)\s]+)\)?$/.exec(t);
    if (l) return { leaderOf: l[1] as string };
    return { client: t };
  }
  return t as FaultTarget;
}

function asTargets(v: unknown): FaultTarget[] | undefined {
  const r = targetsSchema.safeParse(v);
  if (!r.success) return undefined;
  return (Array.isArray(r.data) ? r.data : [r.data]).map(faultTarget);
}

const PARAMS_OF: Partial<Record<FaultKind, readonly string[]>> = {
  pause: ["durationMs"],
  slow: ["factor"],
  flaky: ["lossProb"],
  "downstream-down": ["durationMs"],
};

function normaliseFault(raw: Record<string, unknown>, path: IssuePath, issues: RawIssue[]): Fault | undefined {
  const kindKeys = Object.keys(raw).filter((k) => k in FAULT_KIND_KEYS && raw[k] !== undefined);
  if (kindKeys.length === 0) {
    issues.push({ path, message: `a fault needs one action: ${FAULT_KINDS.join(", ")} (e.g. { at: 5000, kill: 2 })` });
    return undefined;
  }
  if (kindKeys.length > 1) {
    issues.push({ path: [...path, kindKeys[1] as string], message: `one action per fault; this one has ${kindKeys.join(" and ")}: split it into two faults`, atKey: true });
    return undefined;
  }
  const key = kindKeys[0] as string;
  const kind = FAULT_KIND_KEYS[key] as FaultKind;
  const value = raw[key];
  const vpath = [...path, key];
  const hasAt = raw.at !== undefined;
  const on = raw.on as { event: FaultEvent; count?: number; partition?: string } | undefined;
  if (hasAt === (on !== undefined)) {
    issues.push({ path, message: hasAt ? "a fault has either at: <ms> or on: { event, ... }, not both" : "a fault needs a trigger: at: <ms> or on: { event: produce-acked, count: 100 }" });
    return undefined;
  }
  if (raw.afterMs !== undefined && hasAt) {
    issues.push({ path: [...path, "afterMs"], message: "afterMs only applies to an event trigger (on:); with at: put the delay in at", atKey: true });
  }
  const allowedParams = PARAMS_OF[kind] ?? [];
  for (const p of ["durationMs", "factor", "lossProb"]) {
    if (raw[p] !== undefined && !allowedParams.includes(p)) {
      issues.push({ path: [...path, p], message: `${p} does not apply to ${kind}${allowedParams.length > 0 ? `; ${kind} takes ${allowedParams.join(", ")}` : ""}`, atKey: true });
    }
  }
  const need = (p: string): number | undefined => {
    const v = raw[p];
    if (v === undefined) issues.push({ path, message: `${kind} needs ${p} (e.g. { at: 5000, ${key}: ${kind === "downstream-down" ? "g1" : "2"}, ${p}: ${p === "lossProb" ? 0.1 : p === "factor" ? 10 : 3000} })` });
    return v as number | undefined;
  };
  const target = (): FaultTarget | undefined => {
    const ts = asTargets(value);
    if (ts === undefined || Array.isArray(value)) {
      issues.push({ path: vpath, message: `${show(value)} is not a fault target: ${TARGET_HELP}` });
      return undefined;
    }
    return ts[0];
  };
  const targetList = (v: unknown, p: IssuePath): FaultTarget[] | undefined => {
    const ts = asTargets(v);
    if (ts === undefined) issues.push({ path: p, message: `${show(v)} is not a fault target or a list of them: ${TARGET_HELP}` });
    return ts;
  };

  let action: FaultAction | undefined;
  switch (kind) {
    case "kill":
    case "power":
    case "stop":
    case "restart":
    case "resume":
    case "isolate":
    case "expire-session": {
      const t = target();
      if (t) action = { kind, target: t };
      break;
    }
    case "pause": {
      const t = target();
      if (t) action = raw.durationMs !== undefined ? { kind, target: t, durationMs: raw.durationMs as number } : { kind, target: t };
      break;
    }
    case "slow": {
      const t = target();
      const f = need("factor");
      if (t && f !== undefined) action = { kind, target: t, factor: f };
      break;
    }
    case "flaky": {
      const t = target();
      const p = need("lossProb");
      if (t && p !== undefined) action = { kind, target: t, lossProb: p };
      break;
    }
    case "heal": {
      if (value === "all" || value === true || value === null) action = { kind };
      else {
        const t = target();
        if (t) action = { kind, target: t };
      }
      break;
    }
    case "partition": {
      if (!Array.isArray(value) || value.length < 2) {
        issues.push({ path: vpath, message: `partition takes two or more groups of nodes that cannot talk to each other, e.g. [[1], [2, 3, coordinator]]; got ${show(value)}` });
        break;
      }
      const groups: FaultTarget[][] = [];
      value.forEach((g, gi) => {
        const ts = targetList(g, [...vpath, gi]);
        if (ts) groups.push(ts);
      });
      if (groups.length === value.length) action = { kind, groups };
      break;
    }
    case "partition-oneway": {
      const v = value as { from?: unknown; to?: unknown } | null;
      if (v === null || typeof v !== "object" || Array.isArray(v) || v.from === undefined || v.to === undefined || Object.keys(v).some((k) => k !== "from" && k !== "to")) {
        issues.push({ path: vpath, message: `partition-oneway takes { from: <targets>, to: <targets> } (messages from → to are lost); got ${show(value)}` });
        break;
      }
      const from = targetList(v.from, [...vpath, "from"]);
      const to = targetList(v.to, [...vpath, "to"]);
      if (from && to) action = { kind, from, to };
      break;
    }
    case "downstream-down": {
      const d = need("durationMs");
      if (typeof value !== "string" || value === "") issues.push({ path: vpath, message: `downstream-down takes a consumer group id, got ${show(value)}` });
      else if (d !== undefined) action = { kind, group: value, durationMs: d };
      break;
    }
  }
  if (!action) return undefined;
  if (hasAt) return { atMs: raw.at as number, action };
  const trigger: { event: FaultEvent; count?: number; partition?: string } = { event: (on as { event: FaultEvent }).event };
  if (on?.count !== undefined) trigger.count = on.count;
  if (on?.partition !== undefined) trigger.partition = on.partition;
  return raw.afterMs !== undefined ? { on: trigger, afterMs: raw.afterMs as number, action } : { on: trigger, action };
}

function normalise(raw: RawScenario, issues: RawIssue[], defaultName: string | undefined): Scenario | undefined {
  const brokers = raw.brokers ?? 3;
  const topics: TopicInput[] = (raw.topics ?? [{ name: "orders" }]).map((t, i) => {
    const path = ["topics", i];
    const rt = t as Record<string, unknown> & { name: string; partitions?: number; config?: Record<string, unknown> };
    if (rt["replication.factor"] !== undefined && rt.replicationFactor !== undefined) {
      issues.push({ path: [...path, "replicationFactor"], message: `"replicationFactor" and "replication.factor" both set; keep one`, atKey: true });
    }
    const rf = (rt["replication.factor"] ?? rt.replicationFactor) as number | undefined;
    const inline: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(rt)) if (configDef("topic", k) !== undefined) inline[k] = v;
    const cfg = { ...canonicalConfig("topic", inline, path, issues), ...canonicalConfig("topic", rt.config ?? {}, [...path, "config"], issues) };
    const out: { -readonly [K in keyof TopicInput]: TopicInput[K] } = { name: rt.name, config: cfg };
    if (rt.partitions !== undefined) out.partitions = rt.partitions;
    if (rf !== undefined) out["replication.factor"] = rf;
    return out;
  });
  const producers: ProducerInput[] = (raw.producers ?? []).map((p, i) => {
    const config = canonicalConfig("producer", p.config ?? {}, ["producers", i, "config"], issues);
    const { config: _c, ...rest } = p;
    return { ...stripUndefined(rest), config, explicit: Object.keys(config) } as ProducerInput;
  });
  const consumers: ConsumerInput[] = (raw.consumers ?? []).map((c, i) => {
    const path = ["consumers", i];
    const config = canonicalConfig("consumer", c.config ?? {}, [...path, "config"], issues);
    if (config["group.id"] !== undefined && config["group.id"] !== c.group) {
      issues.push({ path: [...path, "config", "group.id"], message: `group.id "${String(config["group.id"])}" differs from the entry's group "${c.group}"; set the group with group: only` });
    }
    let topics: string[];
    if (c.topic !== undefined && c.topics !== undefined) {
      issues.push({ path: [...path, "topics"], message: "give topic or topics, not both", atKey: true });
      topics = [];
    } else if (c.topic !== undefined) topics = [c.topic];
    else if (c.topics !== undefined && c.topics.length > 0) topics = c.topics;
    else {
      issues.push({ path, message: `consumer group "${c.group}" needs a topic: topic: orders (or topics: [orders, payments])` });
      topics = [];
    }
    const { config: _c, topic: _t, topics: _ts, processing, ...rest } = c;
    const out = { ...stripUndefined(rest), topics, config, explicit: Object.keys(config) } as Mutable<ConsumerInput>;
    if (processing) out.processing = stripUndefined(processing) as ConsumerInput["processing"] & object;
    return out;
  });
  const faults: Fault[] = [];
  (raw.faults ?? []).forEach((f, i) => {
    const nf = normaliseFault(f as Record<string, unknown>, ["faults", i], issues);
    if (nf) faults.push(nf);
  });
  if (issues.length > 0) return undefined;
  const bugs: Record<string, boolean> = {};
  for (const [k, v] of Object.entries(raw.bugs ?? {})) if (v !== undefined) bugs[k] = v as boolean;
  const expect = raw.expect ? (stripUndefined(raw.expect) as Scenario["expect"]) : undefined;
  return buildScenario({
    name: raw.name ?? defaultName ?? "unnamed",
    ...(raw.description !== undefined ? { description: raw.description } : {}),
    ...(raw.seed !== undefined ? { seed: raw.seed } : {}),
    ...(raw.durationMs !== undefined ? { durationMs: raw.durationMs } : {}),
    ...(raw.drainMs !== undefined ? { drainMs: raw.drainMs } : {}),
    ...(raw.protocol !== undefined ? { protocol: raw.protocol } : {}),
    brokers,
    broker: canonicalConfig("broker", raw.broker ?? {}, ["broker"], issues) as unknown as Scenario["broker"],
    topics,
    network: raw.network?.latency ? { latency: raw.network.latency as LatencyDist } : {},
    producers,
    consumers,
    faults,
    bugs,
    ...(expect !== undefined ? { expect } : {}),
  });
}

function stripUndefined<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

// ---------------------------------------------------------------------------------------------------------
// Semantic checks on a normalised scenario (names that must exist, Kafka's config conflicts)

/** Problems a valid shape can still have: unknown topics, brokers, clients; replication factor > brokers;
 *  Kafka's idempotence conflicts. Paths are in the written form's terms. */
export function checkScenario(s: Scenario): RawIssue[] {
  const issues: RawIssue[] = [];
  const topicNames = s.topics.map((t) => t.name);
  const topicByName = new Map<string, TopicSpec>();
  s.topics.forEach((t, i) => {
    if (topicByName.has(t.name)) issues.push({ path: ["topics", i, "name"], message: `topic "${t.name}" is declared twice` });
    topicByName.set(t.name, t);
    if (t["replication.factor"] > s.brokers) {
      issues.push({ path: ["topics", i, "replication.factor"], message: `replication.factor ${t["replication.factor"]} is larger than the number of brokers (${s.brokers}); allowed: 1..${s.brokers}` });
    }
  });
  const unknownTopic = (name: string): string => {
    const dym = didYouMean(name, topicNames);
    return `unknown topic "${name}"${dym !== undefined ? `; did you mean "${dym}"?` : ""} Topics: ${topicNames.join(", ") || "(none)"}`;
  };
  const clients = new Set<string>();
  s.producers.forEach((p, i) => {
    if (clients.has(p.id)) issues.push({ path: ["producers", i, "id"], message: `client id "${p.id}" is used twice` });
    clients.add(p.id);
    if (!topicByName.has(p.topic)) issues.push({ path: ["producers", i, "topic"], message: unknownTopic(p.topic) });
    const c = p.config;
    if (p.explicit.includes("enable.idempotence") && c["enable.idempotence"]) {
      // ProducerConfig.postProcessAndValidateIdempotenceConfigs: an explicit enable.idempotence=true conflicting
      // with acks / retries / max.in.flight is a ConfigException (fact 16).
      const conflict =
        c.acks !== "all" && c.acks !== -1
          ? `acks=all (got acks=${c.acks})`
          : c.retries === 0
            ? "retries > 0 (got 0)"
            : c["max.in.flight.requests.per.connection"] > 5
              ? `max.in.flight.requests.per.connection ≤ 5 (got ${c["max.in.flight.requests.per.connection"]})`
              : undefined;
      if (conflict !== undefined) issues.push({ path: ["producers", i, "config", "enable.idempotence"], message: `enable.idempotence=true needs ${conflict}; Kafka rejects this producer config` });
    }
  });
  const groups = new Map<string, ConsumerSpec>();
  s.consumers.forEach((c, i) => {
    if (clients.has(c.group) || groups.has(c.group)) issues.push({ path: ["consumers", i, "group"], message: `client id "${c.group}" is used twice (producer ids and groups must differ)` });
    groups.set(c.group, c);
    const session = c.config["session.timeout.ms"];
    const [minS, maxS] = [s.broker["group.min.session.timeout.ms"], s.broker["group.max.session.timeout.ms"]];
    if (session < minS || session > maxS) {
      // GroupCoordinator.handleJoinGroup: INVALID_SESSION_TIMEOUT outside the broker's bounds.
      issues.push({ path: ["consumers", i, "config", "session.timeout.ms"], message: `session.timeout.ms ${session} is outside the broker's group.min/max.session.timeout.ms (${minS}..${maxS}); Kafka rejects the join with INVALID_SESSION_TIMEOUT. Lower broker.group.min.session.timeout.ms or raise session.timeout.ms` });
    }
    if (c.config["heartbeat.interval.ms"] >= session) {
      issues.push({ path: ["consumers", i, "config", "heartbeat.interval.ms"], message: `heartbeat.interval.ms ${c.config["heartbeat.interval.ms"]} must be lower than session.timeout.ms ${session}` });
    }
    c.topics.forEach((t, j) => {
      if (!topicByName.has(t)) issues.push({ path: c.topics.length === 1 ? ["consumers", i, "topic"] : ["consumers", i, "topics", j], message: unknownTopic(t) });
    });
  });
  const clientIds = [...clients, ...groups.keys(), ...[...groups.values()].flatMap((g) => Array.from({ length: g.members }, (_, m) => `${g.group}/${m}`))];
  const checkTp = (tp: string, path: IssuePath): void => {
    const m = /^(.+)-(\d+)$/.exec(tp);
    const t = m ? topicByName.get(m[1] as string) : undefined;
    if (!m) issues.push({ path, message: `"${tp}" is not a topic-partition; write it like ${topicNames[0] ?? "orders"}-0` });
    else if (!t) issues.push({ path, message: unknownTopic(m[1] as string) });
    else if (Number(m[2]) >= t.partitions) issues.push({ path, message: `topic ${t.name} has ${t.partitions} partition(s); allowed: ${t.name}-0..${t.name}-${t.partitions - 1}` });
  };
  const checkTarget = (t: FaultTarget, path: IssuePath): void => {
    if ("broker" in t) {
      if (!(t.broker >= 1 && t.broker <= s.brokers)) issues.push({ path, message: `there is no broker ${t.broker}; brokers are 1..${s.brokers}` });
    } else if ("leaderOf" in t) checkTp(t.leaderOf, [...path, "leaderOf"]);
    else if ("followersOf" in t) checkTp(t.followersOf, [...path, "followersOf"]);
    else if ("client" in t && !clientIds.includes(t.client)) {
      const dym = didYouMean(t.client, [...clientIds, "controller", "coordinator"]);
      issues.push({ path, message: `there is no node "${t.client}"${dym !== undefined ? `; did you mean "${dym}"?` : ""} Nodes: brokers 1..${s.brokers}, controller, coordinator${clientIds.length > 0 ? `, ${clientIds.join(", ")}` : ""}` });
    }
  };
  s.faults.forEach((f, i) => {
    const path: IssuePath = ["faults", i];
    if ("on" in f && f.on.partition !== undefined) checkTp(f.on.partition, [...path, "on", "partition"]);
    const a = f.action;
    const kpath: IssuePath = [...path, a.kind];
    switch (a.kind) {
      case "partition": {
        const seen = new Map<string, string>();
        a.groups.forEach((g, gi) =>
          g.forEach((t, ti) => {
            checkTarget(t, [...kpath, gi, ti]);
            const k = JSON.stringify(t);
            if (seen.has(k)) issues.push({ path: [...kpath, gi, ti], message: `${JSON.stringify(t)} is in two groups; each node may be in one group only` });
            seen.set(k, k);
          }),
        );
        break;
      }
      case "partition-oneway":
        a.from.forEach((t, ti) => checkTarget(t, [...kpath, "from", ti]));
        a.to.forEach((t, ti) => checkTarget(t, [...kpath, "to", ti]));
        break;
      case "heal":
        if (a.target) checkTarget(a.target, kpath);
        break;
      case "downstream-down":
        if (!groups.has(a.group)) {
          const dym = didYouMean(a.group, [...groups.keys()]);
          issues.push({ path: kpath, message: `there is no consumer group "${a.group}"${dym !== undefined ? `; did you mean "${dym}"?` : ""} Groups: ${[...groups.keys()].join(", ") || "(none)"}` });
        }
        break;
      default:
        checkTarget(a.target, kpath);
    }
    if ("atMs" in f && f.atMs > s.durationMs) {
      issues.push({ path: [...path, "at"], message: `at ${f.atMs} is after the workload phase ends (durationMs ${s.durationMs}); faults do not fire during the drain` });
    }
  });
  return issues;
}

// ---------------------------------------------------------------------------------------------------------
// Entry points

export interface NormaliseOptions {
  /** Maps an issue path to a line and column (the YAML parser's node ranges); absent for TS objects. */
  readonly locate?: (path: IssuePath, atKey: boolean) => { line: number; column: number } | undefined;
  readonly file?: string;
  /** Name when the input has none (the file's base name). */
  readonly defaultName?: string;
}

function toError(raw: readonly RawIssue[], opts: NormaliseOptions): ScenarioError {
  const issues = raw.map((r) => {
    const pos = opts.locate?.(r.path, r.atKey ?? false);
    return { path: pathToString(r.path), line: pos?.line ?? 0, column: pos?.column ?? 0, message: r.message };
  });
  issues.sort((a, b) => a.line - b.line || a.column - b.column);
  return new ScenarioError(issues, opts.file);
}

/** Validate any value (parsed YAML/JSON or a TypeScript object) into a normalised Scenario, or throw ScenarioError. */
export function normalizeScenario(input: unknown, opts: NormaliseOptions = {}): Scenario {
  if (input === null || input === undefined) throw toError([{ path: [], message: "the scenario is empty; start with name:, brokers:, topics:, producers:" }], opts);
  const r = scenarioSchema.safeParse(input, { reportInput: true });
  if (!r.success) throw toError(zodIssues(r.error), opts);
  const issues: RawIssue[] = [];
  const s = normalise(r.data, issues, opts.defaultName);
  if (!s || issues.length > 0) throw toError(issues, opts);
  const semantic = checkScenario(s);
  if (semantic.length > 0) throw toError(semantic, opts);
  return s;
}

/** The typed TypeScript form: `export default defineScenario({ ... })`. */
export function defineScenario(input: ScenarioFileInput): Scenario {
  return normalizeScenario(input);
}

/** The JSON Schema of scenario files (scenarios/schema.json), for editors. */
export function scenarioJsonSchema(): Record<string, unknown> {
  const js = z.toJSONSchema(scenarioSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return { ...js, title: "kafkasim scenario", description: "A kafkasim scenario file (YAML or JSON). Kafka config keys use Kafka's dotted names; defaults are Kafka 3.x." };
}

// ---------------------------------------------------------------------------------------------------------
// --set key=value

const SCENARIO_FIELDS: Record<string, z.ZodType> = {
  seed: seedSchema,
  protocol: protocolSchema,
  brokers: int(1, 100),
  durationMs: ms(1),
  drainMs: ms(0),
  name: str(),
};

function parseScalar(text: string): unknown {
  const t = text.trim();
  if (t === "true") return true;
  if (t === "false") return false;
  if (t === "null") return null;
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  return t.replace(/^(["'])(.*)\1$/, "$2");
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Apply `--set key=value` overrides: a Kafka key (every scope that has it), a scoped key (`producer.acks=1`,
 *  `broker.min.insync.replicas=2`, `consumer.…`, `topic.…`), a scenario field (`protocol=0.10`, `brokers=5`,
 *  `seed=7`, `durationMs=…`) or a seeded bug (`bugs.skipTruncation=true`). Validated like a file. */
export function applyOverrides(scenario: Scenario, sets: readonly string[]): Scenario {
  let s: Mutable<Scenario> = { ...scenario };
  const issues: ScenarioIssue[] = [];
  const fail = (arg: string, message: string): void => {
    issues.push({ path: `--set ${arg}`, line: 0, column: 0, message });
  };
  const allKeys = [...new Set([...CONFIG_DEFS.map((d) => d.key), ...Object.keys(SCENARIO_FIELDS)])];
  for (const arg of sets) {
    const eq = arg.indexOf("=");
    if (eq <= 0) {
      fail(arg, "expected key=value, e.g. --set acks=1 or --set producer.acks=1");
      continue;
    }
    const key = arg.slice(0, eq).trim();
    const value = parseScalar(arg.slice(eq + 1));
    const field = SCENARIO_FIELDS[key];
    if (field) {
      const r = field.safeParse(value, { reportInput: true });
      if (!r.success) fail(arg, r.error.issues[0]?.message ?? "invalid value");
      else s = { ...s, [key]: r.data };
      continue;
    }
    const bug = /^bugs\.(.+)$/.exec(key);
    if (bug) {
      const name = bug[1] as string;
      if (!(BUG_SWITCHES as readonly string[]).includes(name)) {
        const dym = didYouMean(name, BUG_SWITCHES);
        fail(arg, `unknown bug switch "${name}"${dym !== undefined ? `; did you mean "${dym}"?` : ""} Allowed: ${BUG_SWITCHES.join(", ")}`);
      } else if (typeof value !== "boolean") fail(arg, `expected true or false, got ${show(value)}`);
      else s = { ...s, bugs: { ...s.bugs, [name]: value } };
      continue;
    }
    const scoped = /^(broker|topic|producer|consumer)\.(.+)$/.exec(key);
    const scopes: ConfigScope[] = scoped ? [scoped[1] as ConfigScope] : ["broker", "topic", "producer", "consumer"];
    const k = scoped ? (scoped[2] as string) : key;
    const defs = scopes.map((sc) => [sc, configDef(sc, k)] as const).filter((x): x is readonly [ConfigScope, ConfigDef] => x[1] !== undefined);
    if (defs.length === 0) {
      const pool = scoped ? configKeys(scopes[0] as ConfigScope) : allKeys;
      const dym = didYouMean(k, pool);
      fail(arg, `unknown ${scoped ? `${scoped[1]} config` : "key"} "${k}"${dym !== undefined ? `; did you mean "${dym}"?` : ""} Allowed: ${pool.join(", ")}`);
      continue;
    }
    const def = (defs[0] as readonly [ConfigScope, ConfigDef])[1];
    const r = configValueSchema(def).safeParse(value, { reportInput: true });
    if (!r.success) {
      fail(arg, `${def.key}: ${r.error.issues[0]?.message ?? "invalid value"}`);
      continue;
    }
    const v = r.data;
    for (const [scope] of defs) {
      switch (scope) {
        case "broker":
          s = { ...s, broker: { ...s.broker, [def.key]: v } };
          break;
        case "topic":
          // A scoped topic override applies to every topic; an unscoped key only replaces existing overrides
          // (the broker value covers the rest).
          s = { ...s, topics: s.topics.map((t) => (scoped || def.key in t.config ? { ...t, config: { ...t.config, [def.key]: v } } : t)) };
          break;
        case "producer":
          s = { ...s, producers: s.producers.map((p) => ({ ...p, config: { ...p.config, [def.key]: v }, explicit: [...new Set([...p.explicit, def.key])] })) };
          break;
        case "consumer":
          if (def.key === "group.id") {
            fail(arg, "group.id is set by each consumers entry's group");
            break;
          }
          s = { ...s, consumers: s.consumers.map((c) => ({ ...c, config: { ...c.config, [def.key]: v }, explicit: [...new Set([...c.explicit, def.key])] })) };
          break;
      }
    }
  }
  if (issues.length === 0) {
    for (const r of checkScenario(s)) issues.push({ path: `${pathToString(r.path)} (after --set ${sets.join(" ")})`, line: 0, column: 0, message: r.message });
  }
  if (issues.length > 0) throw new ScenarioError(issues);
  return s;
}
