// A fake cluster for client tests: brokers that share one in-memory truth (no replication: HW = LEO), answer
// produce / fetch / metadata / list-offsets with Kafka's idempotent-producer rules (last 5 batches per producer
// and partition), and host the real group coordinator through a fake GroupHost. Faults are scripted through a
// produce hook (append and drop the response, answer an error without appending) and admin calls (move a
// leader, truncate a log), so each client test states exactly what the cluster does. Runs on the real Runtime
// and network: timeouts, disconnects, kills and restarts are the kernel's.
import { Runtime } from "../core/runtime.ts";
import { kafkaChannels } from "../kafka/channels.ts";
import type { Actor, NodeContext } from "../core/node.ts";
import type { NodeId } from "../core/ids.ts";
import { brokerNode, nodeId } from "../core/ids.ts";
import { msToUs } from "../core/time.ts";
import type { KafkaErrorCode } from "../kafka/errors.ts";
import { BROKER_DEFAULTS } from "../kafka/config.ts";
import type { BrokerConfig, ProtocolVersion } from "../kafka/config.ts";
import type { FetchRequest, Message, ProduceBatch, ProduceRequest, RecordSlice } from "../kafka/protocol.ts";
import type { TraceEvent } from "../events.ts";
import { HistoryRecorder } from "../history.ts";
import { recordClientCrashes } from "./env.ts";
import { KeyRegistry } from "../broker/group/key-registry.ts";
import type { HistoryOp } from "../history.ts";
import type { BugSwitches, ConsumerSpec, ProducerSpec } from "../scenario/types.ts";
import type { JoinGroupRequest, SyncGroupRequest } from "../kafka/protocol-group.ts";
import { OFFSETS_TOPIC } from "../broker/group/host.ts";
import type { GroupCoordinatorModule, GroupHost } from "../broker/group/host.ts";
import { GroupCoordinator } from "../broker/group/coordinator.ts";
import { offsetsPartitionFor } from "../broker/group/partition.ts";
import type { ClientEnv } from "./env.ts";
import { consumerFactory, producerFactory } from "./index.ts";

type Ctx = NodeContext<Message, TraceEvent>;

interface Log {
  values: number[];
  keys: number[];
  /** Offset of values[0] (after truncation from the front). */
  start: number;
  leader: number;
}

interface PidEntry {
  epoch: number;
  lastSeq: number;
  batches: { firstSeq: number; lastSeq: number; offset: number }[];
}

/** What the cluster does with one partition batch of a produce request. */
export type ProduceAction =
  | { readonly kind: "normal" }
  /** Append, then never answer (the response is lost). With muteMs, every later response of this broker to
   *  this client is lost too for that long (a dead TCP connection: responses come in order, so one lost response
   *  means the connection is gone and everything behind it fails together). */
  | { readonly kind: "append-drop-response"; readonly muteMs?: number }
  /** Answer this error without appending. */
  | { readonly kind: "error"; readonly error: KafkaErrorCode };

export interface FakeClusterOptions {
  readonly brokers?: number;
  readonly topics: readonly { readonly name: string; readonly partitions: number }[];
  readonly offsetsPartitions?: number;
  readonly producers?: readonly ProducerSpec[];
  readonly consumers?: readonly ConsumerSpec[];
  readonly seed?: number;
  readonly bugs?: BugSwitches;
  readonly broker?: Partial<BrokerConfig>;
  /** Stop new sends after this time (the world's workload phase). */
  readonly workloadMs?: number;
  /** The protocol profile the clients see (default 3.7). */
  readonly protocol?: ProtocolVersion;
}

