// What every part of the broker's data plane shares: the partitions this broker holds (by key and by topic),
// the broker's metadata cache, the purgatory's deadline wheel, the follower fetchers, the configuration read
// once, and the ports to the rest of the broker. The parts (produce.ts, leader-fetch.ts, fetcher.ts, isr.ts,
// partition-state.ts, recovery.ts) are functions over this state; manager.ts routes messages and timers to them.
import { tpKey } from "../../core/ids.ts";
import { msToUs } from "../../core/time.ts";
import type { BrokerConfig, ProtocolVersion } from "../../kafka/config.ts";
import type { PartitionMetadata } from "../../kafka/protocol.ts";
import type { BugSwitches, TopicSpec } from "../../scenario/types.ts";
import type { BrokerCtx } from "../group/host.ts";
import type { IsrChangeRequest, IsrChangeResult } from "../control/control-plane.ts";
import { versionAtLeast } from "../../kafka/profiles.ts";
import { Partition } from "./partition.ts";
import { DeadlineWheel } from "./purgatory.ts";
import type { Fetcher } from "./fetcher.ts";
import { FetchSessionCache } from "../fetch-session/leader-sessions.ts";

/** What the data plane needs of the cluster spec (structurally a subset of ClusterSpec, sim/broker/spec.ts). */
export interface ReplicaSpec {
  readonly broker: BrokerConfig;
  readonly topics: readonly TopicSpec[];
  readonly protocol: ProtocolVersion;
  readonly bugs: BugSwitches;
}

/** The one port through which a leader's ISR changes leave the data plane: AlterPartition to the controller
 *  (2.7+, KIP-497), a conditional write of the partition's state znode (before 2.7), or, later, KRaft. */
export interface IsrChangePort {
  /** Propose a new ISR; `done` runs once with the outcome (never, if cancelled or superseded). */
  requestIsrChange(ctx: BrokerCtx, req: IsrChangeRequest, done: (resp: IsrChangeResult) => void): void;
  /** Drop a pending change of a partition this broker no longer leads. */
  cancelIsrChange?(ctx: BrokerCtx, topic: string, partition: number): void;
}

/** What the data plane asks of the rest of the broker. */
export interface ReplicaHooks extends IsrChangePort {
  /** The broker's current epoch (czxid of its registration), -1 before registering. */
  brokerEpoch(): number;
  /** This broker became / stopped being leader of a partition (the group coordinator follows __consumer_offsets). */
  onLeadershipChange?(ctx: BrokerCtx, topic: string, partition: number, leader: boolean): void;
  /** This broker, already leader of a partition, was made its leader again at a newer leader epoch (a leader that
   *  missed its own replacement). KRaft's BrokerMetadataPublisher calls the coordinators' onElection for every local
   *  leader change, so they reload the partition at the new epoch. */
  onLeaderEpochBump?(ctx: BrokerCtx, topic: string, partition: number): void;
  /** A valid leader-and-isr / update-metadata named this controller (the control plane routes AlterPartition). */
  onControllerSeen?(ctx: BrokerCtx, controllerId: number, controllerEpoch: number): void;
  /** KRaft (Partition.isReplicaIsrEligible): may this follower join the ISR — registered, not fenced, not in
   *  controlled shutdown in the leader's metadata? Absent (ZooKeeper era): any follower may. */
  isReplicaIsrEligible?(broker: number): boolean;
  /** True when the control plane traces every committed ISR change itself (KRaft: from the metadata log; from 2.7
   *  the ZooKeeper controller's write, when ZooKeeper applies it), so the leader does not emit isr-shrink /
   *  isr-expand on its AlterPartition's answer. */
  readonly tracesIsrChanges?: boolean;
}

/** Records per partition in one fetch response (≈ replica.fetch.max.bytes 1 MiB at ~100 bytes a record). */
export const MAX_FETCH_RECORDS = 10_000;
export const HW_CHECKPOINT_BLOB = "replication-offset-checkpoint";

/** Release order (sim/kafka/profiles.ts): 3.9, 4.0 and 4.1 count as at least 3.7, so their data plane is 3.7's. */
export { versionAtLeast } from "../../kafka/profiles.ts";

