// The socket kafkajs gets from our socketFactory: what kafkajs uses of a net.Socket (write, end, destroy, unref,
// setKeepAlive; the events connect, data, end, error, close, timeout), carrying bytes over the simulated network
// to the wire gateway. Events are emitted while the scheduler dispatches the network event that caused them (a
// real socket emits them from the event loop, never inside a write), and the host lets the promises they settle run
// before the next event.
import { EventEmitter } from "node:events";
import type { GatewayConnection, WireTransport } from "../../wire/gateway/index.ts";

export class SimSocket extends EventEmitter {
  private conn: GatewayConnection | null = null;
  private open = false;
  private ended = false;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The gateway's side: where it writes the client's bytes and says what became of the connection. */
  readonly transport: WireTransport = {
    write: (bytes) => {
      this.emit("data", Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      this.touched();
    },
    connected: () => this.connected(),
    closed: (reason) => this.closed(reason),
  };

  constructor(
    host: string,
    port: number,
    private readonly onConnect: (() => void) | undefined,
    /** Called after every event this socket emits (the host drains promises before the next one). */
    private readonly touched: () => void,
  ) {
    super();
    this.remoteAddress = host;
    this.remotePort = port;
  }

  attach(conn: GatewayConnection): void {
    this.conn = conn;
  }

  // ---- what kafkajs calls

  write(data: Uint8Array | string, encodingOrCb?: unknown, cb?: unknown): boolean {
    if (this.ended || this.conn === null) return false;
    const bytes = typeof data === "string" ? Buffer.from(data, typeof encodingOrCb === "string" ? (encodingOrCb as BufferEncoding) : "utf8") : data;
    this.conn.receive(bytes);
    const done = typeof encodingOrCb === "function" ? encodingOrCb : cb;
    if (typeof done === "function") void Promise.resolve().then(() => (done as () => void)());
    return true;
  }

  end(): this {
    this.closeOurEnd();
    return this;
  }

  destroy(): this {
    this.closeOurEnd();
    return this;
  }

  private closeOurEnd(): void {
    if (this.ended) return;
    this.ended = true;
    this.conn?.close();
  }

  setKeepAlive(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }

  // ---- what the gateway tells the client

  private connected(): void {
    if (this.ended) return;
    this.open = true;
    this.onConnect?.();
    this.emit("connect");
    this.touched();
  }

  private closed(reason: "refused" | "reset"): void {
    if (this.ended) return;
    this.ended = true;
    const err = Object.assign(new Error(reason === "refused" ? `connect ECONNREFUSED ${this.remoteAddress}:${this.remotePort}` : "read ECONNRESET"), { code: reason === "refused" ? "ECONNREFUSED" : "ECONNRESET" });
    this.emit("error", err);
    this.emit("close", true);
    this.touched();
  }

  /** Name resolution failed (a host that is no broker of the world). */
  notFound(): void {
    this.ended = true;
    this.emit("error", Object.assign(new Error(`getaddrinfo ENOTFOUND ${this.remoteAddress}`), { code: "ENOTFOUND" }));
    this.emit("close", true);
    this.touched();
  }

  get connecting(): boolean {
    return !this.open && !this.ended;
  }
}
