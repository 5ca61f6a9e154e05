// The active controller's view of broker liveness (BrokerHeartbeatManager, BrokerHeartbeatTracker): when each
// broker last heartbeated (volatile: rebuilt with every broker touched "now" when a controller becomes active),
// how far its metadata has got, and the state machine FENCED → UNFENCED → CONTROLLED_SHUTDOWN → SHUTDOWN_NOW.

export type BrokerControlState = "FENCED" | "UNFENCED" | "CONTROLLED_SHUTDOWN" | "SHUTDOWN_NOW";

export interface HeartbeatRequestState {
  readonly wantFence: boolean;
  readonly wantShutDown: boolean;
  readonly currentMetadataOffset: number;
}

class BrokerHeartbeatState {
  controlledShutdownOffset = -1;
  constructor(
    readonly id: number,
    public fenced: boolean,
    public metadataOffset: number,
  ) {}
  get shuttingDown(): boolean {
    return this.controlledShutdownOffset >= 0;
  }
}

export class BrokerHeartbeatManager {
  private readonly brokers = new Map<number, BrokerHeartbeatState>();
  /** Last contact per (broker, epoch), in insertion order (the tracker's map). */
  private readonly contact = new Map<string, { readonly id: number; readonly epoch: number; timeUs: number }>();

  constructor(private readonly sessionTimeoutUs: number) {}

  updateContactTime(id: number, epoch: number, nowUs: number): void {
    const k = `${id}/${epoch}`;
    const c = this.contact.get(k);
    if (c === undefined) this.contact.set(k, { id, epoch, timeUs: nowUs });
    else c.timeUs = nowUs;
  }

  private isExpired(timeUs: number, nowUs: number): boolean {
    return nowUs > timeUs && timeUs + this.sessionTimeoutUs < nowUs;
  }

  hasValidSession(id: number, epoch: number, nowUs: number): boolean {
    const c = this.contact.get(`${id}/${epoch}`);
    return c !== undefined && !this.isExpired(c.timeUs, nowUs);
  }

  /** The first broker whose session expired, forgotten by the tracker (maybeRemoveExpired). */
  maybeRemoveExpired(nowUs: number): { id: number; epoch: number } | null {
    for (const [k, c] of this.contact) {
      if (this.isExpired(c.timeUs, nowUs)) {
        this.contact.delete(k);
        return { id: c.id, epoch: c.epoch };
      }
    }
    return null;
  }

  /** Register (or re-register) a broker with its fencing state. */
  register(id: number, fenced: boolean): void {
    let b = this.brokers.get(id);
    let offset = -1;
    if (b === undefined) {
      b = new BrokerHeartbeatState(id, fenced, -1);
      this.brokers.set(id, b);
    } else if (b.fenced !== fenced) offset = b.metadataOffset;
    this.touch(id, fenced, offset);
  }

  remove(id: number): void {
    this.brokers.delete(id);
    for (const [k, c] of this.contact) if (c.id === id) this.contact.delete(k);
  }

  touch(id: number, fenced: boolean, metadataOffset: number): void {
    const b = this.brokers.get(id);
    if (b === undefined) return;
    b.fenced = fenced;
    b.metadataOffset = metadataOffset;
    // A fenced broker leaves controlled shutdown: its next heartbeat shuts it down at once.
    if (fenced) b.controlledShutdownOffset = -1;
  }

  fence(id: number): void {
    const b = this.brokers.get(id);
    if (b !== undefined) {
      b.fenced = true;
      b.controlledShutdownOffset = -1;
    }
  }

  maybeUpdateControlledShutdownOffset(id: number, offset: number): void {
    const b = this.brokers.get(id);
    if (b !== undefined && !b.fenced && b.controlledShutdownOffset < 0) b.controlledShutdownOffset = offset;
  }

  /** The lowest metadata offset of the unfenced brokers not shutting down (Long.MAX_VALUE: none). */
  lowestActiveOffset(): number {
    let low = Infinity;
    for (const b of this.brokers.values()) if (!b.fenced && !b.shuttingDown && b.metadataOffset < low) low = b.metadataOffset;
    return low;
  }

  currentState(id: number): BrokerControlState {
    const b = this.brokers.get(id);
    if (b === undefined) return "FENCED";
    return b.shuttingDown ? "CONTROLLED_SHUTDOWN" : b.fenced ? "FENCED" : "UNFENCED";
  }

  /** BrokerHeartbeatManager.calculateNextBrokerState. A fenced broker is unfenced only once its metadata has
   *  reached its own registration record; one with leaderships goes through controlled shutdown. */
  calculateNextBrokerState(id: number, req: HeartbeatRequestState, registerRecordOffset: number, hasLeaderships: () => boolean): { current: BrokerControlState; next: BrokerControlState } {
    const current = this.currentState(id);
    const to = (next: BrokerControlState): { current: BrokerControlState; next: BrokerControlState } => ({ current, next });
    switch (current) {
      case "FENCED":
        if (req.wantShutDown) return to("SHUTDOWN_NOW");
        if (!req.wantFence && req.currentMetadataOffset >= registerRecordOffset) return to("UNFENCED");
        return to("FENCED");
      case "UNFENCED":
        if (req.wantFence) return to(req.wantShutDown ? "SHUTDOWN_NOW" : "FENCED");
        if (req.wantShutDown) return to(hasLeaderships() ? "CONTROLLED_SHUTDOWN" : "SHUTDOWN_NOW");
        return to("UNFENCED");
      case "CONTROLLED_SHUTDOWN": {
        if (hasLeaderships()) return to("CONTROLLED_SHUTDOWN");
        const b = this.brokers.get(id) as BrokerHeartbeatState;
        // Granted once every active broker has seen the records that moved its leaderships away.
        return to(b.controlledShutdownOffset <= this.lowestActiveOffset() ? "SHUTDOWN_NOW" : "CONTROLLED_SHUTDOWN");
      }
      case "SHUTDOWN_NOW":
        return to("SHUTDOWN_NOW");
    }
  }
}
