// The ZooKeeper-like coordinator: the "zk" node, its store, and read-only views for the world and tests.
export { coordinatorFactory, expireSession, zkView, seedStore, CoordinatorActor, ZK_STORE_BLOB } from "./coordinator.ts";
export type { CoordinatorOptions, ZkView, PartitionStateView } from "./coordinator.ts";
export { ZkStore } from "./store.ts";
export type { ZNode, ZkSession, FiredWatch, WatchEvent, MultiOutcome } from "./store.ts";
export * from "./paths.ts";
