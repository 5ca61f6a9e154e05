// The wire gateway: real Kafka clients meet the simulated brokers. Each TCP connection of a real client is an
// outside node of the world (a pool declared up front: the network is sized by its nodes), at the client's end of a
// simulated connection to one broker; the broker answers its requests exactly as it answers the modelled clients'
// messages (connection.ts, plan.ts). The gateway keeps what the simulated logs cannot hold (the records' bytes:
// records.ts) and records what the real clients did in the run's history (clients.ts), so the same checkers judge
// them. Hosts: the real kafkajs in virtual time (sim/client/kafkajs-real/) and `kafkasim serve` (cli/commands/serve.ts).
import type { NodeId } from "../../core/ids.ts";
import { brokerNode, nodeId } from "../../core/ids.ts";
import { SimInputError } from "../../core/errors.ts";
import type { Actor, ActorFactory, NodeContext } from "../../core/node.ts";
import type { Message } from "../../kafka/protocol.ts";
import type { TraceEvent } from "../../events.ts";
import type { HistoryRecorder } from "../../history.ts";
import type { ConsumerSpec, ProducerSpec, Scenario } from "../../scenario/types.ts";
import type { OutsideNodes } from "../../world.ts";
import { crc32c } from "../crc32c.ts";
import { ObservedClients } from "./clients.ts";
import { GatewayConnection, type WireTransport } from "./connection.ts";
import type { GatewayShared } from "./plan.ts";
import { RecordStore } from "./records.ts";
import { GatewayTxns } from "./txns.ts";

export type { WireTransport } from "./connection.ts";
export { GatewayConnection } from "./connection.ts";
export { RecordStore, type StoredRecord } from "./records.ts";

export interface GatewayOptions {
  /** Outside nodes: how many connections may be open at once. */
  readonly connections: number;
  /** Node ids are "<prefix>-1", "<prefix>-2", ... */
  readonly prefix?: string;
  /** Where broker b listens, as Metadata advertises it. */
  address(broker: number): { readonly host: string; readonly port: number };
  /** Date.now() at virtual time 0 (the timestamps of the modelled producers' records). */
  readonly epochMs: number;
  /** Who the clients are, in the specs it adds to the result ("kafkajs", "wire"). */
  readonly origin: string;
  readonly clusterId?: string;
  /** Mix a number into the run's hash (every frame both ways: the bytes are part of the run). */
  readonly mix?: (n: number) => void;
}

/** The world's side of the gateway, bound once the world exists. */
export interface GatewayBinding {
  readonly history: HistoryRecorder;
  nextValue(): number;
}

/** What an outside node carries: a client's connection, or a one-off question (probe). */
interface Carried {
  readonly brokerNode: NodeId;
  onAnswer(msg: Message): void;
  onDisconnect(): void;
}

class OutsideNode implements Actor<Message, TraceEvent> {
  ctx!: NodeContext<Message, TraceEvent>;
  conn: Carried | null = null;
  onStart(ctx: NodeContext<Message, TraceEvent>): void {
    this.ctx = ctx;
  }
  onMessage(_ctx: NodeContext<Message, TraceEvent>, from: NodeId, msg: Message): void {
    const c = this.conn;
    if (c !== null && from === c.brokerNode) c.onAnswer(msg);
  }
  onTimer(): void {}
  onDisconnect(_ctx: NodeContext<Message, TraceEvent>, peer: NodeId): void {
    const c = this.conn;
    if (c !== null && peer === c.brokerNode) c.onDisconnect();
  }
}

export class Gateway {
  readonly ids: readonly NodeId[];
  private readonly nodes = new Map<NodeId, OutsideNode>();
  /** Free nodes, least recently used first (a node is reused as late as possible). */
  private readonly free: NodeId[];
  private binding: GatewayBinding | null = null;
  private clientsObserved: ObservedClients | null = null;
  readonly records: RecordStore;
  private readonly txns = new GatewayTxns();
  private corrSeq = 0;
  /** Connections opened so far, and the most open at once. */
  opened = 0;
  peakOpen = 0;

