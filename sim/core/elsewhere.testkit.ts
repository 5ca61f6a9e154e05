// Test helpers for determinism proofs: call an exported function of a module in a fresh worker thread or in a new
// Node.js process, with one JSON argument, and get back its (awaited) result. Both register tsx themselves to load
// TypeScript (under vitest, `execArgv: ["--import", "tsx"]` does not take effect for an eval worker).
import { execFile } from "node:child_process";
import { Worker } from "node:worker_threads";

/** `await module[name](arg)` in a fresh worker thread (structured-cloned back). */
export function inWorkerThread<T>(moduleUrl: string, name: string, arg: unknown): Promise<T> {
  const code = `
    const { parentPort, workerData } = require("node:worker_threads");
    import("tsx/esm/api")
      .then((tsx) => { tsx.register(); return import(workerData.moduleUrl); })
      .then((m) => m[workerData.name](workerData.arg))
      .then((ok) => parentPort.postMessage({ ok }), (e) => parentPort.postMessage({ error: String((e && e.stack) || e) }));`;
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { moduleUrl, name, arg } });
    w.once("message", (m: { ok?: T; error?: string }) => {
      void w.terminate();
      if (m.error === undefined) resolve(m.ok as T);
      else reject(new Error(m.error));
    });
    w.once("error", reject);
  });
}

/** `await module[name](arg)` in a new Node.js process (through tsx), its result passed back as JSON. */
export function inNewProcess<T>(moduleUrl: string, name: string, arg: unknown): Promise<T> {
  const code = `import(${JSON.stringify(moduleUrl)}).then((m) => m[${JSON.stringify(name)}](${JSON.stringify(arg)})).then((r) => process.stdout.write(JSON.stringify(r)))`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as T);
    });
  });
}
