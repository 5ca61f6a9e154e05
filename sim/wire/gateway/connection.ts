// One real client's TCP connection to one simulated broker, at the client's end: bytes from the client are cut
// into frames and decoded; each request becomes the broker's typed messages (plan.ts), sent from this connection's
// outside node over the simulated network; the broker's answers become the API's response at the request's version
// with its correlation id.
//
// One request at a time, in order: Kafka's SocketServer mutes a connection when it has read a request and unmutes
// it when the response has been sent (KafkaChannel's MUTED_AND_RESPONSE_PENDING), so a request waits behind the one
// before it — a Heartbeat behind a Fetch parked for its maxWaitMs — and answers come back in request order. Here a
// queued request goes to the broker when the answer before it reaches the gateway (the client's end): a network
// latency later than in Kafka, where it waits in the broker's socket buffer. An acks=0 Produce has no answer to
// wait for (Kafka unmutes once it is handled).
//
// A request that cannot be read (an unknown API, an unsupported version, a truncated body) closes the connection,
// as Kafka does (RequestContext.parseRequest); but an ApiVersions request of an unsupported version is answered at
// version 0 with UNSUPPORTED_VERSION and our range (KIP-511), after a round trip to the broker.
import type { NodeId } from "../../core/ids.ts";
import type { NodeContext } from "../../core/node.ts";
import type { Message } from "../../kafka/protocol.ts";
import type { TraceEvent } from "../../events.ts";
import { API_KEY } from "../api-keys.ts";
import { unsupportedApiVersionsResponse } from "../apis/api-versions.ts";
import { decodeRequest, encodeResponse, expectsResponse, type KafkaResponse } from "../codec.ts";
import { FrameSplitter } from "../frame.ts";
import { Reader } from "../reader.ts";
import { Writer } from "../writer.ts";
import { planRequest, type GatewayShared, type Plan } from "./plan.ts";

/** The client's side of a connection: where response bytes go, and what it is told about the connection. */
export interface WireTransport {
  /** Bytes for the client (whole response frames). */
  write(bytes: Uint8Array): void;
  /** The connection is up (the broker answered the gateway's connect: a round trip; only when asked for one). */
  connected(): void;
  /** The connection ended from the broker's side or the network: "refused" before it was up (the broker's process
   *  is dead), "reset" after (it died, TCP gave up, or it closed the connection). */
  closed(reason: "refused" | "reset"): void;
}

interface Pending {
  readonly correlationId: number;
  readonly apiVersion: number;
  readonly apiKey: number;
  readonly plan: Plan;
  /** Simulated corrs still waiting for an answer. */
  waiting: number;
  readonly answers: Message[];
  done: boolean;
  response: KafkaResponse | null;
  /** False for the one request Kafka does not answer (acks=0). */
  readonly expects: boolean;
}

export type ConnectionState = "connecting" | "open" | "closed";

/** Hooks of the node that carries the connection. */
export interface ConnectionHost {
  readonly ctx: NodeContext<Message, TraceEvent>;
  /** The connection is over: the node is free for another. */
  release(): void;
  /** Every frame both ways, for the run's hash (same seed → same bytes). */
  mixFrame(bytes: Uint8Array): void;
}

export class GatewayConnection {
  state: ConnectionState = "connecting";
  private readonly frames: FrameSplitter;
  private readonly reader = new Reader();
  private readonly writer = new Writer();
  /** Requests whose answers the client has not had yet, in request order. */
  private readonly queue: Pending[] = [];
  /** Requests not yet sent to the broker (muted behind `atBroker`), in order. */
  private readonly toSend: Pending[] = [];
  /** The request the broker is handling. */
  private atBroker: Pending | null = null;
  private readonly bySimCorr = new Map<number, { pending: Pending; index: number }>();
  private handshakeCorr = -1;
  /** Clients that produced on this connection (whose producer loses it when it breaks: evidence for acks=0). */
  private readonly producers = new Set<string>();
  private producesInFlight = 0;

  constructor(
    private readonly shared: GatewayShared,
    private readonly host: ConnectionHost,
    readonly broker: number,
    readonly brokerNode: NodeId,
    private readonly transport: WireTransport,
    opts: { readonly handshake: boolean; readonly maxFrameBytes?: number },
  ) {
    this.frames = new FrameSplitter(opts.maxFrameBytes === undefined ? {} : { maxFrameBytes: opts.maxFrameBytes });
    if (opts.handshake) {
      // TCP's connect: a round trip that a dead broker refuses (the network resets it) and a powered-off one
      // never answers (the client's connect timeout decides).
      this.handshakeCorr = shared.corr();
      host.ctx.send(brokerNode, { type: "api-versions", corr: this.handshakeCorr });
    } else this.state = "open";
  }

