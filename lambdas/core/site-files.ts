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
  return "application/octet-stream";
}

/** Archive pages that will not change again (RFC 5005): cache for a year. */
export const CACHE_IMMUTABLE = "public, max-age=31536000, immutable";

export function siteFile(path: string, body: string, immutable = false): SiteFile {
  return { path, body, contentType: contentTypeFor(path), cacheControl: immutable ? CACHE_IMMUTABLE : CACHE_CURRENT };
}
