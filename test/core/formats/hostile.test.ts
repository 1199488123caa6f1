import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderFeed, type FeedDocuments, type FeedInput } from "../../../lambdas/core/formats/index.js";
import type { FeedInfo } from "../../../lambdas/core/model.js";
import { stripInvalidXmlChars } from "../../../lambdas/core/text.js";
import { aSite, anAuthor, anEntry } from "../../support/builders.js";
import { assertJsonFeed11, child, children, feedparser, hasFeedparser, hasXmllint, parseXmlStrict, xmllint, type XmlElement } from "../../support/parsers.js";

/**
 * Hostile values in the fields the attack review found written raw (attribute values,
 * URLs, the icon), and the token characters in every field. Every document must stay
 * well-formed for three independent parsers and carry the value exactly.
 */

const dir = mkdtempSync(join(tmpdir(), "feedpub-hostile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes RSS and Atom to files and checks them with xmllint and Python feedparser. */
function checkWithExternalParsers(name: string, docs: FeedDocuments, entryCount: number): void {
  for (const [format, text] of [["rss", docs.rss], ["atom", docs.atom]] as const) {
    const path = join(dir, `${name}.${format}.xml`);
    writeFileSync(path, text);
    if (hasXmllint) xmllint(path);
    if (hasFeedparser) {
      const parsed = feedparser(path);
      expect(parsed.bozo, `${format}: ${parsed.bozo_exception}`).toBe(false);
      expect(parsed.entries).toHaveLength(entryCount);
    }
  }
}

const attr = (el: XmlElement, name: string): string | undefined => el.attributes[name];
const siteFeed: FeedInfo = { kind: "site", slug: "", title: "" };
const authors = new Map([["jane-doe", anAuthor()]]);

describe("attribute values are escaped whatever feed does", () => {
  const type = 'image/jpeg" foo="<&x';
  // Survives `new URL()` as it is: an opaque path is only escaped for C0 controls.
  const url = "javascript:alert(\"<x>\")//&amp;'";
  const docs = renderFeed({
    site: aSite(),
    feed: siteFeed,
    authors: new Map([["jane-doe", anAuthor({ url: 'x:<a href="evil">&amp;' })]]),
    entries: [anEntry({ url, image: { url: "https://cdn.example.com/a.jpg", type }, audio: { url: 'x:<"&amp;>', type: 'audio/mpeg" x="<', length: 1 } })],
  });

  it("an image MIME type with a quote, < and & (RSS media:content, Atom enclosure)", () => {
    const item = child(child(parseXmlStrict(docs.rss), "channel"), "item");
    expect(attr(child(item, "media:content"), "type")).toBe(type);
    const entry = child(parseXmlStrict(docs.atom), "entry");
    expect(children(entry, "link").filter((l) => attr(l, "rel") === "enclosure").map((l) => attr(l, "type"))).toEqual([type, 'audio/mpeg" x="<']);
  });

  it("an RSS enclosure's URL and type, an image's when there is no audio", () => {
    const imageOnly = renderFeed({ site: aSite(), feed: siteFeed, authors, entries: [anEntry({ image: { url: "x:<&amp;>", type } })] });
    const enclosure = child(child(child(parseXmlStrict(imageOnly.rss), "channel"), "item"), "enclosure");
    expect(enclosure.attributes).toEqual({ url: "x:<&amp;>", type, length: "0" });
    checkWithExternalParsers("image-enclosure", imageOnly, 1);
  });

  it("an article URL and an author URL with <, \" and & (RSS link, Atom link href and author uri)", () => {
    const item = child(child(parseXmlStrict(docs.rss), "channel"), "item");
    expect(child(item, "link").text).toBe(url);
    expect(attr(child(item, "enclosure"), "url")).toBe('x:<"&amp;>');
    expect(attr(child(item, "enclosure"), "type")).toBe('audio/mpeg" x="<');
    const entry = child(parseXmlStrict(docs.atom), "entry");
    expect(children(entry, "link").filter((l) => attr(l, "rel") === undefined).map((l) => attr(l, "href"))).toEqual([url]);
    expect(child(child(entry, "author"), "uri").text).toBe('x:<a href="evil">&amp;');
  });

  it("every document stays well-formed for xmllint and feedparser, and JSON for JSON.parse", () => {
    checkWithExternalParsers("attributes", docs, 1);
    expect((JSON.parse(docs.json) as { items: { url: string }[] }).items[0]!.url).toBe(url);
  });
});

describe("URLs keep a literal &amp; (feed collapses it in text)", () => {
  const icon = "https://cdn.example.com/i.png?a=<\"&amp;'>";
  const id = "tag:example.com,2026:<\"&amp;'>";
  const docs = renderFeed({ site: aSite({ icon }), feed: siteFeed, authors, entries: [anEntry({ id })] });

  it("site icon (RSS image, Atom icon, JSON icon) and entry id (RSS guid, Atom id, JSON id)", () => {
    const channel = child(parseXmlStrict(docs.rss), "channel");
    expect(child(child(channel, "image"), "url").text).toBe(icon);
    expect(child(child(channel, "item"), "guid").text).toBe(id);
    const atom = parseXmlStrict(docs.atom);
    expect(child(atom, "icon").text).toBe(icon);
    expect(child(child(atom, "entry"), "id").text).toBe(id);
    const json = JSON.parse(docs.json) as { icon: string; items: { id: string }[] };
    expect(json.icon).toBe(icon);
    expect(json.items[0]!.id).toBe(id);
    checkWithExternalParsers("ampersands", docs, 1);
  });
});

describe("token characters in every field can't splice one value into another", () => {
  // The token of value 0 (the first value tokenised is the feed title), and look-alikes.
  const tok = "\u00010\u0002\u00011\u0002urn:x-feedpub-token:0:";
  const expected = stripInvalidXmlChars(tok);
  const input: FeedInput = {
    site: aSite({
      title: `Title${tok}`,
      description: `Description${tok}`,
      copyright: `Copyright${tok}`,
      icon: `https://cdn.example.com/icon${tok}.png`,
      language: `en${tok}`,
      hubs: [`https://hub.example.com/${tok}`],
      idPrefix: `tag:example.com,2026:${tok}`,
    }),
    feed: { kind: "category", slug: "c", title: `Feed${tok}` },
    authors: new Map([["a", anAuthor({ slug: "a", name: `Name${tok}`, url: `https://example.com/${tok}`, avatar: `https://example.com/avatar${tok}.png` })]]),
    entries: [anEntry({
      id: `tag:example.com,2026:id${tok}`,
      title: `Entry${tok}`,
      url: `https://news.example.com/${tok}/`,
      authors: ["a"],
      summary: `Summary${tok}`,
      contentHtml: `<p>Content${tok}</p>`,
      categories: [{ slug: `slug${tok}`, name: `Category${tok}` }],
      tags: [`Tag${tok}`],
      lang: `ur${tok}`,
      image: { url: `https://cdn.example.com/image${tok}.jpg`, type: `image/jpeg${tok}` },
      audio: { url: `https://cdn.example.com/audio${tok}.mp3`, type: `audio/mpeg${tok}`, length: 1 },
    })],
    deleted: [{ id: `tag:example.com,2026:deleted${tok}`, slug: "d", when: `2024-05-05T00:00:00.000Z${tok}` }],
  };
  const docs = renderFeed(input);

  it("cleaning leaves the digits and the look-alike, not the token characters", () => expect(expected).toBe("01urn:x-feedpub-token:0:"));

  it("RSS: every field carries its own text", () => {
    const channel = child(parseXmlStrict(docs.rss), "channel");
    const item = child(channel, "item");
    expect(child(channel, "title").text).toBe(`Title${expected}: Feed${expected}`);
    expect(child(channel, "copyright").text).toBe(`Copyright${expected}`);
    expect(child(channel, "language").text).toBe(`en${expected}`);
    expect(child(child(channel, "image"), "url").text).toBe(`https://cdn.example.com/icon${expected}.png`);
    expect(children(channel, "atom:link").filter((l) => attr(l, "rel") === "hub").map((l) => attr(l, "href"))).toEqual([`https://hub.example.com/${expected}`]);
    expect(child(item, "title").text).toBe(`Entry${expected}`);
    expect(child(item, "guid").text).toBe(`tag:example.com,2026:id${expected}`);
    expect(child(item, "content:encoded").text).toBe(`<p>Content${expected}</p>`);
    expect(children(item, "category").map((c) => c.text)).toEqual([`Category${expected}`, `Tag${expected}`]);
    expect(child(item, "dc:creator").text).toBe(`Name${expected}`);
    expect(child(item, "dc:language").text).toBe(`ur${expected}`);
    expect(attr(child(item, "media:content"), "type")).toBe(`image/jpeg${expected}`);
    expect(attr(child(item, "enclosure"), "type")).toBe(`audio/mpeg${expected}`);
  });

  it("Atom: every field carries its own text, the icon included", () => {
    const atom = parseXmlStrict(docs.atom);
    const entry = child(atom, "entry");
    expect(child(atom, "icon").text).toBe(`https://cdn.example.com/icon${expected}.png`);
    expect(child(atom, "title").text).toBe(`Title${expected}: Feed${expected}`);
    expect(child(atom, "rights").text).toBe(`Copyright${expected}`);
    expect(attr(atom, "xml:lang")).toBe(`en${expected}`);
    expect(child(atom, "at:deleted-entry").attributes).toEqual({ ref: `tag:example.com,2026:deleted${expected}`, when: `2024-05-05T00:00:00.000Z${expected}` });
    expect(child(entry, "title").text).toBe(`Entry${expected}`);
    expect(child(entry, "id").text).toBe(`tag:example.com,2026:id${expected}`);
    expect(child(entry, "summary").text).toBe(`Summary${expected}`);
    expect(attr(entry, "xml:lang")).toBe(`ur${expected}`);
    expect(children(entry, "category").map((c) => c.attributes)).toEqual([
      { term: `slug${expected}`, label: `Category${expected}`, scheme: "https://feeds.example.com/categories/" },
      { term: `Tag${expected}` },
    ]);
    expect(child(child(entry, "author"), "name").text).toBe(`Name${expected}`);
  });

  it("JSON Feed: every field carries its own text", () => {
    const json = JSON.parse(docs.json) as Record<string, unknown> & { items: Record<string, unknown>[] };
    expect(json).toMatchObject({ title: `Title${expected}: Feed${expected}`, icon: `https://cdn.example.com/icon${expected}.png`, language: `en${expected}` });
    expect(json.items[0]).toMatchObject({
      id: `tag:example.com,2026:id${expected}`,
      title: `Entry${expected}`,
      summary: `Summary${expected}`,
      tags: [`Category${expected}`, `Tag${expected}`],
      authors: [{ name: `Name${expected}`, url: `https://example.com/${expected}`, avatar: `https://example.com/avatar${expected}.png` }],
      attachments: [{ mime_type: `audio/mpeg${expected}` }],
    });
  });

  it("xmllint and feedparser accept both XML documents", () => checkWithExternalParsers("tokens", docs, 1));
});

describe("every document of a hostile but valid site parses with every judge", () => {
  const nasty = "]]> & < > \" ' \r\n\t ]]> \u0000\u0007\uFFFE\uD800 &amp; \u00010\u0002 urn:x-feedpub-token:1:";
  const docs = renderFeed({
    site: aSite({ title: `T ${nasty}`, description: nasty, copyright: nasty, icon: "https://cdn.example.com/i.png?q=&amp;'" }),
    feed: { kind: "category", slug: "x", title: nasty },
    authors: new Map([["jane-doe", anAuthor({ name: `J ${nasty}` })]]),
    entries: [anEntry({ title: nasty, summary: nasty, contentHtml: `<p>${nasty}</p>`, tags: [nasty], categories: [{ slug: nasty, name: nasty }], image: { url: "https://cdn.example.com/a.jpg", type: `image/${nasty}` } })],
    location: "archive/2024-05-01/",
    prevArchive: "archive/2024-04-30/",
    deleted: [{ id: nasty, slug: "d", when: nasty }],
  });

  it("saxes, xmllint, feedparser; the JSON Feed 1.1 schema", () => {
    parseXmlStrict(docs.rss);
    parseXmlStrict(docs.atom);
    checkWithExternalParsers("nasty", docs, 1);
    assertJsonFeed11(docs.json);
  });

  it("CR, LF and TAB survive in text and in attribute values", () => {
    const clean = stripInvalidXmlChars(nasty);
    const entry = child(parseXmlStrict(docs.atom), "entry");
    expect(child(entry, "title").text).toBe(clean);
    expect(children(entry, "category").map((c) => c.attributes.term)).toEqual([clean]);
    expect(child(entry, "category").attributes.label).toBe(clean);
  });
});
