// A broker's control plane (ZooKeeper era): its coordinator session and registration, the controller election
// every broker takes part in, the controller itself when this broker wins, and the broker's side of
// AlterPartition. The broker actor (sim/broker/broker.ts) owns one ControlPlane and forwards to it:
//
//   onStart(ctx)                      → controlPlane.onStart(ctx)
//   onMessage(ctx, from, msg)         → if (controlPlane.onMessage(ctx, from, msg)) return;  (first!)
//   onTimer(ctx, tag)                 → if (controlPlane.onTimer(ctx, tag)) return;
//   onShutdown(ctx)                   → controlPlane.onShutdown(ctx)   (closes the coordinator session)
//   onDisconnect(ctx, peer, kind)     → controlPlane.onDisconnect(ctx, peer, kind)  (re-sends AlterPartition,
//                                       and as controller what its channel to `peer` lost)
//   on a valid update-metadata / leader-and-isr → controlPlane.noteController(ctx, msg.controllerId, msg.controllerEpoch)
//
// It handles every zk.* message, alter-partition (as controller), alter-partition-response (as requester),
// leader-and-isr-response and update-metadata-response (as controller). It holds leader-and-isr,
// update-metadata and stop-replica before this process first registers, and hands them back after it
// (takeHeld); otherwise those are the data plane's; brokers must answer them with
// leader-and-isr-response / update-metadata-response carrying the same corr (else the controller re-sends
// them every CONTROLLER_SOCKET_TIMEOUT_MS), and reject an older controller epoch (STALE_CONTROLLER_EPOCH)
// and, per partition, an older leader epoch.
//
// Lifecycle, as Kafka (KafkaServer.startup, KafkaController's session-expiration handler):
// 1. open a session; register the ephemeral /brokers/ids/<id>: its creation zxid is the broker epoch →
//    hooks.onRegistered(ctx, epoch) and a broker-registered trace event. If an older session of this broker
//    still holds the node (a restart within the session timeout), the start-up fails and is tried again after
//    1–2 s (RESTART_REGISTRATION_RETRY_MS, less for short session timeouts) until that session has expired:
//    the controller sees the old
//    registration go (a failure) before the new one comes (a start-up), KIP-380's failed-then-started.
// 2. take part in the election: watch /controller; when absent, create it (ephemeral) and bump
//    /controller_epoch in one multi-op (fact 26). The winner runs a Controller (controller.ts).
// 3. session expired (zk.expired: heartbeats did not get through for zookeeper.session.timeout.ms, or the
//    expire-session fault): hooks.onSessionLost(ctx), resign if controller, brokerEpoch = -1; the process keeps
//    running (a zombie) until a new session is open and it registers again with a new, larger epoch.
import type { NodeContext } from "../../core/node.ts";
import type { NodeId } from "../../core/ids.ts";
import { COORDINATOR_NODE, brokerNode, brokerOfNode, tpKey } from "../../core/ids.ts";
import type { Message } from "../../kafka/protocol.ts";
import type { ControllerMessage } from "../../kafka/protocol-cluster.ts";
import type { TraceEvent } from "../../events.ts";
import type { ClusterSpec } from "../spec.ts";
import { CONTROLLER_EPOCH_PATH, CONTROLLER_PATH, BROKER_IDS_PATH, ISR_CHANGE_NOTIFICATION_PATH, brokerIdPath } from "../../coordinator/paths.ts";
import type { ControllerData } from "../../coordinator/paths.ts";
import { ZkClient } from "./zk-client.ts";
import { Controller, CONTROLLER_SOCKET_TIMEOUT_MS } from "./controller.ts";
import { ControlTimer } from "./timers.ts";
import { ZkIsrWriter } from "./zk-isr-writer.ts";
import { versionAtLeast } from "../replica/state.ts";
import { CONN_ALTER_PARTITION, CONN_CLIENT, CONN_CONTROLLER } from "../../kafka/channels.ts";

type Ctx = NodeContext<Message, TraceEvent>;
type AlterPartitionResponse = Extract<ControllerMessage, { type: "alter-partition-response" }>;

