// The network's links: its connection table and TCP's delivery on it. A message travels on a directed link
// (sender, receiver, channel), FIFO, on the link's current connection (a generation); a lost transmission stalls
// the link until TCP's retransmission gets through or gives up (a reset). Node liveness and the faults that set
// what a link does (cuts, loss, slowness, holds) are the Network's (network.ts), on top of this.
//
// Connections. A node opens its own connections to a peer, one per kind (up to MAX_CONNECTION_KINDS: a Kafka
// broker's replica fetcher, controller channel and AlterPartition channel each have their own), and is the
// server of the connections the peer opened. A message travels on a channel = (connection kind, direction):
// REQUEST (on the sender's own connection of that kind) or RESPONSE (on the peer's: answers, and a server's
// pushes such as ZooKeeper watches). Each channel of an ordered pair of nodes is a directed link, FIFO, with its
// own retransmission queue: a request never waits behind an answer, or behind another client's requests.
//
// A connection has a generation. Breaking it (a node going down, a reset, an endpoint closing it) bumps it, and
// every message in flight on it is dropped at delivery; its client hears of the end (a DISCONNECT) after what the
// server sent before it.
//
// Loss is TCP's: a transmission lost on a flaky link, or on a link a partition cuts, is retransmitted after the
// retransmission timeout (doubling), later messages on the link wait behind it (head-of-line blocking), and
// after tcp_retries2 failed retransmissions the connection is reset. Nothing is ever dropped silently: a request
// to a dead process is answered with a reset, across a cut once it heals (intoCut); to a powered-off machine, once
// it is back (intoSilence).
import type { Scheduler } from "../core/scheduler.ts";
import { WORLD_OWNER } from "../core/scheduler.ts";
import type { LatencyDist, Rng } from "../core/rng.ts";
import { validateLatencyDist } from "../core/rng.ts";
import { SimInputError } from "../core/errors.ts";
import { DEFAULT_LATENCY, EV_DELIVER, EV_DISCONNECT, EV_RETRANSMIT, MAX_CONNECTION_KINDS, REQUEST, RESPONSE, TCP_RETRIES2, channel, rtoUs } from "./tcp.ts";

/** Channels per ordered pair of nodes: a link number is (from * n + to) << CH_BITS | channel. */
export const CHANNELS = 2 * MAX_CONNECTION_KINDS;
export const CH_BITS = 3;
/** Link generations wrap at 2^19 (10 bits of sender and 3 of channel go before them in a 32-bit number). */
const GEN_MASK = (1 << 19) - 1;

/** Max nodes in one world: the sender index (10 bits), the channel (3) and the link generation share one number
 *  in the event. */
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
  /** Messages lost with a connection that was reset after tcp_retries2 lost retransmissions. */
  droppedLoss: number;
  droppedBroken: number;
  droppedDown: number;
  /** Retransmissions (each timer expiry of a lost transmission, on a lossy or cut link). */
  retransmitted: number;
  /** Connections reset because a message was lost tcp_retries2 + 1 times in a row. */
  resets: number;
}

/** In a stall's queue (on a RESPONSE link, towards a connection's client): the server closed the connection
 *  here; the client's DISCONNECT goes out after what was queued before it. */
export const CLOSE_MARK: unique symbol = Symbol("close");

/** A link whose head message is being retransmitted: it and everything sent after it wait (TCP order). */
interface Stall {
  /** The link it retransmits on. */
  readonly l: number;
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
  /** Its connection was closed (by its sender, or a FIN waiting to cross a cut): the stall drains on its own
   *  while new messages on the link go on a new connection that does not wait behind it. */
  orphan: boolean;
  /** Messages still on the wire that were sent after the head, which a cut link lost on arrival: the next
   *  `catchUp` arrivals on the link join the queue (at `insertAt`) instead of being delivered, so the order
   *  holds; the head waits for them. */
  catchUp: number;
  insertAt: number;
}

