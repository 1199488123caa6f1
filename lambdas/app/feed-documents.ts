import { archivePageDir } from "../contracts/paths.js";
import { indexSk } from "../contracts/table.js";
import { type ArchivePage, type FeedLayout, type LoadedPage, minFill, repairRun } from "../core/archive.js";
import { compareUtf8 } from "../core/claims.js";
import { dayOf, DELETED_ENTRY_DAYS, FEED_FILES, feedDir, feedKey } from "../core/feeds.js";
import { renderFeed, type FeedInput } from "../core/formats/index.js";
import type { Author, FeedEntry, FeedInfo, Site } from "../core/model.js";
import { feedPagePath, renderFeedPage } from "../core/pages.js";
import type { ContentStore, IndexedEntry, PagesAround, SiteFile } from "../core/ports.js";
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
  /**
   * Leave the archive as it is and render the current documents only, linked to the newest
   * stored page (publish defers archive pages while a large backlog drains). The layout is
   * not saved: the run that renders the pages still sees where the boundary was.
   */
  readonly deferArchive?: boolean;
}

export interface FeedBuildIo {
  readonly store: ContentStore;
  /** The feed's stored pages, oldest first: all, or those around a key (`PublishLedger.archivePages`). */
  pages(around?: PagesAround): Promise<ArchivePage[]>;
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

  const old = input.layout;
  const readRange = async (lo: string, hi: string, limit = Number.POSITIVE_INFINITY): Promise<IndexedEntry[]> => {
    if (!below(lo, hi)) return [];
    const items = await store.queryIndex(key, { op: "range", value: lo, before: hi }, limit, false);
    entriesRead += items.length;
    return items;
  };

  let result: PagesResult;
  if (input.deferArchive) {
    // The archive stays as it is (a backlog is draining): the newest stored page is still
    // the current feed's prev-archive; the layout is not saved, so the run that builds
    // the archive sees every entry that moved.
    const tail = old ? await io.pages({ sk: old.boundary, older: 0, newer: Number.POSITIVE_INFINITY }) : [];
    result = { put: [], removed: [], newestId: tail.at(-1)?.id, nextId: old?.nextId ?? 1, rendered: 0 };
  } else if (!old || old.pageSize !== P) {
    const stored = await io.pages();
    const cut = await cutFresh(io, base, old, boundary, readRange);
    const after = new Set(cut.pages.map((p) => p.lo));
    result = { ...cut, newestId: cut.pages.at(-1)?.id, put: cut.pages, removed: stored.filter((p) => !after.has(p.lo)).map((p) => p.lo) };
  } else {
    result = await repairPages(io, base, old, boundary, input, readRange);
  }

