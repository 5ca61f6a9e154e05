// `--set key=value` (run, fuzz): Kafka keys (every scope that has them, or one scope: producer.acks=1),
// scenario fields (seed, protocol, brokers, durationMs, drainMs, name), the groups' delivery semantics
// (delivery=exactly-once) and seeded bugs (bugs.<name>=true),
// validated like a file and followed by the semantic checks.
import type { z } from "zod";
import { CONFIG_DEFS, configDef, configKeys } from "../kafka/config.ts";
import type { ConfigDef, ConfigScope } from "../kafka/config.ts";
import { ScenarioError, didYouMean, pathToString, show } from "./issues.ts";
import type { ScenarioIssue } from "./issues.ts";
import { int, ms, str } from "./primitives.ts";
import { configValueSchema } from "./config-schema.ts";
import { modeSchema, protocolSchema, seedSchema } from "./cluster-schema.ts";
import { BUG_SWITCHES } from "./names.ts";
import { checkScenario } from "./check.ts";
import { withDeliveryTimeout } from "./defaults.ts";
import type { Scenario } from "./types.ts";
import { DELIVERY_SEMANTICS, withDelivery } from "./delivery.ts";
import type { DeliverySemantics } from "./delivery.ts";

/** `--set delivery=exactly-once`: every consumer group a consume-transform-produce pipeline built for it
 *  (sim/scenario/delivery.ts, compare's `delivery` dimension). */
const DELIVERY_KEY = "delivery";
const isDelivery = (v: unknown): v is DeliverySemantics => (DELIVERY_SEMANTICS as readonly unknown[]).includes(v);

const SCENARIO_FIELDS: Record<string, z.ZodType> = {
  seed: seedSchema,
  protocol: protocolSchema,
  mode: modeSchema,
  controllers: int(1),
  brokers: int(1),
  controller: int(1),
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
export function applyOverrides(scenario: Scenario, sets: readonly string[], opts: { readonly externalClients?: boolean } = {}): Scenario {
  let s: Mutable<Scenario> = { ...scenario };
  const issues: ScenarioIssue[] = [];
  const fail = (arg: string, message: string): void => {
    issues.push({ path: `--set ${arg}`, line: 0, column: 0, message });
  };
  const allKeys = [...new Set([...CONFIG_DEFS.map((d) => d.key), ...Object.keys(SCENARIO_FIELDS), DELIVERY_KEY])];
  let delivery: DeliverySemantics | undefined;
  for (const arg of sets) {
    const eq = arg.indexOf("=");
    if (eq <= 0) {
      fail(arg, "expected key=value, e.g. --set acks=1 or --set producer.acks=1");
      continue;
    }
    const key = arg.slice(0, eq).trim();
    const value = parseScalar(arg.slice(eq + 1));
    if (key === DELIVERY_KEY) {
      if (isDelivery(value)) delivery = value;
      else fail(arg, `delivery: expected one of ${DELIVERY_SEMANTICS.join(", ")}, got ${show(value)}`);
      continue;
    }
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
          s = { ...s, producers: s.producers.map((p) => withDeliveryTimeout({ ...p, config: { ...p.config, [def.key]: v }, explicit: [...new Set([...p.explicit, def.key])] })) };
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
  // Last, so that the pipeline's own keys (enable.auto.commit=false, read_committed) win over the other sets.
  if (delivery !== undefined) {
    if (s.consumers.length === 0) fail(`${DELIVERY_KEY}=${delivery}`, "delivery makes each consumer group a consume-transform-produce pipeline; this scenario has no consumers");
    else s = withDelivery(s, delivery);
  }
  if (issues.length === 0) {
    for (const r of checkScenario(s, opts)) issues.push({ path: `${pathToString(r.path)} (after --set ${sets.join(" ")})`, line: 0, column: 0, message: r.message });
  }
  if (issues.length > 0) throw new ScenarioError(issues);
  return s;
}

/** What `--set` arguments fix, as canonical keys: "producer.acks" → 1, "broker.min.insync.replicas" → 2 (an
 *  unscoped Kafka key under every scope that has it), scenario fields under their own names ("protocol").
 *  Arguments that do not validate are left out (applyOverrides reports them). For fuzzing: a drawn value
 *  yields to a fixed one. */
export function fixedBySets(sets: readonly string[]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const arg of sets) {
    const eq = arg.indexOf("=");
    if (eq <= 0) continue;
    const key = arg.slice(0, eq).trim();
    const value = parseScalar(arg.slice(eq + 1));
    if (key === DELIVERY_KEY) {
      if (isDelivery(value)) out.set(key, value);
      continue;
    }
    const field = SCENARIO_FIELDS[key];
    if (field) {
      const r = field.safeParse(value);
      if (r.success) out.set(key, r.data);
      continue;
    }
    const scoped = /^(broker|topic|producer|consumer)\.(.+)$/.exec(key);
    const scopes: ConfigScope[] = scoped ? [scoped[1] as ConfigScope] : ["broker", "topic", "producer", "consumer"];
    for (const scope of scopes) {
      const def = configDef(scope, scoped ? (scoped[2] as string) : key);
      if (def === undefined) continue;
      const r = configValueSchema(def).safeParse(value);
      if (r.success) out.set(`${scope}.${def.key}`, r.data);
    }
  }
  return out;
}