/** Back-off before an AlterPartition is re-sent after NOT_CONTROLLER / STALE_BROKER_EPOCH (Kafka retries
 *  these; AlterPartitionManager). */
export const ALTER_PARTITION_RETRY_MS = 100;
/** Kafka clients' reconnect.backoff.ms default: the wait before reconnecting to a node that disconnected. */
export const RECONNECT_BACKOFF_MS = 50;
/** A broker restarted within its session timeout cannot register (its previous process's session still owns
 *  /brokers/ids/<id>): its start-up fails and its supervisor starts it again. The next attempt comes after
 *  RESTART_REGISTRATION_RETRY_MS — or half the session timeout if that is shorter, so scenarios that scale
 *  Kafka's timeouts down scale this too — plus a random share of it (the restart and the start-up up to
 *  registration, which in a real broker takes seconds and varies). */
export const RESTART_REGISTRATION_RETRY_MS = 1000;

/** Implemented by the broker actor. */
export interface ControlPlaneHooks {
  /** Registered with broker epoch `brokerEpoch` (first start, restart, or re-registration after expiry). */
  onRegistered(ctx: Ctx, brokerEpoch: number): void;
  /** The coordinator session expired; this process runs on unregistered (a zombie) until it re-registers. */
  onSessionLost(ctx: Ctx): void;
}

/** What a partition leader asks for (Kafka's AlterPartition item). */
export interface IsrChangeRequest {
  readonly topic: string;
  readonly partition: number;
  /** The leader's current leader epoch. */
  readonly leaderEpoch: number;
  /** The proposed ISR (must include the leader). */
  readonly newIsr: readonly number[];
  /** The partition epoch (state znode version) the leader's ISR is based on. */
  readonly partitionEpoch: number;
}

/** The final answer. error NONE: the ISR is now `isr` at `partitionEpoch` (leader epoch unchanged). Else, from
 *  the controller (2.7+), FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION, INELIGIBLE_REPLICA,
 *  UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER or INVALID_REQUEST (the ISR did not change;
 *  leaderEpoch/isr/partitionEpoch then carry the controller's current view, or -1/[]/-1); before 2.7, the
 *  ZooKeeper error of the leader's own write (BAD_VERSION, NO_NODE, SESSION_EXPIRED), `retriable`. */
export interface IsrChangeResult {
  readonly error: string;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
  readonly partitionEpoch: number;
  /** Not applied, nothing fenced: the leader tries again at its next ISR check (Partition.updateIsr before 2.7). */
  readonly retriable?: boolean;
}

interface PendingIsr {
  readonly req: IsrChangeRequest;
  readonly done: (res: IsrChangeResult) => void;
  corr: number;
  timer: number;
}

const RETRIABLE_ALTER = new Set(["NOT_CONTROLLER", "STALE_BROKER_EPOCH"]);

export class ControlPlane {
  readonly zk: ZkClient;
  private epoch = -1;
  private registering = false;
  private registeredOnce = false;
  /** Controller requests received before the first registration (see onMessage). */
  private held: { readonly from: NodeId; readonly msg: Message }[] = [];
  private controller: Controller | null = null;
  private controllerIdSeen: number | null = null;
  private controllerEpochSeen = -1;
  private corr = 0;
  private readonly pendingIsr = new Map<string, PendingIsr>();
  private readonly isrByCorr = new Map<number, string>();
  /** Before 2.7 the leader writes ISR changes to ZooKeeper itself (no AlterPartition). */
  private readonly isrWriter: ZkIsrWriter | null;
  /** From 2.7 the controller's ZooKeeper write of an AlterPartition announces the ISR change (controller.ts). */
  readonly tracesIsrChanges: boolean;
  private readonly registerTag = new ControlTimer("register.retry", this);