  const layout: FeedLayout = { boundary, pageSize: P, nextId: result.nextId };
  const files = documents({ ...base, entries: current, deleted, ...(result.newestId !== undefined ? { prevArchive: archivePageDir(result.newestId) } : {}) });
  // The feed's page for people shows exactly the current entries, so it is rendered with them.
  files.push(siteFile(feedPagePath(feed), renderFeedPage({ site, feed, entries: current, authors })));
  await io.emit(files, []);
  if (input.deferArchive) return { current, layout: old ?? layout, entriesRead, pagesRendered: 0 };
  await io.save(layout, result.put, result.removed);
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

interface PagesResult {
  /** Pages new or with a new lower key or id. */
  readonly put: readonly ArchivePage[];
  /** Lower keys of pages gone (or moved to another key). */
  readonly removed: readonly string[];
  readonly newestId: number | undefined;
  readonly nextId: number;
  readonly rendered: number;
}

/** Pages read around each key an incremental publish looks at: two on each side. */
const SIDE = 2;
/** Pages repaired and rendered at a time when every page is (a full rebuild). */
const ALL_PAGES_BATCH = 16;

/**
 * Incremental (or, with `allPages`, every page): the pages around each change are read
 * (a few small items, whatever the archive's size), brought within bounds by
 * `repairRun`, and the pages whose entries or links changed are rendered.
 */
async function repairPages(
  io: FeedBuildIo, base: Base, old: FeedLayout, boundary: string, input: FeedBuildInput,
  readRange: (lo: string, hi: string, limit?: number) => Promise<IndexedEntry[]>,
): Promise<PagesResult> {
  const P = base.site.archivePageSize;
  let nextId = old.nextId;
  const changed = new Set(input.changed);
  const all = input.allPages === true || !boundary;
  const moved = old.boundary === boundary ? undefined : ([old.boundary, boundary].sort(compareUtf8) as [string, string]);

  // The pages to look at, as windows of consecutive pages. Around the new boundary, every
  // page after it too: pages above it lost their entries to the current feed, and the
  // window ends with the newest page.
  const windows: ArchivePage[][] = [];
  // The lower key of the page holding each key looked at, as its window says.
  const holding = new Map<string, string>();
  const lookAround = async (sk: string, newer: number) => {
    const w = await io.pages({ sk, older: SIDE, newer });
    windows.push(w);
    const h = w.filter((p) => !below(sk, p.lo)).at(-1);
    if (h) holding.set(sk, h.lo);
  };
  if (all) windows.push(await io.pages());
  else {
    await lookAround(boundary, Number.POSITIVE_INFINITY);
    const keys = new Set(changed);
    if (moved) keys.add(old.boundary);
    for (const sk of keys) if (!holding.has(sk)) await lookAround(sk, SIDE);
  }
  // Consecutive runs of known pages (segments): pages in one window are neighbours.
  const byLo = new Map<string, ArchivePage>();
  const follows = new Set<string>();
  for (const w of windows) {
    w.forEach((p, i) => {
      byLo.set(p.lo, p);
      if (i > 0) follows.add(`${w[i - 1]!.lo}\u0000${p.lo}`);
    });
  }
  const lastLo = windows[0]!.at(-1)?.lo;
  const known = [...byLo.values()].sort((a, b) => compareUtf8(a.lo, b.lo));
  const segments: ArchivePage[][] = [];
  for (const p of known) {
    const seg = segments.at(-1);
    if (seg && follows.has(`${seg.at(-1)!.lo}\u0000${p.lo}`)) seg.push(p);
    else segments.push([p]);
  }
  const fresh = new Set<number>();
  if (known.length === 0) {
    if (!boundary) return { put: [], removed: [], newestId: undefined, nextId, rendered: 0 };
    // The first entries to leave the current feed: the first page.
    const first = { lo: "", id: nextId++ };
    fresh.add(first.id);
    segments.push([first]);
  }

  // Ids handed out are stored before any page carrying one is written.
  let reserved = old.nextId;
  const reserve = async () => {
    if (nextId === reserved) return;
    await io.save({ ...old, nextId }, [], []);
    reserved = nextId;
  };
  const put = new Map<string, ArchivePage>();
  const removed = new Set<string>();
  const files: SiteFile[] = [];
  const remove: string[] = [];
  let rendered = 0;
  let newestId: number | undefined;
  const furthest = below(old.boundary, boundary) ? boundary : old.boundary;
  for (const seg of segments) {
    const endsAtLast = fresh.size > 0 || seg.at(-1)!.lo === lastLo;
    // Which pages of this segment may have changed.
    const affected = new Set<number>();
    // A key's page, if it is in this segment (a segment's last page is not known to end
    // where the next segment begins, so the window's answer is used, not a search).
    const at = (sk: string) => {
      const lo = holding.get(sk);
      const i = lo === undefined ? -1 : seg.findIndex((p) => p.lo === lo);
      if (i >= 0) affected.add(i);
    };
    if (all || fresh.size > 0) for (let i = 0; i < seg.length; i++) affected.add(i);
    else {
      for (const sk of changed) at(sk);
      if (moved) {
        at(old.boundary);
        at(boundary);
        // Pages above the new boundary lost every entry to the current feed.
        seg.forEach((p, i) => {
          if (!below(p.lo, boundary)) affected.add(i);
        });
      }
    }
    // Their neighbours: links to them change, and an underfull page merges with the newer one.
    const load = new Set<number>();
    for (const i of affected) for (const j of [i - 1, i, i + 1]) if (j >= 0 && j < seg.length) load.add(j);
    const runs: number[][] = [];
    for (const i of [...load].sort((a, b) => a - b)) {
      const last = runs.at(-1);
      if (last && last.at(-1) === i - 1) last.push(i);
      else runs.push([i]);
    }
    // The key range each page covers: up to the next page, the newest up to the boundary.
    const upper = (i: number) => {
      const next = i + 1 < seg.length ? seg[i + 1]!.lo : boundary;
      return below(next, boundary) ? next : boundary;
    };
    // Pages whose range held a changed entry, or entries that crossed the boundary: their
    // documents change even when the entries now in their range look the same.
    const flagged = new Set<number>();
    for (const i of load) {
      const p = seg[i]!;
      const hi = i + 1 < seg.length ? seg[i + 1]!.lo : furthest;
      const holds = (sk: string) => !below(sk, p.lo) && below(sk, hi);
      if ([...changed].some(holds) || (moved && below(moved[0], hi) && below(p.lo, moved[1]))) flagged.add(p.id);
    }
    let segmentNewest = seg.at(-1)!.id;
    // One run of consecutive pages: read, repaired, rendered where its documents changed.
    // Returns the run's pages as they are now.
    const processRun = async (run: readonly number[]): Promise<ArchivePage[]> => {
      const loaded: LoadedPage<IndexedEntry>[] = [];
      for (const i of run) loaded.push({ ...seg[i]!, entries: await readRange(seg[i]!.lo, upper(i)) });
      const endsNewest = endsAtLast && run.at(-1) === seg.length - 1;
      const repaired = repairRun({ run: loaded, pageSize: P, endsNewest, nextId });
      nextId = repaired.nextId;
      // The pages just outside the run keep their ids and links (the run holds every page whose links change).
      const prevOutside = run[0]! > 0 ? seg[run[0]! - 1]!.id : undefined;
      const nextOutside = endsNewest ? undefined : seg[run.at(-1)! + 1]?.id;
      const beforeSig = new Map<number, string>();
      run.forEach((i, k) => {
        beforeSig.set(loaded[k]!.id, signature(loaded[k]!, seg[i - 1]?.id, seg[i + 1]?.id));
      });
      const beforeLo = new Map(loaded.map((p) => [p.id, p.lo]));
      repaired.run.forEach((page, k) => {
        const prev = k > 0 ? repaired.run[k - 1]!.id : prevOutside;
        const next = k + 1 < repaired.run.length ? repaired.run[k + 1]!.id : nextOutside;
        if (all || fresh.has(page.id) || flagged.has(page.id) || beforeSig.get(page.id) !== signature(page, prev, next)) {
          files.push(...pageFiles(base, page, prev, next));
          rendered++;
        }
        if (fresh.has(page.id) || beforeLo.get(page.id) !== page.lo) {
          put.set(page.lo, { lo: page.lo, id: page.id });
          removed.delete(page.lo);
        }
      });
      const kept = new Map(repaired.run.map((p) => [p.lo, p.id]));
      const keptIds = new Set(repaired.run.map((p) => p.id));
      for (const page of loaded) {
        if (!keptIds.has(page.id)) remove.push(...paths(base.feed, archivePageDir(page.id)));
        if (!kept.has(page.lo)) {
          removed.add(page.lo);
          put.delete(page.lo);
        }
      }
      if (endsNewest) segmentNewest = repaired.run.at(-1)?.id ?? prevOutside ?? -1;
      return repaired.run.map((p) => ({ lo: p.lo, id: p.id }));
    };
    // The common case, cheaply: when every changed page keeps its place (within bounds,
    // not empty), no page is split, merged or removed, so no neighbour's links change and
    // the neighbours need not be read. Only the changed pages are read and rendered.
    const min = minFill(P);
    const unchangedShape = async (run: readonly number[]): Promise<boolean> => {
      const own = run.filter((i) => affected.has(i));
      const pages: LoadedPage<IndexedEntry>[] = [];
      for (const i of own) {
        const entries = await readRange(seg[i]!.lo, upper(i));
        const newest = endsAtLast && i === seg.length - 1;
        const fits = entries.length > 0 && entries.length <= P && (newest || entries.length >= min);
        if (!fits) return false;
        pages.push({ ...seg[i]!, entries });
      }
      own.forEach((i, k) => {
        if (!flagged.has(seg[i]!.id)) return;
        const newest = endsAtLast && i === seg.length - 1;
        files.push(...pageFiles(base, pages[k]!, seg[i - 1]?.id, newest ? undefined : seg[i + 1]?.id));
        rendered++;
      });
      return true;
    };
    if (all || fresh.size > 0) {
      // Every page, a batch at a time with the page before it (whose links a merge may
      // change), written as it goes: memory holds a batch, not the feed's whole archive.
      for (let i = 0; i < seg.length; ) {
        const from = Math.max(0, i - 1);
        const to = Math.min(seg.length, i + ALL_PAGES_BATCH + 1);
        const resume = to < seg.length ? seg[to]!.lo : undefined;
        const run = Array.from({ length: to - from }, (_, k) => from + k);
        const now = await processRun(run);
        seg.splice(from, run.length, ...now);
        await reserve();
        await io.emit(files.splice(0), []);
        i = resume === undefined ? seg.length : seg.findIndex((p) => !below(p.lo, resume));
        if (i < 0) i = seg.length;
      }
    } else {
      for (const run of runs) if (!(await unchangedShape(run))) await processRun(run);
    }
    if (endsAtLast) newestId = segmentNewest === -1 ? undefined : segmentNewest;
  }
  if (input.allPages) {
    // Every id handed out and not live: pages a failed publish may have written.
    const live = new Set<number>();
    for (const seg of segments) for (const p of seg) live.add(p.id);
    for (const p of put.values()) live.add(p.id);
    for (const r of remove) {
      const m = /archive\/(\d+)\//.exec(r);
      if (m) live.delete(Number(m[1]));
    }
    for (let id = 1; id < old.nextId; id++) if (!live.has(id)) remove.push(...paths(base.feed, archivePageDir(id)));
  }
  await reserve();
  await io.emit(files, [...new Set(remove)]);
  return { put: [...put.values()], removed: [...removed], newestId, nextId, rendered };
}

/** A page's identity for "did its documents change": its id, entries and links. */
function signature(page: LoadedPage<IndexedEntry>, prev: number | undefined, next: number | undefined): string {
  return JSON.stringify([page.id, prev ?? null, next ?? null, page.entries.map((e) => e.sk)]);
}
