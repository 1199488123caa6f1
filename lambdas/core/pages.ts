import { OPML } from "../contracts/paths.js";
import { FEED_FILES, feedDir, feedKey, feedPath, feedTitle, siteUrl } from "./feeds.js";
import type { Author, FeedEntry, FeedInfo, Site } from "./model.js";
import { escapeXml as esc } from "./text.js";

/**
 * The two documents for people: `index.html` (latest articles, every feed, feed
 * autodiscovery) and `feeds.opml` (every feed, for one-click subscription). Pure and
 * deterministic: no build time is printed, so unchanged content gives unchanged bytes.
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
 * The page's only CSS, inline (one request, no external file). Served with a
 * Content-Security-Policy that allows exactly these bytes by their SHA-256
 * (`contracts/http-headers.ts`): edit freely, the hash follows.
 */
export const INDEX_STYLE = `
    :root { color-scheme: light dark; --fg: #1d2329; --muted: #5b6570; --bg: #fbfaf7; --card: #fff; --accent: #b4410f; --line: #e4e0d8; }
    @media (prefers-color-scheme: dark) { :root { --fg: #e9e6e0; --muted: #a5a09a; --bg: #16181b; --card: #1f2226; --accent: #ff8a4c; --line: #33373d; } }
    * { box-sizing: border-box; }
    body { margin: 0; font: 17px/1.55 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Nastaliq Urdu", sans-serif; color: var(--fg); background: var(--bg); }
    header, main { max-width: 60rem; margin: 0 auto; padding: 0 1.25rem; }
    header { padding-top: 2.5rem; padding-bottom: 1rem; border-bottom: 1px solid var(--line); }
    h1 { margin: 0 0 .25rem; font-size: 2rem; letter-spacing: -.01em; }
    h2 { font-size: 1.1rem; text-transform: uppercase; letter-spacing: .08em; color: var(--muted); margin: 2rem 0 .75rem; }
    h3 { margin: 0 0 .25rem; font-size: 1.15rem; }
    a { color: var(--accent); }
    .lede { color: var(--muted); margin: 0; }
    .subscribe { margin: 1rem 0 0; display: flex; gap: .5rem; flex-wrap: wrap; }
    .subscribe a { text-decoration: none; border: 1px solid var(--accent); border-radius: 999px; padding: .2rem .8rem; font-size: .9rem; }
    main { display: grid; grid-template-columns: 1fr; gap: 0 2.5rem; padding-bottom: 3rem; }
    @media (min-width: 52rem) { main { grid-template-columns: 3fr 2fr; } }
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
    code { font-size: .85rem; overflow-wrap: anywhere; }
    .example { display: block; margin-top: .25rem; }
  `;

export function renderIndexHtml({ site, latest, feeds, authors }: PagesInput): string {
  const sorted = displayFeeds(feeds, authors);
  const link = (f: FeedInfo, file: string) => siteUrl(site, feedDir(f) + file);
  const feedRow = (f: FeedInfo) => `
        <li><span class="feed-name">${esc(f.kind === "site" ? "Everything" : f.title)}</span>
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
  const articles = latest.map((e) => {
    const lang = e.lang ?? site.language;
    const dir = isRtl(lang) ? "rtl" : "ltr";
    const names = e.authors.map((a) => esc(authors.get(a)?.name ?? a)).join(", ");
    const cats = e.categories.map((c) => `<a class="tag" href="${esc(siteUrl(site, feedPath({ kind: "category", slug: c.slug }, "rss")))}">${esc(c.name)}</a>`).join(" ");
    return `
      <article lang="${esc(lang)}" dir="${dir}">
        <h3><a href="${esc(e.url)}">${esc(e.title)}</a></h3>
        <p class="meta" dir="ltr"><time datetime="${esc(e.published)}">${esc(date(e.published, site))}</time> · ${names} ${cats}</p>
        <p>${esc(e.summary)}</p>
      </article>`;
  }).join("");
  const siteFeed: FeedInfo = { kind: "site", slug: "", title: site.title };
  return `<!doctype html>
<html lang="${esc(site.language)}" dir="${isRtl(site.language) ? "rtl" : "ltr"}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${esc(site.title)}: feeds</title>
  <meta name="description" content="${esc(site.description)}">
  <link rel="alternate" type="application/rss+xml" title="${esc(feedTitle(site, siteFeed))} (RSS)" href="${esc(link(siteFeed, FEED_FILES.rss))}">
  <link rel="alternate" type="application/atom+xml" title="${esc(feedTitle(site, siteFeed))} (Atom)" href="${esc(link(siteFeed, FEED_FILES.atom))}">
  <link rel="alternate" type="application/feed+json" title="${esc(feedTitle(site, siteFeed))} (JSON Feed)" href="${esc(link(siteFeed, FEED_FILES.json))}">
  <style>${INDEX_STYLE}</style>
</head>
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

export function renderOpml({ site, feeds, authors }: PagesInput): string {
  const outline = (f: FeedInfo) => {
    const title = feedTitle(site, f);
    return `      <outline type="rss" text="${esc(title)}" title="${esc(title)}" xmlUrl="${esc(siteUrl(site, feedDir(f) + FEED_FILES.rss))}" htmlUrl="${esc(`${site.baseUrl}/`)}"/>\n`;
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
