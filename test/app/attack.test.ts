import { describe, expect, it } from "vitest";
import { layoutCopy } from "../support/layout-copy.js";
import { MemoryPublishLedger } from "../../lambdas/adapters/memory-publish-ledger.js";
import { MemorySite } from "../../lambdas/adapters/memory-site.js";
import { ingest, reparseArticles } from "../../lambdas/app/ingest.js";
import { publish } from "../../lambdas/app/publish.js";
import type { ContentStore, PublishLedger } from "../../lambdas/core/ports.js";
import { articleText } from "../support/builders.js";
import { AUTHOR_MD, memoryPipeline, SITE_YAML } from "../support/memory-pipeline.js";
import { crashAfter, gatedStore } from "../support/gates.js";

/**
 * Attacks on the guarantee of README "When things go wrong", on the memory adapters:
 * after one more publish at `now`, the site is byte for byte a full rebuild from the table
 * at the same `now`, and the table is what a fresh ingest of the bucket's files would hold.
 */

type Pipeline = ReturnType<typeof memoryPipeline>;




async function rebuild(store: ContentStore, now: Date, ledger?: PublishLedger): Promise<MemorySite> {
  const site = new MemorySite();
  const readOnly = new Proxy(store, {
    get: (t, p) => (p === "clearDirty" ? async () => undefined : (Reflect.get(t, p) as (...a: unknown[]) => unknown).bind(t)),
  });
  await publish({ store: readOnly, ledger: ledger ? await layoutCopy(ledger, store) : new MemoryPublishLedger(), writer: site }, now, { everything: true });
  return site;
}

const snapshot = (site: MemorySite) => Object.fromEntries(site.paths().sort().map((p) => [p, site.read(p)!.body]));

/** One more publish at `now`, then the site is exactly the full rebuild from the table. */
async function expectConverged(p: Pipeline, now: Date): Promise<void> {
  await publish(p.publishDeps, now);
  expect(snapshot(p.site)).toEqual(snapshot(await rebuild(p.store, now, p.ledger)));
  expect(await p.store.dirtyMarks()).toEqual([]);
}

/** The table equals a fresh ingest of the bucket's files: compared by what each publishes. */
async function expectTableIsFreshIngest(p: Pipeline, now: Date): Promise<void> {
  const fresh = memoryPipeline();
  const keys = p.source.keys();
  const order = (k: string) => (k === "site.yaml" ? 0 : k.startsWith("authors/") ? 1 : 2);
  for (const k of [...keys].sort((a, b) => order(a) - order(b) || (a < b ? -1 : 1))) {
    const f = (await p.source.read(k))!;
    fresh.source.put(k, f.body);
    await ingest({ store: fresh.store, source: fresh.source }, { key: k, type: "put", seq: "1", time: "2024-06-01T00:00:00.000Z" }, now);
  }
  const strip = (s: Record<string, string>) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.replace(/<(updated|lastBuildDate)>[^<]*<\/\1>|"date_modified": "[^"]*"/g, "")]));
  expect(strip(snapshot(await rebuild(p.store, now)))).toEqual(strip(snapshot(await rebuild(fresh.store, now))));
}

const NOW = new Date("2024-06-01T00:00:00Z");
const art = (title: string, extra: Record<string, unknown> = {}) =>
  articleText({ frontMatter: { title, author: "jane-doe", date: "2024-05-01 10:00", categories: ["News"], ...extra } });

async function ready(): Promise<Pipeline> {
  const p = memoryPipeline();
  await p.put("site.yaml", SITE_YAML);
  await p.put("authors/jane-doe.md", AUTHOR_MD);
  await p.put("articles/anchor.md", art("Anchor", { date: "2024-04-01 10:00" }));
  await publish(p.publishDeps, NOW);
  return p;
}

describe("attack: publish between an ingest's dirty marks and its feed registration", () => {
  it("a new category: a publish that runs while the ingest is between markDirty and registerFeeds leaves the category feed titled by its slug", async () => {
    const p = await ready();
    const g = gatedStore(p.store, "registerFeeds");
    p.source.put("articles/ev.md", art("EV", { categories: ["Electric Cars"] }), "a1");
    const run = ingest({ store: g.store, source: p.source }, { key: "articles/ev.md", type: "put", seq: "a1", time: NOW.toISOString() }, NOW);
    await g.reached.promise; // index written, feeds marked dirty, the registry not yet told
    await publish(p.publishDeps, NOW); // renders categories/electric-cars/ with the fallback title, clears the marks
    g.gate.resolve();
    await run;
    await expectConverged(p, NOW);
  });

  it("a new category: a crash after the index writes and before registerFeeds; the redelivered event never registers the feed", async () => {
    const p = await ready();
    p.source.put("articles/ev.md", art("EV", { categories: ["Electric Cars"] }), "a1");
    const event = { key: "articles/ev.md", type: "put" as const, seq: "a1", time: NOW.toISOString() };
    await expect(ingest({ store: crashAfter(p.store, "markIndexed"), source: p.source }, event, NOW)).rejects.toThrow(/crash/);
    expect((await ingest({ store: p.store, source: p.source }, event, NOW)).outcome).toBe("published"); // Lambda's retry
    await expectConverged(p, NOW);
  });
});

