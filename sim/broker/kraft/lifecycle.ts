// A KRaft broker's lifecycle (core/.../server/BrokerLifecycleManager.scala): it registers with the active controller
// with a fresh incarnation id and the epoch of its last clean shutdown (KAFKA-15586), heartbeats every
// broker.heartbeat.interval.ms with the metadata offset it has published, and walks STARTING → RECOVERY (the
// controller says it caught up with its registration) → RUNNING (unfenced; it asks only once it has published
// metadata) → PENDING_CONTROLLED_SHUTDOWN (a clean stop: wantShutDown until the controller answers shouldShutDown)
// → SHUTTING_DOWN. One request in flight (communicationInFlight); a failure backs off exponentially from 100 ms up
// to broker.session.timeout.ms (2 % jitter); the heartbeat channel's requests time out after
// min(controller.socket.timeout.ms, broker.session.timeout.ms / 2) (KAFKA-14392), NOT_CONTROLLER and a broken
// connection re-send to the controller then known (NodeToControllerRequestThread).
import type { NodeId } from "../../core/ids.ts";
import type { BrokerCtx } from "../group/host.ts";
import { CONN_CONTROLLER } from "../../kafka/channels.ts";
import { CONTROLLER_SOCKET_TIMEOUT_MS } from "../control/controller-channel.ts";
import { RECONNECT_BACKOFF_MS } from "../control/control-plane.ts";
import type { BrokerLifecycleState } from "../../controller/kraft/events.ts";
import type { BrokerHeartbeatResponse, BrokerRegistrationResponse } from "../../controller/kraft/controller/messages.ts";
import { KRaftTimer } from "./timers.ts";

/** The clean-shutdown file (CleanShutdownFileHandler): the broker epoch of the last clean stop, -1 otherwise. */
export const CLEAN_SHUTDOWN_FILE = "clean-shutdown";
/** KafkaBroker.shutdown(): the wait for the controller's approval of a controlled shutdown. */
export const CONTROLLED_SHUTDOWN_TIMEOUT_MS = 5 * 60_000;

export interface LifecycleHost {
  readonly brokerId: number;
  readonly heartbeatIntervalMs: number;
  readonly sessionTimeoutMs: number;
  /** The active controller as the broker's metadata observer knows it, or null. */
  activeController(): NodeId | null;
  /** The last metadata offset published (BrokerLifecycleManager's highestMetadataOffsetProvider). */
  publishedOffset(): number;
  /** Publications so far: the broker asks to be unfenced only after its first (BrokerServer waits for it). */
  publications(): number;
  onRegistered(ctx: BrokerCtx, brokerEpoch: number): void;
}

interface InFlight {
  readonly corr: number;
  readonly to: NodeId;
  readonly kind: "registration" | "heartbeat";
  readonly createdUs: number;
}

export class BrokerLifecycle {
  state: BrokerLifecycleState = "STARTING";
  /** Unfenced at least once since this process started: BrokerServer then opens its listeners. */
  servedSince = false;
  brokerEpoch = -1;
  registered = false;
  private incarnationId = "";
  private previousBrokerEpoch = -1;
  private inflight: InFlight | null = null;
  private corr = 0;
  private failedAttempts = 0;
  private readyToUnfence = false;
  private nextImmediate = false;
  private gotControlledShutdownResponse = false;
  private commHandle = -1;
  private timeoutHandle = -1;
  private shutdownDone: (() => void) | null = null;
  private readonly commTag = new KRaftTimer("lifecycle.communicate", this);
  private readonly deadlineTag = new KRaftTimer("lifecycle.shutdown-deadline", this);

  constructor(private readonly host: LifecycleHost) {}

  /** Startup (KafkaRaftServer → BrokerLifecycleManager.start): read and reset the clean-shutdown file, register. */
  start(ctx: BrokerCtx): void {
    this.incarnationId = `${ctx.self}@${ctx.nowUs}`;
    this.previousBrokerEpoch = ctx.disk.readBlob<number>(CLEAN_SHUTDOWN_FILE) ?? -1;
    ctx.disk.writeBlob(CLEAN_SHUTDOWN_FILE, -1, { flush: true });
    this.setState(ctx, "STARTING");
    this.schedule(ctx, 0);
  }

