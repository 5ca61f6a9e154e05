// The trace: typed events (recording switchable off for fuzzing speed) and a running hash that is always
// computed, so determinism can be checked on every run.
import type { TimeUs } from "./time.ts";

/** Every trace event has a type tag and the virtual time it happened at. */
export interface TraceEventBase {
  readonly type: string;
}

const FNV_OFFSET = 0x811c9dc5;
/** Distinct string fields whose hashes Trace caches (enough for every topic-partition and member of a run). */
const STRING_CODES_MAX = 4096;
const FNV_PRIME = 0x01000193;

/** Two 32-bit FNV-1a-style lanes over 32-bit words: cheap, allocation-free, good enough to tell runs apart. */
export class RunningHash {
  private a = FNV_OFFSET;
  private b = 0x9e3779b9;

  mix(n: number): void {
    // Split into low and high 32-bit words so values above 2^32 (µs beyond 71 minutes) still count.
    const lo = n | 0;
    const hi = (n * 2.3283064365386963e-10) | 0; // n / 2^32, exactly (a power of two)
    this.a = Math.imul(this.a ^ lo, FNV_PRIME);
    this.a = Math.imul(this.a ^ hi, FNV_PRIME);
    this.b = Math.imul(this.b ^ (lo + 0x7f4a7c15), 0x2c1b3c6d) ^ (this.b >>> 15);
    this.b = Math.imul(this.b ^ hi, 0x297a2d39);
  }
  mixString(s: string): void {
    for (let i = 0; i < s.length; i++) this.mix(s.charCodeAt(i));
  }
  hex(): string {
    return (this.a >>> 0).toString(16).padStart(8, "0") + (this.b >>> 0).toString(16).padStart(8, "0");
  }
}

export type Recorded<E extends TraceEventBase> = E & { readonly timeUs: TimeUs };

export class Trace<E extends TraceEventBase> {
  readonly hash = new RunningHash();
  readonly events: Recorded<E>[] = [];
  /** The evidence: every event whose type is not hot, kept whether or not the trace records (the oracle judges
   *  from it, so a verdict never depends on recording). Rare events only: elections, truncations, faults... */
  readonly evidence: Recorded<E>[] = [];
  /** Per type: its 32-bit hash code c, stored as c when the type is evidence and as -c - 1 when it is hot. */
  private readonly typeCodes = new Map<string, number>();
  private readonly hot: ReadonlySet<string>;
  private readonly stringCodes = new Map<string, readonly [number, number]>();
  recording: boolean;
  /** Observers of every emitted event, recorded or not (the fault interpreter's event triggers). */
  private readonly listeners: ((timeUs: TimeUs, ev: E) => void)[] = [];

  /** `hot`: event types too frequent to keep as evidence (kept in `events` only when recording). */
  constructor(recording: boolean, hot: ReadonlySet<string> = new Set()) {
    this.recording = recording;
    this.hot = hot;
  }

  /** An event type's 32-bit hash, computed once; negative (-c - 1) when the type is hot. */
  private codeOf(type: string): number {
    let c = this.typeCodes.get(type);
    if (c === undefined) {
      const h = new RunningHash();
      h.mixString(type);
      c = parseInt(h.hex().slice(0, 8), 16);
      if (this.hot.has(type)) c = -c - 1;
      this.typeCodes.set(type, c);
    }
    return c;
  }

  /** Mix a string field: the repeated ones (topic-partitions, member ids) by their cached 64-bit hash (both lanes),
   *  character by character once the cache holds STRING_CODES_MAX strings (interpolated texts stay out of it). */
  private mixStringField(v: string): void {
    const codes = this.stringCodes;
    let c = codes.get(v);
    if (c === undefined) {
      if (codes.size >= STRING_CODES_MAX) {
        this.hash.mixString(v);
        return;
      }
      const h = new RunningHash();
      h.mixString(v);
      const hex = h.hex();
      c = [parseInt(hex.slice(0, 8), 16), parseInt(hex.slice(8), 16)];
      codes.set(v, c);
    }
    this.hash.mix(c[0]);
    this.hash.mix(c[1]);
  }

  /** Record a domain event (leader change, ISR change, fault...). Always hashed; stored when recording, and kept as
   *  evidence unless its type is hot. */
  emit(timeUs: TimeUs, ev: E): void {
    const code = this.codeOf(ev.type);
    const evidence = code >= 0;
    this.hash.mix(evidence ? code : -code - 1);
    this.hash.mix(timeUs);
    this.mixFields(ev);
    if (this.recording || evidence) {
      const rec = { ...ev, timeUs };
      if (this.recording) this.events.push(rec);
      if (evidence) this.evidence.push(rec);
    }
    for (let i = 0; i < this.listeners.length; i++) (this.listeners[i] as (t: TimeUs, e: E) => void)(timeUs, ev);
  }

  /** Mix the event's payload (numbers, strings, booleans, arrays of them; one level deep) so two runs whose
   *  events differ only in content still hash differently. Key order is the literal's, hence deterministic. */
  private mixFields(ev: E): void {
    const h = this.hash;
    const o = ev as unknown as Record<string, unknown>;
    for (const k in o) {
      if (k === "type") continue;
      const v = o[k];
      if (typeof v === "number") h.mix(v);
      else if (typeof v === "string") this.mixStringField(v);
      else if (typeof v === "boolean") h.mix(v ? 1 : 2);
      else if (v === undefined) h.mix(3);
      else if (Array.isArray(v)) {
        h.mix(v.length);
        for (let i = 0; i < v.length; i++) {
          const x: unknown = v[i];
          if (typeof x === "number") h.mix(x);
          else if (typeof x === "string") this.mixStringField(x);
        }
      }
    }
  }

  onEmit(fn: (timeUs: TimeUs, ev: E) => void): void {
    this.listeners.push(fn);
  }

  get traceHash(): string {
    return this.hash.hex();
  }
}
