// What the world gives every client.
import type { NodeId } from "../core/ids.ts";
import type { NodeContext } from "../core/node.ts";
import type { HistoryRecorder } from "../history.ts";
import type { BugSwitches } from "../scenario/types.ts";
import type { Message } from "../kafka/protocol.ts";
import type { TraceEvent } from "../events.ts";

export interface ClientEnv {
  /** Every client op is recorded here (sim/history.ts). */
  readonly history: HistoryRecorder;
  /** Broker node ids. */
  readonly bootstrap: readonly NodeId[];
  /** A unique value for each send (world-wide counter). */
  nextValue(): number;
  readonly bugs: BugSwitches;
  /** False once the drain phase began: stop new sends. */
  workloadActive(): boolean;
  /** Partitions of __consumer_offsets (FindCoordinator: partition = abs(javaHash(group.id)) % n). */
  readonly offsetsPartitions: number;
}

const BOOT_BLOB = "client/booted";

/** On every boot after the first (a fresh actor after a crash or stop), record the crash (info: the client
 *  does not know what it was doing) and the restart, both at the restart time. */
export function recordRestart(ctx: NodeContext<Message, TraceEvent>, env: ClientEnv, process: string): boolean {
  const again = ctx.disk.readBlob<boolean>(BOOT_BLOB) === true;
  if (again) {
    env.history.record({ timeUs: ctx.nowUs, process, type: "info", f: "crash", value: null });
    env.history.record({ timeUs: ctx.nowUs, process, type: "ok", f: "restart", value: null });
  } else {
    ctx.disk.writeBlob(BOOT_BLOB, true, { flush: true });
  }
  return again;
}
