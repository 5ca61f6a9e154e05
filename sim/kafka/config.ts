// Kafka configuration: Kafka's own keys and 3.x defaults, one table per scope. The table is the single
// source of truth: defaults, allowed values and ranges for validation (sim/scenario), `--set` and the
// comparison matrix all read it. Kafka's camelCase client aliases (kafkajs style) map onto the same keys.

export type ConfigScope = "broker" | "topic" | "producer" | "consumer";

export type ConfigValueType =
  | { readonly kind: "int"; readonly min?: number; readonly max?: number; readonly nullable?: boolean }
  | { readonly kind: "bool"; readonly nullable?: boolean }
  | { readonly kind: "enum"; readonly values: readonly (string | number)[] };

export interface ConfigDef {
  readonly key: string;
  readonly scopes: readonly ConfigScope[];
  readonly type: ConfigValueType;
  /** Kafka 3.x default (null: unset). */
  readonly default: number | boolean | string | null;
  readonly doc: string;
  /** camelCase aliases accepted in scenario files. */
  readonly aliases?: readonly string[];
}

const INT_MAX = 2147483647;

export const CONFIG_DEFS: readonly ConfigDef[] = [
  // --- broker / topic (topic-level overrides take the same key) ---
  { key: "min.insync.replicas", scopes: ["broker", "topic"], type: { kind: "int", min: 1 }, default: 1, doc: "acks=all needs at least this many in-sync replicas (fact 15)", aliases: ["minInsyncReplicas"] },
  { key: "unclean.leader.election.enable", scopes: ["broker", "topic"], type: { kind: "bool" }, default: false, doc: "elect an out-of-sync replica when no in-sync one is alive (fact 11, KIP-106)", aliases: ["uncleanLeaderElectionEnable"] },
  { key: "replica.lag.time.max.ms", scopes: ["broker"], type: { kind: "int", min: 1 }, default: 30000, doc: "a follower not caught up for this long leaves the ISR (fact 6, KIP-537)", aliases: ["replicaLagTimeMaxMs"] },
  { key: "zookeeper.session.timeout.ms", scopes: ["broker"], type: { kind: "int", min: 1 }, default: 18000, doc: "a broker whose session sends no heartbeat for this long is expired (fact 25)", aliases: ["zookeeperSessionTimeoutMs"] },
  { key: "log.flush.interval.messages", scopes: ["broker", "topic"], type: { kind: "int", min: 1, nullable: true }, default: null, doc: "fsync after this many messages; unset = never (fact 27)", aliases: ["logFlushIntervalMessages"] },
  { key: "log.flush.interval.ms", scopes: ["broker", "topic"], type: { kind: "int", min: 0, nullable: true }, default: null, doc: "fsync a log this long after its last fsync, checked every log.flush.scheduler.interval.ms; unset = log.flush.scheduler.interval.ms (a topic: the broker's) (fact 27)", aliases: ["logFlushIntervalMs"] },
  { key: "log.flush.scheduler.interval.ms", scopes: ["broker"], type: { kind: "int", min: 1, nullable: true }, default: null, doc: "period of the log flusher that applies log.flush.interval.ms (LogManager kafka-log-flusher); unset = Kafka's default Long.MAX_VALUE: it never runs, no time-based fsync (fact 27)", aliases: ["logFlushSchedulerIntervalMs"] },
  { key: "replica.high.watermark.checkpoint.interval.ms", scopes: ["broker"], type: { kind: "int", min: 1 }, default: 5000, doc: "how often the HW is checkpointed to disk", aliases: ["replicaHighWatermarkCheckpointIntervalMs"] },
  { key: "replica.fetch.wait.max.ms", scopes: ["broker"], type: { kind: "int", min: 0 }, default: 500, doc: "max wait of a follower fetch when there is no new data", aliases: ["replicaFetchWaitMaxMs"] },
  { key: "replica.fetch.backoff.ms", scopes: ["broker"], type: { kind: "int", min: 0 }, default: 1000, doc: "follower back-off after a fetch error", aliases: ["replicaFetchBackoffMs"] },
  { key: "replica.socket.timeout.ms", scopes: ["broker"], type: { kind: "int", min: 1 }, default: 30000, doc: "follower fetch request timeout", aliases: ["replicaSocketTimeoutMs"] },
  { key: "max.incremental.fetch.session.cache.slots", scopes: ["broker"], type: { kind: "int", min: 0 }, default: 1000, doc: "KIP-227: fetch sessions a broker keeps (a follower's fetch then names only the partitions that changed); 0 = every fetch is a full one (fact 14a)", aliases: ["maxIncrementalFetchSessionCacheSlots"] },
  { key: "offsets.topic.replication.factor", scopes: ["broker"], type: { kind: "int", min: 1 }, default: 3, doc: "replication factor of __consumer_offsets", aliases: ["offsetsTopicReplicationFactor"] },
  { key: "offsets.topic.num.partitions", scopes: ["broker"], type: { kind: "int", min: 1 }, default: 50, doc: "partitions of __consumer_offsets", aliases: ["offsetsTopicNumPartitions"] },
  { key: "group.initial.rebalance.delay.ms", scopes: ["broker"], type: { kind: "int", min: 0 }, default: 3000, doc: "delay of the first rebalance of an empty group", aliases: ["groupInitialRebalanceDelayMs"] },
  { key: "group.min.session.timeout.ms", scopes: ["broker"], type: { kind: "int", min: 0 }, default: 6000, doc: "smallest session.timeout.ms a consumer may ask for", aliases: ["groupMinSessionTimeoutMs"] },
  { key: "group.max.session.timeout.ms", scopes: ["broker"], type: { kind: "int", min: 0 }, default: 1800000, doc: "largest session.timeout.ms a consumer may ask for", aliases: ["groupMaxSessionTimeoutMs"] },
  // --- transactions (TransactionLogConfig, TransactionStateManagerConfig; kafka-facts 16-23) ---
  { key: "transaction.state.log.replication.factor", scopes: ["broker"], type: { kind: "int", min: 1 }, default: 3, doc: "replication factor of __transaction_state (capped at the brokers)", aliases: ["transactionStateLogReplicationFactor"] },
  { key: "transaction.state.log.min.isr", scopes: ["broker"], type: { kind: "int", min: 1 }, default: 2, doc: "min.insync.replicas of __transaction_state", aliases: ["transactionStateLogMinIsr"] },
  { key: "transaction.state.log.num.partitions", scopes: ["broker"], type: { kind: "int", min: 1 }, default: 50, doc: "partitions of __transaction_state; a transactional.id's coordinator leads partition abs(hash) % this", aliases: ["transactionStateLogNumPartitions"] },
  { key: "transaction.max.timeout.ms", scopes: ["broker"], type: { kind: "int", min: 1 }, default: 900000, doc: "largest transaction.timeout.ms a producer may ask for (INVALID_TRANSACTION_TIMEOUT)", aliases: ["transactionMaxTimeoutMs"] },
  { key: "transaction.version", scopes: ["broker"], type: { kind: "int", min: 0, max: 2, nullable: true }, default: null, doc: "the transaction.version feature (KIP-890): 2 bumps the producer epoch with every EndTxn, fencing a late request of an earlier transaction; 0 and 1 are the classic protocol (1 only adds flexible log records); unset = the profile's: 2 on 4.0+ (a new cluster), 0 before (kafka-facts T13)", aliases: ["transactionVersion"] },
  { key: "transaction.partition.verification.enable", scopes: ["broker"], type: { kind: "bool", nullable: true }, default: null, doc: "KIP-890 part 1 (3.6+): a partition leader asks the transaction coordinator whether the partition is in the producer's transaction before the first transactional write of that producer to it (AddPartitionsToTxn verifyOnly), refusing a late write of an ended transaction (INVALID_TXN_STATE); unset = the profile's: true on 3.7+, absent before (kafka-facts T14)", aliases: ["transactionPartitionVerificationEnable"] },
  { key: "transaction.abort.timed.out.transaction.cleanup.interval.ms", scopes: ["broker"], type: { kind: "int", min: 1 }, default: 10000, doc: "how often a coordinator aborts transactions open longer than their timeout (fencing their producer)", aliases: ["transactionAbortTimedOutTransactionCleanupIntervalMs"] },

  // --- KRaft (protocol 3.9 / 4.0 / 4.1 in mode kraft): the controller quorum (QuorumConfig), the brokers'
  // heartbeats and the controller's sessions (KRaftConfigs), the ELR feature (KIP-966). Ignored in ZooKeeper mode. ---
  { key: "controller.quorum.election.timeout.ms", scopes: ["broker"], type: { kind: "int", min: 1 }, default: 1000, doc: "KRaft: a voter without a leader starts an election after a random timeout in [T, 2T) (QuorumConfig; kafka-facts K3)", aliases: ["controllerQuorumElectionTimeoutMs"] },
  { key: "controller.quorum.fetch.timeout.ms", scopes: ["broker"], type: { kind: "int", min: 1 }, default: 2000, doc: "KRaft: a follower that has not fetched for this long campaigns; a leader without a majority fetching within 1.5 × this resigns (check-quorum; K3)", aliases: ["controllerQuorumFetchTimeoutMs"] },
  { key: "controller.quorum.election.backoff.max.ms", scopes: ["broker"], type: { kind: "int", min: 0 }, default: 1000, doc: "KRaft: the cap of the backoff after a lost election (K4)", aliases: ["controllerQuorumElectionBackoffMaxMs"] },
  { key: "controller.quorum.append.linger.ms", scopes: ["broker"], type: { kind: "int", min: 0 }, default: 25, doc: "KRaft: how long the leader lets metadata records accumulate into one batch (K4)", aliases: ["controllerQuorumAppendLingerMs"] },
  { key: "controller.quorum.request.timeout.ms", scopes: ["broker"], type: { kind: "int", min: 1 }, default: 2000, doc: "KRaft: timeout of the quorum's Vote / BeginQuorumEpoch / Fetch requests (K4)", aliases: ["controllerQuorumRequestTimeoutMs"] },
  { key: "controller.quorum.retry.backoff.ms", scopes: ["broker"], type: { kind: "int", min: 0 }, default: 20, doc: "KRaft: wait before re-sending a failed quorum request (K4)", aliases: ["controllerQuorumRetryBackoffMs"] },
  { key: "broker.heartbeat.interval.ms", scopes: ["broker"], type: { kind: "int", min: 1 }, default: 2000, doc: "KRaft: how often a broker heartbeats to the active controller (BrokerLifecycleManager; K6)", aliases: ["brokerHeartbeatIntervalMs"] },
  { key: "broker.session.timeout.ms", scopes: ["broker"], type: { kind: "int", min: 1 }, default: 9000, doc: "KRaft: the active controller fences a broker without a heartbeat for this long (BrokerHeartbeatManager; K7)", aliases: ["brokerSessionTimeoutMs"] },
  { key: "metadata.max.idle.interval.ms", scopes: ["broker"], type: { kind: "int", min: 1 }, default: 500, doc: "KRaft: the active controller writes a NoOpRecord this often (K4)", aliases: ["metadataMaxIdleIntervalMs"] },
  { key: "eligible.leader.replicas.version", scopes: ["broker"], type: { kind: "int", min: 0, max: 1, nullable: true }, default: null, doc: "KRaft 4.0+: the eligible.leader.replicas.version feature (KIP-966); unset = the profile's: 1 on 4.1, 0 on 4.0; absent before 4.0", aliases: ["eligibleLeaderReplicasVersion"] },

  // --- producer (ProducerConfig, 3.x defaults; fact 16) ---
  { key: "acks", scopes: ["producer"], type: { kind: "enum", values: ["all", -1, 0, 1] }, default: "all", doc: "how many replicas must have a record before it is acknowledged" },
  { key: "enable.idempotence", scopes: ["producer"], type: { kind: "bool" }, default: true, doc: "producer id + sequence numbers: no duplicates or reorders from retries (fact 19)", aliases: ["idempotent", "enableIdempotence"] },
  { key: "retries", scopes: ["producer"], type: { kind: "int", min: 0, max: INT_MAX }, default: INT_MAX, doc: "how often a failed batch is retried (bounded by delivery.timeout.ms)" },
  { key: "retry.backoff.ms", scopes: ["producer", "consumer"], type: { kind: "int", min: 0 }, default: 100, doc: "wait before retrying", aliases: ["retryBackoffMs"] },
  { key: "request.timeout.ms", scopes: ["producer", "consumer", "broker"], type: { kind: "int", min: 1 }, default: 30000, doc: "how long a request may wait for its response (broker: its inter-broker WriteTxnMarkers requests and their appends, TransactionMarkerChannelManager)", aliases: ["requestTimeoutMs", "requestTimeout"] },
  { key: "delivery.timeout.ms", scopes: ["producer"], type: { kind: "int", min: 1 }, default: 120000, doc: "upper bound on the time to report success or failure of a send", aliases: ["deliveryTimeoutMs"] },
  { key: "max.in.flight.requests.per.connection", scopes: ["producer"], type: { kind: "int", min: 1 }, default: 5, doc: "unacknowledged requests per broker connection", aliases: ["maxInFlightRequests", "maxInFlightRequestsPerConnection"] },
  { key: "linger.ms", scopes: ["producer"], type: { kind: "int", min: 0 }, default: 0, doc: "wait this long for more records before sending a batch", aliases: ["lingerMs"] },
  { key: "batch.size", scopes: ["producer"], type: { kind: "int", min: 0 }, default: 16384, doc: "batch size in bytes (records count as 100 bytes each here)", aliases: ["batchSize"] },
  { key: "max.block.ms", scopes: ["producer"], type: { kind: "int", min: 0 }, default: 60000, doc: "how long send() waits for its topic's metadata before failing the record (KafkaProducer.waitOnMetadata; fact 38)", aliases: ["maxBlockMs"] },
  { key: "metadata.max.age.ms", scopes: ["producer", "consumer"], type: { kind: "int", min: 0 }, default: 300000, doc: "refresh metadata at least this often", aliases: ["metadataMaxAge", "metadataMaxAgeMs"] },
  { key: "partitioner", scopes: ["producer"], type: { kind: "enum", values: ["default", "round-robin"] }, default: "default", doc: "key hash (murmur2) for keyed records; sticky batches without a key (KIP-480 before protocol 3.7, KIP-794 from 3.7; fact 39)" },
  { key: "partitioner.adaptive.partitioning.enable", scopes: ["producer"], type: { kind: "bool" }, default: true, doc: "unkeyed records go less to partitions with longer queues (KIP-794; protocol 3.7; fact 39)", aliases: ["partitionerAdaptivePartitioningEnable"] },
  { key: "transactional.id", scopes: ["producer"], type: { kind: "enum", values: [] }, default: null, doc: "makes the producer transactional: its writes commit or abort together, and a newer producer with the same id fences it (KIP-98; kafka-facts 16-23)", aliases: ["transactionalId"] },
  { key: "transaction.timeout.ms", scopes: ["producer"], type: { kind: "int", min: 1 }, default: 60000, doc: "how long a transaction may stay open before its coordinator aborts it (at most the broker's transaction.max.timeout.ms)", aliases: ["transactionTimeout", "transactionTimeoutMs"] },
  { key: "partitioner.availability.timeout.ms", scopes: ["producer"], type: { kind: "int", min: 0 }, default: 0, doc: "unkeyed records avoid a partition whose leader could not take requests for this long; 0 = off (KIP-794; protocol 3.7, with adaptive partitioning; fact 39)", aliases: ["partitionerAvailabilityTimeoutMs"] },

  // --- consumer (ConsumerConfig, 3.x defaults; fact 20) ---
  { key: "group.id", scopes: ["consumer"], type: { kind: "enum", values: [] }, default: null, doc: "the consumer group (required; set by the consumers entry's group)", aliases: ["groupId"] },
  { key: "enable.auto.commit", scopes: ["consumer"], type: { kind: "bool" }, default: true, doc: "commit positions in the background at the start of poll (fact 21)", aliases: ["autoCommit", "enableAutoCommit"] },
  { key: "auto.commit.interval.ms", scopes: ["consumer"], type: { kind: "int", min: 0 }, default: 5000, doc: "auto-commit interval", aliases: ["autoCommitInterval", "autoCommitIntervalMs"] },
  { key: "auto.offset.reset", scopes: ["consumer"], type: { kind: "enum", values: ["earliest", "latest", "none"] }, default: "latest", doc: "where to start without a valid committed offset (fact 24)", aliases: ["autoOffsetReset"] },
  { key: "session.timeout.ms", scopes: ["consumer"], type: { kind: "int", min: 1 }, default: 45000, doc: "a member without heartbeats for this long is removed", aliases: ["sessionTimeout", "sessionTimeoutMs"] },
  { key: "heartbeat.interval.ms", scopes: ["consumer"], type: { kind: "int", min: 1 }, default: 3000, doc: "heartbeat interval", aliases: ["heartbeatInterval", "heartbeatIntervalMs"] },
  { key: "max.poll.interval.ms", scopes: ["consumer"], type: { kind: "int", min: 1 }, default: 300000, doc: "a member that does not poll for this long leaves the group (fact 22)", aliases: ["maxPollInterval", "maxPollIntervalMs"] },
  { key: "max.poll.records", scopes: ["consumer"], type: { kind: "int", min: 1 }, default: 500, doc: "records returned by one poll", aliases: ["maxPollRecords"] },
  { key: "fetch.max.wait.ms", scopes: ["consumer"], type: { kind: "int", min: 0 }, default: 500, doc: "max wait of a fetch when there is no data", aliases: ["maxWaitTimeInMs", "fetchMaxWaitMs"] },
  { key: "isolation.level", scopes: ["consumer"], type: { kind: "enum", values: ["read_uncommitted", "read_committed"] }, default: "read_uncommitted", doc: "read_committed: read only up to the last stable offset and skip aborted transactions' records (KIP-98)", aliases: ["isolationLevel"] },
  { key: "partition.assignment.strategy", scopes: ["consumer"], type: { kind: "enum", values: ["range", "roundrobin"] }, default: "range", doc: "how partitions are spread over members", aliases: ["partitionAssigners", "partitionAssignmentStrategy"] },
];

