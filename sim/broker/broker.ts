// The broker actor: composes the control plane (ZooKeeper session, registration, controller: sim/broker/control;
// in KRaft mode the metadata observer and lifecycle: sim/broker/kraft),
// the data plane (ReplicaManager: partitions, produce, fetch, replication) and the group coordinator it hosts
// (sim/broker/group). Messages go to the control plane first, then to the data plane, then to the group module.
import type { NodeId } from "../core/ids.ts";
import type { Actor } from "../core/node.ts";
import { tpKey } from "../core/ids.ts";
import type { Message } from "../kafka/protocol.ts";
import type { KafkaErrorCode } from "../kafka/errors.ts";
import type { BrokerConfig } from "../kafka/config.ts";
import type { GroupMessage } from "../kafka/protocol-group.ts";
import type { TraceEvent } from "../events.ts";
import type { BrokerCtx, GroupCoordinatorFactory, GroupCoordinatorModule, GroupHost, GroupSnapshot } from "./group/host.ts";
import { OFFSETS_TOPIC } from "./group/host.ts";
import { CONN_CLIENT, CONN_FETCHER } from "../kafka/channels.ts";
import { ReplicaManager } from "./replica/manager.ts";
import { TXN_TOPIC, TxnModule } from "./txn/index.ts";
import type { VerifierHost } from "./txn/index.ts";
import type { TxnHost } from "./txn/index.ts";
import { partitionVerificationOf, transactionVersionOf } from "../kafka/profiles.ts";
import { allocateProducerId } from "./producer-ids.ts";
import { ATTR_TRANSACTIONAL, CONTROL_ABORT, CONTROL_COMMIT } from "../kafka/records.ts";
import type { IsrChangeRequest, IsrChangeResponse, ReplicaSpec } from "./replica/manager.ts";

/** Hooks the control plane calls on its broker. */
export interface ControlPlaneHooks {
  /** Registered in the coordinator with this broker epoch (czxid of /brokers/ids/<id>). */
  onRegistered(ctx: BrokerCtx, brokerEpoch: number): void;
  /** The coordinator session expired (the broker keeps running: a zombie until it registers again). */
  onSessionLost(ctx: BrokerCtx): void;
  /** The broker's replica manager (KRaft: the metadata publisher applies partition state to it). */
  replicaManager?(): ReplicaManager;
}

/** The control plane as the broker uses it (implemented by sim/broker/control). */
export interface ControlPlaneApi {
  onStart(ctx: BrokerCtx): void;
  /** A clean shutdown: resign and close the coordinator session so leadership moves at once. */
  onShutdown?(ctx: BrokerCtx): void;
  /** Handles zk.* and alter-partition* (and, on the controller, leader-and-isr responses); true if consumed. */
  onMessage(ctx: BrokerCtx, from: NodeId, msg: Message): boolean;
  onTimer(ctx: BrokerCtx, tag: unknown): boolean;
  readonly brokerEpoch: number;
  readonly isController: boolean;
  requestIsrChange(ctx: BrokerCtx, req: IsrChangeRequest, done: (resp: IsrChangeResponse) => void): void;
  noteController?(ctx: BrokerCtx, controllerId: number, controllerEpoch: number): void;
  cancelIsrChange?(ctx: BrokerCtx, topic: string, partition: number): void;
  /** This broker's connection of `kind` to `peer` was closed or reset (re-send what was in flight on it). */
  onDisconnect?(ctx: BrokerCtx, peer: NodeId, kind: number): void;
  /** Controller requests that arrived before this process first registered, held until it did (taken once). */
  takeHeld?(): readonly { readonly from: NodeId; readonly msg: Message }[];
  /** KRaft: may a follower join an ISR (Partition.isReplicaIsrEligible)? */
  isReplicaIsrEligible?(broker: number): boolean;
  /** The control plane traces the ISR changes a leader proposes as they take effect (the ZooKeeper controller's write
   *  from 2.7, KRaft's metadata log); absent or false: the leader traces them on its change's answer. */
  readonly tracesIsrChanges?: boolean;
  /** KRaft: a clean stop first goes through controlled shutdown; `done` runs when the broker may stop. */
  beginControlledShutdown?(ctx: BrokerCtx, done: () => void): void;
  /** KRaft: the metadata-lag fault. */
  setMetadataLag?(ctx: BrokerCtx, delayUs: number, untilUs: number): void;
}