export class FakeCluster {
  readonly rt: Runtime<Message, TraceEvent>;
  readonly history = new HistoryRecorder();
  readonly logs = new Map<string, Log>();
  readonly partitionCounts = new Map<string, number>();
  readonly pids = new Map<string, PidEntry>();
  readonly keys = new KeyRegistry();
  /** The `downstream-down` fault per group (the world keeps the same map). */
  readonly downstreamUntilUs = new Map<string, number>();
  readonly brokerIds: number[];
  readonly config: BrokerConfig;
  readonly offsetsPartitions: number;
  /** Script the coordinator: an error to answer a JoinGroup or SyncGroup with instead of handling it (null: handle). */
  groupHook: (broker: number, from: NodeId, msg: JoinGroupRequest | SyncGroupRequest) => KafkaErrorCode | null = () => null;
  /** Decide the fate of each produce batch (called once per batch per request). */
  produceHook: (broker: number, req: ProduceRequest, batch: ProduceBatch) => ProduceAction = () => ({ kind: "normal" });
  private readonly modules = new Map<number, GroupCoordinatorModule>();
  /** While true, brokers' metadata caches know no leader of __consumer_offsets: FindCoordinator answers
   *  COORDINATOR_NOT_AVAILABLE. */
  offsetsLeaderUnknown = false;
  /** While set, appends to __consumer_offsets fail with this error (e.g. NOT_ENOUGH_REPLICAS: its ISR is below
   *  min.insync.replicas), so no commit or group assignment can be stored. */
  offsetsAppendError: KafkaErrorCode | null = null;
  /** Every request the brokers received, in order (what the clients asked, and of whom). */
  readonly received: { readonly timeUs: number; readonly broker: number; readonly from: NodeId; readonly type: Message["type"] }[] = [];
  /** "broker->client" → responses dropped until then (µs). */
  readonly mutedUntilUs = new Map<string, number>();
  private workloadActive = true;
  private nextValue = 0;

  constructor(opts: FakeClusterOptions) {
    const n = opts.brokers ?? 3;
    this.brokerIds = Array.from({ length: n }, (_, i) => i + 1);
    this.offsetsPartitions = opts.offsetsPartitions ?? 3;
    this.config = { ...BROKER_DEFAULTS, "group.initial.rebalance.delay.ms": 0, "group.min.session.timeout.ms": 100, ...opts.broker };
    const topics = [...opts.topics, { name: OFFSETS_TOPIC, partitions: this.offsetsPartitions }];
    for (const t of topics) {
      this.partitionCounts.set(t.name, t.partitions);
      for (let p = 0; p < t.partitions; p++) this.logs.set(`${t.name}-${p}`, { values: [], keys: [], start: 0, leader: ((p + t.name.length) % n) + 1 });
    }
    const producers = opts.producers ?? [];
    const consumers = opts.consumers ?? [];
    const clientIds: NodeId[] = [...producers.map((p) => nodeId(p.id))];
    for (const c of consumers) for (let m = 0; m < c.members; m++) clientIds.push(nodeId(`${c.group}/${m}`));
    const ids = [...this.brokerIds.map((b) => brokerNode(b)), ...clientIds];
    this.rt = new Runtime<Message, TraceEvent>(ids, { seed: opts.seed ?? 1, record: true, latency: { dist: "constant", valueMs: 0.5 }, channelOf: kafkaChannels(ids) });
    for (const b of this.brokerIds) this.rt.addNode(brokerNode(b), () => new FakeBroker(this, b));
    const env: ClientEnv = {
      history: this.history,
      bootstrap: this.brokerIds.map((b) => brokerNode(b)),
      nextValue: () => this.nextValue++,
      bugs: opts.bugs ?? {},
      workloadActive: () => this.workloadActive,
      downstreamDownUntilUs: (group) => this.downstreamUntilUs.get(group) ?? -1,
      ...(opts.protocol !== undefined ? { protocol: opts.protocol } : {}),
    };
    recordClientCrashes(this.rt, this.history, new Set<string>(clientIds));
    for (const p of producers) this.rt.addNode(nodeId(p.id), producerFactory(p, env));
    for (const c of consumers) for (let m = 0; m < c.members; m++) this.rt.addNode(nodeId(`${c.group}/${m}`), consumerFactory(c, m, env));
    if (opts.workloadMs !== undefined) this.rt.call(msToUs(opts.workloadMs), () => (this.workloadActive = false));
    this.rt.startAll();
  }

