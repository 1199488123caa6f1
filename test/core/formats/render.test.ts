import { afterEach, describe, expect, it, vi } from "vitest";
import { renderFeed, type FeedInput } from "../../../lambdas/core/formats/index.js";
import type { FeedInfo } from "../../../lambdas/core/model.js";
import { aSite, anAuthor, anEntry } from "../../support/builders.js";
import { assertJsonFeed11, child, children, parseXmlStrict } from "../../support/parsers.js";

const site = aSite({ hubs: ["https://hub-a.example.com/", "https://hub-b.example.com/"], copyright: "© Test & Co" });
const authors = new Map([["jane-doe", anAuthor()], ["usman", anAuthor({ slug: "usman", name: "Usman <Aslam> & Co", url: undefined })]]);
const siteFeed: FeedInfo = { kind: "site", slug: "", title: "" };

function input(overrides: Partial<FeedInput> = {}): FeedInput {
  return {
    site,
    feed: siteFeed,
    authors,
    entries: [
      anEntry({ slug: "urdu", title: "اردو خبر", lang: "ur", published: "2024-05-03T10:00:00.000Z", updated: "2024-05-04T10:00:00.000Z" }),
      anEntry({ slug: "img", title: "With image", image: { url: "https://cdn.example.com/a%20b.jpg?x=1&y=2", type: "image/jpeg" }, authors: ["jane-doe", "usman"], tags: ["ev"] }),
    ],
    ...overrides,
  };
}

describe("RSS 2.0", () => {
  const rss = parseXmlStrict(renderFeed(input()).rss);
  const channel = child(rss, "channel");
  const items = children(channel, "item");

  it("has a self link, every hub, language and the newest date", () => {
    expect(rss.attributes.version).toBe("2.0");
    const links = children(channel, "atom:link");
    expect(links.filter((l) => l.attributes.rel === "self").map((l) => l.attributes.href)).toEqual(["https://feeds.example.com/feed.xml"]);
    expect(links.filter((l) => l.attributes.rel === "hub").map((l) => l.attributes.href)).toEqual(site.hubs);
    expect(child(channel, "language").text).toBe("en");
    expect(child(channel, "lastBuildDate").text).toBe("Sat, 04 May 2024 10:00:00 GMT");
    expect(child(channel, "copyright").text).toBe("© Test & Co");
  });

  it("items: non-permalink stable guid, dc:creator, content:encoded, categories, dc:language", () => {
    const [urdu, img] = items;
    expect(child(urdu!, "guid").attributes.isPermaLink).toBe("false");
    expect(child(urdu!, "guid").text).toBe("tag:example.com,2026:urdu");
    expect(child(urdu!, "pubDate").text).toBe("Fri, 03 May 2024 10:00:00 GMT");
    expect(child(urdu!, "dc:language").text).toBe("ur");
    expect(child(urdu!, "content:encoded").text).toBe("<p>Body.</p>");
    expect(children(img!, "dc:creator").map((c) => c.text)).toEqual(["Jane Doe", "Usman <Aslam> & Co"]);
    expect(children(img!, "author")).toEqual([]);
    expect(children(img!, "category").map((c) => c.text)).toEqual(["News", "ev"]);
  });

  it("images: enclosure and media:content with the real MIME type and an escaped URL", () => {
    const img = items[1]!;
    expect(child(img, "enclosure").attributes).toMatchObject({ type: "image/jpeg", url: "https://cdn.example.com/a%20b.jpg?x=1&y=2" });
    expect(child(img, "media:content").attributes).toMatchObject({ medium: "image", type: "image/jpeg" });
  });
});

describe("Atom 1.0", () => {
  const atom = parseXmlStrict(renderFeed(input()).atom);
  const entries = children(atom, "entry");

  it("feed: xml:lang, id, updated, one self link, every hub", () => {
    expect(atom.attributes["xml:lang"]).toBe("en");
    expect(child(atom, "id").text).toBe("tag:example.com,2026:feeds/site");
    expect(child(atom, "updated").text).toBe("2024-05-04T10:00:00.000Z");
    const links = children(atom, "link");
    expect(links.filter((l) => l.attributes.rel === "self")).toHaveLength(1);
    expect(links.filter((l) => l.attributes.rel === "hub").map((l) => l.attributes.href)).toEqual(site.hubs);
  });

  it("entries: author on every entry, published and updated, xml:lang for another language", () => {
    for (const e of entries) {
      expect(children(e, "author").length).toBeGreaterThan(0);
      expect(child(child(e, "author"), "name").text).toBeTruthy();
      expect(child(e, "updated").text).toMatch(/Z$/);
      expect(child(e, "published").text).toMatch(/Z$/);
      expect(children(e, "rights")).toEqual([]);
    }
    expect(entries[0]!.attributes["xml:lang"]).toBe("ur");
    expect(entries[1]!.attributes["xml:lang"]).toBeUndefined();
    expect(child(entries[1]!, "category").attributes).toEqual({ term: "news", label: "News", scheme: "https://feeds.example.com/categories/" });
    expect(children(entries[1]!, "link").find((l) => l.attributes.rel === "enclosure")?.attributes.type).toBe("image/jpeg");
  });
});

