// Trace events of clients (producers, consumers, group coordinator).

export type ClientTraceEvent =
  | { readonly type: "rebalance"; readonly group: string; readonly generation: number; readonly members: readonly string[] }
  | { readonly type: "producer-epoch-bump"; readonly producer: string; readonly producerId: number; readonly producerEpoch: number }
  | { readonly type: "producer-halted"; readonly producer: string; readonly reason: string }
  | { readonly type: "metadata-refresh"; readonly client: string };
