// A broker's ZooKeeper client (Kafka's ZooKeeperClient over the ZooKeeper client library): opens a session,
// pings every sessionTimeout/3 (the ZooKeeper client pings when idle for a third of the session timeout),
// acknowledges watch notifications with each ping (the coordinator re-sends lost ones), sends requests and
// re-sends them while unanswered (Kafka retries a request after a connection loss until it
// is connected again, ZooKeeperClient.retryRequestsUntilConnected; the coordinator answers a re-sent request
// from its cache, so a retry is never applied twice), and dispatches watches.
//
// A client cut off from the coordinator does not notice anything but silence: its session expires on the
// coordinator's clock, and it learns so only when a message gets through again (zk.expired). Then every
// request still pending fails with SESSION_EXPIRED and a new session is opened (KafkaZkClient's session
// expiry handling → the broker re-registers with a new epoch). After hearing nothing for its read timeout
// (2/3 of the session timeout) the client drops its connection and, after a random pause below a second,
// re-attaches to its session on a new one (ClientCnxn: SessionTimeoutException, startConnect): a ping and the
// pending requests, which do not wait behind what the old connection is still retransmitting. A new connection
// that hears nothing within the connect timeout (the session timeout over the ensemble's size, taken as 3) is
// given up the same way.
import type { NodeContext } from "../../core/node.ts";
import { COORDINATOR_NODE } from "../../core/ids.ts";
import type { Message } from "../../kafka/protocol.ts";
import type { ZkError, ZkMessage, ZkOp, ZkOpResult } from "../../kafka/protocol-cluster.ts";
import type { TraceEvent } from "../../events.ts";
import { ControlTimer } from "./timers.ts";
import { msToUs } from "../../core/time.ts";

type Ctx = NodeContext<Message, TraceEvent>;

export interface ZkResult {
  readonly error: ZkError;
  readonly zxid: number;
  readonly results: readonly ZkOpResult[];
  /** SESSION_EXPIRED only: the request had been put on the wire, so it may have been applied. ZooKeeper's client
   *  fails such a request with CONNECTIONLOSS when its connection drops (ClientCnxn.conLossPacket), and Kafka
   *  re-submits it once connected again, to a new session if the old one expired (retryRequestsUntilConnected);
   *  only a request never sent gets SESSIONEXPIRED. */
  readonly maybeApplied?: boolean;
}

export type ZkCallback = (ctx: Ctx, r: ZkResult) => void;

export interface ZkClientListener {
  /** A new session is open (first connect, or after an expiry). */
  onSession(ctx: Ctx, sessionId: number): void;
  /** The session is gone; pending requests have not been failed yet (they are, right after). */
  onExpired(ctx: Ctx): void;
  onWatch(ctx: Ctx, path: string, event: "created" | "deleted" | "changed" | "children"): void;
}

interface Pending {
  readonly corr: number;
  readonly ops: readonly ZkOp[];
  readonly cb: ZkCallback;
  /** Session it was sent under; 0 = waiting for a session. */
  sessionId: number;
  timer: number;
  /** Put on the wire at least once (it may have been applied). */
  sent: boolean;
}

const EXPIRED: ZkResult = { error: "SESSION_EXPIRED", zxid: -1, results: [] };
const EXPIRED_MAYBE_APPLIED: ZkResult = { ...EXPIRED, maybeApplied: true };

export class ZkClient {
  private session = 0;
  /** Highest watch notification received in order in this session (go-back-N: a gap waits for the re-send). */
  private watchSeq = 0;
  private connecting = false;
  private corr = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly pingUs: number;
  private readonly pingTag = new ControlTimer("zk.ping", this);
  private readonly connectTag = new ControlTimer("zk.connect", this);
  private pingTimer = -1;
  private connectTimer = -1;
  /** The read timeout (2/3 of the session timeout): silence this long closes the connection. */
  private readonly readTimeoutUs: number;
  private readonly readTimeoutTag = new ControlTimer("zk.read-timeout", this);
  private readonly reconnectTag = new ControlTimer("zk.reconnect", this);
  private readTimer = -1;
  private lastHeardUs = 0;
  /** A new connection has not heard from the coordinator yet: the connect timeout applies, not the read one. */
  private attaching = false;
  /** Between closing a silent connection and opening the next (startConnect's random sleep): nothing is sent. */
  private sleeping = false;

