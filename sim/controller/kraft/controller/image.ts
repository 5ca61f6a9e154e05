// The controller's replayed metadata: broker registrations (ClusterControlManager), topics, partitions and their
// configs (ReplicationControlManager, ConfigurationControlManager) and the ELR feature level (FeatureControlManager),
// built only by replaying records in log order. The active controller keeps two: one it applies records to as it
// appends them (Kafka's SnapshotRegistry head) and the committed one it reverts to when it renounces.
import { invariant } from "../../../core/errors.ts";
import type { ControllerConfig } from "../config.ts";
import { NO_LEADER, mergePartitionChange } from "./records.ts";
import type { MetadataRecord, PartitionRegistration } from "./records.ts";

export interface BrokerRegistration {
  readonly id: number;
  readonly epoch: number;
  readonly incarnationId: string;
  readonly fenced: boolean;
  readonly inControlledShutdown: boolean;
  /** Offset of its RegisterBrokerRecord: it may be unfenced once its metadata has reached it. */
  readonly registerRecordOffset: number;
}

export interface TopicState {
  readonly name: string;
  readonly partitions: PartitionRegistration[];
  readonly configs: Map<string, string>;
}

export class MetadataImage {
  readonly brokers = new Map<number, BrokerRegistration>();
  readonly topics = new Map<string, TopicState>();
  elrVersion = 0;
  /** Offset of the last record replayed (-1: none). */
  lastOffset = -1;

  constructor(private readonly defaults: ControllerConfig) {}

  clone(): MetadataImage {
    const c = new MetadataImage(this.defaults);
    for (const [id, b] of this.brokers) c.brokers.set(id, b);
    for (const [name, t] of this.topics) c.topics.set(name, { name, partitions: [...t.partitions], configs: new Map(t.configs) });
    c.elrVersion = this.elrVersion;
    c.lastOffset = this.lastOffset;
    return c;
  }

  replay(r: MetadataRecord, offset: number): void {
    this.lastOffset = offset;
    switch (r.type) {
      case "FeatureLevelRecord":
        this.elrVersion = r.featureLevel;
        return;
      case "RegisterBrokerRecord":
        this.brokers.set(r.brokerId, { id: r.brokerId, epoch: r.brokerEpoch, incarnationId: r.incarnationId, fenced: r.fenced, inControlledShutdown: r.inControlledShutdown, registerRecordOffset: offset });
        return;
      case "BrokerRegistrationChangeRecord": {
        const b = this.brokers.get(r.brokerId);
        if (b === undefined || b.epoch !== r.brokerEpoch) return;
        const fenced = r.fenced === "FENCE" ? true : r.fenced === "UNFENCE" ? false : b.fenced;
        // BrokerRegistration.cloneWith: each field changes only when the record says so.
        this.brokers.set(r.brokerId, { ...b, fenced, inControlledShutdown: r.inControlledShutdown || b.inControlledShutdown });
        return;
      }
      case "FenceBrokerRecord":
      case "UnfenceBrokerRecord": {
        const b = this.brokers.get(r.id);
        if (b !== undefined && b.epoch === r.epoch) this.brokers.set(r.id, { ...b, fenced: r.type === "FenceBrokerRecord" });
        return;
      }
      case "TopicRecord":
        if (!this.topics.has(r.name)) this.topics.set(r.name, { name: r.name, partitions: [], configs: new Map() });
        return;
      case "ConfigRecord": {
        const t = this.topics.get(r.resourceName);
        if (t === undefined) return;
        if (r.value === null) t.configs.delete(r.name);
        else t.configs.set(r.name, r.value);
        return;
      }
      case "PartitionRecord": {
        const t = this.topics.get(r.topic);
        invariant(t !== undefined, `PartitionRecord for unknown topic ${r.topic}`);
        t.partitions[r.partition] = {
          replicas: r.replicas,
          isr: r.isr,
          elr: r.elr,
          lastKnownElr: r.lastKnownElr,
          leader: r.leader,
          leaderRecoveryState: r.leaderRecoveryState,
          leaderEpoch: r.leaderEpoch,
          partitionEpoch: r.partitionEpoch,
        };
        return;
      }
      case "PartitionChangeRecord": {
        const p = this.partition(r.topic, r.partition);
        invariant(p !== undefined, `PartitionChangeRecord for unknown partition ${r.topic}-${r.partition}`);
        (this.topics.get(r.topic) as TopicState).partitions[r.partition] = mergePartitionChange(p, r);
        return;
      }
      case "NoOpRecord":
        return;
    }
  }

  partition(topic: string, partition: number): PartitionRegistration | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }

  /** Registered, unfenced and not in controlled shutdown (ClusterControlManager.isActive). */
  isActive(broker: number): boolean {
    const b = this.brokers.get(broker);
    return b !== undefined && !b.fenced && !b.inControlledShutdown;
  }

  get elrEnabled(): boolean {
    return this.elrVersion >= 1;
  }

  /** The topic's min.insync.replicas (its ConfigRecord, else the cluster default: getTopicEffectiveMinIsr). */
  minIsr(topic: string): number {
    const v = this.topics.get(topic)?.configs.get("min.insync.replicas");
    return v === undefined ? this.defaults.minInsyncReplicas : Number(v);
  }

  uncleanLeaderElection(topic: string): boolean {
    const v = this.topics.get(topic)?.configs.get("unclean.leader.election.enable");
    return v === undefined ? this.defaults.uncleanLeaderElectionEnable : v === "true";
  }

  /** Partitions matching `pred`, in topic then partition order (BrokersToIsrs' iterators). */
  partitionsWhere(pred: (p: PartitionRegistration) => boolean): { topic: string; partition: number }[] {
    const out: { topic: string; partition: number }[] = [];
    for (const t of this.topics.values()) t.partitions.forEach((p, i) => pred(p) && out.push({ topic: t.name, partition: i }));
    return out;
  }

  /** Does the broker lead any partition (BrokersToIsrs.hasLeaderships)? */
  hasLeaderships(broker: number): boolean {
    for (const t of this.topics.values()) for (const p of t.partitions) if (p.leader === broker) return true;
    return false;
  }

  /** Partitions without a leader (partitionsWithNoLeader). */
  leaderless(): { topic: string; partition: number }[] {
    return this.partitionsWhere((p) => p.leader === NO_LEADER);
  }
}
