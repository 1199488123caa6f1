/**
 * Memory of one publish, in a fresh process: `publish-memory <endpoint> <table> <marked|everything> <now ISO>`.
 * Connects to a dynalite that already holds the archive (another process), runs one
 * publish with a site writer that keeps nothing (as S3 would: bytes leave the process),
 * and prints one JSON line. Peak RSS is the kernel's high-water mark (getrusage
 * maxRSS, so a peak between samples is not missed); heap is sampled every millisecond
 * (a synchronous render is not interrupted, so the heap peak is a lower bound).
 * Runs under tsx (`node --import tsx`) or bundled by esbuild and run by plain node, as
 * the Lambda runs.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDbContentStore } from "../lambdas/adapters/dynamodb-content-store.js";
import { DynamoDbPublishLedger } from "../lambdas/adapters/dynamodb-publish-ledger.js";
import { publish } from "../lambdas/app/publish.js";
import type { SiteFile, SiteWriter } from "../lambdas/core/ports.js";

const [endpoint, table, mode, nowIso] = process.argv.slice(2) as [string, string, string, string];
const mb = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
const gc = (globalThis as { gc?: () => void }).gc;

const client = new DynamoDBClient({ endpoint, region: "local", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
const store = new DynamoDbContentStore(client, table);
const ledger = new DynamoDbPublishLedger(client, table);
// One small request first, so the SDK's lazily loaded parts are in the baseline, as in a warm Lambda.
await store.getSite();
gc?.();
const before = process.memoryUsage();
const maxRssBefore = process.resourceUsage().maxRSS * 1024;
let peakHeap = before.heapUsed;
let peakRssSampled = before.rss;
const timer = setInterval(() => {
  const m = process.memoryUsage();
  peakHeap = Math.max(peakHeap, m.heapUsed);
  peakRssSampled = Math.max(peakRssSampled, m.rss);
}, 1);
let written = 0;
let bytes = 0;
const writer: SiteWriter = {
  hashes: async () => new Map(),
  write: async (file: SiteFile) => { written++; bytes += file.body.length; },
  remove: async () => { written++; },
};
const t0 = performance.now();
const report = await publish({ store, ledger, writer }, new Date(nowIso), { everything: mode === "everything" });
const ms = performance.now() - t0;
clearInterval(timer);
const after = process.memoryUsage();
peakHeap = Math.max(peakHeap, after.heapUsed);
const maxRss = process.resourceUsage().maxRSS * 1024;
console.log(JSON.stringify({
  baselineRssMB: mb(before.rss),
  baselineHeapMB: mb(before.heapUsed),
  peakRssMB: mb(Math.max(maxRss, peakRssSampled)),
  peakRssBeforePublishMB: mb(maxRssBefore),
  peakHeapMB: mb(peakHeap),
  publishHeapDeltaMB: mb(peakHeap - before.heapUsed),
  publishRssDeltaMB: mb(Math.max(maxRss, peakRssSampled) - before.rss),
  feeds: report.feeds, filesWritten: written, bytesWritten: bytes, entriesRead: report.entriesRead, ms: Math.round(ms),
}));
client.destroy();
process.exit(0);
