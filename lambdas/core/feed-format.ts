import { Feed, type Item } from "feed";
import { FEED_FILES, feedDescription, feedDir, feedKey, feedTitle, siteUrl, type FeedFormat } from "./feeds.js";
import type { Author, DeletedEntry, FeedEntry, FeedInfo, Site } from "./model.js";
import { escapeXml, stripInvalidXmlChars } from "./text.js";

/**
 * The one layer around the `feed` package. `feed` builds the structure of each format;
 * this file fixes where feed 6.0.0 falls short of the specs:
 *
 * - Escaping: feed writes text in CDATA and replaces only the first `]]>`, and xml-js
 *   un-escapes `&amp;` in text. We hand feed opaque tokens instead of text and swap in
 *   properly escaped text afterwards, so no input can break the XML.
 * - XML-forbidden characters (feed passes them through) are stripped from every value.
 * - RSS: `dc:creator` instead of the email-only `author`; `dc:language` and
 *   `media:content` per item; every WebSub hub, not only one.
 * - Atom: `xml:lang` on the feed and on entries in another language; image enclosures
 *   with their real MIME type (feed guesses `image/jpg`); every hub.
 * - JSON Feed: feed writes version 1.0; we rewrite it to 1.1 (`authors`, `language`,
 *   `hubs`, item `language`, plain-text `summary`).
 * - No hidden clock: `updated` is the newest entry's date, so equal input gives equal bytes.
 */

/** Dates used when a feed has no entry, so an empty feed is still deterministic. */
const EMPTY_FEED_DATE = new Date("2000-01-01T00:00:00.000Z");

export interface FeedDocuments {
  readonly rss: string;
  readonly atom: string;
  readonly json: string;
}

export interface FeedInput {
  readonly site: Site;
  readonly feed: FeedInfo;
  /** Newest first. */
  readonly entries: readonly FeedEntry[];
  readonly authors: ReadonlyMap<string, Author>;
  /** Where this document sits, relative to the feed's folder: "" for the current feed, `archive/<day>/` for a page. @default "" */
  readonly location?: string;
  /** RFC 5005: the next older archive page's location, if any. */
  readonly prevArchive?: string;
  /** RFC 5005, archive pages only: the next newer page's location; absent on the newest page. */
  readonly nextArchive?: string;
  /** RFC 6721 (Atom only): entries that recently left this feed. */
  readonly deleted?: readonly DeletedEntry[];
}

const FH_NS = "http://purl.org/syndication/history/1.0";
const AT_NS = "http://purl.org/atompub/tombstones/1.0";

/**
 * U+0001 and U+0002 cannot survive into a document (every value is cleaned of XML-forbidden
 * characters, URLs are percent-encoded), so a token never collides with real text.
 */
const TOKEN = /(?:<!\[CDATA\[)?\u0001(\d+)\u0002(?:\]\]>)?/g;

/** Opaque placeholders for text; see the file comment. */
class Tokens {
  private readonly values: string[] = [];
  put(text: string): string {
    this.values.push(text);
    return `\u0001${this.values.length - 1}\u0002`;
  }
  /** Replaces `<![CDATA[token]]>` and bare tokens with escaped text, in one pass. */
  resolve(xml: string): string {
    return xml.replace(TOKEN, (_, i: string) => escapeXml(this.values[Number(i)] ?? ""));
  }
}

/** RSS `description` is HTML; our summaries are plain text. */
const escapeHtml = (text: string): string => escapeXml(text);

function authorOf(slug: string, authors: ReadonlyMap<string, Author>): Author {
  // The store only indexes articles whose authors exist; a later deleted author file
  // still leaves a valid name.
  return authors.get(slug) ?? { slug, name: slug, bioHtml: "" };
}

function feedUrls(site: Site, feed: FeedInfo, location = ""): Record<FeedFormat, string> {
  const dir = feedDir(feed) + location;
  return {
    rss: siteUrl(site, dir + FEED_FILES.rss),
    atom: siteUrl(site, dir + FEED_FILES.atom),
    json: siteUrl(site, dir + FEED_FILES.json),
  };
}

function newestDate(entries: readonly FeedEntry[]): Date {
  let newest = "";
  for (const e of entries) if (e.updated > newest) newest = e.updated;
  return newest ? new Date(newest) : EMPTY_FEED_DATE;
}

export function renderFeed(input: FeedInput): FeedDocuments {
  return { rss: renderRss(input), atom: renderAtom(input), json: renderJson(input) };
}

/** The history links (RFC 5005) of a document, as [rel, location] pairs. */
function historyLinks(input: FeedInput): [string, string][] {
  const links: [string, string][] = [];
  if (input.prevArchive !== undefined) links.push(["prev-archive", input.prevArchive]);
  if (input.location) {
    if (input.nextArchive !== undefined) links.push(["next-archive", input.nextArchive]);
    links.push(["current", ""]);
  }
  return links;
}

