// A KRaft controller node: a Raft voter of __cluster_metadata with the QuorumController as its listener. Raft
// messages go to the Raft node, controller RPCs to the controller; timers are routed by their tag's class.
import type { NodeId } from "../../../core/ids.ts";
import type { Actor, NodeContext } from "../../../core/node.ts";
import type { ControllerConfig, QuorumConfig } from "../config.ts";
import type { KRaftTraceEvent } from "../events.ts";
import { isRaftMessage } from "../raft/messages.ts";
import type { RaftMessage } from "../raft/messages.ts";
import { RaftNode, RaftWake } from "../raft/raft-node.ts";
import type { ControllerRequest, ControllerResponse } from "./messages.ts";
import { ControllerTimer, QuorumController } from "./quorum-controller.ts";
import type { QuorumControllerOptions } from "./quorum-controller.ts";
import type { MetadataRecord } from "./records.ts";

/** Every message of a KRaft cluster's control plane. */
export type KRaftMessage = RaftMessage<MetadataRecord> | ControllerRequest | ControllerResponse;
export type KRaftContext = NodeContext<KRaftMessage, KRaftTraceEvent>;

export interface ControllerNodeOptions extends QuorumControllerOptions {
  readonly voters: readonly NodeId[];
  readonly quorum: QuorumConfig;
  readonly controller: ControllerConfig;
}

const CONTROLLER_REQUESTS: ReadonlySet<string> = new Set(["kraft-broker-registration", "kraft-broker-heartbeat", "kraft-alter-partition", "kraft-create-topic"]);

export class ControllerNode implements Actor<KRaftMessage, KRaftTraceEvent> {
  readonly controller: QuorumController;
  readonly raft: RaftNode<MetadataRecord>;

  constructor(opts: ControllerNodeOptions) {
    this.controller = new QuorumController(opts.controller, opts);
    this.raft = new RaftNode<MetadataRecord>({ voters: opts.voters, config: opts.quorum, listener: this.controller });
    this.controller.raft = this.raft;
  }

  onStart(ctx: KRaftContext): void {
    this.controller.attach(ctx);
    this.raft.onStart(ctx);
  }

  onMessage(ctx: KRaftContext, from: NodeId, msg: KRaftMessage): void {
    if (isRaftMessage<MetadataRecord>(msg)) this.raft.onMessage(ctx, from, msg);
    else if (CONTROLLER_REQUESTS.has(msg.type)) this.controller.handleRequest(from, msg as ControllerRequest);
  }

  onTimer(ctx: KRaftContext, tag: unknown): void {
    if (tag instanceof RaftWake) this.raft.onTimer(ctx, tag);
    else if (tag instanceof ControllerTimer) this.controller.onTimer(tag);
  }

  onDisconnect(ctx: KRaftContext, peer: NodeId): void {
    this.raft.onDisconnect(ctx, peer);
  }

  onShutdown(ctx: KRaftContext): void {
    this.raft.onShutdown(ctx);
  }
}
