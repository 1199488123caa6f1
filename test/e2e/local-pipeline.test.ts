import { cp, mkdtemp, readFile, readdir, rm, unlink, writeFile } from "node:fs/promises";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalPipeline } from "../../local/local-pipeline.js";
import { startLocalServer } from "../../local/local-server.js";
import { assertJsonFeed11, child, children, feedparser, hasFeedparser, hasXmllint, parseXmlStrict, xmllint } from "../support/parsers.js";

/**
 * `npm start`'s pipeline end to end on the real content/: the memory store (and, for one
 * comparison, the DynamoDB adapters on dynalite), the ingest and publish code, the
 * directory writer and the local server.
 */

const NOW = new Date("2026-11-28T12:00:00Z");
const SEED_TITLE = "Pakistan & Korea Set To Collaborate To Expand Electric Vehicle Charging Infrastructure In Pakistan";
const SEED_ID = "tag:techjuice.pk,2026:pakistan-korea-ev-charging";

let work: string;
let content: string;
let out: string;
let pipeline: LocalPipeline;

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
}

function statusOf(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on("error", reject);
  });
}

async function snapshot(dir: string): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for (const f of await filesUnder(dir)) map.set(f, await readFile(join(dir, f), "utf8"));
  return map;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "feedpub-e2e-"));
  content = join(work, "content");
  out = join(work, "dist");
  await cp(new URL("../../content", import.meta.url).pathname, content, { recursive: true });
  pipeline = await LocalPipeline.start({ contentDir: content, outDir: out, now: () => NOW });
});
afterAll(async () => {
  await pipeline?.close();
  await rm(work, { recursive: true, force: true });
});

