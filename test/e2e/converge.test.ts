import type { S3Event } from "aws-lambda";
import { layoutCopy } from "../support/layout-copy.js";
import { mkdtemp, rm, utimes, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemorySite } from "../../lambdas/adapters/memory-site.js";
import { sha256 } from "../../lambdas/app/hash.js";
import { publish } from "../../lambdas/app/publish.js";
import type { SiteFile, SiteWriter } from "../../lambdas/core/ports.js";
import { handleS3Event } from "../../lambdas/ingest.js";
import { handlePublishEvent } from "../../lambdas/publish.js";
import { LocalPipeline } from "../../local/local-pipeline.js";
import { atomStep, jsonStep, rssStep, walk } from "../support/archive-walk.js";
import { encodeAsS3, startAwsHarness, type AwsHarness } from "../support/aws-harness.js";
import { child, children, parseXmlStrict } from "../support/parsers.js";
import { gatedStore } from "../support/gates.js";

/**
 * The ten event sequences that lost, resurrected or froze an article (reviews/attack-2026-11.md),
 * each played through the real handlers on s3rver + dynalite (serve mode for the ninth).
 * After each, one more publish brings the site to exactly what a full rebuild from the
 * table writes, byte for byte, at the same `now`.
 */

const BASE = "https://feeds.example.com";
const ID = "tag:example.com,2026:";
const idOf = (slug: string) => `${ID}${slug}`;
const SCHEDULE = { "detail-type": "Scheduled Event", source: "aws.events" } as never;
let h: AwsHarness;

const text = (title: string, o: { date?: string; author?: string; categories?: string[] } = {}) =>
  `---\ntitle: ${JSON.stringify(title)}\nauthor: ${o.author ?? "jane"}\ndate: ${o.date ?? "2024-04-01 10:00"}\ncategories: [${(o.categories ?? ["News"]).join(", ")}]\n---\nBody of ${title}.\n`;

/** s3rver's sequencer is the upload's millisecond: space uploads of one key apart. */
const tick = () => new Promise((r) => setTimeout(r, 5));



/** An S3 event as S3 sends it for a version delete or a delete-marker removal (s3rver has no versioning). */
function versionEvent(key: string, sequencer: string, name = "ObjectRemoved:Delete"): S3Event {
  return {
    Records: [{
      eventVersion: "2.1", eventSource: "aws:s3", awsRegion: "us-east-1", eventTime: new Date().toISOString(), eventName: name,
      userIdentity: { principalId: "editor" }, requestParameters: { sourceIPAddress: "127.0.0.1" }, responseElements: { "x-amz-request-id": "x", "x-amz-id-2": "y" },
      s3: {
        s3SchemaVersion: "1.0", configurationId: "content",
        bucket: { name: "content-bucket", ownerIdentity: { principalId: "owner" }, arn: "arn:aws:s3:::content-bucket" },
        object: { key: encodeAsS3(key), size: 0, eTag: "", versionId: "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY", sequencer },
      },
    }],
  } as S3Event;
}

/** A sequencer after every one S3 issued so far, and before the next (s3rver's are the millisecond in hex; tick() after it). */
const laterSequencer = () => (Date.now() + 1).toString(16).toUpperCase();

async function atomIds(dir = ""): Promise<string[]> {
  return children(parseXmlStrict(await h.siteText(`${dir}atom.xml`)), "entry").map((e) => child(e, "id").text);
}

/** Where the article is: which current documents of these feed folders carry it. */
async function presence(slug: string, dirs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const dir of dirs) {
    if ((await atomIds(dir)).includes(idOf(slug))) out.push(`${dir}atom.xml`);
    if ((await h.siteText(`${dir}feed.xml`)).includes(`<guid isPermaLink="false">${idOf(slug)}</guid>`)) out.push(`${dir}feed.xml`);
    if ((JSON.parse(await h.siteText(`${dir}feed.json`)) as { items: { id: string }[] }).items.some((i) => i.id === idOf(slug))) out.push(`${dir}feed.json`);
  }
  return out;
}
const everywhere = (dirs: readonly string[]) => dirs.flatMap((d) => [`${d}atom.xml`, `${d}feed.xml`, `${d}feed.json`]);
const NEWS = ["", "categories/news/", "authors/jane/"];

