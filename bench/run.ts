/**
 * `npm run bench`: publish cost against archive size. Not part of `npm test`.
 * Prints a table and writes bench/results.json and bench/scaling.svg.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

import { ScanCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { articleFeeds, DynamoDbStore } from "../lambdas/adapters/dynamodb-store.js";
import { publish } from "../lambdas/app/publish.js";
import { renderFeed } from "../lambdas/core/feed-format.js";
import { parseFeedKey } from "../lambdas/core/feeds.js";
import type { Article, Author, FeedEntry, Site } from "../lambdas/core/model.js";
import type { SiteFile, SiteWriter } from "../lambdas/core/ports.js";
import { LocalPipeline } from "../local/local-pipeline.js";
import { article, AUTHORS, importArchive, site, startDynaliteProcess } from "./synthetic.js";

const SIZES = (process.env.BENCH_SIZES ?? "1000,10000,100000").split(",").map(Number);
const RUNS = 7;
const root = new URL("..", import.meta.url).pathname;

/** Counts DynamoDB requests and items read. */
function meter(client: DynamoDBClient) {
  const m = { requests: 0, itemsRead: 0 };
  client.middlewareStack.add((next) => async (args) => {
    const out = await next(args);
    m.requests++;
    const o = out.output as { Count?: number; Item?: unknown; Responses?: Record<string, unknown[]> };
    m.itemsRead += o.Count ?? (o.Item ? 1 : 0);
    return out;
  }, { step: "initialize", name: "benchMeter" });
  return m;
}

class MemoryWriter implements SiteWriter {
  files = new Map<string, string>();
  written = 0;
  async hashes(paths: readonly string[]) {
    return new Map(paths.flatMap((p) => (this.files.has(p) ? [[p, this.files.get(p)!] as [string, string]] : [])));
  }
  async write(file: SiteFile, hash: string) { this.files.set(file.path, hash); this.written++; }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The naive baseline: Scan everything, rebuild every feed. */
async function naive(client: DynamoDBClient, table: string, authors: Map<string, Author>) {
  const t0 = performance.now();
  const byFeed = new Map<string, FeedEntry[]>();
  let items = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const r = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start as never }));
    for (const raw of r.Items ?? []) {
      items++;
      const item = unmarshall(raw);
      if (!String(item.pk).startsWith("ARTICLE#") || item.deleted) continue;
      const a = item.article as Article;
      const { draft: _d, ...entry } = a;
      for (const f of articleFeeds(a)) byFeed.set(f, [...(byFeed.get(f) ?? []), entry]);
    }
    start = r.LastEvaluatedKey;
  } while (start);
  let files = 0;
  for (const [key, entries] of byFeed) {
    entries.sort((x, y) => y.published.localeCompare(x.published));
    const ref = parseFeedKey(key);
    renderFeed({ site, feed: { ...ref, title: ref.slug }, entries: entries.slice(0, site.itemsPerFeed), authors });
    files += 3;
  }
  return { ms: performance.now() - t0, items, files };
}

