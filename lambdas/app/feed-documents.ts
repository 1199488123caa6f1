import { archivePageDir, isArchivePath } from "../contracts/paths.js";
import { indexSk } from "../contracts/table.js";
import { type ArchivePage, type FeedLayout, type LoadedPage, pageIndexOf, repairRun } from "../core/archive.js";
import { compareUtf8 } from "../core/claims.js";
import { dayOf, DELETED_ENTRY_DAYS, FEED_FILES, feedDir, feedKey } from "../core/feeds.js";
import { renderFeed, type FeedInput } from "../core/formats/index.js";
import type { Author, FeedEntry, FeedInfo, Site } from "../core/model.js";
import { feedPagePath, renderFeedPage } from "../core/pages.js";
import type { ContentStore, IndexedEntry, SiteFile } from "../core/ports.js";
import { siteFile } from "../core/site-files.js";

/**
 * One feed's documents: the current feed (the newest N entries), its page for people
 * (`feed.html`), and its RFC 5005 archive: pages of at most P entries that split and
 * merge like B-tree leaves (`core/archive.ts`), holding every older entry exactly once.
 *
 * - The current feed links `prev-archive` to the newest page; each page links
 *   `prev-archive`, `next-archive` and `current`. JSON Feed's `next_url` follows the same
 *   chain towards older entries.
 * - Pages are a function of the index and of the layout (each page's lower key and id),
 *   which is state in the table: a full rebuild reuses it, so the site equals a rebuild.
 * - Incremental: only the pages holding a changed entry, the pages entries moved into or
 *   out of (the current feed's boundary moved), and their neighbours are read; only the
 *   pages whose entries or links changed are rendered, and only changed bytes are written.
 * - No layout yet (first publish, or a new page size): the archive is cut in one ordered
 *   read of the index, page by page, written as it goes, so memory holds a few pages.
 */

/** Pages rendered before their files are handed out (the fresh cut writes as it reads). */
const CUT_CHUNK_PAGES = 16;
/** Entries read per query of the fresh cut. */
const CUT_READ = 1000;

export interface FeedBuildInput {
  readonly site: Site;
  readonly feed: FeedInfo;
  readonly authors: ReadonlyMap<string, Author>;
  readonly now: Date;
  /** Index keys of entries that changed in this feed (dirty marks). */
  readonly changed: readonly string[];
  /** The layout of the last publish; undefined when the feed was never published. */
  readonly layout: FeedLayout | undefined;
  /** Render every archive page (a site-wide change, a full rebuild, a failed publish's feeds). */
  readonly allPages?: boolean;
}

export interface FeedBuildIo {
  readonly store: ContentStore;
  /** The feed's stored pages, oldest first. */
  pages(): Promise<ArchivePage[]>;
  /** Writes files whose bytes changed and removes paths; called as often as needed. */
  emit(files: readonly SiteFile[], remove: readonly string[]): Promise<void>;
  /** Stores the layout (before `emit` of pages with new ids, so ids are never handed out twice). */
  save(layout: FeedLayout, put: readonly ArchivePage[], removed: readonly string[]): Promise<void>;
}

