// Carries out a fault schedule: fires each fault at its time or when its event has been seen `count` times,
// resolves its target at that moment ("the leader of orders-0" is whoever leads it then), applies it to the
// runtime and network, and records what fired.
import type { Runtime } from "../core/runtime.ts";
import type { NodeId } from "../core/ids.ts";
import { brokerNode, COORDINATOR_NODE } from "../core/ids.ts";
import { msToUs } from "../core/time.ts";
import type { TimeUs } from "../core/time.ts";
import { SimInputError, assertNever } from "../core/errors.ts";
import type { Message } from "../kafka/protocol.ts";
import type { TraceEvent } from "../events.ts";
import type { HistoryOp, HistoryRecorder } from "../history.ts";
import type { Fault, FaultAction, FaultEvent, FaultTarget, FaultWarning, FiredFault } from "./types.ts";
import { usToMs } from "../core/time.ts";

/** What the interpreter needs to know about the cluster, read at the moment a fault fires. */
export interface FaultEnv {
  readonly runtime: Runtime<Message, TraceEvent>;
  readonly history: HistoryRecorder;
  readonly brokers: number;
  /** The controller's node now: the broker holding /controller (ZooKeeper), the active controller (KRaft). */
  controller(): NodeId | null;
  /** KRaft: the controller nodes, controller-1..N (empty in ZooKeeper mode). */
  readonly quorum: readonly NodeId[];
  leaderOf(tp: string): number | null;
  /** The assigned replicas of a partition ("orders-0"), in assignment order. */
  replicasOf(tp: string): readonly number[];
  /** Node ids of a client: a producer id, a consumer member "g1/0", or a whole group "g1". */
  clientNodes(client: string): readonly NodeId[];
  expireSession(broker: number): boolean;
  downstreamDown(group: string, untilUs: TimeUs): void;
  /** KRaft: a clean stop goes through controlled shutdown first (the broker stops once the controller agrees);
   *  absent or false: stopped at once. */
  controlledStop?(node: NodeId): boolean;
  /** KRaft: the metadata-lag fault on a broker; false when it is not running. */
  metadataLag?(broker: number, delayUs: number, untilUs: number): boolean;
}

const TRACE_EVENT_OF: Partial<Record<TraceEvent["type"], FaultEvent>> = {
  "leader-elected": "leader-change",
  "isr-shrink": "isr-shrink",
  "isr-expand": "isr-expand",
  "session-expired": "session-expired",
  "controller-elected": "controller-change",
  rebalance: "rebalance",
};

/** The fault event of a trace event: KRaft's counterparts are a controller becoming active (controller-change) and
 *  the controller fencing a broker (session-expired: its heartbeats stopped, as a ZooKeeper session expires). */
function faultEventOf(ev: TraceEvent): FaultEvent | undefined {
  if (ev.type === "kraft-controller") return ev.active ? "controller-change" : undefined;
  if (ev.type === "kraft-broker") return ev.change === "fenced" ? "session-expired" : undefined;
  return TRACE_EVENT_OF[ev.type];
}

function historyEvent(op: HistoryOp): FaultEvent | undefined {
  switch (op.f) {
    case "send":
      return op.type === "ok" ? "produce-acked" : op.type === "fail" || op.type === "info" ? "produce-failed" : undefined;
    case "poll":
      return op.type === "ok" ? "consumer-poll" : undefined;
    case "commit":
      return op.type === "ok" ? "commit" : undefined;
    default:
      return undefined;
  }
}

function tpOfHistory(op: HistoryOp): string | undefined {
  if (op.f === "send" && op.value.partition !== undefined) return `${op.value.topic}-${op.value.partition}`;
  return undefined;
}

function tpOfTrace(ev: TraceEvent): string | undefined {
  return "tp" in ev ? ev.tp : undefined;
}

export function describeTarget(t: FaultTarget): string {
  if ("broker" in t) return `broker ${t.broker}`;
  if ("leaderOf" in t) return `leader of ${t.leaderOf}`;
  if ("followersOf" in t) return `followers of ${t.followersOf}`;
  if ("controller" in t) return "controller";
  if ("controllerNode" in t) return `controller-${t.controllerNode}`;
  if ("quorum" in t) return "quorum";
  if ("coordinator" in t) return "coordinator";
  return `client ${t.client}`;
}

