import { Feed, type Item } from "feed";
import { feedDescription, feedTitle } from "../feeds.js";
import { escapeXml } from "../text.js";
import { authorOf, feedUrls, FH_NS, historyLinks, newestDate, type FeedInput } from "./input.js";
import { indentationAt, locateOnce, replaceOnce, Tokens } from "./tokens.js";

/**
 * RSS 2.0, built by `feed`, then completed where feed 6.0.0 falls short: `dc:creator`
 * instead of the email-only `author`; `dc:language` and `media:content` per item; every
 * WebSub hub, not only one; RFC 5005 history links.
 */

const MEDIA_NS = "http://search.yahoo.com/mrss/";
const DC_NS = "http://purl.org/dc/elements/1.1/";

export function renderRss(input: FeedInput): string {
  const { site, feed, entries, authors } = input;
  const t = new Tokens("rss");
  const urls = feedUrls(site, feed, input.location);
  const self = t.url(urls.rss, "self link");
  const f = new Feed({
    title: t.text(feedTitle(site, feed)),
    description: t.text(feedDescription(site, feed)),
    id: self,
    link: t.url(`${site.baseUrl}/`, "site link"),
    feed: self,
    language: t.text(site.language),
    updated: newestDate(entries),
    generator: "feedpub",
    ...(site.copyright ? { copyright: t.text(site.copyright) } : {}),
    ...(site.icon ? { image: t.text(site.icon) } : {}),
  });
  for (const e of entries) {
    const extensions: Item["extensions"] = [
      { name: "dc:creator", objects: e.authors.map((a) => ({ _text: t.text(authorOf(a, authors).name) })) as unknown as Record<string, unknown> },
    ];
    if (e.lang) extensions.push({ name: "dc:language", objects: { _text: t.text(e.lang) } });
    if (e.image) extensions.push({ name: "media:content", objects: { _attributes: { url: t.text(e.image.url), type: t.text(e.image.type), medium: "image" } } });
    f.addItem({
      title: t.text(e.title),
      id: t.text(e.id),
      link: t.url(e.url, "item link"),
      date: new Date(e.updated),
      published: new Date(e.published),
      // RSS `description` is HTML; our summaries are plain text.
      description: t.text(escapeXml(e.summary)),
      content: t.text(e.contentHtml),
      category: [...e.categories.map((c) => ({ name: t.text(c.name) })), ...e.tags.map((tag) => ({ name: t.text(tag) }))],
      // RSS allows one enclosure: the audio when there is one, else the image. Our type
      // replaces the one feed guesses from the file extension (`image/jpg`).
      ...(e.audio
        ? { enclosure: { url: t.url(e.audio.url, "audio url"), type: t.text(e.audio.type), length: e.audio.length } }
        : e.image ? { enclosure: { url: t.url(e.image.url, "image url"), type: t.text(e.image.type), length: 0 } } : {}),
      extensions,
    });
  }
  let xml = f.rss2();

  // feed declares dc only along with content:encoded, and never media or fh.
  const namespaces = [
    ...(input.location ? [` xmlns:fh="${FH_NS}"`] : []),
    ...(xml.includes('xmlns:dc="') ? [] : [` xmlns:dc="${DC_NS}"`]),
    ` xmlns:media="${MEDIA_NS}"`,
  ].join("");
  xml = replaceOnce(xml, "rss", "rss start tag", '<rss version="2.0"', (m) => m + namespaces);

  // feed writes one hub at most, and no history links: ours follow the self link.
  const links = [
    ...site.hubs.map((h) => `<atom:link href="${t.text(h)}" rel="hub"/>`),
    ...historyLinks(input).map(([rel, loc]) => `<atom:link href="${t.text(feedUrls(site, feed, loc).rss)}" rel="${rel}" type="application/rss+xml"/>`),
    ...(input.location ? ["<fh:archive/>"] : []),
  ];
  const selfLink = `<atom:link href="${self}" rel="self" type="application/rss+xml"/>`;
  const at = locateOnce(xml, "rss", "self link", selfLink);
  const indent = indentationAt(xml, at, "rss", "self link");
  xml = replaceOnce(xml, "rss", "self link", selfLink, (m) => m + links.map((l) => `\n${indent}${l}`).join(""));
  return t.resolve(xml);
}
