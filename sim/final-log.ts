// A replica's log at the end of a run, compact: values in an Int32Array (a Float64Array when some value is not a
// 32-bit integer), leader epochs and keys as runs (they change once per batch or election, or never), and a
// replica's records that equal another replica's — a follower's whole log, usually — shared with it instead of
// copied. Reads are by index from the log start offset. FinalReplica's `values`, `epochs` and `keys` arrays are
// built from it when first read; the checkers read it directly (FinalReplica.log, replicaLog()).
import type { FinalReplica } from "./history.ts";

/** A column of numbers by index. */
interface Col {
  at(i: number): number;
}

class Plain implements Col {
  constructor(private readonly a: Int32Array | Float64Array) {}
  at(i: number): number {
    return this.a[i] as number;
  }
}

/** Runs of equal numbers: run k covers [starts[k], starts[k+1]). */
class Runs implements Col {
  private last = 0;
  constructor(
    private readonly starts: Int32Array,
    private readonly xs: Float64Array,
  ) {}
  at(i: number): number {
    const s = this.starts;
    let k = this.last;
    // Reads are mostly sequential: start from the last run found.
    if (!((s[k] as number) <= i && (k + 1 >= s.length || i < (s[k + 1] as number)))) {
      let lo = 0;
      let hi = s.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((s[mid] as number) <= i) lo = mid;
        else hi = mid - 1;
      }
      k = this.last = lo;
    }
    return this.xs[k] as number;
  }
}

const EMPTY: Col = new Plain(new Int32Array(0));

/** `n` numbers of `src` from `from` as the smaller of a plain copy and runs. */
function compact(src: ArrayLike<number>, from: number, n: number, wantRuns: boolean): Col {
  if (n === 0) return EMPTY;
  let runs = 1;
  let ints = true;
  for (let i = 0; i < n; i++) {
    const x = src[from + i] as number;
    if (i > 0 && x !== src[from + i - 1]) runs++;
    if ((x | 0) !== x) ints = false;
  }
  if (wantRuns && runs * 3 <= n) {
    const starts = new Int32Array(runs);
    const xs = new Float64Array(runs);
    let k = 0;
    for (let i = 0; i < n; i++) {
      const x = src[from + i] as number;
      if (i === 0 || x !== src[from + i - 1]) {
        starts[k] = i;
        xs[k++] = x;
      }
    }
    return new Runs(starts, xs);
  }
  const a = ints ? new Int32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = src[from + i] as number;
  return new Plain(a);
}

/** The columns of a log to compact from (a disk's LogFile, or plain arrays). */
export interface LogSource {
  readonly start: number;
  readonly length: number;
  readonly values: ArrayLike<number>;
  readonly epochs: ArrayLike<number>;
  readonly keys: ArrayLike<number>;
}

export class ReplicaLog {
  private constructor(
    readonly start: number,
    readonly length: number,
    /** The log whose records [0, shared) this one shares (offset for offset), or null. */
    private readonly base: ReplicaLog | null,
    private readonly shared: number,
    private readonly values: Col,
    private readonly epochs: Col,
    private readonly keys: Col,
  ) {}

  /** A compact copy of `src`; records equal to `base`'s at the same offsets, from the log start on, are shared. */
  static of(src: LogSource, base: ReplicaLog | null = null): ReplicaLog {
    let shared = 0;
    if (base !== null && src.start >= base.start) {
      const d = src.start - base.start;
      const n = Math.min(src.length, base.length - d);
      while (shared < n && src.values[shared] === base.valueAt(shared + d) && src.epochs[shared] === base.epochAt(shared + d) && src.keys[shared] === base.keyAt(shared + d)) shared++;
    }
    const own = src.length - shared;
    return new ReplicaLog(src.start, src.length, shared > 0 ? base : null, shared, compact(src.values, shared, own, false), compact(src.epochs, shared, own, true), compact(src.keys, shared, own, true));
  }

  /** Offset of the log end. */
  get end(): number {
    return this.start + this.length;
  }

  /** Value of the record at index `i` (offset start + i). */
  valueAt(i: number): number {
    return i < this.shared ? (this.base as ReplicaLog).valueAt(i + this.start - (this.base as ReplicaLog).start) : this.values.at(i - this.shared);
  }

  epochAt(i: number): number {
    return i < this.shared ? (this.base as ReplicaLog).epochAt(i + this.start - (this.base as ReplicaLog).start) : this.epochs.at(i - this.shared);
  }

  /** Key of the record at index `i` (-1 for none). */
  keyAt(i: number): number {
    return i < this.shared ? (this.base as ReplicaLog).keyAt(i + this.start - (this.base as ReplicaLog).start) : this.keys.at(i - this.shared);
  }

  /** The value at `offset`, or undefined outside the log. */
  valueAtOffset(offset: number): number | undefined {
    const i = offset - this.start;
    return i >= 0 && i < this.length ? this.valueAt(i) : undefined;
  }

  /** Records of [0, n) equal to `other`'s at the same offsets, from `fromOffset`: the first offset in
   *  [fromOffset, toOffset) where value or epoch differ, or -1 (both logs must hold the range). */
  firstMismatch(other: ReplicaLog, fromOffset: number, toOffset: number): number {
    // Two logs that share records with the same log (or are it) are equal where both share them: skip that range.
    let o = fromOffset;
    const [ra, ea] = this.root();
    const [rb, eb] = other.root();
    if (ra === rb && o >= Math.max(this.start, other.start)) o = Math.max(o, Math.min(ea, eb, toOffset));
    for (; o < toOffset; o++) {
      const ia = o - this.start;
      const ib = o - other.start;
      if (this.valueAt(ia) !== other.valueAt(ib) || this.epochAt(ia) !== other.epochAt(ib)) return o;
    }
    return -1;
  }

  /** The log this one's first records are (itself, or its base) and the offset where that sharing ends. */
  private root(): [ReplicaLog, number] {
    return this.base === null ? [this, this.end] : [this.base, this.start + this.shared];
  }
}

const FROM_ARRAYS = new WeakMap<FinalReplica, ReplicaLog>();

/** The replica's compact log: its own (a run's final state), or built once from its arrays (a hand-built one). */
export function replicaLog(r: FinalReplica): ReplicaLog {
  if (r.log !== undefined) return r.log;
  let l = FROM_ARRAYS.get(r);
  if (l === undefined) {
    const keys = r.keys ?? new Array<number>(r.values.length).fill(-1);
    FROM_ARRAYS.set(r, (l = ReplicaLog.of({ start: r.logStartOffset, length: r.values.length, values: r.values, epochs: r.epochs, keys })));
  }
  return l;
}
