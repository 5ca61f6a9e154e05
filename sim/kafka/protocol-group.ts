// Consumer-group messages: FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit,
// OffsetFetch. Owned by the clients work. (Placeholder: the clients work defines the real union here.)

export interface GroupPlaceholder {
  readonly type: "group-placeholder";
}

export type GroupMessage = GroupPlaceholder;
