import { FEED_FILES, feedDir, siteUrl, type FeedFormat } from "../feeds.js";
import type { Author, DeletedEntry, FeedEntry, FeedInfo, Site } from "../model.js";

/** What every format module is given: one feed document's content. */
export interface FeedInput {
  readonly site: Site;
  readonly feed: FeedInfo;
  /** Newest first. */
  readonly entries: readonly FeedEntry[];
  readonly authors: ReadonlyMap<string, Author>;
  /** Where this document sits, relative to the feed's folder: "" for the current feed, `archive/<day>/` for a page. @default "" */
  readonly location?: string;
  /** RFC 5005: the next older archive page's location, if any. */
  readonly prevArchive?: string;
  /** RFC 5005, archive pages only: the next newer page's location; absent on the newest page. */
  readonly nextArchive?: string;
  /** RFC 6721 (Atom only): entries that recently left this feed. */
  readonly deleted?: readonly DeletedEntry[];
}

export const FH_NS = "http://purl.org/syndication/history/1.0";
export const AT_NS = "http://purl.org/atompub/tombstones/1.0";

/** Date of a feed with no entry: `feed` would otherwise use the clock. */
const EMPTY_FEED_DATE = new Date("2000-01-01T00:00:00.000Z");

export function authorOf(slug: string, authors: ReadonlyMap<string, Author>): Author {
  // The store only indexes articles whose authors exist; a later deleted author file
  // still leaves a valid name.
  return authors.get(slug) ?? { slug, name: slug, bioHtml: "" };
}

export function feedUrls(site: Site, feed: FeedInfo, location = ""): Record<FeedFormat, string> {
  const dir = feedDir(feed) + location;
  return {
    rss: siteUrl(site, dir + FEED_FILES.rss),
    atom: siteUrl(site, dir + FEED_FILES.atom),
    json: siteUrl(site, dir + FEED_FILES.json),
  };
}

/** `updated` is the newest entry's date, never the clock, so equal input gives equal bytes. */
export function newestDate(entries: readonly FeedEntry[]): Date {
  let newest = "";
  for (const e of entries) if (e.updated > newest) newest = e.updated;
  return newest ? new Date(newest) : EMPTY_FEED_DATE;
}

/** The history links (RFC 5005) of a document, as [rel, location] pairs. */
export function historyLinks(input: FeedInput): [string, string][] {
  const links: [string, string][] = [];
  if (input.prevArchive !== undefined) links.push(["prev-archive", input.prevArchive]);
  if (input.location) {
    if (input.nextArchive !== undefined) links.push(["next-archive", input.nextArchive]);
    links.push(["current", ""]);
  }
  return links;
}
