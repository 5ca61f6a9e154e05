// ISR changes before Kafka 2.7 (before KIP-497's AlterIsr): the partition leader writes the new ISR to the
// partition's state znode itself, a conditional update on the version it last learnt (Partition.updateIsr →
// ReplicationUtils.updateLeaderAndIsr → KafkaZkClient.conditionalUpdatePath), and tells the controller later
// through /isr_change_notification (ReplicaManager.recordIsrChange, maybePropagateIsrChanges). A write that
// finds another version fails and changes nothing — "Cached zkVersion not equal to that in zookeeper, skip
// updating ISR" — and the leader tries again at its next ISR check: what fences a zombie leader is the version.
// It needs the ZooKeeper session only: a leader cut off from the controller (not from ZooKeeper) still shrinks.
import type { NodeContext } from "../../core/node.ts";
import { tpKey } from "../../core/ids.ts";
import type { Message } from "../../kafka/protocol.ts";
import type { TraceEvent } from "../../events.ts";
import { ISR_CHANGE_PREFIX, partitionStatePath } from "../../coordinator/paths.ts";
import type { IsrChangeNotificationData, PartitionStateData } from "../../coordinator/paths.ts";
import type { ZkClient } from "./zk-client.ts";
import type { IsrChangeRequest, IsrChangeResult } from "./control-plane.ts";
import { ControlTimer } from "./timers.ts";

type Ctx = NodeContext<Message, TraceEvent>;

/** ReplicaManager: maybePropagateIsrChanges runs every 2.5 s and propagates once no ISR changed for 5 s
 *  (IsrChangePropagationBlackOut) or the last propagation is 60 s old (IsrChangePropagationInterval). */
export const ISR_CHANGE_PROPAGATION_CHECK_MS = 2500;
export const ISR_CHANGE_PROPAGATION_BLACKOUT_MS = 5000;
export const ISR_CHANGE_PROPAGATION_INTERVAL_MS = 60_000;

interface Write {
  readonly req: IsrChangeRequest;
  readonly done: (res: IsrChangeResult) => void;
  /** An attempt was on the wire when its session was lost: it may have been applied (sticky). */
  maybeApplied: boolean;
}

/** What the writer needs of the broker's control plane. */
export interface ZkIsrWriterHost {
  readonly brokerId: number;
  readonly zk: ZkClient;
  /** The controller epoch this broker last saw (written into the state znode with the ISR). */
  controllerEpoch(): number;
}

export class ZkIsrWriter {
  private readonly writes = new Map<string, Write>();
  /** Partitions whose ISR changed since the last propagation, by tpKey. */
  private readonly changed = new Map<string, { readonly topic: string; readonly partition: number }>();
  private lastChangeUs = 0;
  private lastPropagationUs = 0;
  private readonly tag = new ControlTimer("isr.propagate", this);

  constructor(private readonly host: ZkIsrWriterHost) {}

  start(ctx: Ctx): void {
    this.lastPropagationUs = ctx.nowUs;
    ctx.setTimer(ISR_CHANGE_PROPAGATION_CHECK_MS * 1000, this.tag);
  }

  /** Write `req.newIsr` if the state znode is still at `req.partitionEpoch`. At most one write per partition is
   *  pending: a new one supersedes the old, whose `done` is then never called. `done` gets NONE with the new
   *  version, or the ZooKeeper error (BAD_VERSION, NO_NODE, SESSION_EXPIRED of a write never sent) with
   *  `retriable`: nothing changed, nothing is fenced. */
  write(ctx: Ctx, req: IsrChangeRequest, done: (res: IsrChangeResult) => void): void {
    const key = tpKey(req.topic, req.partition);
    const w: Write = { req, done, maybeApplied: false };
    this.writes.set(key, w);
    const path = partitionStatePath(req.topic, req.partition);
    const data: PartitionStateData = { leader: this.host.brokerId, leader_epoch: req.leaderEpoch, isr: req.newIsr, controller_epoch: this.host.controllerEpoch() };
    this.send(ctx, key, w, path, data);
  }