async function benchSize(n: number, keepOpen = false) {
  console.error(`archive of ${n} articles`);
  const dynamo = await startDynaliteProcess(`bench-${n}`);
  const store = new DynamoDbStore(dynamo.client, dynamo.tableName);
  const importRate = await importArchive(store, n);
  const m = meter(dynamo.client);
  const writer = new MemoryWriter();
  const now = new Date("2030-01-01T00:00:00Z");
  const authors = await store.listAuthors();
  // Prime: publish everything once, so later publishes compare against real files.
  await publish({ store, writer }, { all: true, feeds: [] }, now);
  const runs: { ms: number; itemsRead: number; requests: number; written: number; invalidated: number }[] = [];
  for (let r = 0; r < RUNS; r++) {
    const a = article(n + r);
    const { draft: _d, ...entry } = a;
    await store.putArticle(a, { key: `articles/${a.slug}.md`, seq: "1".padStart(32, "0"), hash: "x" });
    await store.putFeedEntries(articleFeeds(a), entry);
    const change = { all: false, feeds: articleFeeds(a), entries: articleFeeds(a).map((feed) => ({ feed, sk: `${a.published}#${a.slug}` })) };
    m.requests = 0; m.itemsRead = 0;
    let invalidated = 0;
    const t0 = performance.now();
    const report = await publish({ store, writer, invalidator: { invalidate: async (p) => { invalidated += p.length; } } }, change, now);
    runs.push({ ms: performance.now() - t0, itemsRead: m.itemsRead, requests: m.requests, written: report.written.length, invalidated });
  }
  const last = article(n + RUNS - 1);
  m.requests = 0; m.itemsRead = 0;
  let noChangeInvalidated = 0;
  const again = await publish({ store, writer, invalidator: { invalidate: async (p) => { noChangeInvalidated += p.length; } } }, { all: false, feeds: articleFeeds(last) }, now);
  const base = await naive(dynamo.client, dynamo.tableName, authors);
  if (!keepOpen) await dynamo.close();
  return {
    dynamo,
    articles: n,
    importPerSecond: Math.round(importRate),
    publishMs: Math.round(median(runs.map((r) => r.ms)) * 10) / 10,
    itemsRead: median(runs.map((r) => r.itemsRead)),
    requests: median(runs.map((r) => r.requests)),
    filesWritten: median(runs.map((r) => r.written)),
    pathsInvalidated: median(runs.map((r) => r.invalidated)),
    noChangeWritten: again.written.length,
    noChangeInvalidated,
    naiveMs: Math.round(base.ms),
    naiveItemsRead: base.items,
  };
}

