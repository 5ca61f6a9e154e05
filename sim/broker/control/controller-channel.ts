// The controller's requests to brokers (ControllerChannelManager): leader-and-isr and update-metadata, each
// tracked until answered. RequestSendThread retries a request until it is answered: when its connection breaks,
// or when no answer came within the request timeout (it then closes the connection itself), it pauses 100 ms,
// reconnects and sends it again — here, the current state of what was in flight, while the broker is the same
// incarnation. removeBroker closes the connection to a broker that died or bounced (addBroker opens a new one).
import type { NodeContext } from "../../core/node.ts";
import { brokerNode, tpKey } from "../../core/ids.ts";
import type { Message, PartitionMetadata } from "../../kafka/protocol.ts";
import type { LeaderAndIsrPartition } from "../../kafka/protocol-cluster.ts";
import type { TraceEvent } from "../../events.ts";
import { CONN_CONTROLLER } from "../../kafka/channels.ts";
import { ControlTimer } from "./timers.ts";

type Ctx = NodeContext<Message, TraceEvent>;

/** Kafka's controller.socket.timeout.ms default: an unanswered controller request is re-sent after this. */
export const CONTROLLER_SOCKET_TIMEOUT_MS = 30000;
/** RequestSendThread.backoff(): the pause after a failed send before reconnecting and sending again. */
export const CONTROLLER_RETRY_BACKOFF_MS = 100;

interface Inflight {
  readonly broker: number;
  readonly brokerEpoch: number;
  readonly kind: "lai" | "um";
  readonly keys: readonly string[];
  timer: number;
}

/** What to send a broker again once the retry back-off is over (the requests its broken connection lost). */
interface Resend {
  readonly brokerEpoch: number;
  readonly keys: Set<string>;
  metadata: boolean;
}

/** What the channel reads of its controller. */
export interface ChannelView {
  readonly controllerId: number;
  readonly controllerEpoch: number;
  /** Live brokers and their epochs. */
  readonly live: ReadonlyMap<number, number>;
  nextCorr(): number;
  /** The current leader-and-isr entries of `keys` for `broker`. */
  leaderAndIsr(broker: number, keys: readonly string[]): LeaderAndIsrPartition[];
  /** The current metadata of every partition. */
  metadata(): PartitionMetadata[];
}

export class ControllerChannel {
  private readonly inflight = new Map<number, Inflight>();
  private readonly resend = new Map<number, Resend>();

  constructor(private readonly view: ChannelView) {}

  /** leader-and-isr with the current state of `keys` (those with a state) to one live broker. */
  sendLeaderAndIsr(ctx: Ctx, broker: number, keys: readonly string[]): void {
    const epoch = this.view.live.get(broker);
    if (epoch === undefined) return;
    const parts = this.view.leaderAndIsr(broker, keys);
    if (parts.length === 0) return;
    const corr = this.view.nextCorr();
    ctx.send(brokerNode(broker), { type: "leader-and-isr", corr, controllerId: this.view.controllerId, controllerEpoch: this.view.controllerEpoch, brokerEpoch: epoch, partitions: parts });
    this.track(ctx, corr, { broker, brokerEpoch: epoch, kind: "lai", keys: parts.map((p) => tpKey(p.topic, p.partition)), timer: -1 });
  }

  /** The full metadata snapshot (every partition) to each of `brokers`. */
  sendUpdateMetadata(ctx: Ctx, brokers: readonly number[]): void {
    const partitions = this.view.metadata();
    const liveBrokers = [...this.view.live.keys()].sort((a, b) => a - b);
    for (const b of brokers) {
      const epoch = this.view.live.get(b);
      if (epoch === undefined) continue;
      const corr = this.view.nextCorr();
      ctx.send(brokerNode(b), { type: "update-metadata", corr, controllerId: this.view.controllerId, controllerEpoch: this.view.controllerEpoch, brokerEpoch: epoch, liveBrokers, partitions });
      this.track(ctx, corr, { broker: b, brokerEpoch: epoch, kind: "um", keys: [], timer: -1 });
    }
  }

  /** A broker answered a leader-and-isr or update-metadata request. */
  onResponse(ctx: Ctx, corr: number): void {
    const f = this.inflight.get(corr);
    if (f === undefined) return;
    this.inflight.delete(corr);
    if (f.timer >= 0) ctx.cancelTimer(f.timer);
  }

  /** The connection to `broker` broke (its process died, a reset, or it closed it): what was in flight on it
   *  is lost, and is sent again after the back-off (RequestSendThread's catch: close, backoff, resend). */
  onDisconnect(ctx: Ctx, broker: number): void {
    this.failInflight(ctx, broker);
  }

  /** removeBroker: close the connection to a broker that died or bounced. */
  removeBroker(ctx: Ctx, broker: number): void {
    ctx.closeConnection(brokerNode(broker), { kind: CONN_CONTROLLER });
  }

  /** Forget requests to brokers that are no longer the incarnation they were sent to. */
  dropStale(ctx: Ctx): void {
    for (const [corr, f] of this.inflight) {
      if (this.view.live.get(f.broker) !== f.brokerEpoch) {
        if (f.timer >= 0) ctx.cancelTimer(f.timer);
        this.inflight.delete(corr);
      }
    }
  }

  /** The channel's timers (the controller checks it is still active first). */
  onTimer(ctx: Ctx, tag: ControlTimer): boolean {
    if (tag.kind === "ctl.request-timeout") {
      const f = this.inflight.get(tag.n);
      if (f === undefined) return true;
      // NetworkClient closes a connection whose request timed out; the thread then resends on a new one.
      if (f.broker !== this.view.controllerId) ctx.closeConnection(brokerNode(f.broker), { kind: CONN_CONTROLLER });
      this.failInflight(ctx, f.broker);
      return true;
    }
    if (tag.kind === "ctl.resend") {
      const r = this.resend.get(tag.n);
      if (r === undefined) return true;
      this.resend.delete(tag.n);
      // The current state (not the stale payload), while the broker is the same incarnation.
      if (this.view.live.get(tag.n) !== r.brokerEpoch) return true;
      if (r.metadata) this.sendUpdateMetadata(ctx, [tag.n]);
      if (r.keys.size > 0) this.sendLeaderAndIsr(ctx, tag.n, [...r.keys]);
      return true;
    }
    return false;
  }

  /** Forget the requests in flight to `broker`; send their partitions' current state again after
   *  CONTROLLER_RETRY_BACKOFF_MS while the broker is the same incarnation. */
  private failInflight(ctx: Ctx, broker: number): void {
    let r = this.resend.get(broker);
    for (const [corr, f] of this.inflight) {
      if (f.broker !== broker) continue;
      this.inflight.delete(corr);
      if (f.timer >= 0) ctx.cancelTimer(f.timer);
      if (this.view.live.get(broker) !== f.brokerEpoch) continue;
      if (r === undefined || r.brokerEpoch !== f.brokerEpoch) {
        r = { brokerEpoch: f.brokerEpoch, keys: new Set(), metadata: false };
        this.resend.set(broker, r);
        ctx.setTimer(CONTROLLER_RETRY_BACKOFF_MS * 1000, new ControlTimer("ctl.resend", this, broker));
      }
      if (f.kind === "lai") for (const k of f.keys) r.keys.add(k);
      else r.metadata = true;
    }
  }

  private track(ctx: Ctx, corr: number, f: Inflight): void {
    f.timer = ctx.setTimer(CONTROLLER_SOCKET_TIMEOUT_MS * 1000, new ControlTimer("ctl.request-timeout", this, corr));
    this.inflight.set(corr, f);
  }
}
