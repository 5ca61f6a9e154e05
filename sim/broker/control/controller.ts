// The active controller (ZooKeeper-era KafkaController), living inside the broker that won the election.
// It keeps a cache of the cluster (live brokers with their epochs, assignment, partition states — Kafka's
// ControllerContext) read from the coordinator at failover, processes its events one at a time (Kafka's
// ControllerEventManager: one event thread; an event's ZooKeeper calls finish before the next event starts),
// writes every partition state change with a compare-and-set guarded by a check of /controller_epoch's version
// (KafkaZkClient.updateLeaderAndIsr with expectedControllerEpochZkVersion: a deposed controller's writes fail),
// and tells brokers with leader-and-isr and update-metadata through its channel (controller-channel.ts). Which
// changes it makes, and what it tells brokers, are computed from its partition states in partition-states.ts.
import type { NodeContext } from "../../core/node.ts";
import type { NodeId } from "../../core/ids.ts";
import { tpKey } from "../../core/ids.ts";
import type { Message, PartitionMetadata } from "../../kafka/protocol.ts";
import type { LeaderAndIsrPartition, ZkOp } from "../../kafka/protocol-cluster.ts";
import type { TraceEvent } from "../../events.ts";
import type { ClusterSpec } from "../spec.ts";
import {
  BROKER_IDS_PATH,
  CONTROLLER_EPOCH_PATH,
  ISR_CHANGE_NOTIFICATION_PATH,
  TOPICS_PATH,
  brokerIdPath,
  partitionStatePath,
  topicPath,
} from "../../coordinator/paths.ts";
import type { IsrChangeNotificationData, PartitionStateData, TopicAssignmentData } from "../../coordinator/paths.ts";
import type { ZkClient, ZkResult } from "./zk-client.ts";
import { ControlTimer } from "./timers.ts";
import { ControllerChannel } from "./controller-channel.ts";
import { checkAlterPartition, leaderAndIsrOf, metadataOf, partitionChanges, updateEvent } from "./partition-states.ts";
import type { AlterPartitionRequest, PartitionInfo, PartitionState, Update } from "./partition-states.ts";

type Ctx = NodeContext<Message, TraceEvent>;

export { CONTROLLER_RETRY_BACKOFF_MS, CONTROLLER_SOCKET_TIMEOUT_MS } from "./controller-channel.ts";
export type { PartitionState } from "./partition-states.ts";
/** How long the first controller waits for every replica of a new partition to register before it creates
 *  the partition with the replicas that are live (an admin creates topics once the cluster is up). */
export const NEW_PARTITION_GRACE_MS = 1000;

type Event = (ctx: Ctx, done: () => void) => void;

/** What the controller needs from the control plane that hosts it. */
export interface ControllerHost {
  readonly brokerId: number;
  readonly spec: ClusterSpec;
  readonly zk: ZkClient;
  nextCorr(): number;
  /** Called when a write finds that another controller took over (ControllerMovedException). */
  resign(ctx?: Ctx): void;
}

export class Controller {
  private activeFlag = true;
  /** Live brokers and their epochs (czxid of /brokers/ids/<id>), as this controller last read them. */
  readonly live = new Map<number, number>();
  readonly partitions = new Map<string, PartitionInfo>();
  readonly states = new Map<string, PartitionState>();
  private readonly queue: Event[] = [];
  private busy = false;
  /** AlterPartition requests received and not yet answered, by arrival. */
  private readonly unanswered = new Set<AlterPartitionRequest>();
  /** Requests to brokers (ControllerChannelManager). */
  private readonly channel: ControllerChannel;
  private graceArmed = false;
  private graceOver = false;

  constructor(
    private readonly host: ControllerHost,
    readonly epoch: number,
    readonly epochZkVersion: number,
  ) {
    this.channel = new ControllerChannel({
      controllerId: host.brokerId,
      controllerEpoch: epoch,
      live: this.live,
      nextCorr: () => host.nextCorr(),
      leaderAndIsr: (broker, keys) => this.leaderAndIsr(broker, keys),
      metadata: () => this.metadata(),
    });
  }

