// A follower's fetch that finds nothing new is parked (DelayedFetch) — but recording its progress may advance the
// HW, and the HW's callbacks may append at once (the transaction coordinator writes CompleteAbort as soon as its
// PrepareAbort is committed, when the transaction has no partition to mark). Kafka's tryCompleteElseWatch checks
// again once the fetch is watched, so it takes that record; a fetch parked after the append would wait out
// replica.fetch.wait.max.ms (500 ms) and hold the acks=all write with it.
import { readFileSync } from "node:fs";
import { describe, it, expect } from "vitest";
import { parseScenario } from "../../scenario/parse.ts";
import { runScenario } from "../../world.ts";

const FILE = new URL("../../../scenarios/txn-late-end-txn-tv2.yaml", import.meta.url).pathname;

describe("a parked fetch sees an append made while it was being handled", () => {
  it("every no-partition abort's CompleteAbort follows its PrepareAbort within a fetch round, not replica.fetch.wait.max.ms", () => {
    // The library scenario with aborts drawn (seed 1): several transactions abort before any record left, so the
    // coordinator writes PrepareAbort and then CompleteAbort back to back on __transaction_state-0.
    const text = readFileSync(FILE, "utf8").replace("abortProb: 0", "abortProb: 0.5").replace(/^seed: \d+$/m, "seed: 1");
    const r = runScenario(parseScenario(text, { file: FILE }));
    const prepared = new Map<number, number>();
    const gapsMs: number[] = [];
    for (const e of r.evidence) {
      if (e.type !== "txn-transition" || e.partitions.length > 0) continue;
      if (e.state === "PrepareAbort") prepared.set(e.producerEpoch, e.timeUs);
      if (e.state === "CompleteAbort" && prepared.has(e.producerEpoch)) gapsMs.push((e.timeUs - (prepared.get(e.producerEpoch) as number)) / 1000);
    }
    expect(gapsMs.length).toBeGreaterThanOrEqual(2);
    expect(gapsMs.filter((g) => g > 50)).toEqual([]);
  });
});
