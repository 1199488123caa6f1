import { describe, expect, it } from "vitest";
import { publish } from "../../lambdas/app/publish.js";
import { URDU_FONT } from "../../lambdas/contracts/paths.js";
import { CACHE_ARCHIVE, CACHE_CURRENT, CACHE_IMMUTABLE, siteFile } from "../../lambdas/core/site-files.js";
import { articleText } from "../support/builders.js";
import { AUTHOR_MD, memoryPipeline, SITE_YAML } from "../support/memory-pipeline.js";

/** Publish on the memory adapters: what is written, invalidated, announced and left behind. */

const NOW = new Date("2024-06-01T00:00:00Z");
const article = (title: string, date: string, category: string) =>
  articleText({ frontMatter: { title, author: "jane-doe", date, categories: [category] } });

/** Site, author, and three articles on three days (two feeds hold two entries each: archives). */
async function published() {
  const p = memoryPipeline();
  for (const r of [
    await p.put("site.yaml", SITE_YAML),
    await p.put("authors/jane-doe.md", AUTHOR_MD),
    await p.put("articles/a.md", article("A", "2024-05-01 10:00", "News")),
    await p.put("articles/b.md", article("B", "2024-05-02 10:00", "News")),
    await p.put("articles/c.md", article("C", "2024-05-03 10:00", "Tech")),
  ]) expect(r.outcome).toBe("published");
  const first = await publish(p.publishDeps, NOW);
  return { p, first };
}

