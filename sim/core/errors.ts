// Errors of the simulator's own inputs (not Kafka protocol errors, which are data: see sim/kafka/errors.ts).
// Every message says what to change.

export type SimErrorCode =
  | "INVALID_SEED"
  | "INVALID_DURATION"
  | "UNKNOWN_NODE"
  | "DUPLICATE_NODE"
  | "INVALID_PARTITION"
  | "INVALID_CONFIG"
  | "INVALID_SCENARIO"
  | "INVALID_FAULT"
  | "ASYNC_USER_CODE"
  | "RUNAWAY";

export class SimInputError extends Error {
  readonly code: SimErrorCode;
  /** Where in the input (a config key, "faults[2].target", "file.yaml:3:7"), if known. */
  readonly path: string | undefined;
  constructor(code: SimErrorCode, message: string, path?: string) {
    super(message);
    this.name = "SimInputError";
    this.code = code;
    this.path = path;
  }
}

export function invariant(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(`kafkasim invariant violated: ${message}`);
}

export function assertNever(x: never, what = "value"): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(x)}`);
}