  run(untilMs: number): void {
    this.rt.runUntil(msToUs(untilMs));
  }

  log(topic: string, partition: number): Log {
    const l = this.logs.get(`${topic}-${partition}`);
    if (l === undefined) throw new Error(`no partition ${topic}-${partition}`);
    return l;
  }

  /** Values of a topic's partitions concatenated (partition order, then offset order). */
  values(topic: string): number[] {
    const out: number[] = [];
    for (let p = 0; p < (this.partitionCounts.get(topic) ?? 0); p++) out.push(...this.log(topic, p).values);
    return out;
  }

  ops(f?: HistoryOp["f"], process?: string): HistoryOp[] {
    return this.history.ops.filter((o) => (f === undefined || o.f === f) && (process === undefined || o.process === process));
  }

  intern(name: string): number {
    return this.keys.intern(name);
  }

  registerModule(broker: number, m: GroupCoordinatorModule): void {
    this.modules.set(broker, m);
  }

  /** Move a partition's leadership (an election). Offsets partitions resign/elect their group coordinators. */
  moveLeader(topic: string, partition: number, to: number): void {
    const l = this.log(topic, partition);
    const from = l.leader;
    l.leader = to;
    if (topic !== OFFSETS_TOPIC) return;
    this.rt.inject(brokerNode(from), (_a, ctx) => this.modules.get(from)?.onResigned(ctx as Ctx, partition));
    this.rt.inject(brokerNode(to), (_a, ctx) => this.modules.get(to)?.onElected(ctx as Ctx, partition));
  }

  /** Keep only offsets below `offset` (an unclean election losing the tail). */
  truncate(topic: string, partition: number, offset: number): void {
    const l = this.log(topic, partition);
    const keep = Math.max(0, offset - l.start);
    l.values.length = Math.min(l.values.length, keep);
    l.keys.length = Math.min(l.keys.length, keep);
  }

  groupPartition(group: string): number {
    return offsetsPartitionFor(group, this.offsetsPartitions);
  }
}

class DelayedFetch {
  constructor(
    readonly from: NodeId,
    readonly msg: FetchRequest,
  ) {}
}

/** One fake broker: answers for the partitions it leads according to the shared truth. */
class FakeBroker implements Actor<Message, TraceEvent> {
  private module!: GroupCoordinatorModule;
  constructor(
    private readonly c: FakeCluster,
    private readonly id: number,
  ) {}

  onStart(ctx: Ctx): void {
    const c = this.c;
    const host: GroupHost = {
      brokerId: this.id,
      config: c.config,
      offsetsPartitions: c.offsetsPartitions,
      isOffsetsLeader: (p) => c.log(OFFSETS_TOPIC, p).leader === this.id,
      cachedOffsetsLeader: (p) => (c.offsetsLeaderUnknown ? null : c.log(OFFSETS_TOPIC, p).leader),
      appendOffsets: (_ctx, p, keys, values, _timeoutMs, done) => {
        const l = c.log(OFFSETS_TOPIC, p);
        if (l.leader !== this.id) return done("NOT_LEADER_OR_FOLLOWER");
        if (c.offsetsAppendError !== null) return done(c.offsetsAppendError);
        l.values.push(...values);
        l.keys.push(...keys);
        done("NONE");
      },
      readOffsets: (p) => {
        const l = c.log(OFFSETS_TOPIC, p);
        return { keys: l.keys, values: l.values, count: l.values.length };
      },
      internKey: (name) => c.intern(name),
      keyName: (id) => c.keys.name(id),
    };
    this.module = new GroupCoordinator(host);
    c.registerModule(this.id, this.module);
    for (let p = 0; p < c.offsetsPartitions; p++) if (c.log(OFFSETS_TOPIC, p).leader === this.id) this.module.onElected(ctx, p);
  }

