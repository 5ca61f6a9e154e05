// The faulty network: one directed link per ordered pair of nodes, FIFO per link (Kafka runs over TCP),
// latency drawn per message from the link's distribution, lossy links (TCP retransmission), slow links,
// partitions (groups, one-way, isolate, heal) and hold/release.
//
// Connection semantics: a link has a generation. Breaking a connection (a partition starting, a node going
// down) bumps it, and every message in flight on it is dropped at delivery. The sender is never told
// silently-nothing: when the peer's process dies (kill) its OS resets the connection and the sender gets a
// DISCONNECT event one latency later; when the peer's machine vanishes (power loss, partition) nobody sends
// a reset and the sender finds out the way a real client does: its request times out.
//
// Loss is TCP's: a transmission lost on a flaky link is retransmitted after the retransmission timeout, later
// messages on the link wait behind it (head-of-line blocking), and after tcp_retries2 failed retransmissions
// the connection is reset. Nothing is ever dropped silently.
import type { Scheduler } from "../core/scheduler.ts";
import { WORLD_OWNER } from "../core/scheduler.ts";
import type { LatencyDist, Rng } from "../core/rng.ts";
import { validateLatencyDist } from "../core/rng.ts";
import { SimInputError } from "../core/errors.ts";

/** Scheduler event kinds used by the network. The world's dispatcher interprets them. */
export const EV_DELIVER = 1;
export const EV_DISCONNECT = 3;
/** A retransmission timer of a lossy link: owned by the world, `a` is the function to run. */
export const EV_RETRANSMIT = 5;

// TCP retransmission (RFC 6298 §5.5: the RTO doubles on each expiry; Linux TCP_RTO_MIN 200 ms, TCP_RTO_MAX 120 s;
// tcp_retries2 = 15 retransmissions, then the connection is reset: 924.6 s after the first send, as ip-sysctl.rst says).
export const TCP_RTO_MIN_US = 200_000;
export const TCP_RTO_MAX_US = 120_000_000;
export const TCP_RETRIES2 = 15;

/** The retransmission timeout after the `lost`-th consecutive loss of a segment (1 = its first transmission). */
export function rtoUs(lost: number): number {
  return Math.min(TCP_RTO_MIN_US * 2 ** (lost - 1), TCP_RTO_MAX_US);
}

/** Plausible single-datacentre one-way latency: median 0.25 ms with a modest tail. */
export const DEFAULT_LATENCY: LatencyDist = { dist: "lognormal", medianMs: 0.25, sigma: 0.5 };

/** Max nodes in one world: the sender index and the link generation share one number in the event. */
export const MAX_NODES = 1024;

export type NodeLiveness = "up" | "killed" | "powered-off";

export interface NetworkOptions {
  readonly scheduler: Scheduler;
  readonly rng: Rng;
  /** Node count; indices run 1..nodes (0 is the world). */
  readonly nodes: number;
  readonly latency?: LatencyDist;
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  droppedPartition: number;
  /** Messages lost with a connection that a lossy link reset (tcp_retries2 exhausted). */
  droppedLoss: number;
  droppedBroken: number;
  droppedDown: number;
  /** Retransmissions on lossy links (each timer expiry of a lost transmission). */
  retransmitted: number;
  /** Connections reset because a message was lost tcp_retries2 + 1 times in a row. */
  resets: number;
}

/** In a stall's queue: the sender closed the connection here (a clean stop, closeConnection); the peer's
 *  DISCONNECT goes out after what was queued before it. */
const CLOSE_MARK: unique symbol = Symbol("close");

/** A link whose head message is being retransmitted: it and everything sent after it wait (TCP order). */
interface Stall {
  readonly from: number;
  readonly to: number;
  /** Head first; the head is the message being retransmitted. */
  readonly queue: unknown[];
  /** Consecutive lost transmissions of the head. */
  lost: number;
  /** The retransmission timer's callback (one per stall, so timers allocate nothing more). */
  readonly fire: () => void;
  /** False once the stall is over (delivered, lost with its connection): a pending timer then does nothing. */
  live: boolean;
  /** The sender closed this connection (closeConnection, a clean stop): the stall drains on its own while
   *  new messages on the link go on a new connection that does not wait behind it. */
  orphan: boolean;
}

