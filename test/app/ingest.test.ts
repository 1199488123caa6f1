import { describe, expect, it } from "vitest";
import { ingest } from "../../lambdas/app/ingest.js";
import { indexSk } from "../../lambdas/contracts/table.js";
import { articleText } from "../support/builders.js";
import { AUTHOR_MD, memoryPipeline, SITE_YAML } from "../support/memory-pipeline.js";

/** Ingest on the memory adapters: every outcome, fast. */

const NOW = new Date("2024-06-01T00:00:00Z");

async function ready() {
  const p = memoryPipeline();
  expect((await p.put("site.yaml", SITE_YAML)).outcome).toBe("published");
  expect((await p.put("authors/jane-doe.md", AUTHOR_MD)).outcome).toBe("published");
  return p;
}

const article = (title: string, extra: Record<string, unknown> = {}) =>
  articleText({ frontMatter: { title, author: "jane-doe", date: "2024-05-01 10:00", categories: ["News"], ...extra } });

describe("ingest", () => {
const marked = async (p: ReturnType<typeof memoryPipeline>) => (await p.store.dirtyMarks()).map((m) => `${m.feed}|${m.at ?? ""}`).sort();

  it("a new article: stored, indexed in each of its feeds, and those feeds marked dirty for its index key", async () => {
    const p = await ready();
    await p.store.clearDirty(await p.store.dirtyMarks());
    const r = await p.put("articles/ev.md", article("EV"));
    expect(r.outcome).toBe("published");
    const stored = await p.store.getArticle("ev");
    expect(stored?.article?.title).toBe("EV");
    expect(stored).not.toHaveProperty("indexPending");
    expect(indexSk(stored!.article!)).toMatch(/^2024-05-01T/);
    expect(await marked(p)).toEqual(["author/jane-doe|2024-05-01T10:00:00.000Z#ev", "category/news|2024-05-01T10:00:00.000Z#ev", "site|2024-05-01T10:00:00.000Z#ev"]);
    for (const feed of ["site", "category/news", "author/jane-doe"]) {
      expect((await p.store.queryFeed(feed, NOW.toISOString(), 10)).map((e) => e.slug)).toEqual(["ev"]);
    }
    expect((await p.store.listFeeds()).map((f) => f.title).sort()).toEqual(["", "Jane Doe", "News"]);
  });

  it("site settings and authors change every feed", async () => {
    const p = memoryPipeline();
    await p.put("site.yaml", SITE_YAML);
    expect(await marked(p)).toEqual(["*|"]);
    await p.store.clearDirty(await p.store.dirtyMarks());
    await p.put("authors/jane-doe.md", AUTHOR_MD);
    expect(await marked(p)).toEqual(["*|"]);
  });

  it("an edit: updated, the GUID kept, `updated` moved forward, the index entry replaced", async () => {
    const p = await ready();
    await p.put("articles/ev.md", article("EV"));
    await p.store.clearDirty(await p.store.dirtyMarks());
    const before = (await p.store.getArticle("ev"))!.article!;
    const r = await p.put("articles/ev.md", article("EV, edited", { categories: ["Tech"] }), "2024-05-20T00:00:00.000Z");
    expect(r.outcome).toBe("updated");
    const after = (await p.store.getArticle("ev"))!.article!;
    expect(after.id).toBe(before.id);
    expect(after.updated > before.updated).toBe(true);
    // It left category/news: its entry there is removed and announced as deleted.
    expect(await p.store.queryFeed("category/news", NOW.toISOString(), 10)).toEqual([]);
    expect((await p.store.queryDeleted("category/news", "2024-01-01T00:00:00.000Z")).map((d) => d.slug)).toEqual(["ev"]);
    expect((await p.store.queryFeed("category/tech", NOW.toISOString(), 10)).map((e) => e.title)).toEqual(["EV, edited"]);
    expect(await marked(p)).toEqual(["author/jane-doe|2024-05-01T10:00:00.000Z#ev", "category/news|2024-05-01T10:00:00.000Z#ev", "category/tech|2024-05-01T10:00:00.000Z#ev", "site|2024-05-01T10:00:00.000Z#ev"]);
  });

  it("a delete: removed, a tombstone left, every index entry gone and announced", async () => {
    const p = await ready();
    await p.put("articles/ev.md", article("EV"));
    await p.store.clearDirty(await p.store.dirtyMarks());
    const r = await p.remove("articles/ev.md");
    expect(r.outcome).toBe("removed");
    expect(await p.store.getArticle("ev")).toMatchObject({ deletedAt: "2024-06-02T00:00:00.000Z" });
    expect((await p.store.getArticle("ev"))?.article).toBeUndefined();
    for (const feed of ["site", "category/news", "author/jane-doe"]) {
      expect(await p.store.queryFeed(feed, NOW.toISOString(), 10)).toEqual([]);
      expect((await p.store.queryDeleted(feed, "2024-01-01T00:00:00.000Z")).map((d) => d.slug)).toEqual(["ev"]);
    }
    expect(await marked(p)).toEqual(["author/jane-doe|2024-05-01T10:00:00.000Z#ev", "category/news|2024-05-01T10:00:00.000Z#ev", "site|2024-05-01T10:00:00.000Z#ev"]);
  });

  it("a draft is stored but in no feed; publishing it later puts it in", async () => {
    const p = await ready();
    await p.store.clearDirty(await p.store.dirtyMarks());
    const r = await p.put("articles/ev.md", article("EV", { draft: true }));
    expect(r.outcome).toBe("removed");
    expect((await p.store.getArticle("ev"))?.article?.draft).toBe(true);
    expect(await p.store.queryFeed("site", NOW.toISOString(), 10)).toEqual([]);
    expect(await marked(p)).toEqual([]);
    expect((await p.put("articles/ev.md", article("EV"))).outcome).toBe("updated");
    expect((await p.store.queryFeed("site", NOW.toISOString(), 10)).map((e) => e.slug)).toEqual(["ev"]);
  });

  it("a second live file with the same slug is rejected; when the first is deleted, it takes the slug over with no new upload", async () => {
    const p = await ready();
    await p.put("articles/2024/ev.md", article("First"));
    const r = await p.put("articles/2025/ev.md", article("Second"));
    expect(r.outcome).toBe("rejected");
    expect(r.problems[0]).toMatchObject({ file: "articles/2025/ev.md", field: "file name", severity: "error" });
    expect(r.problems[0]?.message).toContain("articles/2024/ev.md");
    expect((await p.store.getArticle("ev"))?.article?.title).toBe("First");
    // The first file is deleted: its delete event ingests the next file in line.
    const removal = await p.remove("articles/2024/ev.md");
    expect(removal.outcome).toBe("removed");
    expect(removal.also?.map((a) => [a.key, a.outcome])).toEqual([["articles/2025/ev.md", "published"]]);
    expect((await p.store.getArticle("ev"))?.source.key).toBe("articles/2025/ev.md");
    expect((await p.store.queryFeed("site", NOW.toISOString(), 10)).map((e) => e.title)).toEqual(["Second"]);
  });

  it("the smallest key owns a slug whatever the order: a smaller key arriving later takes over, and the other file's report says so", async () => {
    const p = await ready();
    await p.put("articles/2025/ev.md", article("Later key"));
    const r = await p.put("articles/2024/ev.md", article("Smaller key"));
    expect(r.outcome).toBe("updated");
    expect(r.also?.map((a) => [a.key, a.outcome])).toEqual([["articles/2025/ev.md", "rejected"]]);
    expect((await p.store.queryFeed("site", NOW.toISOString(), 10)).map((e) => e.title)).toEqual(["Smaller key"]);
  });

  it("two files of one slug at once: the larger key read the claims before the smaller claimed, and writes last: the smaller key still ends owning the slug", async () => {
    const p = await ready();
    p.source.put("articles/2025/ev.md", article("Larger key"), "1");
    p.source.put("articles/2024/ev.md", article("Smaller key"), "1");
    // Hold the larger key's ingest after its ownership check, before it reads the article.
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let reached!: () => void;
    const atGate = new Promise<void>((r) => { reached = r; });
    let held = false;
    const store = new Proxy(p.store, {
      get: (t, prop) => {
        const v = Reflect.get(t, prop) as (...a: unknown[]) => unknown;
        if (prop !== "getArticle") return typeof v === "function" ? v.bind(t) : v;
        return async (...a: unknown[]) => { if (!held) { held = true; reached(); await gate; } return v.apply(t, a); };
      },
    });
    const larger = ingest({ store, source: p.source }, { key: "articles/2025/ev.md", type: "put", seq: "1", time: "2024-05-02T00:00:00.000Z" }, NOW);
    await atGate;
    const smaller = await ingest({ store: p.store, source: p.source }, { key: "articles/2024/ev.md", type: "put", seq: "1", time: "2024-05-02T00:00:00.000Z" }, NOW);
    expect(smaller.outcome).toBe("published");
    release();
    const r = await larger;
    // Reports in the order they are written: the last one of each file is what stays.
    expect(r.also?.map((a) => [a.key, a.outcome])).toEqual([["articles/2024/ev.md", "rejected"], ["articles/2024/ev.md", "updated"], ["articles/2025/ev.md", "rejected"]]);
    expect((await p.store.getArticle("ev"))?.source.key).toBe("articles/2024/ev.md");
    expect((await p.store.queryFeed("site", NOW.toISOString(), 10)).map((e) => e.title)).toEqual(["Smaller key"]);
  });

  it("a stale event (older than what is stored) changes nothing", async () => {
    const p = await ready();
    p.source.put("articles/ev.md", article("New"));
    expect((await ingest({ store: p.store, source: p.source }, { key: "articles/ev.md", type: "put", seq: "0500", time: "2024-05-02T00:00:00.000Z" }, NOW)).outcome).toBe("published");
    const older = await ingest({ store: p.store, source: p.source }, { key: "articles/ev.md", type: "put", seq: "0400", time: "2024-05-01T00:00:00.000Z" }, NOW);
    expect(older).toMatchObject({ outcome: "stale" });
    const olderDelete = await ingest({ store: p.store, source: p.source }, { key: "articles/ev.md", type: "delete", seq: "0450", time: "2024-05-01T00:00:00.000Z" }, NOW);
    expect(olderDelete.outcome).toBe("stale");
    expect((await p.store.getArticle("ev"))?.article?.title).toBe("New");
  });

  it("a repeated event writes nothing and reports what the first delivery reported", async () => {
    const p = await ready();
    p.source.put("articles/ev.md", article("EV"));
    const event = { key: "articles/ev.md", type: "put" as const, seq: "0a", time: "2024-05-02T00:00:00.000Z" };
    expect((await ingest({ store: p.store, source: p.source }, event, NOW)).outcome).toBe("published");
    await p.store.clearDirty(await p.store.dirtyMarks());
    const again = await ingest({ store: p.store, source: p.source }, event, NOW);
    expect(again.outcome).toBe("published");
    expect((await p.store.getArticle("ev"))?.ver).toBe(1);
    expect(await marked(p)).toEqual([]);
  });

  it("a file that vanished before its event was handled is `gone`; keys outside the layout are ignored", async () => {
    const p = await ready();
    expect((await ingest({ store: p.store, source: p.source }, { key: "articles/never.md", type: "put", seq: "1", time: "2024-05-02T00:00:00.000Z" }, NOW)).outcome).toBe("gone");
    expect((await p.put("articles/.DS_Store", "x")).outcome).toBe("ignored");
  });

  it("an article before the site settings, or before its author, is held, and published when they arrive", async () => {
    const p = memoryPipeline();
    const r = await p.put("articles/ev.md", article("EV"));
    expect(r.outcome).toBe("held");
    expect(r.problems[0]?.fix).toMatch(/site\.yaml/);
    const site = await p.put("site.yaml", SITE_YAML);
    expect(site.also?.map((a) => [a.key, a.outcome])).toEqual([["articles/ev.md", "held"]]);
    expect((await p.store.heldFor("author/jane-doe")).map((f) => f.key)).toEqual(["articles/ev.md"]);
    const author = await p.put("authors/jane-doe.md", AUTHOR_MD);
    expect(author.also?.map((a) => [a.key, a.outcome])).toEqual([["articles/ev.md", "published"]]);
    expect((await p.store.queryFeed("site", NOW.toISOString(), 10)).map((e) => e.slug)).toEqual(["ev"]);
    expect(await p.store.heldFor("author/jane-doe")).toEqual([]);
  });
});
