import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DynamoDbStore } from "../../lambdas/adapters/dynamodb-store.js";
import { StaleEventError, VersionConflictError } from "../../lambdas/core/errors.js";
import { startLocalDynamo, type LocalDynamo } from "../../local/local-dynamo.js";
import { aSite, anArticle, anAuthor, anEntry } from "../support/builders.js";

/** The DynamoDB adapter against dynalite, a real DynamoDB protocol implementation. */
let dynamo: LocalDynamo;
let store: DynamoDbStore;
let table = 0;

beforeAll(async () => { dynamo = await startLocalDynamo("store-test"); });
afterAll(async () => { await dynamo?.close(); });
beforeEach(async () => {
  // A fresh table per test: same server, new name.
  const { CreateTableCommand } = await import("@aws-sdk/client-dynamodb");
  const { createTableInput } = await import("../../lambdas/adapters/table-schema.js");
  const name = `table-${++table}`;
  await dynamo.client.send(new CreateTableCommand(createTableInput(name)));
  store = new DynamoDbStore(dynamo.client, name);
});

const src = (key: string, seq: string, hash = "h") => ({ key, seq: seq.padStart(32, "0"), hash });

describe("DynamoDbStore", () => {
  it("stores site settings and authors", async () => {
    await store.putSite(aSite(), src("site.yaml", "1"));
    expect(await store.getSite()).toEqual(aSite());
    await store.putAuthor(anAuthor(), src("authors/jane-doe.md", "1"));
    await store.putAuthor(anAuthor({ slug: "b", name: "B" }), src("authors/b.md", "1"));
    expect([...(await store.listAuthors()).keys()]).toEqual(["b", "jane-doe"]);
    await store.deleteAuthor("b", src("authors/b.md", "2"));
    expect([...(await store.listAuthors()).keys()]).toEqual(["jane-doe"]);
  });

  it("slug claims: per key, an older event never overwrites a newer one; a delete's claim stops a late older create", async () => {
    await store.claimSlug("s", "articles/s.md", src("", "5").seq, true);
    await expect(store.claimSlug("s", "articles/s.md", src("", "4").seq, true)).rejects.toBeInstanceOf(StaleEventError);
    // The same event again is accepted (idempotent), a newer one wins.
    await store.claimSlug("s", "articles/s.md", src("", "5").seq, true);
    await store.claimSlug("s", "articles/s.md", src("", "7").seq, false);
    await expect(store.claimSlug("s", "articles/s.md", src("", "6").seq, true)).rejects.toBeInstanceOf(StaleEventError);
    expect(await store.slugClaims("s")).toEqual([]);
  });

  it("the live claims of a slug come sorted by key, whatever the order they were made in", async () => {
    await store.claimSlug("s", "articles/2025/s.md", src("", "9").seq, true);
    await store.claimSlug("s", "articles/2024/s.md", src("", "1").seq, true);
    await store.claimSlug("s", "articles/s.md", src("", "1").seq, false);
    expect((await store.slugClaims("s")).map((c) => c.key)).toEqual(["articles/2024/s.md", "articles/2025/s.md"]);
  });

  it("article records: each write is the next version, compare-and-set; a tombstone has no article", async () => {
    const a = anArticle({ slug: "s" });
    await store.writeArticle({ slug: "s", source: src("articles/s.md", "1"), article: a, staleIndex: [], outcome: "published" }, 0);
    await expect(store.writeArticle({ slug: "s", source: src("articles/s.md", "2"), article: a, staleIndex: [], outcome: "updated" }, 0)).rejects.toBeInstanceOf(VersionConflictError);
    await store.writeArticle({ slug: "s", source: src("articles/s.md", "3", ""), deletedAt: "2024-06-01T00:00:00.000Z", staleIndex: [], outcome: "removed" }, 1);
    expect(await store.getArticle("s")).toMatchObject({ slug: "s", ver: 2, deletedAt: "2024-06-01T00:00:00.000Z", outcome: "removed", indexPending: true });
    expect((await store.getArticle("s"))?.article).toBeUndefined();
  });

  it("index items never go back to an older version: a stalled writer's put or delete of an older version is dropped", async () => {
    const e = anEntry({ slug: "v", published: "2024-01-01T00:00:00.000Z" });
    await store.putFeedEntries(["site"], { ...e, title: "v2" }, 2);
    await store.putFeedEntries(["site"], { ...e, title: "v1" }, 1);
    await store.deleteFeedEntries(["site"], "v", e.published, 1);
    expect((await store.queryFeed("site", "2024-12-31T00:00:00.000Z", 5)).map((x) => x.title)).toEqual(["v2"]);
    await store.deleteFeedEntries(["site"], "v", e.published, 3);
    await store.putFeedEntries(["site"], { ...e, title: "v2 again" }, 2);
    expect(await store.queryFeed("site", "2024-12-31T00:00:00.000Z", 5)).toEqual([]);
    expect(await store.queryIndex("site", { op: "begins_with", value: "2024" }, 5, true)).toEqual([]);
    expect(await store.nextScheduled("site", "2023-01-01T00:00:00.000Z")).toBeUndefined();
  });

  it("queryFeed answers the newest N published entries with one Query, hiding scheduled ones", async () => {
    const entries = Array.from({ length: 60 }, (_, i) => anEntry({ slug: `e${i}`, published: new Date(Date.UTC(2024, 0, 1 + i)).toISOString() }));
    for (const e of entries) await store.putFeedEntries(["site", "category/news"], e, 1);
    const got = await store.queryFeed("site", "2024-02-15T00:00:00.000Z", 10);
    // e45 is published exactly at the cut-off (2024-02-15): included; e46 onwards are scheduled.
    expect(got.map((e) => e.slug)).toEqual(["e45", "e44", "e43", "e42", "e41", "e40", "e39", "e38", "e37", "e36"]);
    expect(await store.nextScheduled("site", "2024-02-15T00:00:00.000Z")).toBe("2024-02-16T00:00:00.000Z");
    expect((await store.queryFeedRange("category/news", "2024-02-10T00:00:00.000Z", "2024-02-12T00:00:00.000Z")).map((e) => e.slug)).toEqual(["e41", "e42"]);
    await store.deleteFeedEntries(["site"], "e45", entries[45]!.published, 1);
    expect((await store.queryFeed("site", "2024-02-15T00:00:00.000Z", 1))[0]?.slug).toBe("e44");
  });

  it("batch writes over 25 items and a feed registry", async () => {
    const feeds = Array.from({ length: 40 }, (_, i) => ({ kind: "category" as const, slug: `c${i}`, title: `C ${i}` }));
    await store.registerFeeds([...feeds, ...feeds]);
    expect((await store.listFeeds()).length).toBe(40);
  });

  it("markIndexed clears the pending flag only for the same version", async () => {
    const a = anArticle({ slug: "s" });
    await store.writeArticle({ slug: "s", source: src("articles/s.md", "1"), article: a, staleIndex: [{ feeds: ["site"], slug: "s", published: "x" }], outcome: "published" }, 0);
    expect(await store.getArticle("s")).toMatchObject({ indexPending: true, staleIndex: [{ feeds: ["site"] }] });
    await store.markIndexed("s", 2);
    expect((await store.getArticle("s"))?.indexPending).toBe(true);
    await store.markIndexed("s", 1);
    expect(await store.getArticle("s")).not.toHaveProperty("indexPending");
  });

  it("dirty marks: a mark made again gets a new token, and clearing with the old token leaves it", async () => {
    await store.markDirty([{ feed: "site", day: "2024-01-01" }, { feed: "*" }]);
    const seen = await store.dirtyMarks();
    expect(seen.map((m) => `${m.feed}|${m.day ?? ""}`).sort()).toEqual(["*|", "site|2024-01-01"]);
    await store.markDirty([{ feed: "site", day: "2024-01-01" }]);
    await store.clearDirty(seen);
    expect((await store.dirtyMarks()).map((m) => m.feed)).toEqual(["site"]);
    await store.clearDirty(await store.dirtyMarks());
    expect(await store.dirtyMarks()).toEqual([]);
  });

  it("held files per dependency; the publisher's last time and feed boundaries", async () => {
    await store.hold("author/casper", { key: "articles/a.md", seq: "1", time: "t" });
    await store.hold("author/casper", { key: "articles/b.md", seq: "2", time: "t" });
    await store.release("author/casper", "articles/a.md");
    expect(await store.heldFor("author/casper")).toEqual([{ key: "articles/b.md", seq: "2", time: "t" }]);
    expect(await store.lastPublished()).toBeUndefined();
    await store.setLastPublished("2024-01-01T00:00:00.000Z");
    expect(await store.lastPublished()).toBe("2024-01-01T00:00:00.000Z");
    await store.setBoundary("site", "2024-01-01T00:00:00.000Z#a");
    await store.setBoundary("category/x", "");
    expect(await store.boundaries(["site", "category/x", "author/none"])).toEqual(new Map([["site", "2024-01-01T00:00:00.000Z#a"], ["category/x", ""]]));
    await store.setBoundary("site", undefined);
    expect(await store.boundaries(["site"])).toEqual(new Map());
  });

  it("the publish lease: one holder at a time; free again when released or expired; only the owner renews or releases", async () => {
    const t = 1_000_000;
    expect(await store.tryLease("a", t, 1000)).toEqual({ acquired: true, holder: "a", expiresAtMs: t + 1000 });
    expect(await store.tryLease("b", t + 10, 1000)).toEqual({ acquired: false, holder: "a", expiresAtMs: t + 1000 });
    expect((await store.tryLease("a", t + 20, 1000)).acquired).toBe(true); // re-entrant for its owner
    expect(await store.renewLease("b", t + 30, 1000)).toBe(false);
    await store.releaseLease("b"); // not b's: nothing happens
    expect((await store.tryLease("b", t + 40, 1000)).acquired).toBe(false);
    expect(await store.renewLease("a", t + 50, 1000)).toBe(true);
    expect((await store.tryLease("b", t + 1049, 1000)).acquired).toBe(false); // renewed until t + 1050
    expect((await store.tryLease("b", t + 1051, 1000)).acquired).toBe(true); // expired: b takes it
    expect(await store.renewLease("a", t + 1060, 1000)).toBe(false); // a lost it
    await store.releaseLease("b");
    expect(await store.renewLease("b", t + 1070, 1000)).toBe(false); // released: nothing to renew
    expect((await store.tryLease("c", t + 1080, 1000)).acquired).toBe(true);
  });

  it("pending paths: a set; clearing removes exactly the given paths", async () => {
    expect(await store.pendingPaths()).toEqual([]);
    await store.addPending(["feed.xml", "atom.xml"]);
    await store.addPending(["atom.xml", "index.html"]);
    expect(await store.pendingPaths()).toEqual(["atom.xml", "feed.xml", "index.html"]);
    await store.clearPending(["atom.xml", "feed.xml", "not-there.xml"]);
    expect(await store.pendingPaths()).toEqual(["index.html"]);
    await store.clearPending(["index.html"]);
    expect(await store.pendingPaths()).toEqual([]);
    const many = Array.from({ length: 1200 }, (_, i) => `archive/2024-01-${i}/feed.xml`);
    await store.addPending(many);
    await store.clearPending(many);
    expect(await store.pendingPaths()).toEqual([]);
  });
});
