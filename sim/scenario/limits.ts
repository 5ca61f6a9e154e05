// Bounds on the size of a run: a typo such as `durationMs: 1e12` or `ratePerSec: 1e9` gets an error naming the
// limit and how to raise it, instead of minutes of work or gigabytes of memory. Measured on the default cluster
// (3 brokers, acks=all): about 0.7 GB of memory and 3 s of wall time per million records.
import type { IssuePath, RawIssue } from "./issues.ts";
import type { Limits, Scenario } from "./types.ts";

export const DEFAULT_LIMITS: Limits = {
  maxDurationMs: 3_600_000,
  maxRatePerSec: 100_000,
  maxRecords: 2_000_000,
  maxBrokers: 50,
  maxPartitions: 1000,
  maxFileBytes: 1_048_576,
};

export const LIMIT_NAMES = Object.keys(DEFAULT_LIMITS) as (keyof Limits)[];

/** What a limit bounds, in words (for messages and --help). */
export const LIMIT_DOCS: Record<keyof Limits, string> = {
  maxDurationMs: "durationMs and drainMs, each (virtual ms)",
  maxRatePerSec: "ratePerSec of each producer",
  maxRecords: "records all producers send in the workload phase",
  maxBrokers: "brokers",
  maxPartitions: "partitions of all topics together (__consumer_offsets included when there are consumer groups)",
  maxFileBytes: "size of a scenario file in bytes",
};

export function effectiveLimits(s: Pick<Scenario, "limits">): Limits {
  return { ...DEFAULT_LIMITS, ...s.limits };
}

/** "raise it with limits: { maxRecords: N } in the scenario or --limit maxRecords=N" */
export function howToRaise(name: keyof Limits, needed: number): string {
  const n = String(Math.ceil(needed));
  return name === "maxFileBytes" ? `raise it with --limit ${name}=${n}` : `raise it with \`limits: { ${name}: ${n} }\` in the scenario or --limit ${name}=${n}`;
}

function exceeded(name: keyof Limits, what: string, value: number, limit: number): string {
  return `${what} exceeds the limit ${name} = ${limit}; ${howToRaise(name, value)}`;
}

/** Records the producers send in the workload phase: rate × time from each producer's start, or its
 *  `messages` when lower. */
export function plannedRecords(s: Pick<Scenario, "producers" | "durationMs">): number {
  let n = 0;
  for (const p of s.producers) {
    const byRate = Math.ceil((p.ratePerSec * Math.max(0, s.durationMs - (p.startMs ?? 0))) / 1000);
    n += p.messages !== undefined ? Math.min(p.messages, byRate) : byRate;
  }
  return n;
}

/** Every limit the scenario exceeds, with the path of the value that does. */
export function limitIssues(s: Scenario): RawIssue[] {
  const l = effectiveLimits(s);
  const out: RawIssue[] = [];
  const push = (path: IssuePath, name: keyof Limits, what: string, value: number): void => {
    if (value > l[name]) out.push({ path, message: exceeded(name, what, value, l[name]) });
  };
  push(["durationMs"], "maxDurationMs", `durationMs ${s.durationMs}`, s.durationMs);
  push(["drainMs"], "maxDurationMs", `drainMs ${s.drainMs}`, s.drainMs);
  push(["brokers"], "maxBrokers", `brokers ${s.brokers}`, s.brokers);
  s.producers.forEach((p, i) => push(["producers", i, "ratePerSec"], "maxRatePerSec", `ratePerSec ${p.ratePerSec}`, p.ratePerSec));
  const records = plannedRecords(s);
  // Counted only when the rates and the duration are within their limits (else those are the problem).
  if (records > l.maxRecords && s.durationMs <= l.maxDurationMs && s.producers.every((p) => p.ratePerSec <= l.maxRatePerSec)) {
    push(["producers"], "maxRecords", `${records} records to send in ${s.durationMs} ms (the producers' ratePerSec × time, or messages)`, records);
  }
  const offsets = s.consumers.length > 0 && !s.topics.some((t) => t.name === "__consumer_offsets") ? s.broker["offsets.topic.num.partitions"] : 0;
  const partitions = s.topics.reduce((n, t) => n + t.partitions, 0) + offsets;
  push(["topics"], "maxPartitions", `${partitions} partitions${offsets > 0 ? ` (${offsets} of them __consumer_offsets: offsets.topic.num.partitions)` : ""}`, partitions);
  return out;
}
