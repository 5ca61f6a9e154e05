// A consumer group member: Kafka's KafkaConsumer + ConsumerCoordinator (eager protocol) + Fetcher, and the
// application around it (poll loop, processing model, commits), as one actor. This file is the actor: it routes
// messages, timers and broken connections to its parts, one concept each:
//   requests.ts    requests and timeouts, metadata, FindCoordinator
//   membership.ts  JoinGroup / SyncGroup / Heartbeat / LeaveGroup, generations, the poll timeout
//   positions.ts   the assignment, committed offsets, auto.offset.reset, fetching
//   commits.ts     sync / async / auto commits
//   poll-loop.ts   the application's poll() (auto-commit, rejoin, hand-off to processing)
//   processing.ts  the processing model (eachMessage / eachBatch, retries, dead letters)
import type { Actor } from "../../core/node.ts";
import type { NodeId } from "../../core/ids.ts";
import { assertNever } from "../../core/errors.ts";
import type { ConsumerConfig } from "../../kafka/config.ts";
import type { Message } from "../../kafka/protocol.ts";
import type { TopicPartitionRef } from "../../kafka/protocol-group.ts";
import type { TraceEvent } from "../../events.ts";
import type { ConsumerSpec, ProcessingSpec } from "../../scenario/types.ts";
import type { ClientEnv } from "../env.ts";
import { recordRestart } from "../env.ts";
import { Requests } from "./requests.ts";
import type { Req } from "./requests.ts";
import { Membership } from "./membership.ts";
import { Positions } from "./positions.ts";
import { Commits } from "./commits.ts";
import { PollLoop } from "./poll-loop.ts";
import { Processing } from "./processing.ts";
import { Pipeline } from "./pipeline.ts";
import { STATE_BLOB } from "./types.ts";
import type { ConsumerApp, ConsumerProcessing, Ctx, StoredState } from "./types.ts";
import { fireOwnerTimer } from "../kafkajs/host.ts";
import type { NodeOwner } from "../kafkajs/host.ts";

export class Consumer implements Actor<Message, TraceEvent> {
  readonly name: string;
  readonly cfg: ConsumerConfig;
  readonly proc: ProcessingSpec;
  /** group.id */
  readonly groupId: string;
  readonly dltTopic: string;
  readonly requests: Requests;
  readonly membership: Membership;
  readonly positions: Positions;
  readonly commits: Commits;
  readonly app: ConsumerApp;
  readonly processing: ConsumerProcessing;
  /** Consume-transform-produce: the output stage when processing.output is set (pipeline.ts). */
  readonly pipeline: Pipeline | null;
  /** This process as the owner of the async user code it runs (only in runs with the async bridge). */
  owner: NodeOwner | null = null;

  constructor(
    readonly spec: ConsumerSpec,
    member: number,
    readonly env: ClientEnv,
  ) {
    this.name = `${spec.group}/${member}`;
    this.cfg = spec.config;
    this.proc = spec.processing;
    this.groupId = spec.group;
    this.dltTopic = this.proc.deadLetterTopic ?? `${spec.topics[0] ?? "topic"}.dlt`;
    this.requests = new Requests(this);
    this.membership = new Membership(this);
    this.positions = new Positions(this);
    this.commits = new Commits(this);
    this.pipeline = this.proc.output !== undefined ? new Pipeline(this, this.proc.output) : null;
    const engine = spec.engine?.(this, member);
    if (engine !== undefined) {
      this.app = engine.app;
      this.processing = engine.processing;
    } else {
      const processing = new Processing(this);
      this.app = processing.loop = new PollLoop(this, processing);
      this.processing = processing;
    }
  }

  onStart(ctx: Ctx): void {
    recordRestart(ctx, this.env, this.name);
    if (this.env.async !== undefined) this.owner = this.env.async.nodeOwner(ctx, this);
    if (this.proc.state === "stored" && this.processing instanceof Processing) this.processing.sum = ctx.disk.readBlob<StoredState>(STATE_BLOB)?.sum ?? 0;
    const startUs = Math.max(0, (this.spec.startMs ?? 0) * 1000 - ctx.nowUs);
    this.membership.lastPollUs = ctx.nowUs + startUs;
    this.app.start(ctx, startUs);
    this.membership.startHeartbeats(ctx, startUs);
    this.pipeline?.onStart(ctx);
  }

