// A small harness for broker tests: a runtime with N brokers, a scripted controller ("ctl") that plays the
// ZooKeeper-era controller by hand (elections, ISR changes with compare-and-set, leader-and-isr), a fake control
// plane per broker that registers at once and sends AlterPartition to "ctl", and a scripted client actor.
// Tests drive time with run(ms) and faults with kill/power/restart/isolate; the controller reacts only when told
// (failBroker / elect / restartBroker), so each test states exactly which controller decisions happen.
import { Runtime } from "../core/runtime.ts";
import { kafkaChannels } from "../kafka/channels.ts";
import type { Actor, NodeContext } from "../core/node.ts";
import type { NodeId } from "../core/ids.ts";
import { COORDINATOR_NODE, brokerNode, nodeId, tpKey } from "../core/ids.ts";
import type { TimeUs } from "../core/time.ts";
import { msToUs } from "../core/time.ts";
import type { Message, FetchResponse, ProduceResponse } from "../kafka/protocol.ts";
import type { LeaderAndIsrPartition } from "../kafka/protocol-cluster.ts";
import { BROKER_DEFAULTS } from "../kafka/config.ts";
import type { BrokerConfig, ProtocolVersion, TopicOverrides } from "../kafka/config.ts";
import type { BugSwitches, TopicSpec } from "../scenario/types.ts";
import type { TraceEvent } from "../events.ts";
import { Broker } from "./broker.ts";
import type { ControlPlaneApi, ControlPlaneHooks } from "./broker.ts";
import type { IsrChangeRequest, IsrChangeResponse, ReplicaSpec } from "./replica/manager.ts";
import type { Partition } from "./replica/partition.ts";
import type { ClusterSpec } from "./spec.ts";
import { assignReplicas } from "./assignment.ts";
import { coordinatorFactory, zkView } from "../coordinator/index.ts";
import type { ZkView } from "../coordinator/index.ts";
import { brokerFactory, finalPartitions } from "./index.ts";
import type { FinalPartition } from "../history.ts";

type Ctx = NodeContext<Message, TraceEvent>;
export const CTL = nodeId("ctl");
export const CLIENT = nodeId("client");

interface CtlPartition {
  readonly topic: string;
  readonly partition: number;
  leader: number;
  leaderEpoch: number;
  isr: number[];
  partitionEpoch: number;
  readonly replicas: readonly number[];
}

/** The scripted controller. */
export class TestController implements Actor<Message, TraceEvent> {
  ctx!: Ctx;
  readonly parts = new Map<string, CtlPartition>();
  readonly live = new Set<number>();
  controllerEpoch = 1;
  private corr = 1;
  alterRequests = 0;
  constructor(
    private readonly brokers: readonly number[],
    topics: readonly TopicSpec[],
  ) {
    for (const t of topics) {
      for (let p = 0; p < t.partitions; p++) {
        const replicas = Array.from({ length: t["replication.factor"] }, (_, i) => ((p + i) % brokers.length) + 1);
        this.parts.set(tpKey(t.name, p), { topic: t.name, partition: p, leader: -1, leaderEpoch: -1, isr: [...replicas], partitionEpoch: 0, replicas });
      }
    }
    for (const b of brokers) this.live.add(b);
  }
  onStart(ctx: Ctx): void {
    this.ctx = ctx;
  }
  onTimer(): void {}
  onMessage(ctx: Ctx, from: NodeId, msg: Message): void {
    if (msg.type !== "alter-partition") return;
    this.alterRequests++;
    const st = this.parts.get(tpKey(msg.topic, msg.partition));
    let error = "NONE";
    if (st === undefined) error = "UNKNOWN_TOPIC_OR_PARTITION";
    else if (msg.leaderEpoch !== st.leaderEpoch || msg.brokerId !== st.leader) error = "FENCED_LEADER_EPOCH";
    else if (msg.partitionEpoch !== st.partitionEpoch) error = "INVALID_UPDATE_VERSION";
    else {
      st.isr = [...msg.newIsr];
      st.partitionEpoch++;
    }
    ctx.send(from, { type: "alter-partition-response", corr: msg.corr, topic: msg.topic, partition: msg.partition, error, leaderEpoch: st?.leaderEpoch ?? -1, isr: st?.isr ?? [], partitionEpoch: st?.partitionEpoch ?? -1 });
  }

