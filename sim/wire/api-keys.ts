// The APIs this codec implements, their keys (clients/.../common/protocol/ApiKeys.java) and the versions it supports:
// every version kafkajs 2.2.x implements (src/protocol/requests/<api>/index.js), except Produce v0-2 and Fetch v0-3,
// which carry the legacy message sets (magic 0/1) instead of record batches v2. None of these versions is flexible
// (tagged fields start at ApiVersions 3, Metadata 9, Produce 9, Fetch 12, ListOffsets 6, FindCoordinator 3,
// JoinGroup 6, SyncGroup 4, Heartbeat 4, LeaveGroup 4, OffsetCommit 8, OffsetFetch 6, InitProducerId 2, AddPartitionsToTxn 3,
// AddOffsetsToTxn 3, EndTxn 3, TxnOffsetCommit 3: the
// "flexibleVersions" of clients/src/main/resources/common/message/*.json), so every request has header v1 and every
// response header v0. kafkajs picks min(its highest version, the broker's max) per API, so advertising these ranges
// makes it use the highest version of each (see README.md here).

export const API_KEY = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  ApiVersions: 18,
  InitProducerId: 22,
  AddPartitionsToTxn: 24,
  AddOffsetsToTxn: 25,
  EndTxn: 26,
  TxnOffsetCommit: 28,
} as const;

export type ApiName = keyof typeof API_KEY;
export type ApiKey = (typeof API_KEY)[ApiName];

export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

export const SUPPORTED_VERSIONS: { readonly [K in ApiName]: VersionRange } = {
  Produce: { min: 3, max: 7 },
  Fetch: { min: 4, max: 11 },
  ListOffsets: { min: 0, max: 3 },
  Metadata: { min: 0, max: 6 },
  OffsetCommit: { min: 0, max: 5 },
  OffsetFetch: { min: 1, max: 4 },
  FindCoordinator: { min: 0, max: 2 },
  JoinGroup: { min: 0, max: 5 },
  Heartbeat: { min: 0, max: 3 },
  LeaveGroup: { min: 0, max: 3 },
  SyncGroup: { min: 0, max: 3 },
  ApiVersions: { min: 0, max: 2 },
  InitProducerId: { min: 0, max: 1 },
  AddPartitionsToTxn: { min: 0, max: 1 },
  AddOffsetsToTxn: { min: 0, max: 1 },
  EndTxn: { min: 0, max: 1 },
  TxnOffsetCommit: { min: 0, max: 1 },
};

const NAMES = new Map<number, ApiName>((Object.keys(API_KEY) as ApiName[]).map((name) => [API_KEY[name], name]));

/** The name of an implemented API key, or undefined. */
export function apiName(apiKey: number): ApiName | undefined {
  return NAMES.get(apiKey);
}