export class Network {
  private readonly s: Scheduler;
  private readonly rng: Rng;
  private readonly n: number;
  private defaultLatency: LatencyDist;
  private readonly blocked: Uint8Array;
  private readonly gen: Int32Array;
  private readonly lastDeliverUs: Float64Array;
  private readonly lossProb: Float64Array;
  private readonly slowFactor: Float64Array;
  /** Set when a message has been sent on a link since it was last broken: the connection exists. */
  private readonly open: Uint8Array;
  private readonly latencyOverride = new Map<number, LatencyDist>();
  private readonly held = new Map<number, unknown[]>();
  /** Set while a link has a stall (a message being retransmitted): what is sent on it queues behind. */
  private readonly stalled: Uint8Array;
  private readonly stalls = new Map<number, Stall>();
  /** Stalls of connections their sender closed, still retransmitting (rare: a list is enough). */
  private orphans: Stall[] = [];
  private readonly liveness: NodeLiveness[];
  readonly stats: NetworkStats = { sent: 0, delivered: 0, droppedPartition: 0, droppedLoss: 0, droppedBroken: 0, droppedDown: 0, retransmitted: 0, resets: 0 };

  constructor(opts: NetworkOptions) {
    if (opts.nodes + 1 > MAX_NODES) throw new SimInputError("INVALID_CONFIG", `at most ${MAX_NODES - 1} nodes in one world, got ${opts.nodes}`);
    this.s = opts.scheduler;
    this.rng = opts.rng;
    this.n = opts.nodes + 1;
    this.defaultLatency = opts.latency ?? DEFAULT_LATENCY;
    validateLatencyDist(this.defaultLatency, "network.latency");
    const links = this.n * this.n;
    this.blocked = new Uint8Array(links);
    this.gen = new Int32Array(links);
    this.lastDeliverUs = new Float64Array(links);
    this.lossProb = new Float64Array(links);
    this.slowFactor = new Float64Array(links).fill(1);
    this.open = new Uint8Array(links);
    this.stalled = new Uint8Array(links);
    this.liveness = new Array<NodeLiveness>(this.n).fill("up");
  }

  private link(from: number, to: number): number {
    return from * this.n + to;
  }
  private checkNode(i: number, what: string): void {
    if (!Number.isInteger(i) || i < 1 || i >= this.n) {
      throw new SimInputError("UNKNOWN_NODE", `${what}: no node with index ${i} (nodes are 1..${this.n - 1})`);
    }
  }

  /** Send a message. Delivered later as an EV_DELIVER event owned by `to`, with b = sender | gen << 10. */
  send(from: number, to: number, msg: unknown): void {
    const l = from * this.n + to;
    this.stats.sent++;
    this.open[l] = 1;
    if (this.blocked[l] === 1) {
      this.stats.droppedPartition++;
      return;
    }
    if (this.liveness[to] !== "up") {
      this.stats.droppedDown++;
      // A dead process's OS refuses the connection at once; a powered-off machine says nothing.
      if (this.liveness[to] === "killed" && this.blocked[this.link(to, from)] === 0) this.notifyDisconnect(from, to);
      return;
    }
    const held = this.held.size === 0 ? undefined : this.held.get(l);
    if (held !== undefined) {
      held.push(msg);
      return;
    }
    if (this.stalled[l] === 1) {
      (this.stalls.get(l) as Stall).queue.push(msg); // head-of-line blocking
      return;
    }
    const loss = this.lossProb[l] as number;
    if (loss > 0 && this.rng.chance(loss)) {
      this.stall(l, from, to, msg);
      return;
    }
    this.schedule(l, from, to, msg);
  }

  /** The first transmission of `msg` on from → to was lost: retransmit it after the RTO; hold what follows. */
  private stall(l: number, from: number, to: number, msg: unknown): void {
    const queue: unknown[] = [msg];
    const st: Stall = { from, to, queue, lost: 1, fire: () => this.retransmit(l, st), live: true, orphan: false };
    this.stalls.set(l, st);
    this.stalled[l] = 1;
    this.s.at(this.s.now + rtoUs(1), WORLD_OWNER, EV_RETRANSMIT, st.fire);
  }

