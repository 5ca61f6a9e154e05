// ReplicationControlManager: the records the active controller writes for partitions — topic creation,
// AlterPartition from partition leaders (with the controller's checks), and the leader/ISR updates that follow a
// broker being fenced, unfenced, shut down in a controlled way or found to have shut down uncleanly. Pure: each
// function reads the controller's image and adds records to a sink; nothing changes until the records are replayed.
import type { KRaftErrorCode } from "../errors.ts";
import type { MetadataImage } from "./image.ts";
import type { AlterPartitionRequest, AlterPartitionResponse, CreateTopicRequest } from "./messages.ts";
import { buildPartitionChange } from "./partition-change.ts";
import { neverLed } from "./bootstrap.ts";
import type { ElectionKind } from "./partition-change.ts";
import { NO_LEADER, NO_LEADER_CHANGE, mergePartitionChange } from "./records.ts";
import type { MetadataRecord, PartitionRegistration } from "./records.ts";

/** The records of one controller operation, with how each partition change elected its leader (for the trace). */
export class RecordSink {
  readonly records: MetadataRecord[] = [];
  readonly elections: ElectionKind[] = [];
  add(r: MetadataRecord, election: ElectionKind = "none"): void {
    this.records.push(r);
    this.elections.push(election);
  }
}

interface UpdateOptions {
  /** Out of the ISR and never an acceptable leader (a fenced or shutting-down broker). */
  readonly brokerToRemove?: number;
  /** An acceptable leader although the image still shows it fenced (it is being unfenced). */
  readonly brokerToAdd?: number;
  /** Back from an unclean shutdown: out of the ISR and the ELR, never an acceptable leader. */
  readonly brokerWithUncleanShutdown?: number;
}

/** generateLeaderAndIsrUpdates: re-run each partition's change builder with the broker removed or added. With
 *  unclean election enabled for the topic, a partition left without a clean leader gets an unclean one at once. */
export function generateLeaderAndIsrUpdates(img: MetadataImage, sink: RecordSink, parts: readonly { topic: string; partition: number }[], o: UpdateOptions): void {
  const remove = o.brokerToRemove ?? NO_LEADER;
  const add = o.brokerToAdd ?? NO_LEADER;
  const unclean = o.brokerWithUncleanShutdown ?? NO_LEADER;
  const accept = (r: number): boolean => r !== remove && r !== unclean && (r === add || img.isActive(r));
  for (const { topic, partition } of parts) {
    const p = img.partition(topic, partition) as PartitionRegistration;
    if (neverLed(p)) continue; // its first leader is elected when the cluster is up (bootstrap.ts)
    const result = buildPartitionChange({
      partition: p,
      isAcceptableLeader: accept,
      minIsr: img.minIsr(topic),
      elrEnabled: img.elrEnabled,
      election: img.uncleanLeaderElection(topic) ? "UNCLEAN" : "ONLINE",
      targetIsr: p.isr.filter((r) => r !== remove && r !== unclean),
      ...(unclean !== NO_LEADER ? { uncleanShutdownReplicas: [unclean] } : {}),
    });
    if (result.change !== null) sink.add({ type: "PartitionChangeRecord", topic, partition, ...result.change }, result.election);
  }
}

const inIsr = (b: number) => (p: PartitionRegistration) => p.isr.includes(b);
const inElr = (b: number) => (p: PartitionRegistration) => p.elr.includes(b);

/** handleBrokerFenced: out of every ISR (leaders re-elected), then the fence record. */
export function handleBrokerFenced(img: MetadataImage, sink: RecordSink, broker: number): void {
  const reg = img.brokers.get(broker);
  if (reg === undefined) return;
  generateLeaderAndIsrUpdates(img, sink, img.partitionsWhere(inIsr(broker)), { brokerToRemove: broker });
  sink.add({ type: "BrokerRegistrationChangeRecord", brokerId: broker, brokerEpoch: reg.epoch, fenced: "FENCE", inControlledShutdown: false });
}