type EventFault = Extract<Fault, { readonly on: unknown }>;

function describeFault(a: FaultAction): string {
  switch (a.kind) {
    case "partition":
      return `partition ${a.groups.map((g) => `[${g.map(describeTarget).join(", ")}]`).join(" | ")}`;
    case "partition-oneway":
      return `partition-oneway ${a.from.map(describeTarget).join(", ")} → ${a.to.map(describeTarget).join(", ")}`;
    case "heal":
      return a.target ? `heal ${describeTarget(a.target)}` : "heal all";
    case "downstream-down":
      return `downstream-down ${a.group}`;
    case "metadata-lag":
      return `metadata-lag ${describeTarget(a.target)} ${a.delayMs} ms`;
    default:
      return `${a.kind} ${describeTarget(a.target)}`;
  }
}

/** Why a lifecycle action does nothing to a node in this state, or undefined when it applies (Runtime.kill,
 *  powerLoss, stop, restart, pause and resume return early in exactly these states). */
function inapplicable(kind: "kill" | "power" | "stop" | "restart" | "pause" | "resume", node: string, status: string): string | undefined {
  switch (kind) {
    case "kill":
    case "stop":
      return status === "up" || status === "paused" ? undefined : `${node} is not running (${status}); nothing to ${kind}`;
    case "power":
      return status === "powered-off" ? `${node} is already powered off` : undefined;
    case "restart":
      return status === "up" || status === "paused" ? `${node} is already running; nothing to restart` : undefined;
    case "pause":
      return status === "up" ? undefined : status === "paused" ? `${node} is already paused` : `${node} is not running (${status}); nothing to pause`;
    case "resume":
      return status === "paused" ? undefined : `${node} is not paused (${status}); nothing to resume`;
  }
}

export class FaultInterpreter {
  readonly fired: FiredFault[] = [];
  readonly warnings: FaultWarning[] = [];
  private readonly env: FaultEnv;
  private readonly handles: number[] = [];
  /** Event-triggered faults still waiting: [fault, remaining count]. */
  private readonly waiting: { fault: EventFault; index: number; remaining: number }[] = [];
  private active = true;
  /** The number of the next fault fired on command. */
  private commanded: number;

  constructor(env: FaultEnv, faults: readonly Fault[]) {
    this.env = env;
    this.commanded = faults.length;
    faults.forEach((f, i) => this.validate(f, `faults[${i}]`));
    faults.forEach((f, i) => {
      if ("atMs" in f) this.handles.push(env.runtime.call(msToUs(f.atMs), () => this.fire(f.action, i)));
      else this.waiting.push({ fault: f, index: i, remaining: f.on.count ?? 1 });
    });
    if (this.waiting.length > 0) {
      env.runtime.trace.onEmit((_t, ev) => {
        const fe = faultEventOf(ev as TraceEvent);
        if (fe !== undefined) this.observe(fe, tpOfTrace(ev as TraceEvent));
      });
      env.history.onRecord((op) => {
        const fe = historyEvent(op);
        if (fe !== undefined) this.observe(fe, tpOfHistory(op));
      });
    }
  }

  /** Fire a fault now, on command (the real-client hosts: a test's `sim.fault(...)`, serve's commands). It is
   *  numbered after the scenario's faults; a bad target throws SimInputError. */
  fireNow(action: FaultAction): void {
    const index = this.commanded++;
    this.validate({ atMs: 0, action }, `faults[${index}]`);
    this.fire(action, index);
  }

  /** The drain phase begins: no fault fires any more. */
  stop(): void {
    this.active = false;
    for (const h of this.handles) this.env.runtime.scheduler.cancel(h);
  }

