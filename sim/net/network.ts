// The faulty network: TCP connections between nodes (links.ts: FIFO per connection and direction, latency drawn
// per message from the link's distribution, TCP's retransmission), and what happens to them: nodes going down
// and up, connections closed by an endpoint, and the faults — lossy links, slow links, partitions (groups,
// one-way, isolate, heal) and hold/release.
//
// A connection has a generation. Breaking it (a node going down, a reset, an endpoint closing it) bumps it, and
// every message in flight on it is dropped at delivery. The client is never told silently-nothing: when the
// server's process dies (kill) its OS resets the connection and the client gets a DISCONNECT one latency later;
// when the server's machine vanishes (power loss) nobody sends a reset and the client finds out the way a real
// client does: its request times out — unless the machine is back first: what the client sent into the silence
// is retransmitted, and the new kernel answers the next retransmission (or the next send) with a reset. Only a connection's client hears of its end (a server keeps no state
// about its clients' connections here).
//
// Loss is TCP's: a transmission lost on a flaky link, or on a link a partition cuts, is retransmitted after the
// retransmission timeout (doubling), later messages on the link wait behind it (head-of-line blocking), and
// after tcp_retries2 failed retransmissions the connection is reset. A partition does not break connections:
// what is sent into it (or is on the wire when it starts) arrives after the heal, at the next retransmission,
// unless an endpoint closes the connection first (a request timeout) or the peer's process dies. Nothing is
// ever dropped silently.
import type { LatencyDist } from "../core/rng.ts";
import { validateLatencyDist } from "../core/rng.ts";
import { WORLD_OWNER } from "../core/scheduler.ts";
import { SimInputError } from "../core/errors.ts";
import { CH_BITS, CHANNELS, CLOSE_MARK, Links } from "./links.ts";
import { EV_RETRANSMIT, MAX_CONNECTION_KINDS, REQUEST, RESPONSE, TCP_RETRIES2, channel, rtoUs } from "./tcp.ts";

export class Network extends Links {
  /** A node's process or machine went down: break all its connections. The clients of its connections get a
   *  DISCONNECT on kill (the OS resets the sockets; across a cut, when it heals); on power loss they must time
   *  out. On a clean stop ("stopped") what the node sent before exiting (its goodbyes) is still delivered, then
   *  the DISCONNECT. */
  nodeDown(node: number, how: "killed" | "powered-off" | "stopped"): void {
    this.checkNode(node, "nodeDown");
    this.liveness[node] = how === "stopped" ? "killed" : how;
    if (this.intoSilence.size > 0) for (const l of this.intoSilence.keys()) if (Math.floor((l >> CH_BITS) / this.n) === node) this.intoSilence.delete(l);
    if (this.intoCut.size > 0) for (const l of this.intoCut.keys()) if (Math.floor((l >> CH_BITS) / this.n) === node) this.intoCut.delete(l);
    for (let p = 1; p < this.n; p++) {
      if (p === node) continue;
      for (let kind = 0; kind < MAX_CONNECTION_KINDS; kind++) {
        const req = channel(kind, REQUEST);
        const resp = channel(kind, RESPONSE);
        // p's connection of this kind to node (p the client), then node's own to p.
        const wasOpen = this.open[this.link(p, node, req)] === 1 || this.open[this.link(node, p, resp)] === 1;
        // p's requests on the wire or waiting for a retransmission when the machine vanished: TCP goes on
        // retransmitting them into silence, and the machine, once back, answers with a reset.
        const unacked = (this.inflight[this.link(p, node, req)] as number) > 0 || this.stalls.has(this.link(p, node, req));
        if (how === "powered-off" && unacked && !this.intoSilence.has(this.link(p, node, req))) this.intoSilence.set(this.link(p, node, req), this.s.now);
        for (const ch of [req, resp]) {
          const inbound = this.link(p, node, ch);
          this.breakLink(inbound);
          this.inflight[inbound] = 0; // the scheduler drops the dead node's pending deliveries
          const out = this.link(node, p, ch);
          if (how === "stopped") this.open[out] = 0;
          else this.breakLink(out);
        }
        if (how !== "powered-off" && wasOpen) this.notifyClosed(p, node, kind);
        if (how === "stopped") {
          // What the stopped process had not got through drains on its closed connections, alone.
          this.orphanStall(this.link(node, p, req));
          this.orphanStall(this.link(node, p, resp));
        }
      }
    }
  }

  /** `closer` closes a connection to `peer`: its own (side "client": a request that timed out, the controller
   *  dropping a failed broker) or the peer's (side "server": a broker dropping an acks=0 producer after an
   *  error, as KafkaApis does). What the other end had in flight towards the closer on it is lost; what the
   *  closer still had waiting for a retransmission goes on alone on the old connection (the kernel keeps sending
   *  a closed socket's data) and arrives later; the link is free for a new connection at once. When the closer
   *  is the server, the client hears of it after what the server sent (the FIN). */
  closeConnection(closer: number, peer: number, side: "client" | "server" = "client", kind = 0): void {
    this.checkNode(closer, "closeConnection");
    this.checkNode(peer, "closeConnection");
    if (!(Number.isInteger(kind) && kind >= 0 && kind < MAX_CONNECTION_KINDS)) throw new SimInputError("INVALID_CONFIG", `connection kind must be 0..${MAX_CONNECTION_KINDS - 1}, got ${kind}`);
    if (side === "client") {
      this.breakLink(this.link(peer, closer, channel(kind, RESPONSE)));
      const l = this.link(closer, peer, channel(kind, REQUEST));
      this.open[l] = 0;
      if (this.intoSilence.size > 0) this.intoSilence.delete(l); // a reset would reach a closed socket
      if (this.intoCut.size > 0) this.intoCut.delete(l);
      this.orphanStall(l);
      return;
    }
    this.breakLink(this.link(peer, closer, channel(kind, REQUEST)));
    this.open[this.link(closer, peer, channel(kind, RESPONSE))] = 0;
    this.notifyClosed(peer, closer, kind);
  }