  onTimer(ctx: Ctx, tag: unknown): void {
    if (this.owner !== null && fireOwnerTimer(this.owner, tag)) return;
    if (this.app.onTimer(ctx, tag)) return;
    if (this.membership.onTimer(ctx, tag)) return;
    if (this.processing.onTimer(ctx, tag)) return;
    if (this.positions.onTimer(ctx, tag)) return;
    if (this.commits.onTimer(ctx, tag)) return;
    if (this.pipeline !== null && this.pipeline.onTimer(ctx, tag)) return;
    this.requests.onTimer(ctx, tag);
  }

  onDisconnect(ctx: Ctx, peer: NodeId): void {
    this.failConnection(ctx, peer);
    this.pipeline?.onDisconnect(ctx, peer);
  }

  /** This node closed its connection to `node` (a request of the consumer or of its output producer timed out). In
   *  kafkasim a consume-transform-produce member's consumer and output producer share the node's one client
   *  connection to a broker (in Kafka they are two clients with a connection each): what either had in flight on it
   *  is lost, and both hear of it at once (fuzz seed 97013: the producer's timeout closed it under the member's
   *  JoinGroup, which then waited its 10 s request timeout). */
  connectionClosed(ctx: Ctx, node: NodeId): void {
    this.failConnection(ctx, node);
    this.pipeline?.onDisconnect(ctx, node);
  }

  /** A clean stop (KafkaConsumer.close): leave the group so it rebalances at once instead of after the session
   *  timeout. The pending work is dropped, as a closing application would. */
  onShutdown(ctx: Ctx): void {
    this.membership.leaveOnClose(ctx);
  }

  onMessage(ctx: Ctx, _from: NodeId, msg: Message): void {
    if (this.pipeline !== null && this.pipeline.owns(msg)) return this.pipeline.onMessage(ctx, msg);
    switch (msg.type) {
      case "metadata-response":
        return this.requests.onMetadata(ctx, msg);
      case "group.find-coordinator-response":
        return this.requests.onFindCoordinator(ctx, msg);
      case "group.join-response":
        return this.membership.onJoin(ctx, msg);
      case "group.sync-response":
        return this.membership.onSync(ctx, msg);
      case "group.heartbeat-response":
        return this.membership.onHeartbeatResponse(ctx, msg.corr, msg.error);
      case "group.leave-response":
        this.requests.take(ctx, msg.corr);
        return;
      case "group.offset-commit-response": {
        const r = this.requests.take(ctx, msg.corr);
        if (r?.commit) this.commits.commitDone(ctx, r.commit, msg.error);
        return;
      }
      case "group.offset-fetch-response":
        return this.positions.onOffsetFetch(ctx, msg);
      case "list-offsets-response":
        return this.positions.onListOffsets(ctx, msg);
      case "fetch-response":
        return this.positions.onFetch(ctx, msg);
      case "produce-response": {
        const r = this.requests.take(ctx, msg.corr);
        if (r) this.processing.dltDone(ctx, msg.partitions[0]?.error ?? "NETWORK_EXCEPTION");
        return;
      }
      default:
        return;
    }
  }

  /** A request timed out or the peer died: every request on that connection fails (NetworkClient). */
  failConnection(ctx: Ctx, node: NodeId): void {
    const failed: Req[] = [];
    for (const r of this.requests.inFlight.values()) if (r.node === node) failed.push(r);
    for (const r of failed) {
      this.requests.take(ctx, r.corr);
      switch (r.kind) {
        case "metadata":
          this.requests.metadataFailed(ctx);
          break;
        case "find-coordinator":
          this.requests.lookupFailed(ctx);
          break;
        case "join":
        case "sync":
        case "offset-fetch":
        case "heartbeat":
          this.membership.requestLost(ctx, r.kind);
          break;
        case "leave":
          break;
        case "commit":
          if (r.commit) this.commits.requestLost(ctx, r.commit);
          break;
        case "list-offsets":
        case "fetch":
          this.positions.requestLost(ctx, r.assignEpoch, r.tps, r.node);
          break;
        case "dlt":
          this.processing.dltDone(ctx, "NETWORK_EXCEPTION");
          break;
        default:
          assertNever(r.kind, "request kind");
      }
    }
    if (failed.length > 0) this.positions.kickFetch(ctx);
  }

  /** For final-state collection and tests. */
  get state(): { readonly sum: number; readonly processed: number; readonly generation: number; readonly memberId: string; readonly assignment: readonly TopicPartitionRef[] } {
    const m = this.membership;
    return { sum: this.processing.sum, processed: this.processing.processedCount, generation: m.generation, memberId: m.memberId, assignment: this.positions.assignment };
  }
}
