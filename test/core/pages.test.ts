import { Parser } from "htmlparser2";
import { describe, expect, it } from "vitest";
import { CONTENT_SECURITY_POLICY, styleHash } from "../../lambdas/contracts/http-headers.js";
import { FEED_PAGE, INDEX_PAGE, URDU_FONT } from "../../lambdas/contracts/paths.js";
import type { FeedInfo } from "../../lambdas/core/model.js";
import { INDEX_STYLE } from "../../lambdas/contracts/page-style.js";
import { feedPagePath, renderFeedPage, renderIndexHtml, renderOpml } from "../../lambdas/core/pages.js";
import { aSite, anAuthor, anEntry } from "../support/builders.js";

/** Tags and attributes as a browser's tokenizer sees them (htmlparser2 tokenizes like one). */
function elements(html: string): { name: string; attrs: Record<string, string>; text: string }[] {
  const out: { name: string; attrs: Record<string, string>; text: string }[] = [];
  const open: { name: string; attrs: Record<string, string>; text: string }[] = [];
  const parser = new Parser({
    onopentag: (name, attrs) => {
      const el = { name, attrs, text: "" };
      out.push(el);
      open.push(el);
    },
    ontext: (text) => { for (const el of open) el.text += text; },
    onclosetag: () => { open.pop(); },
  }, { decodeEntities: true, lowerCaseTags: true, recognizeSelfClosing: false });
  parser.write(html);
  parser.end();
  return out;
}

const site = aSite({ baseUrl: "https://feeds.example.com" });
const authors = new Map([["jane-doe", anAuthor()]]);
const news: FeedInfo = { kind: "category", slug: "news", title: "News" };

describe("feed page (feed.html)", () => {
  it("lives in the feed's folder beside its documents, never at index.html", () => {
    expect(feedPagePath({ kind: "site", slug: "" })).toBe(FEED_PAGE);
    expect(feedPagePath(news)).toBe(`categories/news/${FEED_PAGE}`);
    expect(feedPagePath({ kind: "author", slug: "jane-doe" })).toBe(`authors/jane-doe/${FEED_PAGE}`);
    expect(FEED_PAGE).not.toBe(INDEX_PAGE);
  });

  it("shows the feed's title and description, the three addresses in read-only fields, and autodiscovery links", () => {
    const html = renderFeedPage({ site, feed: news, entries: [anEntry({ title: "First" })], authors });
    const els = elements(html);
    expect(els.find((e) => e.name === "h1")?.text).toBe("News");
    expect(els.find((e) => e.name === "title")?.text).toBe("Test News: News: feed");
    expect(html).toContain("Test News: articles in News");
    const inputs = els.filter((e) => e.name === "input");
    expect(inputs.map((i) => i.attrs.value)).toEqual([
      "https://feeds.example.com/categories/news/feed.xml",
      "https://feeds.example.com/categories/news/atom.xml",
      "https://feeds.example.com/categories/news/feed.json",
    ]);
    for (const i of inputs) expect(i.attrs).toHaveProperty("readonly");
    // Each field is labelled with its format (the label wraps it).
    expect(els.filter((e) => e.name === "label").map((l) => l.text.trim())).toEqual(["RSS", "Atom", "JSON Feed"]);
    expect(els.filter((e) => e.name === "link" && e.attrs.rel === "alternate").map((l) => [l.attrs.type, l.attrs.href])).toEqual([
      ["application/rss+xml", "https://feeds.example.com/categories/news/feed.xml"],
      ["application/atom+xml", "https://feeds.example.com/categories/news/atom.xml"],
      ["application/feed+json", "https://feeds.example.com/categories/news/feed.json"],
    ]);
    expect(els.find((e) => e.name === "ol" && e.attrs.class === "howto")?.text).toContain("Copy one of these addresses");
    // No script of any kind: the CSP allows none.
    expect(els.some((e) => e.name === "script" || Object.keys(e.attrs).some((a) => a.startsWith("on")))).toBe(false);
  });

  it("lists each entry with its title, link, date, authors and summary; the site feed is 'Everything'", () => {
    const entry = anEntry({ title: "Budget passed", url: "https://news.example.com/budget/", summary: "The budget passed.", published: "2024-05-01T10:00:00.000Z" });
    const html = renderFeedPage({ site, feed: { kind: "site", slug: "", title: site.title }, entries: [entry], authors });
    const els = elements(html);
    expect(els.find((e) => e.name === "h1")?.text).toBe("Everything");
    const article = els.find((e) => e.name === "article")!;
    expect(article.text).toContain("Budget passed");
    expect(article.text).toContain("The budget passed.");
    expect(article.text).toContain("Jane Doe");
    expect(els.find((e) => e.name === "time")?.attrs.datetime).toBe("2024-05-01T10:00:00.000Z");
    // Asia/Karachi is UTC+5.
    expect(els.find((e) => e.name === "time")?.text).toBe("1 May 2024, 15:00");
    expect(els.some((e) => e.name === "a" && e.attrs.href === "https://news.example.com/budget/")).toBe(true);
    // The category tag leads to that category's page, not to its raw XML.
    expect(els.some((e) => e.name === "a" && e.attrs.class === "tag" && e.attrs.href === "https://feeds.example.com/categories/news/feed.html")).toBe(true);
  });

  it("an empty feed says so", () => {
    expect(renderFeedPage({ site, feed: news, entries: [], authors })).toContain("No entries yet.");
  });

  it("escapes hostile titles, names and summaries: no tag, attribute or script gets out", () => {
    const evil = `</title></style><script>alert(1)</script>"><img src=x onerror=alert(2)>'<a href="javascript:x">`;
    const html = renderFeedPage({
      site: aSite({ title: `Site ${evil}`, description: `D ${evil}` }),
      feed: { kind: "category", slug: "x\"><script>", title: `Cat ${evil}` },
      entries: [anEntry({
        title: `T ${evil}`, summary: `S ${evil}`, url: `https://news.example.com/a"onmouseover="x`,
        authors: ["evil"], categories: [{ slug: "c\"><b>", name: `C ${evil}` }],
      })],
      authors: new Map([["evil", anAuthor({ slug: "evil", name: `A ${evil}` })]]),
    });
    const els = elements(html);
    expect(els.filter((e) => ["script", "img", "b"].includes(e.name))).toEqual([]);
    expect(els.flatMap((e) => Object.keys(e.attrs)).filter((a) => a.startsWith("on"))).toEqual([]);
    expect(els.filter((e) => e.name === "a").map((a) => a.attrs.href).filter((h) => h?.startsWith("javascript:"))).toEqual([]);
    // Every hostile string is still shown, as text.
    expect(els.find((e) => e.name === "h1")?.text).toBe(`Cat ${evil}`);
    expect(els.find((e) => e.name === "article")?.text).toContain(`T ${evil}`);
    expect(els.find((e) => e.name === "article")?.text).toContain(`A ${evil}`);
    // Exactly one <style>, and it is the stylesheet whose hash the CSP carries.
    expect(els.filter((e) => e.name === "style").map((s) => s.text)).toEqual([INDEX_STYLE]);
    // The slug's quote is percent-encoded in the addresses, never closing the attribute.
    expect(els.filter((e) => e.name === "input").map((i) => i.attrs.value)[0]).toBe("https://feeds.example.com/categories/x%22%3E%3Cscript%3E/feed.xml");
  });

  it("writes Urdu entries right to left, others left to right; an Urdu site page is right to left", () => {
    const html = renderFeedPage({ site, feed: news, entries: [anEntry({ title: "اردو خبر", lang: "ur" }), anEntry({ title: "English" })], authors });
    const articles = elements(html).filter((e) => e.name === "article");
    expect(articles.map((a) => [a.attrs.lang, a.attrs.dir])).toEqual([["ur", "rtl"], ["en", "ltr"]]);
    const urduSite = elements(renderFeedPage({ site: aSite({ language: "ur" }), feed: news, entries: [], authors }));
    expect(urduSite.find((e) => e.name === "html")?.attrs).toMatchObject({ lang: "ur", dir: "rtl" });
  });

  it("is deterministic: the same input gives the same bytes (no clock)", () => {
    const input = { site, feed: news, entries: [anEntry({ slug: "same" })], authors };
    expect(renderFeedPage(input)).toBe(renderFeedPage(input));
  });
});

