// The world: assembles one kafkasim cluster from a normalised Scenario — the ZooKeeper-like coordinator and
// brokers with their controller (ZooKeeper mode), or the KRaft controller quorum (world-kraft.ts) — the brokers'
// group coordinators, producers and consumer groups — on one
// runtime (scheduler, seeded rng streams, network, disks, trace); runs the workload phase with the fault
// schedule, then a heal-and-drain phase; and returns the history, the final state and the trace.
import { Runtime } from "./core/runtime.ts";
import type { ActorFactory } from "./core/node.ts";
import type { StopReason } from "./core/scheduler.ts";
import { kafkaChannels } from "./kafka/channels.ts";
import type { NodeId } from "./core/ids.ts";
import { brokerNode, COORDINATOR_NODE, nodeId } from "./core/ids.ts";
import { msToUs, usToMs } from "./core/time.ts";
import type { TimeUs } from "./core/time.ts";
import { SimInputError } from "./core/errors.ts";
import type { Message } from "./kafka/protocol.ts";
import type { TraceEvent } from "./events.ts";
import { HOT_EVENT_TYPES } from "./events.ts";
import { HistoryRecorder } from "./history.ts";
import { replicaLog } from "./final-log.ts";
import type { FinalPartition, FinalState } from "./history.ts";
import type { Scenario, TopicSpec } from "./scenario/types.ts";
import { brokerConfigOf } from "./scenario/defaults.ts";
import { limitIssues } from "./scenario/limits.ts";
import { pathToString } from "./scenario/issues.ts";
import type { RunEnd, RunOptions, RunResult } from "./result.ts";
import { FaultInterpreter } from "./faults/interpreter.ts";
import type { ClusterSpec } from "./broker/spec.ts";
import { assignReplicas } from "./broker/assignment.ts";
import { coordinatorFactory, expireSession, zkView } from "./coordinator/index.ts";
import { brokerFactory, finalGroups, finalPartitions } from "./broker/index.ts";
import { OFFSETS_TOPIC } from "./broker/group/host.ts";
import { TXN_TOPIC } from "./broker/txn/host.ts";
import { KeyRegistry } from "./broker/group/key-registry.ts";
import { groupCoordinatorFactory } from "./broker/group/index.ts";
import { consumerFactory, consumerState, producerFactory, recordClientCrashes } from "./client/index.ts";
import { modeOf } from "./kafka/profiles.ts";
import { controllerNodes, kraftPlane } from "./world-kraft.ts";
import type { ClientEnv } from "./client/index.ts";

const DEFAULT_MAX_EVENTS = 50_000_000;

/** Topics the world creates: the scenario's, dead-letter topics not declared (auto.create.topics.enable is true
 *  by default in Kafka), and __consumer_offsets when there are consumer groups (or may be: `groups`, when real
 *  clients connect through outside nodes). */
export function worldTopics(s: Scenario, groups = false): TopicSpec[] {
  const topics: TopicSpec[] = [...s.topics];
  const names = new Set(topics.map((t) => t.name));
  const rf = Math.min(3, s.brokers);
  const add = (name: string | undefined): void => {
    if (name === undefined || names.has(name)) return;
    names.add(name);
    topics.push({ name, partitions: 1, "replication.factor": rf, config: {} });
  };
  for (const p of s.producers) if (p.onFailure === "dead-letter") add(p.deadLetterTopic ?? `${p.topic}.dlt`);
  for (const c of s.consumers) if (c.processing.onFailure === "dead-letter") add(c.processing.deadLetterTopic ?? `${c.topics[0] ?? "topic"}.dlt`);
  if ((groups || s.consumers.length > 0) && !names.has(OFFSETS_TOPIC)) {
    topics.push({
      name: OFFSETS_TOPIC,
      partitions: s.broker["offsets.topic.num.partitions"],
      "replication.factor": Math.min(s.broker["offsets.topic.replication.factor"], s.brokers),
      // GroupMetadataManager writes offsets with acks=all; the offsets topic keeps the broker's min ISR.
      config: {},
    });
  }
  // TransactionStateManager creates __transaction_state on the first FindCoordinator of key type transaction; here
  // with the run, when a producer has a transactional.id or a group a transactional output (a run without one has
  // no such topic).
  const transactional = s.producers.some((p) => p.config["transactional.id"] !== null && p.config["transactional.id"] !== undefined) || s.consumers.some((c) => c.processing.output?.transactional === true);
  if (transactional && !names.has(TXN_TOPIC)) {
    topics.push({
      name: TXN_TOPIC,
      partitions: s.broker["transaction.state.log.num.partitions"],
      "replication.factor": Math.min(s.broker["transaction.state.log.replication.factor"], s.brokers),
      config: { "min.insync.replicas": Math.min(s.broker["transaction.state.log.min.isr"], s.brokers) },
    });
  }
  return topics;
}

