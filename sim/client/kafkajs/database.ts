// A stand-in for the database a consumer group writes to: a key-value store whose calls take virtual time and
// fail while a `downstream-down` fault holds the group's downstream down (the fault the scenario's processing model
// reads too). Calls resolve in the code's own virtual time (the owner of the running code: a handler's process, or
// the world), so a handler that awaits them is suspended exactly as long as the call lasts.
import type { ClientEnv } from "../env.ts";
import type { KafkaJSLink } from "./link.ts";

export class DatabaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DatabaseError";
  }
}

export interface DatabaseOptions {
  /** How long each call takes, in virtual ms (default 1). */
  readonly latencyMs?: number;
}

export class SimDatabase {
  private readonly rows = new Map<string, unknown>();
  private readonly latencyUs: number;
  /** Calls made, and how many failed. */
  calls = 0;
  failures = 0;

  constructor(
    private readonly link: KafkaJSLink,
    private readonly env: () => ClientEnv | null,
    /** The consumer group whose `downstream-down` fault takes this database down. */
    readonly group: string,
    opts: DatabaseOptions = {},
  ) {
    const ms = opts.latencyMs ?? 1;
    if (!(ms >= 0 && Number.isFinite(ms))) throw new RangeError(`database latencyMs must be a finite number ≥ 0, got ${ms}`);
    this.latencyUs = Math.round(ms * 1000);
  }

  /** Is the group's downstream down now? */
  isDown(): boolean {
    const env = this.env();
    if (env === null) return false;
    return this.link.host.nowUs < (env.downstreamDownUntilUs?.(this.group) ?? -1);
  }

  private call<T>(what: string, apply: () => T): Promise<T> {
    const host = this.link.host;
    const owner = host.current;
    this.calls++;
    return new Promise<T>((resolve, reject) => {
      owner.after(this.latencyUs, () => {
        if (this.isDown()) {
          this.failures++;
          host.run(owner, () => reject(new DatabaseError(`database of ${this.group} unavailable (downstream-down): ${what} failed`)));
          return;
        }
        const v = apply();
        host.run(owner, () => resolve(v));
      });
    });
  }

  /** Store `value` under `key` (an upsert: writing a key twice keeps one row). */
  write(key: string, value: unknown): Promise<void> {
    return this.call(`write ${key}`, () => {
      this.rows.set(key, value);
    });
  }

  read(key: string): Promise<unknown> {
    return this.call(`read ${key}`, () => this.rows.get(key));
  }

  /** The rows now (for assertions after the run; no virtual time). */
  snapshot(): ReadonlyMap<string, unknown> {
    return new Map(this.rows);
  }

  get size(): number {
    return this.rows.size;
  }
}
