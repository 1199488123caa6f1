import { FEED_PAGE, INDEX_PAGE, OPML, URDU_FONT } from "../contracts/paths.js";
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

/**
 * The only CSS of every page (index.html and each feed page), inline (one request, no
 * external file). Served with a Content-Security-Policy that allows exactly these bytes
 * by their SHA-256 (`contracts/http-headers.ts`): edit freely, the hash follows. One
 * string for all pages, so one hash covers them all.
 *
 * Urdu: the self-hosted Noto Nastaliq Urdu (`URDU_FONT`, Arabic-script subset, 159 KB)
 * is fetched only by a page that shows a character of its `unicode-range`. Its URL is
 * root-relative, not absolute: the stylesheet must not depend on site.yaml, or its hash
 * (fixed in the CloudFront policy at deploy time) would too; the site is served at the
 * root of its domain.
 */
export const INDEX_STYLE = `
    @font-face { font-family: "Noto Nastaliq Urdu"; font-style: normal; font-weight: 400; font-display: swap; src: url("/${URDU_FONT}") format("woff2"); unicode-range: U+0600-06FF, U+0750-077F, U+0870-088E, U+0890-0891, U+0897-08E1, U+08E3-08FF, U+200C-200E, U+2010-2011, U+204F, U+2E41, U+FB50-FDFF, U+FE70-FE74, U+FE76-FEFC; }
    :root { color-scheme: light dark; --fg: #1d2329; --muted: #5b6570; --bg: #fbfaf7; --card: #fff; --accent: #b4410f; --line: #e4e0d8; }
    @media (prefers-color-scheme: dark) { :root { --fg: #e9e6e0; --muted: #a5a09a; --bg: #16181b; --card: #1f2226; --accent: #ff8a4c; --line: #33373d; } }
    * { box-sizing: border-box; }
    body { margin: 0; font: 17px/1.55 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Nastaliq Urdu", sans-serif; color: var(--fg); background: var(--bg); }
    /* Urdu is written in Nastaliq; a Naskh fallback from the system font would read as another style. */
    :lang(ur) { font-family: "Noto Nastaliq Urdu", system-ui, sans-serif; }
    header, main { max-width: 60rem; margin: 0 auto; padding: 0 1.25rem; }
    header { padding-top: 2.5rem; padding-bottom: 1rem; border-bottom: 1px solid var(--line); }
    h1 { margin: 0 0 .25rem; font-size: 2rem; letter-spacing: -.01em; }
    h2 { font-size: 1.1rem; text-transform: uppercase; letter-spacing: .08em; color: var(--muted); margin: 2rem 0 .75rem; }
    h3 { margin: 0 0 .25rem; font-size: 1.15rem; }
    a { color: var(--accent); }
    .lede { color: var(--muted); margin: 0; }
    .crumb { margin: 0 0 .5rem; font-size: .9rem; }
    .subscribe { margin: 1rem 0 0; display: flex; gap: .5rem; flex-wrap: wrap; }
    .subscribe a { text-decoration: none; border: 1px solid var(--accent); border-radius: 999px; padding: .2rem .8rem; font-size: .9rem; }
    main { display: grid; grid-template-columns: 1fr; gap: 0 2.5rem; padding-bottom: 3rem; }
    @media (min-width: 52rem) { main { grid-template-columns: 3fr 2fr; } main.feed-page { grid-template-columns: 1fr; } }
    article { background: var(--card); border: 1px solid var(--line); border-radius: .6rem; padding: 1rem 1.2rem; margin-bottom: .9rem; }
    article h3 a { color: inherit; text-decoration: none; }
    article p { margin: .35rem 0 0; }
    /* Nastaliq and Naskh need room above and below the line. */
    article[dir="rtl"] { line-height: 2.2; }
    .meta { font-size: .85rem; color: var(--muted); }
    .tag { font-size: .8rem; margin-inline-start: .35rem; }
    ul.feeds { list-style: none; padding: 0; margin: 0 0 1rem; }
    ul.feeds li { padding: .35rem 0; border-bottom: 1px solid var(--line); display: flex; gap: .6rem; align-items: baseline; flex-wrap: wrap; }
    .feed-name { flex: 1 1 10rem; }
    ul.feeds a { font-size: .85rem; }
    ul.feeds .feed-name a { font-size: 1rem; }
    code { font-size: .85rem; overflow-wrap: anywhere; }
    .example { display: block; margin-top: .25rem; }
    /* Feed pages: one column, so each address shows whole in its read-only field (selected and copied without any script). */
    header.feed-page, main.feed-page { max-width: 46rem; }
    .address { display: block; margin: 0 0 .8rem; }
    .address span { display: block; font-size: .85rem; font-weight: 600; }
    .address input { width: 100%; font: .85rem/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; color: var(--fg); background: var(--card); border: 1px solid var(--line); border-radius: .4rem; padding: .4rem .55rem; }
    .address input:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
    ol.howto { padding-inline-start: 1.25rem; margin: .5rem 0 1rem; }
    ol.howto li { margin-bottom: .35rem; }
  `;

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