  constructor(private readonly opts: GatewayOptions) {
    const prefix = opts.prefix ?? "ext";
    if (!(Number.isInteger(opts.connections) && opts.connections >= 1)) throw new SimInputError("INVALID_CONFIG", `connections must be an integer ≥ 1, got ${opts.connections}`);
    this.ids = Array.from({ length: opts.connections }, (_, i) => nodeId(`${prefix}-${i + 1}`));
    this.free = [...this.ids];
    this.records = new RecordStore(opts.epochMs);
  }

  /** What the world needs to declare and build the outside nodes. */
  outside(): OutsideNodes {
    return {
      ids: this.ids,
      factory: (id): ActorFactory<Message, TraceEvent> => () => {
        const n = new OutsideNode();
        this.nodes.set(id, n);
        return n;
      },
    };
  }

  bind(binding: GatewayBinding): void {
    this.binding = binding;
    this.clientsObserved = new ObservedClients(binding.history, this.opts.origin);
  }

  get clients(): ObservedClients {
    if (this.clientsObserved === null) throw new Error("gateway used before the world was bound");
    return this.clientsObserved;
  }

  private shared(): GatewayShared {
    const b = this.binding;
    if (b === null) throw new Error("gateway used before the world was bound");
    return {
      records: this.records,
      clients: this.clients,
      txns: this.txns,
      corr: () => ++this.corrSeq,
      nextValue: () => b.nextValue(),
      address: (broker) => this.opts.address(broker),
      clusterId: this.opts.clusterId ?? "kafkasim",
    };
  }

  get openConnections(): number {
    return this.ids.length - this.free.length;
  }

  /** Open a connection to `broker` for `transport` on a free outside node. `handshake`: a round trip to the broker
   *  before `transport.connected()` (the real kafkajs host: TCP's connect); without it (serve: the OS accepted
   *  the socket already) the connection is open at once. */
  connect(broker: number, transport: WireTransport, opts: { readonly handshake: boolean; readonly maxFrameBytes?: number }): GatewayConnection {
    const id = this.free.shift();
    if (id === undefined) throw new SimInputError("INVALID_CONFIG", `all ${this.ids.length} outside connections are in use; raise connections`);
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`outside node ${id} is not running`);
    const mix = this.opts.mix;
    const conn = new GatewayConnection(
      this.shared(),
      {
        ctx: node.ctx,
        release: () => {
          if (node.conn === (conn as Carried)) node.conn = null;
          this.free.push(id);
        },
        mixFrame: mix === undefined ? () => {} : (bytes) => mix(crc32c(bytes) ^ bytes.length),
      },
      broker,
      brokerNode(broker),
      transport,
      opts,
    );
    node.conn = conn;
    this.opened++;
    if (this.openConnections > this.peakOpen) this.peakOpen = this.openConnections;
    return conn;
  }

  /** Ask `broker` one typed question from a free outside node, outside any client (a host checking the cluster is
   *  up before its client code starts): `onAnswer` gets the answer, or null when the connection broke. */
  probe(broker: number, msg: Message & { readonly corr: number }, onAnswer: (answer: Message | null) => void): void {
    const id = this.free.shift();
    if (id === undefined) throw new SimInputError("INVALID_CONFIG", `all ${this.ids.length} outside connections are in use; raise connections`);
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`outside node ${id} is not running`);
    const to = brokerNode(broker);
    const done = (answer: Message | null): void => {
      if (node.conn !== probe) return;
      node.conn = null;
      node.ctx.closeConnection(to);
      this.free.push(id);
      onAnswer(answer);
    };
    const probe: Carried = { brokerNode: to, onAnswer: (m) => (m as { corr?: number }).corr === msg.corr && done(m), onDisconnect: () => done(null) };
    node.conn = probe;
    node.ctx.send(to, msg);
  }

  /** A correlation number no connection uses. */
  nextCorr(): number {
    return ++this.corrSeq;
  }

  /** The scenario as the result should show it: with the real clients the gateway saw, as external specs. */
  resultScenario(s: Scenario): Scenario {
    const producers: ProducerSpec[] = this.clients.producerSpecs().filter((p) => !s.producers.some((x) => x.id === p.id));
    const consumers: ConsumerSpec[] = this.clients.consumerSpecs().filter((c) => !s.consumers.some((x) => x.group === c.group));
    return { ...s, producers: [...s.producers, ...producers], consumers: [...s.consumers, ...consumers] };
  }
}
