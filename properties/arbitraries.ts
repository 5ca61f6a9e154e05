// fast-check arbitraries for kafkasim: configurations, workloads and fault schedules as plain data that
// shrinks (fewer faults, earlier times, smaller numbers), plus a swarm mode that draws a random fault mix per
// run. Every value is a normalised Scenario (sim/scenario/types.ts), so a shrunk counterexample is saved and
// replayed as a scenario file. Runs are kept small (3 brokers, 1–3 partitions, a few seconds of virtual time,
// a few hundred records) and Kafka's timeouts are scaled down to match, so that faults matter within a run.
import fc from "fast-check";
import type { Acks, BrokerConfig, ConsumerConfig, ProducerConfig, ProtocolVersion } from "../sim/kafka/config.ts";
import type { Fault, FaultAction, FaultTarget } from "../sim/faults/types.ts";
import type { BugSwitches, CommitStrategy, Scenario } from "../sim/scenario/types.ts";
import { buildScenario } from "../sim/scenario/defaults.ts";
import { modeOf, versionAtLeast } from "../sim/kafka/profiles.ts";
import { withDelivery } from "../sim/scenario/delivery.ts";
import type { DeliverySemantics } from "../sim/scenario/delivery.ts";
import type { ConsumerInput } from "../sim/scenario/defaults.ts";

/** The knobs a fuzz run varies; everything else is the fuzz shape's scaled-down defaults. */
export interface FuzzKnobs {
  readonly acks: Acks;
  readonly minIsr: number;
  readonly unclean: boolean;
  readonly idempotence: boolean;
  readonly retries: number;
  readonly maxInFlight: number;
  readonly protocol: ProtocolVersion;
  /** fsync after every message (log.flush.interval.messages=1) or never. */
  readonly flushEveryMessage: boolean;
  /** null: no consumer group. */
  readonly commit: CommitStrategy | null;
  readonly asyncProcessing: boolean;
  readonly members: number;
  /** The group as a consume-transform-produce pipeline writing to orders.out (sim/scenario/delivery.ts); null: it
   *  only processes. Only with a group on 0.11+ (transactions, KIP-98); processing synchronous, commit per batch. */
  readonly pipeline: DeliverySemantics | null;
  /** The producer writes in transactions (transactional.id; 5 records a transaction, a fifth of them aborted).
   *  Only where idempotence holds (acks=all, retries > 0, ≤ 5 in flight: Kafka refuses a transactional.id
   *  without idempotence) on 0.11+ (KIP-98). */
  readonly transactional: boolean;
  /** A transactional producer's transaction.timeout.ms, the coordinators sweeping for timed-out transactions every
   *  fifth of it (transaction.abort.timed.out.transaction.cleanup.interval.ms). Not drawn (Kafka's 60 s outlives
   *  every run): the steering lever of the txn-timed-out probe pins it (properties/steering.ts). */
  readonly txnTimeoutMs?: number;
}

/** Kafka 3.x's safe configuration (acks=all, min ISR 2 on RF 3, clean election, idempotence, commit after
 *  processing, protocol 3.7). */
export const SAFE_KNOBS: FuzzKnobs = {
  acks: "all",
  minIsr: 2,
  unclean: false,
  idempotence: true,
  retries: 2147483647,
  maxInFlight: 5,
  protocol: "3.7",
  flushEveryMessage: false,
  commit: null,
  asyncProcessing: false,
  members: 1,
  pipeline: null,
  transactional: false,
};

export interface FuzzShape {
  readonly brokers: number;
  readonly partitions: number;
  readonly durationMs: number;
  readonly drainMs: number;
  readonly ratePerSec: number;
}

export const DEFAULT_SHAPE: FuzzShape = { brokers: 3, partitions: 1, durationMs: 2000, drainMs: 1500, ratePerSec: 100 };

