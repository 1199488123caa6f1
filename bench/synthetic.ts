import type { Article, Author, Site } from "../lambdas/core/model.js";
import type { DynamoDbStore } from "../lambdas/adapters/dynamodb-store.js";
import { articleFeeds } from "../lambdas/adapters/dynamodb-store.js";

/** Deterministic synthetic archives for the benchmark, and their bulk import. */

export function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const site: Site = {
  title: "Bench News", baseUrl: "https://bench.example", articleUrl: "https://bench.example/{slug}/", language: "en",
  timeZone: "UTC", description: "", itemsPerFeed: 50, hubs: [], idPrefix: "tag:bench.example,2026:",
};
export const CATEGORIES = Array.from({ length: 20 }, (_, i) => ({ slug: `category-${i}`, name: `Category ${i}` }));
export const AUTHORS: Author[] = Array.from({ length: 50 }, (_, i) => ({ slug: `author-${i}`, name: `Author ${i}`, bioHtml: "" }));
const WORDS = "the minister said electric charging network battery solar policy market growth investment city".split(" ");
const URDU = "ملک بھر میں شمسی توانائی کے نئے منصوبوں کا اعلان کیا گیا ہے".split(" ");

/** A deterministic synthetic article: 2-12 paragraphs (1-8 KB of HTML), 5% Urdu. */
export function article(i: number): Article {
  const r = rng(i + 1);
  const urdu = r() < 0.05;
  const words = urdu ? URDU : WORDS;
  const para = () => `<p>${Array.from({ length: 40 + Math.floor(r() * 60) }, () => words[Math.floor(r() * words.length)]).join(" ")}.</p>`;
  const body = Array.from({ length: 2 + Math.floor(r() * 10) }, para).join("\n");
  const slug = `article-${i}`;
  const published = new Date(Date.UTC(2015, 0, 1) + i * 3_600_000).toISOString();
  return {
    slug, id: `${site.idPrefix}${slug}`, title: urdu ? `خبر ${i}` : `Article ${i} about ${words[i % words.length]}`,
    url: `https://bench.example/${slug}/`, authors: [AUTHORS[i % 50]!.slug], published, updated: published,
    categories: [CATEGORIES[i % 20]!, CATEGORIES[(i * 7 + 3) % 20]!].filter((c, k, all) => all.findIndex((x) => x.slug === c.slug) === k),
    tags: [], summary: `Summary of article ${i}`, contentHtml: body, draft: false, ...(urdu ? { lang: "ur" } : {}),
  };
}

export const progress = (label: string, done: number, total: number) => {
  if (process.stderr.isTTY) process.stderr.write(`\r${label} ${done}/${total}`);
  else if (done === total || done % Math.max(1, Math.floor(total / 4)) === 0) process.stderr.write(`${label} ${done}/${total}\n`);
};

/** Bulk import through the real store adapter: BatchWriteItem, 8 in flight, unprocessed items retried. */
export async function importArchive(store: DynamoDbStore, n: number, withSite = true): Promise<number> {
  const t0 = performance.now();
  if (withSite) await store.putSite(site, { key: "site.yaml", seq: "1".padStart(32, "0"), hash: "x" });
  if (withSite) for (const a of AUTHORS) await store.putAuthor(a, { key: `authors/${a.slug}.md`, seq: "1".padStart(32, "0"), hash: "x" });
  await store.registerFeeds([{ kind: "site", slug: "", title: "" }, ...CATEGORIES.map((c) => ({ kind: "category" as const, slug: c.slug, title: c.name })), ...AUTHORS.map((a) => ({ kind: "author" as const, slug: a.slug, title: a.name }))]);
  const CHUNK = 200;
  let done = 0;
  const queue = Array.from({ length: Math.ceil(n / CHUNK) }, (_, c) => c);
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
      const requests = [];
      for (let i = c * CHUNK; i < Math.min(n, (c + 1) * CHUNK); i++) {
        const a = article(i);
        const { draft: _d, ...entry } = a;
        const feeds = articleFeeds(a);
        requests.push({ PutRequest: { Item: { pk: `ARTICLE#${a.slug}`, sk: "ARTICLE", slug: a.slug, sourceKey: `articles/${a.slug}.md`, seq: "1".padStart(32, "0"), hash: "x", deleted: false, feeds, article: a } } });
        for (const f of feeds) requests.push({ PutRequest: { Item: { pk: `FEED#${f}`, sk: `${a.published}#${a.slug}`, entry } } });
      }
      await store.batchWrite(requests);
      done += Math.min(CHUNK, n - c * CHUNK);
      progress(`  import ${n}`, done, n);
    }
  }));
  if (process.stderr.isTTY) process.stderr.write("\n");
  return n / ((performance.now() - t0) / 1000);
}


/**
 * dynalite in a process of its own (in memory), so the measuring process holds only the
 * publisher; and so the memory probe can reuse the archive instead of importing it again.
 */
export async function startDynaliteProcess(table: string): Promise<{ client: import("@aws-sdk/client-dynamodb").DynamoDBClient; endpoint: string; tableName: string; close(): Promise<void> }> {
  const { spawn } = await import("node:child_process");
  const { createRequire } = await import("node:module");
  const { CreateTableCommand, DynamoDBClient, waitUntilTableExists } = await import("@aws-sdk/client-dynamodb");
  const { createTableInput } = await import("../lambdas/adapters/table-schema.js");
  const port = 20000 + Math.floor(Math.random() * 20000);
  const cli = createRequire(import.meta.url).resolve("dynalite/cli.js");
  const server = spawn(process.execPath, ["--max-old-space-size=8192", cli, "--port", String(port), "--host", "127.0.0.1", "--createTableMs", "0"], { stdio: "ignore" });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: "local", credentials: { accessKeyId: "x", secretAccessKey: "x" }, maxAttempts: 10 });
  for (let i = 0; ; i++) {
    try {
      await client.send(new CreateTableCommand(createTableInput(table)));
      break;
    } catch (err) {
      if (i > 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 0.1, maxDelay: 0.5 }, { TableName: table });
  return { client, endpoint, tableName: table, close: async () => { client.destroy(); server.kill(); } };
}
