// Heartbeat (key 12), v0-3 (HeartbeatRequest.json / HeartbeatResponse.json). v1 adds throttleTimeMs; v2 changes
// only throttling; v3 adds groupInstanceId (KIP-345).
import { API_KEY } from "../api-keys.ts";
import { errorNumber, type WireErrorName } from "../error-codes.ts";
import type { Reader } from "../reader.ts";
import type { Writer } from "../writer.ts";

export interface HeartbeatRequest {
  readonly apiKey: typeof API_KEY.Heartbeat;
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  /** v3+; null below. */
  readonly groupInstanceId: string | null;
}

export interface HeartbeatResponse {
  readonly apiKey: typeof API_KEY.Heartbeat;
  /** v1+. */
  readonly throttleTimeMs: number;
  readonly error: WireErrorName;
}

export function readHeartbeatRequest(r: Reader, version: number): HeartbeatRequest {
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  const groupInstanceId = version >= 3 ? r.nullableString() : null;
  return { apiKey: API_KEY.Heartbeat, groupId, generationId, memberId, groupInstanceId };
}

export function writeHeartbeatResponse(w: Writer, version: number, res: HeartbeatResponse): void {
  if (version >= 1) w.int32(res.throttleTimeMs);
  w.int16(errorNumber(res.error));
}
