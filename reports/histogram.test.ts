// The latency histograms give the nearest-rank percentiles of the sorted samples within their precision (exact
// below 2.048 ms, 0.1% above), the exact maximum, the same pooled as merged, and stay small however many samples.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { encodeHistogram, maxMs, mergeHistograms, newHistogram, percentileMs } from "./histogram.ts";
import { percentile } from "./metrics.ts";

const samplesUs = fc.array(fc.oneof(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 3_600_000_000 })), { minLength: 1, maxLength: 400 });

describe("latency histograms", () => {
  it("percentiles within 0.1% of the sorted samples' (exact below 2.048 ms), maximum exact where recorded, pooled = merged", () => {
    fc.assert(
      fc.property(samplesUs, samplesUs, (a, b) => {
        const ha = newHistogram();
        const hb = newHistogram();
        for (const x of a) ha.recordValue(x);
        for (const x of b) hb.recordValue(x);
        const pooled = mergeHistograms([encodeHistogram(ha), encodeHistogram(hb)]);
        const sorted = [...a, ...b].sort((x, y) => x - y).map((x) => x / 1000);
        for (const p of [50, 90, 99, 99.9, 100]) {
          const exact = percentile(sorted, p) as number;
          const got = percentileMs(pooled, p) as number;
          if (exact < 2.048) expect(got).toBe(exact);
          else {
            expect(got).toBeLessThanOrEqual(exact);
            expect(exact - got).toBeLessThanOrEqual(exact / 1024 + 0.001);
          }
        }
        // The maximum is exact in a histogram that recorded the samples (an encoded one keeps its bucket only).
        expect(Math.max(maxMs(ha) as number, maxMs(hb) as number)).toBe(sorted[sorted.length - 1]);
      }),
      { seed: 3, numRuns: 200 },
    );
    expect(percentileMs(newHistogram(), 50)).toBeNull();
    expect(maxMs(newHistogram())).toBeNull();
  });

  it("a million samples over an hour's range encode in a few kilobytes (bounded by the range, not the count)", () => {
    const h = newHistogram();
    let x = 1;
    for (let i = 0; i < 1_000_000; i++) {
      x = (x * 48271) % 2147483647; // a Lehmer sequence: spread over [1, 2^31)
      h.recordValue(x % 3_600_000_000);
    }
    expect(h.totalCount).toBe(1_000_000);
    expect(encodeHistogram(h).length).toBeLessThan(64 * 1024);
  });
});