  private state(st: CtlPartition): LeaderAndIsrPartition {
    return { topic: st.topic, partition: st.partition, leader: st.leader, leaderEpoch: st.leaderEpoch, isr: [...st.isr], partitionEpoch: st.partitionEpoch, replicas: st.replicas };
  }

  /** Send the current state of the given partitions to `targets` (default: all their replicas). */
  send(parts: readonly CtlPartition[], targets?: readonly number[]): void {
    const by = new Map<number, LeaderAndIsrPartition[]>();
    for (const st of parts) for (const b of targets ?? st.replicas) (by.get(b) ?? by.set(b, []).get(b))?.push(this.state(st));
    for (const [b, ps] of by) {
      this.ctx.send(brokerNode(b), { type: "leader-and-isr", corr: this.corr++, controllerId: 0, controllerEpoch: this.controllerEpoch, brokerEpoch: -1, partitions: ps });
    }
    const meta = [...this.parts.values()].map((st) => ({ topic: st.topic, partition: st.partition, error: "NONE" as const, leader: st.leader < 0 ? null : st.leader, leaderEpoch: st.leaderEpoch, replicas: st.replicas, isr: [...st.isr] }));
    for (const b of this.brokers) this.ctx.send(brokerNode(b), { type: "update-metadata", corr: this.corr++, controllerId: 0, controllerEpoch: this.controllerEpoch, brokerEpoch: -1, liveBrokers: [...this.live], partitions: meta });
  }

  /** Initial election: the first replica leads, every replica in sync. */
  bootstrap(): void {
    for (const st of this.parts.values()) {
      st.leader = st.replicas[0] as number;
      st.leaderEpoch = 0;
    }
    this.send([...this.parts.values()]);
  }

  /** Force a leader (and optionally an ISR) for one partition, bumping the leader epoch. */
  elect(key: string, leader: number, isr?: readonly number[], targets?: readonly number[]): void {
    const st = this.parts.get(key) as CtlPartition;
    st.leader = leader;
    st.leaderEpoch++;
    st.partitionEpoch++;
    if (isr) st.isr = [...isr];
    this.send([st], targets);
  }

  /** The controller learnt that broker b is gone (session expiry): remove it from ISRs (never emptying one),
   *  re-elect where it led (first live in-sync replica; else the first live replica if unclean). */
  failBroker(b: number, opts: { unclean?: boolean } = {}): void {
    this.live.delete(b);
    const changed: CtlPartition[] = [];
    for (const st of this.parts.values()) {
      if (!st.replicas.includes(b)) continue;
      if (st.leader === b) {
        const remaining = st.isr.filter((r) => r !== b);
        let leader = st.replicas.find((r) => this.live.has(r) && remaining.includes(r));
        if (leader === undefined && opts.unclean) leader = st.replicas.find((r) => this.live.has(r));
        st.leader = leader ?? -1;
        if (leader !== undefined) st.isr = remaining.includes(leader) ? remaining : [leader];
        st.leaderEpoch++;
        st.partitionEpoch++;
        changed.push(st);
      } else if (st.isr.includes(b) && st.isr.length > 1) {
        st.isr = st.isr.filter((r) => r !== b);
        st.leaderEpoch++;
        st.partitionEpoch++;
        changed.push(st);
      }
    }
    this.send(changed, [...this.live]);
  }

  /** Broker b registered again: it gets the state of its partitions; offline ones elect it if allowed. */
  restartBroker(b: number, opts: { unclean?: boolean } = {}): void {
    this.live.add(b);
    const mine: CtlPartition[] = [];
    for (const st of this.parts.values()) {
      if (!st.replicas.includes(b)) continue;
      if (st.leader < 0 && (st.isr.includes(b) || opts.unclean)) {
        st.leader = b;
        if (!st.isr.includes(b)) st.isr = [b];
        st.leaderEpoch++;
        st.partitionEpoch++;
      }
      mine.push(st);
    }
    this.send(mine, [...this.live]);
  }
}

/** Registers at once with a fresh epoch; AlterPartition goes to "ctl". With `isrEligible` it answers the KRaft
 *  leader-side question (Partition.isReplicaIsrEligible) as a KRaft control plane does. */