  /** A clean stop (CleanShutdownFileHandler.write): the epoch it stopped in, so its next incarnation is clean. */
  onShutdown(ctx: BrokerCtx): void {
    if (this.brokerEpoch >= 0) ctx.disk.writeBlob(CLEAN_SHUTDOWN_FILE, this.brokerEpoch, { flush: true });
  }

  /** The broker has published metadata: from RECOVERY it may now ask to be unfenced (setReadyToUnfence). */
  onPublished(ctx: BrokerCtx): void {
    if (this.state === "RECOVERY" && !this.readyToUnfence) {
      this.readyToUnfence = true;
      this.schedule(ctx, 0);
    }
  }

  /** BrokerServer.shutdown: controlled shutdown while RUNNING (heartbeats with wantShutDown until the controller
   *  says shouldShutDown, at most CONTROLLED_SHUTDOWN_TIMEOUT_MS), else at once. `done` runs once. */
  beginControlledShutdown(ctx: BrokerCtx, done: () => void): void {
    if (this.state !== "RUNNING") {
      if (this.state === "PENDING_CONTROLLED_SHUTDOWN") return; // already waiting
      this.setState(ctx, "SHUTTING_DOWN");
      done();
      return;
    }
    this.shutdownDone = done;
    this.setState(ctx, "PENDING_CONTROLLED_SHUTDOWN");
    ctx.setTimer(CONTROLLED_SHUTDOWN_TIMEOUT_MS * 1000, this.deadlineTag);
    this.schedule(ctx, 0);
  }

  private finishShutdown(ctx: BrokerCtx): void {
    this.setState(ctx, "SHUTTING_DOWN");
    const done = this.shutdownDone;
    this.shutdownDone = null;
    done?.();
  }

  onTimer(ctx: BrokerCtx, tag: KRaftTimer): void {
    switch (tag.kind) {
      case "lifecycle.communicate":
        this.commHandle = -1;
        this.communicate(ctx);
        return;
      case "lifecycle.request-timeout":
        this.timeoutHandle = -1;
        if (this.inflight === null || this.inflight.corr !== tag.n) return;
        // NetworkClient closes the connection of a request that timed out; past its retry timeout the queue item
        // times out too: a failure.
        ctx.closeConnection(this.inflight.to, { kind: CONN_CONTROLLER });
        this.inflight = null;
        this.afterFailure(ctx);
        return;
      case "lifecycle.shutdown-deadline":
        if (this.state === "PENDING_CONTROLLED_SHUTDOWN") this.finishShutdown(ctx);
        return;
      default:
        return;
    }
  }

  /** The connection to `peer` broke: what was in flight on it is sent again (NodeToControllerRequestThread
   *  re-queues it first), after reconnect.backoff.ms. */
  onDisconnect(ctx: BrokerCtx, peer: NodeId): void {
    const f = this.inflight;
    if (f === null || f.to !== peer) return;
    this.inflight = null;
    if (this.timeoutHandle >= 0) ctx.cancelTimer(this.timeoutHandle);
    this.timeoutHandle = -1;
    this.schedule(ctx, RECONNECT_BACKOFF_MS * 1000);
  }

  private requestTimeoutUs(): number {
    return Math.min(CONTROLLER_SOCKET_TIMEOUT_MS, Math.floor(this.host.sessionTimeoutMs / 2)) * 1000;
  }

  private communicate(ctx: BrokerCtx): void {
    if (this.state === "SHUTTING_DOWN") return;
    if (this.inflight !== null) {
      this.nextImmediate = true;
      return;
    }
    const to = this.host.activeController();
    if (to === null) {
      // No controller known yet: look again after a while (NodeToControllerRequestThread polls every 100 ms).
      this.schedule(ctx, 100_000);
      return;
    }
    const corr = ++this.corr;
    const kind = this.registered ? "heartbeat" : "registration";
    this.inflight = { corr, to, kind, createdUs: ctx.nowUs };
    if (kind === "registration") {
      ctx.send(to, { type: "kraft-broker-registration", corr, brokerId: this.host.brokerId, incarnationId: this.incarnationId, previousBrokerEpoch: this.previousBrokerEpoch });
    } else {
      ctx.send(to, {
        type: "kraft-broker-heartbeat",
        corr,
        brokerId: this.host.brokerId,
        brokerEpoch: this.brokerEpoch,
        currentMetadataOffset: this.host.publishedOffset(),
        wantFence: !this.readyToUnfence,
        wantShutDown: this.state === "PENDING_CONTROLLED_SHUTDOWN",
      });
    }
    this.timeoutHandle = ctx.setTimer(this.requestTimeoutUs(), new KRaftTimer("lifecycle.request-timeout", this, corr));
  }

