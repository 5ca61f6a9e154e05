// The cluster in scenario files: topics (partitions, replication factor, topic configs inline or under
// config:), the protocol version, the seed and the network's latency distribution.
import { z } from "zod";
import { PROTOCOL_VERSIONS, configDef } from "../kafka/config.ts";
import type { TopicInput } from "./defaults.ts";
import { show } from "./issues.ts";
import type { RawIssue } from "./issues.ts";
import { int, ms, num, str, strict } from "./primitives.ts";
import { canonicalConfig, configSchema, configShape } from "./config-schema.ts";

export const topicSchema = strict({
  name: str("a topic name"),
  partitions: int(1, 1000).optional(),
  "replication.factor": int(1).optional(),
  replicationFactor: int(1).optional(),
  config: configSchema("topic").optional(),
  ...(configShape("topic") as Record<string, z.ZodType>),
});

export const protocolSchema = z.preprocess(
  (v) => (typeof v === "number" ? (PROTOCOL_VERSIONS.find((p) => Number(p) === v) ?? v) : v),
  z.enum(PROTOCOL_VERSIONS, {
    error: (iss) => `protocol ${show(iss.input)} is not modelled; allowed: ${PROTOCOL_VERSIONS.join(", ")} (write it quoted: "0.10")`,
  }),
);

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
    return out;
  });
}
