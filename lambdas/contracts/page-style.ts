import { URDU_FONT } from "./paths.js";

/**
 * The only CSS of every page (index.html and each feed page), inline (one request, no
 * external file). Served with a Content-Security-Policy that allows exactly these bytes
 * by their SHA-256 (`http-headers.ts`): edit freely, the hash follows. A contract, not
 * core: the pages (core) and the response headers (this folder, used by the CDK app) share it. One
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