/** handleBrokerUnfenced: the unfence record, then leaders for partitions that had none. */
export function handleBrokerUnfenced(img: MetadataImage, sink: RecordSink, broker: number, brokerEpoch: number): void {
  sink.add({ type: "BrokerRegistrationChangeRecord", brokerId: broker, brokerEpoch, fenced: "UNFENCE", inControlledShutdown: false });
  generateLeaderAndIsrUpdates(img, sink, img.leaderless(), { brokerToAdd: broker });
}

/** handleBrokerInControlledShutdown: mark it, then move its leaderships away and take it out of every ISR. */
export function handleBrokerInControlledShutdown(img: MetadataImage, sink: RecordSink, broker: number, brokerEpoch: number): void {
  if (img.brokers.get(broker)?.inControlledShutdown !== true) sink.add({ type: "BrokerRegistrationChangeRecord", brokerId: broker, brokerEpoch, fenced: "NONE", inControlledShutdown: true });
  generateLeaderAndIsrUpdates(img, sink, img.partitionsWhere(inIsr(broker)), { brokerToRemove: broker });
}

/** A new incarnation of a broker that did not shut down cleanly: with ELR, out of the ISR and the ELR (its
 *  unflushed data may be gone); otherwise handled as if fenced (BrokerShutdownHandler in ClusterControlManager). */
export function handleBrokerShutdown(img: MetadataImage, sink: RecordSink, broker: number, clean: boolean): void {
  if (img.elrEnabled && !clean) {
    generateLeaderAndIsrUpdates(img, sink, img.partitionsWhere(inIsr(broker)), { brokerWithUncleanShutdown: broker });
    generateLeaderAndIsrUpdates(img, sink, img.partitionsWhere(inElr(broker)), { brokerWithUncleanShutdown: broker });
  } else generateLeaderAndIsrUpdates(img, sink, img.partitionsWhere(inIsr(broker)), { brokerToRemove: broker });
}

/** The periodic unclean election for leaderless partitions of topics that allow it (maybeElectUncleanLeaders). */
export function electUncleanLeaders(img: MetadataImage, sink: RecordSink): void {
  for (const { topic, partition } of img.leaderless()) {
    if (!img.uncleanLeaderElection(topic)) continue;
    const p = img.partition(topic, partition) as PartitionRegistration;
    if (neverLed(p)) continue;
    const r = buildPartitionChange({ partition: p, isAcceptableLeader: (b) => img.isActive(b), minIsr: img.minIsr(topic), elrEnabled: img.elrEnabled, election: "UNCLEAN" });
    if (r.change !== null) sink.add({ type: "PartitionChangeRecord", topic, partition, ...r.change }, r.election);
  }
}

/** CreateTopics with a manual assignment: ISR = the replicas that may lead now, leader = the first of them. */
export function createTopic(img: MetadataImage, sink: RecordSink, req: CreateTopicRequest): KRaftErrorCode {
  if (img.topics.has(req.name)) return "TOPIC_ALREADY_EXISTS";
  if (req.assignments.length === 0 || req.assignments.some((a) => a.length === 0 || new Set(a).size !== a.length)) return "INVALID_REPLICATION_FACTOR";
  const isrs = req.assignments.map((a) => a.filter((b) => img.isActive(b)));
  if (isrs.some((isr) => isr.length === 0)) return "INVALID_REPLICATION_FACTOR";
  sink.add({ type: "TopicRecord", name: req.name });
  const c = req.configs ?? {};
  if (c["min.insync.replicas"] !== undefined) sink.add({ type: "ConfigRecord", resourceName: req.name, name: "min.insync.replicas", value: String(c["min.insync.replicas"]) });
  if (c["unclean.leader.election.enable"] !== undefined) sink.add({ type: "ConfigRecord", resourceName: req.name, name: "unclean.leader.election.enable", value: String(c["unclean.leader.election.enable"]) });
  req.assignments.forEach((replicas, partition) => {
    const isr = isrs[partition] as number[];
    sink.add({ type: "PartitionRecord", topic: req.name, partition, replicas: [...replicas], isr, elr: [], lastKnownElr: [], leader: isr[0] as number, leaderRecoveryState: "RECOVERED", leaderEpoch: 0, partitionEpoch: 0 });
  });
  return "NONE";
}

