import { describe, expect, it } from "vitest";
import { reparseArticles } from "../../lambdas/app/ingest.js";
import { publish } from "../../lambdas/app/publish.js";
import { articleText } from "../support/builders.js";
import { jsonStep, walk } from "../support/archive-walk.js";
import { AUTHOR_MD, memoryPipeline } from "../support/memory-pipeline.js";

/** Archive pages of bounded size (issue 13): what a site-wide change does to them. */

const NOW = new Date("2024-06-01T00:00:00Z");
const site = (extra = "", base = "https://feeds.example.com") =>
  `title: Archive News\nbaseUrl: ${base}\nitemsPerFeed: 2\narchivePageSize: 3\nid: "tag:example.com,2026:"\n${extra}`;

async function archiveOf(count: number) {
  const p = memoryPipeline();
  await p.put("site.yaml", site());
  await p.put("authors/jane-doe.md", AUTHOR_MD);
  for (let i = 1; i <= count; i++) {
    const day = String(1 + (i % 28)).padStart(2, "0");
    await p.put(`articles/a${i}.md`, articleText({ frontMatter: { title: `A${i}`, author: "jane-doe", date: `2024-04-${day} ${String(i % 24).padStart(2, "0")}:00`, categories: ["News"] } }));
  }
  await publish(p.publishDeps, NOW);
  return p;
}

const archivePaths = (p: ReturnType<typeof memoryPipeline>) => p.site.paths().filter((x) => /archive\/\d+\//.test(x)).sort();

async function chain(p: ReturnType<typeof memoryPipeline>, base: string, dir = "") {
  return walk(`${dir}feed.json`, async (url) => p.site.read(url.startsWith(base) ? url.slice(base.length + 1) : url)!.body, jsonStep);
}

describe("archive pages and site-wide changes", () => {
  it("a site.yaml change (title, address) reaches every archive page of every feed", async () => {
    const p = await archiveOf(20);
    const pages = archivePaths(p);
    // 20 entries, 2 current: 18 archived in pages of 3 in the site feed, category and author feeds alike.
    expect(pages.filter((x) => /^archive\//.test(x))).toHaveLength(6 * 3);
    const r = await p.put("site.yaml", site("", "https://news.example.org/feeds").replace("Archive News", "Renamed News"));
    // The new address is in every article's links: they are parsed again (as the ingest handler does).
    expect(r.reparseArticles).toBe(true);
    await reparseArticles({ store: p.store, source: p.source }, NOW);
    const report = await publish(p.publishDeps, NOW);
    for (const path of pages) {
      const body = p.site.read(path)!.body;
      expect(body, path).toContain("Renamed News");
      expect(body, path).not.toContain("Archive News");
      expect(body, path).not.toContain("https://feeds.example.com");
      expect(report.written).toContain(path);
    }
    // Same pages (same addresses, same entries): only their text changed.
    expect(archivePaths(p)).toEqual(pages);
    expect((await chain(p, "https://news.example.org/feeds")).ids).toHaveLength(20);
  });

  it("a new page size re-cuts every archive under new addresses and removes the old pages", async () => {
    const p = await archiveOf(20);
    const before = archivePaths(p);
    const ids = (await chain(p, "https://feeds.example.com")).ids;
    await p.put("site.yaml", site().replace("archivePageSize: 3", "archivePageSize: 4"));
    await publish(p.publishDeps, NOW);
    const after = archivePaths(p);
    // No address of the old cut survives: a URL never comes to mean other entries.
    expect(after.filter((x) => before.includes(x))).toEqual([]);
    const walked = await chain(p, "https://feeds.example.com");
    expect(walked.ids).toEqual(ids);
    // 18 archived entries in pages of 4: 5 pages, plus the current document.
    expect(walked.pages).toBe(6);
    expect(p.site.read("archive/7/feed.json")).toBeDefined();
    expect((await publish(p.publishDeps, NOW, { everything: true })).written).toEqual([]);
  });

  it("an archive without times (every entry on one day) is cut into pages, nothing dropped", async () => {
    const p = memoryPipeline();
    await p.put("site.yaml", site());
    await p.put("authors/jane-doe.md", AUTHOR_MD);
    for (let i = 1; i <= 40; i++) await p.put(`articles/s${String(i).padStart(2, "0")}.md`, articleText({ frontMatter: { title: `S${i}`, author: "jane-doe", date: "2024-04-01", categories: ["News"] } }));
    await publish(p.publishDeps, NOW);
    const walked = await chain(p, "https://feeds.example.com");
    expect(walked.ids).toHaveLength(40);
    expect(new Set(walked.ids).size).toBe(40);
    expect(walked.pages).toBe(1 + 13);
  });

  it("a full rebuild of an archive of many pages (a batch at a time) keeps every entry once and each page within bounds", async () => {
    const p = memoryPipeline();
    await p.put("site.yaml", site().replace("archivePageSize: 3", "archivePageSize: 2"));
    await p.put("authors/jane-doe.md", AUTHOR_MD);
    // Inserted out of order, published as they come: splits all over the archive.
    for (let i = 0; i < 90; i++) {
      const k = (i * 37) % 90;
      await p.put(`articles/m${k}.md`, articleText({ frontMatter: { title: `M${k}`, author: "jane-doe", date: `2024-03-${String(1 + (k % 28)).padStart(2, "0")} ${String(k % 24).padStart(2, "0")}:${String(k % 60).padStart(2, "0")}`, categories: ["News"] } }));
      if (i % 7 === 0) await publish(p.publishDeps, NOW);
    }
    await publish(p.publishDeps, NOW);
    await p.put("site.yaml", site().replace("archivePageSize: 3", "archivePageSize: 2").replace("Archive News", "Rebuilt News"));
    const rebuild = await publish(p.publishDeps, NOW);
    expect(rebuild.pagesRendered).toBeGreaterThan(2 * 16);
    const walked = await chain(p, "https://feeds.example.com");
    expect(walked.ids).toHaveLength(90);
    expect(new Set(walked.ids).size).toBe(90);
    for (const path of archivePaths(p)) expect(p.site.read(path)!.body, path).toContain("Rebuilt News");
    expect((await publish(p.publishDeps, NOW, { everything: true })).written).toEqual([]);
  });
});
