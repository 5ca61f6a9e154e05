// Kafka configs in scenario files, built from CONFIG_DEFS (sim/kafka/config.ts): one strict object per scope
// (broker, topic, producer, consumer) with Kafka's dotted keys and the kafkajs-style aliases, each value typed,
// ranged and enumerated from that one table; and the canonical form (aliases resolved) the simulator reads.
import { z } from "zod";
import { CONFIG_DEFS, configDef, configKeys } from "../kafka/config.ts";
import type { ConfigDef, ConfigScope } from "../kafka/config.ts";
import { didYouMean, notAllowed, show } from "./issues.ts";
import type { IssuePath, RawIssue } from "./issues.ts";
import { bool, int, str } from "./primitives.ts";

export function configValueSchema(def: ConfigDef): z.ZodType {
  const t = def.type;
  switch (t.kind) {
    case "int": {
      const s = int(t.min, t.max);
      return t.nullable ? s.nullable() : s;
    }
    case "bool":
      return t.nullable ? bool().nullable() : bool();
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

export function configShape(scope: ConfigScope): Record<string, z.ZodType> {
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
export function configSchema(scope: ConfigScope): z.ZodType<Record<string, unknown>> {
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
export function canonicalConfig(scope: ConfigScope, raw: Readonly<Record<string, unknown>>, path: IssuePath, issues: RawIssue[]): Record<string, unknown> {
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