/**
 * The invariant: after one more publish at `now`, every object in the site bucket is
 * exactly what a full rebuild from the table writes at the same `now`, and nothing else.
 */
async function expectConverged(harness: AwsHarness, now: Date): Promise<void> {
  await handlePublishEvent(harness.publishDeps, SCHEDULE, now);
  const rebuilt = new MemorySite();
  // The rebuild reads the same table, but leaves its marks and state alone.
  const readOnly = new Proxy(harness.store, {
    get: (t, p) => (p === "clearDirty" ? async () => undefined : (Reflect.get(t, p) as (...a: unknown[]) => unknown).bind(t)),
  });
  await publish({ store: readOnly, ledger: await layoutCopy(harness.ledger, harness.store), writer: rebuilt }, now, { everything: true });
  const keys = await harness.siteKeys();
  expect(keys.filter((k) => !rebuilt.paths().includes(k)), "only on the site").toEqual([]);
  expect(rebuilt.paths().filter((k) => !keys.includes(k)), "only in the rebuild").toEqual([]);
  for (const key of keys) expect(await harness.siteText(key), key).toBe(rebuilt.read(key)!.body);
  expect(await harness.store.dirtyMarks()).toEqual([]);
  await harness.assertSiteWellFormed();
}

beforeAll(async () => {
  h = await startAwsHarness("converge");
  await h.upload("site.yaml", `title: Converge\nbaseUrl: ${BASE}\nid: "${ID}"\nitemsPerFeed: 10\ntimeZone: UTC\n`);
  await h.upload("authors/jane.md", "---\nname: Jane Doe\n---\n");
  await h.upload("articles/anchor.md", text("Anchor"));
  await h.deliver();
});
afterAll(async () => { await h?.close(); });

