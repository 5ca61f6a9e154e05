// A cursor over bytes, reading Kafka's primitive types (big-endian, as in clients/.../common/protocol/types/Type.java
// and common/utils/ByteUtils.java for varints). Allocation-light: one DataView and one Buffer view per reset(), no
// object per primitive; bytes fields are returned as views (subarrays) of the input, not copies. Every read checks
// bounds first and raises a WireDecodeFailure, so a truncated or hostile input never reads out of range, and counts
// are checked against the bytes left before any array is sized from them.
import { WireDecodeFailure, type WireDecodeErrorKind } from "./decode-error.ts";

const EMPTY = new Uint8Array(0);
const TWO_32 = 2 ** 32;

export class Reader {
  private bytes: Uint8Array = EMPTY;
  private view: DataView = new DataView(EMPTY.buffer);
  private text: Buffer = Buffer.alloc(0);
  /** Next byte to read, as an index into the bytes given to reset(). */
  pos = 0;
  /** One past the last readable byte. */
  end = 0;

  constructor(bytes?: Uint8Array) {
    if (bytes !== undefined) this.reset(bytes);
  }

  /** Reads `bytes` (a view is kept, nothing is copied); reuse one Reader for many messages. */
  reset(bytes: Uint8Array, start = 0, end = bytes.length): this {
    // A plain Uint8Array over the same memory: its subarrays (the bytes fields) are cheaper to make than a Buffer's.
    this.bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
    this.end = end;
    return this;
  }

  remaining(): number {
    return this.end - this.pos;
  }

  fail(kind: WireDecodeErrorKind, message: string, offset = this.pos): never {
    throw new WireDecodeFailure(kind, message, offset);
  }

  private need(n: number, what: string): void {
    if (this.end - this.pos < n) this.fail("truncated", `${what} needs ${n} bytes, ${this.end - this.pos} left`);
  }

  int8(): number {
    this.need(1, "int8");
    return this.view.getInt8(this.pos++);
  }

  int16(): number {
    this.need(2, "int16");
    const v = this.view.getInt16(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4, "int32");
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }

