// LeaveGroup (key 13), v0-3 (LeaveGroupRequest.json / LeaveGroupResponse.json). v1 adds throttleTimeMs; v2 changes
// only throttling; v3 (KIP-345) replaces the single memberId by a list of members, each answered with its own error.
// Below v3 the request is read as a one-member list, as LeaveGroupRequest.members() does.
import { API_KEY } from "../api-keys.ts";
import { errorNumber, type WireErrorName } from "../error-codes.ts";
import type { Reader } from "../reader.ts";
import type { Writer } from "../writer.ts";

export interface LeaveGroupMember {
  readonly memberId: string;
  /** v3+; null below. */
  readonly groupInstanceId: string | null;
}

export interface LeaveGroupRequest {
  readonly apiKey: typeof API_KEY.LeaveGroup;
  readonly groupId: string;
  readonly members: readonly LeaveGroupMember[];
}

export interface LeaveGroupMemberResponse {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly error: WireErrorName;
}

export interface LeaveGroupResponse {
  readonly apiKey: typeof API_KEY.LeaveGroup;
  /** v1+. */
  readonly throttleTimeMs: number;
  readonly error: WireErrorName;
  /** v3+. */
  readonly members: readonly LeaveGroupMemberResponse[];
}

export function readLeaveGroupRequest(r: Reader, version: number): LeaveGroupRequest {
  const groupId = r.string();
  if (version < 3) return { apiKey: API_KEY.LeaveGroup, groupId, members: [{ memberId: r.string(), groupInstanceId: null }] };
  const n = r.arrayLength(4, "members");
  const members = new Array<LeaveGroupMember>(n);
  for (let i = 0; i < n; i++) members[i] = { memberId: r.string(), groupInstanceId: r.nullableString() };
  return { apiKey: API_KEY.LeaveGroup, groupId, members };
}

export function writeLeaveGroupResponse(w: Writer, version: number, res: LeaveGroupResponse): void {
  if (version >= 1) w.int32(res.throttleTimeMs);
  w.int16(errorNumber(res.error));
  if (version >= 3) {
    w.int32(res.members.length);
    for (const m of res.members) w.string(m.memberId).nullableString(m.groupInstanceId).int16(errorNumber(m.error));
  }
}