describe("the ten sequences of the attack review, on s3rver + dynalite with the real handlers", () => {
  it("1a. two ingests of one key at once: a PUT stalled between its article and index writes, a DELETE runs meanwhile: the article stays deleted", async () => {
    await h.upload("articles/race.md", text("Race v1"));
    const [put] = h.takeEvents();
    const g = gatedStore(h.store, "putFeedEntries");
    const stalled = handleS3Event({ ...h.ingestDeps, store: g.store }, put!, new Date());
    await g.reached.promise; // L1 wrote the article (version 1) and is about to write its index entries
    await h.remove("articles/race.md");
    expect((await h.ingest(h.takeEvents())).map((r) => r.outcome)).toEqual(["removed"]);
    await handlePublishEvent(h.publishDeps, h.takeStream(), new Date());
    g.gate.resolve();
    await stalled; // L1's index writes carry version 1; the delete's records carry version 2: they lose
    await handlePublishEvent(h.publishDeps, h.takeStream(), new Date());
    expect(await presence("race", NEWS)).toEqual([]);
    expect((await h.store.getArticle("race"))?.article).toBeUndefined();
    await expectConverged(h, new Date());
  });

  it("1b. two ingests of one key at once: v1 stalled, v2 moves the date: one entry (v2), and v3 later leaves no trace of v1", async () => {
    await h.upload("articles/twice.md", text("Twice v1", { date: "2024-04-02 10:00" }));
    const [v1] = h.takeEvents();
    const g = gatedStore(h.store, "putFeedEntries");
    const stalled = handleS3Event({ ...h.ingestDeps, store: g.store }, v1!, new Date());
    await g.reached.promise;
    await tick();
    await h.upload("articles/twice.md", text("Twice v2", { date: "2024-04-03 10:00" }));
    await h.ingest(h.takeEvents());
    g.gate.resolve();
    await stalled;
    await handlePublishEvent(h.publishDeps, h.takeStream(), new Date());
    const titles = async () => children(parseXmlStrict(await h.siteText("atom.xml")), "entry").filter((e) => child(e, "id").text === idOf("twice")).map((e) => child(e, "title").text);
    expect(await titles()).toEqual(["Twice v2"]);
    await tick();
    await h.upload("articles/twice.md", text("Twice v3", { date: "2024-04-04 10:00" }));
    await h.deliver();
    expect(await titles()).toEqual(["Twice v3"]);
    await expectConverged(h, new Date());
  });

  it("2. an article processed before its author: held, then published when the author arrives, with no new upload", async () => {
    await h.upload("articles/early.md", text("Early", { author: "newbie" }));
    const first = await h.deliver();
    expect(first.results.map((r) => r.outcome)).toEqual(["held"]);
    expect(await h.contentText("_reports/articles/early.md.txt")).toMatch(/^articles\/early\.md: held\nversion: [0-9a-f]{64}\n.*waiting for author "newbie"/);
    expect(await presence("early", [""])).toEqual([]);
    await h.upload("authors/newbie.md", "---\nname: New Writer\n---\n");
    const second = await h.deliver();
    expect(second.results.map((r) => r.outcome)).toEqual(["published"]);
    expect(await presence("early", ["", "authors/newbie/"])).toEqual(everywhere(["", "authors/newbie/"]));
    expect(await h.contentText("_reports/articles/early.md.txt")).toBe(`articles/early.md: published\nversion: ${sha256(text("Early", { author: "newbie" }))}\n`);
    await expectConverged(h, new Date());
  });

  it("3. a version delete (a noncurrent version, or a delete marker removed) leaves the live article; an undelete brings it back", async () => {
    await h.upload("articles/versioned.md", text("Versioned"));
    await h.deliver();
    // A noncurrent version deleted: ObjectRemoved with a versionId while the current object is there.
    await tick();
    expect((await h.ingest([versionEvent("articles/versioned.md", laterSequencer())])).map((r) => r.outcome)).toEqual(["unchanged"]);
    await handlePublishEvent(h.publishDeps, h.takeStream(), new Date());
    expect(await presence("versioned", NEWS)).toEqual(everywhere(NEWS));
    // Deleted for real (a delete marker), then the marker removed: the object is back, with only an ObjectRemoved event.
    await tick();
    await h.remove("articles/versioned.md");
    expect((await h.deliver()).results.map((r) => r.outcome)).toEqual(["removed"]);
    await h.upload("articles/versioned.md", text("Versioned"));
    h.takeEvents(); // restoring a version sends no ObjectCreated event
    await tick();
    expect((await h.ingest([versionEvent("articles/versioned.md", laterSequencer(), "ObjectRemoved:DeleteMarkerCreated")])).map((r) => r.outcome)).toEqual(["published"]);
    await tick();
    await handlePublishEvent(h.publishDeps, h.takeStream(), new Date());
    expect(await presence("versioned", NEWS)).toEqual(everywhere(NEWS));
    await expectConverged(h, new Date());
  });

  it("4. moving a file as the report advises (upload the new key, delete the old): published under the new key", async () => {
    await h.upload("articles/2024/story.md", text("Story"));
    await h.deliver();
    await h.upload("articles/2025/story.md", text("Story, moved"));
    expect((await h.deliver()).results.map((r) => r.outcome)).toEqual(["rejected"]);
    expect(await h.contentText("_reports/articles/2025/story.md.txt")).toMatch(/the slug "story" is already used by articles\/2024\/story\.md.*this file is published then/);
    await h.remove("articles/2024/story.md");
    expect((await h.deliver()).results.map((r) => r.outcome)).toEqual(["removed"]);
    expect((await h.store.getArticle("story"))?.source.key).toBe("articles/2025/story.md");
    expect(children(parseXmlStrict(await h.siteText("atom.xml")), "entry").filter((e) => child(e, "id").text === idOf("story")).map((e) => child(e, "title").text)).toEqual(["Story, moved"]);
    expect(await h.contentText("_reports/articles/2025/story.md.txt")).toBe(`articles/2025/story.md: published\nversion: ${sha256(text("Story, moved"))}\n`);
    await expectConverged(h, new Date());
  });

  it("4b. the same two files the other way round (the smaller key arrives second): the same result", async () => {
    await h.upload("articles/2025/tale.md", text("Tale, later key"));
    await h.deliver();
    await h.upload("articles/2024/tale.md", text("Tale, smaller key"));
    expect((await h.deliver()).results.map((r) => r.outcome)).toEqual(["updated"]);
    expect(await h.contentText("_reports/articles/2025/tale.md.txt")).toMatch(/^articles\/2025\/tale\.md: rejected\nversion: [0-9a-f]{64}\n.*already used by articles\/2024\/tale\.md/);
    expect((await h.store.getArticle("tale"))?.source.key).toBe("articles/2024/tale.md");
    await expectConverged(h, new Date());
  });

  it("5. a publish that fails past its retries (one feed's writes fail 6 times): the next publish, for anything, renders that feed", async () => {
    await h.upload("articles/tech-two.md", text("Tech two", { categories: ["Tech"] }));
    await h.ingest(h.takeEvents());
    const failing: SiteWriter = {
      hashes: (p) => h.publishDeps.writer.hashes(p),
      write: async (file: SiteFile, hash: string) => {
        if (file.path.startsWith("categories/tech/")) throw new Error("S3 503 SlowDown");
        await h.publishDeps.writer.write(file, hash);
      },
      remove: (p) => h.publishDeps.writer.remove(p),
    };
    const batch = h.takeStream();
    for (let attempt = 0; attempt < 6; attempt++) {
      await expect(handlePublishEvent({ ...h.publishDeps, writer: failing }, batch, new Date())).rejects.toThrow("SlowDown");
    }
    // The stream gave up on that batch. Later, an unrelated article and a scheduled run:
    await h.upload("articles/other-news.md", text("Other news"));
    await h.deliver();
    expect(children(parseXmlStrict(await h.siteText("categories/tech/atom.xml")), "entry").map((e) => child(e, "title").text)).toContain("Tech two");
    await expectConverged(h, new Date());
  });

  it("6. a late scheduled run (no run for 16 minutes after the article came due): the article is published to all its feeds", async () => {
    const due = new Date(Date.now() + 3600_000);
    await h.upload("articles/scheduled.md", text("Scheduled", { date: due.toISOString().slice(0, 16).replace("T", " ") }));
    await h.deliver();
    expect(await presence("scheduled", NEWS)).toEqual([]);
    const late = new Date(due.getTime() + 16 * 60_000);
    await handlePublishEvent(h.publishDeps, SCHEDULE, late);
    expect(await presence("scheduled", NEWS)).toEqual(everywhere(NEWS));
    await expectConverged(h, late);
  });

  it("10. the same upload delivered twice, even at once: both report what happened (published), never a weaker outcome", async () => {
    await h.upload("articles/repeat.md", text("Repeat"));
    const events = h.takeEvents();
    const [a, b] = await Promise.all([h.ingest(events), h.ingest(events)]);
    expect([...a!, ...b!].map((r) => r.outcome)).toEqual(["published", "published"]);
    expect(await h.contentText("_reports/articles/repeat.md.txt")).toBe(`articles/repeat.md: published\nversion: ${sha256(text("Repeat"))}\n`);
    expect(await h.ingest(events)).toMatchObject([{ outcome: "published" }]);
    expect(await h.contentText("_reports/articles/repeat.md.txt")).toBe(`articles/repeat.md: published\nversion: ${sha256(text("Repeat"))}\n`);
    expect((await h.store.getArticle("repeat"))?.ver).toBe(1);
    await expectConverged(h, new Date());
  });
});

