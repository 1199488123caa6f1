import { describe, expect, it } from "vitest";
import { indexSk } from "../../../lambdas/contracts/table.js";
import { StaleEventError, VersionConflictError } from "../../../lambdas/core/errors.js";
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
      const rec = (slug: string, source: ReturnType<typeof src>, title?: string) =>
        ({ slug, source, ...(title !== undefined ? { article: anArticle({ slug, title }) } : {}), staleIndex: [], outcome: "published" as const });

      it("each write is the next version, compare-and-set: a writer that read an older version loses with VersionConflictError", async () => {
        await fresh();
        expect(await store.getArticle("s")).toBeUndefined();
        await store.writeArticle(rec("s", src("articles/s.md", "1", "h1"), "one"), 0);
        await expect(store.writeArticle(rec("s", src("articles/s.md", "2", "h2"), "two"), 0)).rejects.toBeInstanceOf(VersionConflictError);
        await store.writeArticle(rec("s", src("articles/s.md", "2", "h2"), "two"), 1);
        await expect(store.writeArticle(rec("s", src("articles/s.md", "3"), "three"), 1)).rejects.toBeInstanceOf(VersionConflictError);
        expect(await store.getArticle("s")).toMatchObject({ slug: "s", ver: 2, source: src("articles/s.md", "2", "h2"), article: { title: "two" }, indexPending: true, outcome: "published" });
      });

      it("a tombstone has no article and keeps the index refs to remove; a later version brings the article back", async () => {
        await fresh();
        const refs = [{ feeds: ["site", "category/news"], slug: "s", published: "2024-05-01T10:00:00.000Z", id: "tag:s" }];
        await store.writeArticle({ slug: "s", source: src("articles/s.md", "1", ""), deletedAt: "2024-06-01T00:00:00.000Z", staleIndex: refs, outcome: "removed" }, 0);
        expect(await store.getArticle("s")).toEqual({
          slug: "s", source: src("articles/s.md", "1", ""), deletedAt: "2024-06-01T00:00:00.000Z", staleIndex: refs, indexPending: true, ver: 1, outcome: "removed",
        });
        await store.writeArticle(rec("s", src("articles/s.md", "2"), "back"), 1);
        expect(await store.getArticle("s")).toMatchObject({ ver: 2, article: { title: "back" } });
        expect(await store.getArticle("s")).not.toHaveProperty("deletedAt");
      });

      it("markIndexed clears the pending flag only for the same version", async () => {
        await fresh();
        await store.writeArticle({ ...rec("s", src("articles/s.md", "1"), "t"), staleIndex: [{ feeds: ["site"], slug: "s", published: "x" }] }, 0);
        expect(await store.getArticle("s")).toMatchObject({ indexPending: true, staleIndex: [{ feeds: ["site"] }] });
        await store.markIndexed("s", 2);
        expect((await store.getArticle("s"))?.indexPending).toBe(true);
        await store.markIndexed("s", 1);
        expect(await store.getArticle("s")).not.toHaveProperty("indexPending");
        expect(await store.getArticle("s")).not.toHaveProperty("staleIndex");
        // Nothing stored under the slug: nothing happens, nothing is created.
        await store.markIndexed("nobody", 1);
        expect(await store.getArticle("nobody")).toBeUndefined();
      });

      it("Unicode slugs are exact keys", async () => {
        await fresh();
        await store.writeArticle(rec("آج-کی-خبر", src("articles/آج کی خبر.md", "1"), "t"), 0);
        expect((await store.getArticle("آج-کی-خبر"))?.source.key).toBe("articles/آج کی خبر.md");
        expect(await store.getArticle("آج-کی-خبر".normalize("NFD"))).toBeUndefined();
      });
    });

    describe("slug claims", () => {
      it("per key, an older event never overwrites a newer one; a delete's claim stops a late older create", async () => {
        await fresh();
        await store.claimSlug("s", "articles/s.md", src("", "5").seq, true);
        await expect(store.claimSlug("s", "articles/s.md", src("", "4").seq, true)).rejects.toBeInstanceOf(StaleEventError);
        // The same event again is accepted (idempotent), a newer one wins.
        await store.claimSlug("s", "articles/s.md", src("", "5").seq, true);
        expect(await store.slugClaims("s")).toEqual([{ key: "articles/s.md", seq: src("", "5").seq }]);
        await store.claimSlug("s", "articles/s.md", src("", "7").seq, false);
        await expect(store.claimSlug("s", "articles/s.md", src("", "6").seq, true)).rejects.toBeInstanceOf(StaleEventError);
        expect(await store.slugClaims("s")).toEqual([]);
      });

      it("the live claims of a slug come in UTF-8 key order, whatever the order they were made in", async () => {
        await fresh();
        await store.claimSlug("s", "articles/2025/s.md", src("", "9").seq, true);
        await store.claimSlug("s", "articles/\u{20000}/s.md", src("", "1").seq, true);
        await store.claimSlug("s", "articles/\uffee/s.md", src("", "1").seq, true);
        await store.claimSlug("s", "articles/2024/s.md", src("", "1").seq, true);
        await store.claimSlug("s", "articles/s.md", src("", "1").seq, false);
        expect((await store.slugClaims("s")).map((c) => c.key)).toEqual(["articles/2024/s.md", "articles/2025/s.md", "articles/\uffee/s.md", "articles/\u{20000}/s.md"]);
        expect(await store.slugClaims("other")).toEqual([]);
      });
    });

    describe("held files and dirty marks", () => {
      it("held files per dependency; released one by one", async () => {
        await fresh();
        await store.hold("author/casper", { key: "articles/b.md", seq: "2", time: "t" });
        await store.hold("author/casper", { key: "articles/a.md", seq: "1", time: "t" });
        await store.hold("site", { key: "articles/c.md", seq: "1", time: "t" });
        expect((await store.heldFor("author/casper")).map((f) => f.key).sort()).toEqual(["articles/a.md", "articles/b.md"]);
        await store.release("author/casper", "articles/a.md", "1");
        await store.release("author/casper", "articles/none.md", "1");
        expect(await store.heldFor("author/casper")).toEqual([{ key: "articles/b.md", seq: "2", time: "t" }]);
        expect(await store.heldFor("author/nobody")).toEqual([]);
      });

      it("a hold keeps the newest event of its key; a release removes only that event's hold or an older one", async () => {
        await fresh();
        await store.hold("site", { key: "authors/ann.md", seq: "0C", time: "t2" });
        await store.hold("site", { key: "authors/ann.md", seq: "0A", time: "t1" });
        expect(await store.heldFor("site")).toEqual([{ key: "authors/ann.md", seq: "0C", time: "t2" }]);
        await store.release("site", "authors/ann.md", "0A");
        expect(await store.heldFor("site")).toEqual([{ key: "authors/ann.md", seq: "0C", time: "t2" }]);
        await store.release("site", "authors/ann.md", "0D");
        expect(await store.heldFor("site")).toEqual([]);
      });

      it("dirty marks: one per feed and index key; a mark made again gets a new token, and clearing with the old token leaves it", async () => {
        await fresh();
        await store.markDirty([{ feed: "site", at: "2024-01-01T10:00:00.000Z#a" }, { feed: "*" }, { feed: "site", at: "2024-01-01T10:00:00.000Z#a" }]);
        const seen = await store.dirtyMarks();
        expect(seen.map((m) => `${m.feed}|${m.at ?? ""}`).sort()).toEqual(["*|", "site|2024-01-01T10:00:00.000Z#a"]);
        await store.markDirty([{ feed: "site", at: "2024-01-01T10:00:00.000Z#a" }]);
        await store.clearDirty(seen);
        expect(await store.dirtyMarks()).toEqual([expect.objectContaining({ feed: "site", at: "2024-01-01T10:00:00.000Z#a" })]);
        await store.clearDirty(await store.dirtyMarks());
        expect(await store.dirtyMarks()).toEqual([]);
      });
    });

    describe("feed index", () => {
      it("queryFeed answers the newest N published entries with one Query, hiding scheduled ones", async () => {
        await fresh();
        const entries = Array.from({ length: 60 }, (_, i) => anEntry({ slug: `e${i}`, published: day(i) }));
        for (const e of entries) await store.putFeedEntries(["site", "category/news"], e, 1);
        const got = await store.queryFeed("site", "2024-02-15T00:00:00.000Z", 10);
        // e45 is published exactly at the cut-off (2024-02-15): included; e46 onwards are scheduled.
        expect(got.map((e) => e.slug)).toEqual(["e45", "e44", "e43", "e42", "e41", "e40", "e39", "e38", "e37", "e36"]);
        expect(await store.nextScheduled("site", "2024-02-15T00:00:00.000Z")).toBe("2024-02-16T00:00:00.000Z");
        expect((await store.queryFeedRange("category/news", "2024-02-10T00:00:00.000Z", "2024-02-12T00:00:00.000Z")).map((e) => e.slug)).toEqual(["e41", "e42"]);
        await store.deleteFeedEntries(["site"], "e45", entries[45]!.published, 2);
        expect((await store.queryFeed("site", "2024-02-15T00:00:00.000Z", 1))[0]?.slug).toBe("e44");
      });

      it("entries read back whole; an upsert replaces; other feeds keep theirs; a limit above the count returns all", async () => {
        await fresh();
        const e = anEntry({ slug: "a", title: "First", published: day(0) });
        await store.putFeedEntries(["site", "author/jane-doe"], e, 1);
        await store.putFeedEntries(["site"], { ...e, title: "Edited" }, 1);
        expect(await store.queryFeed("site", day(5), 100)).toEqual([{ ...e, title: "Edited" }]);
        expect(await store.queryFeed("author/jane-doe", day(5), 100)).toEqual([e]);
        expect(await store.queryFeed("category/none", day(5), 100)).toEqual([]);
        expect(await store.nextScheduled("site", day(0))).toBeUndefined();
        await store.putFeedEntries([], e, 1);
        await store.deleteFeedEntries(["site", "category/none"], "a", day(0), 2);
        expect(await store.queryFeed("site", day(5), 100)).toEqual([]);
        expect(await store.queryFeed("author/jane-doe", day(5), 100)).toHaveLength(1);
      });

      it("two entries published at the same instant are both kept, ordered by slug", async () => {
        await fresh();
        await store.putFeedEntries(["site"], anEntry({ slug: "b", published: day(1) }), 1);
        await store.putFeedEntries(["site"], anEntry({ slug: "a", published: day(1) }), 1);
        expect((await store.queryFeed("site", day(1), 10)).map((e) => e.slug)).toEqual(["b", "a"]);
        expect((await store.queryFeedRange("site", day(0), day(1))).map((e) => e.slug)).toEqual(["a", "b"]);
      });

      it("time bounds hold for any slug in DynamoDB's UTF-8 byte order, letters outside the BMP included", async () => {
        await fresh();
        // U+20000 (a CJK letter, a valid slug) sorts above U+FFFF as UTF-8, below it as UTF-16.
        for (const slug of ["\u{20000}", "\uffee", "a"]) await store.putFeedEntries(["site"], anEntry({ slug, published: day(1) }), 1);
        await store.putFeedEntries(["site"], anEntry({ slug: "later", published: day(2) }), 1);
        expect((await store.queryFeed("site", day(1), 10)).map((e) => e.slug)).toEqual(["\u{20000}", "\uffee", "a"]);
        expect((await store.queryFeedRange("site", day(0), day(1))).map((e) => e.slug)).toEqual(["a", "\uffee", "\u{20000}"]);
        expect((await store.queryFeedRange("site", day(1), day(2))).map((e) => e.slug)).toEqual(["later"]);
        expect(await store.nextScheduled("site", day(1))).toBe(day(2));
        expect((await store.queryIndex("site", { op: ">=", value: day(1) }, 2, false)).map((i) => i.entry.slug)).toEqual(["a", "\uffee"]);
      });

      it("queryFeedRange is (from, to]: an entry exactly at `from` is not due again, one at `to` is", async () => {
        await fresh();
        for (let i = 0; i < 5; i++) await store.putFeedEntries(["site"], anEntry({ slug: `e${i}`, published: day(i) }), 1);
        expect((await store.queryFeedRange("site", day(1), day(3))).map((e) => e.slug)).toEqual(["e2", "e3"]);
        expect(await store.queryFeedRange("site", day(4), day(9))).toEqual([]);
      });

      it("queryIndex: <, >= and begins_with on sort keys, newest or oldest first, with limits, across more than a batch of 25", async () => {
        await fresh();
        // 40 entries over 4 days, 10 a day: more than one BatchWriteItem's worth per feed.
        const entries = Array.from({ length: 40 }, (_, i) => anEntry({ slug: `e${String(i).padStart(2, "0")}`, published: `2024-03-0${1 + Math.floor(i / 10)}T${String(i % 10).padStart(2, "0")}:00:00.000Z` }));
        for (const e of entries) await store.putFeedEntries(["site"], e, 1);
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

      it("queryIndex range: from a key (included) to a key (excluded), with a limit or none, even when the upper key is an entry", async () => {
        await fresh();
        const entries = Array.from({ length: 40 }, (_, i) => anEntry({ slug: `r${String(i).padStart(2, "0")}`, published: `2024-03-0${1 + Math.floor(i / 10)}T${String(i % 10).padStart(2, "0")}:00:00.000Z` }));
        for (const e of entries) await store.putFeedEntries(["site"], e, 1);
        const sks = entries.map(indexSk);
        const range = (from: string, before: string, limit = Number.POSITIVE_INFINITY) => store.queryIndex("site", { op: "range", value: from, before }, limit, false);
        expect((await range(sks[5]!, sks[31]!)).map((i) => i.sk)).toEqual(sks.slice(5, 31));
        expect((await range(sks[5]!, sks[31]!, 3)).map((i) => i.sk)).toEqual(sks.slice(5, 8));
        expect((await range(sks[5]!, sks[8]!, 3)).map((i) => i.sk)).toEqual(sks.slice(5, 8));
        expect((await range("", sks[2]!)).map((i) => i.sk)).toEqual(sks.slice(0, 2));
        expect(await range(sks[7]!, sks[7]!)).toEqual([]);
        expect((await range(sks[38]!, "2025")).map((i) => i.sk)).toEqual(sks.slice(38));
        // A removed entry is not in any range.
        await store.deleteFeedEntries(["site"], entries[6]!.slug, entries[6]!.published, 2);
        expect((await range(sks[5]!, sks[8]!)).map((i) => i.sk)).toEqual([sks[5], sks[7]]);
      });

      it("queries cross DynamoDB's 1 MB result pages and still honour the limit", async () => {
        await fresh();
        // 14 entries of ~200 KB: about 3 MB in one feed, several pages of a Query.
        const big = "x".repeat(200_000);
        const entries = Array.from({ length: 14 }, (_, i) => anEntry({ slug: `big${String(i).padStart(2, "0")}`, published: day(i), contentHtml: big }));
        await Promise.all(entries.map((e) => store.putFeedEntries(["site"], e, 1)));
        expect((await store.queryFeed("site", day(100), 12)).map((e) => e.slug)).toEqual(entries.slice(2).reverse().map((e) => e.slug));
        expect(await store.queryFeedRange("site", day(-1), day(100))).toHaveLength(14);
        expect((await store.queryIndex("site", { op: ">=", value: "2024" }, 13, false)).map((i) => i.entry.slug)).toEqual(entries.slice(0, 13).map((e) => e.slug));
        expect((await store.queryFeed("site", day(100), 1))[0]?.contentHtml).toHaveLength(200_000);
      });
    });

    describe("index versions", () => {
      it("an index item never goes back to an older version: a stalled writer's put or delete of an older version is dropped", async () => {
        await fresh();
        const e = anEntry({ slug: "v", published: day(0) });
        await store.putFeedEntries(["site"], { ...e, title: "v2" }, 2);
        await store.putFeedEntries(["site"], { ...e, title: "v1" }, 1);
        await store.deleteFeedEntries(["site"], "v", e.published, 1);
        expect((await store.queryFeed("site", day(5), 5)).map((x) => x.title)).toEqual(["v2"]);
        // The same version again is accepted (a retry).
        await store.putFeedEntries(["site"], { ...e, title: "v2 retried" }, 2);
        expect((await store.queryFeed("site", day(5), 5)).map((x) => x.title)).toEqual(["v2 retried"]);
        await store.deleteFeedEntries(["site"], "v", e.published, 3);
        await store.putFeedEntries(["site"], { ...e, title: "v2 late" }, 2);
        expect(await store.queryFeed("site", day(5), 5)).toEqual([]);
        expect(await store.queryIndex("site", { op: "begins_with", value: "2024" }, 5, true)).toEqual([]);
        expect(await store.queryFeedRange("site", day(-1), day(5))).toEqual([]);
        expect(await store.nextScheduled("site", day(-1))).toBeUndefined();
        // A newer version writes it again.
        await store.putFeedEntries(["site"], { ...e, title: "v4" }, 4);
        expect((await store.queryFeed("site", day(5), 5)).map((x) => x.title)).toEqual(["v4"]);
      });

      it("removed items do not count against a query's limit", async () => {
        await fresh();
        for (let i = 0; i < 30; i++) await store.putFeedEntries(["site"], anEntry({ slug: `e${i}`, published: day(i) }), 1);
        for (let i = 10; i < 30; i++) await store.deleteFeedEntries(["site"], `e${i}`, day(i), 2);
        expect((await store.queryFeed("site", day(100), 3)).map((e) => e.slug)).toEqual(["e9", "e8", "e7"]);
        expect((await store.queryIndex("site", { op: ">=", value: day(5) }, 3, false)).map((i) => i.entry.slug)).toEqual(["e5", "e6", "e7"]);
        expect(await store.nextScheduled("site", day(9))).toBeUndefined();
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
