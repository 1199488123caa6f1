// Worker entry that runs a TypeScript module: `--import tsx` in a Worker's execArgv does
// not register the loader on Node 20, so the worker registers tsx itself.
import { register } from "tsx/esm/api";
import { workerData } from "node:worker_threads";

register();
await import(workerData.tsModule);
