import { describe, it, expect } from "vitest";
import { Runtime } from "./runtime.ts";
import type { Actor, NodeContext } from "./node.ts";
import { nodeId } from "./ids.ts";
import type { NodeId } from "./ids.ts";
import { SimInputError } from "./errors.ts";
import { asTimeUs } from "./time.ts";

type Msg = string;
type Ev = { readonly type: "saw"; readonly what: string };

const A = nodeId("a");
const B = nodeId("b");

/** A node that ticks every 1 ms, logs every message/timer with the time it saw it, and counts its boots. */
class Logger implements Actor<Msg, Ev> {
  static boots = 0;
  readonly seen: string[] = [];
  readonly seenAt: number[] = [];
  ticks = 0;
  readonly bootNo: number;
  constructor(readonly log: string[]) {
    this.bootNo = ++Logger.boots;
  }
  onStart(ctx: NodeContext<Msg, Ev>): void {
    ctx.setTimer(1000, "tick");
  }
  onMessage(ctx: NodeContext<Msg, Ev>, from: NodeId, msg: Msg): void {
    this.seen.push(`${from}:${msg}`);
    this.seenAt.push(ctx.nowUs);
    this.log.push(`${ctx.self}<-${from}:${msg}@${ctx.nowUs}`);
  }
  onTimer(ctx: NodeContext<Msg, Ev>, tag: unknown): void {
    this.ticks++;
    this.seen.push(`timer:${String(tag)}`);
    this.seenAt.push(ctx.nowUs);
    ctx.setTimer(1000, "tick");
  }
}

function twoNodes(opts: { shuffleTies?: boolean } = {}) {
  const rt = new Runtime<Msg, Ev>([A, B], { seed: 3, latency: { dist: "constant", valueMs: 0.1 }, record: true, ...opts });
  const log: string[] = [];
  rt.addNode(A, () => new Logger(log));
  rt.addNode(B, () => new Logger(log));
  rt.startAll();
  const send = (from: NodeId, to: NodeId, m: Msg): boolean => rt.inject(from, (_a, ctx) => ctx.send(to, m));
  const actor = (id: NodeId): Logger => rt.actor(id) as Logger;
  return { rt, log, send, actor };
}

describe("Runtime: pause and resume", () => {
  it("a paused node sees nothing, then everything in order on resume, at the resume time, unaware", () => {
    for (const shuffleTies of [false, true]) {
      const w = twoNodes({ shuffleTies });
      w.rt.runUntil(asTimeUs(500));
      const actorBefore = w.actor(B);
      w.rt.pause(B);
      expect(w.rt.status(B)).toBe("paused");
      const before = w.actor(B).seen.length;
      for (let i = 0; i < 10; i++) {
        w.send(A, B, `m${i}`);
        w.rt.runUntil(asTimeUs(w.rt.nowUs + 300));
      }
      w.rt.runUntil(asTimeUs(5000));
      expect(w.actor(B).seen.length).toBe(before); // nothing while paused (no messages, no timers)
      expect(w.rt.inject(B, () => {})).toBe(false);
      w.rt.resume(B);
      w.rt.runUntil(asTimeUs(5000));
      const after = w.actor(B).seen.slice(before);
      // Messages in send order, interleaved with the timer that fired during the pause at its place.
      expect(after.filter((s) => s.startsWith("a:"))).toEqual(Array.from({ length: 10 }, (_, i) => `a:m${i}`));
      expect(after.filter((s) => s.startsWith("timer"))).toEqual(["timer:tick"]); // the 1 ms tick, fired once
      expect(after.indexOf("timer:tick")).toBe(2); // tick at 1000 µs came after m0 (600) and m1 (900)
      expect(new Set(w.actor(B).seenAt.slice(before))).toEqual(new Set([5000])); // all at resume time
      expect(w.actor(B)).toBe(actorBefore); // same actor: state kept, no restart
      expect(w.rt.status(B)).toBe("up");
      // And it keeps living normally.
      w.rt.runUntil(asTimeUs(7000));
      expect(w.actor(B).ticks).toBe(3);
    }
  });

  it("the trace records pause and resume", () => {
    const w = twoNodes();
    w.rt.pause(A);
    w.rt.runUntil(asTimeUs(100));
    w.rt.resume(A);
    expect(w.rt.trace.events.map((e) => [e.type, e.timeUs])).toEqual([
      ["node-pause", 0],
      ["node-resume", 100],
    ]);
  });

  it("killing a paused node discards what it had not seen", () => {
    const w = twoNodes();
    w.rt.pause(B);
    w.send(A, B, "x");
    w.rt.runUntil(asTimeUs(2000));
    w.rt.kill(B);
    w.rt.restart(B);
    w.rt.runUntil(asTimeUs(2500));
    expect(w.actor(B).seen).toEqual([]);
  });
});

