import { archivePageDir } from "../contracts/paths.js";
import { renderFeed, type FeedInput } from "../core/feed-format.js";
import { DELETED_ENTRY_DAYS, FEED_FILES, feedDir, feedKey } from "../core/feeds.js";
import type { Author, FeedEntry, FeedInfo, Site } from "../core/model.js";
import type { ContentStore, SiteFile } from "../core/ports.js";
import { siteFile } from "../core/site-files.js";

/**
 * One feed's documents: the current feed (the newest N entries) and its RFC 5005
 * archive pages, one per UTC day of publication, holding every older entry exactly once.
 *
 * - The current feed links `prev-archive` to the newest page; each page links
 *   `prev-archive`, `next-archive` and `current`. JSON Feed's `next_url` follows the same
 *   chain towards older entries.
 * - A page is rebuilt only when an entry in it changed, when entries leave the current
 *   feed into it, or when a neighbour appeared or vanished (its links change). Pages
 *   older than the newest are served as immutable.
 * - The cost of a publish is a few Queries of about N items, whatever the archive size.
 */

/** Safety cap on one day's page; a day with more entries than this is cut (newest kept). */
const MAX_PAGE_ENTRIES = 500;

export const skOf = (e: Pick<FeedEntry, "published" | "slug">): string => `${e.published}#${e.slug}`;
const dayOf = (sk: string): string => sk.slice(0, 10);
const pageLocation = archivePageDir;

function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00.000Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

export interface FeedBuild {
  readonly files: SiteFile[];
  /** The current feed's entries, newest first. */
  readonly current: FeedEntry[];
  readonly entriesRead: number;
}

export interface FeedBuildInput {
  readonly site: Site;
  readonly feed: FeedInfo;
  readonly authors: ReadonlyMap<string, Author>;
  readonly now: Date;
  /** Index sort keys of this feed that changed. */
  readonly changed: readonly string[];
}

function documents(input: FeedInput, immutable: boolean): SiteFile[] {
  const dir = feedDir(input.feed) + (input.location ?? "");
  const docs = renderFeed(input);
  return [
    siteFile(dir + FEED_FILES.rss, docs.rss, immutable),
    siteFile(dir + FEED_FILES.atom, docs.atom, immutable),
    siteFile(dir + FEED_FILES.json, docs.json, immutable),
  ];
}

export async function buildFeed(store: ContentStore, { site, feed, authors, now, changed }: FeedBuildInput): Promise<FeedBuild> {
  const key = feedKey(feed);
  const n = site.itemsPerFeed;
  const nowIso = now.toISOString();
  // Entries just past the window are where the current feed's oldest entries went.
  const window = await store.queryFeed(key, nowIso, n + Math.min(changed.length, 100) + 1);
  let entriesRead = window.length;
  const current = window.slice(0, n);
  const beyond = window.slice(n);
  const since = new Date(now.getTime() - DELETED_ENTRY_DAYS * 86_400_000).toISOString();
  const deleted = (await store.queryDeleted(key, since)).slice(0, n);
  const base = { site, feed, authors };

  const newestPage = beyond[0] ? dayOf(skOf(beyond[0])) : undefined;
  const files = documents({ ...base, entries: current, deleted, ...(newestPage ? { prevArchive: pageLocation(newestPage) } : {}) }, false);
  if (!newestPage) return { files, current, entriesRead };

  // Everything strictly older than the current feed's oldest entry is archived.
  const boundary = skOf(current[current.length - 1]!);
  const days = new Set<string>(beyond.map((e) => dayOf(skOf(e))));
  for (const sk of changed) if (sk < boundary) days.add(dayOf(sk));

  const pages = new Map<string, { entries: FeedEntry[]; prev?: string; next: string }>();
  const loadPage = async (day: string) => {
    if (pages.has(day)) return pages.get(day)!;
    const [items, older, newer] = await Promise.all([
      store.queryIndex(key, { op: "begins_with", value: day }, MAX_PAGE_ENTRIES, true),
      store.queryIndex(key, { op: "<", value: day }, 1, true),
      store.queryIndex(key, { op: ">=", value: nextDay(day) }, 1, false),
    ]);
    entriesRead += items.length + older.length + newer.length;
    const page = {
      entries: items.filter((i) => i.sk < boundary).map((i) => i.entry),
      ...(older[0] ? { prev: dayOf(older[0].sk) } : {}),
      next: newer[0] && newer[0].sk < boundary ? dayOf(newer[0].sk) : "",
    };
    pages.set(day, page);
    return page;
  };
  // The changed pages, and their neighbours, whose links may have changed with them.
  for (const day of [...days]) {
    const page = await loadPage(day);
    if (page.prev) await loadPage(page.prev);
    if (page.next) await loadPage(page.next);
  }
  for (const [day, page] of pages) {
    files.push(...documents({
      ...base,
      entries: page.entries,
      location: pageLocation(day),
      ...(page.prev ? { prevArchive: pageLocation(page.prev) } : {}),
      // The newest page has no next archive, only the `current` link.
      ...(page.next ? { nextArchive: pageLocation(page.next) } : {}),
    }, day !== newestPage));
  }
  return { files, current, entriesRead };
}
