// One request in flight per destination, a request timeout, and a retry backoff after a failure
// (raft/.../RequestManager.java). A response is accepted only if it answers the request in flight; after
// resetAll (every role transition) late answers to older requests are ignored.
import type { NodeId } from "../../../core/ids.ts";

class Channel {
  /** Correlation id of the request in flight, 0 for none. */
  corr = 0;
  deadlineUs = 0;
  backoffUntilUs = 0;
  constructor(readonly node: NodeId) {}
}

export class RequestManager {
  private readonly channels = new Map<NodeId, Channel>();
  private nextCorr = 1;

  constructor(
    private readonly requestTimeoutUs: number,
    private readonly retryBackoffUs: number,
  ) {}

  private channel(node: NodeId): Channel {
    let c = this.channels.get(node);
    if (c === undefined) {
      c = new Channel(node);
      this.channels.set(node, c);
    }
    return c;
  }

  isReady(node: NodeId, nowUs: number): boolean {
    const c = this.channels.get(node);
    return c === undefined || (c.corr === 0 && nowUs >= c.backoffUntilUs);
  }

  hasInflight(node: NodeId): boolean {
    const c = this.channels.get(node);
    return c !== undefined && c.corr !== 0;
  }

  isBackingOff(node: NodeId, nowUs: number): boolean {
    const c = this.channels.get(node);
    return c !== undefined && c.corr === 0 && nowUs < c.backoffUntilUs;
  }

  /** Register a request to `node`; returns its correlation id. */
  onRequestSent(node: NodeId, nowUs: number): number {
    const c = this.channel(node);
    c.corr = this.nextCorr++;
    c.deadlineUs = nowUs + this.requestTimeoutUs;
    return c.corr;
  }

  /** Is `corr` the request in flight to `node`? If so it is no longer in flight. */
  takeResponse(node: NodeId, corr: number): boolean {
    const c = this.channels.get(node);
    if (c === undefined || c.corr !== corr || corr === 0) return false;
    c.corr = 0;
    return true;
  }

  /** The response was an error to back off from (or the request failed). */
  backoff(node: NodeId, nowUs: number): void {
    const c = this.channel(node);
    c.corr = 0;
    c.backoffUntilUs = nowUs + this.retryBackoffUs;
  }

  /** Time out requests in flight past their deadline: they back off, and `closed` is told of each node, whose
   *  connection NetworkClient closes (a request that timed out takes its connection with it, so what follows does
   *  not queue behind it). */
  expire(nowUs: number, closed: (node: NodeId) => void): void {
    for (const c of this.channels.values()) {
      if (c.corr !== 0 && nowUs >= c.deadlineUs) {
        c.corr = 0;
        c.backoffUntilUs = nowUs + this.retryBackoffUs;
        closed(c.node);
      }
    }
  }

  /** The next request deadline or backoff end after `nowUs` (Infinity: none). */
  nextDeadline(nowUs: number): number {
    let next = Infinity;
    for (const c of this.channels.values()) {
      const t = c.corr !== 0 ? c.deadlineUs : c.backoffUntilUs;
      if (t > nowUs && t < next) next = t;
    }
    return next;
  }

  /** The connection to `node` broke: what was in flight is lost (NetworkClient's disconnect → backoff). */
  disconnected(node: NodeId, nowUs: number): void {
    const c = this.channels.get(node);
    if (c !== undefined && c.corr !== 0) this.backoff(node, nowUs);
  }

  resetAll(): void {
    for (const c of this.channels.values()) {
      c.corr = 0;
      c.backoffUntilUs = 0;
    }
  }
}
