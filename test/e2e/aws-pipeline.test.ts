import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { S3Event } from "aws-lambda";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDbStore } from "../../lambdas/adapters/dynamodb-store.js";
import { S3Content } from "../../lambdas/adapters/s3-content.js";
import { S3Site } from "../../lambdas/adapters/s3-site.js";
import { handleS3Event, type IngestHandlerDeps } from "../../lambdas/ingest.js";
import type { Invalidator, HubNotifier } from "../../lambdas/core/ports.js";
import { handlePublishEvent } from "../../lambdas/publish.js";
import type { PublishDeps } from "../../lambdas/app/publish.js";
import { startLocalDynamo, type LocalDynamo } from "../../local/local-dynamo.js";
import { recordStream, startS3, type LocalS3 } from "../support/emulators.js";
import { assertJsonFeed11, child, children, parseXmlStrict } from "../support/parsers.js";

/**
 * The two Lambda handlers, unmocked, against s3rver (S3) and dynalite (DynamoDB): an
 * editor uploads to the content bucket, s3rver's events drive ingest, the recorded
 * table writes drive publish as the stream would, and the feeds are read back from the
 * site bucket.
 */

const CONTENT = "content-bucket";
const SITE = "site-bucket";
const root = new URL("../../content/", import.meta.url);

let s3: LocalS3;
let dynamo: LocalDynamo;
let stream: ReturnType<typeof recordStream>;
let ingestDeps: IngestHandlerDeps;
let publishDeps: PublishDeps;
const invalidations: string[][] = [];
const pings: string[][] = [];

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startS3([CONTENT, SITE]), startLocalDynamo("aws-pipeline")]);
  stream = recordStream(dynamo.client);
  const store = new DynamoDbStore(dynamo.client, dynamo.tableName);
  ingestDeps = { s3: s3.client, contentBucket: CONTENT, store, source: new S3Content(s3.client, CONTENT) };
  const invalidator: Invalidator = { invalidate: async (paths) => { invalidations.push([...paths]); } };
  const hubs: HubNotifier = { notify: async (_hubs, urls) => { pings.push([...urls]); } };
  publishDeps = { store, writer: new S3Site(s3.client, SITE), invalidator, hubs };
});
afterAll(async () => { await Promise.all([s3?.close(), dynamo?.close()]); });

async function upload(key: string, body: string | Buffer): Promise<void> {
  await s3.client.send(new PutObjectCommand({ Bucket: CONTENT, Key: key, Body: body }));
}

/** The stack's notification filters: articles/, authors/ and site.yaml only (not _reports/). */
const notified = (e: S3Event) => e.Records.some((r) => r.s3.bucket.name === CONTENT && /^(articles\/|authors\/|site\.yaml$)/.test(r.s3.object.key));

/** Runs ingest on every S3 event so far, then publish on the resulting "stream". */
async function deliver() {
  const results = [];
  for (const event of s3.takeEvents().filter(notified)) results.push(...(await handleS3Event(ingestDeps, event, new Date())));
  const report = await handlePublishEvent(publishDeps, stream.take(), new Date());
  return { results, report };
}

async function siteObject(key: string) {
  const r = await s3.client.send(new GetObjectCommand({ Bucket: SITE, Key: key }));
  return { body: await r.Body!.transformToString(), contentType: r.ContentType, cacheControl: r.CacheControl };
}

async function contentObject(key: string): Promise<string> {
  const r = await s3.client.send(new GetObjectCommand({ Bucket: CONTENT, Key: key }));
  return r.Body!.transformToString();
}

