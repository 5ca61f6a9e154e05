// Clients: producers and consumer-group members as actors, built by the world (sim/world.ts).
import type { Actor, ActorFactory } from "../core/node.ts";
import { nodeId } from "../core/ids.ts";
import type { NodeId } from "../core/ids.ts";
import type { Message } from "../kafka/protocol.ts";
import type { TraceEvent } from "../events.ts";
import type { ConsumerSpec, ProducerSpec } from "../scenario/types.ts";
import { Producer } from "./producer.ts";
import { TransactionalProducer } from "./transactions.ts";
import { Consumer } from "./consumer/consumer.ts";
import { effectiveProducerConfig } from "./producer-config.ts";
import type { ClientEnv } from "./env.ts";

export type { ClientEnv } from "./env.ts";
export { recordClientCrashes } from "./env.ts";
export { Producer } from "./producer.ts";
export { TransactionalProducer } from "./transactions.ts";
export { Consumer } from "./consumer/consumer.ts";
export { effectiveProducerConfig } from "./producer-config.ts";
export { murmur2, partitionForKey } from "./partitioner.ts";
export { rangeAssign, roundRobinAssign } from "./assignors.ts";
export type * from "./user-code.ts";

/** A producer actor. Validates Kafka's idempotence config rules up front (throws SimInputError INVALID_CONFIG). */
export function producerFactory(spec: ProducerSpec, env: ClientEnv): ActorFactory<Message, TraceEvent> {
  effectiveProducerConfig(spec);
  const actor = spec.actor;
  if (actor !== undefined) return () => actor(spec, env);
  if (spec.config["transactional.id"] !== null && spec.config["transactional.id"] !== undefined) return () => new TransactionalProducer(spec, env);
  return () => new Producer(spec, env);
}

/** Member `member` (0-based) of a consumer group. */
export function consumerFactory(spec: ConsumerSpec, member: number, env: ClientEnv): ActorFactory<Message, TraceEvent> {
  return () => new Consumer(spec, member, env);
}

/** Node ids of the clients: a producer is its spec id; consumer member m of group g is "g/m". */
export function clientNodeIds(producers: readonly ProducerSpec[], consumers: readonly ConsumerSpec[]): NodeId[] {
  const out: NodeId[] = producers.map((p) => nodeId(p.id));
  for (const c of consumers) for (let m = 0; m < c.members; m++) out.push(nodeId(`${c.group}/${m}`));
  return out;
}

/** A consumer's running state (sum of processed values) for FinalState.consumerState; undefined otherwise. */
export function consumerState(actor: Actor<Message, TraceEvent> | undefined): { readonly sum: number; readonly processed: number } | undefined {
  return actor instanceof Consumer ? { sum: actor.state.sum, processed: actor.state.processed } : undefined;
}
