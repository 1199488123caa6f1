/**
 * The public paths of the site, defined once: the publisher writes them, the CDK stack
 * routes and names them (CloudFront behaviours, stack outputs), the local CLI prints them.
 * Paths are relative to the site root, without a leading slash.
 */

export type FeedFormat = "rss" | "atom" | "json";

/** A feed's three documents, in its folder (`""` for the site, `categories/<slug>/`, `authors/<slug>/`). */
export const FEED_FILES: Readonly<Record<FeedFormat, string>> = { rss: "feed.xml", atom: "atom.xml", json: "feed.json" };

/** The page for people, at the site root (CloudFront's default root object). */
export const INDEX_PAGE = "index.html";

/** Every feed, for one-click subscription, at the site root. */
export const OPML = "feeds.opml";

/**
 * Each feed's page for people (what a subscriber gets, the addresses to copy), in the
 * feed's folder beside its documents: `feed.html`, `categories/<slug>/feed.html`. Not
 * `index.html`: the site feed's folder is the root, whose index.html is the site's page
 * (and CloudFront serves a folder's index.html only at the root).
 */
export const FEED_PAGE = "feed.html";

/**
 * The Urdu font (Noto Nastaliq Urdu, Arabic-script subset, regular), self-hosted so
 * Urdu never shows missing-glyph boxes. The package version is in the name because the
 * file is cached as immutable: a new version is a new address.
 */
export const URDU_FONT = "fonts/noto-nastaliq-urdu-5.3.0-arabic-400.woff2";

/** Each feed's archive pages (RFC 5005) live in `<feed folder>archive/<page id>/`. */
export const ARCHIVE_DIR = "archive/";

/** An archive page's folder: `archive/17/`. */
export const archivePageDir = (id: number | string): string => `${ARCHIVE_DIR}${id}/`;

// Numbered pages, and the one-page-per-day pages of earlier versions (removed on the first re-cut).
const ARCHIVE_PAGE = /(^|\/)archive\/(\d+|\d{4}-\d{2}-\d{2})\/[^/]+$/;

/** A document of an archive page (of any feed). A category named `archive` is not one. */
export function isArchivePath(path: string): boolean {
  return ARCHIVE_PAGE.test(path);
}

const FEED_FILE_NAMES = new Set<string>(Object.values(FEED_FILES));

/** A current feed document (what readers subscribe to and hubs are told about), not an archive page. */
export function isCurrentFeedPath(path: string): boolean {
  return FEED_FILE_NAMES.has(path.slice(path.lastIndexOf("/") + 1)) && !isArchivePath(path);
}

/**
 * CloudFront path patterns of the archive pages of every feed (`*` matches `/` too). A
 * current feed never matches: its folder holds no `archive/` segment.
 */
export const ARCHIVE_PATH_PATTERNS: readonly string[] = [`/${ARCHIVE_DIR}*`, `/categories/*/${ARCHIVE_DIR}*`, `/authors/*/${ARCHIVE_DIR}*`];
