// Branded ids: a BrokerId is not an Offset is not an Epoch, though all are numbers at run time (zero cost).

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** Any simulated process: "broker-1", "zk", "producer-p1", "consumer-g1-0". */
export type NodeId = Brand<string, "NodeId">;
export type BrokerId = Brand<number, "BrokerId">;
export type Offset = Brand<number, "Offset">;
export type LeaderEpoch = Brand<number, "LeaderEpoch">;
export type ControllerEpoch = Brand<number, "ControllerEpoch">;
export type ProducerId = Brand<number, "ProducerId">;

export const nodeId = (s: string): NodeId => s as NodeId;
export const brokerId = (n: number): BrokerId => n as BrokerId;
export const offset = (n: number): Offset => n as Offset;
export const leaderEpoch = (n: number): LeaderEpoch => n as LeaderEpoch;

export const COORDINATOR_NODE = "zk" as NodeId;
export const brokerNode = (id: BrokerId | number): NodeId => `broker-${id}` as NodeId;
const brokerOfNodeMemo = new Map<string, BrokerId | undefined>();
/** The broker behind a node id ("broker-3" → 3), memoised: it is asked on every fetch response. */
export function brokerOfNode(id: NodeId): BrokerId | undefined {
  if (brokerOfNodeMemo.has(id)) return brokerOfNodeMemo.get(id);
  const m = /^broker-(\d+)$/.exec(id);
  const b = m ? (Number(m[1]) as BrokerId) : undefined;
  if (brokerOfNodeMemo.size < 4096) brokerOfNodeMemo.set(id, b);
  return b;
}

/** "orders-0": Kafka's own spelling of a topic partition. */
export type TopicPartitionKey = Brand<string, "TopicPartitionKey">;
export const tpKey = (topic: string, partition: number): TopicPartitionKey => `${topic}-${partition}` as TopicPartitionKey;
export function parseTpKey(key: string): { topic: string; partition: number } | undefined {
  const m = /^(.+)-(\d+)$/.exec(key);
  return m ? { topic: m[1] as string, partition: Number(m[2]) } : undefined;
}