/** Kafka's timeouts scaled to a few seconds of virtual time (the ratios of the defaults kept roughly). */
const FUZZ_BROKER: Partial<BrokerConfig> = {
  "replica.lag.time.max.ms": 300,
  "zookeeper.session.timeout.ms": 400,
  "replica.fetch.wait.max.ms": 100,
  "replica.fetch.backoff.ms": 50,
  "replica.socket.timeout.ms": 300,
  "replica.high.watermark.checkpoint.interval.ms": 200,
  "offsets.topic.num.partitions": 1,
  "group.initial.rebalance.delay.ms": 0,
  "group.min.session.timeout.ms": 100,
  // The inter-broker request timeout at the producers' scale: a WriteTxnMarkers request to a leader that lost
  // power is retried on the new leader within the drain.
  "request.timeout.ms": 300,
};
/** The KRaft keys at the same scale (only in KRaft runs: ZooKeeper-mode scenarios stay as they were): a 400 ms
 *  broker session with heartbeats every 100 ms, quorum elections after 100–200 ms, NoOps every 50 ms. */
const FUZZ_KRAFT_BROKER: Partial<BrokerConfig> = {
  "broker.session.timeout.ms": 400,
  "broker.heartbeat.interval.ms": 100,
  "controller.quorum.election.timeout.ms": 100,
  "controller.quorum.fetch.timeout.ms": 200,
  "controller.quorum.request.timeout.ms": 200,
  "controller.quorum.election.backoff.max.ms": 100,
  "controller.quorum.append.linger.ms": 5,
  "metadata.max.idle.interval.ms": 50,
};
const FUZZ_PRODUCER: Partial<ProducerConfig> = {
  "request.timeout.ms": 300,
  "delivery.timeout.ms": 2000,
  "retry.backoff.ms": 20,
  "metadata.max.age.ms": 1000,
  "linger.ms": 0,
};
const FUZZ_CONSUMER: Partial<ConsumerConfig> = {
  "auto.offset.reset": "earliest",
  "session.timeout.ms": 600,
  "heartbeat.interval.ms": 150,
  "max.poll.interval.ms": 5000,
  "auto.commit.interval.ms": 200,
  "fetch.max.wait.ms": 100,
  "retry.backoff.ms": 20,
  "request.timeout.ms": 300,
  "metadata.max.age.ms": 1000,
  "max.poll.records": 50,
};

export const TOPIC = "orders";

/** A drawn transactional producer's transactions: short ones, so that a run of a few seconds holds dozens, and
 *  some aborted, so that read_committed has something to drop. */
export const FUZZ_TRANSACTION = { records: 5, abortProb: 0.2 } as const;

/** How long a consumer group may need to recover once every fault has healed: a JoinGroup lost with a broken
 *  connection is only given up after its request timeout, max(request.timeout.ms, max.poll.interval.ms + 5 s)
 *  (AbstractCoordinator: JOIN_GROUP_TIMEOUT_LAPSE), then the member rejoins and fetches; plus a second for that.
 *  A drain shorter than this judges a group still waiting as `unseen` records. */
export function groupRecoveryMs(c: Partial<ConsumerConfig>): number {
  const joinTimeoutMs = Math.max(c["request.timeout.ms"] ?? 30_000, (c["max.poll.interval.ms"] ?? 300_000) + 5_000);
  return joinTimeoutMs + 1_000;
}