  /** A retransmission timer expired: give up (reset) after tcp_retries2 retransmissions, else retransmit the
   *  head with the link's loss probability now (a healed link delivers it). Once it gets through, what waited
   *  behind it goes out in order, each a transmission that may be lost in its turn. */
  private retransmit(l: number, st: Stall): void {
    if (!st.live) return; // the connection broke meanwhile; its messages are counted there
    if (st.lost > TCP_RETRIES2) {
      this.resetConnection(l, st);
      return;
    }
    this.stats.retransmitted++;
    if (this.lossProb[l] as number > 0 && this.rng.chance(this.lossProb[l] as number)) {
      st.lost++;
      this.s.at(this.s.now + rtoUs(st.lost), WORLD_OWNER, EV_RETRANSMIT, st.fire);
      return;
    }
    const q = st.queue;
    let i = 0;
    this.forward(l, st, q[i++]);
    for (; i < q.length; i++) {
      const m = q[i];
      if (m === CLOSE_MARK) {
        this.notifyDisconnect(st.to, st.from);
        continue;
      }
      const loss = this.lossProb[l] as number;
      if (loss > 0 && this.rng.chance(loss)) {
        q.splice(0, i);
        st.lost = 1;
        this.s.at(this.s.now + rtoUs(1), WORLD_OWNER, EV_RETRANSMIT, st.fire);
        return;
      }
      this.forward(l, st, m);
    }
    this.endStall(l, st);
  }

  /** The stall is over: its link sends straight again (an orphan just leaves the list). */
  private endStall(l: number, st: Stall): void {
    st.live = false;
    if (st.orphan) {
      this.orphans = this.orphans.filter((o) => o !== st);
      return;
    }
    this.stalls.delete(l);
    this.stalled[l] = 0;
  }

  /** The sender closed its connection on link `l`: what waits for a retransmission there keeps trying on the
   *  old connection (the kernel still sends a closed socket's data, then the FIN), and the link is free for a
   *  new connection. */
  private orphanStall(l: number): void {
    const st = this.stalls.get(l);
    if (st === undefined) return;
    this.stalls.delete(l);
    this.stalled[l] = 0;
    st.orphan = true;
    this.orphans.push(st);
  }

  /** A message that got through a stalled link: delivered (or queued, if the link is held meanwhile). */
  private forward(l: number, st: Stall, m: unknown): void {
    const held = this.held.get(l);
    if (held !== undefined) held.push(m);
    else this.schedule(l, st.from, st.to, m);
  }

  /** tcp_retries2 exhausted: the connection is reset. Both directions break (what is in flight either way is
   *  lost) and both ends hear of it. */
  private resetConnection(l: number, st: Stall): void {
    const { from, to } = st;
    let closed = false;
    for (const m of st.queue) {
      if (m !== CLOSE_MARK) this.stats.droppedLoss++;
      else closed = true;
    }
    this.stats.resets++;
    this.endStall(l, st);
    if (st.orphan) {
      // An old connection its sender had closed: only the peer, still waiting for the FIN, hears of the reset.
      if (closed && this.liveness[to] === "up" && this.blocked[l] === 0) this.notifyDisconnect(to, from);
      return;
    }
    this.breakLink(from, to);
    this.breakLink(to, from);
    if (this.liveness[from] === "up" && this.blocked[this.link(to, from)] === 0) this.notifyDisconnect(from, to);
    if (this.liveness[to] === "up" && this.blocked[l] === 0) this.notifyDisconnect(to, from);
  }

  private schedule(l: number, from: number, to: number, msg: unknown): void {
    const d = this.latencyOverride.size === 0 ? this.defaultLatency : (this.latencyOverride.get(l) ?? this.defaultLatency);
    let lat: number = this.rng.latencyUs(d);
    const slow = this.slowFactor[l] as number;
    if (slow !== 1) lat = Math.round(lat * slow);
    let at: number = this.s.now + lat;
    const last = this.lastDeliverUs[l] as number;
    if (at <= last) at = last + 1; // FIFO per connection
    this.lastDeliverUs[l] = at;
    this.s.at(at, to, EV_DELIVER, msg, from | ((this.gen[l] as number) << 10));
  }

  /** Called by the world on delivery: false if the connection broke since the message was sent. */
  accept(from: number, to: number, b: number): boolean {
    const l = from * this.n + to;
    if (b >>> 10 !== (this.gen[l] as number)) {
      this.stats.droppedBroken++;
      return false;
    }
    this.stats.delivered++;
    return true;
  }