function renderRss(input: FeedInput): string {
  const { site, feed, entries, authors } = input;
  const t = new Tokens();
  const urls = feedUrls(site, feed, input.location);
  const f = new Feed({
    title: t.put(feedTitle(site, feed)),
    description: t.put(feedDescription(site, feed)),
    id: urls.rss,
    link: `${site.baseUrl}/`,
    feed: urls.rss,
    language: site.language,
    updated: newestDate(entries),
    generator: "feedpub",
    ...(site.copyright ? { copyright: t.put(site.copyright) } : {}),
    ...(site.icon ? { image: t.put(site.icon) } : {}),
  });
  for (const e of entries) {
    const extensions: Item["extensions"] = [
      { name: "dc:creator", objects: e.authors.map((a) => ({ _text: t.put(authorOf(a, authors).name) })) as unknown as Record<string, unknown> },
    ];
    if (e.lang) extensions.push({ name: "dc:language", objects: { _text: t.put(e.lang) } });
    if (e.image) extensions.push({ name: "media:content", objects: { _attributes: { url: t.put(e.image.url), type: t.put(e.image.type), medium: "image" } } });
    f.addItem({
      title: t.put(e.title),
      id: t.put(e.id),
      link: e.url,
      date: new Date(e.updated),
      published: new Date(e.published),
      description: t.put(escapeHtml(e.summary)),
      content: t.put(e.contentHtml),
      category: [...e.categories.map((c) => ({ name: t.put(c.name) })), ...e.tags.map((tag) => ({ name: t.put(tag) }))],
      // RSS allows one enclosure: the audio when there is one, else the image.
      ...(e.audio
        ? { enclosure: { url: e.audio.url, type: e.audio.type, length: e.audio.length } }
        : e.image ? { enclosure: { url: e.image.url, type: e.image.type, length: 0 } } : {}),
      extensions,
    });
  }
  let xml = f.rss2();
  xml = xml.replace(/<rss version="2.0"/, '<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"');
  if (!xml.includes('xmlns:dc="')) xml = xml.replace(/<rss version="2.0"/, '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"');
  const links = [
    ...site.hubs.map((h) => `        <atom:link href="${escapeXml(h)}" rel="hub"/>\n`),
    ...historyLinks(input).map(([rel, loc]) => `        <atom:link href="${escapeXml(feedUrls(site, feed, loc).rss)}" rel="${rel}" type="application/rss+xml"/>\n`),
    ...(input.location ? ["        <fh:archive/>\n"] : []),
  ].join("");
  if (input.location) xml = xml.replace(/<rss version="2.0"/, `<rss version="2.0" xmlns:fh="${FH_NS}"`);
  xml = xml.replace(/(<atom:link href="[^"]*" rel="self" type="application\/rss\+xml"\/>\n)/, `$1${links}`);
  return stripInvalidXmlChars(t.resolve(xml));
}

function renderAtom(input: FeedInput): string {
  const { site, feed, entries, authors } = input;
  const t = new Tokens();
  const urls = feedUrls(site, feed, input.location);
  const extras: string[] = [];
  const f = new Feed({
    title: t.put(feedTitle(site, feed)),
    description: t.put(feedDescription(site, feed)),
    id: `${site.idPrefix}feeds/${encodeURI(feedKey(feed))}${input.location ? `/${input.location.replace(/\/$/, "")}` : ""}`,
    link: `${site.baseUrl}/`,
    feedLinks: { atom: urls.atom },
    updated: newestDate(entries),
    generator: "feedpub",
    ...(site.copyright ? { copyright: t.put(site.copyright) } : {}),
    ...(site.icon ? { favicon: site.icon } : {}),
  });
  for (const e of entries) {
    let extra = "";
    if (e.image) extra += `<link rel="enclosure" href="${escapeXml(e.image.url)}" type="${escapeXml(e.image.type)}" length="0"/>`;
    if (e.audio) extra += `<link rel="enclosure" href="${escapeXml(e.audio.url)}" type="${escapeXml(e.audio.type)}" length="${e.audio.length}"/>`;
    extras.push(extra);
    f.addItem({
      title: t.put(e.title),
      id: e.id,
      link: e.url,
      date: new Date(e.updated),
      published: new Date(e.published),
      description: t.put(e.summary),
      content: t.put(e.contentHtml),
      author: e.authors.map((slug) => {
        const a = authorOf(slug, authors);
        return { name: t.put(a.name), ...(a.url ? { link: a.url } : {}) };
      }),
      category: e.categories.map((c) => ({ term: t.put(c.slug), name: t.put(c.name), scheme: siteUrl(site, "categories/") })),
      // A marker that locates the entry; replaced below by the extra elements feed can't write.
      copyright: `@@entry${extras.length - 1}@@`,
    });
  }
  // Titles and summaries are plain text: say so, rather than feed's type="html".
  let xml = f.atom1().replace(/<(title|summary) type="html">/g, '<$1 type="text">');
  const ns = `${input.location ? ` xmlns:fh="${FH_NS}"` : ""}${input.deleted?.length ? ` xmlns:at="${AT_NS}"` : ""}`;
  xml = xml.replace('<feed xmlns="http://www.w3.org/2005/Atom">', `<feed xmlns="http://www.w3.org/2005/Atom"${ns} xml:lang="${escapeXml(site.language)}">`);
  const links = [
    ...site.hubs.map((h) => `\n    <link rel="hub" href="${escapeXml(h)}"/>`),
    ...historyLinks(input).map(([rel, loc]) => `\n    <link rel="${rel}" href="${escapeXml(feedUrls(site, feed, loc).atom)}" type="application/atom+xml"/>`),
    ...(input.location ? ["\n    <fh:archive/>"] : []),
    ...(input.deleted ?? []).map((d) => `\n    <at:deleted-entry ref="${escapeXml(d.id)}" when="${escapeXml(d.when)}"/>`),
  ].join("");
  xml = xml.replace(/(<link rel="self" href="[^"]*"\/>)/, `$1${links}`);
  entries.forEach((e, i) => {
    const marker = `<rights>@@entry${i}@@</rights>`;
    let at = xml.indexOf(marker);
    // Take the marker's indentation with it when nothing replaces it.
    const lineStart = xml.lastIndexOf("\n", at);
    const indented = !extras[i] && xml.slice(lineStart + 1, at).trim() === "";
    const cut = indented ? marker.length + (at - lineStart) : marker.length;
    if (indented) at = lineStart;
    const start = xml.lastIndexOf("<entry>", at);
    const open = e.lang ? `<entry xml:lang="${escapeXml(e.lang)}">` : "<entry>";
    xml = xml.slice(0, start) + open + xml.slice(start + "<entry>".length, at) + (extras[i] ?? "") + xml.slice(at + cut);
  });
  return stripInvalidXmlChars(t.resolve(xml));
}

/** JSON Feed 1.1 item, as the spec names its fields. */
interface JsonFeedItem {
  id: string;
  url?: string;
  title?: string;
  content_html?: string;
  summary?: string;
  image?: string;
  date_published?: string;
  date_modified?: string;
  authors?: { name: string; url?: string; avatar?: string }[];
  tags?: string[];
  language?: string;
  [k: string]: unknown;
}

function renderJson(input: FeedInput): string {
  const { site, feed, entries, authors } = input;
  const urls = feedUrls(site, feed, input.location);
  const clean = stripInvalidXmlChars;
  const f = new Feed({
    title: clean(feedTitle(site, feed)),
    description: clean(feedDescription(site, feed)),
    id: urls.json,
    link: `${site.baseUrl}/`,
    feedLinks: { json: urls.json },
    updated: newestDate(entries),
    ...(site.icon ? { image: site.icon } : {}),
  });
  for (const e of entries) {
    f.addItem({
      title: clean(e.title),
      id: e.id,
      link: e.url,
      date: new Date(e.updated),
      published: new Date(e.published),
      description: clean(e.summary),
      content: clean(e.contentHtml),
      ...(e.image ? { image: e.image.url } : {}),
    });
  }
  const v1 = JSON.parse(f.json1()) as { items: JsonFeedItem[] } & Record<string, unknown>;
  const items = v1.items.map((item, i): JsonFeedItem => {
    const e = entries[i]!;
    const { author: _drop, ...rest } = item;
    const authorList = e.authors.map((slug) => {
      const a = authorOf(slug, authors);
      return { name: clean(a.name), ...(a.url ? { url: a.url } : {}), ...(a.avatar ? { avatar: a.avatar } : {}) };
    });
    const tags = [...new Set([...e.categories.map((c) => c.name), ...e.tags].map(clean))];
    return {
      ...rest,
      id: e.id,
      authors: authorList,
      ...(tags.length > 0 ? { tags } : {}),
      ...(e.lang ? { language: e.lang } : {}),
      ...(e.audio ? { attachments: [{ url: e.audio.url, mime_type: e.audio.type, size_in_bytes: e.audio.length, ...(e.audio.duration !== undefined ? { duration_in_seconds: e.audio.duration } : {}) }] } : {}),
    };
  });
  const doc = {
    version: "https://jsonfeed.org/version/1.1",
    title: v1.title,
    home_page_url: v1.home_page_url,
    feed_url: v1.feed_url,
    description: v1.description,
    ...(site.icon ? { icon: site.icon, favicon: site.icon } : {}),
    language: site.language,
    ...(site.hubs.length > 0 ? { hubs: site.hubs.map((url) => ({ type: "WebSub", url })) } : {}),
    // JSON Feed pages go from newer to older: next_url is RFC 5005's prev-archive.
    ...(input.prevArchive !== undefined ? { next_url: feedUrls(site, feed, input.prevArchive).json } : {}),
    items,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