describe("archives and site changes (a site of its own)", () => {
  let s: AwsHarness;
  beforeAll(async () => {
    s = await startAwsHarness("converge-site");
    // No `id`: the id prefix comes from the host, and must survive a domain move.
    await s.upload("site.yaml", "title: Small\nbaseUrl: https://old.example.com\nitemsPerFeed: 5\ntimeZone: UTC\n");
    await s.upload("authors/jane.md", "---\nname: Jane Doe\n---\n");
    await s.deliver();
  });
  afterAll(async () => { await s?.close(); });

  it("7. three entries leave the current feed in one scheduled publish: every entry stays reachable exactly once", async () => {
    for (let d = 1; d <= 8; d++) await s.upload(`articles/d${d}.md`, text(`Day ${d}`, { date: `2024-03-0${d} 10:00` }));
    const due = new Date(Date.now() + 3600_000);
    for (let i = 0; i < 3; i++) {
      await s.upload(`articles/due${i}.md`, text(`Due ${i}`, { date: new Date(due.getTime() + i * 60_000).toISOString().slice(0, 16).replace("T", " ") }));
    }
    await s.deliver();
    const late = new Date(due.getTime() + 10 * 60_000);
    await handlePublishEvent(s.publishDeps, SCHEDULE, late);
    const all = [...Array.from({ length: 8 }, (_, i) => `d${i + 1}`), "due0", "due1", "due2"].map((slug) => `tag:old.example.com,2026:${slug}`).sort();
    const read = async (url: string) => s.siteText(url.startsWith("http") ? new URL(url).pathname.slice(1) : url);
    for (const [start, step] of [["atom.xml", atomStep], ["feed.xml", rssStep], ["feed.json", jsonStep]] as const) {
      const chain = await walk(start, read, step);
      expect([...chain.ids].sort(), start).toEqual(all);
    }
    await expectConverged(s, late);
  });

  it("8. a domain move: every current feed gets the new article URLs; GUIDs stay, also after an edit", async () => {
    const ids = async () => children(parseXmlStrict(await s.siteText("atom.xml")), "entry").map((e) => child(e, "id").text);
    await s.upload("site.yaml", "title: Small\nbaseUrl: https://new.example.com\nitemsPerFeed: 5\ntimeZone: UTC\n");
    await s.deliver();
    const feed = parseXmlStrict(await s.siteText("atom.xml"));
    const before = await ids();
    expect(before).toContain("tag:old.example.com,2026:d8");
    expect(before.every((id) => id.startsWith("tag:old.example.com,2026:"))).toBe(true);
    for (const e of children(feed, "entry")) expect(children(e, "link").map((l) => l.attributes.href).join(" ")).toMatch(/^https:\/\/new\.example\.com\//);
    expect(await s.siteText("categories/news/feed.xml")).not.toContain("old.example.com/d");
    await tick();
    await s.upload("articles/d8.md", text("Day 8, edited", { date: "2024-03-08 10:00" }));
    await s.deliver();
    expect(await ids()).toEqual(before);
    expect(await s.siteText("atom.xml")).toContain("Day 8, edited");
    await expectConverged(s, new Date(Date.now() + 2 * 3600_000));
  });
});

describe("9. serve mode orders one file's events by arrival, not by mtime", () => {
  it("restoring an older copy (cp -p, rsync -t, tar x keep the old mtime) publishes it", async () => {
    const work = await mkdtemp(join(tmpdir(), "feedpub-converge-"));
    try {
      const content = join(work, "content");
      await mkdir(join(content, "articles"), { recursive: true });
      await mkdir(join(content, "authors"), { recursive: true });
      await writeFile(join(content, "site.yaml"), `title: Local\nbaseUrl: ${BASE}\nid: "${ID}"\n`);
      await writeFile(join(content, "authors/jane.md"), "---\nname: Jane Doe\n---\n");
      const file = join(content, "articles/restore.md");
      await writeFile(file, text("Version 2"));
      const p = await LocalPipeline.start({ contentDir: content, outDir: join(work, "dist") });
      try {
        await p.buildAll();
        // An older copy comes back, with its old mtime.
        await writeFile(file, text("Version 1"));
        await utimes(file, new Date("2020-01-01T00:00:00Z"), new Date("2020-01-01T00:00:00Z"));
        const r = await p.fileChanged("articles/restore.md", "put");
        expect(r.results.map((x) => x.outcome)).toEqual(["updated"]);
        const { readFile } = await import("node:fs/promises");
        expect(await readFile(join(work, "dist/atom.xml"), "utf8")).toContain("<title type=\"text\">Version 1</title>");
      } finally {
        await p.close();
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
