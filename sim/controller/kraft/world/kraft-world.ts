// A small KRaft world on the kafkasim Runtime, without the Kafka data plane: 3 or 5 controllers (Raft voters with
// the QuorumController), a few test brokers (Raft observers that register and heartbeat), a topic, and a fault
// schedule (kill, power loss, clean stop, pause, partitions) played during the run; then everything is healed and
// restarted and the run drains. The Raft invariants are checked as it goes. For tests and the part-2 integration.
import { Runtime } from "../../../core/runtime.ts";
import type { KernelTraceEvent } from "../../../core/runtime.ts";
import { nodeId } from "../../../core/ids.ts";
import type { NodeId } from "../../../core/ids.ts";
import type { Seed } from "../../../core/rng.ts";
import { asTimeUs, msToUs } from "../../../core/time.ts";
import { controllerConfig, quorumConfig } from "../config.ts";
import type { KRaftTraceEvent } from "../events.ts";
import { KRAFT_HOT_EVENT_TYPES } from "../events.ts";
import type { RaftLog } from "../raft/log.ts";
import type { RaftNode } from "../raft/raft-node.ts";
import { ControllerNode } from "../controller/controller-node.ts";
import type { KRaftMessage } from "../controller/controller-node.ts";
import type { MetadataRecord } from "../controller/records.ts";
import { TestBroker } from "./test-broker.ts";
import { RaftInvariants } from "./raft-invariants.ts";

export type FaultKind = "kill" | "power" | "stop" | "pause" | "isolate" | "split";

/** One fault on one controller (by index), healed (restart / resume / heal) `durationMs` later. */
export interface QuorumFault {
  readonly atMs: number;
  readonly kind: FaultKind;
  readonly target: number;
  readonly durationMs: number;
}

export interface KRaftWorldOptions {
  readonly seed: Seed;
  readonly controllers?: 3 | 5;
  readonly brokers?: number;
  readonly preVote?: boolean;
  readonly elrVersion?: 0 | 1;
  readonly durationMs?: number;
  readonly drainMs?: number;
  readonly faults?: readonly QuorumFault[];
  /** Kafka keys of the quorum and the controller (e.g. controller.quorum.fetch.timeout.ms). */
  readonly quorumKeys?: Readonly<Record<string, unknown>>;
  readonly controllerKeys?: Readonly<Record<string, unknown>>;
  readonly record?: boolean;
  readonly shuffleTies?: boolean;
}

export type KRaftWorldEvent = KRaftTraceEvent | KernelTraceEvent;

export interface KRaftWorld {
  readonly rt: Runtime<KRaftMessage, KRaftTraceEvent>;
  readonly controllers: readonly NodeId[];
  readonly brokers: readonly NodeId[];
  readonly invariants: RaftInvariants;
  raftOf(id: NodeId): RaftNode<MetadataRecord> | undefined;
  controllerOf(id: NodeId): ControllerNode | undefined;
  brokerOf(id: NodeId): TestBroker | undefined;
  /** The live leader of the highest epoch, if any. */
  leader(): NodeId | undefined;
}

export function buildKRaftWorld(opts: KRaftWorldOptions): KRaftWorld {
  const nc = opts.controllers ?? 3;
  const nb = opts.brokers ?? 3;
  const controllers = Array.from({ length: nc }, (_, i) => nodeId(`controller-${i + 1}`));
  const brokers = Array.from({ length: nb }, (_, i) => nodeId(`broker-${i + 1}`));
  const quorum = quorumConfig(opts.quorumKeys ?? {}, { preVote: opts.preVote ?? true });
  const controller = controllerConfig({ "eligible.leader.replicas.version": opts.elrVersion ?? 0, ...(opts.controllerKeys ?? {}) });
  const rt = new Runtime<KRaftMessage, KRaftTraceEvent>([...controllers, ...brokers], {
    seed: opts.seed,
    latency: { dist: "lognormal", medianMs: 0.5, sigma: 0.6 },
    record: opts.record ?? false,
    shuffleTies: opts.shuffleTies ?? false,
    hotEvents: KRAFT_HOT_EVENT_TYPES,
    maxEvents: 20_000_000,
  });
  for (const id of controllers) rt.addNode(id, () => new ControllerNode({ voters: controllers, quorum, controller }));
  brokers.forEach((id, i) => rt.addNode(id, () => new TestBroker({ brokerId: i + 1, voters: controllers, quorum, controller })));
  const raftOf = (id: NodeId): RaftNode<MetadataRecord> | undefined => {
    const a = rt.actor(id);
    return a instanceof ControllerNode || a instanceof TestBroker ? a.raft : undefined;
  };
  const invariants = new RaftInvariants((n) => raftOf(n as NodeId)?.raftLog as RaftLog<unknown> | undefined);
  rt.trace.onEmit((t, ev) => invariants.onEvent(t, ev));
  return {
    rt,
    controllers,
    brokers,
    invariants,
    raftOf,
    controllerOf: (id) => {
      const a = rt.actor(id);
      return a instanceof ControllerNode ? a : undefined;
    },
    brokerOf: (id) => {
      const a = rt.actor(id);
      return a instanceof TestBroker ? a : undefined;
    },
    leader: () => {
      let best: NodeId | undefined;
      let bestEpoch = -1;
      for (const id of controllers) {
        const r = raftOf(id);
        if (r !== undefined && r.role === "leader" && r.epoch > bestEpoch) {
          best = id;
          bestEpoch = r.epoch;
        }
      }
      return best;
    },
  };
}

