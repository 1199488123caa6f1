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
  it("a new article: stored, indexed in each of its feeds, and the change names those feeds and entries", async () => {
    const p = await ready();
    const r = await p.put("articles/ev.md", article("EV"));
    expect(r.outcome).toBe("published");
    const stored = await p.store.getArticle("ev");
    expect(stored?.article?.title).toBe("EV");
    expect(stored).not.toHaveProperty("indexPending");
    const sk = indexSk(stored!.article!);
    expect(r.change).toEqual({ all: false, feeds: ["site", "category/news", "author/jane-doe"], entries: [
      { feed: "site", sk }, { feed: "category/news", sk }, { feed: "author/jane-doe", sk },
    ] });
    for (const feed of ["site", "category/news", "author/jane-doe"]) {
      expect((await p.store.queryFeed(feed, NOW.toISOString(), 10)).map((e) => e.slug)).toEqual(["ev"]);
    }
    expect((await p.store.listFeeds()).map((f) => f.title).sort()).toEqual(["", "Jane Doe", "News"]);
  });

  it("site settings and authors change every feed", async () => {
    const p = memoryPipeline();
    expect((await p.put("site.yaml", SITE_YAML)).change.all).toBe(true);
    expect((await p.put("authors/jane-doe.md", AUTHOR_MD)).change.all).toBe(true);
  });

  it("an edit: updated, the GUID kept, `updated` moved forward, the index entry replaced", async () => {
    const p = await ready();
    await p.put("articles/ev.md", article("EV"));
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
    expect(r.change.feeds).toEqual(expect.arrayContaining(["site", "category/news", "category/tech", "author/jane-doe"]));
  });

  it("a delete: removed, a tombstone left, every index entry gone and announced", async () => {
    const p = await ready();
    await p.put("articles/ev.md", article("EV"));
    const r = await p.remove("articles/ev.md");
    expect(r.outcome).toBe("removed");
    expect(await p.store.getArticle("ev")).toMatchObject({ deletedAt: "2024-06-02T00:00:00.000Z" });
    expect((await p.store.getArticle("ev"))?.article).toBeUndefined();
    for (const feed of ["site", "category/news", "author/jane-doe"]) {
      expect(await p.store.queryFeed(feed, NOW.toISOString(), 10)).toEqual([]);
      expect((await p.store.queryDeleted(feed, "2024-01-01T00:00:00.000Z")).map((d) => d.slug)).toEqual(["ev"]);
    }
    expect(r.change.feeds).toEqual(["site", "category/news", "author/jane-doe"]);
  });

  it("a draft is stored but in no feed; publishing it later puts it in", async () => {
    const p = await ready();
    const r = await p.put("articles/ev.md", article("EV", { draft: true }));
    expect(r.outcome).toBe("removed");
    expect((await p.store.getArticle("ev"))?.article?.draft).toBe(true);
    expect(await p.store.queryFeed("site", NOW.toISOString(), 10)).toEqual([]);
    expect(r.change.feeds).toEqual([]);
    expect((await p.put("articles/ev.md", article("EV"))).outcome).toBe("updated");
    expect((await p.store.queryFeed("site", NOW.toISOString(), 10)).map((e) => e.slug)).toEqual(["ev"]);
  });

  it("a second live file with the same slug is rejected; once the first is gone, it takes the slug over", async () => {
    const p = await ready();
    await p.put("articles/2024/ev.md", article("First"));
    const r = await p.put("articles/2025/ev.md", article("Second"));
    expect(r.outcome).toBe("rejected");
    expect(r.problems[0]).toMatchObject({ file: "articles/2025/ev.md", field: "file name", severity: "error" });
    expect(r.problems[0]?.message).toContain("articles/2024/ev.md");
    expect((await p.store.getArticle("ev"))?.article?.title).toBe("First");
    // The first file is moved away (its delete event not yet delivered): the second takes over.
    p.source.delete("articles/2024/ev.md");
    expect((await p.put("articles/2025/ev.md", article("Second"))).outcome).toBe("updated");
    expect((await p.store.getArticle("ev"))?.source.key).toBe("articles/2025/ev.md");
    // The late delete of the first file leaves the new owner alone.
    expect((await p.remove("articles/2024/ev.md")).outcome).toBe("ignored");
    expect((await p.store.queryFeed("site", NOW.toISOString(), 10)).map((e) => e.title)).toEqual(["Second"]);
  });

  it("a stale event (older than what is stored) changes nothing", async () => {
    const p = await ready();
    p.source.put("articles/ev.md", article("New"));
    expect((await ingest({ store: p.store, source: p.source }, { key: "articles/ev.md", type: "put", seq: "0500", time: "2024-05-02T00:00:00.000Z" }, NOW)).outcome).toBe("published");
    const older = await ingest({ store: p.store, source: p.source }, { key: "articles/ev.md", type: "put", seq: "0400", time: "2024-05-01T00:00:00.000Z" }, NOW);
    expect(older).toMatchObject({ outcome: "stale", change: { all: false, feeds: [] } });
    const olderDelete = await ingest({ store: p.store, source: p.source }, { key: "articles/ev.md", type: "delete", seq: "0450", time: "2024-05-01T00:00:00.000Z" }, NOW);
    expect(olderDelete.outcome).toBe("stale");
    expect((await p.store.getArticle("ev"))?.article?.title).toBe("New");
  });

  it("a repeated event is a no-op", async () => {
    const p = await ready();
    p.source.put("articles/ev.md", article("EV"));
    const event = { key: "articles/ev.md", type: "put" as const, seq: "0a", time: "2024-05-02T00:00:00.000Z" };
    expect((await ingest({ store: p.store, source: p.source }, event, NOW)).outcome).toBe("published");
    const again = await ingest({ store: p.store, source: p.source }, event, NOW);
    expect(again).toMatchObject({ outcome: "unchanged", change: { all: false, feeds: [] } });
  });

  it("a file that vanished before its event was handled is `gone`; keys outside the layout are ignored", async () => {
    const p = await ready();
    expect((await ingest({ store: p.store, source: p.source }, { key: "articles/never.md", type: "put", seq: "1", time: "2024-05-02T00:00:00.000Z" }, NOW)).outcome).toBe("gone");
    expect((await p.put("articles/.DS_Store", "x")).outcome).toBe("ignored");
  });

  it("an article before the site settings is rejected with a fix", async () => {
    const p = memoryPipeline();
    const r = await p.put("articles/ev.md", article("EV"));
    expect(r.outcome).toBe("rejected");
    expect(r.problems[0]?.fix).toMatch(/site\.yaml/);
  });
});
