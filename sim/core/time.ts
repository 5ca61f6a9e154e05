// Virtual time: integer microseconds inside, Kafka's millisecond settings at the edges.
// Datacentre latency is sub-millisecond; whole milliseconds would make every message collide.

declare const timeBrand: unique symbol;
/** An instant or a duration of virtual time, in integer microseconds. */
export type TimeUs = number & { readonly [timeBrand]: "TimeUs" };

export const ZERO_US = 0 as TimeUs;
export const US_PER_MS = 1000;
export const US_PER_SEC = 1_000_000;

/** Kafka settings are in ms (possibly fractional in scenario files, e.g. latency 0.5 ms): round to whole µs. */
export function msToUs(ms: number): TimeUs {
  return Math.round(ms * US_PER_MS) as TimeUs;
}
export function secToUs(sec: number): TimeUs {
  return Math.round(sec * US_PER_SEC) as TimeUs;
}
export function usToMs(us: TimeUs | number): number {
  return us / US_PER_MS;
}
export function asTimeUs(us: number): TimeUs {
  return us as TimeUs;
}
export function addUs(a: TimeUs, b: TimeUs | number): TimeUs {
  return (a + b) as TimeUs;
}
/** "12.345ms" — for messages and traces. */
export function formatUs(us: TimeUs | number): string {
  return `${(us / US_PER_MS).toFixed(3)}ms`;
}