describe("S3 upload → ingest → stream → publish → site bucket", () => {
  it("publishes the seed article to every feed, with content types and cache headers", async () => {
    await upload("site.yaml", await readFile(new URL("site.yaml", root)));
    await upload("authors/usman-aslam.md", await readFile(new URL("authors/usman-aslam.md", root)));
    await upload("articles/2024/pakistan-korea-ev-charging.md", await readFile(new URL("articles/2024/pakistan-korea-ev-charging.md", root)));
    const { results, report } = await deliver();
    expect(results.map((r) => [r.key, r.outcome])).toEqual([
      ["site.yaml", "published"], ["authors/usman-aslam.md", "published"], ["articles/2024/pakistan-korea-ev-charging.md", "published"],
    ]);
    expect(report?.written).toEqual(expect.arrayContaining(["feed.xml", "atom.xml", "feed.json", "categories/electric-cars/feed.xml", "authors/usman-aslam/feed.json", "index.html", "feeds.opml"]));

    const rss = await siteObject("feed.xml");
    expect(rss.contentType).toBe("application/rss+xml; charset=utf-8");
    expect(rss.cacheControl).toBe("public, max-age=300, stale-while-revalidate=3600, stale-if-error=86400");
    const items = children(child(parseXmlStrict(rss.body), "channel"), "item");
    expect(items.map((i) => child(i, "guid").text)).toEqual(["tag:techjuice.pk,2026:pakistan-korea-ev-charging"]);
    expect((await siteObject("atom.xml")).contentType).toBe("application/atom+xml; charset=utf-8");
    const json = await siteObject("categories/electric-cars/feed.json");
    expect(json.contentType).toBe("application/feed+json; charset=utf-8");
    assertJsonFeed11(json.body);

    expect(invalidations.at(-1)).toEqual(expect.arrayContaining(["/feed.xml", "/categories/electric-cars/atom.xml"]));
    expect(pings.at(-1)).toEqual(expect.arrayContaining(["https://feeds.techjuice.pk/feed.xml"]));
    expect(await contentObject("_reports/articles/2024/pakistan-korea-ev-charging.md.txt")).toBe("articles/2024/pakistan-korea-ev-charging.md: published\n");
  });

  it("a second publish of unchanged data writes no object and requests no invalidation", async () => {
    const before = invalidations.length;
    const report = await handlePublishEvent(publishDeps, { Records: [{ dynamodb: { Keys: { pk: { S: "SITE" }, sk: { S: "SITE" } } } }] } as never, new Date());
    expect(report?.written).toEqual([]);
    expect(report?.unchanged).toBeGreaterThan(10);
    expect(invalidations.length).toBe(before);
  });

  it("a rejected upload leaves the last good version online and explains itself in _reports/", async () => {
    await upload("articles/2024/pakistan-korea-ev-charging.md", "---\ntitle: Broken\nauthor: usman-aslam\ndate: 2024-02-30\n---\nx\n");
    const { results, report } = await deliver();
    expect(results.map((r) => [r.key, r.outcome])).toEqual([["articles/2024/pakistan-korea-ev-charging.md", "rejected"]]);
    expect(report).toBeUndefined();
    expect((await siteObject("feed.xml")).body).toContain("Pakistan &amp; Korea");
    expect(await contentObject("_reports/articles/2024/pakistan-korea-ev-charging.md.txt")).toMatch(
      /^articles\/2024\/pakistan-korea-ev-charging\.md: rejected\narticles\/2024\/pakistan-korea-ev-charging\.md: error in date: "2024-02-30" is not a real date .*\nThe last accepted version of this file stays published\.\n$/,
    );
  });

  it("a key with spaces and Urdu letters is decoded; deleting it removes the article", async () => {
    const key = "articles/خبر نمبر ایک.md";
    await upload(key, "---\ntitle: اردو خبر\nauthor: usman-aslam\ndate: 2024-03-01\nlang: ur\ncategories: [News]\n---\nمتن\n");
    // Real S3 URL-encodes keys in events, with + for spaces; s3rver does not: encode as S3 does.
    const events = s3.takeEvents().filter(notified).map((e) => ({ Records: e.Records.map((r) => ({ ...r, s3: { ...r.s3, object: { ...r.s3.object, key: encodeURIComponent(r.s3.object.key).replace(/%20/g, "+").replace(/%2F/g, "/") } } })) }));
    for (const e of events) await handleS3Event(ingestDeps, e, new Date());
    await handlePublishEvent(publishDeps, stream.take(), new Date());
    const json = JSON.parse((await siteObject("categories/news/feed.json")).body) as { items: { title: string; language?: string }[] };
    expect(json.items[0]).toMatchObject({ title: "اردو خبر", language: "ur" });

    await s3.client.send(new DeleteObjectCommand({ Bucket: CONTENT, Key: key }));
    const { results } = await deliver();
    expect(results[0]?.outcome).toBe("removed");
    expect((await siteObject("categories/news/feed.json")).body).not.toContain("اردو خبر");
    await expect(s3.client.send(new HeadObjectCommand({ Bucket: CONTENT, Key: `_reports/${key}.txt` }))).rejects.toThrow();
  });
});