async function bundles() {
  const dir = await mkdtemp(join(os.tmpdir(), "feedpub-bench-"));
  const out: Record<string, { bytes: number; bytesSdkExternal: number; initMs: number; emptyInitMs: number }> = {};
  await writeFile(join(dir, "empty.mjs"), "export const x = 1;\n");
  const init = (file: string) => Number(execFileSync(process.execPath, ["--input-type=module", "-e", `const t=performance.now(); await import(${JSON.stringify(`file://${file}`)}); console.log(performance.now()-t)`], { encoding: "utf8" }));
  for (const name of ["ingest", "publish"]) {
    const file = join(dir, `${name}.mjs`);
    await build({
      entryPoints: [join(root, `lambdas/${name}.ts`)], bundle: true, minify: true, platform: "node", target: "node22", format: "esm", outfile: file,
      banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" }, logLevel: "silent",
    });
    // The same, leaving the AWS SDK to the Lambda runtime (Node 22 ships SDK v3).
    const external = join(dir, `${name}-external.mjs`);
    await build({
      entryPoints: [join(root, `lambdas/${name}.ts`)], bundle: true, minify: true, platform: "node", target: "node22", format: "esm", outfile: external,
      external: ["@aws-sdk/*"], banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" }, logLevel: "silent",
    });
    out[name] = {
      bytes: (await stat(file)).size,
      bytesSdkExternal: (await stat(external)).size,
      initMs: Math.round(median(Array.from({ length: 5 }, () => init(file))) * 10) / 10,
      emptyInitMs: Math.round(median(Array.from({ length: 5 }, () => init(join(dir, "empty.mjs")))) * 100) / 100,
    };
  }
  await rm(dir, { recursive: true, force: true });
  return out;
}

/**
 * serve mode: from saving an article to the updated feed on disk, with n articles in
 * the local pipeline's store. The archive is bulk-imported into the pipeline's dynalite
 * (parsing 10,000 Markdown files first would take minutes and measure nothing new); the
 * edited article is a real file going through the watcher's path (`fileChanged`).
 */
async function serveLatency(n: number) {
  const dir = await mkdtemp(join(os.tmpdir(), "feedpub-serve-"));
  const content = join(dir, "content");
  await mkdir(join(content, "articles"), { recursive: true });
  await mkdir(join(content, "authors"), { recursive: true });
  await writeFile(join(content, "site.yaml"), "title: Bench News\nbaseUrl: https://bench.example\n");
  for (const a of AUTHORS) await writeFile(join(content, "authors", `${a.slug}.md`), `---\nname: ${a.name}\n---\n`);
  const pipeline = await LocalPipeline.start({ contentDir: content, outDir: join(dir, "dist") });
  await pipeline.buildAll();
  const t0 = performance.now();
  await importArchive(pipeline.store, n, false);
  await pipeline.republish();
  const buildMs = performance.now() - t0;
  const a = article(n - 1);
  const path = join(content, "articles", `${a.slug}.md`);
  const text = (title: string) => `---\ntitle: "${title}"\nauthor: ${a.authors[0]}\ndate: ${a.published}\ncategories: [${a.categories.map((c) => c.name).join(", ")}]\n---\n${a.contentHtml}\n`;
  await writeFile(path, text(a.title));
  await pipeline.fileChanged(`articles/${a.slug}.md`, "put");
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    const marker = `edit-${r}`;
    const t = performance.now();
    await writeFile(path, text(marker));
    await pipeline.fileChanged(`articles/${a.slug}.md`, "put");
    if (!(await readFile(join(dir, "dist/feed.xml"), "utf8")).includes(marker)) throw new Error("edit not published");
    times.push(performance.now() - t);
  }
  await pipeline.close();
  await rm(dir, { recursive: true, force: true });
  return { articles: n, importAndPublishAllS: Math.round(buildMs / 100) / 10, saveToFeedMs: Math.round(median(times)) };
}

async function memory(endpoint: string, table: string) {
  // A fresh process publishes every feed once against the imported archive.
  const script = join(root, "bench/publish-memory.ts");
  const out = execFileSync(process.execPath, ["--expose-gc", "--import", "tsx", script, endpoint, table], { encoding: "utf8", cwd: root, env: { ...process.env } });
  return JSON.parse(out.trim().split("\n").pop()!) as { peakRssMB: number; peakHeapMB: number; publishRssDeltaMB: number; baselineRssMB: number };
}

function svg(results: { articles: number; publishMs: number; naiveMs: number }[]): string {
  const W = 560, H = 300, L = 60, B = 40;
  const xs = results.map((r) => Math.log10(r.articles));
  const xmin = Math.min(...xs), xmax = Math.max(...xs);
  const ymax = Math.max(...results.map((r) => r.naiveMs), 1);
  const x = (v: number) => L + ((v - xmin) / Math.max(0.001, xmax - xmin)) * (W - L - 20);
  const y = (v: number) => H - B - (Math.log10(Math.max(1, v)) / Math.log10(ymax * 1.2)) * (H - B - 20);
  const line = (vals: number[], color: string) => `<polyline fill="none" stroke="${color}" stroke-width="2.5" points="${vals.map((v, i) => `${x(xs[i]!).toFixed(1)},${y(v).toFixed(1)}`).join(" ")}"/>` + vals.map((v, i) => `<circle cx="${x(xs[i]!).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3.5" fill="${color}"/>`).join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
<text x="${L}" y="16" font-size="14">Publish time after adding one article (ms, log scale)</text>
<line x1="${L}" y1="${H - B}" x2="${W - 10}" y2="${H - B}" stroke="#888"/><line x1="${L}" y1="20" x2="${L}" y2="${H - B}" stroke="#888"/>
${results.map((r, i) => `<text x="${x(xs[i]!)}" y="${H - B + 16}" text-anchor="middle">${r.articles.toLocaleString("en")}</text>`).join("")}
<text x="${(W + L) / 2}" y="${H - 6}" text-anchor="middle">articles in the archive</text>
${line(results.map((r) => r.naiveMs), "#b4410f")}${line(results.map((r) => r.publishMs), "#1d6fb8")}
<text x="${W - 190}" y="40" fill="#b4410f">naive: Scan + rebuild all</text><text x="${W - 190}" y="58" fill="#1d6fb8">feedpub: Query + changed only</text>
</svg>\n`;
}

async function main() {
  const t0 = performance.now();
  const runs = [];
  for (const [i, n] of SIZES.entries()) runs.push(await benchSize(n, i === SIZES.length - 1));
  const sizes = runs.map(({ dynamo: _d, ...r }) => r);
  const small = sizes[0]!, large = sizes[sizes.length - 1]!;
  console.error("bundles");
  const bundle = await bundles();
  console.error("memory");
  const largest = runs[runs.length - 1]!.dynamo;
  const mem = await memory(largest.endpoint, largest.tableName);
  await largest.close();
  console.error("serve latency");
  const serve = await serveLatency(Number(process.env.BENCH_SERVE_SIZE ?? 10000));
  const results = {
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGB: Math.round(os.totalmem() / 2 ** 30), node: process.version, date: new Date().toISOString() },
    sizes,
    ratios: {
      publishTimeLargestToSmallest: Math.round((large.publishMs / small.publishMs) * 100) / 100,
      itemsReadLargestToSmallest: Math.round((large.itemsRead / small.itemsRead) * 100) / 100,
      naiveToIncrementalAtLargest: Math.round(large.naiveMs / large.publishMs),
    },
    bundles: bundle,
    memory: mem,
    serve,
    totalSeconds: Math.round((performance.now() - t0) / 1000),
  };
  await writeFile(join(root, "bench/results.json"), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(root, "bench/scaling.svg"), svg(sizes));
  const pad = (s: unknown, w: number) => String(s).padStart(w);
  console.log(`\n${"articles".padEnd(10)}${pad("import/s", 10)}${pad("publish ms", 12)}${pad("items read", 12)}${pad("requests", 10)}${pad("written", 9)}${pad("invalid.", 9)}${pad("naive ms", 10)}${pad("naive items", 13)}${pad("no-change w/i", 15)}`);
  for (const r of sizes) console.log(`${String(r.articles).padEnd(10)}${pad(r.importPerSecond, 10)}${pad(r.publishMs, 12)}${pad(r.itemsRead, 12)}${pad(r.requests, 10)}${pad(r.filesWritten, 9)}${pad(r.pathsInvalidated, 9)}${pad(r.naiveMs, 10)}${pad(r.naiveItemsRead, 13)}${pad(`${r.noChangeWritten}/${r.noChangeInvalidated}`, 15)}`);
  console.log(`\npublish(${large.articles}) / publish(${small.articles}): ${results.ratios.publishTimeLargestToSmallest} (target <= 1.25); items read ratio ${results.ratios.itemsReadLargestToSmallest}; naive / incremental at ${large.articles}: ${results.ratios.naiveToIncrementalAtLargest}x`);
  for (const [name, b] of Object.entries(bundle)) console.log(`bundle ${name}: ${(b.bytes / 1024).toFixed(0)} KB (target < 500 KB; ${(b.bytesSdkExternal / 1024).toFixed(0)} KB with the AWS SDK left to the runtime), module init ${b.initMs} ms vs empty module ${b.emptyInitMs} ms`);
  console.log(`publish memory at ${Math.max(...SIZES)} articles: peak RSS ${mem.peakRssMB} MB (${mem.baselineRssMB} MB before publishing, +${mem.publishRssDeltaMB} MB while publishing), peak heap ${mem.peakHeapMB} MB, in a process of its own (DynamoDB in another process; includes tsx's ~40 MB); Lambda 128 MB target`);
  console.log(`serve mode at ${serve.articles} articles: bulk import + first publish ${serve.importAndPublishAllS} s; save to updated feed ${serve.saveToFeedMs} ms (median of 5)`);
  console.log(`total ${results.totalSeconds} s; results in bench/results.json, chart in bench/scaling.svg`);
}

await main();
