// Latency distributions as HdrHistograms (hdr-histogram-js, its plain JavaScript implementation): memory bounded by
// the range of values, not their number, so a run of millions of records never sorts (or keeps) every sample.
// Values are recorded in µs with 3 significant digits: exact below 2.048 ms, within 0.1% above (a bucket of 2^k µs
// between 2^(10+k) and 2^(11+k) µs). Percentiles are nearest-rank, as the sorted arrays gave them: the bucket that
// holds the rank, reported at its lowest value; the maximum is exact. A histogram crosses worker threads encoded
// (HdrHistogram's compressed V2 format, base64).
import hdr from "hdr-histogram-js";
import type { JsHistogram } from "hdr-histogram-js";

/** A histogram of the plain JavaScript implementation (what build() makes without WebAssembly). */
export type Histogram = JsHistogram;

/** A distribution of µs values, encoded (a string: JSON and structured clone carry it as is). */
export type EncodedHistogram = string;

export function newHistogram(): Histogram {
  return hdr.build({ bitBucketSize: 32, autoResize: true, lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3, useWebAssembly: false }) as Histogram;
}

export function encodeHistogram(h: Histogram): EncodedHistogram {
  return hdr.encodeIntoCompressedBase64(h);
}

/** The sum of encoded histograms. */
export function mergeHistograms(xs: readonly EncodedHistogram[]): Histogram {
  const out = newHistogram();
  for (const x of xs) {
    const h = hdr.decodeFromCompressedBase64(x, 32, false) as Histogram;
    out.add(h);
    h.destroy();
  }
  return out;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** The nearest-rank `p`-th percentile in ms (null when empty): the lowest value of the bucket holding that rank. */
export function percentileMs(h: Histogram, p: number): number | null {
  if (h.totalCount === 0) return null;
  return round3(h.lowestEquivalentValue(h.getValueAtPercentile(p)) / 1000);
}

/** The largest value in ms, null when empty: exact in a histogram that recorded the values; a decoded (merged) one
 *  keeps only its bucket, so pool the runs' own maxima instead. */
export function maxMs(h: Histogram): number | null {
  return h.totalCount === 0 ? null : round3(h.maxValue / 1000);
}
