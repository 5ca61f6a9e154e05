import { describe, it, expect } from "vitest";
import { aggregate, percentile, runMetrics, STALL_MS, unionLength } from "./metrics.ts";
import { fakeRun, NO_ANOMALIES } from "./fixtures.ts";

describe("percentile and unionLength", () => {
  it("nearest rank", () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });
  it("merges overlaps and clips", () => {
    expect(unionLength([[0, 10], [5, 15], [20, 25]], 0, 100)).toBe(20);
    expect(unionLength([[-5, 5], [90, 200]], 0, 100)).toBe(15);
    expect(unionLength([[3, 4], [3, 4]], 0, 100)).toBe(1);
    expect(unionLength([], 0, 100)).toBe(0);
  });
});

describe("runMetrics", () => {
  const run = fakeRun({
    workloadEndMs: 10_000,
    virtualMs: 20_000,
    diskBytes: 4096,
    sends: [
      { value: 0, invokeMs: 100, endMs: 102, outcome: "ok" },
      { value: 1, invokeMs: 200, endMs: 205, outcome: "ok" },
      // stalled 2 s: unavailable from invoke + STALL_MS to the ack
      { value: 2, invokeMs: 1000, endMs: 3000, outcome: "ok" },
      // failed for good after 1.5 s
      { value: 3, invokeMs: 5000, endMs: 6500, outcome: "fail", error: "NOT_ENOUGH_REPLICAS" },
      { value: 4, invokeMs: 5100, endMs: 6600, outcome: "info", error: "REQUEST_TIMED_OUT" },
      // acked in the drain phase: not counted in throughput
      { value: 5, invokeMs: 9900, endMs: 12_000, outcome: "ok" },
    ],
    polls: [
      { atMs: 150, values: [0] },
      { atMs: 3100, values: [1, 2] },
      { atMs: 3200, values: [2] },
    ],
    faults: [
      { atMs: 900, action: { kind: "kill", target: { leaderOf: "orders-0" } } },
      { atMs: 4000, action: { kind: "restart", target: { broker: 1 } } },
      { atMs: 4900, action: { kind: "isolate", target: { broker: 2 } } },
    ],
  });
  const m = runMetrics(run, { lostWrites: 2, duplicates: 1, reorders: 0, skipped: 3, processedTwice: 4, duplicateOutputs: 0 });

  it("counts sends, acks and errors by code", () => {
    expect(m.sent).toBe(6);
    expect(m.acked).toBe(4);
    expect(m.produceErrors).toEqual({ NOT_ENOUGH_REPLICAS: 1, REQUEST_TIMED_OUT: 1 });
    expect(m.lostWrites).toBe(2);
    expect(m.skipped).toBe(3);
    expect(m.processedTwice).toBe(4);
    expect(m.diskBytes).toBe(4096);
  });
  it("latency is invoke → ok: nearest-rank percentiles of [2, 5, 2000, 2100] ms from the histogram", () => {
    // 2100 ms is 2,100,000 µs, in the bucket of 2048 µs starting at 2,099,200 (3 significant digits: within 0.1%);
    // the maximum is exact.
    expect(m.latencyMs).toEqual({ p50: 5, p99: 2099.2, max: 2100 });
  });
  it("end-to-end is invoke → first poll", () => {
    // [50, 2100, 2900] ms: value 2 first polled at 3100, not again at 3200; 2900 ms falls in the bucket at 2899.968
    expect(m.endToEndMs).toEqual({ p50: 2099.2, p99: 2899.968 });
  });
  it("unavailability is the union of stalls and failures within the workload", () => {
    // stall [1500, 3000] + failures [5000, 6600] + stall [10400, …] clipped at 10000
    expect(m.unavailableMs).toBe(3000 - (1000 + STALL_MS) + (6600 - 5000));
  });
  it("throughput counts acks within the workload phase", () => {
    expect(m.throughputPerSec).toBe(0.3);
  });
  it("recovery: fault → first ok of a later send; cures are not faults", () => {
    // kill at 900 → send 2 acked at 3000; isolate at 4900 → sends 3, 4 fail, send 5 acked at 12000
    expect(m.recoveriesMs).toEqual([2100, 7100]);
  });
});

describe("aggregate", () => {
  it("sums counts, averages per-run times and pools latencies", () => {
    const a = runMetrics(fakeRun({ seed: 1, diskBytes: 100, sends: [{ value: 0, invokeMs: 0, endMs: 10, outcome: "ok" }] }), { ...NO_ANOMALIES, lostWrites: 1 });
    const b = runMetrics(
      fakeRun({
        seed: 2,
        diskBytes: 300,
        sends: [
          { value: 0, invokeMs: 0, endMs: 20, outcome: "ok" },
          { value: 1, invokeMs: 0, endMs: 1000, outcome: "fail", error: "NOT_ENOUGH_REPLICAS" },
        ],
      }),
      { ...NO_ANOMALIES, duplicates: 2, processedTwice: 5 },
    );
    const c = runMetrics(fakeRun({ seed: 3, diskBytes: 200, sends: [{ value: 0, invokeMs: 0, endMs: 30, outcome: "ok" }] }), { ...NO_ANOMALIES, processedTwice: 1 });
    const row = aggregate({ acks: 1 }, [a, b, c]);
    expect(row.lostWrites).toBe(1);
    expect(row.runsWithLoss).toBeCloseTo(1 / 3, 3);
    expect(row.duplicates).toBe(2);
    expect(row.processedTwice).toBe(6);
    expect(row.diskBytes).toBe(200);
    expect(row.unavailableMs).toBeCloseTo(1000 / 3, 2);
    expect(row.latencyMs).toEqual({ p50: 20, p99: 30, max: 30 });
    expect(row.produceErrors).toEqual({ NOT_ENOUGH_REPLICAS: 1 });
    expect(row.recoveryMs).toBeNull();
  });
});
