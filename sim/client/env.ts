// What the world gives every client.
import type { NodeId } from "../core/ids.ts";
import type { NodeContext } from "../core/node.ts";
import type { Runtime } from "../core/runtime.ts";
import type { HistoryRecorder } from "../history.ts";
import type { BugSwitches } from "../scenario/types.ts";
import type { Message } from "../kafka/protocol.ts";
import type { TraceEvent } from "../events.ts";
import type { ProtocolVersion } from "../kafka/config.ts";
import type { AsyncHost } from "./kafkajs/host.ts";

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
  /** Until when (µs) a group's downstream is failing (the `downstream-down` fault); -1 when it is not. */
  readonly downstreamDownUntilUs?: (group: string) => number;
  /** The scenario's protocol profile (the producer's partitioner depends on it); default 3.7. */
  readonly protocol?: ProtocolVersion;
  /** The async bridge, when the run is driven by runScenarioAsync (sim/client/kafkajs/driver.ts): user code may
   *  then return Promises. Set by the driver when the world is assembled. */
  async?: AsyncHost;
}

const BOOT_BLOB = "client/booted";

/** On every boot after the first (a fresh actor after a crash or stop), record the restart. The crash itself is
 *  recorded when it happens by recordClientCrashes (a client cannot see its own death). */
export function recordRestart(ctx: NodeContext<Message, TraceEvent>, env: ClientEnv, process: string): boolean {
  const again = ctx.disk.readBlob<boolean>(BOOT_BLOB) === true;
  if (again) {
    env.history.record({ timeUs: ctx.nowUs, process, type: "ok", f: "restart", value: null });
  } else {
    ctx.disk.writeBlob(BOOT_BLOB, true, { flush: true });
  }
  return again;
}

/** Record a `crash` op (type info: whatever the client was doing has an unknown outcome) at the moment a client's
 *  process dies, is powered off or stopped. The world and the client testkit call this once. */
export function recordClientCrashes(rt: Runtime<Message, TraceEvent>, history: HistoryRecorder, clients: ReadonlySet<string>): void {
  rt.trace.onEmit((timeUs, ev) => {
    if ((ev.type === "node-kill" || ev.type === "node-power-loss" || ev.type === "node-stop") && clients.has(ev.node)) {
      history.record({ timeUs, process: ev.node, type: "info", f: "crash", value: null });
    }
  });
}