  constructor(
    readonly sessionTimeoutMs: number,
    private readonly listener: ZkClientListener,
  ) {
    this.pingUs = Math.max(1, Math.round((sessionTimeoutMs * 1000) / 3));
    this.readTimeoutUs = 2 * this.pingUs;
  }

  /** The current session id, or null while (re)connecting. */
  get sessionId(): number | null {
    return this.session === 0 ? null : this.session;
  }

  start(ctx: Ctx): void {
    this.connect(ctx);
  }

  private connect(ctx: Ctx): void {
    this.connecting = true;
    ctx.send(COORDINATOR_NODE, { type: "zk.connect", sessionTimeoutMs: this.sessionTimeoutMs });
    if (this.connectTimer >= 0) ctx.cancelTimer(this.connectTimer);
    this.connectTimer = ctx.setTimer(this.pingUs, this.connectTag);
  }

  /** Send ops as one multi (all-or-nothing writes; reads never fail it). The callback runs once. */
  request(ctx: Ctx, ops: readonly ZkOp[], cb: ZkCallback): void {
    const p: Pending = { corr: ++this.corr, ops, cb, sessionId: 0, timer: -1, sent: false };
    this.pending.set(p.corr, p);
    if (this.session !== 0) this.send(ctx, p);
  }

  private send(ctx: Ctx, p: Pending): void {
    p.sessionId = this.session;
    if (this.sleeping) return; // sent on the next connection
    ctx.send(COORDINATOR_NODE, { type: "zk.request", corr: p.corr, sessionId: this.session, ops: p.ops });
    p.sent = true;
    if (p.timer >= 0) ctx.cancelTimer(p.timer);
    p.timer = ctx.setTimer(this.pingUs, new ControlTimer("zk.retry", this, p.corr));
  }

  /** Handle a coordinator message; false if it was not one. */
  onMessage(ctx: Ctx, msg: ZkMessage): boolean {
    this.lastHeardUs = ctx.nowUs;
    this.attaching = false;
    switch (msg.type) {
      case "zk.connected": {
        if (!this.connecting) return true; // an answer to a duplicate connect: that session just expires
        this.connecting = false;
        if (this.connectTimer >= 0) ctx.cancelTimer(this.connectTimer);
        this.connectTimer = -1;
        this.session = msg.sessionId;
        this.watchSeq = 0;
        if (this.pingTimer >= 0) ctx.cancelTimer(this.pingTimer);
        this.pingTimer = ctx.setTimer(this.pingUs, this.pingTag);
        this.listener.onSession(ctx, msg.sessionId);
        for (const p of this.pending.values()) if (p.sessionId === 0) this.send(ctx, p);
        return true;
      }
      case "zk.pong":
        return true;
      case "zk.response": {
        const p = this.pending.get(msg.corr);
        if (p === undefined || p.sessionId !== this.session) return true;
        // The coordinator no longer knows the session: the client learns it has expired, and this request (sent
        // before, perhaps applied then) fails with the others as maybe-applied.
        if (msg.error === "SESSION_EXPIRED") return this.onMessage(ctx, { type: "zk.expired", sessionId: this.session });
        this.pending.delete(msg.corr);
        if (p.timer >= 0) ctx.cancelTimer(p.timer);
        p.cb(ctx, { error: msg.error, zxid: msg.zxid, results: msg.results });
        return true;
      }
      case "zk.watch":
        if (msg.sessionId !== this.session) return true;
        if (msg.seq !== undefined) {
          if (msg.seq !== this.watchSeq + 1) return true; // a duplicate, or after a lost one: wait for the re-send
          this.watchSeq = msg.seq;
        }
        this.listener.onWatch(ctx, msg.path, msg.event);
        return true;
      case "zk.expired": {
        if (msg.sessionId !== this.session || this.session === 0) return true;
        this.session = 0;
        if (this.pingTimer >= 0) ctx.cancelTimer(this.pingTimer);
        this.pingTimer = -1;
        this.listener.onExpired(ctx);
        const failed = [...this.pending.values()].filter((p) => p.sessionId === msg.sessionId);
        for (const p of failed) {
          this.pending.delete(p.corr);
          if (p.timer >= 0) ctx.cancelTimer(p.timer);
          p.cb(ctx, p.sent ? EXPIRED_MAYBE_APPLIED : EXPIRED);
        }
        this.connect(ctx);
        return true;
      }
      case "zk.connect":
      case "zk.ping":
      case "zk.request":
      case "zk.close":
        return false; // requests to a coordinator, not to a client
    }
  }