  get active(): boolean {
    return this.activeFlag;
  }

  /** Stop for good (resignation): pending callbacks and timers of this controller are ignored. */
  deactivate(ctx?: Ctx): void {
    this.activeFlag = false;
    this.queue.length = 0;
    // AlterPartitionReceived.preempt does nothing: what was queued or in progress goes unanswered.
    if (ctx) for (const r of this.unanswered.values()) ctx.emit({ type: "alter-partition-preempted", tp: tpKey(r.topic, r.partition), controller: this.host.brokerId, broker: r.brokerId });
    this.unanswered.clear();
  }

  // ---------- event queue ----------

  private enqueue(ctx: Ctx, ev: Event): void {
    if (!this.activeFlag) return;
    this.queue.push(ev);
    this.pump(ctx);
  }

  private pump(ctx: Ctx): void {
    while (!this.busy && this.activeFlag && this.queue.length > 0) {
      const ev = this.queue.shift() as Event;
      this.busy = true;
      let sync = true;
      ev(ctx, () => {
        this.busy = false;
        if (!sync) this.pump(ctx);
      });
      sync = false;
    }
  }

  private zk(ctx: Ctx, ops: readonly ZkOp[], cb: (ctx: Ctx, r: ZkResult) => void): void {
    this.host.zk.request(ctx, ops, (c, r) => {
      if (this.activeFlag && r.error !== "SESSION_EXPIRED") cb(c, r);
    });
  }

  // ---------- events ----------

  /** KafkaController.onControllerFailover: read the cluster, then bring every partition online. */
  start(ctx: Ctx): void {
    this.enqueue(ctx, (c, done) => this.failover(c, done));
  }

  /** The /brokers/ids children watch fired (BrokerChange). */
  onBrokerChange(ctx: Ctx): void {
    this.enqueue(ctx, (c, done) => this.brokerChange(c, done));
  }

  /** The /isr_change_notification children watch fired (IsrChangeNotificationHandler): before 2.7 leaders write
   *  ISR changes to ZooKeeper themselves and leave a notification there. */
  onIsrChangeNotification(ctx: Ctx): void {
    this.enqueue(ctx, (c, done) => this.isrChangeNotification(c, done));
  }

  onAlterPartition(ctx: Ctx, from: NodeId, msg: AlterPartitionRequest): void {
    if (this.activeFlag) this.unanswered.add(msg);
    this.enqueue(ctx, (c, done) => this.alterPartition(c, from, msg, done));
  }

  /** A broker answered a leader-and-isr or update-metadata request. */
  onBrokerResponse(ctx: Ctx, corr: number): void {
    this.channel.onResponse(ctx, corr);
  }

  /** The connection to `broker` broke: what was in flight on it is sent again after the back-off. */
  onDisconnect(ctx: Ctx, broker: number): void {
    if (this.activeFlag) this.channel.onDisconnect(ctx, broker);
  }

  onTimer(ctx: Ctx, tag: ControlTimer): boolean {
    if (tag.owner === this.channel) return this.activeFlag ? this.channel.onTimer(ctx, tag) : true;
    if (tag.owner !== this) return false;
    if (!this.activeFlag) return true;
    if (tag.kind === "ctl.new-partitions") {
      this.graceOver = true;
      this.enqueue(ctx, (c, done) => this.reconcileAndNotify(c, [], done));
      return true;
    }
    return false;
  }

