// Same seed → same KRaft run, event for event: a whole 4.1 cluster (controller quorum, ELR, brokers as metadata
// observers, a producer and a consumer group) under a controller kill, power loss and a partition, in this
// process twice, in a worker thread and in a new process.
import { describe, expect, it } from "vitest";
import { kraftFingerprint } from "./determinism-run.ts";
import type { KRaftFingerprint } from "./determinism-run.ts";
import { inNewProcess, inWorkerThread } from "../../../core/elsewhere.testkit.ts";

const RUN_URL = new URL("./determinism-run.ts", import.meta.url).href;

describe("KRaft determinism (a whole 4.1 cluster)", () => {
  it("same seed → same trace hash, history and final logs: twice here, in a worker thread and in a new process; another seed differs", async () => {
    const local = kraftFingerprint(11);
    expect(local.events).toBeGreaterThan(10_000);
    expect(kraftFingerprint(11)).toEqual(local);
    const [worker, child] = await Promise.all([inWorkerThread<KRaftFingerprint>(RUN_URL, "kraftFingerprint", 11), inNewProcess<KRaftFingerprint>(RUN_URL, "kraftFingerprint", 11)]);
    expect(worker).toEqual(local);
    expect(child).toEqual(local);
    const other = kraftFingerprint(12);
    expect(other.traceHash).not.toBe(local.traceHash);
  }, 120_000);
});