const BY_SCOPE = new Map<ConfigScope, Map<string, ConfigDef>>();
for (const d of CONFIG_DEFS) {
  for (const s of d.scopes) {
    let m = BY_SCOPE.get(s);
    if (!m) BY_SCOPE.set(s, (m = new Map()));
    m.set(d.key, d);
    for (const a of d.aliases ?? []) m.set(a, d);
  }
}

/** Look up a key or alias in a scope. */
export function configDef(scope: ConfigScope, keyOrAlias: string): ConfigDef | undefined {
  return BY_SCOPE.get(scope)?.get(keyOrAlias);
}
/** Every canonical key of a scope. */
export function configKeys(scope: ConfigScope): string[] {
  return CONFIG_DEFS.filter((d) => d.scopes.includes(scope)).map((d) => d.key);
}

export type Acks = "all" | -1 | 0 | 1;

export interface BrokerConfig {
  readonly "min.insync.replicas": number;
  readonly "unclean.leader.election.enable": boolean;
  readonly "replica.lag.time.max.ms": number;
  readonly "zookeeper.session.timeout.ms": number;
  readonly "log.flush.interval.messages": number | null;
  readonly "log.flush.interval.ms": number | null;
  /** null: Kafka's Long.MAX_VALUE (the flusher never runs). */
  readonly "log.flush.scheduler.interval.ms": number | null;
  readonly "replica.high.watermark.checkpoint.interval.ms": number;
  readonly "replica.fetch.wait.max.ms": number;
  readonly "replica.fetch.backoff.ms": number;
  readonly "replica.socket.timeout.ms": number;
  /** The broker's request.timeout.ms: a WriteTxnMarkers request to a leader that died is retried only after it. */
  readonly "request.timeout.ms": number;
  /** KIP-227 (1.1): incremental fetch sessions the broker keeps; 0 disables them. */
  readonly "max.incremental.fetch.session.cache.slots": number;
  readonly "offsets.topic.replication.factor": number;
  readonly "offsets.topic.num.partitions": number;
  readonly "group.initial.rebalance.delay.ms": number;
  readonly "group.min.session.timeout.ms": number;
  readonly "group.max.session.timeout.ms": number;
  readonly "controller.quorum.election.timeout.ms": number;
  readonly "controller.quorum.fetch.timeout.ms": number;
  readonly "controller.quorum.election.backoff.max.ms": number;
  readonly "controller.quorum.append.linger.ms": number;
  readonly "controller.quorum.request.timeout.ms": number;
  readonly "controller.quorum.retry.backoff.ms": number;
  readonly "broker.heartbeat.interval.ms": number;
  readonly "broker.session.timeout.ms": number;
  readonly "metadata.max.idle.interval.ms": number;
  /** null: the profile's default (sim/kafka/profiles.ts). */
  readonly "eligible.leader.replicas.version": number | null;
  readonly "transaction.state.log.replication.factor": number;
  readonly "transaction.state.log.min.isr": number;
  readonly "transaction.state.log.num.partitions": number;
  readonly "transaction.max.timeout.ms": number;
  readonly "transaction.abort.timed.out.transaction.cleanup.interval.ms": number;
  /** null: the profile's default (sim/kafka/profiles.ts transactionVersionOf). */
  readonly "transaction.version": number | null;
  /** null: the profile's default (sim/kafka/profiles.ts partitionVerificationOf). */
  readonly "transaction.partition.verification.enable": boolean | null;
}