describe("tags in every format (readers of Atom saw only categories)", () => {
  const docs = renderFeed(input({ entries: [anEntry({ categories: [{ slug: "news", name: "News" }], tags: ["ev", "News", "ev", "بجلی"] })] }));

  it("Atom: categories keep term, label and scheme; each tag is a category without a scheme, once, unless a category has its name", () => {
    const entry = child(parseXmlStrict(docs.atom), "entry");
    expect(children(entry, "category").map((c) => c.attributes)).toEqual([
      { term: "news", label: "News", scheme: "https://feeds.example.com/categories/" },
      { term: "ev" },
      { term: "بجلی" },
    ]);
  });

  it("RSS and JSON Feed carry the same labels", () => {
    const item = child(child(parseXmlStrict(docs.rss), "channel"), "item");
    expect(new Set(children(item, "category").map((c) => c.text))).toEqual(new Set(["News", "ev", "بجلی"]));
    const json = assertJsonFeed11(docs.json) as { items: { tags: string[] }[] };
    expect(json.items[0]!.tags).toEqual(["News", "ev", "بجلی"]);
  });
});

describe("JSON Feed 1.1", () => {
  const json = assertJsonFeed11(renderFeed(input()).json) as { items: Record<string, unknown>[] } & Record<string, unknown>;

  it("validates against the 1.1 schema, with language, hubs and authors", () => {
    expect(json.version).toBe("https://jsonfeed.org/version/1.1");
    expect(json.language).toBe("en");
    expect(json.hubs).toEqual(site.hubs.map((url) => ({ type: "WebSub", url })));
    expect(json.items[0]).toMatchObject({ id: "tag:example.com,2026:urdu", language: "ur", date_modified: "2024-05-04T10:00:00.000Z", date_published: "2024-05-03T10:00:00.000Z" });
    expect(json.items[1]).toMatchObject({ authors: [{ name: "Jane Doe", url: "https://example.com/jane/" }, { name: "Usman <Aslam> & Co" }], image: "https://cdn.example.com/a%20b.jpg?x=1&y=2", tags: ["News", "ev"] });
    expect(json.items[1]).not.toHaveProperty("author");
  });
});

describe("audio attachments", () => {
  const audio = { url: "https://cdn.example.com/ep1.mp3", type: "audio/mpeg", length: 1234567, duration: 1800 };
  const docs = renderFeed(input({ entries: [anEntry({ slug: "ep", audio, image: { url: "https://cdn.example.com/c.png", type: "image/png" } })] }));

  it("RSS enclosure (the audio wins the single slot; the image stays as media:content), Atom enclosure, JSON attachment", () => {
    const item = child(child(parseXmlStrict(docs.rss), "channel"), "item");
    expect(children(item, "enclosure").map((e) => e.attributes)).toEqual([{ url: audio.url, type: "audio/mpeg", length: "1234567" }]);
    expect(child(item, "media:content").attributes.type).toBe("image/png");
    const links = children(child(parseXmlStrict(docs.atom), "entry"), "link").filter((l) => l.attributes.rel === "enclosure");
    expect(links.map((l) => l.attributes.type)).toEqual(["image/png", "audio/mpeg"]);
    expect(links[1]!.attributes.length).toBe("1234567");
    const json = assertJsonFeed11(docs.json) as { items: { attachments: unknown[] }[] };
    expect(json.items[0]!.attachments).toEqual([{ url: audio.url, mime_type: "audio/mpeg", size_in_bytes: 1234567, duration_in_seconds: 1800 }]);
  });
});

describe("hostile text never breaks a document", () => {
  const nasty = "]]> & < > \" ' ]]> \u0000\u0007\uFFFE\uD800 &amp; @@fp0@@";
  const docs = renderFeed(input({
    site: aSite({ title: `T ${nasty}`, description: nasty }),
    feed: { kind: "category", slug: "x", title: nasty },
    entries: [anEntry({ title: nasty, summary: nasty, contentHtml: `<p>${nasty}</p>`, tags: [nasty], categories: [{ slug: "x", name: nasty }] })],
  }));

  it("RSS and Atom parse strictly and keep the text", () => {
    const clean = "]]> & < > \" ' ]]>  &amp; @@fp0@@";
    const rssItem = child(child(parseXmlStrict(docs.rss), "channel"), "item");
    expect(child(rssItem, "title").text).toBe(clean);
    expect(child(rssItem, "content:encoded").text).toBe(`<p>${clean}</p>`);
    const entry = child(parseXmlStrict(docs.atom), "entry");
    expect(child(entry, "title").attributes.type).toBe("text");
    expect(child(entry, "title").text).toBe(clean);
  });

  it("JSON Feed stays valid", () => {
    const doc = assertJsonFeed11(docs.json) as { items: { title: string }[] };
    expect(doc.items[0]!.title).toBe("]]> & < > \" ' ]]>  &amp; @@fp0@@");
  });
});

describe("determinism", () => {
  afterEach(() => vi.useRealTimers());

  it("the same input gives the same bytes, whatever the clock", () => {
    vi.useFakeTimers({ now: new Date("2030-01-01T00:00:00.000Z") });
    const a = renderFeed(input());
    vi.setSystemTime(new Date("2031-06-15T12:34:56.789Z"));
    const b = renderFeed(input());
    expect(b).toEqual(a);
    for (const doc of Object.values(b)) expect(doc).not.toMatch(/203[01]/);
  });

  it("an empty feed is valid and dated deterministically", () => {
    const docs = renderFeed(input({ entries: [] }));
    expect(child(parseXmlStrict(docs.atom), "updated").text).toBe("2000-01-01T00:00:00.000Z");
    parseXmlStrict(docs.rss);
    assertJsonFeed11(docs.json);
  });
});
