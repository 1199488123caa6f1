import type { S3Event } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256 } from "../../lambdas/app/hash.js";
import { handleS3Event } from "../../lambdas/ingest.js";
import { handlePublishEvent } from "../../lambdas/publish.js";
import { startAwsHarness, type AwsHarness } from "../support/aws-harness.js";
import { child, children, parseXmlStrict, type XmlElement } from "../support/parsers.js";

/**
 * An article's life on the deployed path (s3rver events, the real handlers, dynalite):
 * repeated, reordered and late S3 events, edits, drafts, deletes and scheduled
 * articles, read back from the site bucket in every feed it belongs to.
 */

const BASE = "https://feeds.example.com";
const idOf = (slug: string) => `tag:example.com,2026:${slug}`;
const FEEDS = ["", "categories/news/", "authors/jane/"];
let h: AwsHarness;

const text = (title: string, extra = "", body = "Body.") =>
  `---\ntitle: ${JSON.stringify(title)}\nauthor: jane\ndate: 2024-04-01 10:00\ncategories: [News]${extra}\n---\n${body}\n`;

/** s3rver's sequencer is the upload's millisecond: space uploads of one key apart. */
const tick = () => new Promise((r) => setTimeout(r, 5));

beforeAll(async () => {
  h = await startAwsHarness("lifecycle");
  await h.upload("site.yaml", `title: Lifecycle\nbaseUrl: ${BASE}\nid: "tag:example.com,2026:"\nitemsPerFeed: 10\ntimeZone: UTC\n`);
  await h.upload("authors/jane.md", "---\nname: Jane Doe\n---\n");
  await h.upload("articles/anchor.md", text("Anchor"));
  await h.deliver();
});
afterAll(async () => { await h?.close(); });

async function entryIn(feedDir: string, slug: string): Promise<XmlElement | undefined> {
  const feed = parseXmlStrict(await h.siteText(`${feedDir}atom.xml`));
  return children(feed, "entry").find((e) => child(e, "id").text === idOf(slug));
}

/** Where the article is: for each feed, whether each format has it. */
async function presence(slug: string): Promise<string[]> {
  const out: string[] = [];
  for (const dir of FEEDS) {
    if (await entryIn(dir, slug)) out.push(`${dir}atom.xml`);
    if ((await h.siteText(`${dir}feed.xml`)).includes(`<guid isPermaLink="false">${idOf(slug)}</guid>`)) out.push(`${dir}feed.xml`);
    if ((JSON.parse(await h.siteText(`${dir}feed.json`)) as { items: { id: string }[] }).items.some((i) => i.id === idOf(slug))) out.push(`${dir}feed.json`);
  }
  return out;
}
const EVERYWHERE = FEEDS.flatMap((d) => [`${d}atom.xml`, `${d}feed.xml`, `${d}feed.json`]);

async function ingestAndPublish(events: readonly S3Event[]) {
  const results = await h.ingest(events);
  await handlePublishEvent(h.publishDeps, h.takeStream(), new Date());
  await h.assertSiteWellFormed();
  return results.map((r) => r.outcome);
}

describe("S3 delivers at least once and out of order", () => {
  it("a repeated event changes nothing, and reports what the first delivery reported", async () => {
    await h.upload("articles/twice.md", text("Twice"));
    const events = h.takeEvents();
    expect(await ingestAndPublish(events)).toEqual(["published"]);
    const before = await h.siteText("atom.xml");
    expect(await ingestAndPublish(events)).toEqual(["published"]);
    expect(await h.contentText("_reports/articles/twice.md.txt")).toBe(`articles/twice.md: published\nversion: ${sha256(text("Twice"))}\n`);
    expect(await h.siteText("atom.xml")).toBe(before);
    expect(await presence("twice")).toEqual(EVERYWHERE);
  });

  it("an older event delivered after a newer one of the same key loses", async () => {
    await h.upload("articles/order.md", text("Version 1"));
    await tick();
    await h.upload("articles/order.md", text("Version 2"));
    const [v1, v2] = h.takeEvents();
    expect(await ingestAndPublish([v2!])).toEqual(["published"]);
    // v1's event arrives late; S3 GetObject would return v2's bytes, but the sequencer says v1 is older.
    expect(await ingestAndPublish([v1!])).toEqual(["stale"]);
    expect(child((await entryIn("", "order"))!, "title").text).toBe("Version 2");
  });

  it("a delete followed by the late create of the older version leaves the article deleted", async () => {
    await h.upload("articles/late.md", text("Late"));
    await tick();
    await h.remove("articles/late.md");
    const [create, remove] = h.takeEvents();
    expect(await ingestAndPublish([remove!])).toEqual(["unchanged"]);
    expect((await ingestAndPublish([create!]))[0]).toBe("gone");
    expect(await presence("late")).toEqual([]);
    // The file comes back as a new version; the old create event is delivered once more
    // before the new one: GetObject returns the new bytes, but the delete's tombstone is
    // newer than the old event, so it loses, and the new event publishes.
    await tick();
    await h.upload("articles/late.md", text("Late, version 3"));
    const [recreate] = h.takeEvents();
    expect(await ingestAndPublish([create!])).toEqual(["stale"]);
    expect(await presence("late")).toEqual([]);
    expect(await ingestAndPublish([recreate!])).toEqual(["published"]);
    expect(child((await entryIn("", "late"))!, "title").text).toBe("Late, version 3");
  });

  it("an event for an object that no longer exists is a no-op; s3:TestEvent is ignored", async () => {
    await h.upload("articles/vanished.md", text("Vanished"));
    const events = h.takeEvents();
    await h.remove("articles/vanished.md");
    h.takeEvents();
    expect(await ingestAndPublish(events)).toEqual(["gone"]);
    expect(await presence("vanished")).toEqual([]);
    expect(await handleS3Event(h.ingestDeps, { Service: "Amazon S3", Event: "s3:TestEvent", Time: "2024-01-01T00:00:00Z", Bucket: "content-bucket" } as never, new Date())).toEqual([]);
  });
});