  private failover(ctx: Ctx, done: () => void): void {
    this.zk(
      ctx,
      [
        { op: "children", path: BROKER_IDS_PATH, watch: true },
        { op: "children", path: TOPICS_PATH, watch: false },
        { op: "children", path: ISR_CHANGE_NOTIFICATION_PATH, watch: true },
      ],
      (c, r) => {
        const ids = (r.results[0]?.children ?? []).map(Number).sort((a, b) => a - b);
        const topics = r.results[1]?.children ?? [];
        // onControllerFailover: deleteIsrChangeNotifications (the states are read afresh below).
        this.deleteIsrChangeNotifications(c, r.results[2]?.children ?? []);
        const reads: ZkOp[] = [...ids.map((id): ZkOp => ({ op: "get", path: brokerIdPath(id), watch: false })), ...topics.map((t): ZkOp => ({ op: "get", path: topicPath(t), watch: false }))];
        this.zk(c, reads, (c2, r2) => {
          this.live.clear();
          ids.forEach((id, i) => {
            const res = r2.results[i];
            if (res?.error === "NONE") this.live.set(id, res.czxid as number);
          });
          topics.forEach((t, i) => {
            const data = r2.results[ids.length + i]?.data as TopicAssignmentData | undefined;
            if (data === undefined) return;
            data.partitions.forEach((replicas, p) => {
              const key = tpKey(t, p);
              this.partitions.set(key, { key, topic: t, partition: p, replicas });
            });
          });
          const infos = [...this.partitions.values()];
          this.zk(
            c2,
            infos.map((pi): ZkOp => ({ op: "get", path: partitionStatePath(pi.topic, pi.partition), watch: false })),
            (c3, r3) => {
              infos.forEach((pi, i) => {
                const res = r3.results[i];
                if (res?.error !== "NONE") return;
                const d = res.data as PartitionStateData;
                this.states.set(pi.key, { leader: d.leader, leaderEpoch: d.leader_epoch, isr: d.isr, partitionEpoch: res.version as number });
              });
              // ReplicaStateMachine.startup sends every live replica its partitions' state; the partition state
              // machine then elects leaders for offline partitions and creates new ones.
              this.reconcileAndNotify(c3, [...this.live.keys()], done);
            },
          );
        });
      },
    );
  }

  /** KafkaController.processBrokerChange: dead, new and bounced (same id, new epoch) brokers. */
  private brokerChange(ctx: Ctx, done: () => void): void {
    this.zk(ctx, [{ op: "children", path: BROKER_IDS_PATH, watch: true }], (c, r) => {
      const ids = (r.results[0]?.children ?? []).map(Number).sort((a, b) => a - b);
      this.zk(
        c,
        ids.map((id): ZkOp => ({ op: "get", path: brokerIdPath(id), watch: false })),
        (c2, r2) => {
          const now = new Map<number, number>();
          ids.forEach((id, i) => {
            const res = r2.results[i];
            if (res?.error === "NONE") now.set(id, res.czxid as number);
          });
          const bounced: number[] = [];
          const born: number[] = [];
          let changed = false;
          for (const id of this.live.keys()) if (!now.has(id)) changed = true;
          for (const [id, ep] of now) {
            const old = this.live.get(id);
            if (old === undefined) born.push(id);
            else if (old !== ep) bounced.push(id);
          }
          if (!changed && born.length === 0 && bounced.length === 0) {
            done();
            return;
          }
          // onBrokerFailure for the dead and the bounced, then onBrokerStartup for the new and the bounced.
          // ControllerChannelManager.removeBroker closes the connection to each; addBroker opens a new one, so
          // requests to a returning broker do not wait behind what the old connection is still retransmitting.
          for (const id of this.live.keys()) {
            if (id !== this.host.brokerId && (!now.has(id) || bounced.includes(id))) this.channel.removeBroker(c2, id);
          }
          this.live.clear();
          for (const [id, ep] of now) if (!bounced.includes(id)) this.live.set(id, ep);
          this.channel.dropStale(c2);
          this.reconcile(c2, (c3, changed1) => {
            // `now` is in ascending id order: keep the live map so (deterministic message order).
            this.live.clear();
            for (const [id, ep] of now) this.live.set(id, ep);
            this.reconcileAndNotify(c3, [...born, ...bounced], done, changed1);
          });
        },
      );
    });
  }

