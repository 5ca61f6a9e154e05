// A growable byte buffer writing Kafka's primitive types (big-endian; zigzag varints as ByteUtils.writeVarint).
// Allocation-light: the backing Buffer doubles when full and is kept across reset(), so a reused Writer allocates
// nothing per primitive and, once warm, nothing per message except what the caller copies out. Length prefixes that
// depend on what follows (a frame's size, a record batch's length and CRC) are reserved and patched in place.
//
// Encoding a value the protocol cannot carry (a non-integer, an int32 out of range, an int64 beyond 2^53) is a bug in
// the caller, not bad input, and throws a RangeError naming the type.

const TWO_32 = 2 ** 32;

export class Writer {
  private buf: Buffer;
  private view: DataView;
  /** Next byte to write; also the number of bytes written since reset(). */
  pos = 0;

  constructor(initialBytes = 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialBytes));
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  reset(): this {
    this.pos = 0;
    return this;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  int8(v: number): this {
    checkInt(v, -0x80, 0x7f, "int8");
    this.ensure(1);
    this.view.setInt8(this.pos, v);
    this.pos += 1;
    return this;
  }

  int16(v: number): this {
    checkInt(v, -0x8000, 0x7fff, "int16");
    this.ensure(2);
    this.view.setInt16(this.pos, v);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    checkInt(v, -0x80000000, 0x7fffffff, "int32");
    this.ensure(4);
    this.view.setInt32(this.pos, v);
    this.pos += 4;
    return this;
  }

  uint32(v: number): this {
    checkInt(v, 0, 0xffffffff, "uint32");
    this.ensure(4);
    this.view.setUint32(this.pos, v);
    this.pos += 4;
    return this;
  }

  int64(v: number): this {
    checkInt(v, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, "int64");
    this.ensure(8);
    const hi = Math.floor(v / TWO_32);
    this.view.setInt32(this.pos, hi);
    this.view.setUint32(this.pos + 4, v - hi * TWO_32);
    this.pos += 8;
    return this;
  }

  boolean(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  varint(v: number): this {
    checkInt(v, -0x80000000, 0x7fffffff, "varint");
    this.ensure(5);
    let raw = ((v << 1) ^ (v >> 31)) >>> 0;
    while (raw >= 0x80) {
      this.buf[this.pos++] = (raw & 0x7f) | 0x80;
      raw >>>= 7;
    }
    this.buf[this.pos++] = raw;
    return this;
  }

  /** Zigzag varlong; |v| up to 2^52 (see Reader.varlong). */
  varlong(v: number): this {
    checkInt(v, -(2 ** 52), 2 ** 52, "varlong");
    this.ensure(10);
    let raw = v >= 0 ? v * 2 : -v * 2 - 1;
    while (raw >= 0x80) {
      this.buf[this.pos++] = (raw % 0x80) | 0x80;
      raw = Math.floor(raw / 0x80);
    }
    this.buf[this.pos++] = raw;
    return this;
  }

  private utf8(s: string, prefix: "int16" | "varint"): this {
    const len = Buffer.byteLength(s, "utf8");
    if (prefix === "int16") this.int16(len);
    else this.varint(len);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, len, "utf8");
    return this;
  }

  /** int16-prefixed UTF-8. */
  string(s: string): this {
    return this.utf8(s, "int16");
  }

  nullableString(s: string | null): this {
    return s === null ? this.int16(-1) : this.utf8(s, "int16");
  }

  /** Varint-prefixed UTF-8 (record header keys). */
  varintString(s: string): this {
    return this.utf8(s, "varint");
  }

  /** The bytes as they are, no prefix. */
  raw(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** int32-prefixed bytes. */
  bytesField(b: Uint8Array): this {
    return this.int32(b.length).raw(b);
  }

  nullableBytes(b: Uint8Array | null): this {
    return b === null ? this.int32(-1) : this.bytesField(b);
  }

  /** Varint-prefixed bytes, -1 for null (record keys, values, header values). */
  varintNullableBytes(b: Uint8Array | null): this {
    return b === null ? this.varint(-1) : this.varint(b.length).raw(b);
  }

  int32Array(values: readonly number[]): this {
    this.int32(values.length);
    for (const v of values) this.int32(v);
    return this;
  }

  /** Leaves room for an int32 to be patched later; returns its position. */
  reserveInt32(): number {
    this.ensure(4);
    const at = this.pos;
    this.pos += 4;
    return at;
  }

  patchInt32(at: number, v: number): void {
    checkInt(v, -0x80000000, 0x7fffffff, "int32");
    this.view.setInt32(at, v);
  }

  patchUint32(at: number, v: number): void {
    checkInt(v, 0, 0xffffffff, "uint32");
    this.view.setUint32(at, v);
  }

  /** A view of bytes [from, to) written so far; valid until the next write or reset. */
  written(from = 0, to = this.pos): Buffer {
    return this.buf.subarray(from, to);
  }

  /** A copy of everything written since reset(). */
  toBytes(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

function checkInt(v: number, min: number, max: number, type: string): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`cannot encode ${v} as ${type} (${min}..${max})`);
}