  private send(ctx: Ctx, key: string, w: Write, path: string, data: PartitionStateData): void {
    const req = w.req;
    this.host.zk.request(ctx, [{ op: "set", path, data, version: req.partitionEpoch }], (c, r) => {
      if (this.writes.get(key) !== w) return;
      // A write on the wire when the session was lost may have been applied: Kafka re-submits it in the new
      // session (ZooKeeper's CONNECTIONLOSS, KafkaZkClient.retryRequestsUntilConnected), and the BAD_VERSION
      // check below then finds it there. Failing it instead would leave the leader's ISR behind ZooKeeper's.
      // Kafka keeps retrying it until it is answered in a live session: a retry that never got on the wire does
      // not undo an earlier attempt that did.
      if (r.error === "SESSION_EXPIRED" && (r.maybeApplied === true || w.maybeApplied)) {
        w.maybeApplied = true;
        return this.send(c, key, w, path, data);
      }
      const res = r.results[0];
      if (r.error === "NONE" && res?.version !== undefined) return this.succeeded(c, key, w, res.version);
      if (res?.error !== "BAD_VERSION") return this.failed(key, w, r.error);
      this.check(c, key, w, path, data);
    });
  }

  /** ReplicationUtils.checkLeaderAndIsrZkData: the znode may already hold exactly this state (a retried write whose
   *  first attempt went through); then it is a success at the current version. */
  private check(ctx: Ctx, key: string, w: Write, path: string, data: PartitionStateData): void {
    this.host.zk.request(ctx, [{ op: "get", path, watch: false }], (c, r) => {
      if (this.writes.get(key) !== w) return;
      if (r.error === "SESSION_EXPIRED" && r.maybeApplied === true) return this.check(c, key, w, path, data);
      const got = r.results[0];
      const cur = got?.data as PartitionStateData | undefined;
      if (r.error === "NONE" && got?.version !== undefined && cur !== undefined && sameState(cur, data)) this.succeeded(c, key, w, got.version);
      else this.failed(key, w, "BAD_VERSION");
    });
  }

  /** Forget a pending write (the broker stopped leading the partition). */
  cancel(topic: string, partition: number): void {
    this.writes.delete(tpKey(topic, partition));
  }

  has(topic: string, partition: number): boolean {
    return this.writes.has(tpKey(topic, partition));
  }

  /** The propagation timer; false if the tag is not this writer's. */
  onTimer(ctx: Ctx, tag: unknown): boolean {
    if (tag !== this.tag) return false;
    const now = ctx.nowUs;
    if (this.changed.size > 0 && (this.lastChangeUs + ISR_CHANGE_PROPAGATION_BLACKOUT_MS * 1000 < now || this.lastPropagationUs + ISR_CHANGE_PROPAGATION_INTERVAL_MS * 1000 < now)) {
      const data: IsrChangeNotificationData = { partitions: [...this.changed.values()] };
      this.changed.clear();
      this.lastPropagationUs = now;
      // KafkaZkClient.propagateIsrChanges: a persistent sequential znode the controller watches for.
      this.host.zk.request(ctx, [{ op: "create", path: ISR_CHANGE_PREFIX, data, ephemeral: false, sequential: true }], () => undefined);
    }
    ctx.setTimer(ISR_CHANGE_PROPAGATION_CHECK_MS * 1000, this.tag);
    return true;
  }

  private succeeded(ctx: Ctx, key: string, w: Write, version: number): void {
    this.writes.delete(key);
    // ReplicaManager.recordIsrChange
    this.changed.set(key, { topic: w.req.topic, partition: w.req.partition });
    this.lastChangeUs = ctx.nowUs;
    w.done({ error: "NONE", leaderEpoch: w.req.leaderEpoch, isr: w.req.newIsr, partitionEpoch: version });
  }

  private failed(key: string, w: Write, error: string): void {
    this.writes.delete(key);
    w.done({ error, leaderEpoch: -1, isr: [], partitionEpoch: -1, retriable: true });
  }
}

function sameState(a: PartitionStateData, b: PartitionStateData): boolean {
  return a.leader === b.leader && a.leader_epoch === b.leader_epoch && a.controller_epoch === b.controller_epoch && a.isr.length === b.isr.length && a.isr.every((r, i) => r === b.isr[i]);
}
