// poll-skip (Jepsen): a consumer, or the group across a rebalance, skipped offsets it should have polled.
import type { RunResult } from "../../sim/result.ts";
import type { Finding } from "../types.ts";
import { scanPollOrder } from "./poll-order.ts";

export function checkPollSkips(result: RunResult): Finding[] {
  return scanPollOrder(result).skips;
}
