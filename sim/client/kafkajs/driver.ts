// The async driver: runs the world (sim/world.ts worldRun) and, whenever an event made user code runnable (the
// scheduler's yield), lets every microtask run before the next event. The drain is exact and cheap: the next step
// of the run is queued with process.nextTick from a microtask, and Node runs nextTick callbacks only once the
// microtask queue is empty (processTicksAndRejections: runMicrotasks() until empty, then the tick queue), so
// everything the woken code does — however many awaits deep — is done before the scheduler moves on, and the run
// never yields to the event loop (no I/O, no real timer can interleave: same seed, same run). About 0.2 µs a drain.
import { SimInputError } from "../../core/errors.ts";
import { worldRun } from "../../world.ts";
import type { RunOptions, RunResult } from "../../result.ts";
import type { Scenario } from "../../scenario/types.ts";
import type { ClientEnv } from "../env.ts";
import { AsyncHost } from "./host.ts";
import { installVirtualGlobals } from "./virtual-globals.ts";

/** One simulation with async user code at a time in a process: the virtual globals are process-wide. */
let active = false;

const RESOLVED = Promise.resolve();

/** Options of an async run: those of runScenario, and a hook given the host once the world exists. */
export interface AsyncRunOptions extends RunOptions {
  /** Called once the host exists (before any node starts): schedule main programs here. */
  readonly onHost?: (host: AsyncHost, env: ClientEnv) => void;
  /** Virtual time 0 as wall-clock milliseconds, for Date.now() in user code (default 2024-01-01T00:00:00Z). */
  readonly epochMs?: number;
}

/** Run a scenario whose user code may be asynchronous (handlers returning Promises, the kafkajs API). Same
 *  scenario and seed → same run, event for event (same traceHash), whatever the user code awaits — as long as
 *  it awaits only the simulation (its timers, sends, commits, sim.sleep, sim.database): a real timer or I/O
 *  never resolves during the run (a warning names the handlers still pending at the end). */
export function runScenarioAsync(s: Scenario, opts: AsyncRunOptions = {}): Promise<RunResult> {
  if (active) return Promise.reject(new SimInputError("ASYNC_USER_CODE", "another simulation with async user code is running in this process: await it before starting the next (their virtual clocks would be shared)"));
  active = true;
  let host: AsyncHost | undefined;
  let restore: (() => void) | undefined;
  const { onHost, epochMs, ...runOpts } = opts;
  return new Promise<RunResult>((resolve, reject) => {
    const finish = (err: unknown, result?: RunResult): void => {
      if (host !== undefined) host.ended = true;
      restore?.();
      active = false;
      if (err !== undefined) reject(err);
      else resolve(result as RunResult);
    };
    let run: Generator<void, RunResult, void>;
    try {
      run = worldRun(s, runOpts, {
        attach: ({ rt, env }) => {
          host = new AsyncHost(rt, epochMs !== undefined ? { epochMs } : {});
          env.async = host;
          restore = installVirtualGlobals(host);
          onHost?.(host, env);
        },
      });
    } catch (e) {
      finish(e);
      return;
    }
    const step = (): void => {
      try {
        if (host?.failure !== undefined) return finish(host.failure);
        // Code that the last event woke for a second owner runs now, and drains before the next event.
        if (host !== undefined && host.runDeferred()) {
          host.beginDrain();
          void RESOLVED.then(next);
          return;
        }
        const r = run.next();
        if (r.done === true) return finish(undefined, r.value);
        host?.beginDrain();
        void RESOLVED.then(next);
      } catch (e) {
        finish(e);
      }
    };
    // From a microtask: the tick runs once every microtask queued meanwhile (and those they queue) has run.
    const next = (): void => {
      process.nextTick(step);
    };
    step();
  });
}
