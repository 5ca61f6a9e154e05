// nonmonotonic-poll (Jepsen): a consumer, or the group across a rebalance, went back to an offset before its
// position or before the group's committed offset.
import type { RunResult } from "../../sim/result.ts";
import type { Finding } from "../types.ts";
import { scanPollOrder } from "./poll-order.ts";

export function checkNonmonotonicPolls(result: RunResult): Finding[] {
  return scanPollOrder(result).backs;
}
