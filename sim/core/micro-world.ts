// A kernel-only micro-world for determinism proofs (tests, worker threads): a handful of actors exchanging
// messages on random timers over a random-latency network, with a few faults (kill/restart, power loss,
// pause/resume, partition/heal, a flaky link). No Kafka: it exercises only sim/core, sim/net and sim/disk.
import { Runtime } from "./runtime.ts";
import type { Actor, NodeContext } from "./node.ts";
import { nodeId } from "./ids.ts";
import type { NodeId } from "./ids.ts";
import type { Seed } from "./rng.ts";
import { msToUs } from "./time.ts";
import type { StopReason } from "./scheduler.ts";

type MicroMsg = { readonly kind: "ping" | "pong"; readonly n: number; readonly hops: number };
type MicroEvent =
  | { readonly type: "micro-recv"; readonly node: string; readonly from: string; readonly n: number; readonly hops: number }
  | { readonly type: "micro-recovered"; readonly node: string; readonly records: number }
  | { readonly type: "micro-disconnect"; readonly node: string; readonly peer: string };

export interface MicroWorldResult {
  readonly traceHash: string;
  readonly events: number;
  readonly nowUs: number;
  readonly stop: StopReason["kind"];
}

export interface MicroWorldOptions {
  readonly nodes?: number;
  readonly durationMs?: number;
  readonly shuffleTies?: boolean;
}

const TICK = "tick";

class MicroActor implements Actor<MicroMsg, MicroEvent> {
  private sent = 0;
  constructor(private readonly peers: readonly NodeId[]) {}

  onStart(ctx: NodeContext<MicroMsg, MicroEvent>): void {
    const log = ctx.disk.log("micro");
    ctx.emit({ type: "micro-recovered", node: ctx.self, records: log.endOffset });
    ctx.setTimer(ctx.rng.int(100, 3000), TICK);
  }

  onMessage(ctx: NodeContext<MicroMsg, MicroEvent>, from: NodeId, msg: MicroMsg): void {
    ctx.emit({ type: "micro-recv", node: ctx.self, from, n: msg.n, hops: msg.hops });
    const log = ctx.disk.log("micro");
    log.append(msg.hops, msg.n, -1, 0, 0, ctx.nowUs);
    if (ctx.rng.chance(0.2)) log.flush();
    if (msg.kind === "ping" && msg.hops < 4) ctx.send(from, { kind: "pong", n: msg.n, hops: msg.hops + 1 });
    else if (msg.kind === "pong" && ctx.rng.chance(0.5)) ctx.send(ctx.rng.pick(this.peers), { kind: "ping", n: msg.n, hops: msg.hops + 1 });
  }

  onTimer(ctx: NodeContext<MicroMsg, MicroEvent>): void {
    const to = ctx.rng.pick(this.peers);
    ctx.send(to, { kind: "ping", n: this.sent++, hops: 0 });
    ctx.setTimer(ctx.rng.int(200, 5000), TICK);
  }

  onDisconnect(ctx: NodeContext<MicroMsg, MicroEvent>, peer: NodeId): void {
    ctx.emit({ type: "micro-disconnect", node: ctx.self, peer });
  }
}

/** Run the micro-world for one seed; the result depends only on (seed, options). */
export function runMicroWorld(seed: Seed, opts: MicroWorldOptions = {}): MicroWorldResult {
  const n = opts.nodes ?? 5;
  const ids = Array.from({ length: n }, (_, i) => nodeId(`n${i + 1}`));
  const rt = new Runtime<MicroMsg, MicroEvent>(ids, {
    seed,
    latency: { dist: "lognormal", medianMs: 0.5, sigma: 0.8 },
    shuffleTies: opts.shuffleTies ?? true,
    maxEvents: 1_000_000,
  });
  for (const id of ids) {
    const peers = ids.filter((p) => p !== id);
    rt.addNode(id, () => new MicroActor(peers));
  }
  rt.startAll();

  // Faults drawn from their own stream, so their schedule is part of the seed's run.
  const faults = rt.rng.fork("faults");
  const durationUs = msToUs(opts.durationMs ?? 200);
  const pick = (): NodeId => faults.pick(ids);
  const at = (): number => faults.int(0, durationUs - 1);
  const victim = pick();
  const killAt = at();
  rt.call(killAt, () => rt.kill(victim));
  rt.call(killAt + faults.int(1000, 30_000), () => rt.restart(victim));
  const powered = pick();
  const powerAt = at();
  rt.call(powerAt, () => rt.powerLoss(powered));
  rt.call(powerAt + faults.int(1000, 30_000), () => rt.restart(powered));
  const paused = pick();
  const pauseAt = at();
  rt.call(pauseAt, () => rt.pause(paused));
  rt.call(pauseAt + faults.int(1000, 50_000), () => rt.resume(paused));
  const partAt = at();
  const split = faults.int(1, n - 1);
  const shuffled = faults.shuffle(ids.map((id) => rt.index(id)));
  rt.call(partAt, () => rt.network.partition([shuffled.slice(0, split), shuffled.slice(split)]));
  rt.call(partAt + faults.int(1000, 40_000), () => rt.network.healAll());
  const f = rt.index(pick());
  const t = rt.index(pick());
  if (f !== t) rt.network.flaky(f, t, 0.3);

  const stop = rt.runUntil(durationUs);
  return { traceHash: rt.trace.traceHash, events: rt.scheduler.dispatched, nowUs: rt.nowUs, stop: stop.kind };
}

/** runMicroWorld for each seed (one call for a worker thread to make). */
export function runMicroWorlds(seeds: readonly Seed[]): MicroWorldResult[] {
  return seeds.map((s) => runMicroWorld(s));
}
