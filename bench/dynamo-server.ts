/**
 * dynalite in a process of its own, started by the project's own bootstrap
 * (`startLocalDynamo`: in-memory dynalite, the table from `createTableInput`). Prints
 * `{"endpoint":…,"tableName":…}` on one line, then serves until its parent closes stdin
 * or kills it. Its own process keeps dynalite's CPU and memory (a 100,000-article
 * archive is gigabytes of heap) out of the process that measures publishing, and lets
 * the memory probe (another process) reach the same archive.
 */
import { startLocalDynamo } from "../local/local-dynamo.js";

const dynamo = await startLocalDynamo(process.argv[2] ?? "feedpub-bench");
process.stdout.write(`${JSON.stringify({ endpoint: dynamo.endpoint, tableName: dynamo.tableName })}\n`);
const stop = () => { void dynamo.close().finally(() => process.exit(0)); };
process.stdin.on("end", stop);
process.stdin.on("close", stop);
process.on("SIGTERM", stop);
process.stdin.resume();
