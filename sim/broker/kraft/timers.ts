// Timer tags of a KRaft broker's control plane (one class, so the broker routes its timers by instanceof).
export type KRaftTimerKind = "lifecycle.communicate" | "lifecycle.request-timeout" | "lifecycle.shutdown-deadline" | "alter.retry" | "alter.timeout" | "metadata.release" | "metadata.lag-end";

export class KRaftTimer {
  constructor(
    readonly kind: KRaftTimerKind,
    readonly owner: object,
    /** A correlation id or 0. */
    readonly n: number = 0,
    /** A tpKey or "". */
    readonly key: string = "",
  ) {}
}