  /** Compute and write every needed partition change under the current live set (PartitionStateMachine
   *  .triggerOnlinePartitionStateChange + ReplicaStateMachine OfflineReplica), then call back with the keys
   *  that changed. */
  private reconcile(ctx: Ctx, then: (ctx: Ctx, changed: string[]) => void, attempt = 0, keys?: readonly string[]): void {
    const updates = this.computeUpdates(keys);
    if (updates.length === 0) {
      then(ctx, []);
      return;
    }
    this.writeStates(ctx, updates, (c, written, stale) => {
      if (stale.length > 0 && attempt < 3) {
        this.refreshStates(c, stale, (c2) => {
          // A write reported as a version conflict that ZooKeeper had applied (its first submission went through;
          // KafkaZkClient's retryRequestsUntilConnected re-submitted it after a lost answer and it met its own version)
          // counts as written when the state read back is the one written, so its leader-and-isr goes out. Kafka
          // retries such a partition's election on the state it reads back (ZkPartitionStateMachine: updatesToRetry)
          // and elects the same leader one epoch higher; either way the brokers hear of it.
          const applied = updates.filter((u) => stale.includes(u.info.key) && sameState(this.states.get(u.info.key), u.next)).map((u) => u.info.key);
          this.reconcile(c2, (c3, more) => then(c3, [...written, ...applied, ...more]), attempt + 1, stale);
        });
      } else then(c, written);
    });
  }

  /** reconcile, then update-metadata to every live broker and leader-and-isr to the live replicas of changed
   *  partitions, plus all partitions of `fullBrokers` (new, bounced, or every broker at failover). */
  private reconcileAndNotify(ctx: Ctx, fullBrokers: readonly number[], done: () => void, alsoChanged: readonly string[] = []): void {
    this.reconcile(ctx, (c, changed) => {
      if (!this.activeFlag) return;
      const all = new Set<string>([...alsoChanged, ...changed]);
      this.sendUpdateMetadata(c, [...this.live.keys()]);
      for (const b of this.live.keys()) {
        const full = fullBrokers.includes(b);
        const keys: string[] = [];
        for (const pi of this.partitions.values()) {
          if (!pi.replicas.includes(b)) continue;
          if (full || all.has(pi.key)) keys.push(pi.key);
        }
        this.sendLeaderAndIsr(c, b, keys);
      }
      this.maybeArmGrace(c);
      done();
    });
  }

  private maybeArmGrace(ctx: Ctx): void {
    if (this.graceOver || this.graceArmed) return;
    for (const pi of this.partitions.values()) {
      if (!this.states.has(pi.key) && pi.replicas.some((r) => this.live.has(r))) {
        this.graceArmed = true;
        ctx.setTimer(NEW_PARTITION_GRACE_MS * 1000, new ControlTimer("ctl.new-partitions", this));
        return;
      }
    }
  }

  private computeUpdates(keys?: readonly string[]): Update[] {
    const isLive = (b: number): boolean => this.live.has(b);
    const infos = keys === undefined ? [...this.partitions.values()] : keys.map((k) => this.partitions.get(k)).filter((x): x is PartitionInfo => x !== undefined);
    return partitionChanges(infos, this.states, isLive, { graceOver: this.graceOver, spec: this.host.spec });
  }

  private stateData(next: Omit<PartitionState, "partitionEpoch">): PartitionStateData {
    return { leader: next.leader, leader_epoch: next.leaderEpoch, isr: next.isr, controller_epoch: this.epoch };
  }

