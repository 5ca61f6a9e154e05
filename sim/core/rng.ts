// Seeded randomness. One root seed; named sub-streams derived from (root seed, name) only, so a stream
// never shifts when another component draws more. Generator: seedrandom's alea (fast; ARC4 is ~6× slower).
import seedrandom from "seedrandom";
import { SimInputError } from "./errors.ts";
import type { TimeUs } from "./time.ts";

export type Seed = number | string;

/** A latency distribution, as written in scenario files (milliseconds, may be fractional). */
export type LatencyDist =
  | { readonly dist: "constant"; readonly valueMs: number }
  | { readonly dist: "uniform"; readonly minMs: number; readonly maxMs: number }
  | { readonly dist: "exponential"; readonly meanMs: number; readonly minMs?: number }
  | { readonly dist: "lognormal"; readonly medianMs: number; readonly sigma: number }
  | { readonly dist: "pareto"; readonly scaleMs: number; readonly shape: number };

export function validateSeed(seed: unknown): Seed {
  if (typeof seed === "number") {
    if (!Number.isSafeInteger(seed)) {
      throw new SimInputError("INVALID_SEED", `seed must be a safe integer or a non-empty string, got ${seed}`, "seed");
    }
    return seed;
  }
  if (typeof seed === "string" && seed.length > 0) return seed;
  throw new SimInputError("INVALID_SEED", `seed must be a safe integer or a non-empty string, got ${JSON.stringify(seed)}`, "seed");
}

export function validateLatencyDist(d: LatencyDist, path = "latency"): void {
  const bad = (msg: string): never => {
    throw new SimInputError("INVALID_CONFIG", `${path}: ${msg}`, path);
  };
  const nonNeg = (v: number, name: string): void => {
    if (!Number.isFinite(v) || v < 0) bad(`${name} must be a finite number ≥ 0, got ${v}`);
  };
  switch (d.dist) {
    case "constant":
      return nonNeg(d.valueMs, "valueMs");
    case "uniform":
      nonNeg(d.minMs, "minMs");
      nonNeg(d.maxMs, "maxMs");
      if (d.maxMs < d.minMs) bad(`maxMs (${d.maxMs}) must be ≥ minMs (${d.minMs})`);
      return;
    case "exponential":
      nonNeg(d.meanMs, "meanMs");
      if (d.minMs !== undefined) nonNeg(d.minMs, "minMs");
      return;
    case "lognormal":
      nonNeg(d.medianMs, "medianMs");
      nonNeg(d.sigma, "sigma");
      return;
    case "pareto":
      nonNeg(d.scaleMs, "scaleMs");
      if (!(d.shape > 0)) bad(`shape must be > 0, got ${d.shape}`);
      return;
    default: {
      const never: never = d;
      bad(`unknown dist ${JSON.stringify((never as { dist: unknown }).dist)}; allowed: constant, uniform, exponential, lognormal, pareto`);
    }
  }
}

export class Rng {
  private readonly prng: () => number;
  readonly seed: Seed;
  readonly name: string;

  constructor(seed: Seed, name = "root") {
    this.seed = validateSeed(seed);
    this.name = name;
    this.prng = seedrandom.alea(`${String(seed)}/${name}`);
  }

  /** An independent stream: depends only on the root seed and the full name, never on draws elsewhere. */
  fork(name: string): Rng {
    return new Rng(this.seed, this.name === "root" ? name : `${this.name}/${name}`);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.prng();
  }
  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.prng() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return p > 0 && this.prng() < p;
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("Rng.pick from an empty list");
    return items[Math.floor(this.prng() * items.length)] as T;
  }
  /** Fisher–Yates, in place; returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.prng() * (i + 1));
      const t = items[i] as T;
      items[i] = items[j] as T;
      items[j] = t;
    }
    return items;
  }
  /** Standard normal (Box–Muller). */
  normal(): number {
    let u = this.prng();
    if (u < 1e-300) u = 1e-300;
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.prng());
  }
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.prng());
  }
  /** A latency in whole µs (≥ 0) from a distribution given in ms. */
  latencyUs(d: LatencyDist): TimeUs {
    let ms: number;
    switch (d.dist) {
      case "constant":
        ms = d.valueMs;
        break;
      case "uniform":
        ms = d.minMs + this.prng() * (d.maxMs - d.minMs);
        break;
      case "exponential":
        ms = (d.minMs ?? 0) + this.exponential(d.meanMs);
        break;
      case "lognormal":
        ms = d.medianMs * Math.exp(d.sigma * this.normal());
        break;
      case "pareto":
        ms = d.scaleMs / Math.pow(1 - this.prng(), 1 / d.shape);
        break;
    }
    const us = Math.round(ms * 1000);
    return (us < 0 ? 0 : us) as TimeUs;
  }
}
