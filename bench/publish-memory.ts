/**
 * Peak memory of the publish path at N articles, in a process of its own. DynamoDB runs
 * in a separate dynalite process so its data does not count against the publisher.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from "@aws-sdk/client-dynamodb";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { DynamoDbStore } from "../lambdas/adapters/dynamodb-store.js";
import { createTableInput } from "../lambdas/adapters/table-schema.js";
import { publish } from "../lambdas/app/publish.js";
import type { SiteFile, SiteWriter } from "../lambdas/core/ports.js";
import { importArchive } from "./synthetic.js";

const n = Number(process.argv[2] ?? 100000);
const port = 20000 + Math.floor(Math.random() * 20000);
const cli = createRequire(import.meta.url).resolve("dynalite/cli.js");
const server = spawn(process.execPath, [cli, "--port", String(port), "--host", "127.0.0.1", "--createTableMs", "0"], { stdio: "ignore" });
await new Promise((r) => setTimeout(r, 800));
const client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: "local", credentials: { accessKeyId: "x", secretAccessKey: "x" } });
await client.send(new CreateTableCommand(createTableInput("mem")));
await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 0.1, maxDelay: 0.5 }, { TableName: "mem" });
const store = new DynamoDbStore(client, "mem");
await importArchive(store, n);
(globalThis as { gc?: () => void }).gc?.();
await new Promise((r) => setTimeout(r, 200));
const before = process.memoryUsage();
let peakRss = before.rss;
let peakHeap = before.heapUsed;
const timer = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
}, 5);
const writer: SiteWriter = { hashes: async () => new Map(), write: async (_f: SiteFile) => {} };
await publish({ store, writer }, { all: true, feeds: [] }, new Date("2030-01-01T00:00:00Z"));
clearInterval(timer);
const m = process.memoryUsage();
peakRss = Math.max(peakRss, m.rss);
peakHeap = Math.max(peakHeap, m.heapUsed);
server.kill();
const mb = (b: number) => Math.round(b / 2 ** 20);
console.log(JSON.stringify({ peakRssMB: mb(peakRss), peakHeapMB: mb(peakHeap), publishRssDeltaMB: mb(peakRss - before.rss), baselineRssMB: mb(before.rss) }));
process.exit(0);