function validateScenario(s: Scenario): void {
  if (!(Number.isInteger(s.brokers) && s.brokers >= 1)) throw new SimInputError("INVALID_SCENARIO", `brokers must be an integer ≥ 1, got ${s.brokers}`, "brokers");
  const limit = limitIssues(s)[0];
  if (limit !== undefined) throw new SimInputError("INVALID_SCENARIO", limit.message, pathToString(limit.path));
  const isBroker = (b: number): boolean => Number.isInteger(b) && b >= 1 && b <= s.brokers;
  if (s.controller !== undefined && !isBroker(s.controller)) throw new SimInputError("UNKNOWN_NODE", `controller: there is no broker ${s.controller}; brokers are 1..${s.brokers}`, "controller");
  for (const id of Object.keys(s.brokerOverrides ?? {})) {
    if (!isBroker(Number(id))) throw new SimInputError("UNKNOWN_NODE", `brokerOverrides: there is no broker ${id}; brokers are 1..${s.brokers}`, `brokerOverrides.${id}`);
  }
  for (const t of s.topics) {
    const a = t.replicaAssignment;
    if (a === undefined) continue;
    const bad = a.length !== t.partitions ? `it lists ${a.length} partitions, the topic has ${t.partitions}` : a.find((r) => r.length !== t["replication.factor"] || !r.every(isBroker) || new Set(r).size !== r.length);
    if (bad !== undefined) {
      throw new SimInputError("INVALID_SCENARIO", `topic ${t.name}: replicaAssignment ${typeof bad === "string" ? bad : `[${bad.join(", ")}] needs ${t["replication.factor"]} distinct brokers of 1..${s.brokers}`}`, `topics.${t.name}.replicaAssignment`);
    }
  }
  if (!(s.durationMs > 0)) throw new SimInputError("INVALID_DURATION", `durationMs must be > 0, got ${s.durationMs}`, "durationMs");
  if (!(s.drainMs >= 0)) throw new SimInputError("INVALID_DURATION", `drainMs must be ≥ 0, got ${s.drainMs}`, "drainMs");
  const topics = new Set(s.topics.map((t) => t.name));
  for (const t of s.topics) {
    if (t["replication.factor"] > s.brokers) {
      throw new SimInputError("INVALID_SCENARIO", `topic ${t.name}: replication.factor ${t["replication.factor"]} is larger than the number of brokers (${s.brokers})`, `topics.${t.name}`);
    }
  }
  for (const p of s.producers) {
    if (!topics.has(p.topic)) throw new SimInputError("INVALID_SCENARIO", `producer ${p.id}: unknown topic "${p.topic}"; topics: ${[...topics].join(", ")}`, `producers.${p.id}.topic`);
  }
  for (const c of s.consumers) {
    for (const t of c.topics) if (!topics.has(t)) throw new SimInputError("INVALID_SCENARIO", `consumer group ${c.group}: unknown topic "${t}"; topics: ${[...topics].join(", ")}`, `consumers.${c.group}.topics`);
  }
}

export function consumerNodeId(group: string, member: number): NodeId {
  return nodeId(`${group}/${member}`);
}

/** What a layer that runs user code inside the world is given (sim/client/kafkajs/: the async bridge). */
export interface WorldHooks {
  /** Called once the runtime and the clients' environment exist, before any node is added. */
  readonly attach?: (w: { readonly rt: Runtime<Message, TraceEvent>; readonly env: ClientEnv }) => void;
}