describe("attack: a stalled version's feeds", () => {
  it("v1 (category Tech) stalls before its index writes, v2 (News) removes it from Tech and marks Tech: the Tech feed must be registered when marked", async () => {
    const p = await ready();
    const g = gatedStore(p.store, "putFeedEntries");
    p.source.put("articles/ev.md", art("EV v1", { categories: ["Tech"] }), "a1");
    const v1 = ingest({ store: g.store, source: p.source }, { key: "articles/ev.md", type: "put", seq: "a1", time: NOW.toISOString() }, NOW);
    await g.reached.promise; // v1's record written, its index writes held
    p.source.put("articles/ev.md", art("EV v2"), "a2");
    await ingest({ store: p.store, source: p.source }, { key: "articles/ev.md", type: "put", seq: "a2", time: NOW.toISOString() }, NOW);
    await publish(p.publishDeps, NOW);
    g.gate.resolve();
    await v1; // loses at the version check
    await expectConverged(p, NOW);
  });
});

describe("attack: a publish at an earlier `now` than the last", () => {
  it("an article due between the two clocks stays on the site though a rebuild at the earlier `now` leaves it out", async () => {
    const p = await ready();
    await p.put("articles/soon.md", art("Soon", { date: "2024-06-01 06:00" }));
    const later = new Date("2024-06-01T12:00:00Z");
    await publish(p.publishDeps, later); // "Soon" is due: on the site
    expect(p.site.read("atom.xml")!.body).toContain("Soon");
    // The next run's clock is behind (another Lambda, a local build with a different clock):
    await expectConverged(p, NOW);
  });
});

describe("attack: site.yaml moves the site while articles are ingested", () => {
  const MOVED = SITE_YAML.replace("https://feeds.example.com", "https://news.example.org");

  it("a crash after putSite and before the reparse: the retried event sees no change, the articles keep the old links", async () => {
    const p = await ready();
    p.source.put("site.yaml", MOVED, "s2");
    const event = { key: "site.yaml", type: "put" as const, seq: "s2", time: NOW.toISOString() };
    await expect(ingest({ store: crashAfter(p.store, "putSite"), source: p.source }, event, NOW)).rejects.toThrow(/crash/);
    const retry = await ingest({ store: p.store, source: p.source }, event, NOW); // Lambda's retry of the event
    if (retry.reparseArticles) await reparseArticles({ store: p.store, source: p.source }, NOW);
    await expectConverged(p, NOW);
    await expectTableIsFreshIngest(p, NOW);
    expect((await p.store.getArticle("anchor"))!.article!.url).toContain("news.example.org");
  });

  it("an article ingested while site.yaml changes baseUrl: parsed with the old site, written after the reparse listed it", async () => {
    const p = await ready();
    const g = gatedStore(p.store, "writeArticle");
    p.source.put("articles/ev.md", art("EV"), "a1");
    const run = ingest({ store: g.store, source: p.source }, { key: "articles/ev.md", type: "put", seq: "a1", time: NOW.toISOString() }, NOW);
    await g.reached.promise; // parsed with the old baseUrl, about to write
    const r = await p.put("site.yaml", MOVED);
    expect(r.reparseArticles).toBe(true);
    await reparseArticles({ store: p.store, source: p.source }, NOW); // as the handler does: "ev" has no record yet
    g.gate.resolve();
    await run;
    await expectConverged(p, NOW);
    expect((await p.store.getArticle("ev"))!.article!.url).toContain("news.example.org");
    await expectTableIsFreshIngest(p, NOW);
  });

  it("an edit racing the reparse: the edit's compare-and-set retry reuses its parse with the old site", async () => {
    const p = await ready();
    const g = gatedStore(p.store, "writeArticle");
    p.source.put("articles/anchor.md", art("Anchor, edited", { date: "2024-04-01 10:00" }), "a9");
    const run = ingest({ store: g.store, source: p.source }, { key: "articles/anchor.md", type: "put", seq: "a9", time: NOW.toISOString() }, NOW);
    await g.reached.promise;
    await p.put("site.yaml", MOVED);
    await reparseArticles({ store: p.store, source: p.source }, NOW); // reparses the stored (older) anchor: ver + 1
    g.gate.resolve();
    await run; // VersionConflict, retried with the same parse: old links
    await expectConverged(p, NOW);
    expect((await p.store.getArticle("anchor"))!.article!.url).toContain("news.example.org");
  });
});