  constructor(
    readonly brokerId: number,
    readonly spec: ClusterSpec,
    private readonly hooks: ControlPlaneHooks,
  ) {
    this.zk = new ZkClient(spec.broker["zookeeper.session.timeout.ms"], {
      onSession: (ctx) => this.register(ctx),
      onExpired: (ctx) => this.sessionLost(ctx),
      onWatch: (ctx, path) => this.watch(ctx, path),
    });
    this.isrWriter = versionAtLeast(spec.protocol, "2.7") ? null : new ZkIsrWriter({ brokerId, zk: this.zk, controllerEpoch: () => this.controllerEpochSeen });
    this.tracesIsrChanges = this.isrWriter === null;
  }

  /** The broker epoch (czxid of this broker's registration), -1 while unregistered. */
  get brokerEpoch(): number {
    return this.epoch;
  }
  get isController(): boolean {
    return this.controller !== null && this.controller.active;
  }
  /** The controller this broker believes in (from /controller or update-metadata), or null. */
  get controllerId(): number | null {
    return this.controllerIdSeen;
  }
  /** The epoch of that controller (-1 unknown). */
  get controllerEpoch(): number {
    return this.controllerEpochSeen;
  }
  /** The active controller object when this broker is the controller (tests, diagnostics). */
  get activeController(): Controller | null {
    return this.isController ? this.controller : null;
  }

  onStart(ctx: Ctx): void {
    this.zk.start(ctx);
    this.isrWriter?.start(ctx);
  }

  /** A clean shutdown (call from the broker's onShutdown): resign and close the coordinator session, so the
   *  registration (and /controller) vanish now and the controller moves leadership at once, as Kafka's
   *  KafkaServer.shutdown does with zkClient.close() (controlled shutdown's leadership hand-off before
   *  exiting is not modelled). */
  onShutdown(ctx: Ctx): void {
    this.resign(ctx);
    this.zk.close(ctx);
    this.epoch = -1;
  }

  /** The connection to `peer` was closed or reset: AlterPartition requests in flight to it are lost, and are
   *  re-sent once the client may reconnect, after reconnect.backoff.ms (AlterPartitionManager retries a request
   *  that came back disconnected; NetworkClient backs off before reconnecting), instead of after
   *  CONTROLLER_SOCKET_TIMEOUT_MS — and not at once, which loops while a dead controller refuses connections. */
  onDisconnect(ctx: Ctx, peer: NodeId, kind: number = CONN_CLIENT): void {
    const b = brokerOfNode(peer);
    if (b !== undefined && this.isController && (kind === CONN_CONTROLLER || kind === CONN_CLIENT)) (this.controller as Controller).onDisconnect(ctx, b);
    if (kind !== CONN_ALTER_PARTITION && kind !== CONN_CLIENT) return;
    if (this.controllerIdSeen === null || peer !== brokerNode(this.controllerIdSeen)) return;
    this.isrRequestsLost(ctx);
  }

  /** The AlterPartition requests in flight to the controller were lost with their connection: send them again
   *  after reconnect.backoff.ms. */
  private isrRequestsLost(ctx: Ctx): void {
    for (const [key, p] of this.pendingIsr) {
      if (p.corr < 0) continue;
      this.isrByCorr.delete(p.corr);
      p.corr = -1;
      if (p.timer >= 0) ctx.cancelTimer(p.timer);
      p.timer = ctx.setTimer(RECONNECT_BACKOFF_MS * 1000, new ControlTimer("isr.retry", this, 0, key));
    }
  }

