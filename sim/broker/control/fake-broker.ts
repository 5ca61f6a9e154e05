// A minimal broker for testing the control plane without the data plane: a ControlPlane inside an actor that
// records what the controller tells it and answers leader-and-isr / update-metadata as a broker does
// (rejecting an older controller epoch: STALE_CONTROLLER_EPOCH). Used by the control plane's tests.
import type { Actor, NodeContext } from "../../core/node.ts";
import type { NodeId } from "../../core/ids.ts";
import { COORDINATOR_NODE, brokerNode } from "../../core/ids.ts";
import { Runtime } from "../../core/runtime.ts";
import { kafkaChannels } from "../../kafka/channels.ts";
import type { Message } from "../../kafka/protocol.ts";
import type { ControllerMessage } from "../../kafka/protocol-cluster.ts";
import type { TraceEvent } from "../../events.ts";
import { BROKER_DEFAULTS } from "../../kafka/config.ts";
import type { BrokerConfig } from "../../kafka/config.ts";
import type { TopicSpec } from "../../scenario/types.ts";
import type { ClusterSpec } from "../spec.ts";
import { brokerIdsOf } from "../spec.ts";
import { assignReplicas } from "../assignment.ts";
import { coordinatorFactory } from "../../coordinator/coordinator.ts";
import { ControlPlane } from "./control-plane.ts";
import type { IsrChangeRequest, IsrChangeResult } from "./control-plane.ts";

type Ctx = NodeContext<Message, TraceEvent>;
type LeaderAndIsr = Extract<ControllerMessage, { type: "leader-and-isr" }>;
type UpdateMetadata = Extract<ControllerMessage, { type: "update-metadata" }>;
type AlterResponse = Extract<ControllerMessage, { type: "alter-partition-response" }>;

export class FakeBroker implements Actor<Message, TraceEvent> {
  readonly cp: ControlPlane;
  readonly registrations: number[] = [];
  sessionsLost = 0;
  controllerEpochSeen = -1;
  readonly leaderAndIsr: LeaderAndIsr[] = [];
  readonly updateMetadata: UpdateMetadata[] = [];
  readonly alterResponses: AlterResponse[] = [];
  readonly isrResults: IsrChangeResult[] = [];

  constructor(
    readonly id: number,
    spec: ClusterSpec,
  ) {
    this.cp = new ControlPlane(id, spec, {
      onRegistered: (_ctx, epoch) => this.registrations.push(epoch),
      onSessionLost: () => this.sessionsLost++,
    });
  }

  onStart(ctx: Ctx): void {
    this.cp.onStart(ctx);
  }

  onMessage(ctx: Ctx, from: NodeId, msg: Message): void {
    // Raw alter-partition responses are recorded for tests that send requests by hand (corr ≥ 1e6).
    if (msg.type === "alter-partition-response" && msg.corr >= 1_000_000) {
      this.alterResponses.push(msg);
      return;
    }
    if (this.cp.onMessage(ctx, from, msg)) return;
    if (msg.type === "leader-and-isr" || msg.type === "update-metadata") {
      const stale = msg.controllerEpoch < this.controllerEpochSeen;
      if (!stale) {
        this.controllerEpochSeen = msg.controllerEpoch;
        this.cp.noteController(ctx, msg.controllerId, msg.controllerEpoch);
        if (msg.type === "leader-and-isr") this.leaderAndIsr.push(msg);
        else this.updateMetadata.push(msg);
      }
      if (msg.type === "leader-and-isr") {
        ctx.send(from, { type: "leader-and-isr-response", corr: msg.corr, error: stale ? "STALE_CONTROLLER_EPOCH" : "NONE", partitions: [] });
      } else {
        ctx.send(from, { type: "update-metadata-response", corr: msg.corr, error: stale ? "STALE_CONTROLLER_EPOCH" : "NONE" });
      }
    }
  }

  onTimer(ctx: Ctx, tag: unknown): void {
    this.cp.onTimer(ctx, tag);
  }

  onShutdown(ctx: Ctx): void {
    this.cp.onShutdown(ctx);
  }

  onDisconnect(ctx: Ctx, peer: NodeId, kind: number): void {
    this.cp.onDisconnect(ctx, peer, kind);
  }

  requestIsrChange(ctx: Ctx, req: IsrChangeRequest): void {
    this.cp.requestIsrChange(ctx, req, (res) => this.isrResults.push(res));
  }
}

export interface FakeClusterOptions {
  readonly brokers?: number;
  readonly topics?: readonly TopicSpec[];
  readonly broker?: Partial<BrokerConfig>;
  readonly bugs?: ClusterSpec["bugs"];
  readonly seed?: number;
  /** Fixed assignment instead of Kafka's (keys "t-0"). */
  readonly assignment?: Map<string, number[]>;
}

export interface FakeCluster {
  readonly rt: Runtime<Message, TraceEvent>;
  readonly spec: ClusterSpec;
  broker(id: number): FakeBroker;
  index(node: NodeId): number;
}

/** A runtime with the coordinator and fake brokers 1..n (not started). */
export function fakeCluster(opts: FakeClusterOptions = {}): FakeCluster {
  const brokers = opts.brokers ?? 3;
  const topics = opts.topics ?? [{ name: "t", partitions: 3, "replication.factor": Math.min(3, brokers), config: {} }];
  const ids: NodeId[] = [COORDINATOR_NODE, ...Array.from({ length: brokers }, (_, i) => brokerNode(i + 1))];
  const rt = new Runtime<Message, TraceEvent>(ids, { seed: opts.seed ?? 1, record: true, channelOf: kafkaChannels(ids) });
  const broker: BrokerConfig = { ...BROKER_DEFAULTS, ...opts.broker };
  const assignment = opts.assignment ?? assignReplicas({ brokers: brokerIdsOf({ brokers }), topics, rng: rt.rng.fork("assignment") });
  const spec: ClusterSpec = { brokers, broker, topics, protocol: "3.7", bugs: opts.bugs ?? {}, assignment };
  rt.addNode(COORDINATOR_NODE, coordinatorFactory(spec));
  for (let b = 1; b <= brokers; b++) rt.addNode(brokerNode(b), () => new FakeBroker(b, spec));
  return {
    rt,
    spec,
    broker(id) {
      const a = rt.actor(brokerNode(id));
      if (!(a instanceof FakeBroker)) throw new Error(`broker ${id} is not up`);
      return a;
    },
    index: (node) => rt.index(node),
  };
}
