// The server side of the Kafka protocol in one place: a request frame (as FrameSplitter hands it out, without the
// size prefix) → its header and a typed request; a typed response → a size-prefixed response frame. Requests and
// responses are unions discriminated by apiKey, so a gateway switches on it exhaustively.
//
// A request that cannot be decoded (truncated, an unknown API, an unsupported version) is an error as data. Kafka
// closes the connection for each of these (RequestContext.parseRequest throws InvalidRequestException), with one
// exception this module helps with: an ApiVersions request of an unsupported version is answered with
// unsupportedApiVersionsResponse() at version 0 (apis/api-versions.ts). The header is returned whenever it could be
// read, so that answer can carry the correlation id.
import { API_KEY, SUPPORTED_VERSIONS, apiName } from "./api-keys.ts";
import { readApiVersionsRequest, writeApiVersionsResponse, type ApiVersionsRequest, type ApiVersionsResponse } from "./apis/api-versions.ts";
import { readFetchRequest, writeFetchResponse, type FetchRequest, type FetchResponse } from "./apis/fetch.ts";
import { readFindCoordinatorRequest, writeFindCoordinatorResponse, type FindCoordinatorRequest, type FindCoordinatorResponse } from "./apis/find-coordinator.ts";
import { readHeartbeatRequest, writeHeartbeatResponse, type HeartbeatRequest, type HeartbeatResponse } from "./apis/heartbeat.ts";
import { readInitProducerIdRequest, writeInitProducerIdResponse, type InitProducerIdRequest, type InitProducerIdResponse } from "./apis/init-producer-id.ts";
import { readJoinGroupRequest, writeJoinGroupResponse, type JoinGroupRequest, type JoinGroupResponse } from "./apis/join-group.ts";
import { readLeaveGroupRequest, writeLeaveGroupResponse, type LeaveGroupRequest, type LeaveGroupResponse } from "./apis/leave-group.ts";
import { readListOffsetsRequest, writeListOffsetsResponse, type ListOffsetsRequest, type ListOffsetsResponse } from "./apis/list-offsets.ts";
import { readMetadataRequest, writeMetadataResponse, type MetadataRequest, type MetadataResponse } from "./apis/metadata.ts";
import { readOffsetCommitRequest, writeOffsetCommitResponse, type OffsetCommitRequest, type OffsetCommitResponse } from "./apis/offset-commit.ts";
import { readOffsetFetchRequest, writeOffsetFetchResponse, type OffsetFetchRequest, type OffsetFetchResponse } from "./apis/offset-fetch.ts";
import { readProduceRequest, writeProduceResponse, type ProduceRequest, type ProduceResponse } from "./apis/produce.ts";
import { readSyncGroupRequest, writeSyncGroupResponse, type SyncGroupRequest, type SyncGroupResponse } from "./apis/sync-group.ts";
import { WireDecodeFailure, type WireDecodeError } from "./decode-error.ts";
import { readRequestHeader, writeResponseHeader, type RequestHeader } from "./header.ts";
import { Reader } from "./reader.ts";
import {
  readAddOffsetsToTxnRequest,
  readAddPartitionsToTxnRequest,
  readEndTxnRequest,
  readTxnOffsetCommitRequest,
  writeAddOffsetsToTxnResponse,
  writeAddPartitionsToTxnResponse,
  writeEndTxnResponse,
  writeTxnOffsetCommitResponse,
  type AddOffsetsToTxnRequest,
  type AddOffsetsToTxnResponse,
  type AddPartitionsToTxnRequest,
  type AddPartitionsToTxnResponse,
  type EndTxnRequest,
  type EndTxnResponse,
  type TxnOffsetCommitRequest,
  type TxnOffsetCommitResponse,
} from "./apis/txn.ts";
import { Writer } from "./writer.ts";

export type KafkaRequest =
  | ProduceRequest
  | FetchRequest
  | ListOffsetsRequest
  | MetadataRequest
  | OffsetCommitRequest
  | OffsetFetchRequest
  | FindCoordinatorRequest
  | JoinGroupRequest
  | HeartbeatRequest
  | LeaveGroupRequest
  | SyncGroupRequest
  | ApiVersionsRequest
  | InitProducerIdRequest
  | AddPartitionsToTxnRequest
  | AddOffsetsToTxnRequest
  | EndTxnRequest
  | TxnOffsetCommitRequest;

export type KafkaResponse =
  | ProduceResponse
  | FetchResponse
  | ListOffsetsResponse
  | MetadataResponse
  | OffsetCommitResponse
  | OffsetFetchResponse
  | FindCoordinatorResponse
  | JoinGroupResponse
  | HeartbeatResponse
  | LeaveGroupResponse
  | SyncGroupResponse
  | ApiVersionsResponse
  | InitProducerIdResponse
  | AddPartitionsToTxnResponse
  | AddOffsetsToTxnResponse
  | EndTxnResponse
  | TxnOffsetCommitResponse;

export type DecodedRequest =
  | { readonly ok: true; readonly header: RequestHeader; readonly request: KafkaRequest }
  | { readonly ok: false; readonly header: RequestHeader | null; readonly error: WireDecodeError };

/** Decodes one request frame. Never throws on bad bytes. Bytes after the request's last field are ignored, as in
 *  Kafka. Fields of type bytes in the result are views of `frame`. */
