// The producer against the real brokers, controller and coordinator (sim/world.ts): what a run shows of the
// producer's metadata handling and partitioner.
import { describe, it, expect } from "vitest";
import { buildScenario } from "../scenario/defaults.ts";
import type { ScenarioInput } from "../scenario/defaults.ts";
import { runScenario } from "../world.ts";
import type { SendValue } from "../history.ts";
import type { RunResult } from "../result.ts";

/** Each send's invoke time and end (ok / fail / info, or null while unknown), by value. */
function sends(r: RunResult): Map<number, { invokeUs: number; end: { type: string; timeUs: number } | null }> {
  const out = new Map<number, { invokeUs: number; end: { type: string; timeUs: number } | null }>();
  for (const o of r.history) {
    if (o.f !== "send") continue;
    const v = (o.value as SendValue).value;
    if (o.type === "invoke") out.set(v, { invokeUs: o.timeUs, end: null });
    else {
      const s = out.get(v);
      if (s !== undefined && s.end === null) s.end = { type: o.type, timeUs: o.timeUs };
    }
  }
  return out;
}

describe("producer metadata at the start of a run (KafkaProducer.waitOnMetadata, NetworkClient.handleSuccessfulResponse)", () => {
  // The first metadata answer comes from a broker that has no metadata yet (no brokers, and it does not know the
  // topic): it is not the topic's metadata. Records wait for the next answer, 100 ms later (retry.backoff.ms).
  const issue18: ScenarioInput = { durationMs: 5000, topics: [{ name: "orders", partitions: 1 }], producers: [{ id: "p1", topic: "orders", ratePerSec: 500, keys: 1 }] };

  it("issue 18's no-fault run (3 brokers, 1 partition, 500 records/s, keys: 1, 5 s): every record acknowledged, none waits 500 ms (no unavailability)", () => {
    const r = runScenario(buildScenario(issue18));
    const all = [...sends(r).values()];
    expect(all.length).toBe(2501);
    expect(all.filter((s) => s.end?.type === "ok").length).toBe(2501);
    // reports/metrics.ts counts as unavailable a send that failed or waited more than 500 ms for its ack.
    const waitedMs = Math.max(...all.map((s) => ((s.end as { timeUs: number }).timeUs - s.invokeUs) / 1000));
    expect(waitedMs).toBeLessThan(500);
  });

  it("records sent in the first 100 ms of a run are acknowledged (keyed over 3 partitions, and unkeyed)", () => {
    for (const keys of [8, 0]) {
      const r = runScenario(buildScenario({ durationMs: 1000, topics: [{ name: "orders", partitions: 3 }], producers: [{ id: "p1", topic: "orders", ratePerSec: 500, keys }] }));
      const early = [...sends(r).values()].filter((s) => s.invokeUs < 100_000);
      expect(early.length).toBe(50);
      for (const s of early) expect(s.end?.type).toBe("ok");
    }
  });
});
