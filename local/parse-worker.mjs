// Worker entry of the parse pool (`parse-pool.ts`): registers tsx in this thread (an
// `--import tsx` in a Worker's execArgv does not register the loader on Node 20), then
// runs the TypeScript worker.
import { register } from "tsx/esm/api";

register();
await import("./parse-worker.ts");