  uint32(): number {
    this.need(4, "uint32");
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  /** An int64 as a number; values beyond ±(2^53 - 1) are refused (the simulator counts offsets, ids and times in
   *  numbers, and no value kafkajs or a broker sends in the supported APIs comes near that). */
  int64(): number {
    this.need(8, "int64");
    const at = this.pos;
    const v = this.view.getInt32(at) * TWO_32 + this.view.getUint32(at + 4);
    this.pos += 8;
    if (!Number.isSafeInteger(v)) this.fail("invalid-value", "int64 beyond ±(2^53 - 1)", at);
    return v;
  }

  /** Kafka reads any non-zero byte as true (Type.BOOLEAN). */
  boolean(): boolean {
    return this.int8() !== 0;
  }

  /** Zigzag varint of at most 5 bytes (ByteUtils.readVarint). */
  varint(): number {
    const at = this.pos;
    let raw = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= this.end) this.fail("truncated", "varint runs past the end", at);
      const b = this.bytes[this.pos++]!;
      raw |= (b & 0x7f) << shift;
      if (b < 0x80) return (raw >>> 1) ^ -(raw & 1);
    }
    return this.fail("invalid-value", "varint longer than 5 bytes", at);
  }

  /** Zigzag varlong of at most 10 bytes (ByteUtils.readVarlong), as a number: an encoding above 2^53 (a value
   *  beyond about ±2^52) is refused rather than rounded. Record timestamp deltas are far smaller. */
  varlong(): number {
    const at = this.pos;
    let raw = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail("truncated", "varlong runs past the end", at);
      const b = this.bytes[this.pos++]!;
      raw += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (raw > Number.MAX_SAFE_INTEGER) this.fail("invalid-value", "varlong beyond ±2^52", at);
        // zigzag: even → n / 2, odd → -(n + 1) / 2
        return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
      }
      scale *= 128;
    }
    return this.fail("invalid-value", "varlong longer than 10 bytes", at);
  }

  /** A length prefix already read: -1 means null where allowed; anything else must fit in the bytes left. */
  private sized(len: number, nullable: boolean, what: string, at: number): number {
    if (len < 0) {
      if (len === -1 && nullable) return -1;
      this.fail("invalid-length", `${what} length ${len}${len === -1 ? " (null) where null is not allowed" : ""}`, at);
    }
    if (len > this.end - this.pos) this.fail("truncated", `${what} of ${len} bytes, ${this.end - this.pos} left`, at);
    return len;
  }

  private utf8(len: number): string {
    const s = this.text.toString("utf8", this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  private slice(len: number): Uint8Array {
    const b = this.bytes.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }

  /** An int32 bytes length prefix, checked against the bytes left (-1 for null where nullable); the bytes are not
   *  consumed. */
  bytesLength(nullable: boolean, what = "bytes"): number {
    const at = this.pos;
    return this.sized(this.int32(), nullable, what, at);
  }

  /** int16-prefixed UTF-8 string, not null. */
  string(): string {
    const at = this.pos;
    return this.utf8(this.sized(this.int16(), false, "string", at));
  }

  nullableString(): string | null {
    const at = this.pos;
    const len = this.sized(this.int16(), true, "string", at);
    return len === -1 ? null : this.utf8(len);
  }

  /** int32-prefixed bytes, not null: a view of the input. */
  bytesField(): Uint8Array {
    const at = this.pos;
    return this.slice(this.sized(this.int32(), false, "bytes", at));
  }

  nullableBytes(): Uint8Array | null {
    const at = this.pos;
    const len = this.sized(this.int32(), true, "bytes", at);
    return len === -1 ? null : this.slice(len);
  }

  /** Varint-prefixed string, not null (record header keys). */
  varintString(): string {
    const at = this.pos;
    return this.utf8(this.sized(this.varint(), false, "string", at));
  }

  /** Varint-prefixed bytes, -1 for null (record keys, values, header values). */
  varintNullableBytes(): Uint8Array | null {
    const at = this.pos;
    const len = this.sized(this.varint(), true, "bytes", at);
    return len === -1 ? null : this.slice(len);
  }

  private count(n: number, nullable: boolean, minElementBytes: number, what: string, at: number): number {
    if (n < 0) {
      if (n === -1 && nullable) return -1;
      this.fail("invalid-length", `${what} count ${n}${n === -1 ? " (null) where null is not allowed" : ""}`, at);
    }
    // Each element takes at least minElementBytes, so a count the bytes left cannot hold is refused before any
    // array is sized from it (no allocation from a hostile count).
    if (n * minElementBytes > this.end - this.pos) {
      this.fail("truncated", `${what} of ${n} elements needs at least ${n * minElementBytes} bytes, ${this.end - this.pos} left`, at);
    }
    return n;
  }

  /** int32 element count of a non-nullable array whose elements take at least minElementBytes each. */
  arrayLength(minElementBytes: number, what = "array"): number {
    const at = this.pos;
    return this.count(this.int32(), false, minElementBytes, what, at);
  }

  /** As arrayLength, -1 for null. */
  nullableArrayLength(minElementBytes: number, what = "array"): number {
    const at = this.pos;
    return this.count(this.int32(), true, minElementBytes, what, at);
  }

  /** Varint element count (record headers). */
  varintArrayLength(minElementBytes: number, what = "array"): number {
    const at = this.pos;
    return this.count(this.varint(), false, minElementBytes, what, at);
  }

  /** [int32] arrays, read in one go. */
  int32Array(what = "int32 array"): number[] {
    const n = this.arrayLength(4, what);
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = this.int32();
    return out;
  }

  /** The next n bytes as a view, without interpretation. */
  raw(n: number): Uint8Array {
    this.need(n, "raw bytes");
    return this.slice(n);
  }

  /** The underlying bytes (for checks over a range already read, such as a CRC). */
  buffer(): Uint8Array {
    return this.bytes;
  }
}
