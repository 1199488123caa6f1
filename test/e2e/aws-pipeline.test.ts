import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handlePublishEvent } from "../../lambdas/publish.js";
import { CONTENT, startAwsHarness, type AwsHarness } from "../support/aws-harness.js";
import { assertJsonFeed11, child, children, parseXmlStrict } from "../support/parsers.js";

/**
 * The two Lambda handlers, unmocked, against s3rver (S3) and dynalite (DynamoDB): an
 * editor uploads to the content bucket, s3rver's events drive ingest, the recorded
 * table writes drive publish as the stream would, and the feeds are read back from the
 * site bucket.
 */

const root = new URL("../../content/", import.meta.url);
let h: AwsHarness;

beforeAll(async () => { h = await startAwsHarness("aws-pipeline"); });
afterAll(async () => { await h?.close(); });

describe("S3 upload → ingest → stream → publish → site bucket", () => {
  it("publishes the seed article to every feed, with content types and cache headers", async () => {
    await h.upload("site.yaml", await readFile(new URL("site.yaml", root)));
    await h.upload("authors/usman-aslam.md", await readFile(new URL("authors/usman-aslam.md", root)));
    await h.upload("articles/2024/pakistan-korea-ev-charging.md", await readFile(new URL("articles/2024/pakistan-korea-ev-charging.md", root)));
    const { results, report } = await h.deliver();
    expect(results.map((r) => [r.key, r.outcome])).toEqual([
      ["site.yaml", "published"], ["authors/usman-aslam.md", "published"], ["articles/2024/pakistan-korea-ev-charging.md", "published"],
    ]);
    expect(report?.written).toEqual(expect.arrayContaining(["feed.xml", "atom.xml", "feed.json", "categories/electric-cars/feed.xml", "authors/usman-aslam/feed.json", "index.html", "feeds.opml"]));

    const rss = await h.siteObject("feed.xml");
    expect(rss.contentType).toBe("application/rss+xml; charset=utf-8");
    expect(rss.cacheControl).toBe("public, max-age=300, stale-while-revalidate=3600, stale-if-error=86400");
    const items = children(child(parseXmlStrict(rss.body), "channel"), "item");
    expect(items.map((i) => child(i, "guid").text)).toEqual(["tag:techjuice.pk,2026:pakistan-korea-ev-charging"]);
    expect((await h.siteObject("atom.xml")).contentType).toBe("application/atom+xml; charset=utf-8");
    const json = await h.siteObject("categories/electric-cars/feed.json");
    expect(json.contentType).toBe("application/feed+json; charset=utf-8");
    assertJsonFeed11(json.body);

    expect(h.invalidations.at(-1)).toEqual(expect.arrayContaining(["/feed.xml", "/categories/electric-cars/atom.xml"]));
    expect(h.pings.at(-1)).toEqual(expect.arrayContaining(["https://feeds.techjuice.pk/feed.xml"]));
    expect(await h.contentText("_reports/articles/2024/pakistan-korea-ev-charging.md.txt")).toMatch(/^articles\/2024\/pakistan-korea-ev-charging\.md: published\nversion: [0-9a-f]{64}\n$/);
  });

  it("a second publish of unchanged data writes no object and requests no invalidation", async () => {
    const before = h.invalidations.length;
    // Nothing marked: nothing rendered. Everything marked (as a site.yaml upload does): all rendered, nothing written.
    expect(await handlePublishEvent(h.publishDeps, { Records: [{ dynamodb: { Keys: { pk: { S: "DIRTY" }, sk: { S: "x" } } } }] } as never, new Date())).toBeUndefined();
    await h.store.markDirty([{ feed: "*" }]);
    const report = await handlePublishEvent(h.publishDeps, { Records: [{ dynamodb: { Keys: { pk: { S: "DIRTY" }, sk: { S: "*|" } } } }] } as never, new Date());
    expect(report?.written).toEqual([]);
    expect(report?.unchanged).toBeGreaterThan(10);
    expect(h.invalidations.length).toBe(before);
    expect(await h.store.dirtyMarks()).toEqual([]);
  });

  it("a rejected upload leaves the last good version online and explains itself in _reports/", async () => {
    await h.upload("articles/2024/pakistan-korea-ev-charging.md", "---\ntitle: Broken\nauthor: usman-aslam\ndate: 2024-02-30\n---\nx\n");
    const { results, report } = await h.deliver();
    expect(results.map((r) => [r.key, r.outcome])).toEqual([["articles/2024/pakistan-korea-ev-charging.md", "rejected"]]);
    expect(report).toBeUndefined();
    expect((await h.siteObject("feed.xml")).body).toContain("Pakistan &amp; Korea");
    expect(await h.contentText("_reports/articles/2024/pakistan-korea-ev-charging.md.txt")).toMatch(
      /^articles\/2024\/pakistan-korea-ev-charging\.md: rejected\nversion: [0-9a-f]{64}\narticles\/2024\/pakistan-korea-ev-charging\.md: error in date: "2024-02-30" is not a real date .*\nThe last accepted version of this file stays published\.\n$/,
    );
  });

  it("a key with spaces and Urdu letters is decoded; deleting it removes the article", async () => {
    const key = "articles/خبر نمبر ایک.md";
    await h.upload(key, "---\ntitle: اردو خبر\nauthor: usman-aslam\ndate: 2024-03-01\nlang: ur\ncategories: [News]\n---\nمتن\n");
    await h.deliver();
    const json = JSON.parse((await h.siteObject("categories/news/feed.json")).body) as { items: { title: string; language?: string }[] };
    expect(json.items[0]).toMatchObject({ title: "اردو خبر", language: "ur" });

    await h.remove(key);
    const { results } = await h.deliver();
    expect(results[0]?.outcome).toBe("removed");
    expect((await h.siteObject("categories/news/feed.json")).body).not.toContain("اردو خبر");
    await expect(h.s3.client.send(new HeadObjectCommand({ Bucket: CONTENT, Key: `_reports/${key}.txt` }))).rejects.toThrow();
  });
});