/** Schedule the faults on controllers (by index) with their heals. */
export function scheduleFaults(w: KRaftWorld, faults: readonly QuorumFault[]): void {
  const { rt, controllers } = w;
  for (const f of faults) {
    const id = controllers[f.target % controllers.length] as NodeId;
    const at = msToUs(f.atMs);
    const end = at + msToUs(Math.max(1, f.durationMs));
    switch (f.kind) {
      case "kill":
      case "power":
      case "stop": {
        const action = f.kind;
        rt.call(at, () => rt.lifecycle(action, id));
        rt.call(end, () => rt.restart(id));
        break;
      }
      case "pause":
        rt.call(at, () => rt.pause(id));
        rt.call(end, () => rt.resume(id));
        break;
      case "isolate":
        rt.call(at, () => rt.network.isolate(rt.index(id)));
        rt.call(end, () => rt.network.healAll());
        break;
      case "split": {
        // The target and the next controller against the rest (brokers stay with the majority side).
        const minority = [id, controllers[(f.target + 1) % controllers.length] as NodeId];
        const majority = rt.ids.filter((n) => !minority.includes(n));
        rt.call(at, () => rt.network.partition([minority.map((n) => rt.index(n)), majority.map((n) => rt.index(n))]));
        rt.call(end, () => rt.network.healAll());
        break;
      }
    }
  }
}

export interface KRaftWorldResult {
  readonly traceHash: string;
  readonly violations: readonly string[];
  /** Highest epoch led, committed records, live leader at the end (after the drain). */
  readonly epochs: number;
  readonly committed: number;
  readonly finalLeader: string | undefined;
  readonly events: number;
}

/** Run the world: faults during `durationMs`, then heal, restart and resume everything and drain. */
export function runKRaftWorld(opts: KRaftWorldOptions): KRaftWorldResult {
  const w = buildKRaftWorld(opts);
  const { rt } = w;
  const durationUs = msToUs(opts.durationMs ?? 20_000);
  const drainUs = msToUs(opts.drainMs ?? 15_000);
  scheduleFaults(w, opts.faults ?? []);
  rt.startAll();
  // A topic on every broker once they can register (an admin's CreateTopics through broker-1).
  const createAt = msToUs(4000);
  // Retried every second until broker-1 has seen the topic committed (a lost or refused request is re-sent).
  const create = (): void => {
    const b = w.brokerOf(w.brokers[0] as NodeId);
    if (b?.topics.has("orders") === true) return;
    b?.createTopic({ name: "orders", assignments: [w.brokers.map((_, i) => i + 1)], configs: { "min.insync.replicas": 2 } });
    rt.call(rt.nowUs + msToUs(1000), create);
  };
  if (w.brokers.length > 0) rt.call(createAt, create);
  try {
    rt.runUntil(durationUs);
    rt.network.healAll();
    for (const id of rt.ids) {
      rt.resume(id);
      rt.restart(id);
    }
    rt.runUntil(asTimeUs(durationUs + drainUs));
    w.invariants.checkAllHold(rt.nowUs, w.controllers);
  } catch (e) {
    // A node's own safety check (Kafka throws on these: a truncation below the HW, two leaders in an epoch...).
    w.invariants.violations.push(`${(rt.nowUs / 1000).toFixed(3)}ms: ${(e as Error).message}`);
  }
  return {
    traceHash: rt.trace.traceHash,
    violations: w.invariants.violations,
    epochs: Math.max(0, ...w.invariants.leaders.keys()),
    committed: w.invariants.committed.length,
    finalLeader: w.leader(),
    events: rt.scheduler.dispatched,
  };
}
