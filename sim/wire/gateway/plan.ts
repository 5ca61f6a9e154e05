// A decoded request, as the simulated broker is asked it: the typed messages to send (sim/kafka/protocol*.ts), and
// how their answers become the API's response. One file per family of APIs (plans-data.ts, plans-group.ts); this
// one holds the shapes and the exhaustive switch.
import type { Message } from "../../kafka/protocol.ts";
import type { TraceEvent } from "../../events.ts";
import type { KafkaErrorCode } from "../../kafka/errors.ts";
import { API_KEY } from "../api-keys.ts";
import type { KafkaRequest, KafkaResponse } from "../codec.ts";
import type { WireErrorName } from "../error-codes.ts";
import type { ObservedClients } from "./clients.ts";
import type { RecordStore } from "./records.ts";
import type { GatewayTxns } from "./txns.ts";
import { planApiVersions, planFetch, planInitProducerId, planListOffsets, planMetadata, planProduce } from "./plans-data.ts";
import { planAddOffsetsToTxn, planAddPartitionsToTxn, planEndTxn, planTxnOffsetCommit } from "./plans-txn.ts";
import { planFindCoordinator, planHeartbeat, planJoinGroup, planLeaveGroup, planOffsetCommit, planOffsetFetch, planSyncGroup } from "./plans-group.ts";

/** What every connection shares: the record side table, the observed clients, numbering, addresses. */
export interface GatewayShared {
  readonly records: RecordStore;
  readonly clients: ObservedClients;
  /** The transactional producers seen (txns.ts). */
  readonly txns: GatewayTxns;
  /** A correlation number for a simulated message, unique across all connections (so a late answer to a
   *  connection that was closed, and whose node now carries another, matches nothing). */
  corr(): number;
  /** A value number unique in the run (the world's, shared with the modelled producers). */
  nextValue(): number;
  /** Where a broker listens, as Metadata and FindCoordinator advertise it. */
  address(broker: number): { readonly host: string; readonly port: number };
  readonly clusterId: string;
}

/** One request's context. */
export interface RequestContext {
  readonly shared: GatewayShared;
  /** The request header's client.id ("" when null). */
  readonly client: string;
  /** The broker this connection goes to. */
  readonly broker: number;
  readonly nowUs: number;
  /** Produce requests of this connection still waiting for their answer, this one included. */
  readonly producesInFlight: number;
  /** A trace event from this connection's node (evidence the oracle reads: retries). */
  emit(ev: TraceEvent): void;
}

export interface Plan {
  /** Simulated requests to send to the connection's broker, each with its own corr. */
  readonly messages: readonly Message[];
  /** False when the broker sends no answer (Produce with acks=0). */
  readonly awaitAnswers: boolean;
  /** The response from the answers (in the order of `messages`); null for a request Kafka does not answer. */
  respond(answers: readonly Message[]): KafkaResponse | null;
  /** The response reached the client (at `timeUs`): the history's ok ops. */
  released?(timeUs: number): void;
}

/** A plan answered by the gateway alone (nothing the broker has to say: an unsupported variant). */
export function localPlan(response: KafkaResponse): Plan {
  return { messages: [], awaitAnswers: false, respond: () => response };
}

/** The simulator's error names are Kafka's (sim/wire/error-codes.test.ts); its two client-side outcomes never come
 *  from a broker. */
export function wireError(e: KafkaErrorCode): WireErrorName {
  return e === "DELIVERY_TIMEOUT" || e === "METADATA_TIMEOUT" ? "REQUEST_TIMED_OUT" : e;
}

/** The answer of a type among the answers (the broker answers each request with its own type). */
export function answerOf<T extends Message["type"]>(answers: readonly Message[], type: T, i = 0): Extract<Message, { type: T }> | undefined {
  const a = answers[i];
  return a !== undefined && a.type === type ? (a as Extract<Message, { type: T }>) : undefined;
}

export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

export function fromBase64(s: string): Buffer {
  return Buffer.from(s, "base64");
}

export function planRequest(req: KafkaRequest, rc: RequestContext): Plan {
  switch (req.apiKey) {
    case API_KEY.Produce:
      return planProduce(req, rc);
    case API_KEY.Fetch:
      return planFetch(req, rc);
    case API_KEY.ListOffsets:
      return planListOffsets(req, rc);
    case API_KEY.Metadata:
      return planMetadata(req, rc);
    case API_KEY.OffsetCommit:
      return planOffsetCommit(req, rc);
    case API_KEY.OffsetFetch:
      return planOffsetFetch(req, rc);
    case API_KEY.FindCoordinator:
      return planFindCoordinator(req, rc);
    case API_KEY.JoinGroup:
      return planJoinGroup(req, rc);
    case API_KEY.Heartbeat:
      return planHeartbeat(req, rc);
    case API_KEY.LeaveGroup:
      return planLeaveGroup(req, rc);
    case API_KEY.SyncGroup:
      return planSyncGroup(req, rc);
    case API_KEY.ApiVersions:
      return planApiVersions(rc);
    case API_KEY.InitProducerId:
      return planInitProducerId(req, rc);
    case API_KEY.AddPartitionsToTxn:
      return planAddPartitionsToTxn(req, rc);
    case API_KEY.AddOffsetsToTxn:
      return planAddOffsetsToTxn(req, rc);
    case API_KEY.EndTxn:
      return planEndTxn(req, rc);
    case API_KEY.TxnOffsetCommit:
      return planTxnOffsetCommit(req, rc);
    default: {
      const never: never = req;
      throw new Error(`no plan for ${JSON.stringify(never)}`);
    }
  }
}