  private observe(event: FaultEvent, tp: string | undefined): void {
    if (!this.active) return;
    for (const w of this.waiting) {
      if (w.remaining <= 0 || w.fault.on.event !== event) continue;
      if (w.fault.on.partition !== undefined && w.fault.on.partition !== tp) continue;
      w.remaining--;
      if (w.remaining === 0) {
        const delayUs = msToUs(w.fault.afterMs ?? 0);
        const action = w.fault.action;
        const index = w.index;
        this.handles.push(this.env.runtime.call(this.env.runtime.nowUs + delayUs, () => this.fire(action, index)));
      }
    }
  }

  private validate(f: Fault, path: string): void {
    if ("atMs" in f && !(Number.isFinite(f.atMs) && f.atMs >= 0)) {
      throw new SimInputError("INVALID_FAULT", `${path}.at must be a time in ms ≥ 0, got ${f.atMs}`, path);
    }
    const check = (t: FaultTarget, p: string): void => {
      if ("broker" in t && !(Number.isInteger(t.broker) && t.broker >= 1 && t.broker <= this.env.brokers)) {
        throw new SimInputError("UNKNOWN_NODE", `${p}: there is no broker ${t.broker}; brokers are 1..${this.env.brokers}`, p);
      }
      if ("controllerNode" in t && !(Number.isInteger(t.controllerNode) && t.controllerNode >= 1 && t.controllerNode <= this.env.quorum.length)) {
        throw new SimInputError("UNKNOWN_NODE", this.env.quorum.length === 0 ? `${p}: controller-${t.controllerNode} is a KRaft controller node; this world runs ZooKeeper` : `${p}: there is no controller ${t.controllerNode}; controllers are 1..${this.env.quorum.length}`, p);
      }
      if ("quorum" in t && this.env.quorum.length === 0) throw new SimInputError("UNKNOWN_NODE", `${p}: quorum names the KRaft controller nodes; this world runs ZooKeeper`, p);
      if ("client" in t && this.env.clientNodes(t.client).length === 0) {
        throw new SimInputError("UNKNOWN_NODE", `${p}: there is no client "${t.client}"`, p);
      }
    };
    const a = f.action;
    switch (a.kind) {
      case "partition": {
        const seen = new Set<string>();
        a.groups.forEach((g, gi) =>
          g.forEach((t, ti) => {
            check(t, `${path}.partition[${gi}][${ti}]`);
            const k = describeTarget(t);
            if (seen.has(k)) throw new SimInputError("INVALID_PARTITION", `${path}.partition: ${k} appears twice; each node may be in one group only`, path);
            seen.add(k);
          }),
        );
        return;
      }
      case "partition-oneway":
        a.from.forEach((t, i) => check(t, `${path}.from[${i}]`));
        a.to.forEach((t, i) => check(t, `${path}.to[${i}]`));
        return;
      case "heal":
        if (a.target) check(a.target, `${path}.target`);
        return;
      case "downstream-down":
        return;
      default:
        check(a.target, `${path}.target`);
    }
  }

  resolve(t: FaultTarget): NodeId[] {
    if ("broker" in t) return [brokerNode(t.broker)];
    if ("leaderOf" in t) {
      const l = this.env.leaderOf(t.leaderOf);
      return l === null ? [] : [brokerNode(l)];
    }
    if ("followersOf" in t) {
      const l = this.env.leaderOf(t.followersOf);
      return this.env.replicasOf(t.followersOf).filter((b) => b !== l).map((b) => brokerNode(b));
    }
    if ("controller" in t) {
      const c = this.env.controller();
      return c === null ? [] : [c];
    }
    if ("controllerNode" in t) return [this.env.quorum[t.controllerNode - 1] as NodeId];
    // ZooKeeper; in KRaft mode the controller quorum, the cluster's metadata service.
    if ("quorum" in t || "coordinator" in t) return this.env.quorum.length > 0 ? [...this.env.quorum] : [COORDINATOR_NODE];
    return [...this.env.clientNodes(t.client)];
  }

  private indices(ts: readonly FaultTarget[]): number[] {
    const rt = this.env.runtime;
    return ts.flatMap((t) => this.resolve(t)).map((n) => rt.index(n));
  }

