// The RPCs brokers (and an admin) send the active controller, and its answers: BrokerRegistration,
// BrokerHeartbeat, AlterPartition (KIP-497, with broker epochs per ISR member: KIP-903) and CreateTopics.
// A controller that is not active answers NOT_CONTROLLER.
import type { KRaftErrorCode } from "../errors.ts";
import type { LeaderRecoveryState } from "./records.ts";

export interface BrokerRegistrationRequest {
  readonly type: "kraft-broker-registration";
  readonly corr: number;
  readonly brokerId: number;
  /** A fresh id per process start: a new one means a new incarnation (and a new broker epoch). */
  readonly incarnationId: string;
  /** The epoch in the broker's clean-shutdown file, -1 if it did not shut down cleanly (KAFKA-15586). */
  readonly previousBrokerEpoch: number;
}

export interface BrokerHeartbeatRequest {
  readonly type: "kraft-broker-heartbeat";
  readonly corr: number;
  readonly brokerId: number;
  readonly brokerEpoch: number;
  /** How far the broker's metadata log has been applied. */
  readonly currentMetadataOffset: number;
  readonly wantFence: boolean;
  readonly wantShutDown: boolean;
}

export interface AlterPartitionRequest {
  readonly type: "kraft-alter-partition";
  readonly corr: number;
  readonly brokerId: number;
  readonly brokerEpoch: number;
  readonly topic: string;
  readonly partition: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  /** The new ISR with each member's broker epoch as the leader knows it (-1: not checked). */
  readonly newIsrWithEpochs: readonly { readonly brokerId: number; readonly brokerEpoch: number }[];
  readonly leaderRecoveryState: LeaderRecoveryState;
}

export interface CreateTopicRequest {
  readonly type: "kraft-create-topic";
  readonly corr: number;
  readonly name: string;
  /** Replicas of each partition (manual assignment). */
  readonly assignments: readonly (readonly number[])[];
  readonly configs?: { readonly "min.insync.replicas"?: number; readonly "unclean.leader.election.enable"?: boolean };
}

export type ControllerRequest = BrokerRegistrationRequest | BrokerHeartbeatRequest | AlterPartitionRequest | CreateTopicRequest;

export interface BrokerRegistrationResponse {
  readonly type: "kraft-broker-registration-response";
  readonly corr: number;
  readonly error: KRaftErrorCode;
  readonly brokerEpoch: number;
}

export interface BrokerHeartbeatResponse {
  readonly type: "kraft-broker-heartbeat-response";
  readonly corr: number;
  readonly error: KRaftErrorCode;
  readonly isCaughtUp: boolean;
  readonly isFenced: boolean;
  readonly inControlledShutdown: boolean;
  readonly shouldShutDown: boolean;
}

export interface AlterPartitionResponse {
  readonly type: "kraft-alter-partition-response";
  readonly corr: number;
  readonly error: KRaftErrorCode;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly isr: readonly number[];
  readonly leaderRecoveryState: LeaderRecoveryState;
}

export interface CreateTopicResponse {
  readonly type: "kraft-create-topic-response";
  readonly corr: number;
  readonly error: KRaftErrorCode;
}

export type ControllerResponse = BrokerRegistrationResponse | BrokerHeartbeatResponse | AlterPartitionResponse | CreateTopicResponse;

/** The answer to `req` carrying only an error (NOT_CONTROLLER, STALE_BROKER_EPOCH, ...). */
export function errorResponse(req: ControllerRequest, error: KRaftErrorCode): ControllerResponse {
  switch (req.type) {
    case "kraft-broker-registration":
      return { type: "kraft-broker-registration-response", corr: req.corr, error, brokerEpoch: -1 };
    case "kraft-broker-heartbeat":
      return { type: "kraft-broker-heartbeat-response", corr: req.corr, error, isCaughtUp: false, isFenced: true, inControlledShutdown: false, shouldShutDown: false };
    case "kraft-alter-partition":
      return { type: "kraft-alter-partition-response", corr: req.corr, error, leader: -1, leaderEpoch: -1, partitionEpoch: -1, isr: [], leaderRecoveryState: "RECOVERED" };
    case "kraft-create-topic":
      return { type: "kraft-create-topic-response", corr: req.corr, error };
  }
}