/** Topic-level overrides of broker settings. */
export type TopicOverrides = Partial<Pick<BrokerConfig, "min.insync.replicas" | "unclean.leader.election.enable" | "log.flush.interval.messages" | "log.flush.interval.ms">>;

export interface ProducerConfig {
  readonly acks: Acks;
  readonly "enable.idempotence": boolean;
  readonly retries: number;
  readonly "retry.backoff.ms": number;
  readonly "request.timeout.ms": number;
  readonly "delivery.timeout.ms": number;
  readonly "max.in.flight.requests.per.connection": number;
  readonly "linger.ms": number;
  readonly "batch.size": number;
  readonly "metadata.max.age.ms": number;
  readonly "max.block.ms": number;
  readonly partitioner: "default" | "round-robin";
  readonly "partitioner.adaptive.partitioning.enable": boolean;
  readonly "partitioner.availability.timeout.ms": number;
  /** null: not transactional. */
  readonly "transactional.id": string | null;
  readonly "transaction.timeout.ms": number;
}

export interface ConsumerConfig {
  readonly "group.id": string;
  readonly "enable.auto.commit": boolean;
  readonly "auto.commit.interval.ms": number;
  readonly "auto.offset.reset": "earliest" | "latest" | "none";
  readonly "session.timeout.ms": number;
  readonly "heartbeat.interval.ms": number;
  readonly "max.poll.interval.ms": number;
  readonly "max.poll.records": number;
  readonly "fetch.max.wait.ms": number;
  readonly "retry.backoff.ms": number;
  readonly "request.timeout.ms": number;
  readonly "metadata.max.age.ms": number;
  readonly "partition.assignment.strategy": "range" | "roundrobin";
  readonly "isolation.level": "read_uncommitted" | "read_committed";
}

