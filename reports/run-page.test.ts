// The run report's first screen and its lanes, item by item of issue 15: groups with counts, the first few open,
// internal partitions left out of explanations unless the anomaly is about one, brokers named one way, "heal all"
// on the lanes whose cut it ends.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { richRun } from "./fixtures.ts";
import { explanationLines, tidyText } from "./anomaly-groups.ts";
import { OPEN_GROUPS, runHtml } from "./run-page.ts";
import { laneEvents } from "./run-events.ts";
import { leaderAt } from "./resolve.ts";
import { runScenario } from "../sim/world.ts";
import { parseScenario } from "../sim/scenario/parse.ts";

describe("anomaly groups on the first screen", () => {
  it("one group per type and rule with its count; the first OPEN_GROUPS are open, the rest closed", async () => {
    const types = ["lost-write", "duplicate", "nonmonotonic-send", "poll-skip", "processed-twice"];
    const anomalies = types.flatMap((type, k) => Array.from({ length: k + 1 }, (_, i) => ({ type, partition: "orders-0", offset: 10 * k + i, value: 10 * k + i, explanation: `${type} ${i}`, allowed: false })));
    const html = await runHtml(richRun(), { verdict: "bug", anomalies });
    const heads = [...html.matchAll(/<details class="group bug" id="g-([^"]+)"( open)?><summary><b>([^<]+)<\/b>/g)].map((m) => [m[1], m[2] === " open", m[3]]);
    expect(heads).toEqual(types.map((type, k) => [`${type}/bug`, k < OPEN_GROUPS, `${type} × ${k + 1}`]));
    expect(html).toContain(`${anomalies.length} anomalies in ${types.length} groups`);
  });
});

describe("explanations", () => {
  const text = "broker-1 became leader at epoch 2 (orders-0 LEO 401, __consumer_offsets-0 LEO 0, __consumer_offsets-1 LEO 0)";
  it("leave internal partitions out, say how many, and name brokers one way", () => {
    expect(tidyText(text, false)).toBe("broker 1 became leader at epoch 2 (orders-0 LEO 401, 2 internal partitions left out)");
    expect(tidyText(text, true)).toBe("broker 1 became leader at epoch 2 (orders-0 LEO 401, __consumer_offsets-0 LEO 0, __consumer_offsets-1 LEO 0)");
  });
  it("keep them when the anomaly is about an internal partition", () => {
    const base = { type: "lost-write", offset: 3, value: null, explanation: text, allowed: true };
    expect(explanationLines({ ...base, partition: "orders-0" }).join("\n")).not.toContain("__consumer_offsets");
    expect(explanationLines({ ...base, partition: "__consumer_offsets-1" }).join("\n")).toContain("__consumer_offsets-1 LEO 0");
  });
});

describe("faults on the lanes they affect", () => {
  it("'heal all' is drawn where a cut ends (the leader and the producer it was cut from), nowhere else", () => {
    const file = resolve("scenarios", "retries-duplicates.yaml");
    const r = runScenario(parseScenario(readFileSync(file, "utf8"), { file }), { record: true });
    // partition-oneway from the leader of orders-0 to p1 at 1.5 s, heal all at 2.5 s
    const leader = `broker-${leaderAt(r, "orders-0", 1500)}`;
    const events = laneEvents(r);
    expect(events.filter((e) => e.kind === "fault").map((e) => [e.tMs, e.lane])).toEqual([
      [1500, leader],
      [1500, "p1"],
    ]);
    expect(events.filter((e) => e.kind === "heal").map((e) => [e.tMs, e.lane, e.label])).toEqual([
      [2500, leader, "heal all"],
      [2500, "p1", "heal all"],
    ]);
  });
});
