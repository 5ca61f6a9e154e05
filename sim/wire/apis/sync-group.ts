// SyncGroup (key 14), v0-3 (SyncGroupRequest.json / SyncGroupResponse.json). v1 adds throttleTimeMs; v2 changes
// only throttling; v3 adds groupInstanceId (KIP-345).
import { API_KEY } from "../api-keys.ts";
import { errorNumber, type WireErrorName } from "../error-codes.ts";
import type { Reader } from "../reader.ts";
import type { Writer } from "../writer.ts";

export interface SyncGroupAssignment {
  readonly memberId: string;
  readonly assignment: Uint8Array;
}

export interface SyncGroupRequest {
  readonly apiKey: typeof API_KEY.SyncGroup;
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  /** v3+; null below. */
  readonly groupInstanceId: string | null;
  /** Sent by the leader only. */
  readonly assignments: readonly SyncGroupAssignment[];
}

export interface SyncGroupResponse {
  readonly apiKey: typeof API_KEY.SyncGroup;
  /** v1+. */
  readonly throttleTimeMs: number;
  readonly error: WireErrorName;
  readonly assignment: Uint8Array;
}

export function readSyncGroupRequest(r: Reader, version: number): SyncGroupRequest {
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  const groupInstanceId = version >= 3 ? r.nullableString() : null;
  const n = r.arrayLength(6, "assignments");
  const assignments = new Array<SyncGroupAssignment>(n);
  for (let i = 0; i < n; i++) assignments[i] = { memberId: r.string(), assignment: r.bytesField() };
  return { apiKey: API_KEY.SyncGroup, groupId, generationId, memberId, groupInstanceId, assignments };
}

export function writeSyncGroupResponse(w: Writer, version: number, res: SyncGroupResponse): void {
  if (version >= 1) w.int32(res.throttleTimeMs);
  w.int16(errorNumber(res.error)).bytesField(res.assignment);
}
