import { describe, expect, it } from "vitest";
import { ARCHIVE_PATH_PATTERNS, FEED_FILES, INDEX_PAGE, isArchivePath, isCurrentFeedPath, OPML } from "../../lambdas/contracts/paths.js";
import { feedPath } from "../../lambdas/core/feeds.js";

/** The public paths contract: which paths are archive pages, which are current feeds, and what CloudFront routes where. */

/** CloudFront path-pattern matching: `*` is any run of characters, `/` included; `?` one character. */
const cloudFrontMatches = (pattern: string, path: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`).test(path);

const archived = ["archive/2024-05-01/feed.xml", "categories/news/archive/2024-05-01/atom.xml", "authors/jane/archive/2024-05-01/feed.json", "categories/archive/archive/2024-05-01/feed.xml"];
const current = ["feed.xml", "atom.xml", "feed.json", "categories/news/feed.xml", "authors/jane/atom.xml", "categories/archive/feed.xml", "authors/archive/feed.json"];

describe("public paths", () => {
  it("tells archive pages from current feeds, a category or author named `archive` included", () => {
    for (const p of archived) expect(isArchivePath(p), p).toBe(true);
    for (const p of current) {
      expect(isArchivePath(p), p).toBe(false);
      expect(isCurrentFeedPath(p), p).toBe(true);
    }
    for (const p of [...archived, INDEX_PAGE, OPML, "categories/news/", "feed.xml.tmp"]) expect(isCurrentFeedPath(p), p).toBe(false);
    expect(feedPath({ kind: "category", slug: "news" }, "json")).toBe(`categories/news/${FEED_FILES.json}`);
  });

  it("CloudFront's archive behaviours take every archive page and no current feed", () => {
    for (const p of archived) expect(ARCHIVE_PATH_PATTERNS.some((pattern) => cloudFrontMatches(pattern, `/${p}`)), p).toBe(true);
    for (const p of [...current, INDEX_PAGE, OPML]) expect(ARCHIVE_PATH_PATTERNS.some((pattern) => cloudFrontMatches(pattern, `/${p}`)), p).toBe(false);
  });
});

describe("feedKeyOfPath", () => {
  it("is the inverse of feedDir for every kind of feed, current documents and archive pages alike (a failed publish's paths name their feeds)", async () => {
    const { feedDir, feedKey, feedKeyOfPath } = await import("../../lambdas/core/feeds.js");
    for (const ref of [{ kind: "site", slug: "" }, { kind: "category", slug: "electric-cars" }, { kind: "author", slug: "اردو" }] as const) {
      for (const file of ["feed.xml", "archive/12/atom.xml", "feed.html"]) expect(feedKeyOfPath(`${feedDir(ref)}${file}`)).toBe(feedKey(ref));
    }
  });
});