export type ControlPlaneFactory = (brokerId: number, hooks: ControlPlaneHooks) => ControlPlaneApi;

/** World-wide interned keys of __consumer_offsets records (the world's KeyRegistry). */
export interface KeyInterner {
  intern(name: string): number;
  name(id: number): string | undefined;
}

export interface BrokerDeps {
  readonly controlPlane: ControlPlaneFactory;
  readonly groupCoordinator?: GroupCoordinatorFactory;
  readonly keys?: KeyInterner;
}

const GROUP_TYPES_PREFIX = "group.";

/** A group module that answers nothing (until the clients' group coordinator is wired in). */
const silentGroups: GroupCoordinatorModule = {
  onMessage: () => undefined,
  onTimer: () => false,
  onElected: () => undefined,
  onResigned: () => undefined,
};

export class Broker implements Actor<Message, TraceEvent>, GroupHost {
  readonly replicas: ReplicaManager;
  readonly control: ControlPlaneApi;
  private readonly groups: GroupCoordinatorModule;
  /** Transactions: the coordinator of this broker's __transaction_state partitions, and markers (sim/broker/txn). */
  readonly txn: TxnModule;
  private readonly keys: KeyInterner;
  readonly config: BrokerConfig;
  readonly offsetsPartitions: number;
  /** The broker epoch of the current registration, -1 while unregistered. */
  registeredEpoch = -1;

  /** The groups this broker coordinates now (for the final state). */
  groupStates(): readonly GroupSnapshot[] {
    return this.groups.groupStates?.() ?? [];
  }

  constructor(
    readonly brokerId: number,
    spec: ReplicaSpec,
    deps: BrokerDeps,
  ) {
    this.config = spec.broker;
    this.offsetsPartitions = spec.topics.find((t) => t.name === OFFSETS_TOPIC)?.partitions ?? spec.broker["offsets.topic.num.partitions"];
    this.control = deps.controlPlane(brokerId, {
      onRegistered: (ctx, epoch) => {
        this.registeredEpoch = epoch;
        // Kafka starts processing requests only after the registration (KafkaServer.startup): what the controller
        // sent meanwhile waited in the socket and is handled now.
        for (const h of this.control.takeHeld?.() ?? []) this.onMessage(ctx, h.from, h.msg);
      },
      onSessionLost: () => {
        this.registeredEpoch = -1;
      },
      replicaManager: () => this.replicas,
    });
    const kraft = this.control.isReplicaIsrEligible !== undefined;
    // Who traces an ISR change the leader proposed: KRaft's metadata log, and from 2.7 the ZooKeeper controller's
    // write (announced when ZooKeeper applies it); before 2.7 the leader, which writes the state znode itself.
    const controllerTracesIsr = kraft || this.control.tracesIsrChanges === true;
    this.replicas = new ReplicaManager(brokerId, spec, {
      requestIsrChange: (ctx, req, done) => this.control.requestIsrChange(ctx, req, done),
      brokerEpoch: () => this.control.brokerEpoch,
      onControllerSeen: (ctx, id, epoch) => this.control.noteController?.(ctx, id, epoch),
      cancelIsrChange: (ctx, topic, partition) => this.control.cancelIsrChange?.(ctx, topic, partition),
      ...(kraft ? { isReplicaIsrEligible: (b: number) => this.control.isReplicaIsrEligible?.(b) ?? true } : {}),
      ...(controllerTracesIsr ? { tracesIsrChanges: true } : {}),
      onLeadershipChange: (ctx, topic, partition, leader) => {
        if (topic === TXN_TOPIC) {
          if (leader) this.txn.onElected(ctx, partition);
          else this.txn.onResigned(ctx, partition);
          return;
        }
        if (topic !== OFFSETS_TOPIC) return;
        if (leader) this.groups.onElected(ctx, partition);
        else this.groups.onResigned(ctx, partition);
      },
      // KRaft: the transaction coordinator reloads its partition at the new epoch (onElection on every local leader
      // change), so a transition a deposed incarnation appended is not applied with the old coordinator epoch.
      ...(kraft
        ? {
            onLeaderEpochBump: (ctx: BrokerCtx, topic: string, partition: number) => {
              if (topic === TXN_TOPIC) this.txn.onElected(ctx, partition);
            },
          }
        : {}),
    });
    const fallback = new Map<string, number>();
    const names: string[] = [];
    this.keys = deps.keys ?? {
      intern: (name) => {
        let id = fallback.get(name);
        if (id === undefined) {
          id = names.length;
          names.push(name);
          fallback.set(name, id);
        }
        return id;
      },
      name: (id) => names[id],
    };
    this.groups = deps.groupCoordinator ? deps.groupCoordinator(this) : silentGroups;
    this.txn = new TxnModule(this.txnHost(spec), this.verifierHost(spec));
  }

