import { describe, it, expect } from "vitest";
import { Rng, validateLatencyDist, validateSeed } from "./rng.ts";
import type { LatencyDist } from "./rng.ts";
import { SimInputError } from "./errors.ts";

const draw = (r: Rng, n: number): number[] => Array.from({ length: n }, () => r.next());

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof SimInputError ? e.code : `not a SimInputError: ${String(e)}`;
  }
  return undefined;
}

describe("Rng streams", () => {
  it("same seed, same sequence; different seed, different sequence", () => {
    expect(draw(new Rng(42), 50)).toEqual(draw(new Rng(42), 50));
    expect(draw(new Rng("abc"), 50)).toEqual(draw(new Rng("abc"), 50));
    expect(draw(new Rng(42), 50)).not.toEqual(draw(new Rng(43), 50));
    for (const x of draw(new Rng(7), 1000)) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });

  it("a fork depends only on the seed and its name, not on draws from other streams", () => {
    const root1 = new Rng(9);
    const a1 = root1.fork("a");
    const b1 = root1.fork("b");
    const bSeq1 = draw(b1, 20);

    const root2 = new Rng(9);
    draw(root2, 1000);
    const a2 = root2.fork("a");
    draw(a2, 5000); // drawing far more from "a" ...
    const b2 = root2.fork("b");
    expect(draw(b2, 20)).toEqual(bSeq1); // ... leaves "b" unchanged
    expect(draw(a1, 20)).not.toEqual(bSeq1);
    expect(draw(new Rng(9).fork("a"), 20)).toEqual(draw(new Rng(9).fork("a"), 20));
  });

  it("nested forks are named by their path and independent of siblings", () => {
    const x = new Rng(1).fork("net").fork("x");
    expect(x.name).toBe("net/x");
    expect(draw(x, 10)).toEqual(draw(new Rng(1).fork("net").fork("x"), 10));
    expect(draw(new Rng(1).fork("net").fork("x"), 10)).not.toEqual(draw(new Rng(1).fork("net").fork("y"), 10));
  });

  it("int, chance, pick and shuffle stay in range and are reproducible", () => {
    const r = new Rng(5);
    const counts = new Map<number, number>();
    for (let i = 0; i < 6000; i++) {
      const v = r.int(1, 6);
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    for (const c of counts.values()) expect(Math.abs(c - 1000)).toBeLessThan(150);
    expect(r.chance(0)).toBe(false);
    expect(r.chance(1)).toBe(true);
    let hits = 0;
    for (let i = 0; i < 10_000; i++) if (r.chance(0.3)) hits++;
    expect(Math.abs(hits / 10_000 - 0.3)).toBeLessThan(0.02);
    expect(["a", "b", "c"]).toContain(r.pick(["a", "b", "c"]));
    expect(() => r.pick([])).toThrow();
    const s1 = new Rng(3).shuffle([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(new Rng(3).shuffle([1, 2, 3, 4, 5, 6, 7, 8])).toEqual(s1);
    expect([...s1].sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(s1).not.toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe("latency distributions", () => {
  const N = 40_000;
  const sample = (d: LatencyDist, seed = 11): number[] => {
    const r = new Rng(seed).fork("lat");
    return Array.from({ length: N }, () => r.latencyUs(d));
  };
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)] as number;
  };

  it("returns whole, non-negative microseconds", () => {
    for (const x of sample({ dist: "lognormal", medianMs: 0.25, sigma: 1 }).slice(0, 1000)) {
      expect(Number.isInteger(x)).toBe(true);
      expect(x).toBeGreaterThanOrEqual(0);
    }
  });

  it("constant is constant", () => {
    expect(new Set(sample({ dist: "constant", valueMs: 1.5 }).slice(0, 100))).toEqual(new Set([1500]));
  });

  it("uniform stays in [min, max] with the mean in the middle", () => {
    const xs = sample({ dist: "uniform", minMs: 1, maxMs: 3 });
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...xs)).toBeLessThanOrEqual(3000);
    expect(Math.abs(mean(xs) - 2000) / 2000).toBeLessThan(0.02);
  });

  it("exponential has the given mean above its minimum", () => {
    const xs = sample({ dist: "exponential", meanMs: 2, minMs: 0.5 });
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(500);
    expect(Math.abs(mean(xs) - 2500) / 2500).toBeLessThan(0.03);
    // Exponential: median = min + mean·ln 2.
    expect(Math.abs(median(xs) - (500 + 2000 * Math.LN2)) / 2000).toBeLessThan(0.04);
  });

  it("log-normal has the given median and mean = median·e^(σ²/2)", () => {
    const xs = sample({ dist: "lognormal", medianMs: 1, sigma: 0.5 });
    expect(Math.abs(median(xs) - 1000) / 1000).toBeLessThan(0.03);
    expect(Math.abs(mean(xs) - 1000 * Math.exp(0.125)) / 1000).toBeLessThan(0.03);
  });

  it("pareto has its scale as minimum and median scale·2^(1/shape)", () => {
    const xs = sample({ dist: "pareto", scaleMs: 1, shape: 3 });
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(1000);
    expect(Math.abs(median(xs) - 1000 * Math.pow(2, 1 / 3)) / 1000).toBeLessThan(0.03);
    // Mean for shape 3: scale·shape/(shape−1) = 1.5 ms (a heavy tail: looser tolerance).
    expect(Math.abs(mean(xs) - 1500) / 1500).toBeLessThan(0.06);
  });
});

describe("bad input", () => {
  it("an invalid seed is a SimInputError INVALID_SEED that says what to use", () => {
    for (const bad of [Number.NaN, 1.5, Infinity, "", undefined, null, {}, 2 ** 60]) {
      expect(codeOf(() => validateSeed(bad))).toBe("INVALID_SEED");
      expect(codeOf(() => new Rng(bad as number))).toBe("INVALID_SEED");
    }
    expect(() => new Rng(Number.NaN)).toThrow(/safe integer or a non-empty string/);
    expect(validateSeed(0)).toBe(0);
    expect(validateSeed(-3)).toBe(-3);
    expect(validateSeed("s")).toBe("s");
  });

  it("negative, NaN or infinite latency parameters are SimInputError INVALID_CONFIG naming the field", () => {
    const bad: LatencyDist[] = [
      { dist: "constant", valueMs: -1 },
      { dist: "constant", valueMs: Number.NaN },
      { dist: "uniform", minMs: 2, maxMs: 1 },
      { dist: "uniform", minMs: -1, maxMs: 1 },
      { dist: "exponential", meanMs: Number.NaN },
      { dist: "exponential", meanMs: 1, minMs: -2 },
      { dist: "lognormal", medianMs: Infinity, sigma: 1 },
      { dist: "lognormal", medianMs: 1, sigma: -1 },
      { dist: "pareto", scaleMs: 1, shape: 0 },
      { dist: "pareto", scaleMs: -1, shape: 2 },
    ];
    for (const d of bad) expect(codeOf(() => validateLatencyDist(d, "links.latency"))).toBe("INVALID_CONFIG");
    expect(() => validateLatencyDist({ dist: "constant", valueMs: -1 }, "links.latency")).toThrow(/links\.latency: valueMs must be a finite number ≥ 0, got -1/);
    expect(codeOf(() => validateLatencyDist({ dist: "gamma" } as unknown as LatencyDist))).toBe("INVALID_CONFIG");
    expect(codeOf(() => validateLatencyDist({ dist: "uniform", minMs: 0, maxMs: 0 }))).toBeUndefined();
  });
});
