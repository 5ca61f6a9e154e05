// Timer tags of the broker control plane. One class so a broker's onTimer can route by `instanceof`; `owner`
// ties a tag to the object that set it (a resigned controller's timers are ignored).
export type ControlTimerKind =
  | "zk.ping"
  | "zk.connect"
  | "zk.retry"
  | "zk.read-timeout"
  | "zk.reconnect"
  | "isr.retry"
  | "isr.timeout"
  | "isr.propagate"
  | "register.retry"
  | "ctl.request-timeout"
  | "ctl.resend"
  | "ctl.new-partitions";

export class ControlTimer {
  constructor(
    readonly kind: ControlTimerKind,
    readonly owner: object,
    /** A correlation id or 0. */
    readonly n: number = 0,
    /** A tpKey or "". */
    readonly key: string = "",
  ) {}
}
