// What setTimeout / setInterval / setImmediate return in Node (a Timeout: ref, unref, hasRef, refresh, a number when
// coerced), for the two layers that run user code on the simulation's clock: the kafkajs API
// (sim/client/kafkajs/virtual-globals.ts) and the real kafkajs (sim/client/kafkajs-real/virtual-globals.ts). A
// virtual timer keeps no event loop alive, so ref/unref change nothing; each layer says what refresh does.
export class TimeoutHandle {
  constructor(readonly id: number) {}
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  hasRef(): boolean {
    return true;
  }
  /** Restart the timer from now (Timeout.refresh); the base does nothing. */
  refresh(): this {
    return this;
  }
  [Symbol.toPrimitive](): number {
    return this.id;
  }
}
