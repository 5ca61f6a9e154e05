// The cluster in scenario files: topics (partitions, replication factor, a pinned replica assignment, topic
// configs inline or under config:), per-broker config overrides, the first controller, the protocol version,
// the seed, the network's latency distribution and the limits on a run's size.
import { z } from "zod";
import { PROTOCOL_VERSIONS, configDef } from "../kafka/config.ts";
import type { BrokerConfig } from "../kafka/config.ts";
import type { TopicInput } from "./defaults.ts";
import { show } from "./issues.ts";
import type { IssuePath, RawIssue } from "./issues.ts";
import { int, ms, num, oneOf, str, strict } from "./primitives.ts";
import { canonicalConfig, configSchema, configShape } from "./config-schema.ts";
import { LIMIT_DOCS, LIMIT_NAMES } from "./limits.ts";
import type { Limits } from "./types.ts";

const ASSIGNMENT_HELP = 'a replica assignment is one list of broker ids per partition, the first being the preferred leader: [[1, 2, 3], [2, 3, 1]], { 0: [1, 2, 3], 1: [2, 3, 1] } or kafka-topics\' "1:2:3,2:3:1"';

const brokerIdList = z.array(z.number().int().min(1));
export const replicaAssignmentSchema = z
  .union([z.string(), z.array(brokerIdList), z.record(z.string(), brokerIdList)], { error: (iss) => `${show(iss.input)} is not allowed: ${ASSIGNMENT_HELP}` })
  .describe("Pinned replicas per partition, as kafka-topics --replica-assignment (\"1:2:3,2:3:1\"), a list of lists or a map from partition to list; the first replica is the preferred leader. partitions and replication.factor follow from it.");

export const topicSchema = strict({
  name: str("a topic name"),
  partitions: int(1).optional(),
  "replication.factor": int(1).optional(),
  replicationFactor: int(1).optional(),
  replicaAssignment: replicaAssignmentSchema.optional(),
  config: configSchema("topic").optional(),
  ...(configShape("topic") as Record<string, z.ZodType>),
});

export const brokerOverridesSchema = z
  .record(z.string(), configSchema("broker"), { error: (iss) => `expected a map from broker id to broker configs, like { 2: { log.flush.interval.messages: 1 } }, got ${show(iss.input)}` })
  .describe("Per-broker config: broker id → Kafka broker keys that differ from broker: (each broker's own server.properties).");

export const controllerSchema = int(1).describe("The broker that becomes the first controller: it starts alone and the others start once it is elected (it registers first).");

export const limitsSchema = strict(
  Object.fromEntries(LIMIT_NAMES.map((k) => [k, int(1).describe(LIMIT_DOCS[k]).optional()])) as Record<keyof Limits, z.ZodOptional<z.ZodNumber>>,
).describe("Raised bounds on the size of a run (defaults: README, section Limits).");

export const protocolSchema = z.preprocess(
  (v) => (typeof v === "number" ? (PROTOCOL_VERSIONS.find((p) => Number(p) === v) ?? v) : v),
  z.enum(PROTOCOL_VERSIONS, {
    error: (iss) => `protocol ${show(iss.input)} is not modelled; allowed: ${PROTOCOL_VERSIONS.join(", ")} (write it quoted: "0.10")`,
  }),
);

export const modeSchema = oneOf(["zookeeper", "kraft"]).describe(
  "The control plane: zookeeper (the ZooKeeper-era controller) or kraft (a Raft quorum of controller nodes). 0.10–3.7 run zookeeper, 4.0 and 4.1 kraft; 3.9 either (default kraft).",
);

export const controllersSchema = int(1).describe("KRaft: the number of dedicated controller nodes (controller-1..N, the voters of __cluster_metadata); default 3.");

export const seedSchema = z.union([z.number().int().refine((n) => Number.isSafeInteger(n)), z.string().min(1)], {
  error: (iss) => `seed must be a whole number or a non-empty string, got ${show(iss.input)}`,
});

