// How a producer's workload spreads its records over time: evenly, one record per tick up to 1000 records/s; above
// that one tick per millisecond carries rate/1000 records (fractions carried over), so a fast producer costs one
// timer event per millisecond, not per record. Shared by the plain and the transactional producer.

/** What the pacer needs of a node's context: a timer. */
interface TimerCtx {
  setTimer(delayUs: number, tag: unknown): unknown;
}

export class WorkloadPacer {
  /** Fractions of a record carried over between the 1 ms ticks of a producer faster than 1000 records/s. */
  private carry = 0;

  /** Arm the next tick (`tag`) and say how many records this one carries. */
  tick(ctx: TimerCtx, ratePerSec: number, tag: unknown): number {
    if (ratePerSec > 1000) {
      this.carry += ratePerSec / 1000;
      const n = Math.floor(this.carry);
      this.carry -= n;
      ctx.setTimer(1000, tag);
      return n;
    }
    ctx.setTimer(Math.max(1, Math.round(1_000_000 / ratePerSec)), tag);
    return 1;
  }
}