/** AlterPartition from a partition leader (ReplicationControlManager.alterPartition). The request's broker epoch
 *  was checked by the caller (STALE_BROKER_EPOCH). */
export function alterPartition(img: MetadataImage, sink: RecordSink, req: AlterPartitionRequest): AlterPartitionResponse {
  const p = img.partition(req.topic, req.partition);
  const fail = (error: KRaftErrorCode): AlterPartitionResponse => ({ type: "kraft-alter-partition-response", corr: req.corr, error, leader: -1, leaderEpoch: -1, partitionEpoch: -1, isr: [], leaderRecoveryState: "RECOVERED" });
  if (p === undefined) return fail("UNKNOWN_TOPIC_OR_PARTITION");
  const error = validateAlterPartition(img, p, req);
  if (error !== "NONE") return fail(error);
  const r = buildPartitionChange({
    partition: p,
    isAcceptableLeader: (b) => img.isActive(b),
    minIsr: img.minIsr(req.topic),
    elrEnabled: img.elrEnabled,
    election: img.uncleanLeaderElection(req.topic) ? "UNCLEAN" : "ONLINE",
    targetIsr: req.newIsrWithEpochs.map((s) => s.brokerId),
    targetLeaderRecoveryState: req.leaderRecoveryState,
  });
  let after = p;
  if (r.change !== null) {
    sink.add({ type: "PartitionChangeRecord", topic: req.topic, partition: req.partition, ...r.change }, r.election);
    after = mergePartitionChange(p, r.change);
    // The change also moved the leader: written, and the old leader told to refresh its metadata.
    if (r.change.leader !== req.brokerId && r.change.leader !== NO_LEADER_CHANGE) return fail("NEW_LEADER_ELECTED");
  }
  return { type: "kraft-alter-partition-response", corr: req.corr, error: "NONE", leader: after.leader, leaderEpoch: after.leaderEpoch, partitionEpoch: after.partitionEpoch, isr: after.isr, leaderRecoveryState: after.leaderRecoveryState };
}

/** validateAlterPartitionData, in Kafka's order. */
function validateAlterPartition(img: MetadataImage, p: PartitionRegistration, req: AlterPartitionRequest): KRaftErrorCode {
  // A request from the future: this controller is behind (likely no longer active).
  if (req.leaderEpoch > p.leaderEpoch || req.partitionEpoch > p.partitionEpoch) return "NOT_CONTROLLER";
  if (req.leaderEpoch < p.leaderEpoch) return "FENCED_LEADER_EPOCH";
  if (req.brokerId !== p.leader) return "INVALID_REQUEST";
  // A stale partition epoch: the ISR changed since the leader last heard (what fences a zombie's ISR write).
  if (req.partitionEpoch < p.partitionEpoch) return "INVALID_UPDATE_VERSION";
  const isr = req.newIsrWithEpochs.map((s) => s.brokerId);
  if (new Set(isr).size !== isr.length || isr.some((b) => !p.replicas.includes(b))) return "INVALID_REQUEST";
  if (!isr.includes(p.leader)) return "INVALID_REQUEST";
  if (req.leaderRecoveryState === "RECOVERING" && isr.length > 1) return "INVALID_REQUEST";
  if (p.leaderRecoveryState === "RECOVERED" && req.leaderRecoveryState === "RECOVERING") return "INVALID_REQUEST";
  // ineligibleReplicasForIsr: unregistered, in controlled shutdown, fenced, or another incarnation.
  for (const s of req.newIsrWithEpochs) {
    const reg = img.brokers.get(s.brokerId);
    if (reg === undefined || reg.inControlledShutdown || reg.fenced || (s.brokerEpoch !== -1 && reg.epoch !== s.brokerEpoch)) return "INELIGIBLE_REPLICA";
  }
  return "NONE";
}