export class ReplicaState {
  readonly partitions = new Map<string, Partition>();
  private readonly byTopic = new Map<string, (Partition | undefined)[]>();
  /** One fetcher per leader broker this broker follows partitions of. */
  readonly fetchers = new Map<number, Fetcher>();
  readonly wheel = new DeadlineWheel();
  /** The fetch sessions this broker keeps as a leader (KIP-227, fact 14a). */
  readonly fetchSessions: FetchSessionCache;
  /** 1.1+ (KIP-227): this broker's fetchers use fetch sessions. */
  readonly usesFetchSessions: boolean;
  private fetchStamp = 0;
  /** Partition.followClock, shared by this broker's replicas. */
  readonly followClock = { v: 0 };
  /** ParkedFetch.seq. */
  nextParkSeq = 1;
  /** Stamps for the fetchers' session builds, unique on this broker (FollowerFetchSession). */
  readonly nextFetchStamp = (): number => ++this.fetchStamp;
  nextCorr = 1;
  readonly protocol: ProtocolVersion;
  readonly lagUs: number;
  /** 2.7+: followers send lastFetchedEpoch and truncate on divergingEpoch (KAFKA-10554). */
  readonly truncateOnFetch: boolean;
  /** Follower fetches carry currentLeaderEpoch (KIP-320, Kafka 2.1: from the 2.7 profile here). */
  readonly leaderEpochInFetch: boolean;
  /** 3.7: KAFKA-15583. */
  readonly holdHwUnderMinIsr: boolean;
  /** 0.11+: leader epochs (KIP-101). */
  readonly usesEpochs: boolean;
  readonly socketTimeoutUs: number;
  // The metadata cache (update-metadata, leader-and-isr).
  controllerEpoch = -1;
  controllerId: number | null = null;
  liveBrokers: readonly number[] = [];
  readonly metadata = new Map<string, PartitionMetadata>();

  constructor(
    readonly brokerId: number,
    readonly spec: ReplicaSpec,
    readonly hooks: ReplicaHooks,
  ) {
    this.protocol = spec.protocol;
    this.lagUs = msToUs(spec.broker["replica.lag.time.max.ms"]);
    this.truncateOnFetch = versionAtLeast(spec.protocol, "2.7");
    this.leaderEpochInFetch = versionAtLeast(spec.protocol, "2.7");
    this.holdHwUnderMinIsr = versionAtLeast(spec.protocol, "3.7");
    this.usesEpochs = versionAtLeast(spec.protocol, "0.11");
    this.socketTimeoutUs = msToUs(spec.broker["replica.socket.timeout.ms"]);
    this.fetchSessions = new FetchSessionCache(spec.broker["max.incremental.fetch.session.cache.slots"]);
    this.usesFetchSessions = versionAtLeast(spec.protocol, "2.0");
  }

  private topicSpec(topic: string): TopicSpec | undefined {
    return this.spec.topics.find((t) => t.name === topic);
  }

  /** The replica of topic-partition on this broker, created (with its log) on first use. */
  getPartition(ctx: BrokerCtx, topic: string, partition: number): Partition {
    const key = tpKey(topic, partition);
    let p = this.partitions.get(key);
    if (p === undefined) {
      const t = this.topicSpec(topic);
      const b = this.spec.broker;
      const minIsr = Math.min(t?.config["min.insync.replicas"] ?? b["min.insync.replicas"], t?.["replication.factor"] ?? Infinity);
      const fm = t?.config["log.flush.interval.messages"];
      // KafkaConfig.logFlushIntervalMs: log.flush.interval.ms, else log.flush.scheduler.interval.ms.
      const fms = (t?.config["log.flush.interval.ms"] === undefined ? b["log.flush.interval.ms"] : t.config["log.flush.interval.ms"]) ?? b["log.flush.scheduler.interval.ms"];
      p = new Partition(topic, partition, key, ctx.disk, minIsr, fm === undefined ? b["log.flush.interval.messages"] : fm, fms);
      p.followClock = this.followClock;
      p.lastFlushUs = ctx.nowUs; // LocalLog: lastFlushedTime starts at load
      this.partitions.set(key, p);
      let arr = this.byTopic.get(topic);
      if (arr === undefined) {
        arr = [];
        this.byTopic.set(topic, arr);
      }
      // Fill the gaps first: an array written far past its end turns sparse (a dictionary, slow on every lookup).
      while (arr.length < partition) arr.push(undefined);
      arr[partition] = p;
    }
    return p;
  }

  /** Partition by topic and number without building the "topic-p" key (fetch/produce hot path). */
  lookup(topic: string, partition: number): Partition | undefined {
    // Requests name topics with the spec's own strings: most lookups repeat the last topic (arrays are never
    // replaced, only filled in).
    // Two entries: a follower fetch alternates between a data topic and an internal one (__transaction_state).
    if (topic !== this.lookupTopic) {
      if (topic === this.lookupTopic2) {
        const t = this.lookupTopic;
        const a = this.lookupArr;
        this.lookupTopic = this.lookupTopic2;
        this.lookupArr = this.lookupArr2;
        this.lookupTopic2 = t;
        this.lookupArr2 = a;
      } else {
        const arr = this.byTopic.get(topic);
        if (arr === undefined) return undefined;
        this.lookupTopic2 = this.lookupTopic;
        this.lookupArr2 = this.lookupArr;
        this.lookupTopic = topic;
        this.lookupArr = arr;
      }
    }
    return this.lookupArr[partition];
  }
  private lookupTopic = "";
  private lookupArr: (Partition | undefined)[] = [];
  private lookupTopic2 = "";
  private lookupArr2: (Partition | undefined)[] = [];

  /** The replica named by a log's key ("topic-p"), created if absent. */
  partitionByKey(ctx: BrokerCtx, key: string): Partition | undefined {
    const m = /^(.+)-(\d+)$/.exec(key);
    if (!m) return undefined;
    return this.getPartition(ctx, m[1] as string, Number(m[2]));
  }
}