/** Nodes outside the scenario's clients: one per connection of a real client (the wire gateway, sim/wire/gateway/).
 *  Declared up front (the network is sized by its nodes); each boots with the world. */
export interface OutsideNodes {
  readonly ids: readonly NodeId[];
  factory(id: NodeId): ActorFactory<Message, TraceEvent>;
}

export interface WorldOptions extends RunOptions {
  readonly outside?: OutsideNodes;
}

/** A world built and started, driven by its caller: runScenario runs it to the end at once; the real-kafkajs host
 *  (sim/client/kafkajs-real/) steps it between the client's promises, and `kafkasim serve` to the wall clock. */
export interface World {
  readonly runtime: Runtime<Message, TraceEvent>;
  readonly history: HistoryRecorder;
  readonly scenario: Scenario;
  /** The faults of the scenario, and any fired on command (serve). */
  readonly faults: FaultInterpreter;
  /** A fresh value unique in the run (what producers number their sends with). */
  nextValue(): number;
  /** Run to `limitUs` (in one-second slices when someone watches progress). */
  runTo(limitUs: TimeUs): StopReason;
  /** The workload phase is over: no more faults or new sends; everything heals, paused nodes resume, stopped
   *  ones restart. */
  beginDrain(): void;
  /** The result of the run as it stands. `scenario` replaces the one the world ran in the result (the real-client
   *  hosts add the clients they observed). */
  finish(stop: StopReason, scenario?: Scenario): RunResult;
}

/** Run one scenario to the end. Same scenario and seed → same run, event for event (same traceHash). A scenario
 *  whose user code is asynchronous (a handler returning a Promise, the kafkajs API) runs with runScenarioAsync
 *  (sim/client/kafkajs/driver.ts) instead. */
export function runScenario(s: Scenario, opts: RunOptions = {}): RunResult {
  const run = worldRun(s, opts);
  for (;;) {
    const step = run.next();
    if (step.done === true) return step.value;
    throw new SimInputError("ASYNC_USER_CODE", "asynchronous user code needs `await runScenarioAsync(scenario)` (or the kafkajs API's `await sim.run()`)");
  }
}

/** The run as a generator: it yields whenever an event made asynchronous user code runnable (the scheduler's
 *  `yield` stop), so that a driver can let that code run (drain its microtasks) before the next event, and
 *  returns the result. Without async user code it never yields. */
export function* worldRun(s: Scenario, opts: RunOptions = {}, hooks: WorldHooks = {}): Generator<void, RunResult, void> {
  const w = createWorld(s, opts, hooks);
  let stop = yield* driveTo(w, msToUs(s.durationMs));
  // Heal and drain: no more faults or new sends; every partition heals, every paused node resumes, every
  // stopped node restarts; in-flight retries, replication and consumers run to completion.
  if (stop.kind === "time-limit" || stop.kind === "idle") {
    w.beginDrain();
    stop = yield* driveTo(w, msToUs(s.durationMs + s.drainMs));
  }
  return w.finish(stop);
}

/** Run a world to `limitUs`, yielding at each `yield` stop (async user code to run) and going on after it. */
function* driveTo(w: World, limitUs: TimeUs): Generator<void, StopReason, void> {
  for (;;) {
    const r = w.runTo(limitUs);
    if (r.kind !== "yield") return r;
    yield;
  }
}