describe("index.html links each feed to its page", () => {
  it("every feed name leads to its feed.html; the format links stay on the documents", () => {
    const feeds: FeedInfo[] = [{ kind: "site", slug: "", title: "" }, news, { kind: "author", slug: "jane-doe", title: "jane-doe" }];
    const els = elements(renderIndexHtml({ site, latest: [anEntry()], feeds, authors }));
    const names = els.filter((e) => e.name === "span" && e.attrs.class === "feed-name").map((s) => s.text);
    expect(names).toEqual(["Everything", "News", "Jane Doe"]);
    const pageLinks = els.filter((e) => e.name === "a" && e.attrs.href?.endsWith("/feed.html")).map((a) => [a.text, a.attrs.href]);
    expect(pageLinks).toEqual(expect.arrayContaining([
      ["Everything", "https://feeds.example.com/feed.html"],
      ["News", "https://feeds.example.com/categories/news/feed.html"],
      ["Jane Doe", "https://feeds.example.com/authors/jane-doe/feed.html"],
    ]));
    expect(els.some((e) => e.name === "a" && e.attrs.href === "https://feeds.example.com/categories/news/feed.xml")).toBe(true);
  });
});

describe("feeds.opml", () => {
  it("names each feed's page as its htmlUrl, beside its RSS address", () => {
    const opml = renderOpml({ site, latest: [], feeds: [{ kind: "site", slug: "", title: "" }, news], authors });
    expect(opml).toContain('xmlUrl="https://feeds.example.com/categories/news/feed.xml" htmlUrl="https://feeds.example.com/categories/news/feed.html"');
    expect(opml).toContain('xmlUrl="https://feeds.example.com/feed.xml" htmlUrl="https://feeds.example.com/feed.html"');
  });
});

describe("the one stylesheet", () => {
  it("is covered by the CSP's hash, and the CSP lets it load the self-hosted Urdu font", () => {
    expect(CONTENT_SECURITY_POLICY).toContain(`style-src ${styleHash(INDEX_STYLE)}`);
    expect(CONTENT_SECURITY_POLICY).toContain("font-src 'self'");
    expect(INDEX_STYLE).toContain(`src: url("/${URDU_FONT}") format("woff2")`);
    expect(INDEX_STYLE).toMatch(/:lang\(ur\) \{ font-family: "Noto Nastaliq Urdu"/);
  });
});
