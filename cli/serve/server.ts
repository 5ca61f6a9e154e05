// `kafkasim serve`'s engine: the simulated cluster in real time, as a Kafka endpoint on 127.0.0.1 for any real
// client (kcat, librdkafka, the Java client, an application in any language). One TCP port per simulated broker,
// advertised in Metadata; each accepted TCP connection is a connection of the wire gateway (sim/wire/gateway/) on an
// outside node of the world, so the brokers answer exactly as they answer the modelled clients. A driver advances
// the scheduler to the wall clock (virtual µs = wall µs since the start): the scenario's faults fire on the wall
// clock, and on command. Not deterministic — the clients are real, on real time — but judged by the same checkers:
// stop() drains the cluster (in virtual time, at full speed) and returns the run's result.
import net from "node:net";
import type { Scenario } from "../../sim/scenario/types.ts";
import type { RunResult } from "../../sim/result.ts";
import type { FaultAction } from "../../sim/faults/types.ts";
import { createWorld, type World } from "../../sim/world.ts";
import { Gateway, type GatewayConnection, type RecordStore } from "../../sim/wire/gateway/index.ts";
import { COORDINATOR_NODE, brokerNode } from "../../sim/core/ids.ts";
import { msToUs } from "../../sim/core/time.ts";
import type { Broker } from "../../sim/broker/broker.ts";
import type { TimeUs } from "../../sim/core/time.ts";

export interface ServeOptions {
  readonly host?: string;
  /** Port of broker 1; broker b listens on port + b - 1. 0: any free ports. */
  readonly port?: number;
  /** Connections that may be open at once (outside nodes; default 256). */
  readonly connections?: number;
}

export interface ServeStats {
  readonly connectionsOpened: number;
  readonly connectionsOpen: number;
  readonly peakConnections: number;
  readonly recordsStored: number;
  readonly virtualMs: number;
  readonly events: number;
}

export interface ServeHandle {
  readonly host: string;
  /** The port of broker b at index b - 1. */
  readonly ports: readonly number[];
  /** "127.0.0.1:19092,127.0.0.1:19093,..." */
  readonly bootstrap: string;
  readonly world: World;
  /** The bytes the clients produced, by record value. */
  readonly records: RecordStore;
  /** Fire a fault now. Throws SimInputError for a target that does not exist. */
  fault(action: FaultAction): void;
  /** Leaders, ISR and node states, one line each. */
  status(): string;
  stats(): ServeStats;
  /** Close the ports and every client connection, drain the cluster (heal, restart, `drainMs` of virtual time at
   *  full speed) and return the run. */
  stop(): Promise<RunResult>;
}