  nodeUp(node: number): void {
    this.checkNode(node, "nodeUp");
    this.liveness[node] = "up";
    // Connections that sent into the powered-off machine get a reset at their next retransmission.
    for (const [l, firstUs] of this.intoSilence) {
      if ((l >> CH_BITS) % this.n !== node) continue;
      let lost = 1;
      let at = firstUs + rtoUs(1);
      while (at <= this.s.now && lost <= TCP_RETRIES2) at += rtoUs(++lost);
      this.s.at(at, WORLD_OWNER, EV_RETRANSMIT, () => this.resetIntoSilence(l, lost));
    }
    // What a stopped process had left on its closed connections dies with the restart: the new process has none
    // of those sockets (the peer's answers to them could otherwise reach it, with request numbers it reuses).
    // A client still waiting for those connections' FIN gets a reset instead.
    for (const o of this.orphans.filter((x) => x.from === node)) {
      const closing = o.queue.includes(CLOSE_MARK);
      this.dropStall(o.l, o);
      if (closing && this.liveness[o.to] === "up" && this.blocked[o.l >> CH_BITS] === 0) this.notifyDisconnect(o.to, o.from, (o.l >> 1) & (MAX_CONNECTION_KINDS - 1));
    }
  }

  /** A retransmission on a connection that died with a rebooted machine: reset, if the reset can cross (else TCP
   *  tries again after the next RTO, and gives up after tcp_retries2). */
  private resetIntoSilence(l: number, lost: number): void {
    if (!this.intoSilence.has(l)) return; // the client closed it, or a send found it dead first
    const from = Math.floor((l >> CH_BITS) / this.n);
    const to = (l >> CH_BITS) % this.n;
    if (this.liveness[from] !== "up" || this.liveness[to] !== "up") {
      this.intoSilence.delete(l);
      return;
    }
    if (this.blocked[l >> CH_BITS] === 1 || this.blocked[this.pair(to, from)] === 1) {
      if (lost < TCP_RETRIES2) this.s.at(this.s.now + rtoUs(lost + 1), WORLD_OWNER, EV_RETRANSMIT, () => this.resetIntoSilence(l, lost + 1));
      else this.intoSilence.delete(l);
      return;
    }
    this.intoSilence.delete(l);
    this.stats.resets++;
    this.notifyDisconnect(from, to, (l >> 1) & (MAX_CONNECTION_KINDS - 1));
  }

  isUp(node: number): boolean {
    return this.liveness[node] === "up";
  }

  /** Cut from → to only (an asymmetric partition): nothing gets through until a heal; connections survive, and
   *  what is sent into the cut, or was on the wire, is retransmitted by TCP and arrives after the heal. */
  blockOneWay(from: number, to: number): void {
    this.checkNode(from, "partition");
    this.checkNode(to, "partition");
    if (from === to) throw new SimInputError("INVALID_PARTITION", `a node cannot be partitioned from itself (node ${from})`);
    this.blocked[this.pair(from, to)] = 1;
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
    return this.blocked[this.pair(from, to)] === 1;
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
      for (const x of [this.pair(node, p), this.pair(p, node)]) {
        this.blocked[x] = 0;
        this.lossProb[x] = 0;
        this.slowFactor[x] = 1;
      }
    }
  }

  /** Multiply the latency of from → to (a slow link). */
  slow(from: number, to: number, factor: number): void {
    this.checkNode(from, "slow");
    this.checkNode(to, "slow");
    if (!(factor > 0) || !Number.isFinite(factor)) throw new SimInputError("INVALID_FAULT", `slow factor must be a finite number > 0, got ${factor}`);
    this.slowFactor[this.pair(from, to)] = factor;
  }

  /** A lossy link: each transmission on from → to is lost with this probability and retransmitted as TCP
   *  does (after the RTO, doubling per consecutive loss; the connection is reset after tcp_retries2). */
  flaky(from: number, to: number, lossProb: number): void {
    this.checkNode(from, "flaky");
    this.checkNode(to, "flaky");
    if (!(lossProb >= 0 && lossProb <= 1)) throw new SimInputError("INVALID_FAULT", `loss probability must be in [0, 1], got ${lossProb}`);
    this.lossProb[this.pair(from, to)] = lossProb;
  }

  setLatency(from: number, to: number, d: LatencyDist): void {
    this.checkNode(from, "latency");
    this.checkNode(to, "latency");
    validateLatencyDist(d, `latency ${from}->${to}`);
    this.latencyOverride.set(this.pair(from, to), d);
  }

  /** Queue messages on from → to (every channel) instead of delivering them, until release. */
  hold(from: number, to: number): void {
    this.checkNode(from, "hold");
    this.checkNode(to, "hold");
    for (let ch = 0; ch < CHANNELS; ch++) {
      const l = this.link(from, to, ch);
      if (!this.held.has(l)) this.held.set(l, []);
    }
  }

  release(from: number, to: number): void {
    for (let ch = 0; ch < CHANNELS; ch++) this.releaseLink(this.link(from, to, ch));
  }

  private releaseLink(l: number): void {
    const q = this.held.get(l);
    if (q === undefined) return;
    this.held.delete(l);
    const from = Math.floor((l >> CH_BITS) / this.n);
    const to = (l >> CH_BITS) % this.n;
    for (const m of q) {
      if (this.liveness[to] !== "up") continue;
      this.transmit(l, from, to, m);
    }
  }
}
