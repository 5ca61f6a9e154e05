// The KRaft half of a world (sim/world.ts): `controllers` dedicated controller nodes (controller-1..N, the Raft voters
// of __cluster_metadata, each with the QuorumController), brokers whose control plane observes the metadata log
// (sim/broker/kraft), no ZooKeeper. Settings come from the scenario's Kafka keys (controller.quorum.*,
// broker.heartbeat.interval.ms, broker.session.timeout.ms, metadata.max.idle.interval.ms,
// eligible.leader.replicas.version) and the profile (pre-vote from 4.0, ELR on by default from 4.1). The world's
// topics are created by the active controller once the brokers are up (an admin's CreateTopics). What the oracle
// reads about elections comes from the committed metadata (sim/controller/kraft/world/evidence.ts).
import type { NodeId } from "./core/ids.ts";
import { brokerNode, nodeId, tpKey } from "./core/ids.ts";
import type { Runtime } from "./core/runtime.ts";
import type { Message } from "./kafka/protocol.ts";
import type { TraceEvent } from "./events.ts";
import type { BrokerConfig } from "./kafka/config.ts";
import { DEFAULT_CONTROLLERS, elrVersionOf, fetchHighWatermarkOf, preVoteOf } from "./kafka/profiles.ts";
import type { Scenario } from "./scenario/types.ts";
import { brokerConfigOf } from "./scenario/defaults.ts";
import type { ClusterSpec } from "./broker/spec.ts";
import type { ControlPlaneFactory } from "./broker/broker.ts";
import { Broker } from "./broker/broker.ts";
import { KRaftControlPlane } from "./broker/kraft/control-plane.ts";
import { controllerConfig, quorumConfig } from "./controller/kraft/config.ts";
import type { ControllerConfig, QuorumConfig } from "./controller/kraft/config.ts";
import { ControllerNode } from "./controller/kraft/controller/controller-node.ts";
import type { Actor } from "./core/node.ts";
import type { TopicSpec } from "./controller/kraft/controller/bootstrap.ts";
import { CommittedMetadata, finalMetadataLogs } from "./controller/kraft/world/evidence.ts";
import type { FinalMetadataLog } from "./history.ts";

/** The controller nodes of a KRaft scenario. */
export function controllerNodes(s: Pick<Scenario, "controllers">): NodeId[] {
  return Array.from({ length: s.controllers ?? DEFAULT_CONTROLLERS }, (_, i) => nodeId(`controller-${i + 1}`));
}

function quorumOf(s: Scenario, b: BrokerConfig): QuorumConfig {
  return quorumConfig(
    {
      "controller.quorum.election.timeout.ms": b["controller.quorum.election.timeout.ms"],
      "controller.quorum.fetch.timeout.ms": b["controller.quorum.fetch.timeout.ms"],
      "controller.quorum.election.backoff.max.ms": b["controller.quorum.election.backoff.max.ms"],
      "controller.quorum.append.linger.ms": b["controller.quorum.append.linger.ms"],
      "controller.quorum.request.timeout.ms": b["controller.quorum.request.timeout.ms"],
      "controller.quorum.retry.backoff.ms": b["controller.quorum.retry.backoff.ms"],
    },
    { preVote: preVoteOf(s.protocol), fetchHighWatermark: fetchHighWatermarkOf(s.protocol), path: "broker" },
  );
}

function controllerOf(s: Scenario, b: BrokerConfig): ControllerConfig {
  return controllerConfig(
    {
      "broker.session.timeout.ms": b["broker.session.timeout.ms"],
      "broker.heartbeat.interval.ms": b["broker.heartbeat.interval.ms"],
      "metadata.max.idle.interval.ms": b["metadata.max.idle.interval.ms"],
      "eligible.leader.replicas.version": elrVersionOf(s.protocol, b),
      "min.insync.replicas": b["min.insync.replicas"],
      "unclean.leader.election.enable": b["unclean.leader.election.enable"],
    },
    "broker",
  );
}

export interface KRaftPlane {
  readonly controllers: readonly NodeId[];
  /** Broker b's control plane factory (its own config: heartbeat interval and the like). */
  controlPlaneOf(b: number): ControlPlaneFactory;
  /** The active controller now (the highest claim among the live controllers), or null. */
  activeController(): NodeId | null;
  /** The leader of a topic-partition in the committed metadata, or null. */
  leaderOf(topic: string, partition: number): number | null;
  /** The expire-session fault: the active controller fences the broker now. */
  fence(broker: number): boolean;
  /** The stop fault on a broker: controlled shutdown, then the stop. */
  controlledStop(node: NodeId): boolean;
  metadataLag(broker: number, delayUs: number, untilUs: number): boolean;
  /** The drain begins: a broker still waiting for its controlled shutdown stops now (the drain restarts it). */
  onDrain(): void;
  finalMetadata(): FinalMetadataLog[];
}