  /** Route a message; true if it was the control plane's. */
  onMessage(ctx: Ctx, from: NodeId, msg: Message): boolean {
    switch (msg.type) {
      case "zk.connect":
      case "zk.connected":
      case "zk.ping":
      case "zk.pong":
      case "zk.request":
      case "zk.response":
      case "zk.watch":
      case "zk.expired":
      case "zk.close":
        if (from === COORDINATOR_NODE) this.zk.onMessage(ctx, msg);
        return true;
      case "alter-partition":
        if (this.isController) (this.controller as Controller).onAlterPartition(ctx, from, msg);
        else {
          ctx.send(from, { type: "alter-partition-response", corr: msg.corr, topic: msg.topic, partition: msg.partition, error: "NOT_CONTROLLER", leaderEpoch: -1, isr: [], partitionEpoch: -1 });
        }
        return true;
      case "alter-partition-response":
        this.onAlterResponse(ctx, msg);
        return true;
      case "leader-and-isr-response":
      case "update-metadata-response":
        if (this.isController) (this.controller as Controller).onBrokerResponse(ctx, msg.corr);
        return true;
      case "leader-and-isr":
      case "update-metadata":
      case "stop-replica":
        // Kafka processes requests only once the broker has registered (KafkaServer.startup starts the request
        // processors last): until this process's first registration a controller request waits in its socket,
        // and is handled after it (takeHeld) — the controller may have seen the registration before the broker
        // heard its answer. One meant for the previous incarnation is then rejected by its broker epoch (KIP-380).
        if (this.registeredOnce) return false;
        this.held.push({ from, msg });
        return true;
      default:
        return false;
    }
  }

  takeHeld(): readonly { readonly from: NodeId; readonly msg: Message }[] {
    const h = this.held;
    this.held = [];
    return h;
  }

  /** Route a timer; true if the tag was the control plane's. */
  onTimer(ctx: Ctx, tag: unknown): boolean {
    if (!(tag instanceof ControlTimer)) return false;
    if (this.zk.onTimer(ctx, tag)) return true;
    if (this.isrWriter?.onTimer(ctx, tag) === true) return true;
    if (tag === this.registerTag) {
      if (this.epoch < 0 && this.zk.sessionId !== null) this.register(ctx);
      return true;
    }
    if (tag.owner === this) {
      const p = this.pendingIsr.get(tag.key);
      if (tag.kind === "isr.retry" && p !== undefined && p.corr === -1) {
        p.timer = -1;
        this.sendIsr(ctx, tag.key, p);
      } else if (tag.kind === "isr.timeout" && p !== undefined && p.corr === tag.n) {
        // No answer within the request timeout: NetworkClient closes the connection (losing what else was in
        // flight on it) and the channel manager sends again on a new one.
        p.timer = -1;
        if (this.controllerIdSeen !== null && this.controllerIdSeen !== this.brokerId) ctx.closeConnection(brokerNode(this.controllerIdSeen), { kind: CONN_ALTER_PARTITION });
        this.isrRequestsLost(ctx);
      }
      return true;
    }
    if (this.controller !== null && this.controller.onTimer(ctx, tag)) return true;
    return true; // a ControlTimer of a resigned controller or an old client: ignore
  }

  /** The broker saw a valid update-metadata or leader-and-isr: its controller id is a hint about who the
   *  controller is (the broker's metadata cache), used for AlterPartition. */
  noteController(ctx: Ctx, controllerId: number, controllerEpoch: number): void {
    if (controllerEpoch < this.controllerEpochSeen) return;
    const changed = controllerId !== this.controllerIdSeen;
    this.controllerIdSeen = controllerId;
    this.controllerEpochSeen = controllerEpoch;
    if (changed) this.resendAllIsr(ctx);
  }

  // ---------- AlterPartition, the leader's side (AlterPartitionManager) ----------

  /** Ask the controller to change a partition's ISR. At most one request per partition is pending: a new one
   *  for the same partition replaces the old, whose `done` is then never called (cancelIsrChange drops it).
   *  Sent to the controller when one is known and this broker is registered; re-sent after NOT_CONTROLLER,
   *  STALE_BROKER_EPOCH (with the then-current broker epoch), no answer within CONTROLLER_SOCKET_TIMEOUT_MS, or
   *  a controller change. `done` runs once with the final answer. A zombie (expired session) keeps getting
   *  STALE_BROKER_EPOCH, so its ISR change never completes until it re-registers: fenced (fact 9).
   *  Before 2.7 there is no AlterPartition: the leader writes the state znode itself (ZkIsrWriter). */
  requestIsrChange(ctx: Ctx, req: IsrChangeRequest, done: (res: IsrChangeResult) => void): void {
    const key = tpKey(req.topic, req.partition);
    this.cancelIsrChange(ctx, req.topic, req.partition);
    if (this.isrWriter !== null) return this.isrWriter.write(ctx, req, done);
    const p: PendingIsr = { req, done, corr: -1, timer: -1 };
    this.pendingIsr.set(key, p);
    this.sendIsr(ctx, key, p);
  }