/** Build a world from a scenario and start it (time 0, nothing run yet). */
export function createWorld(s: Scenario, opts: WorldOptions = {}, hooks: WorldHooks = {}): World {
  validateScenario(s);
  const topics = worldTopics(s, opts.outside !== undefined);
  const brokerIds = Array.from({ length: s.brokers }, (_, i) => i + 1);
  const clientIds: NodeId[] = [];
  const seenClients = new Set<string>();
  const addClient = (id: NodeId): void => {
    if (seenClients.has(id)) throw new SimInputError("DUPLICATE_NODE", `client id "${id}" is used twice; producer ids and consumer groups must be unique`);
    seenClients.add(id);
    clientIds.push(id);
  };
  for (const p of s.producers) if (p.external === undefined) addClient(nodeId(p.id));
  for (const c of s.consumers) if (c.external === undefined) for (let m = 0; m < c.members; m++) addClient(consumerNodeId(c.group, m));
  const outside = opts.outside?.ids ?? [];
  for (const id of outside) if (seenClients.has(id)) throw new SimInputError("DUPLICATE_NODE", `outside node "${id}" has the id of a client of the scenario`);
  const kraft = modeOf(s) === "kraft";
  const controlNodes: NodeId[] = kraft ? controllerNodes(s) : [COORDINATOR_NODE];
  const ids: NodeId[] = [...controlNodes, ...brokerIds.map((b) => brokerNode(b)), ...clientIds, ...outside];

  const rtOpts: { seed: Scenario["seed"]; record: boolean; maxEvents: number; shuffleTies: boolean; hotEvents: ReadonlySet<string>; channelOf: ReturnType<typeof kafkaChannels>; latency?: NonNullable<Scenario["network"]["latency"]> } = {
    seed: s.seed,
    hotEvents: HOT_EVENT_TYPES,
    channelOf: kafkaChannels(ids),
    record: opts.record ?? false,
    maxEvents: opts.maxEvents ?? DEFAULT_MAX_EVENTS,
    shuffleTies: opts.shuffleTies ?? false,
  };
  if (s.network.latency) rtOpts.latency = s.network.latency;
  const rt = new Runtime<Message, TraceEvent>(ids, rtOpts);

  const assignment = assignReplicas({ brokers: brokerIds, topics, rng: rt.rng.fork("assignment") });
  const spec: ClusterSpec = { brokers: s.brokers, broker: s.broker, topics, protocol: s.protocol, bugs: s.bugs, assignment };
  const keys = new KeyRegistry();
  const history = new HistoryRecorder();

  const plane = kraft ? kraftPlane(rt, s, spec) : undefined;
  if (plane === undefined) rt.addNode(COORDINATOR_NODE, coordinatorFactory(spec));
  // Each broker reads its own config (its server.properties): the cluster's with its overrides on top.
  const addBroker = (b: number): void => {
    const own = s.brokerOverrides?.[b] === undefined ? spec : { ...spec, broker: brokerConfigOf(s, b) };
    const deps = plane === undefined ? { groupCoordinator: groupCoordinatorFactory, keys } : { groupCoordinator: groupCoordinatorFactory, keys, controlPlane: plane.controlPlaneOf(b) };
    rt.addNode(brokerNode(b), brokerFactory(b, own, deps));
  };
  // A pinned controller starts alone; the others are held back (connections to them are refused) and start once
  // it has won the election, so it is the first to create /controller whatever the seed.
  const heldBack = s.controller === undefined ? [] : brokerIds.filter((b) => b !== s.controller);
  for (const b of brokerIds) addBroker(b);

  let workloadActive = true;
  let nextValue = 0;
  const downstreamUntil = new Map<string, number>();
  const env: ClientEnv = {
    history,
    downstreamDownUntilUs: (group) => downstreamUntil.get(group) ?? -1,
    bootstrap: brokerIds.map((b) => brokerNode(b)),
    nextValue: () => nextValue++,
    bugs: s.bugs,
    workloadActive: () => workloadActive,
    protocol: s.protocol,
  };
  hooks.attach?.({ rt, env });
  recordClientCrashes(rt, history, seenClients);
  for (const p of s.producers) if (p.external === undefined) rt.addNode(nodeId(p.id), producerFactory(p, env));
  for (const c of s.consumers) if (c.external === undefined) for (let m = 0; m < c.members; m++) rt.addNode(consumerNodeId(c.group, m), consumerFactory(c, m, env));
  for (const id of outside) rt.addNode(id, (opts.outside as OutsideNodes).factory(id));

  const view = plane === undefined ? zkView(rt) : undefined;
  const clientNodes = (client: string): NodeId[] => {
    if (seenClients.has(client)) return [nodeId(client)];
    const group = s.consumers.find((c) => c.group === client);
    return group ? Array.from({ length: group.members }, (_, m) => consumerNodeId(group.group, m)) : [];
  };
  const faults = new FaultInterpreter(
    {
      runtime: rt,
      history,
      brokers: s.brokers,
      controller: () => {
        if (plane !== undefined) return plane.activeController();
        const c = view?.controller() ?? null;
        return c === null ? null : brokerNode(c);
      },
      quorum: plane?.controllers ?? [],
      leaderOf: (tp) => {
        const m = /^(.+)-(\d+)$/.exec(tp);
        if (!m) throw new SimInputError("INVALID_FAULT", `leaderOf: "${tp}" is not a topic-partition like orders-0`);
        if (plane !== undefined) return plane.leaderOf(m[1] as string, Number(m[2]));
        const st = view?.partitionState(m[1] as string, Number(m[2])) ?? null;
        return st === null ? null : st.leader;
      },
      replicasOf: (tp) => assignment.get(tp) ?? [],
      clientNodes,
      expireSession: (b) => (plane !== undefined ? plane.fence(b) : expireSession(rt, b)),
      ...(plane !== undefined ? { controlledStop: (n: NodeId) => plane.controlledStop(n), metadataLag: (b: number, delayUs: number, untilUs: number) => plane.metadataLag(b, delayUs, untilUs) } : {}),
      downstreamDown: (group, untilUs: TimeUs) => {
        downstreamUntil.set(group, Math.max(untilUs, downstreamUntil.get(group) ?? -1));
      },
    },
    s.faults,
  );

  rt.trace.emit(rt.nowUs, { type: "phase", phase: "workload" });
  rt.startAll(heldBack.map((b) => brokerNode(b)));
  if (heldBack.length > 0) {
    const first = brokerNode(s.controller as number);
    let released = false;
    // Released once the pinned broker is controller, or if it went down before (nobody would be then).
    rt.trace.onEmit((_t, ev) => {
      const e = ev as TraceEvent;
      const now = (e.type === "controller-elected" && e.broker === s.controller) || ((e.type === "node-kill" || e.type === "node-power-loss" || e.type === "node-stop") && e.node === first);
      if (!now || released) return;
      released = true;
      rt.call(rt.nowUs, () => {
        for (const b of heldBack) rt.start(brokerNode(b));
      });
    });
  }
  const totalMs = s.durationMs + s.drainMs;
  const onProgress = opts.onProgress;
  /** Run to `limitUs`, in one-second slices when someone watches progress (slicing does not change the run). It
   *  returns early with a `yield` stop whenever an event made async user code runnable: the driver lets that code
   *  run, then calls it again. */
  const runTo = (limitUs: TimeUs): StopReason => {
    for (;;) {
      const sliceUs = onProgress === undefined ? limitUs : (Math.min(limitUs, (Math.floor(rt.nowUs / 1_000_000) + 1) * 1_000_000) as TimeUs);
      const r = rt.runUntil(sliceUs);
      if (r.kind === "yield") return r;
      if (onProgress !== undefined) onProgress(usToMs(rt.nowUs), totalMs);
      if (r.kind !== "time-limit" || sliceUs >= limitUs) return r;
    }
  };
  const beginDrain = (): void => {
    workloadActive = false;
    faults.stop();
    rt.trace.emit(rt.nowUs, { type: "phase", phase: "drain" });
    rt.network.healAll();
    plane?.onDrain();
    for (const id of ids) {
      const st = rt.status(id);
      if (st === "paused") rt.resume(id);
      else if (st !== "up") rt.restart(id);
    }
  };
  const finish = (stop: StopReason, scenario: Scenario = s): RunResult => finishWorld({ rt, s: scenario, spec, keys, history, faults, brokerIds, plane }, stop);
  return { runtime: rt, history, scenario: s, faults, nextValue: env.nextValue, runTo, beginDrain, finish };
}