export interface FeedBuild {
  /** The current feed's entries, newest first. */
  readonly current: FeedEntry[];
  readonly layout: FeedLayout;
  readonly entriesRead: number;
  /** Archive pages rendered (whether or not their bytes changed). */
  readonly pagesRendered: number;
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

const below = (a: string, b: string) => compareUtf8(a, b) < 0;

interface Base {
  readonly site: Site;
  readonly feed: FeedInfo;
  readonly authors: ReadonlyMap<string, Author>;
}

function pageFiles(base: Base, page: LoadedPage<IndexedEntry>, prev: number | undefined, next: number | undefined): SiteFile[] {
  return documents({
    ...base,
    entries: page.entries.map((e) => e.entry).reverse(),
    location: archivePageDir(page.id),
    ...(prev !== undefined ? { prevArchive: archivePageDir(prev) } : {}),
    // The newest page has no next archive, only the `current` link.
    ...(next !== undefined ? { nextArchive: archivePageDir(next) } : {}),
  });
}

export async function buildFeed(io: FeedBuildIo, input: FeedBuildInput): Promise<FeedBuild> {
  const { store } = io;
  const { site, feed, authors, now } = input;
  const key = feedKey(feed);
  const P = site.archivePageSize;
  const base: Base = { site, feed, authors };
  const nowIso = now.toISOString();
  // One entry past the window: whether there is an archive at all.
  const window = await store.queryFeed(key, nowIso, site.itemsPerFeed + 1);
  let entriesRead = window.length;
  const current = window.slice(0, site.itemsPerFeed);
  const boundary = window.length > site.itemsPerFeed ? indexSk(current[current.length - 1]!) : "";
  const since = new Date(now.getTime() - DELETED_ENTRY_DAYS * 86_400_000).toISOString();
  const deleted = (await store.queryDeleted(key, since)).slice(0, site.itemsPerFeed);

  const stored = await io.pages();
  const old = input.layout;
  const readRange = async (lo: string, hi: string, limit = Number.POSITIVE_INFINITY): Promise<IndexedEntry[]> => {
    if (!below(lo, hi)) return [];
    const items = await store.queryIndex(key, { op: "range", value: lo, before: hi }, limit, false);
    entriesRead += items.length;
    return items;
  };

  let result: { pages: ArchivePage[]; nextId: number; rendered: number };
  if (!old || old.pageSize !== P) {
    result = await cutFresh(io, base, old, boundary, readRange);
  } else {
    result = await repairPages(io, base, old, stored, boundary, input, readRange);
  }

  const newest = result.pages[result.pages.length - 1];
  const layout: FeedLayout = { boundary, pageSize: P, nextId: result.nextId };
  const files = documents({ ...base, entries: current, deleted, ...(newest ? { prevArchive: archivePageDir(newest.id) } : {}) });
  // The feed's page for people shows exactly the current entries, so it is rendered with them.
  files.push(siteFile(feedPagePath(feed), renderFeedPage({ site, feed, entries: current, authors })));
  await io.emit(files, []);
  const before = new Map(stored.map((p) => [p.lo, p.id]));
  const after = new Set(result.pages.map((p) => p.lo));
  await io.save(layout, result.pages.filter((p) => before.get(p.lo) !== p.id), stored.filter((p) => !after.has(p.lo)).map((p) => p.lo));
  return { current, layout, entriesRead, pagesRendered: result.rendered };
}

/**
 * The archive cut from scratch in one ordered read: full pages of P, the rest in the
 * newest. New ids start after every id the feed ever handed out, so an address of an
 * earlier cut (another page size) is removed, never reused for other entries.
 */
async function cutFresh(
  io: FeedBuildIo, base: Base, old: FeedLayout | undefined, boundary: string,
  readRange: (lo: string, hi: string, limit?: number) => Promise<IndexedEntry[]>,
): Promise<{ pages: ArchivePage[]; nextId: number; rendered: number }> {
  const P = base.site.archivePageSize;
  const firstId = old?.nextId ?? 1;
  let nextId = firstId;
  const pages: ArchivePage[] = [];
  const legacyDays = new Set<string>();
  let pending: LoadedPage<IndexedEntry>[] = [];
  let buffer: IndexedEntry[] = [];
  let rendered = 0;
  let files: SiteFile[] = [];
  const flush = async (final: boolean) => {
    if (files.length === 0 && !final) return;
    // Reserve the ids about to be published, so a run that dies here never hands them out again.
    await io.save({ boundary: old?.boundary ?? "", pageSize: old?.pageSize ?? 0, nextId }, [], []);
    await io.emit(files, []);
    files = [];
  };
  // A page is rendered once the next one has begun: only then is its `next-archive` known.
  const close = async (page: LoadedPage<IndexedEntry>, hasNext: boolean) => {
    // Ids of one cut are consecutive, oldest first.
    const prev = page.id > firstId ? page.id - 1 : undefined;
    files.push(...pageFiles(base, page, prev, hasNext ? page.id + 1 : undefined));
    rendered++;
    if (rendered % CUT_CHUNK_PAGES === 0) await flush(false);
  };
  const open = (entries: IndexedEntry[]) => {
    const page = { lo: pages.length === 0 ? "" : entries[0]!.sk, id: nextId++, entries };
    pages.push({ lo: page.lo, id: page.id });
    pending.push(page);
  };
  if (boundary) {
    let cursor = "";
    for (;;) {
      // From the last key read (included again, and skipped).
      const limit = CUT_READ + (cursor ? 1 : 0);
      const got = await readRange(cursor, boundary, limit);
      const fresh = cursor === "" ? got : got.filter((e) => e.sk !== cursor);
      if (fresh.length === 0) break;
      for (const e of fresh) {
        if (old && old.pageSize === 0) legacyDays.add(dayOf(e.sk));
        buffer.push(e);
        if (buffer.length === P) {
          open(buffer);
          buffer = [];
        }
      }
      // Pages whose successor has begun are final.
      while (pending.length > 1 || (pending.length === 1 && buffer.length > 0)) await close(pending.shift()!, true);
      cursor = fresh[fresh.length - 1]!.sk;
      if (got.length < limit) break;
    }
    if (buffer.length > 0) open(buffer);
    for (const p of pending) await close(p, false);
    pending = [];
  }
  await flush(true);
  // Every page of earlier cuts goes: ids below the first new one, and one-per-day pages.
  const remove: string[] = [];
  for (let id = 1; id < firstId; id++) remove.push(...paths(base.feed, archivePageDir(id)));
  for (const day of legacyDays) remove.push(...paths(base.feed, archivePageDir(day)));
  if (remove.length > 0) await io.emit([], remove);
  return { pages, nextId, rendered };
}

/**
 * Incremental (or, with `allPages`, every page): the pages around each change are read,
 * brought within bounds by `repairRun`, and the pages whose entries or links changed are
 * rendered.
 */
async function repairPages(
  io: FeedBuildIo, base: Base, old: FeedLayout, stored: readonly ArchivePage[], boundary: string, input: FeedBuildInput,
  readRange: (lo: string, hi: string, limit?: number) => Promise<IndexedEntry[]>,
): Promise<{ pages: ArchivePage[]; nextId: number; rendered: number }> {
  const P = base.site.archivePageSize;
  let nextId = old.nextId;
  const skeleton: ArchivePage[] = stored.length > 0 ? [...stored] : boundary ? [{ lo: "", id: nextId++ }] : [];
  const fresh = new Set(stored.length > 0 ? [] : skeleton.map((p) => p.id));
  if (skeleton.length === 0) return { pages: [], nextId, rendered: 0 };
  const changed = new Set(input.changed);

  // Which pages may have changed.
  const affected = new Set<number>();
  const all = input.allPages === true || fresh.size > 0 || !boundary;
  if (all) {
    for (let i = 0; i < skeleton.length; i++) affected.add(i);
  } else {
    const at = (sk: string) => pageIndexOf(skeleton, sk, compareUtf8);
    for (const sk of changed) affected.add(at(sk));
    if (old.boundary !== boundary) {
      if (old.boundary) affected.add(at(old.boundary));
      affected.add(at(boundary));
      // Pages above the new boundary lost every entry to the current feed.
      skeleton.forEach((p, i) => {
        if (!below(p.lo, boundary)) affected.add(i);
      });
    }
  }
  // Their neighbours: links to them change, and an underfull page merges with the newer one.
  const load = new Set<number>();
  for (const i of affected) for (const j of [i - 1, i, i + 1]) if (j >= 0 && j < skeleton.length) load.add(j);
  const indices = [...load].sort((a, b) => a - b);
  const runs: number[][] = [];
  for (const i of indices) {
    const last = runs[runs.length - 1];
    if (last && last[last.length - 1] === i - 1) last.push(i);
    else runs.push([i]);
  }

  // Pages whose range held a changed entry, or entries that crossed the boundary: their
  // documents change even when the entries now in their range look the same.
  const moved = old.boundary === boundary ? undefined : ([old.boundary, boundary].sort(compareUtf8) as [string, string]);
  const flagged = new Set<number>();
  const furthest = below(old.boundary, boundary) ? boundary : old.boundary;
  skeleton.forEach((p, i) => {
    if (!load.has(i)) return;
    // The range the page covered before or covers now (the newest page's end moves with the boundary).
    const hi = i + 1 < skeleton.length ? skeleton[i + 1]!.lo : furthest;
    const holds = (sk: string) => !below(sk, p.lo) && below(sk, hi);
    if ([...changed].some(holds) || (moved && below(moved[0], hi) && below(p.lo, moved[1]))) flagged.add(p.id);
  });
  const upper = (i: number) => {
    const next = i + 1 < skeleton.length ? skeleton[i + 1]!.lo : boundary;
    return below(next, boundary) ? next : boundary;
  };
  const result: ArchivePage[] = [];
  let rendered = 0;
  const files: SiteFile[] = [];
  const remove: string[] = [];
  let copied = 0;
  for (const run of runs) {
    // Pages before this run are unchanged.
    for (; copied < run[0]!; copied++) result.push(skeleton[copied]!);
    const loaded: LoadedPage<IndexedEntry>[] = [];
    for (const i of run) loaded.push({ ...skeleton[i]!, entries: await readRange(skeleton[i]!.lo, upper(i)) });
    const endsNewest = run[run.length - 1] === skeleton.length - 1;
    const repaired = repairRun({ run: loaded, pageSize: P, endsNewest, nextId });
    nextId = repaired.nextId;
    const prevOutside = run[0]! > 0 ? skeleton[run[0]! - 1]!.id : undefined;
    const nextOutside = endsNewest ? undefined : skeleton[run[run.length - 1]! + 1]!.id;
    // What each page looked like: its entries and links before.
    const beforeSig = new Map<number, string>();
    run.forEach((i, k) => {
      beforeSig.set(loaded[k]!.id, signature(loaded[k]!, skeleton[i - 1]?.id, skeleton[i + 1]?.id));
    });
    repaired.run.forEach((page, k) => {
      const prev = k > 0 ? repaired.run[k - 1]!.id : prevOutside;
      const next = k + 1 < repaired.run.length ? repaired.run[k + 1]!.id : nextOutside;
      if (all || fresh.has(page.id) || flagged.has(page.id) || beforeSig.get(page.id) !== signature(page, prev, next)) {
        files.push(...pageFiles(base, page, prev, next));
        rendered++;
      }
      result.push({ lo: page.lo, id: page.id });
    });
    const kept = new Set(repaired.run.map((p) => p.id));
    for (const page of loaded) if (!kept.has(page.id)) remove.push(...paths(base.feed, archivePageDir(page.id)));
    copied = run[run.length - 1]! + 1;
  }
  for (; copied < skeleton.length; copied++) result.push(skeleton[copied]!);
  if (input.allPages) {
    // Every id handed out and not live: pages a failed publish may have written.
    const live = new Set(result.map((p) => p.id));
    for (let id = 1; id < old.nextId; id++) if (!live.has(id)) remove.push(...paths(base.feed, archivePageDir(id)));
  }
  if (nextId !== old.nextId) await io.save({ ...old, nextId }, [], []);
  await io.emit(files, remove);
  return { pages: result, nextId, rendered };
}

/** A page's identity for "did its documents change": its id, entries and links. */
function signature(page: LoadedPage<IndexedEntry>, prev: number | undefined, next: number | undefined): string {
  return JSON.stringify([page.id, prev ?? null, next ?? null, page.entries.map((e) => e.sk)]);
}

/** The feed key of a site path (`categories/x/archive/3/feed.xml` → `category/x`). */
export function feedOfPath(path: string): string {
  const [top, slug] = path.split("/");
  if (top === "categories" && slug) return `category/${slug}`;
  if (top === "authors" && slug) return `author/${slug}`;
  return "site";
}

/** Whether a site path is an archive page (used to find the feeds a failed publish left). */
export const isArchivePage = isArchivePath;