  /** Write updates in parallel, each as [check /controller_epoch version, create|set state with CAS]. */
  private writeStates(ctx: Ctx, updates: readonly Update[], then: (ctx: Ctx, written: string[], stale: string[]) => void): void {
    let left = updates.length;
    const written: string[] = [];
    const stale: string[] = [];
    for (const u of updates) {
      const path = partitionStatePath(u.info.topic, u.info.partition);
      const data = this.stateData(u.next);
      // The change takes effect when ZooKeeper applies it: the coordinator announces it then (a controller that
      // never hears the answer — slowed, cut off, its session gone — still made the election its successor reads).
      const announce = updateEvent(u);
      const write: ZkOp = u.prev === undefined ? { op: "create", path, data, ephemeral: false, ...(announce ? { announce } : {}) } : { op: "set", path, data, version: u.prev.partitionEpoch, ...(announce ? { announce } : {}) };
      this.zk(ctx, [{ op: "check", path: CONTROLLER_EPOCH_PATH, version: this.epochZkVersion }, write], (c, r) => {
        if (r.error === "NONE") {
          const version = r.results[1]?.version ?? 0;
          this.states.set(u.info.key, { ...u.next, partitionEpoch: version });
          written.push(u.info.key);
        } else if (r.results[0]?.error !== "NONE") {
          this.host.resign(c); // another controller bumped the epoch: ControllerMovedException
          return;
        } else stale.push(u.info.key);
        if (--left === 0) then(c, written, stale);
      });
    }
  }

  private refreshStates(ctx: Ctx, keys: readonly string[], then: (ctx: Ctx) => void): void {
    const infos = keys.map((k) => this.partitions.get(k) as PartitionInfo);
    this.zk(
      ctx,
      infos.map((pi): ZkOp => ({ op: "get", path: partitionStatePath(pi.topic, pi.partition), watch: false })),
      (c, r) => {
        infos.forEach((pi, i) => {
          const res = r.results[i];
          if (res?.error !== "NONE") return;
          const d = res.data as PartitionStateData;
          this.states.set(pi.key, { leader: d.leader, leaderEpoch: d.leader_epoch, isr: d.isr, partitionEpoch: res.version as number });
        });
        then(c);
      },
    );
  }

  // ---------- ISR change notifications (before 2.7) ----------

  /** KafkaController.IsrChangeNotification: read the notifications (re-arming the watch), refresh the states
   *  of the partitions they name, tell every live broker (update-metadata), delete them. */
  private isrChangeNotification(ctx: Ctx, done: () => void): void {
    this.zk(ctx, [{ op: "children", path: ISR_CHANGE_NOTIFICATION_PATH, watch: true }], (c, r) => {
      const names = r.results[0]?.children ?? [];
      if (names.length === 0) return done();
      this.zk(
        c,
        names.map((n): ZkOp => ({ op: "get", path: `${ISR_CHANGE_NOTIFICATION_PATH}/${n}`, watch: false })),
        (c2, r2) => {
          const keys = new Set<string>();
          for (const res of r2.results) {
            for (const tp of (res.data as IsrChangeNotificationData | undefined)?.partitions ?? []) {
              const key = tpKey(tp.topic, tp.partition);
              if (this.partitions.has(key)) keys.add(key);
            }
          }
          const then = (c3: Ctx): void => {
            this.sendUpdateMetadata(c3, [...this.live.keys()]);
            this.deleteIsrChangeNotifications(c3, names);
            done();
          };
          if (keys.size === 0) then(c2);
          else this.refreshStates(c2, [...keys], then);
        },
      );
    });
  }

  private deleteIsrChangeNotifications(ctx: Ctx, names: readonly string[]): void {
    for (const n of names) this.zk(ctx, [{ op: "delete", path: `${ISR_CHANGE_NOTIFICATION_PATH}/${n}`, version: -1 }], () => undefined);
  }

  // ---------- AlterPartition (KIP-497) ----------

