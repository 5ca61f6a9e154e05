// The faulty network: one directed link per ordered pair of nodes, FIFO per link (Kafka runs over TCP),
// latency drawn per message from the link's distribution, optional loss, slow links, partitions
// (groups, one-way, isolate, heal) and hold/release.
//
// Connection semantics: a link has a generation. Breaking a connection (a partition starting, a node going
// down) bumps it, and every message in flight on it is dropped at delivery. The sender is never told
// silently-nothing: when the peer's process dies (kill) its OS resets the connection and the sender gets a
// DISCONNECT event one latency later; when the peer's machine vanishes (power loss, partition) nobody sends
// a reset and the sender finds out the way a real client does: its request times out.
import type { Scheduler } from "../core/scheduler.ts";
import type { LatencyDist, Rng } from "../core/rng.ts";
import { validateLatencyDist } from "../core/rng.ts";
import { SimInputError } from "../core/errors.ts";

/** Scheduler event kinds used by the network. The world's dispatcher interprets them. */
export const EV_DELIVER = 1;
export const EV_DISCONNECT = 3;

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
  droppedLoss: number;
  droppedBroken: number;
  droppedDown: number;
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
  private readonly liveness: NodeLiveness[];
  readonly stats: NetworkStats = { sent: 0, delivered: 0, droppedPartition: 0, droppedLoss: 0, droppedBroken: 0, droppedDown: 0 };

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
    const held = this.held.get(l);
    if (held !== undefined) {
      held.push(msg);
      return;
    }
    const loss = this.lossProb[l] as number;
    if (loss > 0 && this.rng.chance(loss)) {
      this.stats.droppedLoss++;
      return;
    }
    this.schedule(l, from, to, msg);
  }

  private schedule(l: number, from: number, to: number, msg: unknown): void {
    const d = this.latencyOverride.get(l) ?? this.defaultLatency;
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
  }

  private notifyDisconnect(peer: number, dead: number): void {
    const l = this.link(dead, peer);
    const d = this.latencyOverride.get(l) ?? this.defaultLatency;
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
      if (how !== "powered-off" && wasOpen && this.blocked[out] === 0) this.notifyDisconnect(p, node);
    }
  }

  /** `closer` closes its connection to `peer` (e.g. a broker dropping an acks=0 producer after an error, as
   *  KafkaApis does): what it sent is still delivered, then the peer sees a DISCONNECT; what the peer had in
   *  flight towards it is lost. */
  closeConnection(closer: number, peer: number): void {
    this.checkNode(closer, "closeConnection");
    this.checkNode(peer, "closeConnection");
    this.breakLink(peer, closer);
    this.open[this.link(closer, peer)] = 0;
    if (this.blocked[this.link(closer, peer)] === 0) this.notifyDisconnect(peer, closer);
  }

  nodeUp(node: number): void {
    this.checkNode(node, "nodeUp");
    this.liveness[node] = "up";
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

  /** Heal only the links of one node (both directions). */
  healNode(node: number): void {
    this.checkNode(node, "heal");
    for (let p = 1; p < this.n; p++) {
      this.blocked[this.link(node, p)] = 0;
      this.blocked[this.link(p, node)] = 0;
    }
  }

  /** Multiply the latency of from → to (a slow link). */
  slow(from: number, to: number, factor: number): void {
    this.checkNode(from, "slow");
    this.checkNode(to, "slow");
    if (!(factor > 0) || !Number.isFinite(factor)) throw new SimInputError("INVALID_FAULT", `slow factor must be a finite number > 0, got ${factor}`);
    this.slowFactor[this.link(from, to)] = factor;
  }

  /** Drop each message on from → to with this probability (a flaky link). */
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
    for (const m of q) {
      if (this.liveness[to] === "up" && this.blocked[l] === 0) this.schedule(l, from, to, m);
    }
  }
}