/** One scenario from knobs, a shape and a fault schedule. */
export function fuzzScenario(knobs: FuzzKnobs, faults: readonly Fault[], seed: number, shape: FuzzShape = DEFAULT_SHAPE, bugs: BugSwitches = {}): Scenario {
  // Idempotence needs acks=all, retries > 0 and at most 5 in flight (fact 16); set explicitly otherwise, Kafka
  // refuses the config, so a conflicting draw means "off".
  const idempotence = knobs.idempotence && (knobs.acks === "all" || knobs.acks === -1) && knobs.retries > 0 && knobs.maxInFlight <= 5;
  const producerConfig: Partial<ProducerConfig> = {
    ...FUZZ_PRODUCER,
    acks: knobs.acks,
    "enable.idempotence": idempotence,
    retries: knobs.retries,
    "max.in.flight.requests.per.connection": knobs.maxInFlight,
  };
  // A transactional.id needs idempotence (ProducerConfig: "Cannot set a transactional.id without also enabling
  // idempotence") and 0.11+; a drawn transactional producer that conflicts with a drawn knob is off.
  const transactional = knobs.transactional && idempotence && versionAtLeast(knobs.protocol, "0.11");
  const txnTimeoutMs = transactional ? knobs.txnTimeoutMs : undefined;
  const consumers: ConsumerInput[] = [];
  // A pipeline needs a group and transactions (0.11+, KIP-98); its processing is synchronous, committed per batch.
  const pipeline = knobs.commit !== null && versionAtLeast(knobs.protocol, "0.11") ? knobs.pipeline : null;
  if (knobs.commit !== null) {
    consumers.push({
      group: "g1",
      members: knobs.members,
      topics: [TOPIC],
      config: { ...FUZZ_CONSUMER, "enable.auto.commit": knobs.commit === "auto" },
      // Asynchronous workers are slower than the poll loop (8 ms a record): auto-commit runs ahead of them, but they keep up by the end of the drain.
      processing: { commit: knobs.commit, async: knobs.asyncProcessing && pipeline === null, timeMs: knobs.asyncProcessing && pipeline === null ? 8 : 2, commitEvery: "batch" },
    });
  }
  const s = buildScenario({
    name: "fuzz",
    seed,
    durationMs: shape.durationMs,
    drainMs: consumers.length > 0 ? Math.max(shape.drainMs, groupRecoveryMs(FUZZ_CONSUMER)) : shape.drainMs,
    protocol: knobs.protocol,
    brokers: shape.brokers,
    broker: {
      ...FUZZ_BROKER,
      ...(modeOf({ protocol: knobs.protocol }) === "kraft" ? FUZZ_KRAFT_BROKER : {}),
      "min.insync.replicas": knobs.minIsr,
      "unclean.leader.election.enable": knobs.unclean,
      "offsets.topic.replication.factor": Math.min(3, shape.brokers),
      "log.flush.interval.messages": knobs.flushEveryMessage ? 1 : null,
      ...(txnTimeoutMs !== undefined ? { "transaction.abort.timed.out.transaction.cleanup.interval.ms": Math.max(1, Math.round(txnTimeoutMs / 5)) } : {}),
    },
    topics: [{ name: TOPIC, partitions: shape.partitions, "replication.factor": Math.min(3, shape.brokers) }],
    producers: [
      transactional
        ? { id: "p1", topic: TOPIC, ratePerSec: shape.ratePerSec, config: { ...producerConfig, "transactional.id": "tx-1", ...(txnTimeoutMs !== undefined ? { "transaction.timeout.ms": txnTimeoutMs } : {}) }, transaction: FUZZ_TRANSACTION, onFailure: "log" }
        : { id: "p1", topic: TOPIC, ratePerSec: shape.ratePerSec, config: producerConfig, onFailure: "log" },
    ],
    consumers,
    faults: [...faults],
    bugs,
  });
  return pipeline === null ? s : withDelivery(s, pipeline);
}

// ---------------------------------------------------------------------------------------------------------
// Fault schedules: a list of episodes (a fault, and for most kinds its end after durationMs), flattened into
// the scenario's Fault list. Episodes shrink to fewer, earlier, shorter ones.

export type EpisodeKind =
  | "kill"
  | "power"
  | "stop"
  | "pause"
  | "partition"
  | "partition-oneway"
  | "isolate"
  | "expire-session"
  | "slow"
  | "flaky"
  | "crash-consumer"
  | "slow-followers"
  | "stall-controller"
  | "pause-producer"
  | "metadata-lag";
/** Broker faults (the default mix). Opt-in: "crash-consumer" (kill a consumer member, restart it),
 *  "slow-followers" (the followers of orders-0 slowed ×100, so its HW lags its log end), "stall-controller"
 *  (a session expiry, and the controller slowed right as it reacts: a zombie controller), "pause-producer" (the
 *  producer p1 paused: a transaction left open) and "metadata-lag" (KRaft: a broker applies committed metadata
 *  100–300 ms late; dropped from ZooKeeper-mode runs, which have no metadata log). */
