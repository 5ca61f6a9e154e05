// Which TCP connection a Kafka message travels on (sim/net/network.ts). A client (producer, consumer) has one
// connection to each broker, and a broker one to ZooKeeper; between brokers each component opens its own: the
// replica fetcher (Fetch, OffsetsForLeaderEpoch), the controller's channel (LeaderAndIsr, UpdateMetadata,
// StopReplica) and the AlterPartition channel to the controller. A request goes on the sender's own connection
// of its kind; an answer goes back on the connection its request came on, as do a server's pushes on its
// client's connection (ZooKeeper's watch notifications and session events).
import type { NodeId } from "../core/ids.ts";
import { brokerOfNode } from "../core/ids.ts";
import type { Message } from "./protocol.ts";
import { REQUEST, RESPONSE, channel } from "../net/tcp.ts";

/** Connection kinds (network channels are kind * 2 + direction). */
export const CONN_CLIENT = 0;
export const CONN_FETCHER = 1;
export const CONN_CONTROLLER = 2;
export const CONN_ALTER_PARTITION = 3;

const SERVER_PUSHES: ReadonlySet<string> = new Set(["zk.connected", "zk.pong", "zk.response", "zk.watch", "zk.expired"]);

/** The connection kind of a message between two brokers (or, in KRaft mode, a broker and a controller node), by its
 *  type: a broker's metadata-log fetches use its client connection (the Raft client's own), its heartbeats and
 *  registration the lifecycle channel (CONN_CONTROLLER), its AlterPartition the AlterPartition channel. */
function brokerKind(type: string): number {
  if (type.startsWith("raft-")) return CONN_CLIENT;
  if (type.startsWith("kraft-broker-")) return CONN_CONTROLLER;
  if (type.startsWith("kraft-alter-partition")) return CONN_ALTER_PARTITION;
  if (type.startsWith("fetch") || type.startsWith("offsets-for-leader-epoch")) return CONN_FETCHER;
  if (type.startsWith("leader-and-isr") || type.startsWith("update-metadata") || type.startsWith("stop-replica")) return CONN_CONTROLLER;
  if (type.startsWith("alter-partition")) return CONN_ALTER_PARTITION;
  return CONN_CLIENT;
}

/** The world's channel function for the nodes `ids` (index i + 1 is ids[i]): REQUEST or RESPONSE by message type
 *  (answers are the "-response" types and the coordinator's messages to its clients), on the connection kind
 *  above between brokers, on the one client connection otherwise. */
export function kafkaChannels(ids: readonly NodeId[]): (msg: Message, from: number, to: number) => number {
  const broker = new Uint8Array(ids.length + 1);
  ids.forEach((id, i) => {
    if (brokerOfNode(id) !== undefined || id.startsWith("controller-")) broker[i + 1] = 1;
  });
  const byType = new Map<string, number>(); // between brokers
  const clientByType = new Map<string, number>();
  return (msg, from, to) => {
    const t = msg.type;
    const between = broker[from] === 1 && broker[to] === 1;
    const cache = between ? byType : clientByType;
    let ch = cache.get(t);
    if (ch === undefined) {
      const dir = t.endsWith("-response") || SERVER_PUSHES.has(t) ? RESPONSE : REQUEST;
      ch = channel(between ? brokerKind(t) : CONN_CLIENT, dir);
      cache.set(t, ch);
    }
    return ch;
  };
}
