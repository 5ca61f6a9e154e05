// Kafka's producer config rules for idempotence (ProducerConfig.postProcessAndValidateIdempotenceConfigs, fact 16):
// idempotence needs acks=all, max.in.flight.requests.per.connection ≤ 5 and retries > 0. Set explicitly, a
// conflict is a ConfigException; left at its default, idempotence is silently turned off.
import { SimInputError } from "../core/errors.ts";
import { configDef } from "../kafka/config.ts";
import type { ProducerConfig } from "../kafka/config.ts";
import type { ProducerSpec } from "../scenario/types.ts";

export interface EffectiveProducerConfig {
  readonly config: ProducerConfig;
  readonly idempotent: boolean;
  /** Why idempotence was turned off, if it was only the default. */
  readonly idempotenceOffReason: string | null;
}

function isExplicit(spec: ProducerSpec, key: string): boolean {
  return spec.explicit.some((k) => k === key || configDef("producer", k)?.key === key);
}

export function effectiveProducerConfig(spec: ProducerSpec): EffectiveProducerConfig {
  const c = spec.config;
  if (!c["enable.idempotence"]) return { config: c, idempotent: false, idempotenceOffReason: null };
  const conflicts: { key: string; message: string }[] = [];
  if (c["max.in.flight.requests.per.connection"] > 5) conflicts.push({ key: "max.in.flight.requests.per.connection", message: "must be at most 5 when using the idempotent producer" });
  if (c.retries === 0) conflicts.push({ key: "retries", message: "must be non-zero when using the idempotent producer" });
  if (c.acks !== "all" && c.acks !== -1) conflicts.push({ key: "acks", message: "must be all (-1) to use the idempotent producer; otherwise idempotence cannot be guaranteed" });
  const first = conflicts[0];
  if (first === undefined) return { config: c, idempotent: true, idempotenceOffReason: null };
  if (isExplicit(spec, "enable.idempotence")) {
    throw new SimInputError("INVALID_CONFIG", `producer ${spec.id}: ${first.key} ${first.message} (enable.idempotence=true was set explicitly; set enable.idempotence=false or change ${first.key})`, `producers.${spec.id}.config.${first.key}`);
  }
  return { config: { ...c, "enable.idempotence": false }, idempotent: false, idempotenceOffReason: conflicts.map((x) => x.key).join(", ") };
}
