// A broker that restarts before its ZooKeeper session expires (KIP-380's bounced broker). Its new process cannot
// register while the old session still owns /brokers/ids/<id> (KafkaZkClient.registerBroker: NODEEXISTS, the
// start-up fails and is tried again); once the old session has expired it registers with a new broker epoch, and
// the controller handles it as failed, then started (KafkaController.processBrokerChange / onBrokerFailure /
// onBrokerStartup): its leaderships move or come back only with a higher leader epoch, never at the same one.
import { describe, it, expect } from "vitest";
import { runScenario } from "../../world.ts";
import { buildScenario } from "../../scenario/defaults.ts";
import type { TraceEvent } from "../../events.ts";
import type { Recorded } from "../../core/trace.ts";

function bounceTheController(seed: number, kind: "kill" | "power" = "kill") {
  const s = buildScenario({
    seed,
    protocol: "3.7", // the ZooKeeper-era controller (a broker) bounced
    durationMs: 4000,
    drainMs: 6000,
    broker: { "zookeeper.session.timeout.ms": 1500, "replica.lag.time.max.ms": 500, "min.insync.replicas": 2 },
    topics: [{ name: "orders", partitions: 3 }],
    producers: [{ id: "p1", topic: "orders", ratePerSec: 300, keys: 30, config: { acks: "all", "enable.idempotence": true, "request.timeout.ms": 1000, "delivery.timeout.ms": 8000 } }],
    faults: [
      { atMs: 1000, action: { kind, target: { controller: true } } },
      { atMs: 1100, action: { kind: "restart", target: { controller: true } } },
    ],
  });
  return runScenario(s, { record: true });
}

describe("a broker bounced within its session timeout (KIP-380)", () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`seed ${seed}: the controller, killed and restarted at once, registers with a new epoch after its old session; its leaderships come back only with a higher leader epoch; no duplicate`, () => {
      const r = bounceTheController(seed);
      const t: readonly Recorded<TraceEvent>[] = r.trace;
      const kill = r.faults[0];
      const bounced = Number(kill?.nodes[0]?.replace("broker-", ""));
      const at = kill?.timeUs ?? 0;
      const regs = t.filter((e): e is Recorded<Extract<TraceEvent, { type: "broker-registered" }>> => e.type === "broker-registered" && e.broker === bounced);
      expect(regs.length).toBeGreaterThanOrEqual(2);
      const after = regs.filter((e) => e.timeUs > at);
      expect(after[0]?.brokerEpoch).toBeGreaterThan(regs[0]?.brokerEpoch as number);
      // It registered only once its old session had expired.
      const expired = t.find((e) => e.type === "session-expired" && e.broker === bounced && e.timeUs > at);
      expect(expired).toBeDefined();
      expect(after[0]?.timeUs).toBeGreaterThan(expired?.timeUs as number);
      // What it led before the kill, at which epoch.
      const ledBefore = new Map<string, number>();
      for (const e of t) if (e.type === "become-leader" && e.broker === bounced && e.timeUs < at) ledBefore.set(e.tp, e.leaderEpoch);
      expect(ledBefore.size).toBeGreaterThan(0);
      for (const e of t) {
        if (e.type !== "become-leader" || e.broker !== bounced || e.timeUs < at) continue;
        const before = ledBefore.get(e.tp);
        if (before !== undefined) expect(e.leaderEpoch, `${e.tp} led again at ${e.timeUs}`).toBeGreaterThan(before);
      }
      // An idempotent producer writes each record once.
      for (const p of r.final.partitions) {
        if (p.topic !== "orders" || p.leader === null) continue;
        const log = p.replicas.find((x) => x.broker === p.leader)?.values ?? [];
        expect(new Set(log).size, `${p.topic}-${p.partition}`).toBe(log.length);
      }
      expect(r.sendsAcked).toBeGreaterThan(1000);
    });
  }

  it("power loss of the controller, restarted at once: the bounced broker, which lost its unflushed tail, does not lead again at the same epoch, so no acknowledged write is lost", () => {
    for (const seed of [1, 2, 3]) {
      const r = bounceTheController(seed, "power");
      const acked = r.history.filter((o) => o.f === "send" && o.type === "ok").map((o) => (o.f === "send" ? o.value.value : -1));
      const logs = new Set<number>();
      for (const p of r.final.partitions) {
        if (p.topic !== "orders" || p.leader === null) continue;
        for (const v of p.replicas.find((x) => x.broker === p.leader)?.values ?? []) logs.add(v);
      }
      expect(acked.length).toBeGreaterThan(1000);
      expect(acked.filter((v) => !logs.has(v)), `seed ${seed}`).toEqual([]);
    }
  });
});
