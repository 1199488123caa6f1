import { createHash } from "node:crypto";
import { articleItem, claimItem, feedIndexItem, type DynamoDbContentStore } from "../lambdas/adapters/dynamodb-content-store.js";
import { feedInfosOf, feedKey } from "../lambdas/core/feeds.js";
import type { Author, FeedInfo } from "../lambdas/core/model.js";
import { progress } from "./progress.js";
import { article, AUTHORS, site } from "./synthetic.js";

const SEQ = "1".padStart(32, "0");
const source = (key: string) => ({ key, seq: SEQ, hash: createHash("sha256").update(key).digest("hex") });

export interface ImportResult {
  readonly articles: number;
  readonly items: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly articlesPerSecond: number;
}

/**
 * Bulk import of articles [0, n) through the real store adapter: the site and authors
 * through `putSite`/`putAuthor`, each article as the item `putArticle` writes (in its
 * indexed state) plus one feed index item per feed (`feedInfosOf`), through
 * `batchWrite` (BatchWriteItem by 25, unprocessed items retried), `concurrency` calls in
 * flight; the feed registry through `registerFeeds(feedInfosOf(...))`.
 */
export async function importArchive(store: DynamoDbContentStore, n: number, { concurrency = 8, chunk = 50, label = `import ${n.toLocaleString("en")}`, withSiteAndAuthors = true } = {}): Promise<ImportResult> {
  const t0 = performance.now();
  const authors = new Map<string, Author>(AUTHORS.map((a) => [a.slug, a]));
  if (withSiteAndAuthors) {
    await store.putSite(site, source("site.yaml"));
    await Promise.all(AUTHORS.map((a) => store.putAuthor(a, source(`authors/${a.slug}.md`))));
  }
  const registry = new Map<string, FeedInfo>();
  let done = 0;
  let items = 0;
  let bytes = 0;
  const bar = progress(label, n);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      const from = next;
      const to = Math.min(n, from + chunk);
      next = to;
      const requests = [];
      for (let i = from; i < to; i++) {
        const a = article(i);
        const { draft: _draft, ...entry } = a;
        const infos = feedInfosOf(a, authors);
        const feeds = infos.map(feedKey);
        for (const f of infos) registry.set(feedKey(f), f);
        const key = `articles/${a.slug}.md`;
        const src = source(key);
        requests.push({ PutRequest: { Item: { ...articleItem({ slug: a.slug, source: src, article: a, staleIndex: [], outcome: "published" }, 1, false) } } });
        requests.push({ PutRequest: { Item: claimItem(a.slug, key, src.seq, true) } });
        for (const f of feeds) requests.push({ PutRequest: { Item: feedIndexItem(f, entry, 1) } });
        bytes += a.contentHtml.length * (1 + feeds.length);
      }
      items += requests.length;
      await store.batchWrite(requests);
      done += to - from;
      bar.update(done);
    }
  }));
  await store.registerFeeds([...registry.values()]);
  bar.stop();
  const seconds = (performance.now() - t0) / 1000;
  return { articles: n, items, bytes, seconds, articlesPerSecond: n / seconds };
}