  /** A registration or heartbeat answer; false if it was not ours. */
  onResponse(ctx: BrokerCtx, from: NodeId, msg: BrokerRegistrationResponse | BrokerHeartbeatResponse): boolean {
    const f = this.inflight;
    if (f === null || f.corr !== msg.corr || f.to !== from) return true;
    this.inflight = null;
    if (this.timeoutHandle >= 0) ctx.cancelTimer(this.timeoutHandle);
    this.timeoutHandle = -1;
    if (msg.error === "NOT_CONTROLLER") {
      // Not (or no longer) the active controller: disconnect and send again to the one the metadata names.
      ctx.closeConnection(from, { kind: CONN_CONTROLLER });
      this.schedule(ctx, RECONNECT_BACKOFF_MS * 1000);
      return true;
    }
    if (msg.type === "kraft-broker-registration-response") this.onRegistration(ctx, msg);
    else this.onHeartbeat(ctx, msg);
    return true;
  }

  private onRegistration(ctx: BrokerCtx, msg: BrokerRegistrationResponse): void {
    if (msg.error !== "NONE") return this.afterFailure(ctx);
    this.failedAttempts = 0;
    this.brokerEpoch = msg.brokerEpoch;
    this.registered = true;
    ctx.emit({ type: "broker-registered", broker: this.host.brokerId, brokerEpoch: msg.brokerEpoch });
    this.host.onRegistered(ctx, msg.brokerEpoch);
    this.schedule(ctx, 0);
  }

  private onHeartbeat(ctx: BrokerCtx, msg: BrokerHeartbeatResponse): void {
    if (msg.error !== "NONE") return this.afterFailure(ctx);
    this.failedAttempts = 0;
    switch (this.state) {
      case "STARTING":
        if (msg.isCaughtUp) {
          this.setState(ctx, "RECOVERY");
          if (this.host.publications() > 0) this.readyToUnfence = true;
        }
        // Soon after, so that a broker with nothing to recover starts quickly.
        return this.schedule(ctx, 10_000);
      case "RECOVERY":
        if (!msg.isFenced) {
          this.setState(ctx, "RUNNING");
          this.servedSince = true;
        }
        return this.afterSuccess(ctx);
      case "RUNNING":
        return this.afterSuccess(ctx);
      case "PENDING_CONTROLLED_SHUTDOWN":
        if (msg.shouldShutDown) return this.finishShutdown(ctx);
        if (!this.gotControlledShutdownResponse) {
          this.gotControlledShutdownResponse = true;
          return this.schedule(ctx, 50_000);
        }
        return this.afterSuccess(ctx);
      case "SHUTTING_DOWN":
        return;
    }
  }

  private afterSuccess(ctx: BrokerCtx): void {
    this.schedule(ctx, this.host.heartbeatIntervalMs * 1000);
  }

  /** ExponentialBackoff(100 ms, ×2, broker.session.timeout.ms, 2 % jitter); never at once after a failure. */
  private afterFailure(ctx: BrokerCtx): void {
    const base = Math.min(100 * 2 ** this.failedAttempts, this.host.sessionTimeoutMs);
    this.failedAttempts++;
    const jitter = 1 + (ctx.rng.next() * 2 - 1) * 0.02;
    this.nextImmediate = false;
    this.schedule(ctx, Math.max(1, Math.round(base * jitter * 1000)));
  }

  private schedule(ctx: BrokerCtx, delayUs: number): void {
    const d = this.nextImmediate ? 0 : delayUs;
    this.nextImmediate = false;
    if (this.commHandle >= 0) ctx.cancelTimer(this.commHandle);
    this.commHandle = ctx.setTimer(d, this.commTag);
  }

  private setState(ctx: BrokerCtx, state: BrokerLifecycleState): void {
    if (this.state === state && state !== "STARTING") return;
    this.state = state;
    ctx.emit({ type: "kraft-broker-state", broker: this.host.brokerId, state, brokerEpoch: this.brokerEpoch });
  }
}
