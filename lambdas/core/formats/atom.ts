import { Feed } from "feed";
import { feedDescription, feedKey, feedTitle, siteUrl } from "../feeds.js";
import { AT_NS, authorOf, feedUrls, FH_NS, historyLinks, newestDate, type FeedInput } from "./input.js";
import { clean, FeedLayoutError, indentationAt, locateOnce, replaceOnce, Tokens } from "./tokens.js";

/**
 * Atom 1.0, built by `feed`, then completed where feed 6.0.0 falls short: `xml:lang` on the
 * feed and on entries in another language; `type="text"` on plain-text titles and
 * summaries (feed says html); image and audio enclosures with their real MIME type (feed
 * guesses `image/jpg`); every hub; RFC 5005 history links; RFC 6721 deleted entries.
 *
 * Tags are categories without a scheme, next to the site's categories, which carry the
 * site's `categories/` URL as their scheme: readers see the same labels as in RSS and JSON
 * Feed (deduplicated as in JSON Feed).
 */

const ATOM_ROOT = '<feed xmlns="http://www.w3.org/2005/Atom">';

export function renderAtom(input: FeedInput): string {
  const { site, feed, entries, authors } = input;
  const t = new Tokens("atom");
  const urls = feedUrls(site, feed, input.location);
  const self = t.url(urls.atom, "self link");
  const f = new Feed({
    title: t.text(feedTitle(site, feed)),
    description: t.text(feedDescription(site, feed)),
    id: t.text(`${site.idPrefix}feeds/${encodeURI(feedKey(feed))}${input.location ? `/${input.location.replace(/\/$/, "")}` : ""}`),
    link: t.url(`${site.baseUrl}/`, "site link"),
    feedLinks: { atom: self },
    updated: newestDate(entries),
    generator: "feedpub",
    ...(site.copyright ? { copyright: t.text(site.copyright) } : {}),
    ...(site.icon ? { favicon: t.text(site.icon) } : {}),
  });
  const categoryScheme = siteUrl(site, "categories/");
  // What each entry needs after feed: its tokens locate it in feed's output.
  const marks = entries.map((e) => {
    const mark = { id: t.url(e.id, "entry id"), title: t.text(e.title), summary: t.text(e.summary), extras: "" };
    if (e.image) mark.extras += `<link rel="enclosure" href="${t.text(e.image.url)}" type="${t.text(e.image.type)}" length="0"/>`;
    if (e.audio) mark.extras += `<link rel="enclosure" href="${t.text(e.audio.url)}" type="${t.text(e.audio.type)}" length="${e.audio.length}"/>`;
    f.addItem({
      title: mark.title,
      id: mark.id,
      link: t.url(e.url, "entry link"),
      date: new Date(e.updated),
      published: new Date(e.published),
      description: mark.summary,
      content: t.text(e.contentHtml),
      author: e.authors.map((slug) => {
        const a = authorOf(slug, authors);
        return { name: t.text(a.name), ...(a.url ? { link: t.url(a.url, "author uri") } : {}) };
      }),
      category: [
        ...e.categories.map((c) => ({ term: t.text(c.slug), name: t.text(c.name), scheme: t.url(categoryScheme, "category scheme") })),
        // A repeated tag, or one equal to a category name, would show twice in a reader; JSON Feed drops those too.
        ...[...new Set(e.tags.map(clean))].filter((tag) => !e.categories.some((c) => clean(c.name) === tag)).map((tag) => ({ term: t.text(tag) })),
      ],
    });
    return mark;
  });
  let xml = f.atom1();

  const ns = `${input.location ? ` xmlns:fh="${FH_NS}"` : ""}${input.deleted?.length ? ` xmlns:at="${AT_NS}"` : ""}`;
  xml = replaceOnce(xml, "atom", "feed start tag", ATOM_ROOT, () => `<feed xmlns="http://www.w3.org/2005/Atom"${ns} xml:lang="${t.text(site.language)}">`);

  // feed writes one hub at most, and no history links or tombstones: ours follow the self link.
  const links = [
    ...site.hubs.map((h) => `<link rel="hub" href="${t.text(h)}"/>`),
    ...historyLinks(input).map(([rel, loc]) => `<link rel="${rel}" href="${t.text(feedUrls(site, feed, loc).atom)}" type="application/atom+xml"/>`),
    ...(input.location ? ["<fh:archive/>"] : []),
    ...(input.deleted ?? []).map((d) => `<at:deleted-entry ref="${t.text(d.id)}" when="${t.text(d.when)}"/>`),
  ];
  const selfLink = `<link rel="self" href="${self}"/>`;
  const indent = indentationAt(xml, locateOnce(xml, "atom", "self link", selfLink), "atom", "self link");
  xml = replaceOnce(xml, "atom", "self link", selfLink, (m) => m + links.map((l) => `\n${indent}${l}`).join(""));

  entries.forEach((e, i) => {
    const mark = marks[i]!;
    // Titles and summaries are plain text: say so, rather than feed's type="html".
    xml = replaceOnce(xml, "atom", "entry title", `<title type="html"><![CDATA[${mark.title}]]></title>`, (m) => m.replace('"html"', '"text"'));
    xml = replaceOnce(xml, "atom", "entry summary", `<summary type="html"><![CDATA[${mark.summary}]]></summary>`, (m) => m.replace('"html"', '"text"'));
    xml = completeEntry(xml, `<id>${mark.id}</id>`, e.lang ? ` xml:lang="${t.text(e.lang)}"` : "", mark.extras);
  });
  return t.resolve(xml);
}

/**
 * Adds `attributes` to the start tag of the entry whose `<id>` is `idElement`, and `extras`
 * as its last child, on their own line with the entry's indentation.
 */
function completeEntry(xml: string, idElement: string, attributes: string, extras: string): string {
  const id = locateOnce(xml, "atom", "entry id", idElement);
  const start = xml.lastIndexOf("<entry>", id);
  if (start < 0 || xml.slice(start, id).includes("</entry>")) throw new FeedLayoutError("atom", "entry start tag", `no <entry> before ${idElement}`);
  const end = xml.indexOf("</entry>", id);
  if (end < 0 || xml.slice(id, end).includes("<entry")) throw new FeedLayoutError("atom", "entry end tag", `no </entry> after ${idElement}`);
  const childIndent = indentationAt(xml, id, "atom", "entry id");
  indentationAt(xml, end, "atom", "entry end tag");
  const lineEnd = xml.lastIndexOf("\n", end);
  const inner = extras ? `${xml.slice(start + "<entry>".length, lineEnd)}\n${childIndent}${extras}` : xml.slice(start + "<entry>".length, lineEnd);
  return `${xml.slice(0, start)}<entry${attributes}>${inner}${xml.slice(lineEnd)}`;
}