export const EPISODE_KINDS: readonly EpisodeKind[] = ["kill", "power", "stop", "pause", "partition", "partition-oneway", "isolate", "expire-session", "slow", "flaky"];

export interface Episode {
  readonly kind: EpisodeKind;
  readonly atMs: number;
  /** How long until the fault is undone (restart, resume, heal); 0: left to the drain phase. */
  readonly durationMs: number;
  /** 0: the leader of orders-0 at that moment; 1..brokers: that broker. */
  readonly broker: number;
  /** Second broker, for partitions (the side the first is cut from). */
  readonly other: number;
}

function target(broker: number): FaultTarget {
  return broker === 0 ? { leaderOf: `${TOPIC}-0` } : { broker };
}

/** An episode as scenario faults (time-triggered). */
export function episodeFaults(e: Episode, brokers: number, members = 1): Fault[] {
  const t = target(e.broker);
  // Partitions need concrete, distinct sides (a node may be in one group only).
  const side = e.broker === 0 ? 1 : e.broker;
  const other = e.other === side ? (side % brokers) + 1 : e.other;
  const end = e.durationMs > 0 ? e.atMs + e.durationMs : 0;
  // The undo must hit the node the fault hit; "the leader of" may have moved by then, so for leader-targeted
  // episodes the restart/heal is left to the drain phase (network heals are global and safe either way).
  const concrete = e.broker !== 0;
  const out: Fault[] = [];
  const at = (atMs: number, action: FaultAction): Fault => ({ atMs, action });
  switch (e.kind) {
    case "kill":
    case "power":
    case "stop":
      out.push(at(e.atMs, { kind: e.kind, target: t }));
      if (end > 0 && concrete) out.push(at(end, { kind: "restart", target: t }));
      break;
    case "pause":
      out.push(at(e.atMs, e.durationMs > 0 ? { kind: "pause", target: t, durationMs: e.durationMs } : { kind: "pause", target: t }));
      break;
    case "isolate":
      out.push(at(e.atMs, { kind: "isolate", target: t }));
      if (end > 0 && concrete) out.push(at(end, { kind: "heal", target: t }));
      break;
    case "partition": {
      // The target is cut off from one other broker and from the coordinator (ZooKeeper); the remaining broker
      // keeps its links to both sides (nodes in no group keep their links).
      out.push(at(e.atMs, { kind: "partition", groups: [[{ broker: side }], [{ broker: other }, { coordinator: true }]] }));
      if (end > 0) out.push(at(end, { kind: "heal" }));
      break;
    }
    case "partition-oneway":
      out.push(at(e.atMs, { kind: "partition-oneway", from: [{ broker: side }], to: [{ broker: other }, { coordinator: true }] }));
      if (end > 0) out.push(at(end, { kind: "heal" }));
      break;
    case "expire-session":
      out.push(at(e.atMs, { kind: "expire-session", target: t }));
      break;
    case "slow":
      out.push(at(e.atMs, { kind: "slow", target: t, factor: 20 }));
      if (end > 0 && concrete) out.push(at(end, { kind: "heal", target: t }));
      break;
    case "crash-consumer": {
      // Member (other - 1) of group g1, killed and restarted (its uncommitted work is lost).
      const client: FaultTarget = { client: `g1/${(e.other - 1) % Math.max(1, members)}` };
      out.push(at(e.atMs, { kind: "kill", target: client }));
      if (end > 0) out.push(at(end, { kind: "restart", target: client }));
      break;
    }
    case "slow-followers":
      // The replicas of orders-0 other than its leader at that moment (resolved at fire time); the undo is a
      // global heal, as the followers may have changed by then.
      out.push(at(e.atMs, { kind: "slow", target: { followersOf: `${TOPIC}-0` }, factor: 100 }));
      if (end > 0) out.push(at(end, { kind: "heal" }));
      break;
    case "stall-controller":
      // A broker's session expires (target), and the controller stalls while it handles that: its links slowed
      // ×3000 (~0.75 ms → ~2 s) 1.5–3.5 ms later, as its leader-and-isr goes out. Its own session then expires,
      // a new controller takes over, and the stalled controller's requests arrive after the new one's (a zombie
      // controller). Left to the drain phase to heal.
      out.push(at(e.atMs, { kind: "expire-session", target: t }));
      out.push(at(e.atMs + 0.5 + e.other, { kind: "slow", target: { controller: true }, factor: 3000 }));
      break;
    case "flaky":
      out.push(at(e.atMs, { kind: "flaky", target: t, lossProb: 0.3 }));
      if (end > 0 && concrete) out.push(at(end, { kind: "heal", target: t }));
      break;
    case "pause-producer":
      out.push(at(e.atMs, e.durationMs > 0 ? { kind: "pause", target: { client: "p1" }, durationMs: e.durationMs } : { kind: "pause", target: { client: "p1" } }));
      break;
    case "metadata-lag": {
      const delayMs = 100 * Math.min(3, e.other);
      out.push(at(e.atMs, e.durationMs > 0 ? { kind: "metadata-lag", target: t, delayMs, durationMs: e.durationMs } : { kind: "metadata-lag", target: t, delayMs }));
      break;
    }
  }
  return out;
}