interface WorldParts {
  readonly rt: Runtime<Message, TraceEvent>;
  readonly s: Scenario;
  readonly spec: ClusterSpec;
  readonly keys: KeyRegistry;
  readonly history: HistoryRecorder;
  readonly faults: FaultInterpreter;
  readonly brokerIds: readonly number[];
  /** KRaft: the controllers and the brokers' metadata view (absent in ZooKeeper mode). */
  readonly plane: ReturnType<typeof kraftPlane> | undefined;
}

function finishWorld({ rt, s, spec, keys, history, faults, brokerIds, plane }: WorldParts, stop: StopReason): RunResult {
  rt.trace.emit(rt.nowUs, { type: "phase", phase: "end" });

  let end: RunEnd;
  switch (stop.kind) {
    case "max-events":
      end = { reason: "max-events", events: stop.events };
      break;
    case "max-time":
      end = { reason: "max-time", atMs: usToMs(stop.atUs) };
      break;
    default:
      end = { reason: "completed" };
  }

  const partitions = finalPartitions(rt, spec);
  const consumerStates: Record<string, unknown> = {};
  for (const c of s.consumers) {
    if (c.external !== undefined) continue;
    for (let m = 0; m < c.members; m++) {
      const st = consumerState(rt.actor(consumerNodeId(c.group, m)));
      if (st !== undefined) consumerStates[consumerNodeId(c.group, m)] = st;
    }
  }
  const final: FinalState = { partitions, committedOffsets: committedOffsets(partitions, keys), consumerState: consumerStates, groups: finalGroups(rt, brokerIds), ...(plane !== undefined ? { metadata: plane.finalMetadata() } : {}) };
  let diskBytes = 0;
  for (const b of brokerIds) diskBytes += rt.disk(brokerNode(b)).bytes();
  const ns = rt.network.stats;
  return resultOf(
    { seed: s.seed, scenario: s, protocol: s.protocol, traceHash: rt.trace.traceHash, end, virtualMs: usToMs(rt.nowUs), workloadEndMs: s.durationMs, events: rt.scheduler.dispatched },
    history,
    {
      final,
      faults: faults.fired,
      warnings: faults.warnings,
      trace: rt.trace.events as RunResult["trace"],
      evidence: rt.trace.evidence as RunResult["evidence"],
      diskBytes,
      network: { sent: ns.sent, delivered: ns.delivered, dropped: ns.sent - ns.delivered },
    },
  );
}

