// The broker's control plane: coordinator session, registration, controller election and the controller.
export { ControlPlane, ALTER_PARTITION_RETRY_MS } from "./control-plane.ts";
export type { ControlPlaneHooks, IsrChangeRequest, IsrChangeResult } from "./control-plane.ts";
export { Controller, CONTROLLER_SOCKET_TIMEOUT_MS, NEW_PARTITION_GRACE_MS } from "./controller.ts";
export type { PartitionState } from "./partition-states.ts";
export { ZkClient } from "./zk-client.ts";
export type { ZkResult, ZkCallback, ZkClientListener } from "./zk-client.ts";
export { ControlTimer } from "./timers.ts";
export { offlinePartitionLeaderElection, removeDeadFromIsr, initialLeaderAndIsr } from "./election.ts";
export type { Election, ElectionRules, LeaderAndIsr } from "./election.ts";