export class Links {
  protected readonly s: Scheduler;
  protected readonly rng: Rng;
  protected readonly n: number;
  protected defaultLatency: LatencyDist;
  // Faults, per ordered pair of nodes (from * n + to): they apply to both channels.
  protected readonly blocked: Uint8Array;
  protected readonly lossProb: Float64Array;
  protected readonly slowFactor: Float64Array;
  protected readonly latencyOverride = new Map<number, LatencyDist>();
  // Connection state, per link ((from * n + to) * 8 + channel).
  protected readonly gen: Int32Array;
  protected readonly lastDeliverUs: Float64Array;
  /** Set when a message has been sent on a link since it was last broken: the connection exists. */
  protected readonly open: Uint8Array;
  protected readonly held = new Map<number, unknown[]>();
  /** Set while a link has a stall (a message being retransmitted): what is sent on it queues behind. */
  protected readonly stalled: Uint8Array;
  protected readonly stalls = new Map<number, Stall>();
  /** Stalls of connections that were closed, still retransmitting (rare: a list is enough). */
  protected orphans: Stall[] = [];
  /** Per link: messages scheduled for delivery that have not arrived yet. */
  protected readonly inflight: Int32Array;
  /** The stall taking a link's next arrivals (Stall.catchUp), by link: rare, usually empty. */
  protected readonly capture = new Map<number, Stall>();
  protected readonly liveness: NodeLiveness[];
  /** Clients' connections (request links) that sent into a powered-off machine, with the time of the first such
   *  send: TCP retransmits into silence, and once the machine is back its kernel answers with a reset (the next
   *  retransmission, or the next send on the dead connection). Rare: a map is enough. */
  protected readonly intoSilence = new Map<number, number>();
  /** Clients' connections (request links) that sent to a dead process across a cut (the segment or the reset
   *  cannot cross), with the time of that send: TCP retransmits into the cut, and once it heals the host's kernel
   *  answers with a reset, the process being dead or restarted (a new process has no such connection). Rare. */
  protected readonly intoCut = new Map<number, number>();
  readonly stats: NetworkStats = { sent: 0, delivered: 0, droppedLoss: 0, droppedBroken: 0, droppedDown: 0, retransmitted: 0, resets: 0 };

  constructor(opts: NetworkOptions) {
    if (opts.nodes + 1 > MAX_NODES) throw new SimInputError("INVALID_CONFIG", `at most ${MAX_NODES - 1} nodes in one world, got ${opts.nodes}`);
    this.s = opts.scheduler;
    this.rng = opts.rng;
    this.n = opts.nodes + 1;
    this.defaultLatency = opts.latency ?? DEFAULT_LATENCY;
    validateLatencyDist(this.defaultLatency, "network.latency");
    const pairs = this.n * this.n;
    this.blocked = new Uint8Array(pairs);
    this.lossProb = new Float64Array(pairs);
    this.slowFactor = new Float64Array(pairs).fill(1);
    const links = CHANNELS * pairs;
    this.gen = new Int32Array(links);
    this.lastDeliverUs = new Float64Array(links);
    this.open = new Uint8Array(links);
    this.stalled = new Uint8Array(links);
    this.inflight = new Int32Array(links);
    this.liveness = new Array<NodeLiveness>(this.n).fill("up");
  }

  protected pair(from: number, to: number): number {
    return from * this.n + to;
  }
  protected link(from: number, to: number, ch: number): number {
    return ((from * this.n + to) << CH_BITS) | ch;
  }
  protected checkNode(i: number, what: string): void {
    if (!Number.isInteger(i) || i < 1 || i >= this.n) {
      throw new SimInputError("UNKNOWN_NODE", `${what}: no node with index ${i} (nodes are 1..${this.n - 1})`);
    }
  }