  /** Close the session (clean shutdown): the coordinator deletes its ephemeral nodes at once. */
  close(ctx: Ctx): void {
    if (this.session !== 0) ctx.send(COORDINATOR_NODE, { type: "zk.close", sessionId: this.session });
    this.session = 0;
    this.connecting = false;
    for (const t of [this.pingTimer, this.connectTimer, this.readTimer]) if (t >= 0) ctx.cancelTimer(t);
    this.pingTimer = -1;
    this.connectTimer = -1;
    this.readTimer = -1;
  }

  /** The read timeout's check (one timer, re-armed for what is left of the timeout since the last message). */
  private checkRead(ctx: Ctx): void {
    this.readTimer = -1;
    if (this.session === 0) return;
    const left = this.lastHeardUs + (this.attaching ? this.pingUs : this.readTimeoutUs) - ctx.nowUs;
    if (left > 0) {
      this.readTimer = ctx.setTimer(left, this.readTimeoutTag);
      return;
    }
    // ClientCnxn: "Client session timed out, have not heard from server in …ms": close the socket, then
    // startConnect after Thread.sleep(r.nextInt(1000)).
    ctx.closeConnection(COORDINATOR_NODE);
    this.sleeping = true;
    ctx.setTimer(msToUs(ctx.rng.int(0, 999)), this.reconnectTag);
  }

  /** A new connection to the coordinator: re-attach to the session (a ping; an expired one is answered with
   *  zk.expired) and re-send what is pending. */
  private reconnect(ctx: Ctx): void {
    this.sleeping = false;
    if (this.session === 0) return;
    this.lastHeardUs = ctx.nowUs;
    this.attaching = true;
    this.readTimer = ctx.setTimer(this.pingUs, this.readTimeoutTag);
    ctx.send(COORDINATOR_NODE, { type: "zk.ping", sessionId: this.session, ackWatchSeq: this.watchSeq });
    for (const p of this.pending.values()) if (p.sessionId === this.session) this.send(ctx, p);
  }

  /** Handle one of this client's timers; false if the tag is not ours. */
  onTimer(ctx: Ctx, tag: unknown): boolean {
    if (!(tag instanceof ControlTimer) || tag.owner !== this) return false;
    switch (tag.kind) {
      case "zk.ping":
        this.pingTimer = -1;
        if (this.session !== 0) {
          if (!this.sleeping) ctx.send(COORDINATOR_NODE, { type: "zk.ping", sessionId: this.session, ackWatchSeq: this.watchSeq });
          this.pingTimer = ctx.setTimer(this.pingUs, this.pingTag);
          // The read timeout is checked only when it would pass before the next ping (one timer, not one per ping).
          if (this.readTimer < 0 && !this.sleeping) {
            const left = this.lastHeardUs + this.readTimeoutUs - ctx.nowUs;
            if (left < this.pingUs) this.readTimer = ctx.setTimer(Math.max(1, left), this.readTimeoutTag);
          }
        }
        return true;
      case "zk.connect":
        this.connectTimer = -1;
        if (this.connecting) {
          // Not connected within the connect timeout: give that socket up and try a new one.
          ctx.closeConnection(COORDINATOR_NODE);
          this.connect(ctx);
        }
        return true;
      case "zk.read-timeout":
        this.checkRead(ctx);
        return true;
      case "zk.reconnect":
        this.reconnect(ctx);
        return true;
      case "zk.retry": {
        const p = this.pending.get(tag.n);
        if (p === undefined) return true;
        p.timer = -1;
        if (this.session !== 0 && p.sessionId === this.session) this.send(ctx, p);
        return true;
      }
      default:
        return false;
    }
  }
}