export function decodeRequest(frame: Uint8Array, r: Reader = new Reader()): DecodedRequest {
  r.reset(frame);
  let header: RequestHeader | null = null;
  try {
    header = readRequestHeader(r);
    const name = apiName(header.apiKey);
    if (name === undefined) r.fail("unsupported-api", `api key ${header.apiKey} is not implemented`, 0);
    const range = SUPPORTED_VERSIONS[name];
    if (header.apiVersion < range.min || header.apiVersion > range.max) {
      r.fail("unsupported-version", `${name} v${header.apiVersion} (supported: v${range.min}-${range.max})`, 2);
    }
    return { ok: true, header, request: readBody(r, header.apiKey, header.apiVersion) };
  } catch (e) {
    if (e instanceof WireDecodeFailure) return { ok: false, header, error: e.detail };
    throw e;
  }
}

function readBody(r: Reader, apiKey: number, version: number): KafkaRequest {
  switch (apiKey) {
    case API_KEY.Produce:
      return readProduceRequest(r, version);
    case API_KEY.Fetch:
      return readFetchRequest(r, version);
    case API_KEY.ListOffsets:
      return readListOffsetsRequest(r, version);
    case API_KEY.Metadata:
      return readMetadataRequest(r, version);
    case API_KEY.OffsetCommit:
      return readOffsetCommitRequest(r, version);
    case API_KEY.OffsetFetch:
      return readOffsetFetchRequest(r, version);
    case API_KEY.FindCoordinator:
      return readFindCoordinatorRequest(r, version);
    case API_KEY.JoinGroup:
      return readJoinGroupRequest(r, version);
    case API_KEY.Heartbeat:
      return readHeartbeatRequest(r, version);
    case API_KEY.LeaveGroup:
      return readLeaveGroupRequest(r, version);
    case API_KEY.SyncGroup:
      return readSyncGroupRequest(r, version);
    case API_KEY.ApiVersions:
      return readApiVersionsRequest(r, version);
    case API_KEY.InitProducerId:
      return readInitProducerIdRequest(r, version);
    case API_KEY.AddPartitionsToTxn:
      return readAddPartitionsToTxnRequest(r, version);
    case API_KEY.AddOffsetsToTxn:
      return readAddOffsetsToTxnRequest(r, version);
    case API_KEY.EndTxn:
      return readEndTxnRequest(r, version);
    case API_KEY.TxnOffsetCommit:
      return readTxnOffsetCommitRequest(r, version);
    default:
      return r.fail("unsupported-api", `api key ${apiKey} is not implemented`, 0);
  }
}

/** False for the one request Kafka never answers: a Produce with acks = 0 (the client expects no response;
 *  kafkajs's expectResponse; KafkaApis.handleProduceRequest sends a no-op, or closes the connection if any
 *  partition failed, so that the producer refreshes its metadata). */
export function expectsResponse(request: KafkaRequest): boolean {
  return !(request.apiKey === API_KEY.Produce && request.acks === 0);
}

/** Writes the response body (no header, no size) at the given version. */
export function writeResponseBody(w: Writer, version: number, res: KafkaResponse): void {
  switch (res.apiKey) {
    case API_KEY.Produce:
      return writeProduceResponse(w, version, res);
    case API_KEY.Fetch:
      return writeFetchResponse(w, version, res);
    case API_KEY.ListOffsets:
      return writeListOffsetsResponse(w, version, res);
    case API_KEY.Metadata:
      return writeMetadataResponse(w, version, res);
    case API_KEY.OffsetCommit:
      return writeOffsetCommitResponse(w, version, res);
    case API_KEY.OffsetFetch:
      return writeOffsetFetchResponse(w, version, res);
    case API_KEY.FindCoordinator:
      return writeFindCoordinatorResponse(w, version, res);
    case API_KEY.JoinGroup:
      return writeJoinGroupResponse(w, version, res);
    case API_KEY.Heartbeat:
      return writeHeartbeatResponse(w, version, res);
    case API_KEY.LeaveGroup:
      return writeLeaveGroupResponse(w, version, res);
    case API_KEY.SyncGroup:
      return writeSyncGroupResponse(w, version, res);
    case API_KEY.ApiVersions:
      return writeApiVersionsResponse(w, version, res);
    case API_KEY.InitProducerId:
      return writeInitProducerIdResponse(w, version, res);
    case API_KEY.AddPartitionsToTxn:
      return writeAddPartitionsToTxnResponse(w, version, res);
    case API_KEY.AddOffsetsToTxn:
      return writeAddOffsetsToTxnResponse(w, version, res);
    case API_KEY.EndTxn:
      return writeEndTxnResponse(w, version, res);
    case API_KEY.TxnOffsetCommit:
      return writeTxnOffsetCommitResponse(w, version, res);
    default: {
      const never: never = res;
      throw new Error(`no encoder for ${JSON.stringify(never)}`);
    }
  }
}

export interface ResponseTo {
  readonly correlationId: number;
  /** The request's version (0 for the answer to an unsupported ApiVersions request). */
  readonly apiVersion: number;
}

/** Appends a whole response frame (size, header v0, body) to w. */
export function writeResponseFrame(w: Writer, to: ResponseTo, res: KafkaResponse): void {
  const sizeAt = w.reserveInt32();
  writeResponseHeader(w, to.correlationId);
  writeResponseBody(w, to.apiVersion, res);
  w.patchInt32(sizeAt, w.pos - sizeAt - 4);
}

/** A response frame as a fresh Buffer (w is reset and reused as scratch space). */
export function encodeResponse(to: ResponseTo, res: KafkaResponse, w = new Writer()): Buffer {
  w.reset();
  writeResponseFrame(w, to, res);
  return w.toBytes();
}