  /** Forget a pending ISR change (e.g. the broker stopped leading the partition). */
  cancelIsrChange(ctx: Ctx, topic: string, partition: number): void {
    this.isrWriter?.cancel(topic, partition);
    const key = tpKey(topic, partition);
    const p = this.pendingIsr.get(key);
    if (p === undefined) return;
    if (p.timer >= 0) ctx.cancelTimer(p.timer);
    if (p.corr >= 0) this.isrByCorr.delete(p.corr);
    this.pendingIsr.delete(key);
  }

  /** True while an ISR change of this partition waits for the controller. */
  hasPendingIsrChange(topic: string, partition: number): boolean {
    return this.pendingIsr.has(tpKey(topic, partition)) || (this.isrWriter?.has(topic, partition) ?? false);
  }

  private sendIsr(ctx: Ctx, key: string, p: PendingIsr): void {
    if (p.corr >= 0) this.isrByCorr.delete(p.corr);
    p.corr = -1;
    if (p.timer >= 0) ctx.cancelTimer(p.timer);
    p.timer = -1;
    const controller = this.controllerIdSeen;
    if (controller === null || this.epoch < 0) return; // sent when both are known (resendAllIsr)
    p.corr = ++this.corr;
    this.isrByCorr.set(p.corr, key);
    ctx.send(brokerNode(controller), {
      type: "alter-partition",
      corr: p.corr,
      brokerId: this.brokerId,
      brokerEpoch: this.epoch,
      topic: p.req.topic,
      partition: p.req.partition,
      leaderEpoch: p.req.leaderEpoch,
      newIsr: p.req.newIsr,
      partitionEpoch: p.req.partitionEpoch,
    });
    p.timer = ctx.setTimer(CONTROLLER_SOCKET_TIMEOUT_MS * 1000, new ControlTimer("isr.timeout", this, p.corr, key));
  }

  private resendAllIsr(ctx: Ctx): void {
    for (const [key, p] of this.pendingIsr) this.sendIsr(ctx, key, p);
  }

  private onAlterResponse(ctx: Ctx, msg: AlterPartitionResponse): void {
    const key = this.isrByCorr.get(msg.corr);
    if (key === undefined) return; // superseded or cancelled
    const p = this.pendingIsr.get(key);
    this.isrByCorr.delete(msg.corr);
    if (p === undefined || p.corr !== msg.corr) return;
    if (p.timer >= 0) ctx.cancelTimer(p.timer);
    p.timer = -1;
    if (RETRIABLE_ALTER.has(msg.error)) {
      p.corr = -1;
      p.timer = ctx.setTimer(ALTER_PARTITION_RETRY_MS * 1000, new ControlTimer("isr.retry", this, 0, key));
      return;
    }
    this.pendingIsr.delete(key);
    p.done({ error: msg.error, leaderEpoch: msg.leaderEpoch, isr: msg.isr, partitionEpoch: msg.partitionEpoch });
  }

  // ---------- session, registration, election ----------