  onTimer(ctx: Ctx, tag: unknown): void {
    if (tag instanceof DelayedFetch) return this.answerFetch(ctx, tag.from, tag.msg, true);
    this.module.onTimer(ctx, tag);
  }

  /** Fetch with Kafka's long poll: no data → answer after maxWaitMs. */
  private answerFetch(ctx: Ctx, from: NodeId, msg: FetchRequest, late: boolean): void {
    const c = this.c;
    let any = false;
    const partitions = msg.partitions.map((fp) => {
      const l = c.logs.get(`${fp.topic}-${fp.partition}`);
      if (l === undefined) return { topic: fp.topic, partition: fp.partition, error: "UNKNOWN_TOPIC_OR_PARTITION" as KafkaErrorCode, highWatermark: -1, logStartOffset: -1, records: null };
      if (l.leader !== this.id) return { topic: fp.topic, partition: fp.partition, error: "NOT_LEADER_OR_FOLLOWER" as KafkaErrorCode, highWatermark: -1, logStartOffset: -1, records: null };
      const end = l.start + l.values.length;
      if (fp.fetchOffset < l.start || fp.fetchOffset > end) return { topic: fp.topic, partition: fp.partition, error: "OFFSET_OUT_OF_RANGE" as KafkaErrorCode, highWatermark: end, logStartOffset: l.start, records: null };
      if (end > fp.fetchOffset) any = true;
      return { topic: fp.topic, partition: fp.partition, error: "NONE" as KafkaErrorCode, highWatermark: end, logStartOffset: l.start, records: slice(l, fp.fetchOffset, end) };
    });
    const errors = partitions.some((p) => p.error !== "NONE");
    if (!any && !errors && !late && msg.maxWaitMs > 0) {
      ctx.setTimer(msg.maxWaitMs * 1000, new DelayedFetch(from, msg));
      return;
    }
    ctx.send(from, { type: "fetch-response", corr: msg.corr, partitions });
  }

  onMessage(ctx: Ctx, from: NodeId, msg: Message): void {
    const c = this.c;
    c.received.push({ timeUs: ctx.nowUs, broker: this.id, from, type: msg.type });
    if ((c.mutedUntilUs.get(`${this.id}->${from}`) ?? -1) > ctx.nowUs) return;
    if (msg.type === "group.join" || msg.type === "group.sync") {
      const error = c.groupHook(this.id, from, msg);
      if (error !== null) {
        if (msg.type === "group.join") return ctx.send(from, { type: "group.join-response", corr: msg.corr, error, generation: -1, memberId: msg.memberId, leaderId: "", members: [] });
        return ctx.send(from, { type: "group.sync-response", corr: msg.corr, error, partitions: [] });
      }
    }
    if (msg.type.startsWith("group.")) return this.module.onMessage(ctx, from, msg as Parameters<GroupCoordinatorModule["onMessage"]>[2]);
    switch (msg.type) {
      case "metadata": {
        const partitions = [];
        for (const [topic, n] of c.partitionCounts) {
          if (msg.topics !== null && !msg.topics.includes(topic)) continue;
          for (let p = 0; p < n; p++) partitions.push({ topic, partition: p, error: "NONE" as const, leader: c.log(topic, p).leader, leaderEpoch: 0, replicas: c.brokerIds, isr: c.brokerIds });
        }
        return ctx.send(from, { type: "metadata-response", corr: msg.corr, brokers: c.brokerIds, controller: 1, partitions });
      }
      case "produce": {
        const out: { topic: string; partition: number; error: KafkaErrorCode; baseOffset: number }[] = [];
        let drop = false;
        for (const b of msg.batches) {
          const r = this.produce(msg, b);
          if (r !== null && typeof r.muteMs === "number") c.mutedUntilUs.set(`${this.id}->${from}`, ctx.nowUs + r.muteMs * 1000);
          if (r === null || typeof r.muteMs === "number") drop = true;
          else out.push({ topic: b.topic, partition: b.partition, ...r });
        }
        if (!drop && msg.acks !== 0) ctx.send(from, { type: "produce-response", corr: msg.corr, partitions: out });
        return;
      }
      case "fetch":
        return this.answerFetch(ctx, from, msg, false);
      case "list-offsets": {
        const partitions = msg.partitions.map((p) => {
          const l = c.log(p.topic, p.partition);
          return { topic: p.topic, partition: p.partition, error: "NONE" as KafkaErrorCode, offset: p.timestamp === "earliest" ? l.start : l.start + l.values.length, leaderEpoch: 0 };
        });
        return ctx.send(from, { type: "list-offsets-response", corr: msg.corr, partitions });
      }
      default:
        return;
    }
  }