/** Add the controller nodes to `rt` (declared in its ids) and return the KRaft plane of the world. */
export function kraftPlane(rt: Runtime<Message, TraceEvent>, s: Scenario, spec: ClusterSpec): KRaftPlane {
  const controllers = controllerNodes(s);
  const quorum = quorumOf(s, s.broker);
  const controller = controllerOf(s, s.broker);
  const committed = new CommittedMetadata(controller, rt);
  const topics: TopicSpec[] = spec.topics.map((t) => {
    const configs: { "min.insync.replicas"?: number; "unclean.leader.election.enable"?: boolean } = {};
    if (t.config["min.insync.replicas"] !== undefined) configs["min.insync.replicas"] = t.config["min.insync.replicas"];
    if (t.config["unclean.leader.election.enable"] !== undefined) configs["unclean.leader.election.enable"] = t.config["unclean.leader.election.enable"];
    const assignments = Array.from({ length: t.partitions }, (_, p) => [...(spec.assignment.get(tpKey(t.name, p)) ?? [])]);
    return { name: t.name, assignments, configs };
  });
  for (const id of controllers) {
    rt.addNode(id, () => new ControllerNode({ voters: controllers, quorum, controller, topics, onCommit: (n, b) => committed.onCommit(n, b) }) as unknown as Actor<Message, TraceEvent>);
  }
  const controllerNode = (id: NodeId): ControllerNode | undefined => {
    const a = rt.actor(id);
    return a instanceof ControllerNode && rt.status(id) === "up" ? a : undefined;
  };
  const activeController = (): NodeId | null => {
    let best: NodeId | null = null;
    let bestEpoch = -1;
    for (const id of controllers) {
      const c = controllerNode(id);
      if (c !== undefined && c.controller.isActive && c.raft.epoch > bestEpoch) {
        best = id;
        bestEpoch = c.raft.epoch;
      }
    }
    return best;
  };
  const broker = (b: number): Broker | undefined => {
    const a = rt.actor(brokerNode(b));
    return a instanceof Broker && rt.status(brokerNode(b)) === "up" ? a : undefined;
  };
  const stopping = new Set<NodeId>();
  rt.trace.onEmit((_t, ev) => {
    const e = ev as TraceEvent;
    if ((e.type === "node-kill" || e.type === "node-power-loss" || e.type === "node-stop") && stopping.has(e.node)) stopping.delete(e.node);
  });
  return {
    controllers,
    controlPlaneOf: (b) => {
      const own = brokerConfigOf(s, b);
      const opts = { voters: controllers, quorum: quorumOf(s, own), controller: controllerOf(s, own) };
      return (id, hooks) => new KRaftControlPlane(id, opts, hooks);
    },
    activeController,
    leaderOf: (topic, partition) => committed.leaderOf(topic, partition),
    fence: (b) => {
      const id = activeController();
      let ok = false;
      if (id !== null) rt.inject(id, (a) => (ok = (a as unknown as ControllerNode).controller.fenceNow(b)));
      return ok;
    },
    controlledStop: (node) => {
      const m = /^broker-(\d+)$/.exec(node);
      if (m === null || broker(Number(m[1])) === undefined || stopping.has(node)) return false;
      stopping.add(node);
      return rt.inject(node, (a, ctx) =>
        (a as Broker).control.beginControlledShutdown?.(ctx, () => {
          rt.call(rt.nowUs, () => {
            if (!stopping.has(node)) return;
            stopping.delete(node);
            rt.stop(node);
          });
        }),
      );
    },
    metadataLag: (b, delayUs, untilUs) => {
      let ok = false;
      rt.inject(brokerNode(b), (a, ctx) => {
        const c = (a as Broker).control;
        if (c.setMetadataLag === undefined) return;
        c.setMetadataLag(ctx, delayUs, untilUs);
        ok = true;
      });
      return ok;
    },
    onDrain: () => {
      for (const node of [...stopping]) {
        stopping.delete(node);
        rt.stop(node);
      }
    },
    finalMetadata: () => finalMetadataLogs(rt, controllers),
  };
}
