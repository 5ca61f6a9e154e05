// Tables keyed by a send value (for the checkers and the metrics, which read a run's history). The world numbers its sends 0, 1, 2, ... so a typed array indexed by the value holds
// one number per record in 1 to 4 bytes, where a Map would take an entry (and often an object) per record; a value
// outside the dense range (a hand-built history's) goes to a Map instead.

/** Dense range for a history of `rows` ops whose largest send value is `maxValue` (values beyond it go to a Map). */
export function denseSize(maxValue: number, rows: number): number {
  return maxValue >= 0 && maxValue <= 4 * rows + 1024 ? maxValue + 1 : Math.min(4 * rows + 1024, Math.max(0, maxValue + 1));
}

const isIndex = (v: number, n: number): boolean => v >= 0 && v < n && Number.isInteger(v);

/** value → int32 (`missing` when unset). */
export class IntTable {
  private readonly dense: Int32Array;
  private sparse: Map<number, number> | undefined;
  constructor(
    size: number,
    private readonly missing = -1,
  ) {
    this.dense = new Int32Array(size);
    if (missing !== 0) this.dense.fill(missing);
  }
  get(v: number): number {
    if (isIndex(v, this.dense.length)) return this.dense[v] as number;
    return this.sparse?.get(v) ?? this.missing;
  }
  set(v: number, x: number): void {
    if (isIndex(v, this.dense.length)) this.dense[v] = x;
    else (this.sparse ??= new Map()).set(v, x);
  }
}

/** value → small unsigned number (0 when unset). */
export class FlagTable {
  private readonly dense: Uint8Array;
  private sparse: Map<number, number> | undefined;
  constructor(size: number) {
    this.dense = new Uint8Array(size);
  }
  get(v: number): number {
    if (isIndex(v, this.dense.length)) return this.dense[v] as number;
    return this.sparse?.get(v) ?? 0;
  }
  set(v: number, x: number): void {
    if (isIndex(v, this.dense.length)) this.dense[v] = x;
    else (this.sparse ??= new Map()).set(v, x);
  }
}

/** A growable int32 column indexed from 0 (offsets of one partition), `missing` where unset; indices past 2^26
 *  (a hand-built history's) go to a Map. */
export class IntColumn {
  private a: Int32Array;
  private sparse: Map<number, number> | undefined;
  constructor(
    capacity: number,
    private readonly missing = -1,
  ) {
    this.a = new Int32Array(Math.min(DENSE_COLUMN, Math.max(16, capacity))).fill(missing);
  }
  get(i: number): number {
    if (i >= 0 && i < this.a.length && Number.isInteger(i)) return this.a[i] as number;
    return this.sparse?.get(i) ?? this.missing;
  }
  set(i: number, x: number): void {
    if (!(i >= 0 && i < DENSE_COLUMN && Number.isInteger(i))) {
      (this.sparse ??= new Map()).set(i, x);
      return;
    }
    if (i >= this.a.length) {
      let cap = this.a.length * 2;
      while (cap <= i) cap *= 2;
      const b = new Int32Array(cap).fill(this.missing);
      b.set(this.a);
      this.a = b;
    }
    this.a[i] = x;
  }
}

const DENSE_COLUMN = 1 << 26;