function listen(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/** How far the simulation may run ahead at start-up for every partition to get a leader, in steps. */
const STARTUP_LIMIT_US = 30_000_000;
const STARTUP_STEP_US = 20_000;

export async function startServe(s: Scenario, opts: ServeOptions = {}): Promise<ServeHandle> {
  const host = opts.host ?? "127.0.0.1";
  const basePort = opts.port ?? 19092;
  const ports: number[] = [];
  const gateway = new Gateway({
    connections: opts.connections ?? 256,
    address: (b) => ({ host, port: ports[b - 1] ?? 0 }),
    epochMs: Date.now(),
    origin: "wire",
  });
  const world = createWorld(s, { outside: gateway.outside() });
  gateway.bind({ history: world.history, nextValue: world.nextValue });
  const rt = world.runtime;
  // Clients connect to a cluster that has started, as to one whose brokers are up: the simulation runs ahead (not
  // in real time) until every partition of the scenario's topics has a leader — a KRaft cluster elects its first
  // leaders only once its brokers are registered and unfenced (about 1.5 s) — then follows the wall clock from there.
  const ledAll = (): boolean =>
    s.topics.every((t) => {
      for (let p = 0; p < t.partitions; p++) {
        const tp = `${t.name}-${p}`;
        let led = false;
        for (let b = 1; b <= s.brokers && !led; b++) led = rt.status(brokerNode(b)) === "up" && (rt.actor(brokerNode(b)) as Broker | undefined)?.replicas.partitions.get(tp)?.role === "leader";
        if (!led) return false;
      }
      return true;
    });
  for (let us = 0; !ledAll() && us < STARTUP_LIMIT_US; ) world.runTo((us += STARTUP_STEP_US) as TimeUs);
  const t0 = performance.now() - rt.nowUs / 1000;
  const wallUs = (): TimeUs => Math.floor((performance.now() - t0) * 1000) as TimeUs;
  let stopped = false;
  /** Run every event due by now. */
  const advance = (): void => {
    if (stopped) return;
    const now = wallUs();
    if (now > rt.nowUs) world.runTo(now);
  };
  let tick: NodeJS.Timeout | undefined;
  const loop = (): void => {
    advance();
    if (stopped) return;
    const next = rt.scheduler.peekTimeUs();
    const waitMs = next === Number.POSITIVE_INFINITY ? 50 : Math.min(50, Math.max(0, (next - wallUs()) / 1000));
    tick = setTimeout(loop, waitMs);
  };

  const sockets = new Set<net.Socket>();
  const servers: net.Server[] = [];
  const serveSocket = (broker: number, socket: net.Socket): void => {
    advance();
    socket.setNoDelay(true);
    const status = rt.status(brokerNode(broker));
    if (stopped || (status !== "up" && status !== "paused")) {
      // Nothing listens: a dead broker's port refuses (here: accepts and resets at once).
      socket.resetAndDestroy();
      return;
    }
    let conn: GatewayConnection;
    try {
      conn = gateway.connect(
        broker,
        {
          write: (bytes) => {
            if (!socket.destroyed) socket.write(bytes);
          },
          connected: () => {},
          closed: () => {
            sockets.delete(socket);
            if (!socket.destroyed) socket.resetAndDestroy();
          },
        },
        { handshake: false },
      );
    } catch {
      socket.resetAndDestroy(); // every outside node is taken
      return;
    }
    sockets.add(socket);
    socket.on("data", (chunk: Buffer) => {
      advance();
      conn.receive(chunk);
    });
    const gone = (): void => {
      sockets.delete(socket);
      advance();
      conn.close();
    };
    socket.on("end", gone);
    socket.on("close", gone);
    socket.on("error", () => socket.destroy());
  };

  try {
    for (let b = 1; b <= s.brokers; b++) {
      const server = net.createServer((socket) => serveSocket(b, socket));
      servers.push(server);
      ports.push(await listen(server, host, basePort === 0 ? 0 : basePort + b - 1));
    }
  } catch (e) {
    for (const srv of servers) srv.close();
    throw e;
  }
  loop();

  return {
    host,
    ports,
    bootstrap: ports.map((p) => `${host}:${p}`).join(","),
    world,
    records: gateway.records,
    fault(action) {
      advance();
      world.faults.fireNow(action);
    },
    status() {
      advance();
      const lines: string[] = [`virtual ${(rt.nowUs / 1000).toFixed(0)} ms; connections open ${gateway.openConnections}`];
      lines.push(
        Array.from({ length: s.brokers }, (_, i) => `broker ${i + 1}: ${rt.status(brokerNode(i + 1))}`)
          .concat(`coordinator: ${rt.status(COORDINATOR_NODE)}`)
          .join(" · "),
      );
      for (const t of s.topics) {
        const parts = Array.from({ length: t.partitions }, (_, p) => {
          const leader = world.faults.resolve({ leaderOf: `${t.name}-${p}` })[0];
          return `${t.name}-${p}: leader ${leader === undefined ? "none" : leader.slice("broker-".length)}`;
        });
        lines.push(parts.join(" · "));
      }
      return lines.join("\n");
    },
    stats: () => ({ connectionsOpened: gateway.opened, connectionsOpen: gateway.openConnections, peakConnections: gateway.peakOpen, recordsStored: gateway.records.size, virtualMs: rt.nowUs / 1000, events: rt.scheduler.dispatched }),
    async stop() {
      advance();
      stopped = true;
      if (tick !== undefined) clearTimeout(tick);
      await Promise.all(servers.map((srv) => new Promise<void>((resolve) => srv.close(() => resolve()))).concat(closeSockets()));
      world.beginDrain();
      const stop = world.runTo((rt.nowUs + msToUs(s.drainMs)) as TimeUs);
      return world.finish(stop, gateway.resultScenario(s));
    },
  };

  function closeSockets(): Promise<void>[] {
    const out: Promise<void>[] = [];
    for (const socket of sockets) {
      out.push(new Promise((resolve) => socket.once("close", () => resolve())));
      socket.destroy();
    }
    sockets.clear();
    return out;
  }
}
