// A scenario, normalised: every default applied, every name resolved. Scenario files (YAML/JSON) and
// fast-check values are validated into this shape (sim/scenario/schema.ts); the world runs it.
import type { Seed, LatencyDist } from "../core/rng.ts";
import type { BrokerConfig, ConsumerConfig, ProducerConfig, ProtocolVersion, TopicOverrides } from "../kafka/config.ts";
import type { ClusterMode } from "../kafka/profiles.ts";
import type { Fault } from "../faults/types.ts";
import type { ConsumerHandler, ProducerLogic } from "../client/user-code.ts";
import type { ConsumerEngineFactory } from "../client/consumer/types.ts";
import type { ProducerActorFactory } from "../client/producer.ts";

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly "replication.factor": number;
  readonly config: TopicOverrides;
  /** Pinned replicas per partition (index = partition id), as kafka-topics --replica-assignment: the first
   *  replica is the preferred leader. Absent: assigned as Kafka's admin does (sim/broker/assignment.ts). */
  readonly replicaAssignment?: readonly (readonly number[])[];
}

export type FailurePolicy = "drop" | "log" | "halt" | "dead-letter";

export interface ProducerSpec {
  readonly id: string;
  readonly topic: string;
  /** Records per second of virtual time, evenly spaced. */
  readonly ratePerSec: number;
  /** Stop after this many sends (default: until the workload phase ends). */
  readonly messages?: number;
  readonly startMs?: number;
  /** Keyed records over this many keys; 0 = no keys. */
  readonly keys: number;
  readonly config: ProducerConfig;
  /** Config keys the user set explicitly (Kafka's idempotence conflict rule depends on it, fact 16). */
  readonly explicit: readonly string[];
  /** What to do with a record that fails for good. */
  readonly onFailure: FailurePolicy;
  readonly deadLetterTopic?: string;
  /** User code deciding what to send (TypeScript form only). */
  readonly logic?: ProducerLogic;
  /** The producer's actor when it is not the workload's (the kafkajs API: records come from user code). */
  readonly actor?: ProducerActorFactory;
  /** A real client observed at the wire gateway (kafkajs, kcat, ...), not run by the world: what it did is in the
   *  history, and this spec says what the gateway saw of its configuration (sim/wire/gateway/clients.ts). */
  readonly external?: string;
  /** The transactions of a producer with a transactional.id (sim/client/transactions.ts). */
  readonly transaction?: TransactionWorkload;
}

/** How a transactional producer groups its records: `records` per transaction, each aborted with `abortProb` (default 0). */
export interface TransactionWorkload {
  readonly records: number;
  readonly abortProb?: number;
}

export type CommitStrategy = "before-processing" | "after-processing" | "auto";

export interface ProcessingSpec {
  /** Per-record processing time. */
  readonly timeMs: number;
  /** Probability one processing attempt fails. */
  readonly failureProb: number;
  /** Retries of a failed record before giving up. */
  readonly retries: number;
  readonly retryBackoffMs: number;
  /** After the retries: skip the record, or send it to the dead-letter topic. */
  readonly onFailure: "skip" | "dead-letter";
  readonly deadLetterTopic?: string;
  /** When offsets are committed relative to processing. `auto` = leave it to enable.auto.commit. */
  readonly commit: CommitStrategy;
  /** How often manual commits happen: after each record, after each poll's batch, or every intervalMs. */
  readonly commitEvery: "record" | "batch" | "interval";
  readonly commitIntervalMs: number;
  readonly commitMode: "sync" | "async";
  /** Process records asynchronously: hand them to a worker and poll again at once (auto-commit hazard). */
  readonly async: boolean;
  /** A running aggregate: "memory" is lost on crash, "stored" survives (kept with the commit). */
  readonly state: "none" | "memory" | "stored";
  /** Consume-transform-produce: each processed record is written to `topic` per poll batch; `transactional`
   *  (exactly-once) writes it and commits the batch's offsets in one transaction (sim/client/consumer/pipeline.ts). */
  readonly output?: OutputSpec;
}

export interface OutputSpec {
  readonly topic: string;
  readonly transactional: boolean;
}

export interface ConsumerSpec {
  readonly group: string;
  readonly members: number;
  readonly topics: readonly string[];
  readonly startMs?: number;
  readonly config: ConsumerConfig;
  readonly explicit: readonly string[];
  readonly processing: ProcessingSpec;
  /** User code (TypeScript form only): kafkajs-like eachMessage / eachBatch. */
  readonly handler?: ConsumerHandler;
  /** The members' application when it is not the processing model (the kafkajs API's runner). */
  readonly engine?: ConsumerEngineFactory;
  /** A real client's group observed at the wire gateway, not run by the world (see ProducerSpec.external). */
  readonly external?: string;
}

