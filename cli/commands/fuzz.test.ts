// Fuzzing with fixed keys: a drawn configuration never conflicts with a `--set` one (the draws are built, not
// run, so hundreds of seeds take well under a second); the progress bar under --time counts seconds.
import { describe, it, expect } from "vitest";
import { progressLayout, runSeed } from "./fuzz.ts";
import { variant } from "../../properties/campaign.ts";

const SEEDS = 300;

function draws(sets: string[]): ReturnType<typeof variant>[] {
  const spec = { root: 1, sets, saveDir: "counterexamples", replayFlags: [] };
  return Array.from({ length: SEEDS }, (_, i) => variant(spec, runSeed(1, i)));
}

describe("fuzz --set: drawn configurations yield to fixed keys", () => {
  it.each([
    [["acks=1"], { acks: 1 }],
    [["acks=0"], { acks: 0 }],
    [["retries=0"], { retries: 0 }],
    [["max.in.flight.requests.per.connection=10"], { "max.in.flight.requests.per.connection": 10 }],
    [["producer.acks=1", "retries=0"], { acks: 1, retries: 0 }],
  ])("%j: every draw takes the fixed values and none conflicts (idempotence drawn off where it would)", (sets, want) => {
    const all = draws(sets);
    for (const s of all) expect(s.producers[0]?.config).toMatchObject(want);
    // Without the fix, the draws that set enable.idempotence=true explicitly conflict (about 12% of them).
    expect(all.every((s) => s.producers[0]?.config["enable.idempotence"] === false)).toBe(true);
  });

  it("a fixed enable.idempotence=true draws acks=all, retries > 0 and at most 5 in flight", () => {
    for (const s of draws(["enable.idempotence=true"])) {
      const c = s.producers[0]?.config;
      expect(c?.["enable.idempotence"]).toBe(true);
      expect(c?.acks).toBe("all");
      expect(c?.retries).toBeGreaterThan(0);
      expect(c?.["max.in.flight.requests.per.connection"]).toBeLessThanOrEqual(5);
    }
  });

  it("keys that depend on a fixed one move out of its way: delivery.timeout.ms, heartbeat and the group session bounds", () => {
    for (const s of draws(["request.timeout.ms=5000", "session.timeout.ms=90"])) {
      const p = s.producers[0]?.config;
      expect(p?.["delivery.timeout.ms"]).toBeGreaterThanOrEqual((p?.["linger.ms"] ?? 0) + 5000);
      for (const c of s.consumers) {
        expect(c.config["session.timeout.ms"]).toBe(90);
        expect(c.config["heartbeat.interval.ms"]).toBeLessThan(90);
        expect(s.broker["group.min.session.timeout.ms"]).toBeLessThanOrEqual(90);
      }
    }
  });

  it("two fixed keys that conflict are the user's error, reported before any run", () => {
    expect(() => draws(["acks=1", "enable.idempotence=true"])).toThrow(/enable.idempotence=true needs acks=all \(got acks=1\)/);
  });
});

describe("fuzz progress bar", () => {
  it("counts runs out of --runs, and seconds out of --time (the runs that fit are not known in advance)", () => {
    expect(progressLayout(200, Infinity)).toMatchObject({ total: 200 });
    expect(progressLayout(200, Infinity).value(57, 99_000)).toBe(57);
    const timed = progressLayout(Infinity, 165_000);
    expect(timed.total).toBe(165);
    expect(timed.value(354, 100_400)).toBe(100);
    expect(timed.value(999, 170_000)).toBe(165);
    expect(timed.format).toMatch(/\{value\}\/\{total\} s · \{runs\} runs/);
  });
});