  private warn(index: number, action: FaultAction, why: string): void {
    const timeMs = usToMs(this.env.runtime.nowUs);
    this.warnings.push({ fault: index, timeMs, message: `faults[${index}] at ${timeMs} ms (${describeFault(action)}): ${why}` });
  }

  private fire(action: FaultAction, index: number): void {
    if (!this.active) return;
    const rt = this.env.runtime;
    const net = rt.network;
    let nodes: NodeId[] = [];
    switch (action.kind) {
      case "kill":
      case "power":
      case "stop":
      case "restart":
      case "resume":
      case "pause":
        nodes = this.resolve(action.target);
        for (const n of nodes) {
          const why = inapplicable(action.kind, n, rt.status(n));
          if (why !== undefined) this.warn(index, action, why);
          if (action.kind === "stop" && why === undefined && this.env.controlledStop?.(n) === true) continue;
          if (action.kind !== "pause") rt.lifecycle(action.kind, n);
          else {
            rt.pause(n);
            if (action.durationMs !== undefined) rt.call(rt.nowUs + msToUs(action.durationMs), () => rt.resume(n));
          }
        }
        break;
      case "expire-session":
        nodes = this.resolve(action.target);
        for (const n of nodes) {
          const b = /^broker-(\d+)$/.exec(n);
          if (b && !this.env.expireSession(Number(b[1]))) {
            this.warn(index, action, this.env.quorum.length > 0 ? `${n} is not registered and unfenced, or no controller is active; nothing to fence` : `${n} holds no session (it is down or not registered), or the coordinator is down; nothing to expire`);
          }
        }
        break;
      case "metadata-lag": {
        nodes = this.resolve(action.target);
        const untilUs = action.durationMs !== undefined ? rt.nowUs + msToUs(action.durationMs) : Infinity;
        for (const n of nodes) {
          const b = /^broker-(\d+)$/.exec(n);
          if (b && this.env.metadataLag?.(Number(b[1]), msToUs(action.delayMs), untilUs) !== true) this.warn(index, action, `${n} is not running a KRaft broker; no metadata to delay`);
        }
        break;
      }
      case "partition": {
        const groups = action.groups.map((g) => this.indices(g));
        nodes = groups.flat().map((i) => rt.idOf(i));
        net.partition(groups);
        break;
      }
      case "partition-oneway": {
        const from = this.indices(action.from);
        const to = this.indices(action.to);
        for (const a of from) for (const b of to) if (a !== b) net.blockOneWay(a, b);
        nodes = [...from, ...to].map((i) => rt.idOf(i));
        break;
      }
      case "isolate":
        nodes = this.resolve(action.target);
        for (const n of nodes) net.isolate(rt.index(n));
        break;
      case "heal":
        if (action.target) {
          nodes = this.resolve(action.target);
          for (const n of nodes) net.healNode(rt.index(n));
        } else net.healAll();
        break;
      // slow: every link of the target gets slower. flaky: every link of the target loses transmissions, which
      // the network retransmits as TCP does (late, in order; a reset after tcp_retries2), never drops silently.
      case "slow":
      case "flaky": {
        nodes = this.resolve(action.target);
        for (const n of nodes) {
          const i = rt.index(n);
          for (const p of rt.ids) {
            const j = rt.index(p);
            if (j === i) continue;
            if (action.kind === "slow") {
              net.slow(i, j, action.factor);
              net.slow(j, i, action.factor);
            } else {
              net.flaky(i, j, action.lossProb);
              net.flaky(j, i, action.lossProb);
            }
          }
        }
        break;
      }
      case "downstream-down":
        this.env.downstreamDown(action.group, (rt.nowUs + msToUs(action.durationMs)) as TimeUs);
        break;
      default:
        assertNever(action, "fault action");
    }
    if (nodes.length === 0 && "target" in action && action.target !== undefined) {
      this.warn(index, action, `${describeTarget(action.target)} resolved to no node at that moment (no leader, no controller, or no follower); nothing happened`);
    }
    this.fired.push({ timeUs: rt.nowUs, action, nodes });
    rt.trace.emit(rt.nowUs, { type: "fault", action, nodes });
  }
}