export const latencySchema = z.discriminatedUnion(
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

export function normaliseTopics(raw: readonly z.output<typeof topicSchema>[], issues: RawIssue[]): TopicInput[] {
  return raw.map((t, i) => {
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
    if (rt.replicaAssignment !== undefined) {
      const lists = replicaLists(rt.replicaAssignment, [...path, "replicaAssignment"], issues);
      if (lists !== undefined) {
        out.replicaAssignment = lists;
        out.partitions ??= lists.length;
        out["replication.factor"] ??= lists[0]?.length ?? 0;
      }
    }
    return out;
  });
}

/** The replica lists of a written assignment (a kafka-topics string, a list of lists or a partition map). */
function replicaLists(raw: unknown, path: IssuePath, issues: RawIssue[]): number[][] | undefined {
  if (typeof raw === "string") {
    // TopicCommand.parseReplicaAssignment: partitions separated by ",", replicas by ":".
    const lists: number[][] = [];
    for (const [p, part] of raw.split(",").entries()) {
      const ids = part.split(":").map((x) => x.trim());
      const bad = ids.find((x) => !/^\d+$/.test(x) || Number(x) < 1);
      if (bad !== undefined) {
        issues.push({ path, message: `partition ${p} of "${raw}": ${JSON.stringify(bad)} is not a broker id; ${ASSIGNMENT_HELP}` });
        return undefined;
      }
      lists.push(ids.map(Number));
    }
    return lists;
  }
  if (Array.isArray(raw)) return raw.map((l: number[]) => [...l]);
  const map = raw as Record<string, number[]>;
  const keys = Object.keys(map);
  const lists: number[][] = [];
  for (let p = 0; p < keys.length; p++) {
    const l = map[String(p)];
    if (l === undefined) {
      const odd = keys.find((k) => !/^\d+$/.test(k) || Number(k) >= keys.length) ?? String(p);
      issues.push({ path: [...path, odd], message: `partition ids must be 0..${keys.length - 1} (each once), got ${JSON.stringify(odd)}`, atKey: true });
      return undefined;
    }
    lists.push([...l]);
  }
  return lists;
}

/** Broker keys kafkasim reads once for the whole cluster (the world creates __consumer_offsets from them). */
const CLUSTER_WIDE_KEYS = ["offsets.topic.num.partitions", "offsets.topic.replication.factor"];

export function normaliseBrokerOverrides(raw: Readonly<Record<string, Record<string, unknown>>>, issues: RawIssue[]): Record<number, Partial<BrokerConfig>> {
  const out: Record<number, Partial<BrokerConfig>> = {};
  for (const [k, cfg] of Object.entries(raw)) {
    const path = ["brokerOverrides", k];
    const id = /^\d+$/.test(k.trim()) ? Number(k) : NaN;
    if (!(id >= 1)) {
      issues.push({ path, message: `${JSON.stringify(k)} is not a broker id; write { 2: { log.flush.interval.messages: 1 } }`, atKey: true });
      continue;
    }
    const c = canonicalConfig("broker", cfg, path, issues);
    for (const key of CLUSTER_WIDE_KEYS) {
      if (key in c) issues.push({ path: [...path, key], message: `${key} is cluster-wide here (the world creates __consumer_offsets once): set it under broker:`, atKey: true });
    }
    out[id] = c as Partial<BrokerConfig>;
  }
  return out;
}

export function normaliseLimits(raw: Readonly<Partial<Record<keyof Limits, number | undefined>>>, issues: RawIssue[]): Partial<Limits> {
  const out: Partial<Record<keyof Limits, number>> = {};
  for (const k of LIMIT_NAMES) {
    const v = raw[k];
    if (v === undefined) continue;
    if (k === "maxFileBytes") issues.push({ path: ["limits", k], message: `maxFileBytes is checked before the file is read: raise it with --limit maxFileBytes=${v}`, atKey: true });
    else out[k] = v;
  }
  return out;
}
