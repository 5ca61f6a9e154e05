// A KRaft broker's AlterPartitionManager (core/.../server/AlterPartitionManager.scala): the partition leader's ISR
// changes go to the active controller as AlterPartition with the broker's epoch, the leader and partition epochs
// it applied, its leader recovery state (KIP-704: a leader marks itself RECOVERED as it becomes leader, so its
// first change ends the recovery) and each new ISR member's broker epoch as its metadata knows it (KIP-903). One
// change per partition is pending; it is never timed out but re-sent until answered: on NOT_CONTROLLER and
// STALE_BROKER_EPOCH after 50 ms, on a broken connection after reconnect.backoff.ms, and when no answer came
// within controller.socket.timeout.ms (the connection is closed first). Closing the connection (NOT_CONTROLLER, a
// timeout) sends again every other change in flight on it (fact 45). The partition's own error (FENCED_LEADER_EPOCH,
// INVALID_UPDATE_VERSION, INELIGIBLE_REPLICA, NEW_LEADER_ELECTED, ...) goes back to the leader (isr.ts).
import type { NodeId } from "../../core/ids.ts";
import { tpKey } from "../../core/ids.ts";
import type { BrokerCtx } from "../group/host.ts";
import type { IsrChangeRequest, IsrChangeResult } from "../control/control-plane.ts";
import { CONTROLLER_SOCKET_TIMEOUT_MS } from "../control/controller-channel.ts";
import { RECONNECT_BACKOFF_MS } from "../control/control-plane.ts";
import { CONN_ALTER_PARTITION } from "../../kafka/channels.ts";
import type { AlterPartitionResponse } from "../../controller/kraft/controller/messages.ts";
import { KRaftTimer } from "./timers.ts";

/** AlterPartitionManager: a top-level error is retried "in the near future" (50 ms). */
const TOP_LEVEL_RETRY_MS = 50;

export interface AlterPartitionHost {
  readonly brokerId: number;
  brokerEpoch(): number;
  activeController(): NodeId | null;
  /** A broker's epoch as this broker's metadata knows it (-1: unknown). */
  brokerEpochOf(broker: number): number;
}

interface Pending {
  readonly req: IsrChangeRequest;
  readonly done: (res: IsrChangeResult) => void;
  corr: number;
  to: NodeId | null;
  timer: number;
}

export class AlterPartitionManager {
  private readonly pending = new Map<string, Pending>();
  private readonly byCorr = new Map<number, string>();
  private corr = 0;

  constructor(private readonly host: AlterPartitionHost) {}

  submit(ctx: BrokerCtx, req: IsrChangeRequest, done: (res: IsrChangeResult) => void): void {
    const key = tpKey(req.topic, req.partition);
    this.cancel(ctx, req.topic, req.partition);
    const p: Pending = { req, done, corr: -1, to: null, timer: -1 };
    this.pending.set(key, p);
    this.send(ctx, key, p);
  }

  cancel(ctx: BrokerCtx, topic: string, partition: number): void {
    const key = tpKey(topic, partition);
    const p = this.pending.get(key);
    if (p === undefined) return;
    if (p.timer >= 0) ctx.cancelTimer(p.timer);
    if (p.corr >= 0) this.byCorr.delete(p.corr);
    this.pending.delete(key);
  }

  /** Everything waiting for a controller goes out now (a controller became known, or the broker registered). */
  resendWaiting(ctx: BrokerCtx): void {
    for (const [key, p] of this.pending) if (p.corr < 0 && p.timer < 0) this.send(ctx, key, p);
  }

  private send(ctx: BrokerCtx, key: string, p: Pending): void {
    if (p.corr >= 0) this.byCorr.delete(p.corr);
    p.corr = -1;
    if (p.timer >= 0) ctx.cancelTimer(p.timer);
    p.timer = -1;
    const to = this.host.activeController();
    const epoch = this.host.brokerEpoch();
    if (to === null || epoch < 0) return; // resendWaiting sends it once both are known
    p.corr = ++this.corr;
    p.to = to;
    this.byCorr.set(p.corr, key);
    const r = p.req;
    ctx.send(to, {
      type: "kraft-alter-partition",
      corr: p.corr,
      brokerId: this.host.brokerId,
      brokerEpoch: epoch,
      topic: r.topic,
      partition: r.partition,
      leaderEpoch: r.leaderEpoch,
      partitionEpoch: r.partitionEpoch,
      newIsrWithEpochs: r.newIsr.map((b) => ({ brokerId: b, brokerEpoch: b === this.host.brokerId ? epoch : this.host.brokerEpochOf(b) })),
      leaderRecoveryState: "RECOVERED",
    });
    p.timer = ctx.setTimer(CONTROLLER_SOCKET_TIMEOUT_MS * 1000, new KRaftTimer("alter.timeout", this, p.corr, key));
  }

  onTimer(ctx: BrokerCtx, tag: KRaftTimer): void {
    const p = this.pending.get(tag.key);
    if (p === undefined) return;
    if (tag.kind === "alter.retry" && p.corr < 0) {
      p.timer = -1;
      this.send(ctx, tag.key, p);
    } else if (tag.kind === "alter.timeout" && p.corr === tag.n) {
      p.timer = -1;
      const to = p.to;
      this.retryLater(ctx, tag.key, p, RECONNECT_BACKOFF_MS);
      if (to !== null) this.disconnect(ctx, to);
    }
  }

  /** The connection to `peer` broke: what was in flight to it goes again after reconnect.backoff.ms. */
  onDisconnect(ctx: BrokerCtx, peer: NodeId): void {
    for (const [key, p] of this.pending) if (p.corr >= 0 && p.to === peer) this.retryLater(ctx, key, p, RECONNECT_BACKOFF_MS);
  }

  /** Close the connection to `peer`: the other changes in flight on it fail as disconnected and go again after
   *  reconnect.backoff.ms (NetworkClient.disconnect completes a connection's in-flight requests as disconnected, and
   *  NodeToControllerRequestThread.handleResponse puts them back first in its queue; Kafka's one batched request
   *  carries every pending partition, this model's one request per partition must not lose the others). */
  private disconnect(ctx: BrokerCtx, peer: NodeId): void {
    ctx.closeConnection(peer, { kind: CONN_ALTER_PARTITION });
    this.onDisconnect(ctx, peer);
  }

  private retryLater(ctx: BrokerCtx, key: string, p: Pending, ms: number): void {
    if (p.corr >= 0) this.byCorr.delete(p.corr);
    p.corr = -1;
    if (p.timer >= 0) ctx.cancelTimer(p.timer);
    p.timer = ctx.setTimer(ms * 1000, new KRaftTimer("alter.retry", this, 0, key));
  }

  onResponse(ctx: BrokerCtx, msg: AlterPartitionResponse): void {
    const key = this.byCorr.get(msg.corr);
    if (key === undefined) return; // superseded or cancelled
    const p = this.pending.get(key);
    this.byCorr.delete(msg.corr);
    if (p === undefined || p.corr !== msg.corr) return;
    if (p.timer >= 0) ctx.cancelTimer(p.timer);
    p.timer = -1;
    if (msg.error === "NOT_CONTROLLER" || msg.error === "STALE_BROKER_EPOCH") {
      this.retryLater(ctx, key, p, TOP_LEVEL_RETRY_MS);
      if (msg.error === "NOT_CONTROLLER" && p.to !== null) this.disconnect(ctx, p.to);
      return;
    }
    this.pending.delete(key);
    p.done({ error: msg.error, leaderEpoch: msg.leaderEpoch, isr: msg.isr, partitionEpoch: msg.partitionEpoch });
  }
}