export interface ScheduleOptions {
  readonly brokers?: number;
  readonly durationMs?: number;
  readonly kinds?: readonly EpisodeKind[];
  readonly maxEpisodes?: number;
  /** Keep the cluster recoverable: never more than brokers-1 brokers down (killed, powered off, stopped) at once. */
  readonly guard?: boolean;
}

export function episodeArb(o: ScheduleOptions = {}): fc.Arbitrary<Episode> {
  const brokers = o.brokers ?? 3;
  const durationMs = o.durationMs ?? DEFAULT_SHAPE.durationMs;
  const kinds = o.kinds ?? EPISODE_KINDS;
  return fc.record({
    kind: fc.constantFrom(...kinds),
    atMs: fc.integer({ min: 100, max: Math.max(100, durationMs - 100) }),
    durationMs: fc.oneof(fc.constant(0), fc.integer({ min: 50, max: Math.max(50, durationMs) })),
    broker: fc.integer({ min: 0, max: brokers }),
    other: fc.integer({ min: 1, max: brokers }),
  });
}

const DOWN_KINDS: ReadonlySet<EpisodeKind> = new Set(["kill", "power", "stop"]);

/** The recoverability guard: drop a down-episode that would take the last live broker down. Leader-targeted
 *  episodes count as hitting one unknown broker. */
export function guardSchedule(episodes: readonly Episode[], brokers: number): Episode[] {
  const sorted = [...episodes].sort((a, b) => a.atMs - b.atMs);
  const downUntil: number[] = [];
  const out: Episode[] = [];
  for (const e of sorted) {
    for (let i = downUntil.length - 1; i >= 0; i--) if ((downUntil[i] as number) <= e.atMs) downUntil.splice(i, 1);
    if (DOWN_KINDS.has(e.kind)) {
      if (downUntil.length >= brokers - 1) continue;
      downUntil.push(e.durationMs > 0 && e.broker !== 0 ? e.atMs + e.durationMs : Number.POSITIVE_INFINITY);
    }
    out.push(e);
  }
  return out;
}

export function scheduleArb(o: ScheduleOptions = {}): fc.Arbitrary<Episode[]> {
  const brokers = o.brokers ?? 3;
  return fc.array(episodeArb(o), { minLength: 0, maxLength: o.maxEpisodes ?? 4 }).map((eps) => (o.guard === false ? eps : guardSchedule(eps, brokers)));
}

/** Swarm mode (TigerBeetle's options_swarm): each run first draws which fault kinds are on, then a schedule
 *  of only those kinds, so that some runs hammer one kind and others mix a few. */
export function swarmScheduleArb(o: ScheduleOptions = {}): fc.Arbitrary<Episode[]> {
  const kinds = o.kinds ?? EPISODE_KINDS;
  return fc.subarray([...kinds], { minLength: 1 }).chain((on) => scheduleArb({ ...o, kinds: on, maxEpisodes: o.maxEpisodes ?? 6 }));
}