  onStart(ctx: BrokerCtx): void {
    this.replicas.onStart(ctx);
    this.control.onStart(ctx);
    this.txn.onStart(ctx);
  }

  onMessage(ctx: BrokerCtx, from: NodeId, msg: Message): void {
    if (this.control.onMessage(ctx, from, msg)) return;
    // KIP-890: a transactional batch may first be verified with (or added to the transaction by) its coordinator
    // (sim/broker/txn/verification.ts).
    if (msg.type === "produce" && this.txn.verifier !== null && this.txn.verifier.intercept(ctx, from, msg)) return;
    if (this.replicas.onMessage(ctx, from, msg)) return;
    if (msg.type === "api-versions") return ctx.send(from, { type: "api-versions-response", corr: msg.corr });
    if (this.txn.onMessage(ctx, from, msg)) return;
    if (msg.type === "txn.offset-commit") this.groups.onTxnOffsetCommit?.(ctx, from, msg);
    else if (msg.type.startsWith(GROUP_TYPES_PREFIX)) this.groups.onMessage(ctx, from, msg as GroupMessage);
  }

  onTimer(ctx: BrokerCtx, tag: unknown): void {
    if (this.replicas.onTimer(ctx, tag)) return;
    if (this.control.onTimer(ctx, tag)) return;
    if (this.txn.onTimer(ctx, tag)) return;
    this.groups.onTimer(ctx, tag);
  }

  onDisconnect(ctx: BrokerCtx, peer: NodeId, kind: number): void {
    // Between brokers each component has its own connection (sim/kafka/channels.ts); a world without connection
    // kinds reports every disconnect as CONN_CLIENT: then every component hears of it.
    if (kind === CONN_FETCHER || kind === CONN_CLIENT) this.replicas.onDisconnect(ctx, peer);
    if (kind === CONN_CLIENT) this.txn.onDisconnect(ctx, peer);
    if (kind !== CONN_FETCHER) this.control.onDisconnect?.(ctx, peer, kind);
  }

  onShutdown(ctx: BrokerCtx): void {
    this.replicas.onShutdown(ctx);
    this.control.onShutdown?.(ctx);
  }

  // ---- GroupHost ----
  isOffsetsLeader(partition: number): boolean {
    const p = this.replicas.partitions.get(tpKey(OFFSETS_TOPIC, partition));
    return p !== undefined && p.isLeader && !p.fenced;
  }
  cachedOffsetsLeader(partition: number): number | null {
    return this.replicas.cachedLeaderOf(OFFSETS_TOPIC, partition);
  }
  appendOffsets(ctx: BrokerCtx, partition: number, keys: readonly number[], values: readonly number[], timeoutMs: number, done: (error: KafkaErrorCode) => void): void {
    this.replicas.appendInternal(ctx, OFFSETS_TOPIC, partition, keys, values, timeoutMs, done);
  }
  appendTxnOffsets(ctx: BrokerCtx, partition: number, keys: readonly number[], values: readonly number[], producerId: number, producerEpoch: number, timeoutMs: number, done: (error: KafkaErrorCode) => void): void {
    // GroupMetadataManager.storeOffsets for a transaction: a transactional batch of the producer (no sequence).
    this.replicas.appendInternal(ctx, OFFSETS_TOPIC, partition, keys, values, timeoutMs, done, { producerId, producerEpoch, attributes: ATTR_TRANSACTIONAL });
  }
  readOffsets(partition: number): { readonly keys: ArrayLike<number>; readonly values: ArrayLike<number>; readonly count: number; readonly producerIds: ArrayLike<number>; readonly attributes: ArrayLike<number> } {
    const p = this.replicas.partitions.get(tpKey(OFFSETS_TOPIC, partition));
    if (p === undefined) return { keys: [], values: [], count: 0, producerIds: [], attributes: [] };
    // GroupMetadataManager.doLoadGroupsAndOffsets reads up to the log end offset, not the HW: a new leader's HW
    // may lag a commit it already holds, and loading only below it would resume the group before that commit.
    const n = Math.max(0, p.leo - p.log.startOffset);
    return { keys: p.log.key.subarray(0, n), values: p.log.value.subarray(0, n), count: n, producerIds: p.log.producerId.subarray(0, n), attributes: p.log.attributes.subarray(0, n) };
  }
  internKey(name: string): number {
    return this.keys.intern(name);
  }