describe("Runtime: kill, power loss, stop and restart", () => {
  function diskWorld() {
    const rt = new Runtime<Msg, Ev>([A], { seed: 1 });
    const shutdowns: number[] = [];
    let boots = 0;
    rt.addNode(A, (ctx) => {
      boots++;
      const bootNo = boots;
      return {
        onStart(c) {
          c.setTimer(1000, "t");
        },
        onMessage() {},
        onTimer(c) {
          c.disk.log("l").append(bootNo, c.nowUs, -1, 0, 0, c.nowUs);
          c.setTimer(1000, "t");
        },
        onShutdown() {
          shutdowns.push(ctx.nowUs);
          ctx.disk.writeBlob("clean", true);
        },
      };
    });
    rt.startAll();
    return { rt, shutdowns, boots: () => boots };
  }

  it("kill keeps unflushed writes (page cache), power loss drops them, stop flushes", () => {
    const k = diskWorld();
    k.rt.runUntil(asTimeUs(3500));
    k.rt.kill(A);
    expect(k.rt.disk(A).log("l").endOffset).toBe(3);
    expect(k.shutdowns).toEqual([]);

    const p = diskWorld();
    p.rt.runUntil(asTimeUs(3500));
    p.rt.disk(A).log("l").flush();
    p.rt.runUntil(asTimeUs(5500));
    p.rt.powerLoss(A);
    expect(p.rt.disk(A).log("l").endOffset).toBe(3);

    const s = diskWorld();
    s.rt.runUntil(asTimeUs(3500));
    s.rt.stop(A);
    expect(s.shutdowns).toEqual([3500]);
    expect(s.rt.status(A)).toBe("stopped");
    s.rt.powerLoss(A); // even a power loss afterwards keeps everything: stop flushed
    expect(s.rt.disk(A).log("l").endOffset).toBe(3);
    expect(s.rt.disk(A).readBlob("clean")).toBe(true);
  });

  it("a down node's timers vanish; restart builds a fresh actor on the same disk", () => {
    const k = diskWorld();
    k.rt.runUntil(asTimeUs(2500));
    k.rt.kill(A);
    expect(k.rt.status(A)).toBe("killed");
    expect(k.rt.actor(A)).toBeUndefined();
    k.rt.runUntil(asTimeUs(10_000));
    expect(k.rt.disk(A).log("l").endOffset).toBe(2); // no timer fired while down
    k.rt.restart(A);
    expect(k.boots()).toBe(2);
    expect(k.rt.status(A)).toBe("up");
    k.rt.runUntil(asTimeUs(12_000));
    const l = k.rt.disk(A).log("l");
    expect(l.endOffset).toBe(4);
    expect([l.epochAt(0), l.epochAt(1), l.epochAt(2), l.epochAt(3)]).toEqual([1, 1, 2, 2]); // new actor wrote 2..3
    expect(l.valueAt(2)).toBe(11_000);
  });

  it("lifecycle calls on nodes in the wrong state are no-ops; restart of an up node does nothing", () => {
    const k = diskWorld();
    k.rt.restart(A);
    expect(k.boots()).toBe(1);
    k.rt.resume(A);
    k.rt.kill(A);
    k.rt.kill(A);
    k.rt.pause(A);
    expect(k.rt.status(A)).toBe("killed");
    k.rt.lifecycle("restart", A);
    expect(k.boots()).toBe(2);
  });

  it("the runtime emits lifecycle events into the trace and hash", () => {
    const k = diskWorld();
    const h0 = k.rt.trace.traceHash;
    k.rt.kill(A);
    expect(k.rt.trace.traceHash).not.toBe(h0);
  });
});

describe("Runtime: bad input", () => {
  it("duplicate or unknown node ids are SimInputErrors that name the node", () => {
    expect(() => new Runtime([A, A], { seed: 1 })).toThrow(SimInputError);
    expect(() => new Runtime([A, A], { seed: 1 })).toThrow(/"a" is used twice/);
    const rt = new Runtime<Msg, Ev>([A], { seed: 1 });
    expect(() => rt.addNode(B, () => new Logger([]))).toThrow(/node "b" was not declared; declared: a/);
    rt.addNode(A, () => new Logger([]));
    expect(() => rt.addNode(A, () => new Logger([]))).toThrow(SimInputError);
    for (const f of [() => rt.kill(B), () => rt.pause(B), () => rt.status(B), () => rt.disk(B)]) {
      try {
        f();
        expect.unreachable();
      } catch (e) {
        expect((e as SimInputError).code).toBe("UNKNOWN_NODE");
      }
    }
  });

  it("an invalid seed or latency is refused at construction", () => {
    expect(() => new Runtime([A], { seed: Number.NaN })).toThrow(SimInputError);
    expect(() => new Runtime([A], { seed: 1, latency: { dist: "exponential", meanMs: -1 } })).toThrow(/meanMs must be a finite number ≥ 0/);
  });

  it("call() runs world functions at their time; a timer with a negative delay is refused", () => {
    const rt = new Runtime<Msg, Ev>([A], { seed: 1 });
    rt.addNode(A, () => new Logger([]));
    const at: number[] = [];
    rt.call(700, () => at.push(rt.nowUs));
    rt.call(300, () => at.push(rt.nowUs));
    rt.startAll();
    rt.runUntil(asTimeUs(1000));
    expect(at).toEqual([300, 700]);
    expect(() => rt.inject(A, (_a, ctx) => ctx.setTimer(-5, "x"))).toThrow(SimInputError);
  });
});
