import { describe, expect, it } from "vitest";
import { indexSk } from "../../../lambdas/contracts/table.js";
import { DuplicateSlugError, StaleEventError } from "../../../lambdas/core/errors.js";
import type { ContentStore } from "../../../lambdas/core/ports.js";
import { aSite, anArticle, anAuthor, anEntry } from "../../support/builders.js";

/**
 * What every `ContentStore` must do, as ingest and publish rely on it. Each adapter's
 * test file runs this suite with a factory that returns an empty store.
 */

export const src = (key: string, seq: string, hash = "h") => ({ key, seq: seq.padStart(32, "0"), hash });
const day = (i: number) => new Date(Date.UTC(2024, 0, 1 + i)).toISOString();

export function describeContentStore(name: string, makeStore: () => Promise<ContentStore>): void {
  describe(`ContentStore contract: ${name}`, () => {
    let store: ContentStore;
    const fresh = async () => { store = await makeStore(); };

    describe("site and authors", () => {
      it("stores site settings and authors", async () => {
        await fresh();
        await store.putSite(aSite(), src("site.yaml", "1"));
        expect(await store.getSite()).toEqual(aSite());
        await store.putAuthor(anAuthor(), src("authors/jane-doe.md", "1"));
        await store.putAuthor(anAuthor({ slug: "b", name: "B" }), src("authors/b.md", "1"));
        expect([...(await store.listAuthors()).keys()]).toEqual(["b", "jane-doe"]);
        await store.deleteAuthor("b", src("authors/b.md", "2"));
        expect([...(await store.listAuthors()).keys()]).toEqual(["jane-doe"]);
      });

      it("no site yet: undefined; an older site.yaml event is stale, the same or a newer one wins", async () => {
        await fresh();
        expect(await store.getSite()).toBeUndefined();
        await store.putSite(aSite({ title: "five" }), src("site.yaml", "5"));
        await expect(store.putSite(aSite({ title: "four" }), src("site.yaml", "4"))).rejects.toBeInstanceOf(StaleEventError);
        await store.putSite(aSite({ title: "five again" }), src("site.yaml", "5"));
        await store.putSite(aSite({ title: "six" }), src("site.yaml", "6"));
        expect((await store.getSite())?.title).toBe("six");
      });

      it("authors: older events are stale; the owner's source and a deletion are reported; a deleted author's file can come back", async () => {
        await fresh();
        expect(await store.getAuthorSource("jane-doe")).toBeUndefined();
        await store.putAuthor(anAuthor({ name: "Jane" }), src("authors/jane-doe.md", "3", "h3"));
        await expect(store.putAuthor(anAuthor({ name: "Old" }), src("authors/jane-doe.md", "2"))).rejects.toBeInstanceOf(StaleEventError);
        await expect(store.deleteAuthor("jane-doe", src("authors/jane-doe.md", "2"))).rejects.toBeInstanceOf(StaleEventError);
        expect(await store.getAuthorSource("jane-doe")).toEqual({ source: src("authors/jane-doe.md", "3", "h3"), deleted: false });
        expect((await store.listAuthors()).get("jane-doe")?.name).toBe("Jane");
        await store.deleteAuthor("jane-doe", src("authors/jane-doe.md", "4"));
        expect(await store.getAuthorSource("jane-doe")).toMatchObject({ source: { key: "authors/jane-doe.md", seq: src("", "4").seq }, deleted: true });
        expect((await store.listAuthors()).has("jane-doe")).toBe(false);
        // Another file (an NFD twin, say) may write the slug: ingest decides who owns it.
        await store.putAuthor(anAuthor({ name: "Twin" }), src("authors/Jane-Doe.md", "1"));
        expect((await store.getAuthorSource("jane-doe"))?.source.key).toBe("authors/Jane-Doe.md");
      });

      it("values read back are copies: changing one changes nothing stored", async () => {
        await fresh();
        await store.putSite(aSite(), src("site.yaml", "1"));
        const site = (await store.getSite()) as { title: string };
        site.title = "mutated";
        expect((await store.getSite())?.title).toBe(aSite().title);
      });
    });

    describe("articles", () => {
      it("an older event of the same key never overwrites a newer one", async () => {
        await fresh();
        const a = anArticle({ slug: "s", title: "new" });
        await store.putArticle(a, src("articles/s.md", "5"));
        await expect(store.putArticle({ ...a, title: "old" }, src("articles/s.md", "4"))).rejects.toBeInstanceOf(StaleEventError);
        // The same event again is accepted (idempotent), a newer one wins.
        await store.putArticle(a, src("articles/s.md", "5"));
        await store.putArticle({ ...a, title: "newer" }, src("articles/s.md", "6"));
        expect((await store.getArticle("s"))?.article?.title).toBe("newer");
      });

      it("putArticle returns the record it replaced, undefined the first time", async () => {
        await fresh();
        expect(await store.getArticle("s")).toBeUndefined();
        expect(await store.putArticle(anArticle({ slug: "s", title: "one" }), src("articles/s.md", "1", "h1"))).toBeUndefined();
        const prev = await store.putArticle(anArticle({ slug: "s", title: "two" }), src("articles/s.md", "2", "h2"));
        expect(prev).toMatchObject({ slug: "s", source: src("articles/s.md", "1", "h1"), article: { title: "one" }, indexPending: true });
        expect(await store.getArticle("s")).toMatchObject({ source: src("articles/s.md", "2", "h2"), article: { title: "two" } });
      });

      it("a delete leaves a tombstone that a late, older create cannot overwrite", async () => {
        await fresh();
        const a = anArticle({ slug: "s" });
        await store.putArticle(a, src("articles/s.md", "1"));
        const prev = await store.deleteArticle("s", src("articles/s.md", "3", ""), "2024-06-01T00:00:00.000Z", []);
        expect(prev?.article?.slug).toBe("s");
        await expect(store.putArticle(a, src("articles/s.md", "2"))).rejects.toBeInstanceOf(StaleEventError);
        expect(await store.getArticle("s")).toMatchObject({ slug: "s", deletedAt: "2024-06-01T00:00:00.000Z" });
        expect((await store.getArticle("s"))?.article).toBeUndefined();
      });

      it("a tombstone keeps the index refs to remove; a newer create of the same file brings the article back", async () => {
        await fresh();
        const refs = [{ feeds: ["site", "category/news"], slug: "s", published: "2024-05-01T10:00:00.000Z" }];
        expect(await store.deleteArticle("s", src("articles/s.md", "1", ""), "2024-06-01T00:00:00.000Z", refs)).toBeUndefined();
        expect(await store.getArticle("s")).toEqual({
          slug: "s", source: src("articles/s.md", "1", ""), deletedAt: "2024-06-01T00:00:00.000Z", staleIndex: refs, indexPending: true,
        });
        await expect(store.deleteArticle("s", src("articles/s.md", "0", ""), "2024-05-01T00:00:00.000Z", [])).rejects.toBeInstanceOf(StaleEventError);
        const prev = await store.putArticle(anArticle({ slug: "s" }), src("articles/s.md", "2"));
        expect(prev).toMatchObject({ deletedAt: "2024-06-01T00:00:00.000Z" });
        expect(prev?.article).toBeUndefined();
        expect((await store.getArticle("s"))?.article?.slug).toBe("s");
      });

      it("a second file with the same slug is a DuplicateSlugError naming the owner, unless it takes over", async () => {
        await fresh();
        const a = anArticle({ slug: "s" });
        await store.putArticle(a, src("articles/2024/s.md", "1"));
        const err = await store.putArticle(a, src("articles/2025/s.md", "9")).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DuplicateSlugError);
        expect((err as DuplicateSlugError).owner).toBe("articles/2024/s.md");
        await store.putArticle(a, src("articles/2025/s.md", "9"), { takeOverFrom: src("articles/2024/s.md", "1") });
        expect((await store.getArticle("s"))?.source.key).toBe("articles/2025/s.md");
      });

      it("a take-over names the exact version it replaces: a stale view of the owner is a DuplicateSlugError", async () => {
        await fresh();
        const a = anArticle({ slug: "s" });
        await store.putArticle(a, src("articles/2024/s.md", "2"));
        await expect(store.putArticle(a, src("articles/2025/s.md", "9"), { takeOverFrom: src("articles/2024/s.md", "1") })).rejects.toBeInstanceOf(DuplicateSlugError);
        expect((await store.getArticle("s"))?.source.key).toBe("articles/2024/s.md");
      });

      it("another file's tombstone gives the slug up; deleting through a file that does not own the slug is a DuplicateSlugError", async () => {
        await fresh();
        const a = anArticle({ slug: "s" });
        await store.putArticle(a, src("articles/2024/s.md", "5"));
        await expect(store.deleteArticle("s", src("articles/2025/s.md", "9", ""), "2024-06-01T00:00:00.000Z", [])).rejects.toBeInstanceOf(DuplicateSlugError);
        await store.deleteArticle("s", src("articles/2024/s.md", "6", ""), "2024-06-01T00:00:00.000Z", []);
        await store.putArticle(a, src("articles/2025/s.md", "1"));
        expect((await store.getArticle("s"))?.source).toEqual(src("articles/2025/s.md", "1"));
      });

      it("markIndexed clears the pending flag only for the same version", async () => {
        await fresh();
        const a = anArticle({ slug: "s" });
        await store.putArticle(a, src("articles/s.md", "1"), { staleIndex: [{ feeds: ["site"], slug: "s", published: "x" }] });
        expect(await store.getArticle("s")).toMatchObject({ indexPending: true, staleIndex: [{ feeds: ["site"] }] });
        await store.markIndexed("s", "2".padStart(32, "0"));
        expect((await store.getArticle("s"))?.indexPending).toBe(true);
        await store.markIndexed("s", "1".padStart(32, "0"));
        expect(await store.getArticle("s")).not.toHaveProperty("indexPending");
        expect(await store.getArticle("s")).not.toHaveProperty("staleIndex");
        // Nothing stored under the slug: nothing happens, nothing is created.
        await store.markIndexed("nobody", "1".padStart(32, "0"));
        expect(await store.getArticle("nobody")).toBeUndefined();
      });

      it("Unicode slugs are exact keys", async () => {
        await fresh();
        await store.putArticle(anArticle({ slug: "آج-کی-خبر" }), src("articles/آج کی خبر.md", "1"));
        expect((await store.getArticle("آج-کی-خبر"))?.source.key).toBe("articles/آج کی خبر.md");
        expect(await store.getArticle("آج-کی-خبر".normalize("NFD"))).toBeUndefined();
      });
    });

    describe("feed index", () => {
      it("queryFeed answers the newest N published entries with one Query, hiding scheduled ones", async () => {
        await fresh();
        const entries = Array.from({ length: 60 }, (_, i) => anEntry({ slug: `e${i}`, published: day(i) }));
        for (const e of entries) await store.putFeedEntries(["site", "category/news"], e);
        const got = await store.queryFeed("site", "2024-02-15T00:00:00.000Z", 10);
        // e45 is published exactly at the cut-off (2024-02-15): included; e46 onwards are scheduled.
        expect(got.map((e) => e.slug)).toEqual(["e45", "e44", "e43", "e42", "e41", "e40", "e39", "e38", "e37", "e36"]);
        expect(await store.nextScheduled("site", "2024-02-15T00:00:00.000Z")).toBe("2024-02-16T00:00:00.000Z");
        expect((await store.queryFeedRange("category/news", "2024-02-10T00:00:00.000Z", "2024-02-12T00:00:00.000Z")).map((e) => e.slug)).toEqual(["e41", "e42"]);
        await store.deleteFeedEntries(["site"], "e45", entries[45]!.published);
        expect((await store.queryFeed("site", "2024-02-15T00:00:00.000Z", 1))[0]?.slug).toBe("e44");
      });

      it("entries read back whole; an upsert replaces; other feeds keep theirs; a limit above the count returns all", async () => {
        await fresh();
        const e = anEntry({ slug: "a", title: "First", published: day(0) });
        await store.putFeedEntries(["site", "author/jane-doe"], e);
        await store.putFeedEntries(["site"], { ...e, title: "Edited" });
        expect(await store.queryFeed("site", day(5), 100)).toEqual([{ ...e, title: "Edited" }]);
        expect(await store.queryFeed("author/jane-doe", day(5), 100)).toEqual([e]);
        expect(await store.queryFeed("category/none", day(5), 100)).toEqual([]);
        expect(await store.nextScheduled("site", day(0))).toBeUndefined();
        await store.putFeedEntries([], e);
        await store.deleteFeedEntries(["site", "category/none"], "a", day(0));
        expect(await store.queryFeed("site", day(5), 100)).toEqual([]);
        expect(await store.queryFeed("author/jane-doe", day(5), 100)).toHaveLength(1);
      });

      it("two entries published at the same instant are both kept, ordered by slug", async () => {
        await fresh();
        await store.putFeedEntries(["site"], anEntry({ slug: "b", published: day(1) }));
        await store.putFeedEntries(["site"], anEntry({ slug: "a", published: day(1) }));
        expect((await store.queryFeed("site", day(1), 10)).map((e) => e.slug)).toEqual(["b", "a"]);
        expect((await store.queryFeedRange("site", day(0), day(1))).map((e) => e.slug)).toEqual(["a", "b"]);
      });

      it("time bounds hold for any slug in DynamoDB's UTF-8 byte order, letters outside the BMP included", async () => {
        await fresh();
        // U+20000 (a CJK letter, a valid slug) sorts above U+FFFF as UTF-8, below it as UTF-16.
        for (const slug of ["\u{20000}", "\uffee", "a"]) await store.putFeedEntries(["site"], anEntry({ slug, published: day(1) }));
        await store.putFeedEntries(["site"], anEntry({ slug: "later", published: day(2) }));
        expect((await store.queryFeed("site", day(1), 10)).map((e) => e.slug)).toEqual(["\u{20000}", "\uffee", "a"]);
        expect((await store.queryFeedRange("site", day(0), day(1))).map((e) => e.slug)).toEqual(["a", "\uffee", "\u{20000}"]);
        expect((await store.queryFeedRange("site", day(1), day(2))).map((e) => e.slug)).toEqual(["later"]);
        expect(await store.nextScheduled("site", day(1))).toBe(day(2));
        expect((await store.queryIndex("site", { op: ">=", value: day(1) }, 2, false)).map((i) => i.entry.slug)).toEqual(["a", "\uffee"]);
      });

      it("queryFeedRange is (from, to]: an entry exactly at `from` is not due again, one at `to` is", async () => {
        await fresh();
        for (let i = 0; i < 5; i++) await store.putFeedEntries(["site"], anEntry({ slug: `e${i}`, published: day(i) }));
        expect((await store.queryFeedRange("site", day(1), day(3))).map((e) => e.slug)).toEqual(["e2", "e3"]);
        expect(await store.queryFeedRange("site", day(4), day(9))).toEqual([]);
      });

      it("queryIndex: <, >= and begins_with on sort keys, newest or oldest first, with limits, across more than a batch of 25", async () => {
        await fresh();
        // 40 entries over 4 days, 10 a day: more than one BatchWriteItem's worth per feed.
        const entries = Array.from({ length: 40 }, (_, i) => anEntry({ slug: `e${String(i).padStart(2, "0")}`, published: `2024-03-0${1 + Math.floor(i / 10)}T${String(i % 10).padStart(2, "0")}:00:00.000Z` }));
        for (const e of entries) await store.putFeedEntries(["site"], e);
        const sks = entries.map(indexSk);
        const day2 = await store.queryIndex("site", { op: "begins_with", value: "2024-03-02" }, 500, true);
        expect(day2.map((i) => i.sk)).toEqual(sks.slice(10, 20).reverse());
        expect(day2[0]?.entry).toEqual(entries[19]);
        expect((await store.queryIndex("site", { op: "begins_with", value: "2024-03-02" }, 3, false)).map((i) => i.entry.slug)).toEqual(["e10", "e11", "e12"]);
        expect((await store.queryIndex("site", { op: "<", value: "2024-03-02" }, 1, true)).map((i) => i.sk)).toEqual([sks[9]]);
        expect((await store.queryIndex("site", { op: ">=", value: "2024-03-03" }, 1, false)).map((i) => i.sk)).toEqual([sks[20]]);
        expect(await store.queryIndex("site", { op: "<", value: "2024-03-01" }, 1, true)).toEqual([]);
        expect(await store.queryIndex("site", { op: ">=", value: "2024-03-05" }, 1, false)).toEqual([]);
        expect(await store.queryIndex("site", { op: ">=", value: "2024-03-01" }, 100, false)).toHaveLength(40);
        expect((await store.queryFeed("site", "2024-03-04T23:59:59.999Z", 33)).map((e) => e.slug)).toEqual(entries.slice(7).reverse().map((e) => e.slug));
      });

      it("queries cross DynamoDB's 1 MB result pages and still honour the limit", async () => {
        await fresh();
        // 14 entries of ~200 KB: about 3 MB in one feed, several pages of a Query.
        const big = "x".repeat(200_000);
        const entries = Array.from({ length: 14 }, (_, i) => anEntry({ slug: `big${String(i).padStart(2, "0")}`, published: day(i), contentHtml: big }));
        await Promise.all(entries.map((e) => store.putFeedEntries(["site"], e)));
        expect((await store.queryFeed("site", day(100), 12)).map((e) => e.slug)).toEqual(entries.slice(2).reverse().map((e) => e.slug));
        expect(await store.queryFeedRange("site", day(-1), day(100))).toHaveLength(14);
        expect((await store.queryIndex("site", { op: ">=", value: "2024" }, 13, false)).map((i) => i.entry.slug)).toEqual(entries.slice(0, 13).map((e) => e.slug));
        expect((await store.queryFeed("site", day(100), 1))[0]?.contentHtml).toHaveLength(200_000);
      });
    });

    describe("deleted entries (RFC 6721)", () => {
      it("are listed per feed, newest first, within the window; cleared when the entry is back", async () => {
        await fresh();
        await store.putDeleted(["site", "category/news"], { id: "tag:a", slug: "a", when: "2024-06-01T00:00:00.000Z" });
        await store.putDeleted(["site"], { id: "tag:b", slug: "b", when: "2024-06-03T00:00:00.000Z" });
        await store.putDeleted(["site"], { id: "tag:c", slug: "c", when: "2024-06-03T00:00:00.000Z" });
        await store.putDeleted(["site"], { id: "tag:old", slug: "old", when: "2024-04-01T00:00:00.000Z" });
        expect(await store.queryDeleted("site", "2024-05-01T00:00:00.000Z")).toEqual([
          { id: "tag:b", slug: "b", when: "2024-06-03T00:00:00.000Z" },
          { id: "tag:c", slug: "c", when: "2024-06-03T00:00:00.000Z" },
          { id: "tag:a", slug: "a", when: "2024-06-01T00:00:00.000Z" },
        ]);
        expect(await store.queryDeleted("category/news", "2024-05-01T00:00:00.000Z")).toEqual([{ id: "tag:a", slug: "a", when: "2024-06-01T00:00:00.000Z" }]);
        // Deleted again later: one record, the latest.
        await store.putDeleted(["category/news"], { id: "tag:a", slug: "a", when: "2024-06-05T00:00:00.000Z" });
        expect(await store.queryDeleted("category/news", "2024-05-01T00:00:00.000Z")).toEqual([{ id: "tag:a", slug: "a", when: "2024-06-05T00:00:00.000Z" }]);
        await store.clearDeleted(["site", "category/news"], "a");
        expect((await store.queryDeleted("site", "2024-01-01T00:00:00.000Z")).map((d) => d.slug)).toEqual(["b", "c", "old"]);
        expect(await store.queryDeleted("category/news", "2024-01-01T00:00:00.000Z")).toEqual([]);
      });
    });

    describe("feed registry", () => {
      it("batch writes over 25 items and a feed registry", async () => {
        await fresh();
        const feeds = Array.from({ length: 40 }, (_, i) => ({ kind: "category" as const, slug: `c${i}`, title: `C ${i}` }));
        await store.registerFeeds([...feeds, ...feeds]);
        expect((await store.listFeeds()).length).toBe(40);
      });

      it("one entry per feed key, the latest title; the site feed too; listed in key order", async () => {
        await fresh();
        await store.registerFeeds([{ kind: "author", slug: "jane", title: "Jane" }, { kind: "site", slug: "", title: "" }]);
        await store.registerFeeds([{ kind: "author", slug: "jane", title: "Jane Doe" }, { kind: "category", slug: "news", title: "News" }]);
        expect(await store.listFeeds()).toEqual([
          { kind: "author", slug: "jane", title: "Jane Doe" },
          { kind: "category", slug: "news", title: "News" },
          { kind: "site", slug: "", title: "" },
        ]);
        await store.registerFeeds([]);
        expect(await store.listFeeds()).toHaveLength(3);
      });
    });
  });
}
