import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rebuildDiff } from "../support/rebuild-diff.js";
import { handleS3Event } from "../../lambdas/ingest.js";
import { handlePublishEvent } from "../../lambdas/publish.js";
import { startAwsHarness, type AwsHarness } from "../support/aws-harness.js";
import { crashAfter, gatedStore } from "../support/gates.js";

/** The attacks of test/app/attack.test.ts that matter most, confirmed through the real handlers on s3rver + dynalite. */

const BASE = "https://feeds.example.com";
const SCHEDULE = { "detail-type": "Scheduled Event", source: "aws.events" } as never;
const SITE_YAML = `title: Attack\nbaseUrl: ${BASE}\nid: "tag:example.com,2026:"\nitemsPerFeed: 10\ntimeZone: UTC\n`;
let h: AwsHarness;

const text = (title: string, o: { categories?: string[] } = {}) =>
  `---\ntitle: ${JSON.stringify(title)}\nauthor: jane\ndate: 2024-04-01 10:00\ncategories: [${(o.categories ?? ["News"]).join(", ")}]\n---\nBody of ${title}.\n`;




async function expectConverged(now: Date): Promise<void> {
  await handlePublishEvent(h.publishDeps, SCHEDULE, now);
  const diff = await rebuildDiff(h, now);
  expect(diff.onlySite, "only on the site").toEqual([]);
  expect(diff.onlyRebuild, "only in the rebuild").toEqual([]);
  expect(diff.differing, "bytes differ from the rebuild").toEqual([]);
  expect(diff.marksLeft, "dirty marks left").toBe(0);
}

beforeAll(async () => {
  h = await startAwsHarness("attack");
  await h.upload("site.yaml", SITE_YAML);
  await h.upload("authors/jane.md", "---\nname: Jane Doe\n---\n");
  await h.upload("articles/anchor.md", text("Anchor"));
  await h.deliver();
});
afterAll(async () => { await h?.close(); });

describe("attacks confirmed on dynalite", () => {
  it("site.yaml's title changes while a publish has read the site but not yet the marks: the change must still reach the site", async () => {
    const now = new Date();
    const g = gatedStore(h.store, "dirtyMarks");
    const run = handlePublishEvent({ ...h.publishDeps, store: g.store }, SCHEDULE, now);
    await g.reached.promise;
    await h.upload("site.yaml", SITE_YAML.replace("title: Attack", "title: Renamed"));
    await h.ingest(h.takeEvents());
    g.gate.resolve();
    await run;
    h.takeStream();
    await expectConverged(now);
    expect(await h.siteText("atom.xml")).toContain("<title>Renamed</title>");
  });

  it("a new category, the ingest crashing after its index writes: Lambda's retry registers the feed", async () => {
    await h.upload("articles/ev.md", text("EV", { categories: ["Electric Cars"] }));
    const events = h.takeEvents();
    await expect(handleS3Event({ ...h.ingestDeps, store: crashAfter(h.store, "markIndexed") }, events[0]!, new Date())).rejects.toThrow(/crash/);
    await h.ingest(events); // the retry
    await handlePublishEvent(h.publishDeps, h.takeStream(), new Date());
    await expectConverged(new Date());
    expect(await h.siteText("categories/electric-cars/atom.xml")).toContain("Electric Cars</title>");
  });

  it("site.yaml moves the site, the ingest crashing after putSite: Lambda's retry parses every article again", async () => {
    await h.upload("site.yaml", SITE_YAML.replace(BASE, "https://news.example.org"));
    const events = h.takeEvents();
    await expect(handleS3Event({ ...h.ingestDeps, store: crashAfter(h.store, "putSite") }, events[0]!, new Date())).rejects.toThrow(/crash/);
    await h.ingest(events); // the retry
    await handlePublishEvent(h.publishDeps, h.takeStream(), new Date());
    await expectConverged(new Date());
    expect((await h.store.getArticle("anchor"))!.article!.url).toBe("https://news.example.org/anchor/");
  });
});