  /** KafkaController.processAlterPartition: fence stale requests, else CAS-write the new ISR. */
  private alterPartition(ctx: Ctx, from: NodeId, req: AlterPartitionRequest, done: () => void): void {
    const key = tpKey(req.topic, req.partition);
    const cur = this.states.get(key);
    const answer = (c: Ctx, error: string, st: PartitionState | undefined): void => {
      this.unanswered.delete(req);
      c.send(from, {
        type: "alter-partition-response",
        corr: req.corr,
        topic: req.topic,
        partition: req.partition,
        error,
        leaderEpoch: st?.leaderEpoch ?? -1,
        isr: st?.isr ?? [],
        partitionEpoch: st?.partitionEpoch ?? -1,
      });
      if (error !== "NONE" && error !== "NOT_CONTROLLER") c.emit({ type: "isr-change-rejected", tp: key, broker: req.brokerId, reason: error });
    };
    const reject = (error: string): void => {
      answer(ctx, error, cur);
      done();
    };
    const check = checkAlterPartition(req, this.partitions.get(key), cur, this.live);
    if (check.kind === "reject") return reject(check.error);
    if (check.kind === "unchanged") {
      answer(ctx, "NONE", cur);
      done();
      return;
    }
    const prev = check.cur;
    const next = { leader: prev.leader, leaderEpoch: prev.leaderEpoch, isr: [...req.newIsr] };
    // The new ISR takes effect when ZooKeeper applies it: announced then, answered or not (a controller that resigns
    // before answering leaves it in ZooKeeper, where the next controller's elections read it).
    const added = next.isr.filter((r) => !prev.isr.includes(r));
    const removed = prev.isr.filter((r) => !next.isr.includes(r));
    const announce: TraceEvent = added.length > 0 ? { type: "isr-expand", tp: key, leader: prev.leader, isr: next.isr, added } : { type: "isr-shrink", tp: key, leader: prev.leader, isr: next.isr, removed, by: "leader" };
    this.zk(
      ctx,
      [
        { op: "check", path: CONTROLLER_EPOCH_PATH, version: this.epochZkVersion },
        { op: "set", path: partitionStatePath(req.topic, req.partition), data: this.stateData(next), version: req.partitionEpoch, announce },
      ],
      (c, r) => {
        if (r.error === "NONE") {
          const st: PartitionState = { ...next, partitionEpoch: r.results[1]?.version ?? prev.partitionEpoch + 1 };
          this.states.set(key, st);
          answer(c, "NONE", st);
          this.sendUpdateMetadata(c, [...this.live.keys()]);
          done();
        } else if (r.results[0]?.error !== "NONE") {
          answer(c, "NOT_CONTROLLER", cur);
          this.host.resign(c);
        } else {
          this.refreshStates(c, [key], (c2) => {
            answer(c2, "INVALID_UPDATE_VERSION", this.states.get(key));
            done();
          });
        }
      },
    );
  }

  // ---------- requests to brokers ----------

  /** leader-and-isr with the current state of `keys` (those with a state) to one live broker. */
  sendLeaderAndIsr(ctx: Ctx, broker: number, keys: readonly string[]): void {
    this.channel.sendLeaderAndIsr(ctx, broker, keys);
  }

  /** The full metadata snapshot (every partition) to each of `brokers`. */
  sendUpdateMetadata(ctx: Ctx, brokers: readonly number[]): void {
    this.channel.sendUpdateMetadata(ctx, brokers);
  }

  /** The leader-and-isr entries of `keys` that `broker` replicates and that have a state. */
  private leaderAndIsr(broker: number, keys: readonly string[]): LeaderAndIsrPartition[] {
    return leaderAndIsrOf(this.partitions, this.states, broker, keys);
  }

  /** Metadata of every partition as the controller knows it. */
  metadata(): PartitionMetadata[] {
    return metadataOf(this.partitions, this.states);
  }
}

/** The state read back is the one a write intended: same leader, leader epoch and ISR. */
function sameState(read: PartitionState | undefined, intended: Omit<PartitionState, "partitionEpoch">): boolean {
  return read !== undefined && read.leader === intended.leader && read.leaderEpoch === intended.leaderEpoch && read.isr.length === intended.isr.length && read.isr.every((r, i) => r === intended.isr[i]);
}
