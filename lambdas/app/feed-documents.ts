import { archivePageDir } from "../contracts/paths.js";
import { renderFeed, type FeedInput } from "../core/formats/index.js";
import { dayOf, DELETED_ENTRY_DAYS, FEED_FILES, feedDir, feedKey } from "../core/feeds.js";
import type { Author, FeedEntry, FeedInfo, Site } from "../core/model.js";
import { feedPagePath, renderFeedPage } from "../core/pages.js";
import type { ContentStore, SiteFile } from "../core/ports.js";
import { siteFile } from "../core/site-files.js";
import { indexSk } from "../contracts/table.js";

/**
 * One feed's documents: the current feed (the newest N entries), its page for people
 * (`feed.html`), and its RFC 5005 archive pages, one per UTC day of publication, holding every older entry exactly once.
 *
 * - The current feed links `prev-archive` to the newest page; each page links
 *   `prev-archive`, `next-archive` and `current`. JSON Feed's `next_url` follows the same
 *   chain towards older entries.
 * - A page is a function of the index and of the boundary (the oldest entry of the
 *   current feed): the entries of its day older than the boundary, and links to the
 *   nearest older and newer days that have such entries. It is rebuilt when an entry of
 *   its day changed (a dirty mark), when the boundary crossed its day since the last
 *   publish (entries moved in or out of the current feed), or when it neighbours such a
 *   page (its links may have changed). A page left with no entries is removed.
 */

/** Safety cap on one day's page; a day with more entries than this is cut (newest kept). */
const MAX_PAGE_ENTRIES = 500;
/** Entries between two boundaries read to find the days they moved; past this, every page is rebuilt. */
const MAX_BOUNDARY_SHIFT = 5000;

const pageLocation = archivePageDir;

function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00.000Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

export interface FeedBuild {
  readonly files: SiteFile[];
  /** Paths of archive pages left with no entries: to remove. */
  readonly emptied: string[];
  /** The current feed's entries, newest first. */
  readonly current: FeedEntry[];
  /** Sort key of the oldest entry of the current feed; "" when it is empty. */
  readonly boundary: string;
  readonly entriesRead: number;
}

export interface FeedBuildInput {
  readonly site: Site;
  readonly feed: FeedInfo;
  readonly authors: ReadonlyMap<string, Author>;
  readonly now: Date;
  /** UTC days whose entries changed in this feed. */
  readonly changedDays: readonly string[];
  /** The boundary of the last publish of this feed; undefined: unknown, rebuild every page. */
  readonly previousBoundary: string | undefined;
  /** Rebuild every archive page (a site-wide change, a full rebuild). */
  readonly allPages?: boolean;
}

function paths(feed: FeedInfo, location = ""): string[] {
  const dir = feedDir(feed) + location;
  return [dir + FEED_FILES.rss, dir + FEED_FILES.atom, dir + FEED_FILES.json];
}

function documents(input: FeedInput): SiteFile[] {
  const docs = renderFeed(input);
  const [rss, atom, json] = paths(input.feed, input.location);
  return [siteFile(rss!, docs.rss), siteFile(atom!, docs.atom), siteFile(json!, docs.json)];
}

export async function buildFeed(store: ContentStore, input: FeedBuildInput): Promise<FeedBuild> {
  const { site, feed, authors, now, changedDays, previousBoundary } = input;
  const key = feedKey(feed);
  const n = site.itemsPerFeed;
  const nowIso = now.toISOString();
  // One entry past the window: the newest archive page.
  const window = await store.queryFeed(key, nowIso, n + 1);
  let entriesRead = window.length;
  const current = window.slice(0, n);
  const newestArchived = window[n];
  const since = new Date(now.getTime() - DELETED_ENTRY_DAYS * 86_400_000).toISOString();
  const deleted = (await store.queryDeleted(key, since)).slice(0, n);
  const base = { site, feed, authors };
  const boundary = current.length > 0 ? indexSk(current[current.length - 1]!) : "";

  const newestPage = newestArchived ? dayOf(newestArchived.published) : undefined;
  const files = documents({ ...base, entries: current, deleted, ...(newestPage ? { prevArchive: pageLocation(newestPage) } : {}) });
  // The feed's page for people shows exactly the current entries, so it is rendered
  // with them: here, both an incremental publish and a full rebuild write it.
  files.push(siteFile(feedPagePath(feed), renderFeedPage({ site, feed, entries: current, authors })));

  // Which days may have changed: marked ones, and those the boundary crossed.
  const days = new Set<string>(changedDays);
  let allPages = input.allPages === true || previousBoundary === undefined;
  if (!allPages && previousBoundary !== boundary) {
    const [lo, hi] = [previousBoundary, boundary].sort() as [string, string];
    if (lo) days.add(dayOf(lo));
    if (hi) days.add(dayOf(hi));
    const moved = await store.queryIndex(key, { op: ">=", value: lo }, MAX_BOUNDARY_SHIFT, false);
    entriesRead += moved.length;
    for (const m of moved) if (m.sk < hi) days.add(dayOf(m.sk));
    if (moved.length >= MAX_BOUNDARY_SHIFT && moved.every((m) => m.sk < hi)) allPages = true;
  }

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
      entries: boundary ? items.filter((i) => i.sk < boundary).map((i) => i.entry) : [],
      ...(older[0] && boundary ? { prev: dayOf(older[0].sk) } : {}),
      next: newer[0] && newer[0].sk < boundary ? dayOf(newer[0].sk) : "",
    };
    pages.set(day, page);
    return page;
  };
  if (allPages) {
    // Walk the whole chain from the newest page back.
    for (let day = newestPage; day; day = (await loadPage(day)).prev);
  }
  // The changed pages, and their neighbours, whose links may have changed with them.
  for (const day of [...days].sort()) {
    const page = await loadPage(day);
    if (page.prev) await loadPage(page.prev);
    if (page.next) await loadPage(page.next);
  }
  const emptied: string[] = [];
  for (const [day, page] of [...pages].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (page.entries.length === 0) {
      emptied.push(...paths(feed, pageLocation(day)));
      continue;
    }
    files.push(...documents({
      ...base,
      entries: page.entries,
      location: pageLocation(day),
      ...(page.prev ? { prevArchive: pageLocation(page.prev) } : {}),
      // The newest page has no next archive, only the `current` link.
      ...(page.next ? { nextArchive: pageLocation(page.next) } : {}),
    }));
  }
  return { files, emptied, current, boundary, entriesRead };
}