function defaultsOf(scope: ConfigScope): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of CONFIG_DEFS) if (d.scopes.includes(scope)) out[d.key] = d.default;
  return out;
}

export const BROKER_DEFAULTS = defaultsOf("broker") as unknown as BrokerConfig;
export const PRODUCER_DEFAULTS = defaultsOf("producer") as unknown as ProducerConfig;
export const CONSUMER_DEFAULTS = { ...defaultsOf("consumer"), "group.id": "" } as unknown as ConsumerConfig;

/** acks as the broker sees it: -1 for all. */
export function acksNumber(a: Acks): -1 | 0 | 1 {
  return a === "all" ? -1 : a;
}

/** The protocol profiles kafkasim models (see README "Protocol versions"), in release order: 0.10–3.7 are the
 *  ZooKeeper era; 3.9 runs ZooKeeper or KRaft, 4.0 and 4.1 KRaft only (sim/kafka/profiles.ts). */
export const PROTOCOL_VERSIONS = ["0.10", "0.11", "2.0", "2.7", "3.7", "3.9", "4.0", "4.1"] as const;
export type ProtocolVersion = (typeof PROTOCOL_VERSIONS)[number];
/** What a scenario that names no protocol runs on: Kafka 4.1 (KRaft, Eligible Leader Replicas on). Until issue #13
 *  it was 3.7 (ZooKeeper); the library's scenarios name theirs. */
export const DEFAULT_PROTOCOL: ProtocolVersion = "4.1";
