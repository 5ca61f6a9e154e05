// Steering a campaign toward the dangerous states it has not reached (issue #17 §6): each probe names the levers
// that tend to reach it — fault kinds to draw and configuration knobs to pin. A steered run is drawn from the fault
// kinds and knobs of one unreached probe (chosen by its seed), the --set keys still winning. Which probes are
// unreached is known only from earlier runs, so a steered campaign advances in blocks (cli/commands/fuzz.ts): the
// runs of block b aim at what blocks 0..b-1 never reached, whatever the number of workers.
import fc from "fast-check";
import { fuzzValueArb } from "./arbitraries.ts";
import type { EpisodeKind, FixedKnobs, FuzzValue } from "./arbitraries.ts";
import type { ProbeId } from "./coverage.ts";

/** Runs per steering block: block 0 is drawn as usual, block b aims at what blocks before it never reached. */
export const STEER_BLOCK = 100;

export interface Lever {
  readonly kinds: readonly EpisodeKind[];
  readonly knobs?: FixedKnobs;
}

const BROKER_CUTS: readonly EpisodeKind[] = ["kill", "isolate", "partition"];

const EXACTLY_ONCE: FixedKnobs = { commit: "after-processing", pipeline: "exactly-once", protocol: "3.7" };

/** What tends to reach each probe; null: nothing the fuzzer draws does (poll timeouts need processing slower than
 *  max.poll.interval.ms). The opt-in episode kinds and the transaction timeout are drawn only here. */
export const LEVERS: Readonly<Record<ProbeId, Lever | null>> = {
  "isr-below-min-isr": { kinds: BROKER_CUTS, knobs: { minIsr: 3 } },
  "isr-leader-only": { kinds: ["partition", "isolate", "slow-followers"], knobs: { minIsr: 1 } },
  "unclean-election": { kinds: BROKER_CUTS, knobs: { unclean: true } },
  "partition-offline": { kinds: ["kill", "power"], knobs: { unclean: false } },
  "leader-change": { kinds: ["kill"] },
  truncation: { kinds: ["isolate", "kill"], knobs: { acks: 1 } },
  "truncation-of-acked": { kinds: ["isolate", "partition"], knobs: { acks: 1 } },
  "fenced-zombie-leader": { kinds: ["isolate", "partition-oneway"] },
  "stale-request-rejected": { kinds: ["stall-controller", "expire-session"] },
  "not-enough-replicas": { kinds: ["kill", "isolate"], knobs: { acks: "all", minIsr: 3 } },
  "not-enough-replicas-after-append": { kinds: ["isolate", "partition", "slow"], knobs: { acks: "all", minIsr: 2 } },
  "power-loss-unflushed": { kinds: ["power"], knobs: { flushEveryMessage: false } },
  "controller-failover": { kinds: ["stall-controller", "expire-session", "kill"] },
  "session-expired": { kinds: ["expire-session", "pause"] },
  "producer-retry": { kinds: ["flaky", "partition", "slow"] },
  "producer-epoch-bump": { kinds: ["flaky", "partition"], knobs: { idempotence: true } },
  "rebalance-during-processing": { kinds: ["crash-consumer"], knobs: { commit: "after-processing", members: 2 } },
  "commit-failed": { kinds: ["crash-consumer", "partition"], knobs: { commit: "after-processing" } },
  "poll-timeout": null,
  "consumer-crash": { kinds: ["crash-consumer"], knobs: { commit: "after-processing" } },
  "kraft-broker-fenced": { kinds: ["isolate", "kill", "pause"], knobs: { protocol: "4.1" } },
  "kraft-quorum-election": { kinds: ["stall-controller", "expire-session"], knobs: { protocol: "4.1" } },
  "kraft-metadata-truncation": { kinds: ["stall-controller", "expire-session"], knobs: { protocol: "4.0" } },
  "metadata-lag": { kinds: ["metadata-lag"], knobs: { protocol: "4.1" } },
  "elr-nonempty": { kinds: ["partition", "isolate", "power"], knobs: { protocol: "4.1", minIsr: 2 } },
  "elr-election": { kinds: ["power", "isolate", "kill"], knobs: { protocol: "4.1", minIsr: 2 } },
  "recovering-leader": { kinds: ["kill", "power", "isolate"], knobs: { protocol: "4.1", unclean: true } },
  "txn-aborted": { kinds: ["crash-consumer", "kill"], knobs: EXACTLY_ONCE },
  "txn-timed-out": { kinds: ["pause-producer"], knobs: { transactional: true, txnTimeoutMs: 500 } },
  "producer-fenced": { kinds: ["crash-consumer"], knobs: EXACTLY_ONCE },
};

/** The probes of `unreached` that some lever can aim at, in probe order. */
export function aimable(unreached: readonly ProbeId[]): ProbeId[] {
  return unreached.filter((p) => LEVERS[p] !== null);
}

/** A drawn run aimed at one of `aim` (chosen by the draw), its lever's knobs yielding to the fixed ones. With
 *  nothing to aim at, the usual draw. */
export function steeredValueArb(fixed: FixedKnobs, aim: readonly ProbeId[]): fc.Arbitrary<FuzzValue> {
  const targets = aimable(aim);
  if (targets.length === 0) return fuzzValueArb({ swarm: true, fixed });
  return fc.constantFrom(...targets).chain((p) => {
    const lever = LEVERS[p] as Lever;
    return fuzzValueArb({ swarm: true, fixed: { ...lever.knobs, ...fixed }, kinds: lever.kinds });
  });
}
