// The real kafkajs, unmodified, against the simulated cluster in virtual time. The user's code creates kafkajs
// clients with our socketFactory (sim.config(clientId)); every socket is a connection of the wire gateway
// (sim/wire/gateway/), so the brokers answer kafkajs's requests as they answer the modelled clients. While the code
// runs, kafkajs's timers, Date and randomness are the simulation's (virtual-globals.ts), and the host drives the
// scheduler one step at a time: after every event that reached kafkajs (bytes on a socket, a timer of its) it lets
// the promises that event settled run to completion before the next event. Same seed, same run, event for event:
// the bytes kafkajs writes and reads are mixed into the run's hash.
//
// Phases: the workload is the user's code (the scenario's faults fire on their schedule while it runs; it must
// settle within the scenario's durationMs of virtual time); then the drain (everything healed and restarted, for
// drainMs: kafkajs clients the code left running keep running) and the result, judged like any run, with the
// clients the gateway saw added to its scenario as external specs.
import type { Scenario } from "../../scenario/types.ts";
import type { RunOptions, RunResult } from "../../result.ts";
import type { FaultAction } from "../../faults/types.ts";
import type { HistoryRecorder } from "../../history.ts";
import type { StopReason } from "../../core/scheduler.ts";
import { msToUs } from "../../core/time.ts";
import type { TimeUs } from "../../core/time.ts";
import { SimInputError } from "../../core/errors.ts";
import { createWorld, worldTopics } from "../../world.ts";
import { brokerNode } from "../../core/ids.ts";
import type { Message } from "../../kafka/protocol.ts";
import { Gateway } from "../../wire/gateway/index.ts";
import { installVirtualGlobals } from "./virtual-globals.ts";
import { SimSocket } from "./sim-socket.ts";

/** Date.now() at virtual time 0 (2023-11-14T22:13:20Z): fixed, so timestamps are part of the seeded run. */
export const DEFAULT_EPOCH_MS = 1_700_000_000_000;
const PORT = 9092;

export interface SocketFactoryArgs {
  readonly host: string;
  readonly port: number;
  readonly ssl?: unknown;
  readonly onConnect?: () => void;
}

/** What the user's code gets. */
export interface KafkajsSim {
  /** "broker-1:9092", ...: the bootstrap list (any of them will do, as with a real cluster). */
  readonly brokers: readonly string[];
  /** kafkajs's socketFactory option. */
  readonly socketFactory: (args: SocketFactoryArgs) => SimSocket;
  /** `new Kafka({ ...sim.config("my-app"), logLevel: logLevel.NOTHING })` */
  config(clientId: string): { clientId: string; brokers: string[]; socketFactory: (args: SocketFactoryArgs) => SimSocket };
  /** Virtual time since the start of the run. */
  nowMs(): number;
  /** Resolves after `ms` of virtual time. */
  sleep(ms: number): Promise<void>;
  /** Fire a fault now (e.g. `{ kind: "kill", target: { leaderOf: "orders-0" } }`). */
  fault(action: FaultAction): void;
  /** The broker leading a partition now ("orders-0"), or null. */
  leaderOf(tp: string): number | null;
  readonly history: HistoryRecorder;
}

export interface KafkajsRunOptions extends RunOptions {
  /** Connections (sockets) that may be open at once (default 64). */
  readonly connections?: number;
  /** Date.now() at virtual time 0. */
  readonly epochMs?: number;
  /** Start the code once the cluster is up (default true): every live broker answers Metadata with a controller
   *  and a leader for every partition — as a test against a real cluster starts once it is up. False: at once. */
  readonly waitForCluster?: boolean;
}

export interface KafkajsRun<T> {
  readonly result: RunResult;
  /** What the user's code returned, if it settled without throwing in time. */
  readonly value?: T;
  /** What it threw, or why it did not finish (it was still running at durationMs; nothing left to happen). */
  readonly error?: unknown;
  /** Connections kafkajs opened, and the most open at once. */
  readonly connections: { readonly opened: number; readonly peak: number };
}

const realSetImmediate = globalThis.setImmediate;

/** Let every promise settled so far run (and those they settle), then come back: one turn of the real event loop,
 *  in which nothing else is waiting (kafkajs's I/O and timers are simulated). */
function settle(): Promise<void> {
  return new Promise((resolve) => realSetImmediate(resolve));
}

