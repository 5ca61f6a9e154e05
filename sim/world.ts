// The world: assembles one kafkasim cluster from a normalised Scenario — the ZooKeeper-like coordinator,
// the brokers (with their controller and group coordinator), producers and consumer groups — on one
// runtime (scheduler, seeded rng streams, network, disks, trace); runs the workload phase with the fault
// schedule, then a heal-and-drain phase; and returns the history, the final state and the trace.
import { Runtime } from "./core/runtime.ts";
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
import type { ClientEnv } from "./client/index.ts";

const DEFAULT_MAX_EVENTS = 50_000_000;

/** Topics the world creates: the scenario's, dead-letter topics not declared (auto.create.topics.enable is true
 *  by default in Kafka), and __consumer_offsets when there are consumer groups. */
export function worldTopics(s: Scenario): TopicSpec[] {
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
  if (s.consumers.length > 0 && !names.has(OFFSETS_TOPIC)) {
    topics.push({
      name: OFFSETS_TOPIC,
      partitions: s.broker["offsets.topic.num.partitions"],
      "replication.factor": Math.min(s.broker["offsets.topic.replication.factor"], s.brokers),
      // GroupMetadataManager writes offsets with acks=all; the offsets topic keeps the broker's min ISR.
      config: {},
    });
  }
  // TransactionStateManager creates __transaction_state on the first FindCoordinator of key type transaction; here
  // with the run, when a producer has a transactional.id (a run without one has no such topic).
  if (s.producers.some((p) => p.config["transactional.id"] !== null && p.config["transactional.id"] !== undefined) && !names.has(TXN_TOPIC)) {
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

/** Run one scenario to the end. Same scenario and seed → same run, event for event (same traceHash). */
export function runScenario(s: Scenario, opts: RunOptions = {}): RunResult {
  validateScenario(s);
  const topics = worldTopics(s);
  const brokerIds = Array.from({ length: s.brokers }, (_, i) => i + 1);
  const clientIds: NodeId[] = [];
  const seenClients = new Set<string>();
  const addClient = (id: NodeId): void => {
    if (seenClients.has(id)) throw new SimInputError("DUPLICATE_NODE", `client id "${id}" is used twice; producer ids and consumer groups must be unique`);
    seenClients.add(id);
    clientIds.push(id);
  };
  for (const p of s.producers) addClient(nodeId(p.id));
  for (const c of s.consumers) for (let m = 0; m < c.members; m++) addClient(consumerNodeId(c.group, m));
  const ids: NodeId[] = [COORDINATOR_NODE, ...brokerIds.map((b) => brokerNode(b)), ...clientIds];

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

  rt.addNode(COORDINATOR_NODE, coordinatorFactory(spec));
  // Each broker reads its own config (its server.properties): the cluster's with its overrides on top.
  const addBroker = (b: number): void => {
    const own = s.brokerOverrides?.[b] === undefined ? spec : { ...spec, broker: brokerConfigOf(s, b) };
    rt.addNode(brokerNode(b), brokerFactory(b, own, { groupCoordinator: groupCoordinatorFactory, keys }));
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
  recordClientCrashes(rt, history, seenClients);
  for (const p of s.producers) rt.addNode(nodeId(p.id), producerFactory(p, env));
  for (const c of s.consumers) for (let m = 0; m < c.members; m++) rt.addNode(consumerNodeId(c.group, m), consumerFactory(c, m, env));

  const view = zkView(rt);
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
      controller: () => view.controller(),
      leaderOf: (tp) => {
        const m = /^(.+)-(\d+)$/.exec(tp);
        if (!m) throw new SimInputError("INVALID_FAULT", `leaderOf: "${tp}" is not a topic-partition like orders-0`);
        const st = view.partitionState(m[1] as string, Number(m[2]));
        return st === null ? null : st.leader;
      },
      replicasOf: (tp) => assignment.get(tp) ?? [],
      clientNodes,
      expireSession: (b) => expireSession(rt, b),
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
  const workloadEndUs = msToUs(s.durationMs);
  const totalMs = s.durationMs + s.drainMs;
  const onProgress = opts.onProgress;
  /** Run to `limitUs`, in one-second slices when someone watches progress (slicing does not change the run). */
  const runTo = (limitUs: TimeUs): ReturnType<typeof rt.runUntil> => {
    if (onProgress === undefined) return rt.runUntil(limitUs);
    for (;;) {
      const sliceUs = Math.min(limitUs, (Math.floor(rt.nowUs / 1_000_000) + 1) * 1_000_000) as TimeUs;
      const r = rt.runUntil(sliceUs);
      onProgress(usToMs(rt.nowUs), totalMs);
      if (r.kind !== "time-limit" || sliceUs >= limitUs) return r;
    }
  };
  let stop = runTo(workloadEndUs);

  // Heal and drain: no more faults or new sends; every partition heals, every paused node resumes, every
  // stopped node restarts; in-flight retries, replication and consumers run to completion.
  if (stop.kind === "time-limit" || stop.kind === "idle") {
    workloadActive = false;
    faults.stop();
    rt.trace.emit(rt.nowUs, { type: "phase", phase: "drain" });
    rt.network.healAll();
    for (const id of ids) {
      const st = rt.status(id);
      if (st === "paused") rt.resume(id);
      else if (st !== "up") rt.restart(id);
    }
    stop = runTo(msToUs(s.durationMs + s.drainMs));
  }
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

  const partitions = finalPartitions(rt, spec, { copy: false }); // the run is over: views of the logs will do
  const consumerStates: Record<string, unknown> = {};
  for (const c of s.consumers) {
    for (let m = 0; m < c.members; m++) {
      const st = consumerState(rt.actor(consumerNodeId(c.group, m)));
      if (st !== undefined) consumerStates[consumerNodeId(c.group, m)] = st;
    }
  }
  const final: FinalState = { partitions, committedOffsets: committedOffsets(partitions, keys), consumerState: consumerStates, groups: finalGroups(rt, brokerIds) };
  let diskBytes = 0;
  for (const b of brokerIds) diskBytes += rt.disk(brokerNode(b)).bytes();
  const ns = rt.network.stats;
  return {
    seed: s.seed,
    scenario: s,
    protocol: s.protocol,
    traceHash: rt.trace.traceHash,
    end,
    virtualMs: usToMs(rt.nowUs),
    workloadEndMs: s.durationMs,
    events: rt.scheduler.dispatched,
    // Materialised on first read (sends are recorded as columns); an own enumerable getter, so JSON, spread and
    // structured clone see the ops as before.
    get history() {
      return history.ops;
    },
    sendsAcked: history.sendsAcked,
    final,
    faults: faults.fired,
    warnings: faults.warnings,
    trace: rt.trace.events as RunResult["trace"],
    evidence: rt.trace.evidence as RunResult["evidence"],
    diskBytes,
    network: { sent: ns.sent, delivered: ns.delivered, dropped: ns.sent - ns.delivered },
  };
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
    const recKeys = replica.keys;
    for (let i = 0; i < upTo; i++) {
      const name = keys.name(recKeys?.[i] ?? -1);
      if (name !== undefined) latest.set(name, replica.values[i] as number);
    }
  }
  const out: { group: string; topic: string; partition: number; offset: number }[] = [];
  for (const [name, offset] of latest) {
    const m = /^(.*)\/(.*)\/(\d+)$/.exec(name);
    if (m) out.push({ group: m[1] as string, topic: m[2] as string, partition: Number(m[3]), offset });
  }
  return out;
}

