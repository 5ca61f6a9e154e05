// FindCoordinator (key 10; kafkajs calls it GroupCoordinator), v0-2 (FindCoordinatorRequest.json /
// FindCoordinatorResponse.json). v1 adds keyType (0 group, 1 transaction), throttleTimeMs and errorMessage; v2
// changes only throttling. v4 (batched keys) is beyond kafkajs.
import { API_KEY } from "../api-keys.ts";
import { errorNumber, type WireErrorName } from "../error-codes.ts";
import type { Reader } from "../reader.ts";
import type { Writer } from "../writer.ts";

export interface FindCoordinatorRequest {
  readonly apiKey: typeof API_KEY.FindCoordinator;
  /** The group id (or transactional id). */
  readonly key: string;
  /** v1+; 0 (group) below. */
  readonly keyType: number;
}

export interface FindCoordinatorResponse {
  readonly apiKey: typeof API_KEY.FindCoordinator;
  /** v1+. */
  readonly throttleTimeMs: number;
  readonly error: WireErrorName;
  /** v1+. */
  readonly errorMessage: string | null;
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

export function readFindCoordinatorRequest(r: Reader, version: number): FindCoordinatorRequest {
  const key = r.string();
  const keyType = version >= 1 ? r.int8() : 0;
  return { apiKey: API_KEY.FindCoordinator, key, keyType };
}

export function writeFindCoordinatorResponse(w: Writer, version: number, res: FindCoordinatorResponse): void {
  if (version >= 1) w.int32(res.throttleTimeMs);
  w.int16(errorNumber(res.error));
  if (version >= 1) w.nullableString(res.errorMessage);
  w.int32(res.nodeId).string(res.host).int32(res.port);
}
