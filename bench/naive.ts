import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { PK } from "../lambdas/contracts/table.js";
import { renderFeed } from "../lambdas/core/formats/index.js";
import { feedKeysOf, parseFeedKey } from "../lambdas/core/feeds.js";
import type { Article, Author, FeedEntry, FeedInfo, Site } from "../lambdas/core/model.js";
import { progress } from "./progress.js";

/**
 * The naive baseline: what publishing costs without the feed index. A full, paginated
 * Scan of the table (a filter keeps only live articles, but DynamoDB still reads, and
 * bills, every item), every live article grouped by feed in memory, each feed sorted,
 * cut to the newest N and rendered with `renderFeed` (RSS, Atom, JSON Feed). It builds
 * current feeds only, no archive pages, so it is a lower bound of the naive way.
 */
export async function naivePublish(client: DynamoDBClient, tableName: string, site: Site, authors: ReadonlyMap<string, Author>, registry: readonly FeedInfo[], now: Date, expected: number) {
  const t0 = performance.now();
  const doc = DynamoDBDocumentClient.from(client);
  const byFeed = new Map<string, FeedEntry[]>();
  const nowIso = now.toISOString();
  const bar = expected >= 5000 ? progress(`naive scan of ${expected.toLocaleString("en")} articles`, expected) : { update() {}, stop() {} };
  let articles = 0;
  let pages = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const r = await doc.send(new ScanCommand({
      TableName: tableName,
      FilterExpression: "begins_with(pk, :article) AND deleted = :false",
      ExpressionAttributeValues: { ":article": PK.article(""), ":false": false },
      ExclusiveStartKey: start,
    }));
    pages++;
    for (const item of r.Items ?? []) {
      const a = item.article as Article | undefined;
      if (!a || a.draft || a.published > nowIso) continue;
      articles++;
      const { draft: _draft, ...entry } = a;
      for (const f of feedKeysOf(a)) {
        const list = byFeed.get(f) ?? [];
        byFeed.set(f, list);
        list.push(entry);
      }
    }
    bar.update(Math.min(expected, articles));
    start = r.LastEvaluatedKey;
  } while (start);
  bar.stop();
  const scanMs = performance.now() - t0;
  const titles = new Map(registry.map((f) => [f.kind === "site" ? "site" : `${f.kind}/${f.slug}`, f.title]));
  let files = 0;
  let bytes = 0;
  for (const [key, entries] of byFeed) {
    entries.sort((x, y) => (y.published < x.published ? -1 : y.published > x.published ? 1 : y.slug < x.slug ? -1 : 1));
    const ref = parseFeedKey(key);
    const docs = renderFeed({ site, feed: { ...ref, title: titles.get(key) ?? ref.slug }, entries: entries.slice(0, site.itemsPerFeed), authors });
    files += 3;
    bytes += docs.rss.length + docs.atom.length + docs.json.length;
  }
  return { ms: performance.now() - t0, scanMs, pages, articles, feeds: byFeed.size, files, bytes };
}
