// The runtime: nodes, scheduler, network, disks and trace assembled; carries the actors' effects out and
// applies lifecycle faults (kill, power loss, clean stop, restart, pause/resume).
import { Scheduler, WORLD_OWNER } from "./scheduler.ts";
import type { SchedEntry, StopReason } from "./scheduler.ts";
import { Rng } from "./rng.ts";
import type { LatencyDist, Seed } from "./rng.ts";
import { Trace } from "./trace.ts";
import type { TraceEventBase } from "./trace.ts";
import type { TimeUs } from "./time.ts";
import type { NodeId } from "./ids.ts";
import { SimInputError, assertNever } from "./errors.ts";
import type { Actor, ActorFactory, CloseOptions, NodeContext, NodeStatus } from "./node.ts";
import { Network } from "../net/network.ts";
import { EV_DELIVER, EV_DISCONNECT } from "../net/tcp.ts";
import { Disk } from "../disk/disk.ts";

export const EV_TIMER = 2;
/** A world callback: `a` is a function run at that time (faults, workload ticks). Owned by the world. */
export const EV_CALL = 4;

export type KernelTraceEvent =
  | { readonly type: "node-kill"; readonly node: NodeId }
  | { readonly type: "node-power-loss"; readonly node: NodeId; readonly lostRecords: number }
  | { readonly type: "node-stop"; readonly node: NodeId }
  | { readonly type: "node-restart"; readonly node: NodeId }
  | { readonly type: "node-pause"; readonly node: NodeId }
  | { readonly type: "node-resume"; readonly node: NodeId };

export interface RuntimeOptions<M = unknown> {
  readonly seed: Seed;
  /** Record trace events (off for fuzzing speed; the hash is computed regardless). */
  readonly record?: boolean;
  readonly latency?: LatencyDist;
  /** Break same-time ties with a seeded shuffle instead of insertion order. */
  readonly shuffleTies?: boolean;
  readonly maxEvents?: number;
  readonly maxTimeUs?: TimeUs;
  /** Trace event types too frequent to keep as evidence (see Trace). */
  readonly hotEvents?: ReadonlySet<string>;
  /** The channel a message travels on, from node index `from` to `to` (sim/net/network.ts: a connection kind
   *  and a direction, channel(kind, REQUEST | RESPONSE)). Default: 0, every message a request on one connection. */
  readonly channelOf?: (msg: M, from: number, to: number) => number;
}

interface NodeSlot<M, E> {
  readonly id: NodeId;
  readonly index: number;
  readonly factory: ActorFactory<M, E>;
  readonly disk: Disk;
  readonly ctx: NodeContext<M, E>;
  actor: Actor<M, E> | undefined;
  status: NodeStatus;
  /** Events that arrived while paused, replayed in order on resume: [kind, a, b] triples. */
  stash: unknown[];
}

export class Runtime<M, E extends TraceEventBase> {
  readonly rng: Rng;
  readonly scheduler: Scheduler;
  readonly network: Network;
  readonly trace: Trace<E | KernelTraceEvent>;
  private readonly slots: NodeSlot<M, E>[] = [];
  private readonly byId = new Map<NodeId, NodeSlot<M, E>>();
  private readonly nodeIds: readonly NodeId[];
  readonly channelOf: (msg: M, from: number, to: number) => number;

  /** All node ids must be known up front (the network is sized by them). */
  constructor(nodeIds: readonly NodeId[], opts: RuntimeOptions<M>) {
    this.rng = new Rng(opts.seed);
    this.trace = new Trace<E | KernelTraceEvent>(opts.record ?? false, opts.hotEvents);
    const schedOpts: { shuffleTies?: Rng; maxEvents?: number; maxTimeUs?: TimeUs; hash: Trace<E>["hash"] } = { hash: this.trace.hash };
    if (opts.shuffleTies) schedOpts.shuffleTies = this.rng.fork("scheduler-ties");
    if (opts.maxEvents !== undefined) schedOpts.maxEvents = opts.maxEvents;
    if (opts.maxTimeUs !== undefined) schedOpts.maxTimeUs = opts.maxTimeUs;
    this.scheduler = new Scheduler(schedOpts);
    const seen = new Set<NodeId>();
    for (const id of nodeIds) {
      if (seen.has(id)) throw new SimInputError("DUPLICATE_NODE", `node id "${id}" is used twice; node ids must be unique`);
      seen.add(id);
    }
    this.nodeIds = nodeIds;
    this.channelOf = opts.channelOf ?? (() => 0);
    const netOpts = { scheduler: this.scheduler, rng: this.rng.fork("net"), nodes: nodeIds.length };
    this.network = new Network(opts.latency ? { ...netOpts, latency: opts.latency } : netOpts);
    this.scheduler.ensureOwner(nodeIds.length);
    this.scheduler.setDispatcher((e) => this.dispatch(e));
  }

  get nowUs(): TimeUs {
    return this.scheduler.now;
  }

