// Fetch sessions (KIP-227, fact 14a) in whole runs. The leader's quiet-linked entries
// (sim/broker/fetch-session/leader-sessions.ts) are an optimisation only: a fetch that leaves out the entries of
// partitions with nothing new must give the same run, event for event, as one that reads its whole session — checked
// on every library scenario and triaged fuzz file, with the links' invariant verified at every answer. And the oracle's
// convergence check takes a follower's HW lagging behind a session's dropped answer as converged.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseScenario } from "../sim/scenario/parse.ts";
import { runScenario } from "../sim/world.ts";
import { fetchSessionChecks } from "../sim/broker/fetch-session/leader-sessions.ts";
import { runAndJudge } from "./run.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const files = ["scenarios", "properties/examples/fuzz-triage"].flatMap((d) =>
  readdirSync(join(ROOT, d))
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => join(d, f)),
);

function traceHash(file: string, linkQuiet: boolean): string {
  fetchSessionChecks.linkQuiet = linkQuiet;
  fetchSessionChecks.verify = linkQuiet;
  return runScenario(parseScenario(readFileSync(join(ROOT, file), "utf8"), { file })).traceHash;
}

describe("quiet fetch-session entries left out of fetches change nothing", () => {
  afterEach(() => {
    fetchSessionChecks.linkQuiet = true;
    fetchSessionChecks.verify = false;
  });
  it.each(files)("%s", (file) => {
    expect(traceHash(file, true)).toBe(traceHash(file, false));
  });
});

describe("a follower's HW behind the leader's in a fetch session", () => {
  // fuzz-uncommitted-read-3146781093 (protocol 2.0): broker 3's answer carrying orders-0's last HW came while it was
  // truncating after a leader-and-isr, and was dropped; the leader's session had that HW as sent, so no later answer
  // names orders-0 (nothing new), and broker 3's HW stays one behind to the end — as in Kafka (KAFKA-9952).
  const f = "properties/examples/fuzz-triage/fuzz-uncommitted-read-3146781093.yaml";
  const run = (slots?: number): ReturnType<typeof runAndJudge> => {
    const text = readFileSync(join(ROOT, f), "utf8");
    return runAndJudge(parseScenario(slots === undefined ? text : text.replace("broker:\n", `broker:\n  max.incremental.fetch.session.cache.slots: ${slots}\n`), { file: f }));
  };
  const hwLeo = (r: ReturnType<typeof runAndJudge>["result"]): number[][] =>
    (r.final.partitions.find((p) => p.topic === "orders" && p.partition === 0)?.replicas ?? []).map((x) => [x.broker, x.highWatermark, x.logEndOffset]);

  it("is converged when it holds the leader's log and the leader's HW is at its end", () => {
    const { result, judgement } = run();
    expect(hwLeo(result)).toEqual([
      [2, 234, 234],
      [1, 234, 234],
      [3, 233, 234],
    ]);
    expect(judgement.liveness.violations).toEqual([]);
  });

  it("does not lag with full fetches (max.incremental.fetch.session.cache.slots=0)", () => {
    const { result, judgement } = run(0);
    expect(hwLeo(result)).toEqual([
      [2, 234, 234],
      [1, 234, 234],
      [3, 234, 234],
    ]);
    expect(judgement.liveness.violations).toEqual([]);
  });
});
