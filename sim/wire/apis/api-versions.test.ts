import { describe, expect, it } from "vitest";
import { API_KEY, SUPPORTED_VERSIONS, type ApiName } from "../api-keys.ts";
import { decodeRequest, encodeResponse } from "../codec.ts";
import { kafkajsDecodeResponse, kafkajsNegotiatedVersion, kafkajsRequestFrame, kafkajsVersions } from "../testkit/kafkajs.ts";
import { supportedApiVersions, unsupportedApiVersionsResponse } from "./api-versions.ts";

const APIS = Object.keys(API_KEY) as ApiName[];

describe("ApiVersions", () => {
  it("decodes kafkajs's request at every version and kafkajs decodes our answer", async () => {
    for (const version of [0, 1, 2]) {
      const frame = await kafkajsRequestFrame("ApiVersions", version, {}, { correlationId: 41 + version, clientId: "c1" });
      const decoded = decodeRequest(frame.subarray(4));
      expect(decoded).toEqual({
        ok: true,
        header: { apiKey: 18, apiVersion: version, correlationId: 41 + version, clientId: "c1" },
        request: { apiKey: 18 },
      });
      const res = { ...supportedApiVersions(), throttleTimeMs: 17 };
      const { correlationId, decoded: k } = await kafkajsDecodeResponse("ApiVersions", version, encodeResponse({ correlationId: 41 + version, apiVersion: version }, res));
      expect(correlationId).toBe(41 + version);
      expect(k.errorCode).toBe(0);
      expect(k.apiVersions).toEqual(res.apiKeys.map((a) => ({ apiKey: a.apiKey, minVersion: a.minVersion, maxVersion: a.maxVersion })));
      if (version === 1) expect(k.throttleTime).toBe(17);
      if (version === 2) expect(k.clientSideThrottleTime).toBe(17);
    }
  });

  it("lists every implemented API once, in key order, with its supported range", () => {
    const res = supportedApiVersions();
    expect(res.apiKeys.map((a) => a.apiKey)).toEqual([0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 18, 22, 24, 25, 26, 28]);
    for (const name of APIS) {
      expect(res.apiKeys.find((a) => a.apiKey === API_KEY[name])).toEqual({ apiKey: API_KEY[name], minVersion: SUPPORTED_VERSIONS[name].min, maxVersion: SUPPORTED_VERSIONS[name].max });
    }
  });

  it("kafkajs negotiates the highest version it implements for every API, and every supported version is one kafkajs implements", () => {
    const advertised = supportedApiVersions().apiKeys;
    const negotiated: Record<string, number> = {};
    for (const name of APIS) {
      const kjs = kafkajsVersions(name);
      negotiated[name] = kafkajsNegotiatedVersion(name, advertised);
      for (let v = SUPPORTED_VERSIONS[name].min; v <= SUPPORTED_VERSIONS[name].max; v++) expect(kjs).toContain(v);
    }
    expect(negotiated).toEqual({
      Produce: 7,
      Fetch: 11,
      ListOffsets: 3,
      Metadata: 6,
      OffsetCommit: 5,
      OffsetFetch: 4,
      FindCoordinator: 2,
      JoinGroup: 5,
      Heartbeat: 3,
      LeaveGroup: 3,
      SyncGroup: 3,
      ApiVersions: 2,
      InitProducerId: 1,
      AddPartitionsToTxn: 1,
      AddOffsetsToTxn: 1,
      EndTxn: 1,
      TxnOffsetCommit: 1,
    });
  });

  it("an older broker's lower maxima make kafkajs step down to them", () => {
    const advertised = supportedApiVersions().apiKeys.map((a) => (a.apiKey === API_KEY.Fetch ? { ...a, maxVersion: 6 } : a.apiKey === API_KEY.Produce ? { ...a, maxVersion: 3 } : a));
    expect(kafkajsNegotiatedVersion("Fetch", advertised)).toBe(6);
    expect(kafkajsNegotiatedVersion("Produce", advertised)).toBe(3);
  });

  it("answers an unsupported ApiVersions version at v0 with UNSUPPORTED_VERSION and its own range (KIP-511)", async () => {
    // The Java client opens with ApiVersions v3 (flexible: header v2 with tagged fields); the first fields read alike.
    const frame = Buffer.from([0, 18, 0, 3, 0, 0, 0, 9, 0, 1, 0x78, 0, 0, 0, 0]);
    const decoded = decodeRequest(frame);
    expect(decoded.ok).toBe(false);
    if (decoded.ok) return;
    expect(decoded.error.kind).toBe("unsupported-version");
    expect(decoded.header).toEqual({ apiKey: 18, apiVersion: 3, correlationId: 9, clientId: "x" });
    const answer = encodeResponse({ correlationId: 9, apiVersion: 0 }, unsupportedApiVersionsResponse());
    expect([...answer]).toEqual([0, 0, 0, 16, 0, 0, 0, 9, 0, 35, 0, 0, 0, 1, 0, 18, 0, 0, 0, 2]);
    // kafkajs, given that answer to its v2 attempt, sees UNSUPPORTED_VERSION and would retry lower (broker.apiVersions)
    await expect(kafkajsDecodeResponse("ApiVersions", 2, answer)).rejects.toMatchObject({ type: "UNSUPPORTED_VERSION" });
  });
});