export async function runKafkajs<T>(s: Scenario, body: (sim: KafkajsSim) => Promise<T>, opts: KafkajsRunOptions = {}): Promise<KafkajsRun<T>> {
  const epochMs = opts.epochMs ?? DEFAULT_EPOCH_MS;
  let mix: (n: number) => void = () => {};
  const gateway = new Gateway({
    connections: opts.connections ?? 64,
    address: (b) => ({ host: `broker-${b}`, port: PORT }),
    epochMs,
    origin: "kafkajs",
    mix: (n) => mix(n),
  });
  const world = createWorld(s, { ...opts, outside: gateway.outside() });
  const rt = world.runtime;
  mix = (n) => rt.trace.hash.mix(n);
  gateway.bind({ history: world.history, nextValue: world.nextValue });
  const sched = rt.scheduler;

  let dirty = false;
  const touched = (): void => {
    dirty = true;
  };
  const failure: { timer: { e: unknown } | null } = { timer: null };
  const uninstall = installVirtualGlobals({
    clock: { nowUs: () => rt.nowUs, at: (atUs, fn) => rt.call(atUs, fn), cancel: (h) => sched.cancel(h) },
    epochMs,
    rng: rt.rng.fork("kafkajs/random"),
    onError: (e) => {
      failure.timer ??= { e };
    },
    onFire: touched,
  });

  const brokerIds = Array.from({ length: s.brokers }, (_, i) => i + 1);
  const socketFactory = ({ host, port, onConnect }: SocketFactoryArgs): SimSocket => {
    const socket = new SimSocket(host, port, onConnect, touched);
    const m = /^broker-(\d+)$/.exec(host);
    const broker = m === null ? NaN : Number(m[1]);
    if (!brokerIds.includes(broker)) {
      // As a failed name lookup: reported from the event loop, not inside the call.
      rt.call(rt.nowUs, () => socket.notFound());
      return socket;
    }
    socket.attach(gateway.connect(broker, socket.transport, { handshake: true }));
    return socket;
  };
  const sim: KafkajsSim = {
    brokers: brokerIds.map((b) => `broker-${b}:${PORT}`),
    socketFactory,
    config: (clientId) => ({ clientId, brokers: brokerIds.map((b) => `broker-${b}:${PORT}`), socketFactory }),
    nowMs: () => rt.nowUs / 1000,
    sleep: (ms) => new Promise((resolve) => globalThis.setTimeout(resolve, ms)), // eslint-disable-line no-restricted-properties
    fault: (action) => world.faults.fireNow(action),
    leaderOf: (tp) => {
      const n = world.faults.resolve({ leaderOf: tp })[0];
      return n === undefined ? null : Number(n.slice("broker-".length));
    },
    history: world.history,
  };

  /** Run events until `limitUs`, stopping after each one that reached kafkajs to let its promises run; `until`
   *  ends it early (the user's code settled). */
  const drive = async (limitUs: number, until: () => boolean): Promise<StopReason> => {
    for (;;) {
      await settle();
      if (failure.timer !== null || until()) return { kind: "predicate" };
      dirty = false;
      const r = rt.runUntil(() => dirty || sched.peekTimeUs() > limitUs);
      if (r.kind !== "predicate") return r;
      if (!dirty) return rt.runUntil(limitUs as TimeUs);
    }
  };

  /** Every partition the world has (its topics, and __consumer_offsets). */
  const partitions = worldTopics(s, true).flatMap((t) => Array.from({ length: t.partitions }, (_, p) => `${t.name}\u0000${p}`));
  const covers = (a: Message | null): boolean => {
    if (a === null || a.type !== "metadata-response" || a.controller === null) return false;
    const led = new Set(a.partitions.filter((p) => p.leader !== null).map((p) => `${p.topic}\u0000${p.partition}`));
    return partitions.every((p) => led.has(p));
  };
  /** Ask every live broker for Metadata until all of them know a controller and a leader for every partition. */
  const clusterReady = async (deadlineUs: number): Promise<boolean> => {
    while (rt.nowUs < deadlineUs && failure.timer === null) {
      const up = brokerIds.filter((b) => rt.status(brokerNode(b)) === "up");
      let pending = up.length;
      let ok = up.length > 0;
      for (const b of up) {
        gateway.probe(b, { type: "metadata", corr: gateway.nextCorr(), topics: null }, (a) => {
          pending--;
          ok &&= covers(a);
          touched();
        });
      }
      await drive(Math.min(deadlineUs, rt.nowUs + 1_000_000), () => pending === 0);
      if (pending === 0 && ok) return true;
      await drive(Math.min(deadlineUs, rt.nowUs + 50_000), () => false);
    }
    return false;
  };

  let settled = false;
  let value: T | undefined;
  let error: unknown;
  let run: KafkajsRun<T> | undefined;
  try {
    if ((opts.waitForCluster ?? true) && !(await clusterReady(msToUs(s.durationMs)))) {
      error = new SimInputError("INVALID_SCENARIO", `the cluster was not up (a controller and a leader for every partition, on every live broker) by durationMs (${s.durationMs} ms of virtual time); the kafkajs code did not start`);
      settled = true;
    }
    if (!settled) void Promise.resolve()
      .then(() => body(sim))
      .then(
        (v) => {
          value = v;
          settled = true;
        },
        (e: unknown) => {
          error = e;
          settled = true;
        },
      );
    let stop = await drive(msToUs(s.durationMs), () => settled);
    if (!settled && error === undefined) {
      error =
        stop.kind === "idle"
          ? new SimInputError("INVALID_SCENARIO", `the kafkajs code is waiting at ${rt.nowUs / 1000} ms of virtual time, but nothing is left to happen (a promise nothing will settle?)`)
          : stop.kind === "time-limit"
            ? new SimInputError("INVALID_DURATION", `the kafkajs code was still running at durationMs (${s.durationMs} ms of virtual time); raise durationMs or let it finish sooner`)
            : new SimInputError("INVALID_SCENARIO", `the run stopped early (${stop.kind}) while the kafkajs code was running`);
    }
    if (failure.timer !== null) error ??= failure.timer.e;
    if (stop.kind === "predicate" || stop.kind === "time-limit" || stop.kind === "idle") {
      world.beginDrain();
      stop = await drive(rt.nowUs + msToUs(s.drainMs), () => failure.timer !== null);
      if (stop.kind === "predicate") stop = { kind: "time-limit", atUs: rt.nowUs };
    }
    const result = world.finish(stop, gateway.resultScenario(s));
    run = { result, ...(settled && error === undefined ? { value: value as T } : {}), ...(error !== undefined ? { error } : {}), connections: { opened: gateway.opened, peak: gateway.peakOpen } };
  } finally {
    uninstall();
  }
  return run;
}
