import { FEED_PAGE, INDEX_PAGE, OPML } from "../contracts/paths.js";
import { INDEX_STYLE } from "../contracts/page-style.js";
import { FEED_FILES, feedDescription, feedDir, feedKey, feedTitle, siteUrl } from "./feeds.js";
import type { Author, FeedEntry, FeedInfo, FeedRef, Site } from "./model.js";
import { escapeXml as esc } from "./text.js";

/**
 * The documents for people: `index.html` (latest articles, every feed, feed
 * autodiscovery), one page per feed (`feed.html`: what a subscriber gets and the
 * addresses to copy) and `feeds.opml` (every feed, for one-click subscription). Pure
 * and deterministic: no build time is printed, so unchanged content gives unchanged bytes.
 */

export interface PagesInput {
  readonly site: Site;
  /** Site feed entries, newest first. */
  readonly latest: readonly FeedEntry[];
  readonly feeds: readonly FeedInfo[];
  readonly authors: ReadonlyMap<string, Author>;
}

/** Feeds sorted for display: the site feed, categories, then authors, by title. */
export function displayFeeds(feeds: readonly FeedInfo[], authors: ReadonlyMap<string, Author>): FeedInfo[] {
  const order = { site: 0, category: 1, author: 2 } as const;
  return feeds
    .map((f) => (f.kind === "author" ? { ...f, title: authors.get(f.slug)?.name ?? f.title } : f))
    .sort((a, b) => order[a.kind] - order[b.kind] || a.title.localeCompare(b.title, "en") || feedKey(a).localeCompare(feedKey(b)));
}

const RTL = /^(ar|fa|he|ur|ps|sd|ug|yi|dv|ckb)(-|$)/i;

function isRtl(lang: string): boolean {
  return RTL.test(lang);
}

function date(iso: string, site: Site): string {
  return new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: site.timeZone }).format(new Date(iso));
}


/** The three formats, in the order pages list them, with their media types. */
const FORMATS = [
  { format: "rss", type: "application/rss+xml", label: "RSS" },
  { format: "atom", type: "application/atom+xml", label: "Atom" },
  { format: "json", type: "application/feed+json", label: "JSON Feed" },
] as const;

/** The `<link rel="alternate">` of a feed's three documents: readers and browsers find the feed from the page. */
function alternates(site: Site, feed: FeedInfo): string {
  const title = esc(feedTitle(site, feed));
  return FORMATS.map(({ format, type, label }) => `
  <link rel="alternate" type="${type}" title="${title} (${label})" href="${esc(siteUrl(site, feedDir(feed) + FEED_FILES[format]))}">`).join("");
}

/** The address of a feed's page for people. */
export function feedPagePath(feed: FeedRef): string {
  return feedDir(feed) + FEED_PAGE;
}

/** One entry as a card: title (linked), date, authors, categories (linked to their feed pages), summary. */
function entryCard(e: FeedEntry, site: Site, authors: ReadonlyMap<string, Author>): string {
  const lang = e.lang ?? site.language;
  const dir = isRtl(lang) ? "rtl" : "ltr";
  const names = e.authors.map((a) => esc(authors.get(a)?.name ?? a)).join(", ");
  const cats = e.categories.map((c) => `<a class="tag" href="${esc(siteUrl(site, feedPagePath({ kind: "category", slug: c.slug })))}">${esc(c.name)}</a>`).join(" ");
  return `
      <article lang="${esc(lang)}" dir="${dir}">
        <h3><a href="${esc(e.url)}">${esc(e.title)}</a></h3>
        <p class="meta" dir="ltr"><time datetime="${esc(e.published)}">${esc(date(e.published, site))}</time> · ${names} ${cats}</p>
        <p>${esc(e.summary)}</p>
      </article>`;
}

function head(site: Site, title: string, description: string, feed: FeedInfo): string {
  return `<!doctype html>
<html lang="${esc(site.language)}" dir="${isRtl(site.language) ? "rtl" : "ltr"}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${esc(title)}</title>
  <meta name="description" content="${esc(description)}">${alternates(site, feed)}
  <style>${INDEX_STYLE}</style>
</head>`;
}