  index(id: NodeId): number {
    const s = this.byId.get(id);
    if (s === undefined) throw new SimInputError("UNKNOWN_NODE", `unknown node "${id}"; known nodes: ${this.nodeIds.join(", ")}`);
    return s.index;
  }
  idOf(index: number): NodeId {
    return (this.slots[index - 1] as NodeSlot<M, E>).id;
  }
  has(id: NodeId): boolean {
    return this.byId.has(id);
  }
  status(id: NodeId): NodeStatus {
    return this.slot(id).status;
  }
  disk(id: NodeId): Disk {
    return this.slot(id).disk;
  }
  /** The live actor (undefined while down). For final-state collection and tests, not for the sim itself. */
  actor(id: NodeId): Actor<M, E> | undefined {
    return this.slot(id).actor;
  }
  get ids(): readonly NodeId[] {
    return this.nodeIds;
  }

  private slot(id: NodeId): NodeSlot<M, E> {
    const s = this.byId.get(id);
    if (s === undefined) throw new SimInputError("UNKNOWN_NODE", `unknown node "${id}"; known nodes: ${this.nodeIds.join(", ")}`);
    return s;
  }

  /** Register a node's actor factory (ids must be among those given to the constructor). */
  addNode(id: NodeId, factory: ActorFactory<M, E>): void {
    const index = this.nodeIds.indexOf(id) + 1;
    if (index === 0) throw new SimInputError("UNKNOWN_NODE", `node "${id}" was not declared; declared: ${this.nodeIds.join(", ")}`);
    if (this.byId.has(id)) throw new SimInputError("DUPLICATE_NODE", `node "${id}" was added twice`);
    const disk = new Disk();
    const rng = this.rng.fork(`node/${id}`);
    const ctx = new SlotContext<M, E>(this, id, index, rng, disk);
    const slot: NodeSlot<M, E> = { id, index, factory, disk, ctx, actor: undefined, status: "stopped", stash: [] };
    this.slots[index - 1] = slot;
    this.byId.set(id, slot);
  }

  /** Boot every added node (at the current time, in declaration order) but those held back, which stay down
   *  (connections to them are refused) until start(id). */
  startAll(holdBack: readonly NodeId[] = []): void {
    for (const s of this.slots) {
      if (s === undefined || s.status !== "stopped") continue;
      if (holdBack.includes(s.id)) this.network.nodeDown(s.index, "killed");
      else this.boot(s);
    }
  }

  /** Boot one added node that is down, without a restart event: the first start of a node the world held back
   *  (a pinned controller starts first, the other brokers once it is elected). */
  start(id: NodeId): void {
    const s = this.slot(id);
    if (s.status === "stopped") this.boot(s);
  }

  private boot(s: NodeSlot<M, E>): void {
    s.status = "up";
    this.network.nodeUp(s.index);
    s.actor = s.factory(s.ctx);
    s.actor.onStart(s.ctx);
  }

  /** Run `fn` against a live node's actor with its context, now (admin operations such as a forced session
   *  expiry). Returns false when the node is not up. */
  inject(id: NodeId, fn: (actor: Actor<M, E>, ctx: NodeContext<M, E>) => void): boolean {
    const s = this.slot(id);
    if (s.status !== "up" || s.actor === undefined) return false;
    fn(s.actor, s.ctx);
    return true;
  }

  /** Run a function at an absolute virtual time (faults, workload ticks). */
  call(atUs: number, fn: () => void): number {
    return this.scheduler.at(atUs, WORLD_OWNER, EV_CALL, fn);
  }

  private dispatch(e: SchedEntry): void {
    if (e.owner === WORLD_OWNER) {
      (e.a as () => void)();
      return;
    }
    const s = this.slots[e.owner - 1] as NodeSlot<M, E>;
    if (s.status === "paused") {
      s.stash.push(e.kind, e.a, e.b);
      return;
    }
    const actor = s.actor;
    if (actor === undefined) return;
    switch (e.kind) {
      case EV_DELIVER: {
        const from = e.b & 1023;
        if (!this.network.accept(from, e.owner, e.b, e.a)) return;
        actor.onMessage(s.ctx, (this.slots[from - 1] as NodeSlot<M, E>).id, e.a as M);
        return;
      }
      case EV_TIMER:
        actor.onTimer(s.ctx, e.a);
        return;
      case EV_DISCONNECT:
        actor.onDisconnect?.(s.ctx, (this.slots[(e.b & 1023) - 1] as NodeSlot<M, E>).id, e.b >>> 10);
        return;
      default:
        throw new Error(`unknown scheduler event kind ${e.kind}`);
    }
  }

  private down(s: NodeSlot<M, E>, status: "killed" | "powered-off" | "stopped"): void {
    s.actor = undefined;
    s.stash = [];
    s.status = status;
    this.scheduler.bumpIncarnation(s.index);
    this.network.nodeDown(s.index, status);
  }

