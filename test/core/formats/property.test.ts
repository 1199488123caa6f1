import fc from "fast-check";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { feedDescription, feedTitle } from "../../../lambdas/core/feeds.js";
import { renderFeed, type FeedInput } from "../../../lambdas/core/formats/index.js";
import type { FeedInfo } from "../../../lambdas/core/model.js";
import { escapeXml, stripInvalidXmlChars as clean } from "../../../lambdas/core/text.js";
import { aSite, anAuthor, anEntry } from "../../support/builders.js";
import { assertJsonFeed11, child, children, feedparser, hasFeedparser, hasXmllint, parseXmlStrict, xmllint, type XmlElement } from "../../support/parsers.js";

/**
 * Any string in any text or URL field: every format parses (saxes strictly; the JSON Feed
 * against the 1.1 schema when URLs, MIME types and languages are well-formed) and carries
 * the string exactly, less the characters XML forbids.
 */

/** Characters that break naive escaping, the token scheme, or XML whitespace handling, and any other. */
const SPECIALS = ["<", ">", "&", '"', "'", "]]>", "&amp;", "<![CDATA[", "\u0000", "\u0001", "\u0002", "\u00010\u0002", "urn:x-feedpub-token:0:", "\r", "\n", "\t", "\r\n", "\uFFFE", "\uFFFF", "\uD800", "\uDC00", "\u007F", "\u0085", "\u2028", " ", "اردو"];
const unit = fc.oneof(
  fc.constantFrom(...SPECIALS),
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
);
const text = fc.string({ unit, maxLength: 12 });
const url = fc.tuple(fc.constantFrom("https://x.example/", "http://x.example/a?q=", "https://x.example/#", "x:", "javascript:", "mailto:"), text).map(([p, s]) => p + s);

const href = (u: string): string => new URL(clean(u)).href;
const attr = (el: XmlElement, name: string): string | undefined => el.attributes[name];
const authorSlug = "a";

/** Text fields arbitrary; URLs, MIME types and languages well-formed (the JSON Feed schema checks them). */
const anyText = fc.record({
  site: fc.record({ title: text, description: text, copyright: text }),
  feed: fc.record({ kind: fc.constantFrom("site", "category"), title: text }),
  authorName: text,
  entries: fc.array(fc.record({ id: text, title: text, summary: text, content: text, category: fc.record({ slug: text, name: text }), tags: fc.array(text, { maxLength: 3 }) }), { minLength: 1, maxLength: 3 }),
}).map((r): FeedInput => ({
  // Content validation requires a site title and an author name (JSON Feed does too).
  site: aSite({ title: `T${r.site.title}`, description: r.site.description, copyright: r.site.copyright }),
  feed: { kind: r.feed.kind, slug: "c", title: r.feed.title } as FeedInfo,
  authors: new Map([[authorSlug, anAuthor({ slug: authorSlug, name: `A${r.authorName}` })]]),
  entries: r.entries.map((e, i) => anEntry({
    slug: `e${i}`, id: `tag:example.com,2026:${e.id}`, title: e.title, summary: e.summary, contentHtml: e.content,
    categories: [e.category], tags: e.tags, authors: [authorSlug],
  })),
}));

/** URL, MIME type and language fields arbitrary. */
const anyUrl = fc.record({
  icon: url, hub: url, language: text, articleUrl: url, authorUrl: url, avatar: url,
  image: fc.record({ url, type: text }), audio: fc.record({ url, type: text }), lang: text,
}).map((r): FeedInput => ({
  site: aSite({ icon: r.icon, hubs: [r.hub], language: r.language }),
  feed: { kind: "site", slug: "", title: "" },
  authors: new Map([[authorSlug, anAuthor({ slug: authorSlug, url: r.authorUrl, avatar: r.avatar })]]),
  entries: [anEntry({ url: r.articleUrl, authors: [authorSlug], image: r.image, audio: { ...r.audio, length: 7 }, lang: r.lang })],
}));

function checkText(input: FeedInput): void {
  const { site, feed, entries } = input;
  const docs = renderFeed(input);
  const name = `A${clean(input.authors.get(authorSlug)!.name.slice(1))}`;
  const tagsOf = (e: (typeof entries)[number]) => [...new Set(e.tags.map(clean))].filter((t) => t !== clean(e.categories[0]!.name));

  const channel = child(parseXmlStrict(docs.rss), "channel");
  expect(child(channel, "title").text).toBe(clean(feedTitle(site, feed)));
  expect(child(channel, "description").text).toBe(clean(feedDescription(site, feed)));
  expect(children(channel, "copyright").map((c) => c.text)).toEqual(site.copyright ? [clean(site.copyright)] : []);
  const items = children(channel, "item");
  expect(items).toHaveLength(entries.length);
  entries.forEach((e, i) => {
    const item = items[i]!;
    expect(child(item, "title").text).toBe(clean(e.title));
    expect(child(item, "guid").text).toBe(clean(e.id));
    expect(child(item, "description").text).toBe(escapeXml(e.summary));
    expect(child(item, "content:encoded").text).toBe(clean(e.contentHtml));
    expect(children(item, "category").map((c) => c.text)).toEqual([...e.categories.map((c) => c.name), ...e.tags].map(clean));
    expect(children(item, "dc:creator").map((c) => c.text)).toEqual([name]);
  });

  const atom = parseXmlStrict(docs.atom);
  expect(child(atom, "title").text).toBe(clean(feedTitle(site, feed)));
  expect(child(atom, "subtitle").text).toBe(clean(feedDescription(site, feed)));
  const atomEntries = children(atom, "entry");
  entries.forEach((e, i) => {
    const entry = atomEntries[i]!;
    expect(child(entry, "id").text).toBe(href(e.id));
    expect(child(entry, "title").text).toBe(clean(e.title));
    expect(child(entry, "summary").text).toBe(clean(e.summary));
    expect(child(entry, "content").text).toBe(clean(e.contentHtml));
    expect(child(child(entry, "author"), "name").text).toBe(name);
    expect(children(entry, "category").map((c) => c.attributes)).toEqual([
      ...e.categories.map((c) => ({ term: clean(c.slug), label: clean(c.name), scheme: "https://feeds.example.com/categories/" })),
      ...tagsOf(e).map((term) => ({ term })),
    ]);
  });

  const json = assertJsonFeed11(docs.json) as { title: string; description?: string; items: Record<string, unknown>[] };
  expect(json.title).toBe(clean(feedTitle(site, feed)));
  expect(json.description ?? "").toBe(clean(feedDescription(site, feed)));
  entries.forEach((e, i) => {
    const item = json.items[i]!;
    const tags = [...new Set([...e.categories.map((c) => c.name), ...e.tags].map(clean))];
    expect(item.id).toBe(clean(e.id));
    expect(item.title ?? "").toBe(clean(e.title));
    expect(item.content_html).toBe(clean(e.contentHtml));
    // feed writes a summary only next to content.
    expect(item.summary).toBe(clean(e.summary) && clean(e.contentHtml) ? clean(e.summary) : undefined);
    expect(item.tags).toEqual(tags.length ? tags : undefined);
    expect(item.authors).toEqual([{ name, url: "https://example.com/jane/" }]);
  });
}

