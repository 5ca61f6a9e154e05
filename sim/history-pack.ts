// Packing of the history recorder's full chunks (sim/history-recorder.ts): each column as the difference from the
// same column of the previous row of the same kind, zigzag-varint coded, and only when it differs: a row starts with
// its kind and a bit per column that changed, in one varint. Consecutive sends repeat their process and topic,
// number their values upwards and ack nearby offsets; a process op's ok repeats its invoke but for the result; so a
// 29-byte row packs into 3 to 10 bytes. A packed chunk is unpacked whole when read (reads are passes in order), into
// a few reused buffers.

/** Zigzag-varint writer over a growable byte buffer. */
class Writer {
  buf: Uint8Array;
  n = 0;
  constructor(capacity: number) {
    this.buf = new Uint8Array(capacity);
  }
  /** A signed 32-bit difference. */
  int(d: number): void {
    let z = ((d << 1) ^ (d >> 31)) >>> 0;
    if (this.n + 5 > this.buf.length) {
      const b = new Uint8Array(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    while (z >= 0x80) {
      this.buf[this.n++] = (z & 0x7f) | 0x80;
      z >>>= 7;
    }
    this.buf[this.n++] = z;
  }
  /** A non-negative number below 2^31. */
  uint(u: number): void {
    this.int(u % 2 === 0 ? u / 2 : -(u + 1) / 2);
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

class Reader {
  p = 0;
  constructor(private readonly buf: Uint8Array) {}
  int(): number {
    let z = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.buf[this.p++] as number;
      z |= (b & 0x7f) << shift;
      shift += 7;
    } while (b >= 0x80);
    return (z >>> 1) ^ -(z & 1);
  }
  uint(): number {
    const d = this.int();
    return d >= 0 ? d * 2 : -d * 2 - 1;
  }
}

/** Kinds fit in the row header's low bits, the changed-column bits above them. */
const KIND_BITS = 3;

/** Rows of `rows` entries: a kind byte, an int32 time offset and `width` int32 columns, of which kind k uses the
 *  first `used[k]`. */
export interface RowColumns {
  readonly kind: Uint8Array;
  readonly dt: Int32Array;
  readonly a: Int32Array;
}

/** Pack `rows` rows. Columns a kind does not use are not stored (they read back as 0). */
export function packRows(c: RowColumns, rows: number, width: number, used: readonly number[]): Uint8Array {
  if (used.length > 1 << KIND_BITS || width > 31 - KIND_BITS) throw new Error(`packRows: ${used.length} kinds, ${width} columns: too many for the row header`);
  const w = new Writer(rows * 6);
  const byKind = new Int32Array(used.length * width);
  const byStream = new ByStream(width);
  let prevDt = 0;
  for (let r = 0; r < rows; r++) {
    const k = c.kind[r] as number;
    const base = r * width;
    const n = used[k] as number;
    const pk = k * width;
    const prev = n > 1 ? byStream.get(k, c.a[base] as number) : byKind;
    let changed = n > 0 && c.a[base] !== byKind[pk] ? 1 : 0;
    for (let col = 1; col < n; col++) if (c.a[base + col] !== prev[col]) changed |= 1 << col;
    w.uint(k | (changed << KIND_BITS));
    const dt = c.dt[r] as number;
    w.int((dt - prevDt) | 0);
    prevDt = dt;
    for (let col = 0; col < n; col++) {
      if ((changed & (1 << col)) === 0) continue;
      const x = c.a[base + col] as number;
      if (col === 0) {
        w.int((x - (byKind[pk] as number)) | 0);
        byKind[pk] = x;
      } else {
        w.int((x - (prev[col] as number)) | 0);
        prev[col] = x;
      }
    }
  }
  return w.done();
}

/** The previous rows of each kind and first column (the stream: process and topic or group): a row's other columns
 *  are told from them (the same producer's values count up, the same member's offsets). */
class ByStream {
  private readonly rows = new Map<number, Int32Array>();
  private lastKey = -1;
  private last: Int32Array = new Int32Array(0);
  constructor(private readonly width: number) {}
  get(k: number, first: number): Int32Array {
    const key = first * 8 + k;
    if (key === this.lastKey) return this.last;
    let p = this.rows.get(key);
    if (p === undefined) this.rows.set(key, (p = new Int32Array(this.width)));
    this.lastKey = key;
    this.last = p;
    return p;
  }
}

/** Unpack into `out` (as many rows as were packed). */
export function unpackRows(bytes: Uint8Array, rows: number, width: number, used: readonly number[], out: RowColumns): void {
  const rd = new Reader(bytes);
  const byKind = new Int32Array(used.length * width);
  const byStream = new ByStream(width);
  let dt = 0;
  out.a.fill(0);
  for (let r = 0; r < rows; r++) {
    const header = rd.uint();
    const k = header & ((1 << KIND_BITS) - 1);
    const changed = header >>> KIND_BITS;
    out.kind[r] = k;
    dt = (dt + rd.int()) | 0;
    out.dt[r] = dt;
    const base = r * width;
    const pk = k * width;
    const n = used[k] as number;
    if (n === 0) continue;
    if ((changed & 1) !== 0) byKind[pk] = ((byKind[pk] as number) + rd.int()) | 0;
    const first = byKind[pk] as number;
    out.a[base] = first;
    if (n === 1) continue;
    const prev = byStream.get(k, first);
    for (let col = 1; col < n; col++) {
      if ((changed & (1 << col)) !== 0) prev[col] = ((prev[col] as number) + rd.int()) | 0;
      out.a[base + col] = prev[col] as number;
    }
  }
}

/** Unpacked chunks kept for reading. */
const UNPACKED_KEPT = 4;

/** Unpacked copies of packed chunks, reused round robin. */
export class UnpackCache<T> {
  private readonly keys: number[] = [];
  private readonly slots: T[] = [];
  private next = 0;
  constructor(private readonly make: () => T) {}
  get(key: number, fill: (slot: T) => void): T {
    for (let s = 0; s < this.keys.length; s++) if (this.keys[s] === key) return this.slots[s] as T;
    let s = this.keys.length;
    if (s < UNPACKED_KEPT) {
      this.keys.push(key);
      this.slots.push(this.make());
    } else {
      s = this.next;
      this.next = (this.next + 1) % UNPACKED_KEPT;
      this.keys[s] = key;
    }
    const slot = this.slots[s] as T;
    fill(slot);
    return slot;
  }
}
