// The coordinator node ("zk"): one ZooKeeper-like server as an actor. Clients (brokers) open sessions with
// zk.connect, keep them alive with any request or zk.ping, and lose them after their session timeout without
// one (checked every tick). Expiry deletes the session's ephemeral nodes and fires the watches on them; the
// owner is told with zk.expired (ZooKeeper closes its connection; the client learns on reconnecting).
// Watch notifications are numbered per session and re-sent with every pong until a ping acknowledges them:
// a notification lost on a broken connection still arrives (ZooKeeper clients re-arm their watches with
// SetWatches on reconnect and the server fires those that changed meanwhile).
//
// Durability: ZooKeeper logs every transaction to disk before answering, so the whole store (nodes, zxid,
// sessions and, standing in for the clients' re-registration of watches after a reconnect, the watches) is a
// flushed blob that survives a kill and a power loss. After a restart, or after a pause long enough to miss
// ticks, every session's clock restarts from that moment (ZooKeeper's new leader does the same), so sessions
// survive as long as their clients reconnect within the timeout.
import type { Actor, ActorFactory, NodeContext } from "../core/node.ts";
import type { NodeId } from "../core/ids.ts";
import { COORDINATOR_NODE, nodeId } from "../core/ids.ts";
import type { Runtime } from "../core/runtime.ts";
import type { Message } from "../kafka/protocol.ts";
import type { ZkMessage } from "../kafka/protocol-cluster.ts";
import type { TraceEvent } from "../events.ts";
import type { TopicSpec } from "../scenario/types.ts";
import type { BrokerConfig } from "../kafka/config.ts";
import { ZkStore } from "./store.ts";
import type { FiredWatch, ZkSession } from "./store.ts";
import {
  BROKER_IDS_PATH,
  CONTROLLER_EPOCH_PATH,
  CONTROLLER_PATH,
  ISR_CHANGE_NOTIFICATION_PATH,
  brokerIdPath,
  partitionPath,
  partitionStatePath,
  topicPath,
} from "./paths.ts";
import type { ControllerData, PartitionStateData, TopicAssignmentData } from "./paths.ts";

type Ctx = NodeContext<Message, TraceEvent>;

/** The disk blob holding the store. */
export const ZK_STORE_BLOB = "zk/store";

export interface CoordinatorOptions {
  /** Topics to create at start (what an admin's CreateTopics wrote: /brokers/topics/<t>). */
  readonly topics: readonly Pick<TopicSpec, "name" | "partitions">[];
  /** Replica assignment by tpKey ("orders-0" → [2, 3, 1]). */
  readonly assignment: ReadonlyMap<string, readonly number[]>;
  /** Used only to size the expiry tick when tickMs is not given. */
  readonly broker?: Pick<BrokerConfig, "zookeeper.session.timeout.ms">;
  /** How often sessions are checked for expiry (ZooKeeper's tickTime granularity). Default:
   *  min(200, session timeout / 10) ms. */
  readonly tickMs?: number;
}

const TICK = { tag: "zk.tick" } as const;

/** Build the store an admin would have left before the run: Kafka's top-level paths and the topics. */
export function seedStore(opts: CoordinatorOptions): ZkStore {
  const store = new ZkStore();
  store.seed(BROKER_IDS_PATH, null);
  store.seed(CONTROLLER_EPOCH_PATH, 0);
  store.seed(ISR_CHANGE_NOTIFICATION_PATH, null); // KafkaZkClient.createTopLevelPaths at broker start-up
  for (const t of opts.topics) {
    const partitions: (readonly number[])[] = [];
    for (let p = 0; p < t.partitions; p++) partitions.push(opts.assignment.get(`${t.name}-${p}`) ?? []);
    const data: TopicAssignmentData = { partitions };
    store.seed(topicPath(t.name), data);
    for (let p = 0; p < t.partitions; p++) store.seed(partitionPath(t.name, p), null);
  }
  return store;
}

