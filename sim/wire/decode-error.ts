// Decoding failures as data. Reader methods raise a WireDecodeFailure (an exception used only on the failure path,
// so the success path has no result objects per primitive); every public decode entry point catches it and returns
// a WireDecodeError, so no exception escapes a decode of untrusted bytes.

export type WireDecodeErrorKind =
  /** The bytes end before the field does. */
  | "truncated"
  /** A length or count below -1, -1 where null is not allowed, or more elements than the bytes left could hold. */
  | "invalid-length"
  /** A size prefix above the allowed maximum (a frame, a record batch). */
  | "too-large"
  /** A value the protocol does not allow (a varint longer than its type, an int64 beyond 2^53, a bad boolean…). */
  | "invalid-value"
  /** A record batch whose stored CRC32C does not match its bytes. */
  | "bad-crc"
  /** A record inside a record batch (or the batch's record count) that does not fit the batch, although the CRC
   *  matched (Kafka's InvalidRecordException). */
  | "invalid-record"
  /** A record batch of another magic than 2. */
  | "unsupported-magic"
  /** A compressed record batch (only compression none is implemented). */
  | "unsupported-compression"
  /** An API key this codec does not implement. */
  | "unsupported-api"
  /** A version of an implemented API outside the supported range. */
  | "unsupported-version";

export interface WireDecodeError {
  readonly kind: WireDecodeErrorKind;
  readonly message: string;
  /** Byte offset in the buffer being decoded where the problem was found. */
  readonly offset: number;
}

/** Thrown inside the codec only; converted to a WireDecodeError at the entry points (see `catchDecode`). */
export class WireDecodeFailure extends Error {
  readonly detail: WireDecodeError;
  constructor(kind: WireDecodeErrorKind, message: string, offset: number) {
    super(`${kind} at byte ${offset}: ${message}`);
    this.detail = { kind, message, offset };
  }
}

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: WireDecodeError };

/** Runs a decoder and turns a WireDecodeFailure into data. Any other exception is a bug in the codec and propagates. */
export function catchDecode<T>(decode: () => T): Decoded<T> {
  try {
    return { ok: true, value: decode() };
  } catch (e) {
    if (e instanceof WireDecodeFailure) return { ok: false, error: e.detail };
    throw e;
  }
}
