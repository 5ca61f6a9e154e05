// The two checks every API gets (test-only): kafkajs's request, decoded by us, reads as expected; our response,
// decoded by kafkajs, reads as expected.
import fc from "fast-check";
import { expect } from "vitest";
import { SUPPORTED_VERSIONS, type ApiName } from "../api-keys.ts";
import { decodeRequest, encodeResponse, type KafkaRequest, type KafkaResponse } from "../codec.ts";
import { Reader } from "../reader.ts";
import { FC } from "./arbitraries.ts";
import { kafkajsDecodeResponse, kafkajsRequestFrame } from "./kafkajs.ts";

export function supportedVersions(api: ApiName): number[] {
  const { min, max } = SUPPORTED_VERSIONS[api];
  return Array.from({ length: max - min + 1 }, (_, i) => min + i);
}

export async function checkRequests<A extends object>(api: ApiName, version: number, args: fc.Arbitrary<A>, expected: (a: A, version: number) => KafkaRequest): Promise<void> {
  await fc.assert(
    fc.asyncProperty(args, fc.nat(), async (a, correlationId) => {
      const frame = await kafkajsRequestFrame(api, version, a, { correlationId, clientId: "kafkajs-client" });
      const r = new Reader();
      const decoded = decodeRequest(frame.subarray(4), r);
      expect(decoded).toEqual({ ok: true, header: { apiKey: expected(a, version).apiKey, apiVersion: version, correlationId, clientId: "kafkajs-client" }, request: expected(a, version) });
      expect(r.remaining()).toBe(0);
    }),
    FC,
  );
}

export async function checkResponses<R extends KafkaResponse>(api: ApiName, version: number, responses: fc.Arbitrary<R>, kafkajsView: (res: R, version: number) => unknown): Promise<void> {
  await fc.assert(
    fc.asyncProperty(responses, fc.nat(), async (res, correlationId) => {
      const { correlationId: seen, decoded } = await kafkajsDecodeResponse(api, version, encodeResponse({ correlationId, apiVersion: version }, res));
      expect(seen).toBe(correlationId);
      expect(decoded).toEqual(kafkajsView(res, version));
    }),
    FC,
  );
}

/** How kafkajs reports throttleTimeMs: absent before `from`, as throttleTime until `clientFrom` (KIP-219: the broker
 *  throttles after answering from then on), then as clientSideThrottleTime with throttleTime 0. */
export function throttle(version: number, from: number, clientFrom: number, ms: number): Record<string, number> {
  if (version < from) return {};
  if (version < clientFrom) return { throttleTime: ms };
  return { throttleTime: 0, clientSideThrottleTime: ms };
}