  private breakLink(from: number, to: number): void {
    const l = this.link(from, to);
    this.gen[l] = (this.gen[l] as number) + 1;
    this.open[l] = 0;
    // Held messages are in flight on the broken connection too: lost (the hold itself stays in place).
    const q = this.held.get(l);
    if (q !== undefined && q.length > 0) {
      this.stats.droppedBroken += q.length;
      q.length = 0;
    }
    // So are the messages waiting for a retransmission (its timer finds the stall gone and does nothing),
    // on the current connection and on old ones their sender had closed.
    const st = this.stalls.get(l);
    if (st !== undefined) this.dropStall(l, st);
    if (this.orphans.length > 0) for (const o of this.orphans) if (o.from * this.n + o.to === l) this.dropStall(l, o);
  }

  private dropStall(l: number, st: Stall): void {
    for (const m of st.queue) if (m !== CLOSE_MARK) this.stats.droppedBroken++;
    this.endStall(l, st);
  }

  /** `closer` closed its end: the peer's DISCONNECT follows what `closer` sent, even messages still waiting for
   *  a retransmission. */
  private notifyClosed(peer: number, closer: number): void {
    const l = this.link(closer, peer);
    if (this.stalled[l] === 1) {
      (this.stalls.get(l) as Stall).queue.push(CLOSE_MARK);
      this.orphanStall(l);
    } else this.notifyDisconnect(peer, closer);
  }

  private notifyDisconnect(peer: number, dead: number): void {
    const l = this.link(dead, peer);
    const d = this.latencyOverride.size === 0 ? this.defaultLatency : (this.latencyOverride.get(l) ?? this.defaultLatency);
    let at: number = this.s.now + this.rng.latencyUs(d);
    // The reset/FIN travels on the connection: after whatever the dead node sent before it (TCP order).
    const last = this.lastDeliverUs[l] as number;
    if (at <= last) at = last + 1;
    this.lastDeliverUs[l] = at;
    this.s.at(at, peer, EV_DISCONNECT, undefined, dead);
  }

  /** A node's process or machine went down: break all its connections. Peers with an open connection get
   *  a DISCONNECT on kill (the OS resets the sockets); on power loss they must time out. On a clean stop
   *  ("stopped") what the node sent before exiting (its goodbyes) is still delivered, then the DISCONNECT. */
  nodeDown(node: number, how: "killed" | "powered-off" | "stopped"): void {
    this.checkNode(node, "nodeDown");
    this.liveness[node] = how === "stopped" ? "killed" : how;
    for (let p = 1; p < this.n; p++) {
      if (p === node) continue;
      const out = this.link(node, p);
      const wasOpen = this.open[this.link(p, node)] === 1 || this.open[out] === 1;
      this.breakLink(p, node);
      if (how === "stopped") this.open[out] = 0;
      else this.breakLink(node, p);
      if (how !== "powered-off" && wasOpen && this.blocked[out] === 0) this.notifyClosed(p, node);
    }
  }

  /** `closer` closes its connection to `peer` (a client whose request timed out, the controller dropping a
   *  failed broker, a broker dropping an acks=0 producer after an error as KafkaApis does): what the peer had in
   *  flight towards it is lost, and the peer sees a DISCONNECT after what `closer` had in flight. What `closer`
   *  still had waiting for a retransmission goes on alone on the old connection (the kernel keeps sending a
   *  closed socket's data) and arrives later; the link is free for a new connection at once.
   *
   *  One link carries both ends' requests, so the peer's own requests to `closer` are lost with the close
   *  (in Kafka they would be on the peer's own connection); it is told at once, not after the old data has
   *  drained, so it retries them on time. */
  closeConnection(closer: number, peer: number): void {
    this.checkNode(closer, "closeConnection");
    this.checkNode(peer, "closeConnection");
    const l = this.link(closer, peer);
    this.breakLink(peer, closer);
    this.open[l] = 0;
    this.orphanStall(l);
    if (this.blocked[l] === 0) this.notifyDisconnect(peer, closer);
  }

  nodeUp(node: number): void {
    this.checkNode(node, "nodeUp");
    this.liveness[node] = "up";
    // What a stopped process had left on its closed connections dies with the restart: the new process has none
    // of those sockets (the peer's answers to them could otherwise reach it, with request numbers it reuses).
    // The peer still waiting for those connections' FIN gets a reset instead.
    for (const o of this.orphans) {
      if (o.from !== node) continue;
      const l = this.link(o.from, o.to);
      const closing = o.queue.includes(CLOSE_MARK);
      this.dropStall(l, o);
      if (closing && this.liveness[o.to] === "up" && this.blocked[l] === 0) this.notifyDisconnect(o.to, o.from);
    }
  }

  isUp(node: number): boolean {
    return this.liveness[node] === "up";
  }