class FakeControlPlane implements ControlPlaneApi {
  brokerEpoch = -1;
  readonly isController = false;
  readonly isReplicaIsrEligible?: (broker: number) => boolean;
  private corr = 1;
  private readonly pending = new Map<number, (resp: IsrChangeResponse) => void>();
  constructor(
    private readonly brokerId: number,
    private readonly hooks: ControlPlaneHooks,
    private readonly nextEpoch: () => number,
    isrEligible?: (broker: number) => boolean,
  ) {
    if (isrEligible !== undefined) this.isReplicaIsrEligible = isrEligible;
  }
  onStart(ctx: Ctx): void {
    this.brokerEpoch = this.nextEpoch();
    this.hooks.onRegistered(ctx, this.brokerEpoch);
  }
  onMessage(_ctx: Ctx, _from: NodeId, msg: Message): boolean {
    if (msg.type !== "alter-partition-response") return msg.type === "leader-and-isr-response" || msg.type === "alter-partition";
    const done = this.pending.get(msg.corr);
    this.pending.delete(msg.corr);
    done?.(msg);
    return true;
  }
  onTimer(): boolean {
    return false;
  }
  requestIsrChange(ctx: Ctx, req: IsrChangeRequest, done: (resp: IsrChangeResponse) => void): void {
    const corr = this.corr++;
    this.pending.set(corr, done);
    ctx.send(CTL, { type: "alter-partition", corr, brokerId: this.brokerId, brokerEpoch: this.brokerEpoch, ...req });
  }
}

/** The scripted client: sends what the test says, keeps every response by corr. */
export class ScriptClient implements Actor<Message, TraceEvent> {
  ctx!: Ctx;
  readonly responses = new Map<number, Message>();
  private corr = 1;
  onStart(ctx: Ctx): void {
    this.ctx = ctx;
  }
  onTimer(): void {}
  onMessage(_ctx: Ctx, _from: NodeId, msg: Message): void {
    if ("corr" in msg) this.responses.set(msg.corr, msg);
  }
  send(to: number, build: (corr: number) => Message): number {
    const corr = this.corr++;
    this.ctx.send(brokerNode(to), build(corr));
    return corr;
  }
}

export interface KitTopic {
  readonly name: string;
  readonly partitions?: number;
  readonly rf?: number;
  readonly config?: TopicOverrides;
}

export interface KitOptions {
  readonly brokers?: number;
  readonly topics?: readonly KitTopic[];
  readonly protocol?: ProtocolVersion;
  readonly broker?: Partial<BrokerConfig>;
  readonly bugs?: BugSwitches;
  readonly seed?: number;
  /** KRaft's leader-side ISR eligibility (registered, unfenced, not shutting down) as the brokers see it. */
  readonly isrEligible?: (broker: number) => boolean;
}

export class Kit {
  readonly rt: Runtime<Message, TraceEvent>;
  readonly ctl: TestController;
  readonly client = new ScriptClient();
  readonly spec: ReplicaSpec;
  readonly brokerIds: number[];
  private epochs = 100;

  constructor(opts: KitOptions = {}) {
    const n = opts.brokers ?? 3;
    this.brokerIds = Array.from({ length: n }, (_, i) => i + 1);
    const topics: TopicSpec[] = (opts.topics ?? [{ name: "t" }]).map((t) => ({ name: t.name, partitions: t.partitions ?? 1, "replication.factor": t.rf ?? Math.min(3, n), config: t.config ?? {} }));
    this.spec = { broker: { ...BROKER_DEFAULTS, ...opts.broker }, topics, protocol: opts.protocol ?? "3.7", bugs: opts.bugs ?? {} };
    const ids = [CTL, ...this.brokerIds.map((b) => brokerNode(b)), CLIENT];
    this.rt = new Runtime<Message, TraceEvent>(ids, { seed: opts.seed ?? 1, record: true, latency: { dist: "constant", valueMs: 0.5 }, channelOf: kafkaChannels(ids) });
    this.ctl = new TestController(this.brokerIds, topics);
    this.rt.addNode(CTL, () => this.ctl);
    for (const b of this.brokerIds) {
      this.rt.addNode(brokerNode(b), () => new Broker(b, this.spec, { controlPlane: (id, hooks) => new FakeControlPlane(id, hooks, () => this.epochs++, opts.isrEligible) }));
    }
    this.rt.addNode(CLIENT, () => this.client);
  }