  /** KIP-890 part 2: TxnOffsetCommit v5+ has the group's offsets partition added to the transaction first. */
  addTxnOffsetsPartition(ctx: BrokerCtx, transactionalId: string, producerId: number, producerEpoch: number, partition: number, done: (error: KafkaErrorCode) => void): void {
    if (this.txn.verifier === null) return done("NONE");
    this.txn.verifier.addOffsetsPartition(ctx, transactionalId, producerId, producerEpoch, partition, done);
  }

  // ---- VerifierHost (KIP-890) ----
  private verifierHost(spec: ReplicaSpec): VerifierHost {
    return {
      brokerId: this.brokerId,
      txnPartitions: spec.topics.find((t) => t.name === TXN_TOPIC)?.partitions ?? spec.broker["transaction.state.log.num.partitions"],
      requestTimeoutMs: this.config["request.timeout.ms"],
      verificationEnabled: partitionVerificationOf(spec.protocol, spec.broker),
      cachedLeaderOf: (topic, partition) => this.replicas.cachedLeaderOf(topic, partition),
      needsVerification: (topic, partition, producerId, producerEpoch) => this.replicas.needsTxnVerification(topic, partition, producerId, producerEpoch),
      resumeProduce: (ctx, from, req, refused) => this.replicas.handleProduce(ctx, from, req, refused),
    };
  }

  // ---- TxnHost ----
  private txnHost(spec: ReplicaSpec): TxnHost {
    const partitionOf = (partition: number) => this.replicas.partitions.get(tpKey(TXN_TOPIC, partition));
    return {
      brokerId: this.brokerId,
      config: this.config,
      transactionVersion: transactionVersionOf(spec.protocol, spec.broker),
      txnPartitions: spec.topics.find((t) => t.name === TXN_TOPIC)?.partitions ?? spec.broker["transaction.state.log.num.partitions"],
      offsetsPartitions: this.offsetsPartitions,
      // The coordinator owns a partition from onElection to onResignation (TransactionStateManager's cache), not by
      // its ISR state: a leader whose AlterPartition was fenced still coordinates (and appends) until the metadata
      // moves the partition. Dropping out while fenced left a transaction's CompleteCommit unwritten for good.
      isTxnLeader: (partition) => partitionOf(partition)?.isLeader === true,
      txnLeaderEpoch: (partition) => partitionOf(partition)?.leaderEpoch ?? -1,
      cachedLeaderOf: (topic, partition) => this.replicas.cachedLeaderOf(topic, partition),
      appendTxnLog: (ctx, partition, keys, values, timeoutMs, done) => this.replicas.appendInternal(ctx, TXN_TOPIC, partition, keys, values, timeoutMs, done),
      readTxnLog: (partition) => {
        const p = partitionOf(partition);
        if (p === undefined) return { keys: [], values: [], count: 0 };
        const n = Math.max(0, p.leo - p.log.startOffset);
        return { keys: p.log.key.subarray(0, n), values: p.log.value.subarray(0, n), count: n };
      },
      appendMarker: (ctx, topic, partition, producerId, producerEpoch, commit, coordinatorEpoch, timeoutMs, done) =>
        this.replicas.appendMarker(ctx, topic, partition, producerId, producerEpoch, commit ? CONTROL_COMMIT : CONTROL_ABORT, coordinatorEpoch, timeoutMs, done),
      onMarkerWritten: (ctx, topic, partition, producerId, commit) => {
        if (topic === OFFSETS_TOPIC) this.groups.onTxnCompletion?.(ctx, partition, producerId, commit);
      },
      allocateProducerId: (ctx) => allocateProducerId(ctx, this.brokerId),
      internKey: (name) => this.keys.intern(name),
      keyName: (id) => this.keys.name(id),
    };
  }
  keyName(id: number): string | undefined {
    return this.keys.name(id);
  }
}
