// The worker when kafkasim runs from source: registers the tsx loader inside the worker thread (loaders do not
// cross into worker threads on Node 20), then loads the TypeScript worker. The built package uses worker.js.
import { register } from "tsx/esm/api";

register();
const worker = await import("./worker.ts");
export default worker.default;