  /** Boot everything and run the initial election; settles for `settleMs`. */
  start(settleMs = 100): this {
    this.rt.startAll();
    this.ctl.bootstrap();
    this.run(settleMs);
    return this;
  }

  get nowUs(): TimeUs {
    return this.rt.nowUs;
  }
  run(ms: number): void {
    this.rt.runUntil((this.rt.nowUs + msToUs(ms)) as TimeUs);
  }
  broker(b: number): Broker {
    return this.rt.actor(brokerNode(b)) as Broker;
  }
  part(b: number, topic = "t", p = 0): Partition {
    return this.broker(b).replicas.partitions.get(tpKey(topic, p)) as Partition;
  }
  values(b: number, topic = "t", p = 0): number[] {
    const log = this.rt.disk(brokerNode(b)).log(tpKey(topic, p));
    return Array.from(log.value.subarray(0, log.length));
  }
  leaderOf(key = "t-0"): number {
    return this.ctl.parts.get(key)?.leader ?? -1;
  }

  produce(to: number, values: readonly number[], opts: { acks?: number; topic?: string; partition?: number; timeoutMs?: number; producerId?: number; producerEpoch?: number; baseSequence?: number } = {}): number {
    return this.client.send(to, (corr) => ({
      type: "produce",
      corr,
      acks: opts.acks ?? -1,
      timeoutMs: opts.timeoutMs ?? 30_000,
      producerId: opts.producerId ?? -1,
      producerEpoch: opts.producerEpoch ?? 0,
      batches: [{ topic: opts.topic ?? "t", partition: opts.partition ?? 0, baseSequence: opts.baseSequence ?? -1, values, keys: values.map(() => -1) }],
    }));
  }
  produceResult(corr: number): { error: string; baseOffset: number } | undefined {
    const r = this.client.responses.get(corr) as ProduceResponse | undefined;
    const p = r?.partitions[0];
    return p === undefined ? undefined : { error: p.error, baseOffset: p.baseOffset };
  }
  consumerFetch(to: number, fetchOffset: number, opts: { topic?: string; partition?: number; currentLeaderEpoch?: number; maxWaitMs?: number } = {}): number {
    return this.client.send(to, (corr) => ({
      type: "fetch",
      corr,
      replicaId: -1,
      brokerEpoch: -1,
      maxWaitMs: opts.maxWaitMs ?? 0,
      partitions: [{ topic: opts.topic ?? "t", partition: opts.partition ?? 0, fetchOffset, currentLeaderEpoch: opts.currentLeaderEpoch ?? -1, lastFetchedEpoch: -1 }],
    }));
  }
  fetchResult(corr: number): { error: string; values: number[]; hw: number } | undefined {
    const r = this.client.responses.get(corr) as FetchResponse | undefined;
    const p = r?.partitions[0];
    if (p === undefined) return undefined;
    return { error: p.error, values: p.records ? Array.from(p.records.values.subarray(p.records.at, p.records.at + p.records.count)) : [], hw: p.highWatermark };
  }

  kill(b: number): void {
    this.rt.kill(brokerNode(b));
  }
  power(b: number): void {
    this.rt.powerLoss(brokerNode(b));
  }
  restart(b: number): void {
    this.rt.restart(brokerNode(b));
  }
  /** A follower fetch as broker `replicaId` would send it (no long poll), written by hand from the script client;
   *  the caller runs the world to deliver it. */
  followerFetch(replicaId: number, fetchOffset: number, leader = 1, topic = "t", partition = 0): number {
    return this.client.send(leader, (corr) => ({
      type: "fetch",
      corr,
      replicaId,
      brokerEpoch: -1,
      maxWaitMs: 0,
      partitions: [{ topic, partition, fetchOffset, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }],
    }));
  }
  /** Cut broker b off from everyone (controller and client included unless kept). */
  isolate(b: number, keep: readonly NodeId[] = []): void {
    const idx = this.rt.index(brokerNode(b));
    for (const id of this.rt.ids) {
      if (id === brokerNode(b) || keep.includes(id)) continue;
      this.rt.network.blockOneWay(idx, this.rt.index(id));
      this.rt.network.blockOneWay(this.rt.index(id), idx);
    }
  }
  heal(): void {
    this.rt.network.healAll();
  }
  events<T extends TraceEvent["type"]>(type: T): Extract<TraceEvent, { type: T }>[] {
    return this.rt.trace.events.filter((e) => e.type === type) as unknown as Extract<TraceEvent, { type: T }>[];
  }
}