  /** Block from → to only (an asymmetric partition). In-flight messages on that link are lost. */
  blockOneWay(from: number, to: number): void {
    this.checkNode(from, "partition");
    this.checkNode(to, "partition");
    if (from === to) throw new SimInputError("INVALID_PARTITION", `a node cannot be partitioned from itself (node ${from})`);
    this.blocked[this.link(from, to)] = 1;
    this.breakLink(from, to);
  }

  /** Split the nodes into groups that cannot talk to each other. Nodes in no group keep all their links. */
  partition(groups: readonly (readonly number[])[]): void {
    const seen = new Set<number>();
    for (const g of groups) {
      for (const x of g) {
        this.checkNode(x, "partition");
        if (seen.has(x)) throw new SimInputError("INVALID_PARTITION", `node ${x} appears in two partition groups; each node may be in one group only`);
        seen.add(x);
      }
    }
    for (let i = 0; i < groups.length; i++) {
      for (let j = 0; j < groups.length; j++) {
        if (i === j) continue;
        for (const a of groups[i] as readonly number[]) for (const b of groups[j] as readonly number[]) this.blockOneWay(a, b);
      }
    }
  }

  /** Cut one node off from every other node, both ways. */
  isolate(node: number): void {
    this.checkNode(node, "isolate");
    for (let p = 1; p < this.n; p++) {
      if (p === node) continue;
      this.blockOneWay(node, p);
      this.blockOneWay(p, node);
    }
  }

  isBlocked(from: number, to: number): boolean {
    return this.blocked[this.link(from, to)] === 1;
  }

  /** Remove every partition, slow link, loss and hold (held messages are released). */
  healAll(): void {
    this.blocked.fill(0);
    this.lossProb.fill(0);
    this.slowFactor.fill(1);
    this.latencyOverride.clear();
    for (const l of [...this.held.keys()]) this.releaseLink(l);
  }

  /** Heal only the links of one node (both directions): partitions, slow and lossy links. Holds stay (they
   *  are a test device, not a fault). */
  healNode(node: number): void {
    this.checkNode(node, "heal");
    for (let p = 1; p < this.n; p++) {
      for (const l of [this.link(node, p), this.link(p, node)]) {
        this.blocked[l] = 0;
        this.lossProb[l] = 0;
        this.slowFactor[l] = 1;
      }
    }
  }

  /** Multiply the latency of from → to (a slow link). */
  slow(from: number, to: number, factor: number): void {
    this.checkNode(from, "slow");
    this.checkNode(to, "slow");
    if (!(factor > 0) || !Number.isFinite(factor)) throw new SimInputError("INVALID_FAULT", `slow factor must be a finite number > 0, got ${factor}`);
    this.slowFactor[this.link(from, to)] = factor;
  }

  /** A lossy link: each transmission on from → to is lost with this probability and retransmitted as TCP
   *  does (after the RTO, doubling per consecutive loss; the connection is reset after tcp_retries2). */
  flaky(from: number, to: number, lossProb: number): void {
    this.checkNode(from, "flaky");
    this.checkNode(to, "flaky");
    if (!(lossProb >= 0 && lossProb <= 1)) throw new SimInputError("INVALID_FAULT", `loss probability must be in [0, 1], got ${lossProb}`);
    this.lossProb[this.link(from, to)] = lossProb;
  }

  setLatency(from: number, to: number, d: LatencyDist): void {
    this.checkNode(from, "latency");
    this.checkNode(to, "latency");
    validateLatencyDist(d, `latency ${from}->${to}`);
    this.latencyOverride.set(this.link(from, to), d);
  }

  /** Queue messages on from → to instead of delivering them, until release. */
  hold(from: number, to: number): void {
    this.checkNode(from, "hold");
    this.checkNode(to, "hold");
    const l = this.link(from, to);
    if (!this.held.has(l)) this.held.set(l, []);
  }

  release(from: number, to: number): void {
    this.releaseLink(this.link(from, to));
  }

  private releaseLink(l: number): void {
    const q = this.held.get(l);
    if (q === undefined) return;
    this.held.delete(l);
    const from = Math.floor(l / this.n);
    const to = l % this.n;
    const st = this.stalls.get(l);
    for (const m of q) {
      if (this.liveness[to] !== "up" || this.blocked[l] !== 0) continue;
      if (st !== undefined) st.queue.push(m);
      else this.schedule(l, from, to, m);
    }
  }
}
