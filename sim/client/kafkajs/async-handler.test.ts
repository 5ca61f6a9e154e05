// Handlers of the scenario's TypeScript form (sim/client/user-code.ts) that are async or throw: an async handler runs
// in virtual time through the async bridge (runScenarioAsync), a rejection or a throw is a failed attempt retried
// per the processing spec, and a record counts as processed only once an attempt resolved.
/* eslint-disable no-restricted-globals, no-restricted-properties -- the user code under test reads the clock: the virtual one */
import { describe, expect, it } from "vitest";
import { buildScenario } from "../../scenario/defaults.ts";
import { runScenario } from "../../world.ts";
import { runScenarioAsync } from "./driver.ts";
import type { ConsumerHandler } from "../user-code.ts";
import type { HistoryOp } from "../../history.ts";

const scenario = (handler: ConsumerHandler) =>
  buildScenario({
    seed: 3,
    protocol: "3.7", // times assume the ZooKeeper-era start (leaders within ~0.1 s)
    durationMs: 2000,
    drainMs: 8000,
    broker: { "offsets.topic.num.partitions": 1, "group.initial.rebalance.delay.ms": 0 },
    producers: [{ id: "p1", topic: "orders", ratePerSec: 100, messages: 201 }],
    consumers: [{ group: "g1", topics: ["orders"], handler, config: { "auto.offset.reset": "earliest", "enable.auto.commit": false }, processing: { retries: 10, retryBackoffMs: 50 } }],
    // Records reach the group from about 1.1 s (a follower that fetched before the leader knew the partition backs
    // off replica.fetch.backoff.ms, and acks=all waits for it).
    faults: [{ atMs: 1200, action: { kind: "downstream-down", group: "g1", durationMs: 300 } }],
  });

type ProcessOp = Extract<HistoryOp, { f: "process" }>;
const processed = (ops: readonly HistoryOp[]): ProcessOp[] => ops.filter((op): op is ProcessOp => op.f === "process" && op.type === "ok" && op.value.result === "ok");

describe("async and throwing handlers of the scenario form", () => {
  it("runScenario refuses a handler that returns a Promise, naming runScenarioAsync (it used to count every record as processed)", () => {
    const h: ConsumerHandler = { eachMessage: async () => ({ ok: true }) };
    expect(() => runScenario(scenario(h))).toThrow(/g1: eachMessage returned a Promise.*runScenarioAsync/);
  });

  it("an async handler that throws while the database is down is retried; a record counts as processed only when an attempt resolved", async () => {
    // When each attempt settled (virtual µs), per value: the handler reads the virtual clock as it resolves or throws.
    const settled = new Map<number, { resolvedUs: number[]; threwUs: number[] }>();
    const h: ConsumerHandler = {
      eachMessage: async ({ message, downstreamDown }) => {
        await new Promise((r) => setTimeout(r, 3)); // a 3 ms database call, on the virtual clock
        const s = settled.get(message.value) ?? { resolvedUs: [], threwUs: [] };
        settled.set(message.value, s);
        const nowUs = Math.round(performance.now() * 1000);
        if (downstreamDown) {
          s.threwUs.push(nowUs);
          throw new Error("db down");
        }
        s.resolvedUs.push(nowUs);
        return { ok: true };
      },
    };
    const r = await runScenarioAsync(scenario(h));
    const ok = processed(r.history);
    expect(new Set(ok.map((op) => op.value.value)).size).toBe(201);
    const retried = [...settled.values()].filter((s) => s.threwUs.length > 0);
    expect(retried.length).toBeGreaterThan(0);
    for (const op of ok) {
      const s = settled.get(op.value.value);
      // Counted when its resolving attempt settled: never before, and never at a throw.
      expect(s?.resolvedUs).toContain(op.timeUs);
      expect(op.value.attempts).toBe((s?.threwUs.length ?? 0) + 1);
    }
    // A 3 ms attempt took 3 ms of virtual time: the first record's processing ends 3 ms after it began.
    const first = r.history.find((op) => op.f === "process" && op.type === "invoke");
    const firstOk = ok.find((op) => op.value.value === (first as ProcessOp).value.value);
    expect((firstOk as ProcessOp).timeUs - (first as ProcessOp).timeUs).toBe(3000);
    const again = await runScenarioAsync(scenario(h));
    expect(again.traceHash).toBe(r.traceHash);
  });

  it("a handler that throws synchronously is a failed attempt, retried, not the end of the run", () => {
    let threw = 0;
    const h: ConsumerHandler = {
      eachMessage: ({ downstreamDown }) => {
        if (downstreamDown) {
          threw++;
          throw new Error("db down");
        }
        return { processMs: 2 };
      },
    };
    const r = runScenario(scenario(h));
    expect(threw).toBeGreaterThan(0);
    expect(new Set(processed(r.history).map((op) => op.value.value)).size).toBe(201);
    const retried = processed(r.history).filter((op) => (op.value.attempts ?? 1) > 1);
    expect(retried.reduce((n, op) => n + (op.value.attempts ?? 1) - 1, 0)).toBe(threw);
  });

  it("runScenarioAsync runs a scenario without async code event for event as runScenario does (same trace hash)", async () => {
    const s = scenario({ eachMessage: ({ downstreamDown }) => ({ ok: !downstreamDown, processMs: 2 }) });
    const sync = runScenario(s);
    const async = await runScenarioAsync(s);
    expect(async.traceHash).toBe(sync.traceHash);
    expect(async.events).toBe(sync.events);
  });
});
