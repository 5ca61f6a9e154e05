// The serve benchmark (`kafkasim bench`, section "serve"; issue #16 §3): `kafkasim serve` in this process, kcat
// (librdkafka) producing records with acks=all over real TCP as fast as it can, against a target of 5,000
// produced records/s. The rate is records over kcat's whole run (start-up, metadata and the last acknowledgement
// included), and every record must come back acknowledged in the serve's history. Null, with the reason, when kcat
// is not installed (Debian: apt-get install kcat). Wall clock is allowed here (bench/).
import { spawn, spawnSync } from "node:child_process";
import { buildScenario } from "../sim/scenario/defaults.ts";
import { startServe } from "../cli/serve/server.ts";

export const SERVE_TARGET_RECORDS_PER_SEC = 5000;

export interface ServeBenchResult {
  /** kcat's version line, or null when it is missing. */
  readonly kcat: string | null;
  readonly records: number;
  readonly bytesPerRecord: number;
  /** kcat's wall time, ms. */
  readonly wallMs: number | null;
  readonly recordsPerSec: number | null;
  /** recordsPerSec / 5000 (≥ 1 meets the target). */
  readonly ratio: number | null;
  /** Records the serve's history shows acknowledged (must equal records). */
  readonly acked: number | null;
  readonly reason?: string;
}

function kcatVersion(): string | null {
  const r = spawnSync("kcat", ["-V"], { encoding: "utf8" });
  if (r.status !== 0) return null;
  const m = /Version (\S+).*librdkafka (\S+)/.exec(r.stdout);
  return m === null ? "kcat" : `kcat ${m[1] as string}, librdkafka ${m[2] as string}`;
}

export async function runServeBench(opts: { readonly quick?: boolean } = {}): Promise<ServeBenchResult> {
  const records = opts.quick ? 20_000 : 200_000;
  const bytesPerRecord = 100;
  const kcat = kcatVersion();
  if (kcat === null) return { kcat, records, bytesPerRecord, wallMs: null, recordsPerSec: null, ratio: null, acked: null, reason: "kcat is not installed (Debian: apt-get install kcat)" };
  const s = buildScenario({ name: "serve-bench", seed: 1, drainMs: 5000, broker: { "offsets.topic.num.partitions": 1 }, topics: [{ name: "bench", partitions: 3 }] });
  const h = await startServe(s, { port: 0 });
  const input = Array.from({ length: records }, (_, i) => `record-${String(i).padStart(10, "0")}-${"x".repeat(bytesPerRecord - 19)}`).join("\n") + "\n";
  const t0 = performance.now();
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn("kcat", ["-P", "-q", "-b", h.bootstrap, "-t", "bench", "-X", "acks=all"], { stdio: ["pipe", "ignore", "ignore"] });
    child.on("error", reject);
    child.on("close", (c) => resolve(c ?? -1));
    // kcat may exit before reading everything (it failed): its exit code says so, not an EPIPE that kills the bench.
    child.stdin.on("error", () => undefined);
    child.stdin.end(input);
  });
  const wallMs = performance.now() - t0;
  const result = await h.stop();
  const acked = result.sendsAcked;
  const recordsPerSec = code === 0 ? Math.round((records / wallMs) * 1000) : null;
  return {
    kcat,
    records,
    bytesPerRecord,
    wallMs: Math.round(wallMs),
    recordsPerSec,
    ratio: recordsPerSec === null ? null : Math.round((recordsPerSec / SERVE_TARGET_RECORDS_PER_SEC) * 100) / 100,
    acked,
    ...(code !== 0 ? { reason: `kcat exited with ${code}` } : {}),
  };
}

export function describeServe(r: ServeBenchResult): string[] {
  if (r.recordsPerSec === null) return [`serve: not measured: ${r.reason ?? "?"}`];
  const ok = r.ratio !== null && r.ratio >= 1;
  return [
    `${r.kcat ?? "kcat"} producing ${r.records} records of ${r.bytesPerRecord} B with acks=all to kafkasim serve (3 brokers, RF 3): ${r.recordsPerSec} records/s over kcat's ${r.wallMs} ms, ratio ${r.ratio} ${ok ? `(target ≥ ${SERVE_TARGET_RECORDS_PER_SEC}/s met)` : `(BELOW target ${SERVE_TARGET_RECORDS_PER_SEC}/s)`}; ${r.acked} acknowledged in the serve's history`,
  ];
}