  /** Send a message on a channel (channel(kind, REQUEST): the sender's own connection of that kind;
   *  channel(kind, RESPONSE): the peer's). Delivered later as an EV_DELIVER event owned by `to`, with
   *  b = sender | channel << 10 | generation << 13. */
  send(from: number, to: number, msg: unknown, ch = 0): void {
    const p = from * this.n + to;
    const l = (p << CH_BITS) | ch;
    this.stats.sent++;
    this.open[l] = 1;
    if (this.intoSilence.size > 0 && this.intoSilence.has(l) && this.liveness[to] === "up") {
      // The connection died with the machine it was to, which is back: the send is answered with a reset.
      this.intoSilence.delete(l);
      this.stats.droppedBroken++;
      if (this.blocked[p] === 0 && this.blocked[this.pair(to, from)] === 0) this.notifyDisconnect(from, to, ch >> 1);
      return;
    }
    if (this.intoCut.size > 0 && this.intoCut.has(l)) {
      // Still retransmitting to a process that was dead: the connection is gone, the reset comes when it can.
      this.stats.droppedBroken++;
      if (this.liveness[to] !== "powered-off" && this.blocked[p] === 0 && this.blocked[this.pair(to, from)] === 0) {
        this.intoCut.delete(l);
        this.notifyDisconnect(from, to, ch >> 1);
      }
      return;
    }
    if (this.liveness[to] !== "up") {
      this.stats.droppedDown++;
      if ((ch & 1) === REQUEST && this.liveness[to] === "powered-off" && !this.intoSilence.has(l)) this.intoSilence.set(l, this.s.now);
      // A dead process's OS refuses a client's connection at once if the segment and the reset can cross, else
      // once the cut heals (TCP retransmits until then); a powered-off machine says nothing; an answer to a dead
      // client is just lost.
      if ((ch & 1) === REQUEST && this.liveness[to] === "killed") {
        if (this.blocked[p] === 0 && this.blocked[this.pair(to, from)] === 0) this.notifyDisconnect(from, to, ch >> 1);
        else this.sendIntoCut(l);
      }
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
    if (this.blocked[p] === 1) {
      this.stall(l, from, to, msg); // a cut link: TCP retransmits until it heals
      return;
    }
    const loss = this.lossProb[p] as number;
    if (loss > 0 && this.rng.chance(loss)) {
      this.stall(l, from, to, msg);
      return;
    }
    this.schedule(l, from, to, msg);
  }

  /** A first transmission (send's rule, for messages let go later: a released hold). */
  protected transmit(l: number, from: number, to: number, msg: unknown): void {
    const p = l >> CH_BITS;
    if (this.stalled[l] === 1) (this.stalls.get(l) as Stall).queue.push(msg);
    else if (this.blocked[p] === 1) this.stall(l, from, to, msg);
    else {
      const loss = this.lossProb[p] as number;
      if (loss > 0 && this.rng.chance(loss)) this.stall(l, from, to, msg);
      else this.schedule(l, from, to, msg);
    }
  }

  /** `l`'s client sent to a dead process across a cut: the reset reaches it at the first retransmission after the
   *  cut heals (fuzz seed 97001: an AlterPartition to a dead controller, silently dropped, was never re-sent). */
  private sendIntoCut(l: number): void {
    const firstUs = this.s.now;
    this.intoCut.set(l, firstUs);
    this.s.at(firstUs + rtoUs(1), WORLD_OWNER, EV_RETRANSMIT, () => this.resetIntoCut(l, 1, firstUs));
  }

  private resetIntoCut(l: number, lost: number, firstUs: number): void {
    if (this.intoCut.get(l) !== firstUs) return; // answered meanwhile, or the client closed it
    const p = l >> CH_BITS;
    const from = Math.floor(p / this.n);
    const to = p % this.n;
    if (this.liveness[from] !== "up") {
      this.intoCut.delete(l);
      return;
    }
    if (this.liveness[to] === "powered-off" || this.blocked[p] === 1 || this.blocked[this.pair(to, from)] === 1) {
      if (lost < TCP_RETRIES2) this.s.at(this.s.now + rtoUs(lost + 1), WORLD_OWNER, EV_RETRANSMIT, () => this.resetIntoCut(l, lost + 1, firstUs));
      else this.intoCut.delete(l);
      return;
    }
    this.intoCut.delete(l);
    this.stats.resets++;
    this.notifyDisconnect(from, to, (l >> 1) & (MAX_CONNECTION_KINDS - 1));
  }

  protected newStall(l: number, from: number, to: number, queue: unknown[], orphan: boolean): Stall {
    const st: Stall = { l, from, to, queue, lost: 1, fire: () => this.retransmit(l, st), live: true, orphan, catchUp: 0, insertAt: 0 };
    this.s.at(this.s.now + rtoUs(1), WORLD_OWNER, EV_RETRANSMIT, st.fire);
    return st;
  }

  /** The first transmission of `msg` on link `l` was lost: retransmit it after the RTO; hold what follows. */
  protected stall(l: number, from: number, to: number, msg: unknown): Stall {
    const st = this.newStall(l, from, to, [msg], false);
    this.stalls.set(l, st);
    this.stalled[l] = 1;
    return st;
  }

  /** A retransmission timer expired: give up (reset) after tcp_retries2 retransmissions, else retransmit the
   *  head — lost again while the link is cut, or with the link's loss probability (a healed link delivers it).
   *  Once it gets through, what waited behind it goes out in order, each a transmission that may be lost in its
   *  turn. */
  protected retransmit(l: number, st: Stall): void {
    if (!st.live) return; // the connection broke meanwhile; its messages are counted there
    if (st.lost > TCP_RETRIES2) {
      this.resetConnection(l, st);
      return;
    }
    if (st.catchUp > 0) {
      // Messages sent after the head are still on the (slow) wire: the head waits for them to join the queue.
      this.s.at(this.s.now + rtoUs(st.lost), WORLD_OWNER, EV_RETRANSMIT, st.fire);
      return;
    }
    const p = l >> CH_BITS;
    this.stats.retransmitted++;
    if (this.blocked[p] === 1 || ((this.lossProb[p] as number) > 0 && this.rng.chance(this.lossProb[p] as number))) {
      st.lost++;
      this.s.at(this.s.now + rtoUs(st.lost), WORLD_OWNER, EV_RETRANSMIT, st.fire);
      return;
    }
    const q = st.queue;
    for (let i = 0; i < q.length; i++) {
      const m = q[i];
      if (m === CLOSE_MARK) {
        this.notifyDisconnect(st.to, st.from, (l >> 1) & (MAX_CONNECTION_KINDS - 1));
        continue;
      }
      const loss = this.lossProb[p] as number;
      if (i > 0 && loss > 0 && this.rng.chance(loss)) {
        q.splice(0, i);
        st.lost = 1;
        this.s.at(this.s.now + rtoUs(1), WORLD_OWNER, EV_RETRANSMIT, st.fire);
        return;
      }
      this.forward(l, st, m);
    }
    this.endStall(l, st);
  }

  /** A message on the wire reached a link that is cut now: it is lost, and retransmitted ahead of what waits for
   *  a retransmission on the link (all of it sent later); what is still on the wire behind it joins after it. */
  protected lostOnArrival(l: number, from: number, to: number, msg: unknown): void {
    let st = this.stalls.get(l);
    if (st === undefined) st = this.stall(l, from, to, msg);
    else st.queue.unshift(msg);
    st.insertAt = 1;
    const behind = this.inflight[l] as number;
    if (behind > 0) {
      st.catchUp = behind;
      this.capture.set(l, st);
    }
  }

  /** The stall is over: its link sends straight again (an orphan just leaves the list). */
  protected endStall(l: number, st: Stall): void {
    st.live = false;
    if (st.catchUp > 0) {
      st.catchUp = 0;
      if (this.capture.get(l) === st) this.capture.delete(l);
    }
    if (st.orphan) {
      this.orphans = this.orphans.filter((o) => o !== st);
      return;
    }
    this.stalls.delete(l);
    this.stalled[l] = 0;
  }

  /** The connection of link `l` was closed: what waits for a retransmission there keeps trying on the old
   *  connection (the kernel still sends a closed socket's data, then the FIN), and the link is free for a new
   *  connection. */
  protected orphanStall(l: number): Stall | undefined {
    const st = this.stalls.get(l);
    if (st === undefined) return undefined;
    this.stalls.delete(l);
    this.stalled[l] = 0;
    st.orphan = true;
    this.orphans.push(st);
    return st;
  }

  /** A message that got through a stalled link: delivered (or queued, if the link is held meanwhile). */
  protected forward(l: number, st: Stall, m: unknown): void {
    const held = this.held.size === 0 ? undefined : this.held.get(l);
    if (held !== undefined) held.push(m);
    else this.schedule(l, st.from, st.to, m);
  }

  /** tcp_retries2 exhausted: the connection is reset. Both of its directions break (what is in flight either way
   *  is lost) and its client hears of it, if the reset can reach it. */
  protected resetConnection(l: number, st: Stall): void {
    const { from, to } = st;
    let closed = false;
    for (const m of st.queue) {
      if (m !== CLOSE_MARK) this.stats.droppedLoss++;
      else closed = true;
    }
    this.stats.resets++;
    this.endStall(l, st);
    const kind = (l >> 1) & (MAX_CONNECTION_KINDS - 1);
    if (st.orphan) {
      // A closed connection: only a client still waiting for the server's FIN hears of the reset.
      if (closed && this.liveness[to] === "up" && this.blocked[l >> CH_BITS] === 0) this.notifyDisconnect(to, from, kind);
      return;
    }
    const client = (l & 1) === REQUEST ? from : to;
    const server = (l & 1) === REQUEST ? to : from;
    this.breakConnection(client, server, kind);
    if (this.liveness[client] === "up" && this.blocked[this.pair(server, client)] === 0) this.notifyDisconnect(client, server, kind);
  }

  protected schedule(l: number, from: number, to: number, msg: unknown): void {
    this.inflight[l] = (this.inflight[l] as number) + 1;
    const p = l >> CH_BITS;
    const d = this.latencyOverride.size === 0 ? this.defaultLatency : (this.latencyOverride.get(p) ?? this.defaultLatency);
    let lat: number = this.rng.latencyUs(d);
    const slow = this.slowFactor[p] as number;
    if (slow !== 1) lat = Math.round(lat * slow);
    let at: number = this.s.now + lat;
    const last = this.lastDeliverUs[l] as number;
    if (at <= last) at = last + 1; // FIFO per connection
    this.lastDeliverUs[l] = at;
    this.s.at(at, to, EV_DELIVER, msg, from | ((l & (CHANNELS - 1)) << 10) | ((this.gen[l] as number) << 13));
  }

  /** Called by the world on delivery: false if the connection broke since the message was sent, or if the
   *  message is held back for a retransmission (a cut link, or an earlier message on it being retransmitted). */
  accept(from: number, to: number, b: number, msg: unknown): boolean {
    const l = ((from * this.n + to) << CH_BITS) | ((b >>> 10) & (CHANNELS - 1));
    this.inflight[l] = (this.inflight[l] as number) - 1;
    if (b >>> 13 !== (this.gen[l] as number)) {
      this.stats.droppedBroken++;
      return false;
    }
    if (this.capture.size !== 0) {
      const st = this.capture.get(l);
      if (st !== undefined) {
        st.queue.splice(st.insertAt++, 0, msg);
        if (--st.catchUp === 0) this.capture.delete(l);
        return false;
      }
    }
    if (this.blocked[l >> CH_BITS] === 1) {
      this.lostOnArrival(l, from, to, msg);
      return false;
    }
    this.stats.delivered++;
    return true;
  }

  protected breakLink(l: number): void {
    this.gen[l] = ((this.gen[l] as number) + 1) & GEN_MASK; // it shares the event's number with sender and channel
    this.open[l] = 0;
    // Held messages are in flight on the broken connection too: lost (the hold itself stays in place).
    const q = this.held.size === 0 ? undefined : this.held.get(l);
    if (q !== undefined && q.length > 0) {
      this.stats.droppedBroken += q.length;
      q.length = 0;
    }
    // So are the messages waiting for a retransmission (its timer finds the stall gone and does nothing),
    // on the current connection and on old ones that were closed.
    const st = this.stalls.get(l);
    if (st !== undefined) this.dropStall(l, st);
    if (this.orphans.length > 0) for (const o of this.orphans.filter((x) => x.l === l)) this.dropStall(l, o);
  }

  /** Break a connection: both of its directions (the client's requests, the server's answers). */
  protected breakConnection(client: number, server: number, kind: number): void {
    this.breakLink(this.link(client, server, channel(kind, REQUEST)));
    this.breakLink(this.link(server, client, channel(kind, RESPONSE)));
  }

  protected dropStall(l: number, st: Stall): void {
    for (const m of st.queue) if (m !== CLOSE_MARK) this.stats.droppedBroken++;
    this.endStall(l, st);
  }

  /** The server closed a connection of its client: the client's DISCONNECT follows what the server sent on it,
   *  even messages still waiting for a retransmission; across a cut link it is retransmitted like data (the FIN
   *  arrives after the heal). */
  protected notifyClosed(client: number, server: number, kind: number): void {
    const l = this.link(server, client, channel(kind, RESPONSE));
    if (this.stalled[l] === 1) {
      (this.stalls.get(l) as Stall).queue.push(CLOSE_MARK);
      this.orphanStall(l);
    } else if (this.blocked[l >> CH_BITS] === 1) {
      this.orphans.push(this.newStall(l, server, client, [CLOSE_MARK], true));
    } else this.notifyDisconnect(client, server, kind);
  }

  /** Tell `client` its connection of `kind` to `server` ended (a reset or a FIN), after what the server sent on
   *  it: an EV_DISCONNECT owned by the client with b = server | kind << 10. */
  protected notifyDisconnect(client: number, server: number, kind: number): void {
    const l = this.link(server, client, channel(kind, RESPONSE));
    const p = l >> CH_BITS;
    const d = this.latencyOverride.size === 0 ? this.defaultLatency : (this.latencyOverride.get(p) ?? this.defaultLatency);
    let at: number = this.s.now + this.rng.latencyUs(d);
    // The reset/FIN travels on the connection: after whatever the server sent before it (TCP order).
    const last = this.lastDeliverUs[l] as number;
    if (at <= last) at = last + 1;
    this.lastDeliverUs[l] = at;
    this.s.at(at, client, EV_DISCONNECT, undefined, server | (kind << 10));
  }
}
