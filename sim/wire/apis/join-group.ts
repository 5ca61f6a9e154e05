// JoinGroup (key 11), v0-5 (JoinGroupRequest.json / JoinGroupResponse.json). v1 adds rebalanceTimeoutMs; v2
// throttleTimeMs; v3 changes only throttling; v4 lets the broker answer MEMBER_ID_REQUIRED (KIP-394); v5 adds
// groupInstanceId (static membership, KIP-345) to the request and to each member of the response.
import { API_KEY } from "../api-keys.ts";
import { errorNumber, type WireErrorName } from "../error-codes.ts";
import type { Reader } from "../reader.ts";
import type { Writer } from "../writer.ts";

export interface JoinGroupProtocol {
  readonly name: string;
  readonly metadata: Uint8Array;
}

export interface JoinGroupRequest {
  readonly apiKey: typeof API_KEY.JoinGroup;
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
  /** v1+; -1 below (the broker then uses the session timeout). */
  readonly rebalanceTimeoutMs: number;
  /** "" for a new member. */
  readonly memberId: string;
  /** v5+; null below. */
  readonly groupInstanceId: string | null;
  readonly protocolType: string;
  readonly protocols: readonly JoinGroupProtocol[];
}

export interface JoinGroupMember {
  readonly memberId: string;
  /** v5+. */
  readonly groupInstanceId: string | null;
  readonly metadata: Uint8Array;
}

export interface JoinGroupResponse {
  readonly apiKey: typeof API_KEY.JoinGroup;
  /** v2+. */
  readonly throttleTimeMs: number;
  readonly error: WireErrorName;
  readonly generationId: number;
  readonly protocolName: string;
  readonly leader: string;
  readonly memberId: string;
  /** Filled for the leader only. */
  readonly members: readonly JoinGroupMember[];
}

export function readJoinGroupRequest(r: Reader, version: number): JoinGroupRequest {
  const groupId = r.string();
  const sessionTimeoutMs = r.int32();
  const rebalanceTimeoutMs = version >= 1 ? r.int32() : -1;
  const memberId = r.string();
  const groupInstanceId = version >= 5 ? r.nullableString() : null;
  const protocolType = r.string();
  const n = r.arrayLength(6, "protocols");
  const protocols = new Array<JoinGroupProtocol>(n);
  for (let i = 0; i < n; i++) protocols[i] = { name: r.string(), metadata: r.bytesField() };
  return { apiKey: API_KEY.JoinGroup, groupId, sessionTimeoutMs, rebalanceTimeoutMs, memberId, groupInstanceId, protocolType, protocols };
}

export function writeJoinGroupResponse(w: Writer, version: number, res: JoinGroupResponse): void {
  if (version >= 2) w.int32(res.throttleTimeMs);
  w.int16(errorNumber(res.error)).int32(res.generationId).string(res.protocolName).string(res.leader).string(res.memberId);
  w.int32(res.members.length);
  for (const m of res.members) {
    w.string(m.memberId);
    if (version >= 5) w.nullableString(m.groupInstanceId);
    w.bytesField(m.metadata);
  }
}
