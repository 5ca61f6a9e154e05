// Same seed → same KRaft run, event for event: a whole 4.1 cluster (controller quorum, ELR, brokers as metadata
// observers, a producer and a consumer group) under a controller kill, power loss and a partition, in this
// process twice, in a worker thread and in a new process.
import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { Worker } from "node:worker_threads";
import { kraftFingerprint } from "./determinism-run.ts";
import type { KRaftFingerprint } from "./determinism-run.ts";

const RUN_URL = new URL("./determinism-run.ts", import.meta.url).href;

/** In a fresh worker thread that registers tsx itself (as sim/core/determinism.test.ts does). */
function inWorker(seed: number): Promise<KRaftFingerprint> {
  const code = `
    const { parentPort, workerData } = require("node:worker_threads");
    import("tsx/esm/api")
      .then((tsx) => { tsx.register(); return import(workerData.moduleUrl); })
      .then((m) => parentPort.postMessage({ ok: m.kraftFingerprint(workerData.seed) }), (e) => parentPort.postMessage({ error: String((e && e.stack) || e) }));`;
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { moduleUrl: RUN_URL, seed } });
    w.once("message", (m: { ok?: KRaftFingerprint; error?: string }) => {
      void w.terminate();
      if (m.ok) resolve(m.ok);
      else reject(new Error(m.error));
    });
    w.once("error", reject);
  });
}

/** In a new Node.js process (through tsx), the fingerprint printed as JSON. */
function inProcess(seed: number): Promise<KRaftFingerprint> {
  const code = `import(${JSON.stringify(RUN_URL)}).then((m) => process.stdout.write(JSON.stringify(m.kraftFingerprint(${seed}))))`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as KRaftFingerprint);
    });
  });
}

describe("KRaft determinism (a whole 4.1 cluster)", () => {
  it("same seed → same trace hash, history and final logs: twice here, in a worker thread and in a new process; another seed differs", async () => {
    const local = kraftFingerprint(11);
    expect(local.events).toBeGreaterThan(10_000);
    expect(kraftFingerprint(11)).toEqual(local);
    const [worker, child] = await Promise.all([inWorker(11), inProcess(11)]);
    expect(worker).toEqual(local);
    expect(child).toEqual(local);
    const other = kraftFingerprint(12);
    expect(other.traceHash).not.toBe(local.traceHash);
  }, 120_000);
});