describe("attack: site.yaml settings that parsing uses besides the links", () => {
  it("a timeZone change: stored articles keep dates read in the old zone, a fresh ingest reads them in the new one", async () => {
    const p = await ready();
    const r = await p.put("site.yaml", `${SITE_YAML}timeZone: Asia/Karachi\n`);
    if (r.reparseArticles) await reparseArticles({ store: p.store, source: p.source }, NOW);
    await expectConverged(p, NOW);
    expect((await p.store.getArticle("anchor"))!.article!.published).toBe("2024-04-01T05:00:00.000Z");
    await expectTableIsFreshIngest(p, NOW);
  });

  it("a language change: an article whose lang equals the new site language still carries it", async () => {
    const p = await ready();
    await p.put("articles/ur.md", art("Urdu", { lang: "ur" }));
    const r = await p.put("site.yaml", `${SITE_YAML}language: ur\n`);
    if (r.reparseArticles) await reparseArticles({ store: p.store, source: p.source }, NOW);
    await expectConverged(p, NOW);
    await expectTableIsFreshIngest(p, NOW);
  });
});

describe("attack: a site move and the authors", () => {
  it("a baseUrl change: an author's relative avatar stays on the old host (authors are not parsed again)", async () => {
    const p = await ready();
    await p.put("authors/jane-doe.md", "---\nname: Jane Doe\navatar: /img/jane.png\n---\nJane writes.\n");
    const r = await p.put("site.yaml", SITE_YAML.replace("https://feeds.example.com", "https://news.example.org"));
    expect(r.reparseArticles).toBe(true);
    await reparseArticles({ store: p.store, source: p.source }, NOW);
    await expectConverged(p, NOW);
    expect((await p.store.listAuthors()).get("jane-doe")!.avatar).toBe("https://news.example.org/img/jane.png");
    await expectTableIsFreshIngest(p, NOW);
  });
});

describe("attack: publish reads the marks after the things they announce", () => {
  it("site.yaml's title changes while a publish has read the site but not yet the marks: the `*` mark is cleared and the old title stays", async () => {
    const p = await ready();
    const g = gatedStore(p.store, "dirtyMarks");
    const run = publish({ ...p.publishDeps, store: g.store }, NOW); // getSite, listFeeds, listAuthors read; dirtyMarks held
    await g.reached.promise;
    await p.put("site.yaml", SITE_YAML.replace("Test News", "Renamed News")); // putSite, then markDirty("*")
    g.gate.resolve();
    await run;
    await expectConverged(p, NOW);
  });

  it("an author renamed while a publish has read the authors but not yet the marks", async () => {
    const p = await ready();
    const g = gatedStore(p.store, "dirtyMarks");
    const run = publish({ ...p.publishDeps, store: g.store }, NOW);
    await g.reached.promise;
    await p.put("authors/jane-doe.md", "---\nname: Jane Roe\n---\n");
    g.gate.resolve();
    await run;
    await expectConverged(p, NOW);
  });
});

// The documented exception to "the table equals a fresh ingest" (README, "When things go
// wrong"): like a rejected edit, a file whose new version waits for an author keeps its
// last good version online, and deleting an author file unpublishes none of its articles.
// The site still equals a rebuild from the table.
describe("attack: an author that goes while articles name it (the documented exception)", () => {
  it("the author file deleted: its articles stay published, and the site equals a rebuild", async () => {
    const p = await ready();
    await p.remove("authors/jane-doe.md");
    await expectConverged(p, NOW);
    expect((await p.store.getArticle("anchor"))?.article?.authors).toEqual(["jane-doe"]);
    expect(p.site.read("atom.xml")!.body).toContain("Anchor");
  });

  it("an article edited to name an author that does not exist: held, its old version stays published until the author comes", async () => {
    const p = await ready();
    expect((await p.put("articles/anchor.md", art("Anchor by Bob", { date: "2024-04-01 10:00", author: "bob" }))).outcome).toBe("held");
    await expectConverged(p, NOW);
    expect((await p.store.getArticle("anchor"))?.article?.title).not.toBe("Anchor by Bob");
    expect((await p.store.heldFor("author/bob")).map((f) => f.key)).toEqual(["articles/anchor.md"]);
    expect((await p.put("authors/bob.md", "---\nname: Bob\n---\n")).also?.map((a) => [a.key, a.outcome])).toEqual([["articles/anchor.md", "updated"]]);
    await expectConverged(p, NOW);
    expect(await p.store.getArticle("anchor")).toMatchObject({ article: { title: "Anchor by Bob", authors: ["bob"] } });
  });
});

describe("attack: time-driven changes besides articles coming due", () => {
  it("a retraction record ages out of its 30 days with no event: the feeds keep announcing it, a rebuild no longer does", async () => {
    const p = await ready();
    await p.put("articles/gone.md", art("Gone"));
    await publish(p.publishDeps, NOW);
    await p.remove("articles/gone.md"); // retraction records dated 2024-06-02
    await publish(p.publishDeps, new Date("2024-06-02T00:00:00Z"));
    expect(p.site.read("atom.xml")!.body).toContain("deleted-entry");
    await expectConverged(p, new Date("2024-07-05T00:00:00Z"));
  });
});