/** Seeded bugs, off by default: they prove that the checkers catch what they claim to (issue: checker validation). */
export interface BugSwitches {
  /** acks=all answered right after the leader's append, before replication. */
  readonly ackBeforeReplication?: boolean;
  /** Consumers may read up to the LEO instead of the HW. */
  readonly readAboveHighWatermark?: boolean;
  /** Followers never truncate their logs. */
  readonly skipTruncation?: boolean;
  /** The controller elects the first live replica even if it is not in the ISR. */
  readonly electOutOfSync?: boolean;
  /** Brokers accept a LeaderAndIsr with a stale leader epoch. */
  readonly acceptStaleEpoch?: boolean;
  /** Consumers commit a batch's offsets before processing it, whatever their strategy says. */
  readonly commitBeforeProcessing?: boolean;
  /** The leader's HW follows its own log end, ignoring the followers of the maximal ISR (acks=all then answers
   *  before replication, and consumers read what only the leader has). */
  readonly hwIgnoresMaximalIsr?: boolean;
}

export type AnomalyType =
  | "lost-write"
  | "duplicate"
  | "nonmonotonic-send"
  | "uncommitted-read"
  | "inconsistent-offsets"
  | "poll-skip"
  | "nonmonotonic-poll"
  | "unseen"
  | "phantom"
  | "committed-unprocessed"
  | "processed-twice"
  | "log-divergence"
  | "leader-incomplete"
  | "strong-isr"
  /** KRaft: two leaders in one Raft epoch, or two brokers leading a partition at one leader epoch. */
  | "two-leaders"
  /** KRaft: committed metadata seen differently by two nodes, or lost from a majority of the controllers. */
  | "metadata-divergence"
  /** A Raft epoch or a partition's leader epoch that went back on a node. */
  | "epoch-regression"
  /** A read_committed consumer polled a record of an aborted transaction. */
  | "aborted-read"
  /** A consume-transform-produce pipeline's output of one input record committed twice on its output topic. */
  | "duplicate-output"
  /** A transaction its producer saw committed whose records are not all readable (read_committed) at the end. */
  | "lost-transaction"
  /** A transaction with no marker at the end: the partition's last stable offset stuck below its high watermark. */
  | "hanging-transaction"
  | "torn-transaction";

/** valid: no anomaly; allowed: only anomalies the configuration permits; liveness: the cluster or a group did not
 *  converge after the heal; bug: an anomaly nothing permits. */
export type Verdict = "valid" | "allowed" | "liveness" | "bug";

export interface Expectation {
  readonly verdict?: Verdict;
  /** Anomaly types that must be found. */
  readonly anomalies?: readonly AnomalyType[];
  /** Anomaly types that must not be found. */
  readonly absent?: readonly AnomalyType[];
}

export interface Scenario {
  readonly name: string;
  readonly description?: string;
  readonly seed: Seed;
  /** Workload phase length; then the heal-and-drain phase runs for drainMs. */
  readonly durationMs: number;
  readonly drainMs: number;
  readonly protocol: ProtocolVersion;
  /** The control plane: ZooKeeper or KRaft. Absent: the profile's default (sim/kafka/profiles.ts: KRaft from 3.9). */
  readonly mode?: ClusterMode;
  /** KRaft: the number of dedicated controller nodes (controller-1..N, the Raft voters). Absent: 3. */
  readonly controllers?: number;
  readonly brokers: number;
  readonly broker: BrokerConfig;
  /** Per-broker config (each broker's own server.properties): broker id → keys that differ from `broker`. */
  readonly brokerOverrides?: Readonly<Record<number, Partial<BrokerConfig>>>;
  /** The broker that becomes the first controller: it starts alone, the others once it was elected. */
  readonly controller?: number;
  readonly topics: readonly TopicSpec[];
  readonly network: { readonly latency?: LatencyDist };
  readonly producers: readonly ProducerSpec[];
  readonly consumers: readonly ConsumerSpec[];
  readonly faults: readonly Fault[];
  readonly bugs: BugSwitches;
  readonly expect?: Expectation;
  /** Raised bounds on the size of a run (sim/scenario/limits.ts); absent keys keep their defaults. */
  readonly limits?: Partial<Limits>;
}

/** Bounds on the size of a run, so bad input gets an error instead of minutes of work or gigabytes of memory.
 *  Each is raised by `limits:` in a scenario or `--limit name=value` on the command line. */
export interface Limits {
  /** durationMs and drainMs, each (virtual time). */
  readonly maxDurationMs: number;
  /** ratePerSec of each producer. */
  readonly maxRatePerSec: number;
  /** Records all producers send in the workload phase (rate × time, or messages when lower). */
  readonly maxRecords: number;
  readonly maxBrokers: number;
  /** Partitions of all topics together (with __consumer_offsets when there are consumer groups). */
  readonly maxPartitions: number;
  /** Size of a scenario file (checked before it is read). */
  readonly maxFileBytes: number;
}
