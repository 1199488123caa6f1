/**
 * Peak memory of the publish path: one publish of every feed against an archive already
 * imported into a dynalite running in another process (argv: endpoint, table).
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDbStore } from "../lambdas/adapters/dynamodb-store.js";
import { publish } from "../lambdas/app/publish.js";
import type { SiteWriter } from "../lambdas/core/ports.js";

const [endpoint, table] = process.argv.slice(2) as [string, string];
const client = new DynamoDBClient({ endpoint, region: "local", credentials: { accessKeyId: "x", secretAccessKey: "x" } });
const store = new DynamoDbStore(client, table);
(globalThis as { gc?: () => void }).gc?.();
const before = process.memoryUsage();
let peakRss = before.rss;
let peakHeap = before.heapUsed;
const timer = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
}, 2);
const writer: SiteWriter = { hashes: async () => new Map(), write: async () => {} };
await publish({ store, writer }, { all: true, feeds: [] }, new Date("2030-01-01T00:00:00Z"));
clearInterval(timer);
const m = process.memoryUsage();
peakRss = Math.max(peakRss, m.rss);
peakHeap = Math.max(peakHeap, m.heapUsed);
const mb = (b: number) => Math.round(b / 2 ** 20);
console.log(JSON.stringify({ peakRssMB: mb(peakRss), peakHeapMB: mb(peakHeap), publishRssDeltaMB: mb(peakRss - before.rss), baselineRssMB: mb(before.rss) }));
process.exit(0);