/** The result around the recorder: `history` materialised from its columns on first read (an own enumerable getter,
 *  so JSON, spread and structured clone see the ops as before) and `historyColumns`, the recorder itself
 *  (non-enumerable). Built here, outside runScenario: a getter created in there would hold runScenario's whole
 *  closure context — the runtime, every disk and log — for as long as the result lives. */
function resultOf(head: Pick<RunResult, "seed" | "scenario" | "protocol" | "traceHash" | "end" | "virtualMs" | "workloadEndMs" | "events">, recorder: HistoryRecorder, tail: Omit<RunResult, keyof typeof head | "history" | "historyColumns" | "sendsAcked">): RunResult {
  const result: RunResult = {
    ...head,
    get history() {
      return recorder.ops;
    },
    sendsAcked: recorder.sendsAcked,
    ...tail,
  };
  Object.defineProperty(result, "historyColumns", { value: recorder, enumerable: false });
  return result;
}

/** The committed offset of each (group, topic, partition): the last __consumer_offsets record for its key below
 *  the HW of the partition's leader (or, with no leader, of the replica with the highest HW). */
function committedOffsets(partitions: readonly FinalPartition[], keys: KeyRegistry): FinalState["committedOffsets"] {
  const latest = new Map<string, number>();
  for (const p of partitions) {
    if (p.topic !== OFFSETS_TOPIC) continue;
    const replica = p.replicas.find((r) => r.broker === p.leader) ?? [...p.replicas].sort((a, b) => b.highWatermark - a.highWatermark)[0];
    if (!replica) continue;
    const upTo = Math.min(replica.highWatermark, replica.logEndOffset) - replica.logStartOffset;
    const log = replicaLog(replica); // read compact: the replica's arrays are built only if a user reads them
    for (let i = 0; i < upTo; i++) {
      const name = keys.name(log.keyAt(i));
      if (name !== undefined) latest.set(name, log.valueAt(i));
    }
  }
  const out: { group: string; topic: string; partition: number; offset: number }[] = [];
  for (const [name, offset] of latest) {
    const m = /^(.*)\/(.*)\/(\d+)$/.exec(name);
    if (m) out.push({ group: m[1] as string, topic: m[2] as string, partition: Number(m[3]), offset });
  }
  return out;
}