  private register(ctx: Ctx): void {
    if (this.registering) return;
    this.registering = true;
    const path = brokerIdPath(this.brokerId);
    this.zk.request(ctx, [{ op: "create", path, data: { brokerId: this.brokerId }, ephemeral: true }], (c, r) => {
      this.registering = false;
      if (r.error === "SESSION_EXPIRED") return; // a new session will register again
      if (r.error === "NONE") {
        this.epoch = r.results[0]?.czxid ?? r.zxid;
        this.registeredOnce = true;
        c.emit({ type: "broker-registered", broker: this.brokerId, brokerEpoch: this.epoch });
        this.hooks.onRegistered(c, this.epoch);
        this.elect(c);
        this.resendAllIsr(c);
        return;
      }
      // NODE_EXISTS: the session of this broker's previous process still holds it (a restart within the session
      // timeout). KafkaZkClient.registerBroker throws (the node's owner is not this process's session),
      // KafkaServer.startup fails and the process exits; its supervisor starts it again, and it tries again.
      const retryMs = Math.max(1, Math.min(RESTART_REGISTRATION_RETRY_MS, Math.floor(this.spec.broker["zookeeper.session.timeout.ms"] / 2)));
      c.setTimer((retryMs + c.rng.int(0, retryMs - 1)) * 1000, this.registerTag);
    });
  }

  private sessionLost(ctx: Ctx): void {
    this.epoch = -1;
    this.registering = false;
    this.resign(ctx);
    this.hooks.onSessionLost(ctx);
  }

  private resign(ctx?: Ctx): void {
    if (this.controller !== null) {
      this.controller.deactivate(ctx);
      this.controller = null;
    }
  }

  private watch(ctx: Ctx, path: string): void {
    if (path === CONTROLLER_PATH) {
      this.elect(ctx);
    } else if (path === BROKER_IDS_PATH) {
      if (this.isController) (this.controller as Controller).onBrokerChange(ctx);
    } else if (path === ISR_CHANGE_NOTIFICATION_PATH) {
      if (this.isController) (this.controller as Controller).onIsrChangeNotification(ctx);
    }
  }

  /** KafkaController.elect: read /controller (watching it); if nobody holds it, try to become controller with
   *  create(/controller) + set(/controller_epoch, epoch + 1, expected version) in one multi-op. */
  private elect(ctx: Ctx): void {
    if (this.epoch < 0) return;
    this.zk.request(
      ctx,
      [
        { op: "get", path: CONTROLLER_PATH, watch: true },
        { op: "get", path: CONTROLLER_EPOCH_PATH, watch: false },
      ],
      (c, r) => {
        if (r.error !== "NONE" || this.epoch < 0) return;
        const cur = r.results[0];
        if (cur?.error === "NONE") {
          const d = cur.data as ControllerData;
          if (d.brokerid !== this.brokerId || !this.isController) this.resign(c);
          this.noteControllerNode(c, d);
          return;
        }
        this.resign(c);
        const epochRes = r.results[1];
        const oldEpoch = (epochRes?.data as number | undefined) ?? 0;
        const newEpoch = oldEpoch + 1;
        const data: ControllerData = { brokerid: this.brokerId, epoch: newEpoch };
        this.zk.request(
          c,
          [
            { op: "create", path: CONTROLLER_PATH, data, ephemeral: true },
            { op: "set", path: CONTROLLER_EPOCH_PATH, data: newEpoch, version: epochRes?.version ?? 0 },
          ],
          (c2, r2) => {
            if (r2.error === "SESSION_EXPIRED" || this.epoch < 0) return;
            if (r2.error !== "NONE") {
              this.elect(c2); // lost the race: read the winner (and re-arm the watch)
              return;
            }
            const ctl = new Controller(
              {
                brokerId: this.brokerId,
                spec: this.spec,
                zk: this.zk,
                nextCorr: () => ++this.corr,
                resign: (rc) => {
                  if (this.controller === ctl) this.resign(rc);
                },
              },
              newEpoch,
              r2.results[1]?.version ?? 0,
            );
            this.controller = ctl;
            c2.emit({ type: "controller-elected", broker: this.brokerId, controllerEpoch: newEpoch });
            this.noteControllerNode(c2, data);
            ctl.start(c2);
          },
        );
      },
    );
  }

  private noteControllerNode(ctx: Ctx, d: ControllerData): void {
    const changed = d.brokerid !== this.controllerIdSeen;
    this.controllerIdSeen = d.brokerid;
    if (d.epoch > this.controllerEpochSeen) this.controllerEpochSeen = d.epoch;
    if (changed) this.resendAllIsr(ctx);
  }
}