export function renderIndexHtml({ site, latest, feeds, authors }: PagesInput): string {
  const sorted = displayFeeds(feeds, authors);
  const link = (f: FeedInfo, file: string) => siteUrl(site, feedDir(f) + file);
  // The name leads to the feed's page (for people); the three formats to the documents.
  const feedRow = (f: FeedInfo) => `
        <li><span class="feed-name"><a href="${esc(siteUrl(site, feedPagePath(f)))}">${esc(f.kind === "site" ? "Everything" : f.title)}</a></span>
          <a href="${esc(link(f, FEED_FILES.rss))}">RSS</a>
          <a href="${esc(link(f, FEED_FILES.atom))}">Atom</a>
          <a href="${esc(link(f, FEED_FILES.json))}">JSON Feed</a></li>`;
  const section = (title: string, kind: FeedInfo["kind"]) => {
    const list = sorted.filter((f) => f.kind === kind);
    return list.length === 0 ? "" : `
      <h3>${title}</h3>
      <ul class="feeds">${list.map(feedRow).join("")}
      </ul>`;
  };
  const articles = latest.map((e) => entryCard(e, site, authors)).join("");
  const siteFeed: FeedInfo = { kind: "site", slug: "", title: site.title };
  return `${head(site, `${site.title}: feeds`, site.description, siteFeed)}
<body>
  <header>
    <h1>${esc(site.title)}</h1>
    <p class="lede">${esc(site.description)}</p>
    <p class="subscribe"><a href="${esc(link(siteFeed, FEED_FILES.rss))}">RSS</a><a href="${esc(link(siteFeed, FEED_FILES.atom))}">Atom</a><a href="${esc(link(siteFeed, FEED_FILES.json))}">JSON Feed</a><a href="${esc(siteUrl(site, OPML))}">All feeds (OPML)</a></p>
  </header>
  <main>
    <section>
      <h2>Latest articles</h2>${articles || "\n      <p>No articles yet.</p>"}
    </section>
    <section>
      <h2>Feeds</h2>
      <p class="meta">Paste a feed address into your reader, for example <code class="example">${esc(link(siteFeed, FEED_FILES.rss))}</code></p>${section("Site", "site")}${section("Categories", "category")}${section("Authors", "author")}
    </section>
  </main>
</body>
</html>
`;
}

export interface FeedPageInput {
  readonly site: Site;
  /** With its display title (an author feed's is the author's name). */
  readonly feed: FeedInfo;
  /** The feed's current entries, newest first: exactly what a subscriber receives. */
  readonly entries: readonly FeedEntry[];
  readonly authors: ReadonlyMap<string, Author>;
}

/**
 * A feed's page for people (`<feed folder>feed.html`): someone who follows a feed link
 * from a browser sees what subscribing gets them instead of raw XML. Browsers no longer
 * render feeds (XSLT is ignored for `application/rss+xml` and being removed), so this is
 * a page of its own, linked from index.html and autodiscoverable. No script: the
 * addresses are read-only fields to select and copy, which the CSP allows as it is.
 */
export function renderFeedPage({ site, feed, entries, authors }: FeedPageInput): string {
  const title = feedTitle(site, feed);
  const description = feedDescription(site, feed);
  const name = feed.kind === "site" ? "Everything" : feed.title;
  const addresses = FORMATS.map(({ format, label }) => `
      <label class="address"><span>${label}</span><input type="url" readonly value="${esc(siteUrl(site, feedDir(feed) + FEED_FILES[format]))}"></label>`).join("");
  const cards = entries.map((e) => entryCard(e, site, authors)).join("");
  return `${head(site, `${title}: feed`, description, feed)}
<body>
  <header class="feed-page">
    <p class="crumb"><a href="${esc(siteUrl(site, INDEX_PAGE))}">${esc(site.title)}</a> · <a href="${esc(siteUrl(site, OPML))}">All feeds (OPML)</a></p>
    <h1>${esc(name)}</h1>
    <p class="lede">${esc(description)}</p>
  </header>
  <main class="feed-page">
    <section>
      <h2>Subscribe</h2>
      <p>This is a news feed: a feed reader app checks it for you and shows each new article as it is published. Free readers include NetNewsWire, Feedly, Inoreader and Thunderbird.</p>
      <ol class="howto">
        <li>Copy one of these addresses (click it, select all, copy).</li>
        <li>In your reader, choose “Add feed” or “Subscribe” and paste it.</li>
      </ol>${addresses}
      <p class="meta">All three carry the same articles: RSS suits any reader; Atom and JSON Feed are newer formats that some readers prefer. Many readers also find the feed when you paste this page’s address.</p>
    </section>
    <section>
      <h2>Latest entries</h2>${cards || "\n      <p>No entries yet.</p>"}
    </section>
  </main>
</body>
</html>
`;
}

export function renderOpml({ site, feeds, authors }: PagesInput): string {
  const outline = (f: FeedInfo) => {
    const title = feedTitle(site, f);
    return `      <outline type="rss" text="${esc(title)}" title="${esc(title)}" xmlUrl="${esc(siteUrl(site, feedDir(f) + FEED_FILES.rss))}" htmlUrl="${esc(siteUrl(site, feedPagePath(f)))}"/>\n`;
  };
  const group = (title: string, kind: FeedInfo["kind"]) => {
    const list = displayFeeds(feeds, authors).filter((f) => f.kind === kind);
    return list.length === 0 ? "" : `    <outline text="${esc(title)}">\n${list.map(outline).join("")}    </outline>\n`;
  };
  return `<?xml version="1.0" encoding="utf-8"?>
<opml version="2.0">
  <head>
    <title>${esc(site.title)}: all feeds</title>
    <ownerName>${esc(site.title)}</ownerName>
    <docs>http://opml.org/spec2.opml</docs>
  </head>
  <body>
${group("Site", "site")}${group("Categories", "category")}${group("Authors", "author")}  </body>
</opml>
`;
}