  /** Bytes from the client. */
  receive(bytes: Uint8Array): void {
    if (this.state === "closed") return;
    const error = this.frames.push(bytes, (frame) => this.onFrame(frame));
    if (error !== null) this.abort();
  }

  /** The client closed its end. What it sent still reaches the broker; answers in flight are lost. */
  close(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.host.ctx.closeConnection(this.brokerNode);
    this.host.release();
  }

  private onFrame(frame: Uint8Array): void {
    if (this.state === "closed") return;
    this.host.mixFrame(frame);
    const d = decodeRequest(frame, this.reader);
    if (!d.ok) {
      if (d.header !== null && d.header.apiKey === API_KEY.ApiVersions && d.error.kind === "unsupported-version") {
        const corr = this.shared.corr();
        const plan: Plan = { messages: [{ type: "api-versions", corr }], awaitAnswers: true, respond: () => unsupportedApiVersionsResponse() };
        this.enqueue(d.header.correlationId, 0, API_KEY.ApiVersions, plan, true);
        return;
      }
      this.abort();
      return;
    }
    const { header, request } = d;
    const isProduce = request.apiKey === API_KEY.Produce;
    const expects = expectsResponse(request);
    if (isProduce && expects) this.producesInFlight++;
    const client = header.clientId ?? "";
    if (isProduce) this.producers.add(client);
    const plan = planRequest(request, { shared: this.shared, client, broker: this.broker, nowUs: this.host.ctx.nowUs, producesInFlight: this.producesInFlight, emit: (ev) => this.host.ctx.emit(ev) });
    this.enqueue(header.correlationId, header.apiVersion, header.apiKey, plan, expects);
  }

  private enqueue(correlationId: number, apiVersion: number, apiKey: number, plan: Plan, expects: boolean): void {
    const p: Pending = { correlationId, apiVersion, apiKey, plan, waiting: plan.awaitAnswers ? plan.messages.length : 0, answers: [], done: false, response: null, expects };
    if (expects) this.queue.push(p);
    this.toSend.push(p);
    this.pump();
  }

  /** Send the next requests while the broker is handling none (see the head of this file). */
  private pump(): void {
    while (this.atBroker === null && this.toSend.length > 0 && this.state !== "closed") {
      const p = this.toSend.shift() as Pending;
      const plan = p.plan;
      plan.messages.forEach((m, index) => {
        if (plan.awaitAnswers) this.bySimCorr.set((m as { corr: number }).corr, { pending: p, index });
        this.host.ctx.send(this.brokerNode, m);
      });
      if (!p.expects) {
        // Nothing comes back (acks=0): the client counts it done once written; nothing waits for it.
        plan.released?.(this.host.ctx.nowUs);
        continue;
      }
      if (p.waiting === 0) this.complete(p);
      else this.atBroker = p;
    }
  }

  /** An answer from the broker. */
  onAnswer(msg: Message): void {
    if (this.state === "closed") return;
    const corr = (msg as { corr?: number }).corr;
    if (corr === undefined) return;
    if (corr === this.handshakeCorr && msg.type === "api-versions-response") {
      this.handshakeCorr = -1;
      if (this.state === "connecting") {
        this.state = "open";
        this.transport.connected();
      }
      return;
    }
    const at = this.bySimCorr.get(corr);
    if (at === undefined) return;
    this.bySimCorr.delete(corr);
    at.pending.answers[at.index] = msg;
    if (--at.pending.waiting === 0) {
      if (this.atBroker === at.pending) this.atBroker = null;
      this.complete(at.pending);
      this.pump();
    }
  }

  private complete(p: Pending): void {
    p.response = p.plan.respond(p.answers);
    p.done = true;
    if (p.apiKey === API_KEY.Produce) this.producesInFlight--;
    this.flush();
  }

  /** Write the answers that are ready, in request order. */
  private flush(): void {
    while (this.queue.length > 0 && (this.queue[0] as Pending).done && this.state !== "closed") {
      const p = this.queue.shift() as Pending;
      if (p.response !== null) {
        const bytes = encodeResponse({ correlationId: p.correlationId, apiVersion: p.apiVersion }, p.response, this.writer);
        this.host.mixFrame(bytes);
        p.plan.released?.(this.host.ctx.nowUs);
        this.transport.write(bytes);
      }
    }
  }

  /** The broker's end is gone (its process died, a reset): what was in flight is lost. */
  onDisconnect(): void {
    if (this.state === "closed") return;
    const wasOpen = this.state === "open";
    this.state = "closed";
    for (const p of this.producers) this.host.ctx.emit({ type: "producer-disconnect", producer: p, broker: this.broker, reason: "disconnected" });
    this.host.release();
    this.transport.closed(wasOpen ? "reset" : "refused");
  }

  /** A request that cannot be read, or a broken frame: Kafka closes the connection. */
  private abort(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.host.ctx.closeConnection(this.brokerNode);
    this.host.release();
    this.transport.closed("reset");
  }
}