  /** Append with ProducerStateEntry rules; null = append and drop the response. */
  private produce(req: ProduceRequest, b: ProduceBatch): { error: KafkaErrorCode; baseOffset: number; muteMs?: number } | null {
    const c = this.c;
    const l = c.logs.get(`${b.topic}-${b.partition}`);
    if (l === undefined) return { error: "UNKNOWN_TOPIC_OR_PARTITION", baseOffset: -1 };
    if (l.leader !== this.id) return { error: "NOT_LEADER_OR_FOLLOWER", baseOffset: -1 };
    const action = c.produceHook(this.id, req, b);
    if (action.kind === "error") return { error: action.error, baseOffset: -1 };
    if (req.producerId >= 0) {
      const k = `${req.producerId}/${b.topic}-${b.partition}`;
      const e = c.pids.get(k);
      const lastSeq = b.baseSequence + b.values.length - 1;
      if (e !== undefined && req.producerEpoch < e.epoch) return { error: "INVALID_PRODUCER_EPOCH", baseOffset: -1 };
      if (e === undefined || req.producerEpoch > e.epoch) {
        if (b.baseSequence !== 0) return { error: "OUT_OF_ORDER_SEQUENCE_NUMBER", baseOffset: -1 };
      } else {
        const dup = e.batches.find((x) => x.firstSeq === b.baseSequence && x.lastSeq === lastSeq);
        if (dup) return action.kind === "append-drop-response" ? dropped(action.muteMs) : { error: "NONE", baseOffset: dup.offset };
        if (b.baseSequence !== e.lastSeq + 1) return { error: "OUT_OF_ORDER_SEQUENCE_NUMBER", baseOffset: -1 };
      }
      const entry: PidEntry = e === undefined || req.producerEpoch > e.epoch ? { epoch: req.producerEpoch, lastSeq: -1, batches: [] } : e;
      entry.lastSeq = lastSeq;
      entry.batches.push({ firstSeq: b.baseSequence, lastSeq, offset: l.start + l.values.length });
      if (entry.batches.length > 5) entry.batches.shift();
      c.pids.set(k, entry);
    }
    const baseOffset = l.start + l.values.length;
    l.values.push(...b.values);
    l.keys.push(...b.keys);
    return action.kind === "append-drop-response" ? dropped(action.muteMs) : { error: "NONE", baseOffset };
  }
}

function dropped(muteMs: number | undefined): { error: KafkaErrorCode; baseOffset: number; muteMs: number } | null {
  return muteMs === undefined ? null : { error: "NONE", baseOffset: -1, muteMs };
}

function slice(l: Log, from: number, to: number): RecordSlice {
  const count = to - from;
  const i0 = from - l.start;
  return {
    baseOffset: from,
    count,
    at: 0,
    epochs: new Int32Array(count),
    values: Float64Array.from(l.values.slice(i0, i0 + count)),
    keys: Int32Array.from(l.keys.slice(i0, i0 + count)),
    producerIds: new Int32Array(count).fill(-1),
    sequences: new Int32Array(count).fill(-1),
    appendUs: new Float64Array(count),
    producerEpochs: new Int32Array(count).fill(-1),
  };
}