/** The scenario faults of a schedule; undo actions that would fall in the drain phase are left to it. */
export function flatten(episodes: readonly Episode[], brokers: number, durationMs: number, members = 1): Fault[] {
  const out: Fault[] = [];
  for (const e of episodes) for (const f of episodeFaults(e, brokers, members)) if (!("atMs" in f) || f.atMs < durationMs) out.push(f);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Configurations and whole scenarios.

export function knobsArb(): fc.Arbitrary<FuzzKnobs> {
  return fc
    .record({
      acks: fc.constantFrom<Acks>("all", 1, 0),
      minIsr: fc.integer({ min: 1, max: 3 }),
      unclean: fc.boolean(),
      idempotence: fc.boolean(),
      retries: fc.constantFrom(2147483647, 0, 3),
      maxInFlight: fc.constantFrom(1, 5),
      protocol: fc.constantFrom<ProtocolVersion>("3.7", "2.7", "2.0", "0.11", "0.10", "3.9", "4.0", "4.1"),
      flushEveryMessage: fc.boolean(),
      commit: fc.constantFrom<CommitStrategy | null>(null, "after-processing", "before-processing", "auto"),
      asyncProcessing: fc.boolean(),
      members: fc.integer({ min: 1, max: 2 }),
      // A group's consume-transform-produce pipeline (half the groups): exactly-once twice as often as
      // at-least-once; at-most-once only when fixed (--set delivery=at-most-once). Shrinks to none.
      pipeline: fc.oneof(
        { arbitrary: fc.constant(null), weight: 3 },
        { arbitrary: fc.constant<DeliverySemantics>("exactly-once"), weight: 2 },
        { arbitrary: fc.constant<DeliverySemantics>("at-least-once"), weight: 1 },
      ),
      // A transactional input producer in an eighth of the runs: it brings the idempotence Kafka requires of it
      // (acks=all, retries > 0); a fixed key that conflicts turns it off instead (fuzzScenario).
      transactional: fc.oneof({ arbitrary: fc.constant(false), weight: 7 }, { arbitrary: fc.constant(true), weight: 1 }),
    })
    .map((k) => (k.transactional ? { ...k, idempotence: true, acks: "all" as const, retries: k.retries === 0 ? SAFE_KNOBS.retries : k.retries } : k))
    .map((k) => (k.idempotence && (k.acks !== "all" || k.retries === 0) ? { ...k, idempotence: false } : k));
}

export interface FuzzValue {
  readonly knobs: FuzzKnobs;
  readonly shape: FuzzShape;
  readonly episodes: readonly Episode[];
  readonly seed: number;
}

/** Knobs pinned by fixed Kafka keys (`--set`); `autoCommit` is enable.auto.commit. */
export type FixedKnobs = Partial<FuzzKnobs> & { readonly autoCommit?: boolean };

/** The knobs that fixed keys pin: canonical `scope.key` → value (fixedBySets, sim/scenario/overrides.ts). */
export function fixedKnobs(fixed: ReadonlyMap<string, unknown>): FixedKnobs {
  const out: { -readonly [K in keyof FixedKnobs]: FixedKnobs[K] } = {};
  const get = (...keys: string[]): unknown => keys.map((k) => fixed.get(k)).find((v) => v !== undefined);
  const acks = get("producer.acks");
  if (acks !== undefined) out.acks = acks === -1 ? "all" : (acks as Acks);
  const minIsr = get("topic.min.insync.replicas", "broker.min.insync.replicas");
  if (minIsr !== undefined) out.minIsr = minIsr as number;
  const unclean = get("topic.unclean.leader.election.enable", "broker.unclean.leader.election.enable");
  if (unclean !== undefined) out.unclean = unclean as boolean;
  const idempotence = get("producer.enable.idempotence");
  if (idempotence !== undefined) out.idempotence = idempotence as boolean;
  const retries = get("producer.retries");
  if (retries !== undefined) out.retries = retries as number;
  const inFlight = get("producer.max.in.flight.requests.per.connection");
  if (inFlight !== undefined) out.maxInFlight = inFlight as number;
  const protocol = get("protocol");
  if (protocol !== undefined) out.protocol = protocol as ProtocolVersion;
  const flush = get("topic.log.flush.interval.messages", "broker.log.flush.interval.messages");
  if (flush !== undefined) out.flushEveryMessage = flush === 1;
  const autoCommit = get("consumer.enable.auto.commit");
  if (autoCommit !== undefined) out.autoCommit = autoCommit as boolean;
  const delivery = get("delivery");
  if (delivery !== undefined) out.pipeline = delivery as DeliverySemantics;
  const txnId = get("producer.transactional.id");
  if (txnId !== undefined) out.transactional = txnId !== null;
  return out;
}

/** Drawn knobs around fixed ones: the fixed values win, and a drawn knob that would conflict with one yields.
 *  A fixed enable.idempotence=true needs acks=all, retries > 0 and at most 5 requests in flight (fact 16), so
 *  those are drawn compatible; a drawn idempotence that conflicts with a fixed acks, retries or in-flight is
 *  off (fuzzScenario); enable.auto.commit=false rules out the "auto" commit strategy. */
export function constrainKnobs(k: FuzzKnobs, fixed: FixedKnobs): FuzzKnobs {
  const { autoCommit, ...pinned } = fixed;
  const out: { -readonly [K in keyof FuzzKnobs]: FuzzKnobs[K] } = { ...k, ...pinned };
  if (fixed.idempotence === true) {
    if (fixed.acks === undefined) out.acks = "all";
    if (fixed.retries === undefined && out.retries === 0) out.retries = SAFE_KNOBS.retries;
    if (fixed.maxInFlight === undefined && out.maxInFlight > 5) out.maxInFlight = 5;
  }
  if (autoCommit === false && fixed.commit === undefined && out.commit === "auto") out.commit = "after-processing";
  // A fixed pipeline needs a group, a fixed transactional producer idempotence; both need 0.11+ (KIP-98).
  if (fixed.pipeline != null && fixed.commit === undefined && out.commit === null) out.commit = "after-processing";
  if (fixed.transactional === true) {
    if (fixed.idempotence === undefined) out.idempotence = true;
    if (fixed.acks === undefined) out.acks = "all";
    if (fixed.retries === undefined && out.retries === 0) out.retries = SAFE_KNOBS.retries;
    if (fixed.maxInFlight === undefined && out.maxInFlight > 5) out.maxInFlight = 5;
  }
  const needsTxn = (fixed.pipeline != null && fixed.pipeline !== "at-most-once" && fixed.pipeline !== "at-least-once") || fixed.transactional === true;
  if (needsTxn && fixed.protocol === undefined && !versionAtLeast(out.protocol, "0.11")) out.protocol = "0.11";
  return out;
}

/** A drawn scenario's keys that depend on fixed ones (`scope.key` → value), moved out of conflict: KafkaProducer
 *  wants delivery.timeout.ms ≥ linger.ms + request.timeout.ms, a consumer heartbeat.interval.ms below
 *  session.timeout.ms, and the brokers' group.min/max.session.timeout.ms around it. A key fixed itself is left
 *  alone (a conflict between two fixed keys is the user's, and reported as such). */
export function fitToFixed(s: Scenario, fixed: ReadonlyMap<string, unknown>): Scenario {
  const num = (key: string, drawn: number): number => (fixed.get(key) as number | undefined) ?? drawn;
  const producers = s.producers.map((p) => {
    if (fixed.has("producer.delivery.timeout.ms")) return p;
    const floor = num("producer.linger.ms", p.config["linger.ms"]) + num("producer.request.timeout.ms", p.config["request.timeout.ms"]);
    return p.config["delivery.timeout.ms"] >= floor ? p : { ...p, config: { ...p.config, "delivery.timeout.ms": floor } };
  });
  let broker = s.broker;
  const consumers = s.consumers.map((c) => {
    let session = num("consumer.session.timeout.ms", c.config["session.timeout.ms"]);
    let heartbeat = num("consumer.heartbeat.interval.ms", c.config["heartbeat.interval.ms"]);
    if (heartbeat >= session) {
      if (!fixed.has("consumer.heartbeat.interval.ms")) heartbeat = Math.max(1, Math.floor(session / 3));
      else if (!fixed.has("consumer.session.timeout.ms")) session = heartbeat * 3;
    }
    if (!fixed.has("broker.group.min.session.timeout.ms") && broker["group.min.session.timeout.ms"] > session) broker = { ...broker, "group.min.session.timeout.ms": session };
    if (!fixed.has("broker.group.max.session.timeout.ms") && broker["group.max.session.timeout.ms"] < session) broker = { ...broker, "group.max.session.timeout.ms": session };
    return { ...c, config: { ...c.config, "session.timeout.ms": session, "heartbeat.interval.ms": heartbeat } };
  });
  return { ...s, broker, producers, consumers };
}

export interface FuzzArbOptions {
  /** Fixed knobs (default: drawn). */
  readonly knobs?: FuzzKnobs | fc.Arbitrary<FuzzKnobs>;
  /** Knobs pinned by fixed keys: drawn knobs yield to them (constrainKnobs). */
  readonly fixed?: FixedKnobs;
  readonly shape?: Partial<FuzzShape>;
  readonly kinds?: readonly EpisodeKind[];
  readonly swarm?: boolean;
  readonly maxEpisodes?: number;
  readonly guard?: boolean;
  /** Draw 1–3 partitions. */
  readonly varyPartitions?: boolean;
}

export function fuzzValueArb(o: FuzzArbOptions = {}): fc.Arbitrary<FuzzValue> {
  const base: FuzzShape = { ...DEFAULT_SHAPE, ...o.shape };
  const drawn = o.knobs === undefined ? knobsArb() : o.knobs instanceof fc.Arbitrary ? o.knobs : fc.constant(o.knobs);
  const fixed = o.fixed;
  const knobs = fixed !== undefined && Object.keys(fixed).length > 0 ? drawn.map((k) => constrainKnobs(k, fixed)) : drawn;
  const so: ScheduleOptions = { brokers: base.brokers, durationMs: base.durationMs, ...(o.kinds ? { kinds: o.kinds } : {}), ...(o.maxEpisodes !== undefined ? { maxEpisodes: o.maxEpisodes } : {}), ...(o.guard !== undefined ? { guard: o.guard } : {}) };
  return fc.record({
    knobs,
    shape: o.varyPartitions ? fc.integer({ min: 1, max: 3 }).map((partitions) => ({ ...base, partitions })) : fc.constant(base),
    episodes: o.swarm ? swarmScheduleArb(so) : scheduleArb(so),
    seed: fc.integer({ min: 1, max: 0x7fffffff }),
  });
}

export function toScenario(v: FuzzValue, bugs: BugSwitches = {}): Scenario {
  // A ZooKeeper-mode cluster has no metadata log to lag (a scenario with the fault would be refused).
  const episodes = modeOf({ protocol: v.knobs.protocol }) === "kraft" ? v.episodes : v.episodes.filter((e) => e.kind !== "metadata-lag");
  return fuzzScenario(v.knobs, flatten(episodes, v.shape.brokers, v.shape.durationMs, v.knobs.members), v.seed, v.shape, bugs);
}

/** Arbitrary normalised scenarios. */
export function scenarioArb(o: FuzzArbOptions = {}, bugs: BugSwitches = {}): fc.Arbitrary<Scenario> {
  return fuzzValueArb(o).map((v) => toScenario(v, bugs));
}

/** One line of knobs and one line per fault: for failure messages. */
export function describeFuzzValue(v: FuzzValue): string {
  const faults = flatten(v.episodes, v.shape.brokers, v.shape.durationMs, v.knobs.members);
  return `seed ${v.seed}, ${v.shape.partitions} partition(s), knobs ${JSON.stringify(v.knobs)}\n${faults.map((f) => `  ${"atMs" in f ? `at ${f.atMs} ms` : "on event"}: ${JSON.stringify(f.action)}`).join("\n") || "  (no faults)"}`;
}
