// Delivery semantics as a scenario transform: every consumer group becomes a consume-transform-produce pipeline
// writing to "<its first topic>.out", built for at-most-once, at-least-once or exactly-once. Used by `compare`'s
// `delivery` dimension and by the fuzzer's drawn pipelines (properties/arbitraries.ts).
import type { Scenario } from "./types.ts";

/** The delivery semantics a consume-transform-produce group can be built for. */
export const DELIVERY_SEMANTICS = ["at-most-once", "at-least-once", "exactly-once"] as const;
export type DeliverySemantics = (typeof DELIVERY_SEMANTICS)[number];

/** The scenario with every group a pipeline built for `d`: at-most-once commits each batch before processing it;
 *  at-least-once commits after processing (the output producer flushed first); exactly-once writes the output and
 *  commits the offsets in one transaction per batch and reads read_committed (processing.output transactional:
 *  KIP-98, KIP-447). The output topic is created like its input. */
export function withDelivery(s: Scenario, d: DeliverySemantics): Scenario {
  const topics = [...s.topics];
  const consumers = s.consumers.map((c) => {
    const input = topics.find((t) => t.name === c.topics[0]);
    const out = `${c.topics[0] ?? "topic"}.out`;
    if (input !== undefined && !topics.some((t) => t.name === out)) topics.push({ ...input, name: out });
    const eos = d === "exactly-once";
    const config = { ...c.config, "enable.auto.commit": false, ...(eos ? { "isolation.level": "read_committed" as const } : {}) };
    return { ...c, config, processing: { ...c.processing, commit: d === "at-most-once" ? ("before-processing" as const) : ("after-processing" as const), commitEvery: "batch" as const, output: { topic: out, transactional: eos } } };
  });
  return { ...s, topics, consumers };
}