export class CoordinatorActor implements Actor<Message, TraceEvent> {
  readonly store: ZkStore;
  private readonly tickUs: number;
  private lastTickUs = 0;

  constructor(ctx: Ctx, opts: CoordinatorOptions) {
    let store = ctx.disk.readBlob<ZkStore>(ZK_STORE_BLOB);
    if (store === undefined) {
      store = seedStore(opts);
      // The blob holds the live object: every later mutation is durable at once (ZooKeeper fsyncs its log).
      ctx.disk.writeBlob(ZK_STORE_BLOB, store, { flush: true });
    }
    this.store = store;
    const sessionMs = opts.broker?.["zookeeper.session.timeout.ms"] ?? 18000;
    const tickMs = opts.tickMs ?? Math.max(1, Math.min(200, Math.floor(sessionMs / 10)));
    this.tickUs = Math.max(1, Math.round(tickMs * 1000));
  }

  onStart(ctx: Ctx): void {
    this.store.renewAll(ctx.nowUs);
    this.lastTickUs = ctx.nowUs;
    ctx.setTimer(this.tickUs, TICK);
  }

  onMessage(ctx: Ctx, from: NodeId, msg: Message): void {
    switch (msg.type) {
      case "zk.connect": {
        const s = this.store.createSession(from, msg.sessionTimeoutMs, ctx.nowUs);
        ctx.send(from, { type: "zk.connected", sessionId: s.id, sessionTimeoutMs: s.timeoutMs });
        return;
      }
      case "zk.ping": {
        if (!this.store.touch(msg.sessionId, ctx.nowUs)) {
          ctx.send(from, { type: "zk.expired", sessionId: msg.sessionId });
          return;
        }
        ctx.send(from, { type: "zk.pong", sessionId: msg.sessionId });
        const s = this.store.sessions.get(msg.sessionId) as ZkSession;
        const ack = msg.ackWatchSeq ?? s.watchSeq; // a client without acks takes every notification as received
        for (const seq of [...s.outbox.keys()]) if (seq <= ack) s.outbox.delete(seq);
        for (const [seq, w] of s.outbox) ctx.send(nodeId(s.owner), { type: "zk.watch", sessionId: s.id, path: w.path, event: w.event, seq });
        return;
      }
      case "zk.request": {
        if (!this.store.touch(msg.sessionId, ctx.nowUs)) {
          ctx.send(from, { type: "zk.expired", sessionId: msg.sessionId });
          return;
        }
        const { outcome, fired, applied } = this.store.multi(msg.sessionId, msg.corr, msg.ops);
        // What a write announces takes effect now (a controller's election), answered or not.
        if (applied === true) for (const op of msg.ops) if ((op.op === "set" || op.op === "create") && op.announce !== undefined) ctx.emit(op.announce as TraceEvent);
        ctx.send(from, { type: "zk.response", corr: msg.corr, error: outcome.error, zxid: outcome.zxid, results: outcome.results });
        this.deliver(ctx, fired);
        return;
      }
      case "zk.close": {
        // A clean close: like an expiry, but nobody is told the owner's session expired.
        const fired = this.store.closeSession(msg.sessionId);
        this.deliver(ctx, fired);
        return;
      }
      default:
        return; // not for the coordinator
    }
  }

  onTimer(ctx: Ctx, tag: unknown): void {
    if (tag !== TICK) return;
    const now = ctx.nowUs;
    if (now - this.lastTickUs > 2 * this.tickUs) {
      // We were frozen (a pause): nobody's heartbeats could be processed; restart the clocks, as on a restart.
      this.store.renewAll(now);
    } else {
      for (const id of this.store.dueSessions(now)) this.expire(ctx, id);
    }
    this.lastTickUs = now;
    ctx.setTimer(this.tickUs, TICK);
  }

