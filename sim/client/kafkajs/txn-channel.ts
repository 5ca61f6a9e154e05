// The requests of a kafkajs transactional producer (eos.ts), as its process sends them: kafkajs is library code
// that awaits one request after another (broker.addPartitionsToTxn, broker.produce, broker.endTxn, ...), so its
// transactional code runs as async code of the producer's process (host.ts: it resumes only when the scheduler
// delivers the answer) and each request goes out as an event of that process — held while it is paused, gone with
// it when it dies. An answer resolves the request; kafkajs's requestTimeout rejects it with a
// KafkaJSRequestTimeoutError, a lost connection (the broker died, a partition cut it) with a KafkaJSConnectionError.
// Correlation ids start at CORR_BASE, apart from the modelled producer's own on the same connections.
import type { NodeContext } from "../../core/node.ts";
import type { NodeId } from "../../core/ids.ts";
import type { Message } from "../../kafka/protocol.ts";
import type { TraceEvent } from "../../events.ts";
import type { KafkaJSLink } from "./link.ts";
import type { NodeOwner } from "./host.ts";
import { KafkaJSConnectionError, KafkaJSRequestTimeoutError } from "./errors.ts";

type Ctx = NodeContext<Message, TraceEvent>;

const CORR_BASE = 1_000_000_000;

/** A request in flight; also its timeout timer's tag. */
class TxnRequest {
  timer = -1;
  constructor(
    readonly node: NodeId,
    readonly resolve: (m: Message) => void,
    readonly reject: (e: Error) => void,
  ) {}
}

export class TxnChannel {
  private ctx: Ctx | null = null;
  private owner: NodeOwner | null = null;
  private corr = CORR_BASE;
  private readonly inflight = new Map<number, TxnRequest>();

  constructor(
    private readonly link: KafkaJSLink,
    private readonly requestTimeoutMs: number,
  ) {}

  /** The process (re)started: a new incarnation; what the old one had in flight is gone with it. */
  attach(ctx: Ctx, owner: NodeOwner): void {
    this.ctx = ctx;
    this.owner = owner;
    this.inflight.clear();
  }

  /** The process of this incarnation (its code runs for it). */
  get processOwner(): NodeOwner | null {
    return this.owner;
  }

  /** Send `make(corr)` to `node` from the producer's process; resolves with the answer. */
  request(node: NodeId, make: (corr: number) => Message): Promise<Message> {
    const ctx = this.ctx;
    const owner = this.owner;
    if (ctx === null || owner === null || !owner.alive()) return Promise.reject(new KafkaJSConnectionError("Connection error: the producer's process is down"));
    return new Promise<Message>((resolve, reject) => {
      owner.after(0, () => {
        const r = new TxnRequest(node, resolve, reject);
        const corr = ++this.corr;
        r.timer = ctx.setTimer(this.requestTimeoutMs * 1000, r);
        this.inflight.set(corr, r);
        ctx.send(node, make(corr));
      });
    });
  }

  /** Resolves after `ms` of virtual time on the process's clock (kafkajs's retrier's setTimeout). */
  sleep(ms: number): Promise<void> {
    const owner = this.owner;
    if (owner === null) return Promise.resolve();
    return new Promise<void>((resolve) => {
      owner.after(Math.max(0, Math.round(ms * 1000)), () => this.link.host.run(owner, resolve));
    });
  }

  /** Is `msg` the answer to one of these requests? */
  owns(msg: Message): boolean {
    const corr = (msg as { corr?: number }).corr;
    return corr !== undefined && corr > CORR_BASE && this.inflight.has(corr);
  }

  onResponse(msg: Message): void {
    const corr = (msg as { corr: number }).corr;
    const r = this.inflight.get(corr);
    if (r === undefined) return;
    this.inflight.delete(corr);
    this.ctx?.cancelTimer(r.timer);
    this.settle(() => r.resolve(msg));
  }

  /** A request's timeout (true when the tag was one). */
  onTimer(tag: unknown): boolean {
    if (!(tag instanceof TxnRequest)) return false;
    for (const [corr, r] of this.inflight) {
      if (r !== tag) continue;
      this.inflight.delete(corr);
      this.settle(() => r.reject(new KafkaJSRequestTimeoutError(`Request timed out after ${this.requestTimeoutMs}ms`, { broker: r.node })));
      break;
    }
    return true;
  }

  /** The connection to `peer` broke: its requests fail as kafkajs's do (KafkaJSConnectionError). */
  onDisconnect(peer: NodeId): void {
    for (const [corr, r] of [...this.inflight]) {
      if (r.node !== peer) continue;
      this.inflight.delete(corr);
      this.ctx?.cancelTimer(r.timer);
      this.settle(() => r.reject(new KafkaJSConnectionError(`Connection error: ${peer}`, { broker: peer })));
    }
  }

  private settle(fn: () => void): void {
    const owner = this.owner;
    if (owner !== null) this.link.host.run(owner, fn);
  }
}