  /** The process dies (SIGKILL): volatile state and timers vanish, the page cache survives. */
  kill(id: NodeId): void {
    const s = this.slot(id);
    if (s.status === "killed" || s.status === "powered-off" || s.status === "stopped") return;
    s.disk.kill();
    this.down(s, "killed");
    this.trace.emit(this.nowUs, { type: "node-kill", node: id });
  }

  /** The machine loses power: like kill, and every unflushed write is gone. */
  powerLoss(id: NodeId): void {
    const s = this.slot(id);
    if (s.status === "powered-off") return;
    const lost = s.disk.powerLoss();
    let n = 0;
    for (const v of lost.values()) n += v;
    this.down(s, "powered-off");
    this.trace.emit(this.nowUs, { type: "node-power-loss", node: id, lostRecords: n });
  }

  /** A clean shutdown: the actor may say goodbye, then the disk is flushed (Kafka flushes on shutdown). */
  stop(id: NodeId): void {
    const s = this.slot(id);
    if (s.status !== "up" && s.status !== "paused") return;
    s.actor?.onShutdown?.(s.ctx);
    s.disk.flushAll();
    this.down(s, "stopped");
    this.trace.emit(this.nowUs, { type: "node-stop", node: id });
  }

  /** Start a stopped/killed/powered-off node again: a fresh actor built from its disk. */
  restart(id: NodeId): void {
    const s = this.slot(id);
    if (s.status === "up" || s.status === "paused") return;
    this.trace.emit(this.nowUs, { type: "node-restart", node: id });
    this.boot(s);
  }

  /** A GC pause or frozen VM: the node sees nothing until resumed, then everything at once, unaware. */
  pause(id: NodeId): void {
    const s = this.slot(id);
    if (s.status !== "up") return;
    s.status = "paused";
    this.trace.emit(this.nowUs, { type: "node-pause", node: id });
  }

  resume(id: NodeId): void {
    const s = this.slot(id);
    if (s.status !== "paused") return;
    s.status = "up";
    this.trace.emit(this.nowUs, { type: "node-resume", node: id });
    const stash = s.stash;
    s.stash = [];
    // Re-queue in arrival order at the current time (kept in order even with shuffled ties); the node's
    // incarnation is unchanged, so they stay live.
    this.scheduler.atInOrder(this.nowUs, s.index, stash);
  }

  /** Apply a lifecycle action by name (used by the fault interpreter). */
  lifecycle(action: "kill" | "power" | "stop" | "restart" | "pause" | "resume", id: NodeId): void {
    switch (action) {
      case "kill":
        return this.kill(id);
      case "power":
        return this.powerLoss(id);
      case "stop":
        return this.stop(id);
      case "restart":
        return this.restart(id);
      case "pause":
        return this.pause(id);
      case "resume":
        return this.resume(id);
      default:
        return assertNever(action, "lifecycle action");
    }
  }

  runUntil(limit: TimeUs | (() => boolean)): StopReason {
    return this.scheduler.runUntil(limit);
  }
}

/** A node's context: what its actor may do, carried out by the runtime. A class (not a literal of closures) so
 *  the hot calls (nowUs, send, setTimer) are monomorphic methods; `send` remembers the last peer's index. */
class SlotContext<M, E extends TraceEventBase> implements NodeContext<M, E> {
  private readonly scheduler: Scheduler;
  private readonly network: Network;
  private readonly channelOf: (msg: M, from: number, to: number) => number;
  private lastPeer: NodeId | null = null;
  private lastPeerIndex = 0;
  constructor(
    private readonly rt: Runtime<M, E>,
    readonly self: NodeId,
    private readonly index: number,
    readonly rng: Rng,
    readonly disk: Disk,
  ) {
    this.scheduler = rt.scheduler;
    this.network = rt.network;
    this.channelOf = rt.channelOf;
  }
  get nowUs(): TimeUs {
    return this.scheduler.now;
  }
  private peer(to: NodeId): number {
    if (to === this.lastPeer) return this.lastPeerIndex;
    const i = this.rt.index(to);
    this.lastPeer = to;
    this.lastPeerIndex = i;
    return i;
  }
  send(to: NodeId, msg: M): void {
    const peer = this.peer(to);
    this.network.send(this.index, peer, msg, this.channelOf(msg, this.index, peer));
  }
  setTimer(delayUs: number, tag: unknown): number {
    return this.scheduler.after(delayUs, this.index, EV_TIMER, tag);
  }
  cancelTimer(handle: number): void {
    this.scheduler.cancel(handle);
  }
  emit(ev: E): void {
    this.rt.trace.emit(this.scheduler.now, ev);
  }
  isUp(node: NodeId): boolean {
    return this.network.isUp(this.peer(node));
  }
  closeConnection(peer: NodeId, opts?: CloseOptions): void {
    this.network.closeConnection(this.index, this.peer(peer), opts?.side ?? "client", opts?.kind ?? 0);
  }
}