  /** Expire a session now: its ephemeral nodes go, watches fire, its owner is told. */
  expire(ctx: Ctx, sessionId: number): boolean {
    const s = this.store.sessions.get(sessionId);
    if (s === undefined) return false;
    for (const path of s.ephemerals) {
      const m = /^\/brokers\/ids\/(\d+)$/.exec(path);
      if (m) ctx.emit({ type: "session-expired", broker: Number(m[1]) });
    }
    const owner = s.owner;
    const fired = this.store.closeSession(sessionId);
    ctx.send(nodeId(owner), { type: "zk.expired", sessionId });
    this.deliver(ctx, fired);
    return true;
  }

  private deliver(ctx: Ctx, fired: readonly FiredWatch[]): void {
    for (const w of fired) {
      const s = this.store.sessions.get(w.sessionId);
      if (s === undefined) continue;
      const seq = ++s.watchSeq;
      s.outbox.set(seq, { path: w.path, event: w.event });
      const msg: ZkMessage = { type: "zk.watch", sessionId: w.sessionId, path: w.path, event: w.event, seq };
      ctx.send(nodeId(w.owner), msg);
    }
  }
}

/** The coordinator's actor factory (node id COORDINATOR_NODE = "zk"). A ClusterSpec is a valid option set. */
export function coordinatorFactory(opts: CoordinatorOptions): ActorFactory<Message, TraceEvent> {
  return (ctx) => new CoordinatorActor(ctx, opts);
}

/** Expire the session that registered broker `brokerId` (the expire-session fault), as if its heartbeats had
 *  stopped. False when the coordinator is down or the broker holds no registration. */
export function expireSession(rt: Runtime<Message, TraceEvent>, brokerId: number): boolean {
  let done = false;
  rt.inject(COORDINATOR_NODE, (actor, ctx) => {
    if (!(actor instanceof CoordinatorActor)) return;
    const sid = actor.store.ownerOf(brokerIdPath(brokerId));
    if (sid !== undefined) done = actor.expire(ctx, sid);
  });
  return done;
}

export interface PartitionStateView {
  readonly leader: number | null;
  readonly leaderEpoch: number;
  readonly isr: number[];
  /** The state znode's data version (zkVersion). */
  readonly partitionEpoch: number;
}

export interface ZkView {
  /** The broker holding /controller, or null. */
  controller(): number | null;
  /** The partition state znode, or null before the controller created it. */
  partitionState(topic: string, partition: number): PartitionStateView | null;
  /** Brokers with a live registration (/brokers/ids children), ascending. */
  liveBrokers(): number[];
  /** The controller epoch in /controller_epoch. */
  controllerEpoch(): number;
  /** Broker epoch (czxid of /brokers/ids/<id>) or -1 when unregistered. */
  brokerEpoch(brokerId: number): number;
}

/** Read-only views of the coordinator's store for the world (fault targets) and tests. Works while the zk
 *  node is down too (the store is durable: it reads the disk). */
export function zkView(rt: Runtime<Message, TraceEvent>): ZkView {
  const store = (): ZkStore | undefined => {
    const a = rt.actor(COORDINATOR_NODE);
    if (a instanceof CoordinatorActor) return a.store;
    return rt.disk(COORDINATOR_NODE).readBlob<ZkStore>(ZK_STORE_BLOB);
  };
  return {
    controller() {
      const d = store()?.node(CONTROLLER_PATH)?.data as ControllerData | undefined;
      return d === undefined ? null : d.brokerid;
    },
    partitionState(topic, partition) {
      const n = store()?.node(partitionStatePath(topic, partition));
      if (n === undefined) return null;
      const d = n.data as PartitionStateData;
      return { leader: d.leader < 0 ? null : d.leader, leaderEpoch: d.leader_epoch, isr: [...d.isr], partitionEpoch: n.version };
    },
    liveBrokers() {
      return (store()?.children(BROKER_IDS_PATH) ?? []).map(Number).sort((a, b) => a - b);
    },
    controllerEpoch() {
      return (store()?.node(CONTROLLER_EPOCH_PATH)?.data as number | undefined) ?? 0;
    },
    brokerEpoch(brokerId) {
      return store()?.node(brokerIdPath(brokerId))?.czxid ?? -1;
    },
  };
}