describe("edits, drafts, deletes, schedules", () => {
  it("an edit keeps the GUID and moves `updated` forward, even when the editor did not change it", async () => {
    await h.upload("articles/edit.md", text("Before"));
    await h.deliver();
    const before = child((await entryIn("", "edit"))!, "updated").text;
    await tick();
    await h.upload("articles/edit.md", text("After", "", "New body."));
    const { results } = await h.deliver();
    expect(results.map((r) => r.outcome)).toEqual(["updated"]);
    const entry = (await entryIn("", "edit"))!;
    expect(child(entry, "title").text).toBe("After");
    expect(Date.parse(child(entry, "updated").text)).toBeGreaterThan(Date.parse(before));
    expect(children(parseXmlStrict(await h.siteText("atom.xml")), "entry").filter((e) => child(e, "id").text === idOf("edit"))).toHaveLength(1);
  });

  it("draft: true removes the article from every feed it was in, and Atom says it was deleted (RFC 6721)", async () => {
    await h.upload("articles/drafted.md", text("Drafted"));
    await h.deliver();
    expect(await presence("drafted")).toEqual(EVERYWHERE);
    await tick();
    await h.upload("articles/drafted.md", text("Drafted", "\ndraft: true"));
    const { results } = await h.deliver();
    expect(results.map((r) => r.outcome)).toEqual(["removed"]);
    expect(await presence("drafted")).toEqual([]);
    for (const dir of FEEDS) {
      const gone = children(parseXmlStrict(await h.siteText(`${dir}atom.xml`)), "at:deleted-entry").map((e) => e.attributes.ref);
      expect(gone, dir).toContain(idOf("drafted"));
    }
  });

  it("deleting the source file removes the article from every feed", async () => {
    await h.upload("articles/deleted.md", text("Deleted"));
    await h.deliver();
    await h.remove("articles/deleted.md");
    const { results } = await h.deliver();
    expect(results.map((r) => r.outcome)).toEqual(["removed"]);
    expect(await presence("deleted")).toEqual([]);
    expect(await presence("anchor")).toEqual(EVERYWHERE);
  });

  it("an article dated in the future is held, and the scheduled run publishes it when its time comes", async () => {
    const at = new Date(Date.now() + 2 * 3600_000);
    const date = at.toISOString().slice(0, 16).replace("T", " ");
    await h.upload("articles/scheduled.md", text("Scheduled").replace("2024-04-01 10:00", date));
    const { results, report } = await h.deliver();
    expect(results.map((r) => r.outcome)).toEqual(["published"]);
    expect(report?.nextScheduled).toBe(new Date(`${date}:00Z`).toISOString());
    expect(await presence("scheduled")).toEqual([]);

    // EventBridge's 5-minute schedule: a run before the time publishes nothing, one after does.
    expect(await handlePublishEvent(h.publishDeps, { "detail-type": "Scheduled Event" } as never, new Date(at.getTime() - 60_000))).toBeUndefined();
    const run = await handlePublishEvent(h.publishDeps, { "detail-type": "Scheduled Event" } as never, new Date(at.getTime() + 60_000));
    expect(run?.written).toEqual(expect.arrayContaining(["atom.xml", "categories/news/atom.xml", "authors/jane/atom.xml"]));
    expect(await presence("scheduled")).toEqual(EVERYWHERE);
  });
});
