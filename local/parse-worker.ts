import { parentPort } from "node:worker_threads";
import { parseArticleBytes } from "../lambdas/app/ingest.js";
import type { ParseRequest, ParseResponse } from "./parse-pool.js";

/** One thread of the parse pool: the same article parse ingest runs in process, on bytes sent to it. */
const port = parentPort;
if (!port) throw new Error("parse-worker.ts runs in a worker thread");
port.on("message", (req: ParseRequest) => {
  let res: ParseResponse;
  try {
    res = { id: req.id, result: parseArticleBytes(req.key, req.body, { site: req.site, now: new Date(req.nowMs) }) };
  } catch (err) {
    res = { id: req.id, error: (err as Error).message };
  }
  port.postMessage(res);
});
