// The physical limit for this design in JavaScript: a minimal binary min-heap of {time, seq} entries with
// pop/push and nothing else (no dispatch, no cancellation, no hash). Each popped event pushes the next one
// at now + a delay from the same precomputed table the kernel benchmark uses.

interface BareEntry {
  time: number;
  seq: number;
}

export class BareHeap {
  private heap: BareEntry[] = [];
  size = 0;

  push(e: BareEntry): void {
    const heap = this.heap;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = heap[p] as BareEntry;
      if (e.time > pe.time || (e.time === pe.time && e.seq > pe.seq)) break;
      heap[i] = pe;
      i = p;
    }
    heap[i] = e;
  }

  pop(): BareEntry {
    const heap = this.heap;
    const top = heap[0] as BareEntry;
    const last = heap[--this.size] as BareEntry;
    const n = this.size;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        let c = l;
        let ce = heap[l] as BareEntry;
        const r = l + 1;
        if (r < n) {
          const re = heap[r] as BareEntry;
          if (re.time < ce.time || (re.time === ce.time && re.seq < ce.seq)) {
            c = r;
            ce = re;
          }
        }
        if (ce.time > last.time || (ce.time === last.time && ce.seq > last.seq)) break;
        heap[i] = ce;
        i = c;
      }
      heap[i] = last;
    }
    return top;
  }
}

/** Run `events` events with `pending` events in the queue; returns events per second. The popped entry is
 *  reused for the next event (no allocation), which is what a pooled kernel can at best do too. */
export function bareLoopEventsPerSec(pending: number, events: number, delays: Float64Array, now: () => number): number {
  const mask = delays.length - 1;
  const h = new BareHeap();
  let seq = 0;
  let d = 0;
  for (let i = 0; i < pending; i++) h.push({ time: delays[d++ & mask] as number, seq: seq++ });
  const t0 = now();
  let t = 0;
  for (let i = 0; i < events; i++) {
    const e = h.pop();
    t = e.time;
    e.time = t + (delays[d++ & mask] as number);
    e.seq = seq++;
    h.push(e);
  }
  const elapsedMs = now() - t0;
  if (t < 0) throw new Error("unreachable: keeps the loop observable");
  return (events / elapsedMs) * 1000;
}
