// Size-prefixed framing: every Kafka request and response is an int32 size followed by that many bytes
// (clients/.../common/network/NetworkReceive.java). FrameSplitter turns a TCP byte stream, cut anywhere, back into
// frames. A size below 0 or above the maximum (the broker's socket.request.max.bytes, default 104857600) is an
// InvalidReceiveException in Kafka and closes the connection: here the splitter returns the error and stays failed.
//
// Allocation: a frame that lies inside one pushed chunk is handed out as a view of that chunk (no copy); a frame
// spread over chunks is copied once into a buffer of its own. Bytes are buffered only as they arrive, so a lying
// size prefix costs at most what was actually received. The caller must not modify a chunk after pushing it.
import type { WireDecodeError } from "./decode-error.ts";

/** Kafka's socket.request.max.bytes default (KafkaConfig: 100 MiB). */
export const DEFAULT_MAX_FRAME_BYTES = 104_857_600;

const EMPTY = new Uint8Array(0);

export class FrameSplitter {
  private readonly maxFrameBytes: number;
  /** Chunks (or their tails) not yet consumed, oldest first from index head, and their total length. */
  private pending: Uint8Array[] = [];
  private head = 0;
  private pendingBytes = 0;
  /** Bytes of the stream consumed so far (for error offsets). */
  private streamOffset = 0;
  private failed: WireDecodeError | null = null;

  constructor(options: { readonly maxFrameBytes?: number } = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** Feeds the next bytes of the stream; calls onFrame with each complete frame (without its size prefix), in order.
   *  Returns null, or the error that ends the stream (also for every later push). */
  push(chunk: Uint8Array, onFrame: (frame: Uint8Array) => void): WireDecodeError | null {
    if (this.failed !== null) return this.failed;
    let at = 0;
    // Fast path: nothing buffered, frames whole inside this chunk.
    if (this.pendingBytes === 0) {
      while (chunk.length - at >= 4) {
        const size = readInt32(chunk, at);
        const error = this.check(size);
        if (error !== null) return error;
        if (chunk.length - at - 4 < size) break;
        onFrame(chunk.subarray(at + 4, at + 4 + size));
        at += 4 + size;
        this.streamOffset += 4 + size;
      }
      if (at < chunk.length) this.append(chunk.subarray(at));
      return null;
    }
    this.append(chunk);
    while (this.pendingBytes >= 4) {
      const size = this.peekSize();
      const error = this.check(size);
      if (error !== null) return error;
      if (this.pendingBytes - 4 < size) break;
      onFrame(this.take(4 + size).subarray(4));
      this.streamOffset += 4 + size;
    }
    return null;
  }

  /** Bytes received but not yet part of a complete frame. */
  bufferedBytes(): number {
    return this.pendingBytes;
  }

  private check(size: number): WireDecodeError | null {
    if (size < 0) {
      this.failed = { kind: "invalid-length", message: `frame size ${size}`, offset: this.streamOffset };
    } else if (size > this.maxFrameBytes) {
      this.failed = {
        kind: "too-large",
        message: `frame size ${size} larger than ${this.maxFrameBytes} (socket.request.max.bytes)`,
        offset: this.streamOffset,
      };
    }
    return this.failed;
  }

  private append(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
  }

  private peekSize(): number {
    const first = this.pending[this.head]!;
    if (first.length >= 4) return readInt32(first, 0);
    const prefix = new Uint8Array(4);
    let filled = 0;
    for (let i = this.head; filled < 4; i++) {
      const c = this.pending[i]!;
      const n = Math.min(4 - filled, c.length);
      prefix.set(c.subarray(0, n), filled);
      filled += n;
    }
    return readInt32(prefix, 0);
  }

  /** Removes the first n buffered bytes, as a view when they lie in one chunk, else as a copy. */
  private take(n: number): Uint8Array {
    const first = this.pending[this.head]!;
    let out: Uint8Array;
    if (first.length >= n) {
      out = first.subarray(0, n);
      this.consume(first, n);
    } else {
      out = new Uint8Array(n);
      let filled = 0;
      while (filled < n) {
        const c = this.pending[this.head]!;
        const k = Math.min(n - filled, c.length);
        out.set(c.subarray(0, k), filled);
        filled += k;
        this.consume(c, k);
      }
    }
    this.pendingBytes -= n;
    return out;
  }

  /** Drops the first k bytes of the head chunk c. */
  private consume(c: Uint8Array, k: number): void {
    if (k < c.length) {
      this.pending[this.head] = c.subarray(k);
      return;
    }
    this.pending[this.head++] = EMPTY;
    if (this.head === this.pending.length) {
      this.pending.length = 0;
      this.head = 0;
    } else if (this.head >= 64 && this.head * 2 >= this.pending.length) {
      this.pending.splice(0, this.head);
      this.head = 0;
    }
  }
}

function readInt32(b: Uint8Array, at: number): number {
  return (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
}
