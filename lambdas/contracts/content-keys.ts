/**
 * The layout of the content bucket (and of `content/` locally), shared by the CDK stack
 * (which keys notify ingest), the upload order, the local host and ingest itself, so
 * they cannot drift. Pure: no imports, bundled into the ingest Lambda.
 *
 * ```
 * site.yaml                 site settings
 * authors/<slug>.md         one file per author
 * articles/**\/<slug>.md     one file per article, in any sub-folder
 * ```
 */

/** What a content key is, from its path alone. */
export type ContentKind = "site" | "author" | "article" | "ignored";

export const SITE_KEY = "site.yaml";
export const AUTHORS_PREFIX = "authors/";
export const ARTICLES_PREFIX = "articles/";

/** Editor leftovers: dot-files (`.DS_Store`), backups (`x~`, `#x#`, `.bak`), swap files. */
const IGNORED_NAME = /(^|\/)(\.[^/]*|[^/]*~|#[^/]*#|[^/]*\.(swp|swx|tmp|bak|orig))$/i;

export function classifyKey(key: string): ContentKind {
  if (IGNORED_NAME.test(key)) return "ignored";
  // Exact and case-sensitive, like the S3 notification filters below.
  if (key === SITE_KEY) return "site";
  if (key.startsWith(AUTHORS_PREFIX) && /^authors\/[^/]+\.md$/.test(key)) return "author";
  if (key.startsWith(ARTICLES_PREFIX) && /^articles\/(.+\/)?[^/]+\.md$/.test(key)) return "article";
  return "ignored";
}

/** The file name of a key without `.md`: what the slug of an author or article is made from. */
export function fileStem(key: string): string {
  const base = key.split("/").pop() ?? key;
  return base.replace(/\.md$/i, "");
}

/** An S3 notification key filter (the shape of CDK's `NotificationKeyFilter`). */
export interface ContentKeyFilter {
  readonly prefix: string;
  readonly suffix?: string;
}

/** Content-bucket keys that notify ingest; everything else (notably `_reports/`) never does. */
export const CONTENT_FILTERS: readonly ContentKeyFilter[] = [
  { prefix: ARTICLES_PREFIX },
  { prefix: AUTHORS_PREFIX },
  // S3 has no exact-key filter: prefix and suffix together pin the root `site.yaml`.
  { prefix: SITE_KEY, suffix: SITE_KEY },
];

/** Whether S3 would notify ingest of `key` under `CONTENT_FILTERS`. */
export function isNotified(key: string): boolean {
  return CONTENT_FILTERS.some((f) => key.startsWith(f.prefix) && (f.suffix === undefined || key.endsWith(f.suffix)));
}

/**
 * The order files are uploaded and built in: an article's authors, and the site
 * settings every file needs, exist before it is ingested.
 */
export const CONTENT_ORDER: readonly ContentKind[] = ["site", "author", "article", "ignored"];

/** Position of a key's kind in `CONTENT_ORDER`, for sorting. */
export function contentRank(key: string): number {
  return CONTENT_ORDER.indexOf(classifyKey(key));
}