function checkUrls(input: FeedInput): void {
  const { site } = input;
  const e = input.entries[0]!;
  const author = input.authors.get(authorSlug)!;
  const docs = renderFeed(input);

  const channel = child(parseXmlStrict(docs.rss), "channel");
  const item = child(channel, "item");
  expect(child(channel, "language").text).toBe(clean(site.language));
  expect(child(child(channel, "image"), "url").text).toBe(clean(site.icon!));
  expect(children(channel, "atom:link").filter((l) => attr(l, "rel") === "hub").map((l) => attr(l, "href"))).toEqual([clean(site.hubs[0]!)]);
  expect(child(item, "link").text).toBe(href(e.url));
  expect(children(item, "dc:language").map((l) => l.text)).toEqual(e.lang ? [clean(e.lang)] : []);
  expect(child(item, "enclosure").attributes).toEqual({ url: href(e.audio!.url), type: clean(e.audio!.type), length: "7" });
  expect(child(item, "media:content").attributes).toEqual({ url: clean(e.image!.url), type: clean(e.image!.type), medium: "image" });

  const atom = parseXmlStrict(docs.atom);
  const entry = child(atom, "entry");
  expect(attr(atom, "xml:lang")).toBe(clean(site.language));
  expect(child(atom, "icon").text).toBe(clean(site.icon!));
  expect(attr(entry, "xml:lang")).toBe(e.lang ? clean(e.lang) : undefined);
  expect(children(entry, "link").map((l) => l.attributes)).toEqual([
    { href: href(e.url) },
    { rel: "enclosure", href: clean(e.image!.url), type: clean(e.image!.type), length: "0" },
    { rel: "enclosure", href: clean(e.audio!.url), type: clean(e.audio!.type), length: "7" },
  ]);
  expect(child(child(entry, "author"), "uri").text).toBe(href(author.url!));

  // No schema check: it wants RFC 3986 URIs, MIME types and language tags, which these aren't.
  const json = JSON.parse(docs.json) as Record<string, unknown> & { items: Record<string, unknown>[] };
  expect(json).toMatchObject({ icon: clean(site.icon!), language: clean(site.language), hubs: [{ type: "WebSub", url: clean(site.hubs[0]!) }] });
  expect(json.items[0]).toMatchObject({
    url: clean(e.url),
    image: clean(e.image!.url),
    authors: [{ name: author.name, url: clean(author.url!), avatar: clean(author.avatar!) }],
    attachments: [{ url: clean(e.audio!.url), mime_type: clean(e.audio!.type), size_in_bytes: 7 }],
  });
  expect(json.items[0]!.language).toBe(e.lang ? clean(e.lang) : undefined);
}

describe("property: any string in any field", () => {
  it("text fields: RSS and Atom parse strictly and keep the text; the JSON Feed validates and keeps it", () => {
    fc.assert(fc.property(anyText, checkText), { numRuns: 200 });
  });

  it("URL, MIME type and language fields: RSS and Atom parse strictly and keep the value; so does JSON", () => {
    fc.assert(fc.property(anyUrl, checkUrls), { numRuns: 200 });
  });

  describe("a few samples, judged by xmllint and Python feedparser too", () => {
    const dir = mkdtempSync(join(tmpdir(), "feedpub-property-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    // Fixed seed: these judges are slow, so the same few inputs every run.
    const samples = [...fc.sample(anyText, { numRuns: 3, seed: 20261129 }), ...fc.sample(anyUrl, { numRuns: 3, seed: 20261129 })];

    it.skipIf(!hasXmllint && !hasFeedparser).each(samples.map((s, i) => [i, s] as const))("sample %i", (i, input) => {
      const docs = renderFeed(input);
      for (const [format, doc] of [["rss", docs.rss], ["atom", docs.atom]] as const) {
        const path = join(dir, `${i}.${format}.xml`);
        writeFileSync(path, doc);
        if (hasXmllint) xmllint(path);
        if (hasFeedparser) {
          const parsed = feedparser(path);
          expect(parsed.bozo, `${format}: ${parsed.bozo_exception}`).toBe(false);
          expect(parsed.entries).toHaveLength(input.entries.length);
        }
      }
    });
  });
});