describe("building content/", () => {
  it("accepts every shipped file and writes every feed", async () => {
    const run = await pipeline.buildAll();
    expect(run.results.filter((r) => r.outcome === "rejected")).toEqual([]);
    const files = await filesUnder(out);
    for (const dir of ["", "categories/electric-cars/", "categories/news/", "authors/usman-aslam/", "authors/ayesha-khan/"]) {
      for (const f of ["feed.xml", "atom.xml", "feed.json"]) expect(files).toContain(`${dir}${f}`);
    }
    expect(files).toContain("index.html");
    expect(files).toContain("feeds.opml");
  });

  it("the seed article is in the site, Electric Cars and Usman Aslam feeds, in all three formats", async () => {
    for (const dir of ["", "categories/electric-cars/", "categories/news/", "authors/usman-aslam/"]) {
      const rss = parseXmlStrict(await readFile(join(out, dir, "feed.xml"), "utf8"));
      const item = children(child(rss, "channel"), "item").find((i) => child(i, "guid").text === SEED_ID);
      expect(item, `${dir}feed.xml`).toBeDefined();
      expect(child(item!, "title").text).toBe(SEED_TITLE);
      expect(child(item!, "dc:creator").text).toBe("Usman Aslam");
      const html = child(item!, "content:encoded").text;
      expect(html).toContain("<blockquote>");
      expect(html.match(/<p>/g)?.length).toBe(6); // five paragraphs and the quotation
      const atom = parseXmlStrict(await readFile(join(out, dir, "atom.xml"), "utf8"));
      expect(children(atom, "entry").some((e) => child(e, "id").text === SEED_ID)).toBe(true);
      const json = assertJsonFeed11(await readFile(join(out, dir, "feed.json"), "utf8")) as { items: { id: string; authors: { name: string }[]; tags: string[] }[] };
      const j = json.items.find((i) => i.id === SEED_ID);
      expect(j?.authors).toEqual([{ name: "Usman Aslam", url: "https://www.techjuice.pk/author/usman-aslam/" }]);
      expect(j?.tags).toEqual(expect.arrayContaining(["Electric Cars", "News"]));
    }
    const ayesha = await readFile(join(out, "authors/ayesha-khan/feed.xml"), "utf8");
    expect(ayesha).not.toContain(SEED_ID);
  });

  it("every XML file parses strictly (saxes, and xmllint when installed); every JSON Feed validates", async () => {
    for (const f of await filesUnder(out)) {
      const text = await readFile(join(out, f), "utf8");
      if (f.endsWith(".xml") || f.endsWith(".opml")) {
        expect(() => parseXmlStrict(text), f).not.toThrow();
        if (hasXmllint) xmllint(join(out, f));
      }
      if (f.endsWith(".json")) assertJsonFeed11(text);
    }
  });

  it.skipIf(!hasFeedparser)("Python feedparser reads RSS and Atom without complaint (skipped when python3-feedparser is absent)", async () => {
    for (const f of ["feed.xml", "atom.xml", "categories/electric-cars/feed.xml", "authors/usman-aslam/atom.xml"]) {
      const d = feedparser(join(out, f));
      expect(d.bozo, `${f}: ${d.bozo_exception}`).toBe(false);
      const seed = d.entries.find((e) => e.id === SEED_ID);
      expect(seed?.title).toBe(SEED_TITLE);
      expect(seed?.author).toBe("Usman Aslam");
      expect(seed?.link).toBe("https://www.techjuice.pk/pakistan-korea-ev-charging/");
    }
  });

  it("publishing the same content again writes nothing; a fresh build gives byte-identical files", async () => {
    const first = await snapshot(out);
    expect((await pipeline.republish()).written).toEqual([]);
    const out2 = join(work, "dist2");
    const second = await LocalPipeline.start({ contentDir: content, outDir: out2, now: () => NOW });
    try {
      await second.buildAll();
    } finally {
      await second.close();
    }
    expect(await snapshot(out2)).toEqual(first);
  });

  it("on dynalite (the DynamoDB adapters, --store dynalite) the build gives byte-identical files", async () => {
    const first = await snapshot(out);
    const out3 = join(work, "dist3");
    const onDynalite = await LocalPipeline.start({ contentDir: content, outDir: out3, now: () => NOW, store: "dynalite" });
    try {
      const run = await onDynalite.buildAll();
      expect(run.results.filter((r) => r.outcome === "rejected")).toEqual([]);
      await onDynalite.fileChanged("articles/2024/pakistan-korea-ev-charging.md", "put");
    } finally {
      await onDynalite.close();
    }
    expect(await snapshot(out3)).toEqual(first);
  });

  it("serves the files like CloudFront: content types, cache headers, ETag and 304", async () => {
    const { close, url } = await startLocalServer(out, 0);
    try {
      const types: Record<string, string> = {
        "/feed.xml": "application/rss+xml; charset=utf-8",
        "/atom.xml": "application/atom+xml; charset=utf-8",
        "/feed.json": "application/feed+json; charset=utf-8",
        "/categories/electric-cars/feed.xml": "application/rss+xml; charset=utf-8",
        "/": "text/html; charset=utf-8",
      };
      for (const [path, type] of Object.entries(types)) {
        const res = await fetch(url + path);
        expect(res.status, path).toBe(200);
        expect(res.headers.get("content-type")).toBe(type);
        expect(res.headers.get("cache-control")).toMatch(/max-age=300, stale-while-revalidate/);
      }
      const res = await fetch(`${url}/feed.xml`);
      const etag = res.headers.get("etag")!;
      const lastModified = res.headers.get("last-modified")!;
      expect(etag).toBeTruthy();
      // node:http, not fetch: fetch adds `Cache-Control: no-cache` to conditional requests, as browsers do.
      expect(await statusOf(`${url}/feed.xml`, { "If-None-Match": etag })).toBe(304);
      expect(await statusOf(`${url}/feed.xml`, { "If-Modified-Since": lastModified })).toBe(304);
      expect(await statusOf(`${url}/feed.xml`, { "If-None-Match": '"other"' })).toBe(200);
      expect((await fetch(`${url}/categories/${encodeURIComponent("اردو")}/feed.xml`)).status).toBe(200);
      expect((await fetch(`${url}/nope.xml`)).status).toBe(404);
    } finally {
      await close();
    }
  });
});

