// The network's vocabulary: the scheduler event kinds it uses, connection kinds and directions (a message's
// channel), TCP's retransmission timeouts, and the default link latency.
import type { LatencyDist } from "../core/rng.ts";

/** Scheduler event kinds used by the network. The world's dispatcher interprets them. */
export const EV_DELIVER = 1;
export const EV_DISCONNECT = 3;
/** A retransmission timer of a lossy link: owned by the world, `a` is the function to run. */
export const EV_RETRANSMIT = 5;

/** A message's direction on its connection: the sender is the client (a request). */
export const REQUEST = 0;
/** The sender is the server (an answer, a server's push). */
export const RESPONSE = 1;
export type Direction = typeof REQUEST | typeof RESPONSE;
/** Connection kinds per ordered pair of nodes (a channel number is kind * 2 + direction, below 8). */
export const MAX_CONNECTION_KINDS = 4;

/** The channel of a message of connection kind `kind` in direction `dir`. */
export function channel(kind: number, dir: Direction): number {
  return kind * 2 + dir;
}

// TCP retransmission (RFC 6298 §5.5: the RTO doubles on each expiry; Linux TCP_RTO_MIN 200 ms, TCP_RTO_MAX 120 s;
// tcp_retries2 = 15 retransmissions, then the connection is reset: 924.6 s after the first send, as ip-sysctl.rst says).
export const TCP_RTO_MIN_US = 200_000;
export const TCP_RTO_MAX_US = 120_000_000;
export const TCP_RETRIES2 = 15;

/** The retransmission timeout after the `lost`-th consecutive loss of a segment (1 = its first transmission). */
export function rtoUs(lost: number): number {
  return Math.min(TCP_RTO_MIN_US * 2 ** (lost - 1), TCP_RTO_MAX_US);
}

/** Plausible single-datacentre one-way latency: median 0.25 ms with a modest tail. */
export const DEFAULT_LATENCY: LatencyDist = { dist: "lognormal", medianMs: 0.25, sigma: 0.5 };
