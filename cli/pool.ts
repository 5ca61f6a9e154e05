// Where many independent runs execute: in this thread (one worker) or on a tinypool of worker threads, one per
// core by default (--workers). Either way a task is a pure function of its data (cli/worker.ts); callers consume
// results in their own order, so the output does not depend on the number of workers.
import { availableParallelism } from "node:os";
import { Tinypool } from "tinypool";
import runTask from "./worker.ts";
import type { WorkerTask, WorkerResult } from "./worker.ts";
import { UsageError } from "./io.ts";

export interface WorkerPool {
  readonly workers: number;
  run<T extends WorkerTask>(task: T): Promise<WorkerResult<T>>;
  close(): Promise<void>;
}

export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

/** `--workers N` (default: the machine's cores). */
export function parseWorkers(text: string | undefined): number {
  if (text === undefined) return defaultWorkers();
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(`--workers ${text}: expected a whole number of worker threads from 1 to 256 (default: the machine's ${defaultWorkers()} cores)`);
  return n;
}

/** Each worker's young generation (V8's semi-spaces), in MB: room for most of a fuzz run's garbage, so that a run's
 *  world dies young instead of being promoted. Over 400 warm default-campaign runs in one worker: 51 scavenges and
 *  2 mark-compacts instead of 211 and 5 with V8's default, about a sixth less CPU a run (96 MB and 384 MB did
 *  worse; README, Performance). */
export const WORKER_YOUNG_GENERATION_MB = 192;

export function workerPool(workers: number): WorkerPool {
  if (workers <= 1) {
    return { workers: 1, run: <T extends WorkerTask>(task: T) => Promise.resolve(runTask(task) as WorkerResult<T>), close: () => Promise.resolve() };
  }
  // From source (.ts) each worker registers the tsx loader first; from the built package, plain JavaScript.
  const fromSource = import.meta.url.endsWith(".ts");
  const pool = new Tinypool({
    filename: new URL(fromSource ? "./worker-source.mjs" : "./worker.js", import.meta.url).href,
    minThreads: workers,
    maxThreads: workers,
    resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
  });
  return {
    workers,
    run: <T extends WorkerTask>(task: T) => pool.run(task) as Promise<WorkerResult<T>>,
    close: () => pool.destroy(),
  };
}
