// kafkajs's retrier (src/retry/index.js, defaults in src/retry/defaults.js): exponential backoff with
// randomisation. The first wait is the initial retry time randomised by ±factor; each attempt draws the next wait,
// randomise(current) × multiplier, capped at maxRetryTime; after `retries` failed retries it gives up
// (KafkaJSNumberOfRetriesExceeded carrying the retry count and the last wait). kafkajs draws with Math.random;
// here the draws come from the owning client's seeded stream, in the same order (kafka-facts KJ2).
import type { Rng } from "../../core/rng.ts";

export interface RetryOptions {
  readonly maxRetryTime?: number;
  readonly initialRetryTime?: number;
  readonly factor?: number;
  readonly multiplier?: number;
  readonly retries?: number;
  /** Consumers only: after the retries are exhausted, whether to restart (default: restart). */
  readonly restartOnFailure?: (e: Error) => Promise<boolean>;
}

/** src/retry/defaults.js */
export const RETRY_DEFAULTS = { maxRetryTime: 30_000, initialRetryTime: 300, factor: 0.2, multiplier: 2, retries: 5 } as const;

/** randomFromRetryTime: ceil(uniform(retryTime − factor·retryTime, retryTime + factor·retryTime)). */
function randomFromRetryTime(rng: Rng, factor: number, retryTimeMs: number): number {
  const delta = factor * retryTimeMs;
  const min = retryTimeMs - delta;
  return Math.ceil(rng.next() * (retryTimeMs + delta - min) + min);
}

/** One retrier run (one call of kafkajs's retrier): its count and waits. */
export class Retrier {
  private readonly cfg: { readonly maxRetryTime: number; readonly factor: number; readonly multiplier: number; readonly retries: number };
  /** Failed attempts retried so far. */
  retryCount = 0;
  /** The wait before the next retry (ms). */
  retryTime: number;
  private nextRetryTime: number;

  constructor(
    private readonly rng: Rng,
    opts: RetryOptions = {},
  ) {
    const c = { ...RETRY_DEFAULTS, ...stripUndefined(opts) };
    this.cfg = c;
    // start(randomFromRetryTime(factor, initialRetryTime)), then retry() draws the next wait at once.
    this.retryTime = randomFromRetryTime(rng, c.factor, c.initialRetryTime);
    this.nextRetryTime = this.draw(this.retryTime);
  }

  private draw(retryTimeMs: number): number {
    return Math.min(randomFromRetryTime(this.rng, this.cfg.factor, retryTimeMs) * this.cfg.multiplier, this.cfg.maxRetryTime);
  }

  /** An attempt failed with a retriable error: the wait (ms) before the next attempt, or null when the retries are
   *  exhausted (then retryCount and retryTime are what KafkaJSNumberOfRetriesExceeded carries). */
  failed(): number | null {
    if (this.retryCount >= this.cfg.retries) return null;
    const wait = this.retryTime;
    this.retryCount++;
    this.retryTime = this.nextRetryTime;
    this.nextRetryTime = this.draw(this.retryTime);
    return wait;
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && typeof v === "number") out[k] = v;
  return out as Partial<T>;
}

/** isErrorRetriable in src/retry/index.js. */
export function isRetriableError(e: unknown): boolean {
  const x = e as { retriable?: unknown; name?: unknown } | null;
  if (x === null || typeof x !== "object") return true;
  const unrecoverable = x.name === "RangeError" || x.name === "ReferenceError" || x.name === "SyntaxError" || x.name === "TypeError";
  return (x.retriable === true || x.retriable !== false) && !unrecoverable;
}
