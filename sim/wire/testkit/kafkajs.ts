// Test-only access to kafkajs's own protocol code (a devDependency; plain CommonJS under kafkajs/src), so the codec
// is checked against the encoders and decoders of the client it serves, not against a second reading of the spec.
// Not imported by anything but tests.
import { createRequire } from "node:module";
import type { ApiName } from "../api-keys.ts";

const require = createRequire(import.meta.url);

interface KjsEncoder {
  readonly buffer: Buffer;
}

interface KjsRequest {
  readonly apiKey: number;
  readonly apiVersion: number;
  encode(): Promise<KjsEncoder>;
  readonly expectResponse?: () => boolean;
}

interface KjsResponse {
  decode(payload: Buffer): Promise<unknown>;
  parse(decoded: unknown): Promise<unknown>;
}

interface KjsProtocol {
  readonly request: KjsRequest;
  readonly response: KjsResponse;
}

interface KjsDefinition {
  readonly versions: readonly string[];
  protocol(o: { version: number }): (args: object) => KjsProtocol;
}

const kjsRequests = require("kafkajs/src/protocol/requests/index.js") as {
  requests: Record<string, KjsDefinition>;
  lookup: (versions: Record<number, { minVersion: number; maxVersion: number }>) => (apiKey: number, definition: KjsDefinition) => KjsProtocol;
};
const kjsFrame = require("kafkajs/src/protocol/request.js") as (o: {
  correlationId: number;
  clientId: string;
  request: KjsRequest;
}) => Promise<KjsEncoder>;

/** kafkajs's name for each API (FindCoordinator is GroupCoordinator there). */
const KJS_NAME: Record<ApiName, string> = {
  Produce: "Produce",
  Fetch: "Fetch",
  ListOffsets: "ListOffsets",
  Metadata: "Metadata",
  OffsetCommit: "OffsetCommit",
  OffsetFetch: "OffsetFetch",
  FindCoordinator: "GroupCoordinator",
  JoinGroup: "JoinGroup",
  Heartbeat: "Heartbeat",
  LeaveGroup: "LeaveGroup",
  SyncGroup: "SyncGroup",
  ApiVersions: "ApiVersions",
  InitProducerId: "InitProducerId",
  AddPartitionsToTxn: "AddPartitionsToTxn",
  AddOffsetsToTxn: "AddOffsetsToTxn",
  EndTxn: "EndTxn",
  TxnOffsetCommit: "TxnOffsetCommit",
};

export function kafkajsDefinition(api: ApiName): KjsDefinition {
  const d = kjsRequests.requests[KJS_NAME[api]];
  if (d === undefined) throw new Error(`kafkajs has no ${api}`);
  return d;
}

/** The versions kafkajs implements for an API. */
export function kafkajsVersions(api: ApiName): number[] {
  return kafkajsDefinition(api).versions.map(Number);
}

/** kafkajs's request/response pair for an API at a version, built by its own index.js from `args`. */
export function kafkajsProtocol(api: ApiName, version: number, args: object): KjsProtocol {
  return kafkajsDefinition(api).protocol({ version })(args);
}

/** The whole request frame kafkajs writes to the socket (int32 size, header v1, body). */
export async function kafkajsRequestFrame(
  api: ApiName,
  version: number,
  args: object,
  ids: { readonly correlationId: number; readonly clientId: string } = { correlationId: 7, clientId: "kafkajs-test" },
): Promise<Buffer> {
  const { request } = kafkajsProtocol(api, version, args);
  return (await kjsFrame({ ...ids, request })).buffer;
}

/** Decodes a response frame (int32 size, correlation id, body) the way kafkajs's Connection does, then its API's
 *  decoder; returns the correlation id and kafkajs's decoded object. */
export async function kafkajsDecodeResponse(api: ApiName, version: number, frame: Uint8Array, args: object = {}): Promise<{ correlationId: number; decoded: Record<string, unknown> }> {
  const buf = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  const size = buf.readInt32BE(0);
  if (size !== buf.length - 4) throw new Error(`frame size ${size} but ${buf.length - 4} bytes follow`);
  const correlationId = buf.readInt32BE(4);
  const { response } = kafkajsProtocol(api, version, args);
  const decoded = (await response.decode(buf.subarray(8))) as Record<string, unknown>;
  return { correlationId, decoded };
}

/** As kafkajs's response.parse: throws kafkajs's protocol error for an error code, else returns the data. */
export async function kafkajsParseResponse(api: ApiName, version: number, decoded: unknown, args: object = {}): Promise<unknown> {
  return kafkajsProtocol(api, version, args).response.parse(decoded);
}

/** The version kafkajs would use for each API given an ApiVersions answer (src/protocol/requests/index.js lookup). */
export function kafkajsNegotiatedVersion(api: ApiName, advertised: readonly { apiKey: number; minVersion: number; maxVersion: number }[]): number {
  const versions: Record<number, { minVersion: number; maxVersion: number }> = {};
  for (const a of advertised) versions[a.apiKey] = { minVersion: a.minVersion, maxVersion: a.maxVersion };
  let chosen = -1;
  const definition = kafkajsDefinition(api);
  const spy: KjsDefinition = {
    versions: definition.versions,
    protocol: ({ version }) => {
      chosen = version;
      return definition.protocol({ version });
    },
  };
  const API_KEYS = require("kafkajs/src/protocol/requests/apiKeys.js") as Record<string, number>;
  const key = API_KEYS[KJS_NAME[api]];
  if (key === undefined) throw new Error(`kafkajs has no key for ${api}`);
  kjsRequests.lookup(versions)(key, spy);
  return chosen;
}

interface KjsRecordBatchModule {
  RecordBatch(args: object): Promise<KjsEncoder>;
}

/** kafkajs's record batch encoder (src/protocol/recordBatch/v0) and its record encoder. */
export const kafkajsRecordBatch = require("kafkajs/src/protocol/recordBatch/v0/index.js") as KjsRecordBatchModule;
export const kafkajsRecord = require("kafkajs/src/protocol/recordBatch/record/v0/index.js") as (args: object) => KjsEncoder;

/** kafkajs's record batch decoder over a whole records field, as its Fetch v4+ decoder runs it (decodeMessages). */
export async function kafkajsDecodeRecords(records: Uint8Array): Promise<Record<string, unknown>[]> {
  const Encoder = require("kafkajs/src/protocol/encoder.js") as new () => { writeBytes(b: Buffer): unknown; buffer: Buffer };
  const Decoder = require("kafkajs/src/protocol/decoder.js") as new (b: Buffer) => unknown;
  const decodeMessages = require("kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js") as (d: unknown) => Promise<Record<string, unknown>[]>;
  const e = new Encoder();
  e.writeBytes(Buffer.from(records));
  return decodeMessages(new Decoder(e.buffer));
}

/** kafkajs's record batch decoder for one batch (returns the batch fields and its records). */
export async function kafkajsDecodeBatch(batch: Uint8Array): Promise<Record<string, unknown>> {
  const Decoder = require("kafkajs/src/protocol/decoder.js") as new (b: Buffer) => unknown;
  const decode = require("kafkajs/src/protocol/recordBatch/v0/decoder.js") as (d: unknown) => Promise<Record<string, unknown>>;
  return decode(new Decoder(Buffer.from(batch)));
}

export const kafkajsCrc32C = require("kafkajs/src/protocol/recordBatch/crc32C/index.js") as (b: Buffer) => number;

export const kafkajsErrorCodes = (require("kafkajs/src/protocol/error.js") as { errorCodes: { type: string; code: number }[] }).errorCodes;
