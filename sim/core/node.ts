// The node lifecycle. Brokers, the coordinator and clients are actors: they react to a message, a timer or a
// disconnect, and act only through their context (send, set a timer, write their disk, emit a trace event).
// Only the runtime (sim/core/runtime.ts) carries those effects out, so an actor is a state machine that can be
// driven by hand in a unit test. Volatile state lives in the actor object, which is thrown away on crash;
// restart builds a fresh one from the node's Disk.
import type { NodeId } from "./ids.ts";
import type { Rng } from "./rng.ts";
import type { TimeUs } from "./time.ts";
import type { Disk } from "../disk/disk.ts";

/** Which connection closeConnection closes: this node's own ("client") or the peer's ("server"), of which kind
 *  (sim/net/network.ts: a node may hold several connections to one peer). */
export interface CloseOptions {
  readonly side?: "client" | "server";
  readonly kind?: number;
}

export interface NodeContext<M, E> {
  readonly self: NodeId;
  /** Current virtual time. */
  readonly nowUs: TimeUs;
  /** This node's own random stream (forked from the root seed by node id). */
  readonly rng: Rng;
  /** This node's durable state; survives a kill, survives power loss up to what was flushed. */
  readonly disk: Disk;
  send(to: NodeId, msg: M): void;
  /** Fire `onTimer(tag)` after delayUs. Tags should be preallocated values, not fresh objects per call. */
  setTimer(delayUs: number, tag: unknown): number;
  cancelTimer(handle: number): void;
  /** Record a domain event in the trace (always hashed; stored when recording). */
  emit(ev: E): void;
  /** Close this node's own connection to `peer` (side "client", the default: what it sent still drains, the
   *  answers in flight are lost), or the peer's connection to this node (side "server": the peer gets
   *  onDisconnect after what was already sent to it); `kind` names which of the connections (default 0). */
  closeConnection(peer: NodeId, opts?: CloseOptions): void;
  /** True while the node may be reached by `to` (used only by tests and diagnostics). */
  isUp(node: NodeId): boolean;
}

export interface Actor<M, E> {
  /** Called once when the node boots, and again (on a fresh actor) after every restart. */
  onStart(ctx: NodeContext<M, E>): void;
  onMessage(ctx: NodeContext<M, E>, from: NodeId, msg: M): void;
  onTimer(ctx: NodeContext<M, E>, tag: unknown): void;
  /** This node's own connection of `kind` to `peer` ended (the peer's process died, a reset, or the peer closed
   *  it). In-flight requests on it are lost. */
  onDisconnect?(ctx: NodeContext<M, E>, peer: NodeId, kind: number): void;
  /** A clean shutdown is starting (the runtime flushes the disk afterwards). */
  onShutdown?(ctx: NodeContext<M, E>): void;
}

/** Builds a node's actor: at first boot and at every restart. Volatile state must live only in the result. */
export type ActorFactory<M, E> = (ctx: NodeContext<M, E>) => Actor<M, E>;

export type NodeStatus = "up" | "paused" | "killed" | "powered-off" | "stopped";
