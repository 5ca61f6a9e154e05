// InitProducerId (key 22), v0-1 (InitProducerIdRequest.json / InitProducerIdResponse.json): the idempotent or
// transactional producer's id and epoch (KIP-98). v1 changes only throttling; v2 is flexible, v3 (KIP-360: bump the
// epoch of a known producer id) is beyond kafkajs.
import { API_KEY } from "../api-keys.ts";
import { errorNumber, type WireErrorName } from "../error-codes.ts";
import type { Reader } from "../reader.ts";
import type { Writer } from "../writer.ts";

export interface InitProducerIdRequest {
  readonly apiKey: typeof API_KEY.InitProducerId;
  /** null for an idempotent producer without transactions. */
  readonly transactionalId: string | null;
  readonly transactionTimeoutMs: number;
}

export interface InitProducerIdResponse {
  readonly apiKey: typeof API_KEY.InitProducerId;
  readonly throttleTimeMs: number;
  readonly error: WireErrorName;
  readonly producerId: number;
  readonly producerEpoch: number;
}

export function readInitProducerIdRequest(r: Reader, _version: number): InitProducerIdRequest {
  const transactionalId = r.nullableString();
  const transactionTimeoutMs = r.int32();
  return { apiKey: API_KEY.InitProducerId, transactionalId, transactionTimeoutMs };
}

export function writeInitProducerIdResponse(w: Writer, _version: number, res: InitProducerIdResponse): void {
  w.int32(res.throttleTimeMs).int16(errorNumber(res.error)).int64(res.producerId).int16(res.producerEpoch);
}