describe("changes while serving", () => {
  const key = "articles/2024/sample-ev-sales-report.md";
  const readFeed = async (path: string) => readFile(join(out, path), "utf8");
  /** The item ids of a feed file, in any of the three formats. */
  const ids = async (path: string): Promise<string[]> => {
    const text = await readFeed(path);
    if (path.endsWith(".json")) return (JSON.parse(text) as { items: { id: string }[] }).items.map((i) => i.id);
    const root = parseXmlStrict(text);
    if (root.name === "feed") return children(root, "entry").map((e) => child(e, "id").text);
    return children(child(root, "channel"), "item").map((i) => child(i, "guid").text);
  };

  it("an edit keeps the GUID, moves updated forward and rebuilds only the affected feeds", async () => {
    const path = join(content, key);
    const text = await readFile(path, "utf8");
    await writeFile(path, text.replace("Double in a Year", "Double Again"));
    const run = await pipeline.fileChanged(key, "put");
    expect(run.results[0]?.outcome).toBe("updated");
    expect(run.publish?.written).toEqual(expect.arrayContaining(["feed.xml", "categories/electric-cars/feed.xml", "authors/ayesha-khan/feed.xml", "index.html"]));
    expect(run.publish?.written).not.toContain("authors/usman-aslam/feed.xml");
    const json = JSON.parse(await readFeed("categories/electric-cars/feed.json")) as { items: { id: string; title: string; date_modified: string; date_published: string }[] };
    const item = json.items.find((i) => i.id === "tag:techjuice.pk,2026:sample-ev-sales-report")!;
    expect(item.title).toBe("Sample: Electric Car Sales Double Again");
    expect(item.date_modified > item.date_published).toBe(true);
  });

  it("removing a category rebuilds that category's feed without the article", async () => {
    const path = join(content, key);
    await writeFile(path, (await readFile(path, "utf8")).replace("categories: [Electric Cars]", "categories: [News]"));
    const run = await pipeline.fileChanged(key, "put");
    expect(run.publish?.written).toEqual(expect.arrayContaining(["categories/electric-cars/feed.xml", "categories/news/feed.xml"]));
    expect(await readFeed("categories/electric-cars/feed.xml")).not.toContain("sample-ev-sales-report");
    expect(await readFeed("categories/news/feed.xml")).toContain("sample-ev-sales-report");
  });

  it("draft: true removes the article from every feed; deleting the file too", async () => {
    const draftKey = "articles/2024/sample-startup-funding.md";
    const path = join(content, draftKey);
    await writeFile(path, (await readFile(path, "utf8")).replace("---\n*This", "---\n*This").replace("image:", "draft: true\nimage:"));
    expect((await pipeline.fileChanged(draftKey, "put")).results[0]?.outcome).toBe("removed");
    const draftId = "tag:techjuice.pk,2026:sample-startup-funding";
    for (const f of ["feed.xml", "categories/startups/feed.xml", "authors/usman-aslam/atom.xml", "feed.json"]) expect(await ids(f), f).not.toContain(draftId);
    // RFC 6721: Atom announces the retraction so readers can remove the entry.
    const atom = parseXmlStrict(await readFeed("categories/startups/atom.xml"));
    expect(children(atom, "at:deleted-entry").map((d) => d.attributes)).toEqual([{ ref: draftId, when: expect.stringMatching(/Z$/) }]);

    await unlink(join(content, key));
    expect((await pipeline.fileChanged(key, "delete")).results[0]?.outcome).toBe("removed");
    const goneId = "tag:techjuice.pk,2026:sample-ev-sales-report";
    for (const f of ["feed.xml", "feed.json", "categories/news/atom.xml", "authors/ayesha-khan/feed.xml"]) expect(await ids(f), f).not.toContain(goneId);
    expect(children(parseXmlStrict(await readFeed("atom.xml")), "at:deleted-entry").map((d) => d.attributes.ref)).toEqual(expect.arrayContaining([draftId, goneId]));
  });

  it("a broken edit is rejected and the last good version stays published", async () => {
    const path = join(content, "articles/2024/pakistan-korea-ev-charging.md");
    const good = await readFile(path, "utf8");
    await writeFile(path, good.replace(/^title: .*$/m, "title: [unclosed"));
    const run = await pipeline.fileChanged("articles/2024/pakistan-korea-ev-charging.md", "put");
    expect(run.results[0]).toMatchObject({ outcome: "rejected", problems: [expect.objectContaining({ field: "front matter", message: expect.stringMatching(/YAML error near line 3: Flow sequence/) })] });
    expect(run.publish).toBeUndefined();
    expect(await readFeed("feed.xml")).toContain(SEED_TITLE.replace("&", "&amp;"));
    await writeFile(path, good);
  });
});