describe("publish", () => {
  it("writes every feed, the index and OPML; invalidates exactly the written paths; pings the hubs with current feeds only", async () => {
    const { p, first } = await published();
    expect(first.written).toEqual(expect.arrayContaining([
      "feed.xml", "atom.xml", "feed.json", "index.html", "feeds.opml",
      "categories/news/feed.xml", "categories/tech/atom.xml", "authors/jane-doe/feed.json",
    ]));
    expect(p.site.paths()).toEqual([...first.written].sort());
    expect(p.invalidator.calls).toHaveLength(1);
    expect(p.invalidator.calls[0]?.paths).toEqual([...first.written].sort().map((w) => `/${w}`));
    expect(p.hubs.calls).toHaveLength(1);
    expect(p.hubs.calls[0]?.hubs).toEqual(["https://hub.example.com/"]);
    expect(p.hubs.calls[0]?.feedUrls).toEqual(expect.arrayContaining(["https://feeds.example.com/feed.xml", "https://feeds.example.com/categories/tech/feed.json"]));
    expect(p.hubs.calls[0]?.feedUrls.some((u) => u.includes("/archive/") || u.endsWith(".html") || u.endsWith(".opml"))).toBe(false);
    expect(first.hubFailures).toBe(0);
  });

  it("reports the hubs that still failed (for the HubFailures metric), and fails nothing else: the feeds are live and the marks cleared", async () => {
    const p = memoryPipeline();
    p.hubs.failing.add("https://down.example.com/");
    p.hubs.failing.add("https://gone.example.com/");
    await p.put("site.yaml", SITE_YAML.replace("hubs:\n", "hubs:\n  - https://down.example.com/\n  - https://gone.example.com/\n"));
    await p.put("authors/jane-doe.md", AUTHOR_MD);
    await p.put("articles/a.md", article("A", "2024-05-01 10:00", "News"));
    const report = await publish(p.publishDeps, NOW);
    expect(p.hubs.calls[0]?.hubs).toEqual(["https://down.example.com/", "https://gone.example.com/", "https://hub.example.com/"]);
    expect(report.hubFailures).toBe(2);
    expect(p.site.paths()).toContain("feed.xml");
    expect(await p.ledger.pendingPaths()).toEqual([]);
    // The next run has nothing to announce, so no failure either: the count is per run.
    const again = await publish(p.publishDeps, NOW);
    expect(p.hubs.calls).toHaveLength(1);
    expect(again.hubFailures).toBe(0);
  });

  it("lets go of the lease and clears the pending paths", async () => {
    const { p } = await published();
    expect(p.ledger.holder).toBeUndefined();
    expect(await p.ledger.pendingPaths()).toEqual([]);
  });

  it("archive pages are cached long but revalidated (an edit must reach readers); current feeds briefly", async () => {
    const { p } = await published();
    // itemsPerFeed is 2: the site feed holds C and B; A (1 May) is on the only page (of 2).
    expect(p.site.read("archive/1/feed.xml")?.cacheControl).toBe(CACHE_ARCHIVE);
    expect(CACHE_ARCHIVE).not.toContain("immutable");
    expect(p.site.read("feed.xml")?.cacheControl).toBe(CACHE_CURRENT);
    expect(p.site.read("feed.xml")?.contentType).toBe("application/rss+xml; charset=utf-8");
    await p.put("articles/d.md", article("D", "2024-05-04 10:00", "Tech"));
    await p.put("articles/e.md", article("E", "2024-05-05 10:00", "Tech"));
    await publish(p.publishDeps, NOW);
    // D pushed B onto page 1 (now full), E pushed C onto a new page 2, linked from page 1.
    expect(p.site.read("archive/2/feed.xml")?.cacheControl).toBe(CACHE_ARCHIVE);
    expect(p.site.read("archive/1/atom.xml")?.body).toContain('rel="next-archive"');
    expect(p.site.read("archive/1/atom.xml")?.body).toContain("archive/2/");
  });

  it("a second publish of the same content writes, invalidates and announces nothing", async () => {
    const { p, first } = await published();
    const second = await publish(p.publishDeps, NOW, { everything: true });
    expect(second.written).toEqual([]);
    expect(second.unchanged).toBe(first.written.length);
    expect(p.invalidator.calls).toHaveLength(1);
    expect(p.hubs.calls).toHaveLength(1);
  });

  it("an edit rewrites only the files it changes", async () => {
    const { p } = await published();
    await p.put("articles/c.md", article("C, edited", "2024-05-03 10:00", "Tech"));
    const report = await publish(p.publishDeps, NOW);
    expect(report.written).toEqual(expect.arrayContaining(["feed.xml", "categories/tech/feed.xml", "authors/jane-doe/atom.xml", "index.html"]));
    expect(report.written.filter((w) => w.startsWith("categories/news/"))).toEqual([]);
    expect(p.site.read("categories/tech/feed.json")?.body).toContain("C, edited");
    expect(p.invalidator.calls.at(-1)?.paths).toEqual([...report.written].sort().map((w) => `/${w}`));
  });

  it("a publish that dies after writing leaves its paths pending; the next one invalidates them though it writes nothing", async () => {
    const { p } = await published();
    await p.put("articles/c.md", article("C, edited", "2024-05-03 10:00", "Tech"));
    const failing = { ...p.publishDeps, invalidator: { invalidate: async () => { throw new Error("CloudFront down"); } } };
    await expect(publish(failing, NOW)).rejects.toThrow("CloudFront down");
    const pending = await p.ledger.pendingPaths();
    expect(pending).toContain("categories/tech/feed.xml");
    expect(p.ledger.holder).toBeUndefined();
    // The marks are still there (the failed run cleared nothing): the retry renders the same feeds.
    expect((await p.store.dirtyMarks()).map((m) => m.feed)).toContain("category/tech");
    const retry = await publish(p.publishDeps, NOW);
    expect(retry.written).toEqual([]);
    expect(await p.store.dirtyMarks()).toEqual([]);
    expect(retry.recovered).toEqual(pending);
    expect(p.invalidator.calls.at(-1)?.paths).toEqual(pending.map((w) => `/${w}`));
    expect(await p.ledger.pendingPaths()).toEqual([]);
  });

  it("writes each feed's page with its current entries, and rewrites it only when they change", async () => {
    const { p, first } = await published();
    expect(first.written).toEqual(expect.arrayContaining(["feed.html", "categories/news/feed.html", "categories/tech/feed.html", "authors/jane-doe/feed.html"]));
    const page = p.site.read("categories/news/feed.html")!;
    expect(page.contentType).toBe("text/html; charset=utf-8");
    expect(page.cacheControl).toBe(CACHE_CURRENT);
    expect(page.body).toContain(">B</a></h3>");
    expect(page.body).toContain(">A</a></h3>");
    // Not a feed document: hubs are never told about it.
    expect(p.hubs.calls[0]?.feedUrls.some((u) => u.endsWith("feed.html"))).toBe(false);
    // A Tech article changes the Tech page (and the site's), not the News page.
    await p.put("articles/d.md", article("D", "2024-05-04 10:00", "Tech"));
    const next = await publish(p.publishDeps, NOW);
    expect(next.written).toEqual(expect.arrayContaining(["categories/tech/feed.html", "feed.html"]));
    expect(next.written).not.toContain("categories/news/feed.html");
    expect(p.site.read("categories/tech/feed.html")?.body).toContain(">D</a></h3>");
  });

  it("writes the static assets (the font) as bytes with the index, once: unchanged bytes are not rewritten", async () => {
    const p = memoryPipeline();
    await p.put("site.yaml", SITE_YAML);
    await p.put("authors/jane-doe.md", AUTHOR_MD);
    expect((await p.put("articles/a.md", article("A", "2024-05-01 10:00", "News"))).outcome).toBe("published");
    const font = new Uint8Array([0x77, 0x4f, 0x46, 0x32, 0x00, 0xff, 1, 2, 3]);
    const deps = { ...p.publishDeps, assets: { files: async () => [siteFile(URDU_FONT, font)] } };
    const first = await publish(deps, NOW);
    expect(first.written).toContain(URDU_FONT);
    expect(p.site.readFile(URDU_FONT)).toMatchObject({ contentType: "font/woff2", cacheControl: CACHE_IMMUTABLE });
    expect(p.site.readBytes(URDU_FONT)).toEqual(font);
    expect((await p.put("articles/b.md", article("B", "2024-05-02 10:00", "News"))).outcome).toBe("published");
    const second = await publish(deps, NOW);
    expect(second.written).toContain("index.html");
    expect(second.written).not.toContain(URDU_FONT);
  });
});
