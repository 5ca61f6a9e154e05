// Request header v1 and response header v0 (clients/src/main/resources/common/message/RequestHeader.json,
// ResponseHeader.json). Header v1 is what every non-flexible request carries; v2 (flexible versions) adds tagged
// fields after the client id, so the first four fields read the same whatever the version, which is enough to
// answer an ApiVersions request of a version we do not support (see apis/api-versions.ts).
import type { Reader } from "./reader.ts";
import type { Writer } from "./writer.ts";

export interface RequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  /** Nullable in the protocol; kafkajs always sends its clientId. */
  readonly clientId: string | null;
}

export function readRequestHeader(r: Reader): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const clientId = r.nullableString();
  return { apiKey, apiVersion, correlationId, clientId };
}

/** Response header v0: the correlation id alone. */
export function writeResponseHeader(w: Writer, correlationId: number): void {
  w.int32(correlationId);
}