/** A Kit whose broker 3 was cut off (but for the test controller) and shrunk out of t-0's ISR, the leader
 *  (broker 1) and broker 2 holding three acks=1 records: HW 3, ISR [1, 2]. For ISR-expansion tests, which then
 *  write broker 3's fetches by hand (followerFetch). */
export function kitWithFollowerOut(): Kit {
  const k = new Kit({ broker: { "replica.lag.time.max.ms": 1000 } }).start();
  k.isolate(3, [CTL]);
  k.produce(1, [1, 2, 3], { acks: 1 });
  k.run(3000);
  return k;
}

/** The real thing: the ZooKeeper-like coordinator, brokers with their real control plane (controller, sessions,
 *  AlterPartition) and the scripted client. For scenario and liveness tests. */
export class RealCluster {
  readonly rt: Runtime<Message, TraceEvent>;
  readonly client = new ScriptClient();
  readonly spec: ClusterSpec;
  readonly zk: ZkView;
  readonly brokerIds: number[];

  constructor(opts: KitOptions & { readonly latencyMs?: number } = {}) {
    const n = opts.brokers ?? 3;
    this.brokerIds = Array.from({ length: n }, (_, i) => i + 1);
    const topics: TopicSpec[] = (opts.topics ?? [{ name: "t" }]).map((t) => ({ name: t.name, partitions: t.partitions ?? 1, "replication.factor": t.rf ?? Math.min(3, n), config: t.config ?? {} }));
    const ids = [COORDINATOR_NODE, ...this.brokerIds.map((b) => brokerNode(b)), CLIENT];
    this.rt = new Runtime<Message, TraceEvent>(ids, { seed: opts.seed ?? 1, record: true, latency: { dist: "constant", valueMs: opts.latencyMs ?? 0.5 }, channelOf: kafkaChannels(ids) });
    const assignment = assignReplicas({ brokers: this.brokerIds, topics, rng: this.rt.rng.fork("assignment") });
    this.spec = { brokers: n, broker: { ...BROKER_DEFAULTS, ...opts.broker }, topics, protocol: opts.protocol ?? "3.7", bugs: opts.bugs ?? {}, assignment };
    this.rt.addNode(COORDINATOR_NODE, coordinatorFactory({ topics, assignment, broker: this.spec.broker }));
    for (const b of this.brokerIds) this.rt.addNode(brokerNode(b), brokerFactory(b, this.spec));
    this.rt.addNode(CLIENT, () => this.client);
    this.zk = zkView(this.rt);
  }
  start(settleMs = 3000): this {
    this.rt.startAll();
    this.run(settleMs);
    return this;
  }
  run(ms: number): void {
    this.rt.runUntil((this.rt.nowUs + msToUs(ms)) as TimeUs);
  }
  broker(b: number): Broker | undefined {
    const a = this.rt.actor(brokerNode(b));
    return a instanceof Broker ? a : undefined;
  }
  leaderOf(topic = "t", p = 0): number | null {
    return this.zk.partitionState(topic, p)?.leader ?? null;
  }
  produce(to: number, values: readonly number[], opts: { acks?: number; topic?: string; partition?: number; timeoutMs?: number } = {}): number {
    return this.client.send(to, (corr) => ({
      type: "produce",
      corr,
      acks: opts.acks ?? -1,
      timeoutMs: opts.timeoutMs ?? 30_000,
      producerId: -1,
      producerEpoch: 0,
      batches: [{ topic: opts.topic ?? "t", partition: opts.partition ?? 0, baseSequence: -1, values, keys: values.map(() => -1) }],
    }));
  }
  produceResult(corr: number): { error: string; baseOffset: number } | undefined {
    const r = this.client.responses.get(corr) as ProduceResponse | undefined;
    const p = r?.partitions[0];
    return p === undefined ? undefined : { error: p.error, baseOffset: p.baseOffset };
  }
  values(b: number, topic = "t", p = 0): number[] {
    const log = this.rt.disk(brokerNode(b)).log(tpKey(topic, p));
    return Array.from(log.value.subarray(0, log.length));
  }
  final(): FinalPartition[] {
    return finalPartitions(this.rt, this.spec);
  }
}
