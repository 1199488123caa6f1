import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalPipeline } from "../../local/local-pipeline.js";
import { atomStep, jsonStep, link, rssStep, walk as walkChain } from "../support/archive-walk.js";
import { child, children, parseXmlStrict } from "../support/parsers.js";

/**
 * RFC 5005 archives: from the current feed, following prev-archive (Atom, RSS) or
 * next_url (JSON Feed) back to the oldest page finds every published article exactly
 * once; pages hold at most `archivePageSize` entries; a new article rewrites only the pages it touches.
 */

const BASE = "https://feeds.example.com";
const NOW = new Date("2026-01-01T00:00:00Z");
let work: string;
let out: string;
let content: string;
let pipeline: LocalPipeline;

// 11 articles over 6 days, several on the same day, one scheduled in the future.
const DATES = ["2024-01-01 09:00", "2024-01-01 15:00", "2024-01-02 10:00", "2024-01-04 08:00", "2024-01-04 09:00", "2024-01-04 10:00", "2024-01-05 12:00", "2024-01-07 07:00", "2024-01-07 08:00", "2024-01-08 09:00", "2024-01-09 09:00"];

async function article(slug: string, date: string, title = slug): Promise<void> {
  await writeFile(join(content, "articles", `${slug}.md`), `---\ntitle: ${title}\nauthor: jane\ndate: ${date}\ncategories: [News]\n---\nBody of ${slug}.\n`);
}

const pathOf = (url: string) => join(out, decodeURIComponent(url.slice(BASE.length + 1)));
const walk = (start: string, step: typeof atomStep) => walkChain(start, (url) => readFile(pathOf(url), "utf8"), step);

const idOf = (slug: string) => `tag:example.com,2026:${slug}`;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "feedpub-archive-"));
  content = join(work, "content");
  out = join(work, "dist");
  await mkdir(join(content, "articles"), { recursive: true });
  await mkdir(join(content, "authors"), { recursive: true });
  await writeFile(join(content, "site.yaml"), `title: Archive test\nbaseUrl: ${BASE}\nitemsPerFeed: 3\narchivePageSize: 3\nid: "tag:example.com,2026:"\n`);
  await writeFile(join(content, "authors/jane.md"), "---\nname: Jane\n---\n");
  for (const [i, d] of DATES.entries()) await article(`a${String(i).padStart(2, "0")}`, d);
  await article("scheduled", "2030-01-01 00:00");
  pipeline = await LocalPipeline.start({ contentDir: content, outDir: out, now: () => NOW });
  await pipeline.buildAll();
});
afterAll(async () => {
  await pipeline?.close();
  await rm(work, { recursive: true, force: true });
});

describe("archive chain", () => {
  const all = DATES.map((_, i) => idOf(`a${String(i).padStart(2, "0")}`)).reverse();

  it("Atom, RSS and JSON Feed chains each find every published article exactly once, newest first", async () => {
    for (const [file, step] of [["atom.xml", atomStep], ["feed.xml", rssStep], ["feed.json", jsonStep]] as const) {
      const { ids, pages } = await walk(`${BASE}/${file}`, step);
      expect(ids, file).toEqual(all);
      expect(pages, file).toBe(4); // the current feed (3 entries) and 8 archived in pages of 3, 3 and 2
    }
    const category = await walk(`${BASE}/categories/news/atom.xml`, atomStep);
    expect(category.ids).toEqual(all);
  });

  it("the current feed keeps N entries; pages are marked as archives and link back to current", async () => {
    const current = parseXmlStrict(await readFile(join(out, "atom.xml"), "utf8"));
    expect(children(current, "entry")).toHaveLength(3);
    expect(children(current, "fh:archive")).toEqual([]);
    const page = parseXmlStrict(await readFile(join(out, "archive/2/atom.xml"), "utf8"));
    expect(page.attributes["xmlns:fh"]).toBe("http://purl.org/syndication/history/1.0");
    expect(children(page, "fh:archive")).toHaveLength(1);
    expect(link(page, "link", "current")).toBe(`${BASE}/atom.xml`);
    expect(link(page, "link", "prev-archive")).toBe(`${BASE}/archive/1/atom.xml`);
    expect(link(page, "link", "next-archive")).toBe(`${BASE}/archive/3/atom.xml`);
    expect(children(page, "link").filter((l) => l.attributes.rel === "self")).toHaveLength(1);
    // The oldest page has no prev-archive; the newest no next-archive.
    expect(link(parseXmlStrict(await readFile(join(out, "archive/1/atom.xml"), "utf8")), "link", "prev-archive")).toBeUndefined();
    expect(link(parseXmlStrict(await readFile(join(out, "archive/3/atom.xml"), "utf8")), "link", "next-archive")).toBeUndefined();
  });

  it("a new article moves one entry into the newest page and rewrites only the pages it touches", async () => {
    const before = await readFile(join(out, "archive/2/atom.xml"), "utf8");
    await article("a11", "2024-01-10 09:00");
    const run = await pipeline.fileChanged("articles/a11.md", "put");
    const pages = (run.publish?.written ?? []).filter((p) => p.startsWith("archive/")).map((p) => p.split("/")[1]);
    // The newest page (3) gains a08, which left the current feed; no other page changes.
    expect(new Set(pages)).toEqual(new Set(["3"]));
    expect(await readFile(join(out, "archive/2/atom.xml"), "utf8")).toBe(before);
    const { ids } = await walk(`${BASE}/atom.xml`, atomStep);
    expect(ids).toEqual([idOf("a11"), ...all]);
  });

  it("editing an archived article rewrites its page and keeps the chain exactly-once", async () => {
    await article("a02", DATES[2]!, "Edited title");
    const run = await pipeline.fileChanged("articles/a02.md", "put");
    expect(run.publish?.written).toEqual(expect.arrayContaining(["archive/1/atom.xml"]));
    const page = parseXmlStrict(await readFile(join(out, "archive/1/atom.xml"), "utf8"));
    expect(children(page, "entry").map((e) => child(e, "title").text)).toContain("Edited title");
    expect(run.publish?.written.filter((x) => x.startsWith("archive/")).sort()).toEqual(["archive/1/atom.xml", "archive/1/feed.json", "archive/1/feed.xml"]);
    expect((await walk(`${BASE}/feed.json`, jsonStep)).ids).toHaveLength(12);
  });
});
