// ApiVersions (key 18), v0-2 (ApiVersionsRequest.json / ApiVersionsResponse.json). The request has no fields below
// v3. The response lists, per API, the version range this broker supports; kafkajs then uses
// min(its highest version, our max) for each API and refuses to talk to a broker that lacks one it needs
// (src/protocol/requests/index.js lookup).
//
// An ApiVersions request of a version we do not support (the Java client opens with v3 or v4, which are flexible) is
// answered as Kafka does (RequestContext.apiVersion, ApiVersionsRequest.getErrorResponse, KIP-511): at version 0,
// UNSUPPORTED_VERSION, listing only ApiVersions' own range; the client retries with a version from that range.
import { API_KEY, SUPPORTED_VERSIONS, type ApiName } from "../api-keys.ts";
import type { WireErrorName } from "../error-codes.ts";
import { errorNumber } from "../error-codes.ts";
import type { Reader } from "../reader.ts";
import type { Writer } from "../writer.ts";

export interface ApiVersionsRequest {
  readonly apiKey: typeof API_KEY.ApiVersions;
}

export interface ApiVersionRange {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

export interface ApiVersionsResponse {
  readonly apiKey: typeof API_KEY.ApiVersions;
  readonly error: WireErrorName;
  readonly apiKeys: readonly ApiVersionRange[];
  /** v1+. */
  readonly throttleTimeMs: number;
}

export function readApiVersionsRequest(_r: Reader, _version: number): ApiVersionsRequest {
  return { apiKey: API_KEY.ApiVersions };
}

export function writeApiVersionsResponse(w: Writer, version: number, res: ApiVersionsResponse): void {
  w.int16(errorNumber(res.error));
  w.int32(res.apiKeys.length);
  for (const k of res.apiKeys) w.int16(k.apiKey).int16(k.minVersion).int16(k.maxVersion);
  if (version >= 1) w.int32(res.throttleTimeMs);
}

/** Every implemented API with its supported range, in api key order (as Kafka lists them). */
export function supportedApiVersions(): ApiVersionsResponse {
  const apiKeys = (Object.keys(API_KEY) as ApiName[])
    .map((name) => ({ apiKey: API_KEY[name], minVersion: SUPPORTED_VERSIONS[name].min, maxVersion: SUPPORTED_VERSIONS[name].max }))
    .sort((a, b) => a.apiKey - b.apiKey);
  return { apiKey: API_KEY.ApiVersions, error: "NONE", apiKeys, throttleTimeMs: 0 };
}

/** The answer to an ApiVersions request of an unsupported version: encode it at version 0. */
export function unsupportedApiVersionsResponse(): ApiVersionsResponse {
  const range = SUPPORTED_VERSIONS.ApiVersions;
  return {
    apiKey: API_KEY.ApiVersions,
    error: "UNSUPPORTED_VERSION",
    apiKeys: [{ apiKey: API_KEY.ApiVersions, minVersion: range.min, maxVersion: range.max }],
    throttleTimeMs: 0,
  };
}
