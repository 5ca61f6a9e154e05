// Packing of the history recorder's full chunks (sim/history-recorder.ts): each column as the difference from the
// same column of the previous row of the same kind, zigzag-varint coded. Consecutive sends repeat their process
// and topic, number their values upwards and ack nearby offsets, so a 29-byte row packs into 5 to 12 bytes. A
// packed chunk is unpacked whole when read (reads are passes in order), into a few reused buffers.

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
}

/** Rows of `rows` entries: a kind byte, an int32 time offset and `width` int32 columns, of which kind k uses the
 *  first `used[k]`. */
export interface RowColumns {
  readonly kind: Uint8Array;
  readonly dt: Int32Array;
  readonly a: Int32Array;
}

/** Pack `rows` rows. Columns a kind does not use are not stored (they read back as 0). */
export function packRows(c: RowColumns, rows: number, width: number, used: readonly number[]): Uint8Array {
  const w = new Writer(rows * 8);
  const prev = new Int32Array(used.length * width);
  let prevDt = 0;
  for (let r = 0; r < rows; r++) {
    const k = c.kind[r] as number;
    w.int(k);
    const dt = c.dt[r] as number;
    w.int((dt - prevDt) | 0);
    prevDt = dt;
    const base = r * width;
    const pk = k * width;
    for (let col = 0; col < (used[k] as number); col++) {
      const x = c.a[base + col] as number;
      w.int((x - (prev[pk + col] as number)) | 0);
      prev[pk + col] = x;
    }
  }
  return w.done();
}

/** Unpack into `out` (as many rows as were packed). */
export function unpackRows(bytes: Uint8Array, rows: number, width: number, used: readonly number[], out: RowColumns): void {
  const rd = new Reader(bytes);
  const prev = new Int32Array(used.length * width);
  let dt = 0;
  out.a.fill(0);
  for (let r = 0; r < rows; r++) {
    const k = rd.int();
    out.kind[r] = k;
    dt = (dt + rd.int()) | 0;
    out.dt[r] = dt;
    const base = r * width;
    const pk = k * width;
    for (let col = 0; col < (used[k] as number); col++) {
      const x = ((prev[pk + col] as number) + rd.int()) | 0;
      out.a[base + col] = x;
      prev[pk + col] = x;
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
