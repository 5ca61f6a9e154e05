// Scenario files: the zod schema of the written form (YAML, JSON or a TypeScript object), its normalisation
// into the Scenario the world runs, and the JSON Schema for editors. The parts live by concept: Kafka configs
// (config-schema.ts), topics and cluster fields (cluster-schema.ts), producers and consumer groups
// (client-schema.ts), faults (fault-schema.ts), the semantic checks (check.ts), `--set` (overrides.ts) and the
// errors (issues.ts); this file assembles them and re-exports the public surface.
import { z } from "zod";
import type { LatencyDist } from "../core/rng.ts";
import type { Fault } from "../faults/types.ts";
import { buildScenario } from "./defaults.ts";
import type { Limits, Scenario } from "./types.ts";
import { ScenarioError, pathToString, show } from "./issues.ts";
import type { IssuePath, RawIssue } from "./issues.ts";
import { bool, int, listOf, ms, oneOf, str, strict } from "./primitives.ts";
import { canonicalConfig, configSchema } from "./config-schema.ts";
import { ANOMALY_TYPES, BUG_SWITCHES, VERDICTS } from "./names.ts";
import { faultSchema, normaliseFault } from "./fault-schema.ts";
import { consumerSchema, normaliseConsumers, normaliseProducers, producerSchema, stripUndefined } from "./client-schema.ts";
import { brokerOverridesSchema, controllerSchema, controllersSchema, latencySchema, limitsSchema, modeSchema, normaliseBrokerOverrides, normaliseLimits, normaliseTopics, protocolSchema, seedSchema, topicSchema } from "./cluster-schema.ts";
import { checkScenario } from "./check.ts";

export { ScenarioError, didYouMean, formatIssue, formatScenarioError, pathToString } from "./issues.ts";
export type { IssuePath, ScenarioIssue } from "./issues.ts";
export { ANOMALY_TYPES, BUG_SWITCHES, FAULT_EVENTS, FAULT_KINDS, VERDICTS } from "./names.ts";
export { checkScenario } from "./check.ts";
export { applyOverrides, fixedBySets } from "./overrides.ts";

export const scenarioSchema = strict({
  name: str("a scenario name").optional(),
  description: z.string({ error: (iss) => `expected a description, got ${show(iss.input)}` }).optional(),
  seed: seedSchema.optional(),
  durationMs: ms(1).optional(),
  drainMs: ms(0).optional(),
  protocol: protocolSchema.optional(),
  mode: modeSchema.optional(),
  controllers: controllersSchema.optional(),
  brokers: int(1).optional(),
  broker: configSchema("broker").optional(),
  brokerOverrides: brokerOverridesSchema.optional(),
  controller: controllerSchema.optional(),
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
  limits: limitsSchema.optional(),
});

/** The written form of a scenario (YAML, JSON or the TypeScript object of defineScenario). */
export type ScenarioFileInput = z.input<typeof scenarioSchema>;
type RawScenario = z.output<typeof scenarioSchema>;

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

function normalise(raw: RawScenario, issues: RawIssue[], defaultName: string | undefined): Scenario | undefined {
  const brokers = raw.brokers ?? 3;
  const topics = normaliseTopics(raw.topics ?? [{ name: "orders" }], issues);
  const producers = normaliseProducers(raw.producers ?? [], issues);
  const consumers = normaliseConsumers(raw.consumers ?? [], issues);
  const brokerOverrides = raw.brokerOverrides !== undefined ? normaliseBrokerOverrides(raw.brokerOverrides, issues) : undefined;
  const limits = raw.limits !== undefined ? normaliseLimits(raw.limits, issues) : undefined;
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
    ...(raw.mode !== undefined ? { mode: raw.mode } : {}),
    ...(raw.controllers !== undefined ? { controllers: raw.controllers } : {}),
    brokers,
    broker: canonicalConfig("broker", raw.broker ?? {}, ["broker"], issues) as unknown as Scenario["broker"],
    ...(brokerOverrides !== undefined ? { brokerOverrides } : {}),
    ...(raw.controller !== undefined ? { controller: raw.controller } : {}),
    topics,
    network: raw.network?.latency ? { latency: raw.network.latency as LatencyDist } : {},
    producers,
    consumers,
    faults,
    bugs,
    ...(expect !== undefined ? { expect } : {}),
    ...(limits !== undefined ? { limits } : {}),
  });
}

// ---------------------------------------------------------------------------------------------------------
// Entry points

export interface NormaliseOptions {
  /** Maps an issue path to a line and column (the YAML parser's node ranges); absent for TS objects. */
  readonly locate?: (path: IssuePath, atKey: boolean) => { line: number; column: number } | undefined;
  readonly file?: string;
  /** Name when the input has none (the file's base name). */
  readonly defaultName?: string;
  /** Limits raised on the command line (--limit): over the scenario's own `limits:`. */
  readonly limits?: Partial<Limits>;
  /** Real clients will connect (kafkasim serve): a scenario without producers or consumers is fine. */
  readonly externalClients?: boolean;
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
  const parsed = normalise(r.data, issues, opts.defaultName);
  if (!parsed || issues.length > 0) throw toError(issues, opts);
  // maxFileBytes is the reader's (checked before the text exists), not the scenario's.
  const { maxFileBytes: _f, ...raised } = opts.limits ?? {};
  const s = Object.keys(raised).length > 0 ? { ...parsed, limits: { ...parsed.limits, ...raised } } : parsed;
  const semantic = checkScenario(s, { externalClients: opts.externalClients === true });
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

