import type { SiteFile } from "./ports.js";

/**
 * HTTP metadata of each public file, decided once here and carried by its `SiteFile`:
 * the S3 writer stores it as object metadata (CloudFront serves it), the directory
 * writer in a sidecar the local server reads, so both answer alike.
 */

/** Current feeds: short freshness, then cheap revalidation; stale copies survive an origin outage. */
export const CACHE_CURRENT = "public, max-age=300, stale-while-revalidate=3600, stale-if-error=86400";

export function contentTypeFor(path: string): string {
  if (path.endsWith("atom.xml")) return "application/atom+xml; charset=utf-8";
  if (path.endsWith(".xml")) return "application/rss+xml; charset=utf-8";
  if (path.endsWith(".json")) return "application/feed+json; charset=utf-8";
  if (path.endsWith(".opml")) return "text/x-opml; charset=utf-8";
  if (path.endsWith(".html")) return "text/html; charset=utf-8";
  if (path.endsWith(".png")) return "image/png";
  if (path.endsWith(".woff2")) return "font/woff2";
  return "application/octet-stream";
}

/**
 * Archive pages (RFC 5005): they change only when one of their own entries does (an
 * edit, a delete), so they are cached long but revalidated, never `immutable`: a reader
 * must eventually see an edit.
 */
export const CACHE_ARCHIVE = "public, max-age=86400, stale-while-revalidate=604800, stale-if-error=604800";

/** Archive pages live in an `archive/` folder of their feed's folder. */
export const isArchivePath = (path: string): boolean => /(^|\/)archive\//.test(path);

/**
 * Static assets under `fonts/`: their names carry their version (`contracts/paths.ts`),
 * so a cached copy never goes stale and browsers need not even revalidate.
 */
export const CACHE_IMMUTABLE = "public, max-age=31536000, immutable";

const isImmutablePath = (path: string): boolean => path.startsWith("fonts/");

/** One rule for every host: the S3 writer stores it, the local server sends it. */
export function cacheControlFor(path: string): string {
  if (isImmutablePath(path)) return CACHE_IMMUTABLE;
  return isArchivePath(path) ? CACHE_ARCHIVE : CACHE_CURRENT;
}

export function siteFile(path: string, body: string | Uint8Array): SiteFile {
  return { path, body, contentType: contentTypeFor(path), cacheControl: cacheControlFor(path) };
}
