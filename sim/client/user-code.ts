// User code plugged into clients. Placeholder signatures; the clients work refines them.

/** Decides what a producer sends next. Return null to skip this tick. */
export type ProducerLogic = (ctx: { readonly nowMs: number; readonly sent: number }) => { readonly key?: number | null } | null;

/** kafkajs-like consumer handler. */
export interface ConsumerHandler {
  readonly eachMessage?: (payload: unknown) => unknown;
  readonly eachBatch?: (payload: unknown) => unknown;
}
