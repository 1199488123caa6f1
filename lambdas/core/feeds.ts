import { FEED_FILES, type FeedFormat } from "../contracts/paths.js";
import type { Article, Author, FeedInfo, FeedRef, Site } from "./model.js";

/**
 * Which feeds exist, where they live, and which an article belongs to. The public file
 * names themselves are in `contracts/paths.ts`.
 */

// The file names are a contract shared with the CDK stack and the CLI.
export { FEED_FILES, type FeedFormat };

/** How long an entry that left a feed is announced there as deleted (RFC 6721). */
export const DELETED_ENTRY_DAYS = 30;

export const SITE_FEED: FeedInfo = { kind: "site", slug: "", title: "" };

/** A stable string id, used as a DynamoDB key: `site`, `category/electric-cars`, `author/usman-aslam`. */
export function feedKey(ref: FeedRef): string {
  return ref.kind === "site" ? "site" : `${ref.kind}/${ref.slug}`;
}

export function parseFeedKey(key: string): FeedRef {
  if (key === "site") return { kind: "site", slug: "" };
  const [kind, ...rest] = key.split("/");
  if ((kind === "category" || kind === "author") && rest.length > 0) return { kind, slug: rest.join("/") };
  throw new Error(`not a feed key: "${key}"`);
}

/** Folder of a feed's files, relative to the site root, with a trailing slash ("" for the site). */
export function feedDir(ref: FeedRef): string {
  if (ref.kind === "site") return "";
  return `${ref.kind === "category" ? "categories" : "authors"}/${ref.slug}/`;
}

/** The feed key of a site path, the inverse of `feedDir` (`categories/x/archive/3/feed.xml` → `category/x`). */
export function feedKeyOfPath(path: string): string {
  const [top, slug] = path.split("/");
  if (top === "categories" && slug) return `category/${slug}`;
  if (top === "authors" && slug) return `author/${slug}`;
  return "site";
}

export function feedPath(ref: FeedRef, format: FeedFormat): string {
  return `${feedDir(ref)}${FEED_FILES[format]}`;
}

/** Absolute URL of a site path; path segments are percent-encoded (Urdu slugs). */
export function siteUrl(site: Site, path: string): string {
  return `${site.baseUrl}/${path.split("/").map(encodeURIComponent).join("/")}`;
}

/** The keys of every feed an article appears in: the site, its categories, its authors. A draft appears in none. */
export function feedKeysOf(article: Pick<Article, "draft" | "categories" | "authors">): string[] {
  return feedInfosOf(article, new Map()).map(feedKey);
}

/** The UTC day of an ISO instant or index sort key: the archive page it belongs to. */
export const dayOf = (isoOrSk: string): string => isoOrSk.slice(0, 10);

/** Registry entries (with display titles) for the feeds of an article. */
export function feedInfosOf(article: Pick<Article, "draft" | "categories" | "authors">, authors: ReadonlyMap<string, Author>): FeedInfo[] {
  if (article.draft) return [];
  return [
    { ...SITE_FEED },
    ...article.categories.map((c) => ({ kind: "category" as const, slug: c.slug, title: c.name })),
    ...article.authors.map((a) => ({ kind: "author" as const, slug: a, title: authors.get(a)?.name ?? a })),
  ];
}

export function feedTitle(site: Site, feed: FeedInfo): string {
  return feed.kind === "site" ? site.title : `${site.title}: ${feed.title}`;
}

export function feedDescription(site: Site, feed: FeedInfo): string {
  if (feed.kind === "category") return `${site.title}: articles in ${feed.title}`;
  if (feed.kind === "author") return `${site.title}: articles by ${feed.title}`;
  return site.description || site.title;
}
