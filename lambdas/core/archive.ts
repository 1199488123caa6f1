/**
 * A feed's archive (RFC 5005 archived feeds) as pages of bounded size that split and
 * merge like B-tree leaves. Pure: the publish use case loads pages, calls `repairRun`,
 * and renders the pages whose documents changed.
 *
 * A page covers a range of index sort keys, from its `lo` (inclusive; the oldest page's
 * `lo` is "") to the next page's `lo`; the newest page runs to the current feed's
 * boundary (the oldest entry of the current document). Its URL is its `id`, a number
 * the feed hands out once: a split gives the new half a new id, a merge keeps one and
 * retires the other, so an address never comes to mean another page.
 *
 * Bounds, with P the page size: every page but the newest holds between `minFill(P)`
 * (⌈P/2⌉) and P entries; the newest holds 1 to P. So a feed of E entries is walked in at
 * most 2·E/P + 2 fetches (the current document, the newest page, and pages of at least
 * P/2). Entries only ever join the archive at its newest end when new articles arrive,
 * so the newest page fills to P and then a new one starts: a pure append archive has
 * full pages, and adding the newest article changes at most two pages (the newest one,
 * and the page before it whose `next-archive` link now names the new one).
 */

export interface ArchivePage {
  /** Smallest index sort key the page covers ("" for the oldest page). */
  readonly lo: string;
  /** The page's address: `archive/<id>/`. */
  readonly id: number;
}

/** What a feed's archive looked like when it was last published. */
export interface FeedLayout {
  /** Sort key of the oldest entry of the current document; "" when the feed is empty. */
  readonly boundary: string;
  /** The page size the pages were cut with. */
  readonly pageSize: number;
  /** The next page id to hand out. */
  readonly nextId: number;
}

/** The default page size (`archivePageSize` in site.yaml). */
export const DEFAULT_ARCHIVE_PAGE_SIZE = 100;

/** The fewest entries a page other than the newest may hold. */
export const minFill = (pageSize: number): number => Math.ceil(pageSize / 2);

/** A page with its entries (sorted oldest first by `sk`). */
export interface LoadedPage<E extends { readonly sk: string }> {
  readonly lo: string;
  readonly id: number;
  readonly entries: readonly E[];
}

export interface RepairInput<E extends { readonly sk: string }> {
  /** Consecutive pages, oldest first, with every entry of their ranges. */
  readonly run: readonly LoadedPage<E>[];
  readonly pageSize: number;
  /** The run ends with the archive's newest page. */
  readonly endsNewest: boolean;
  /** The next id to hand out. */
  readonly nextId: number;
}

export interface RepairResult<E extends { readonly sk: string }> {
  /** The same range of keys, as pages within bounds, oldest first (possibly none). */
  readonly run: LoadedPage<E>[];
  readonly nextId: number;
}

/**
 * Brings a run of pages within bounds, touching as few pages as it can:
 * - an empty page is removed (its range goes to a neighbour; only links change);
 * - an overfull page is cut: the newest page into full pages of P with the rest in a
 *   new newest page (appends keep pages full), any other page into ⌈n/P⌉ even parts;
 *   the page keeps its id for its first part, the others get new ids;
 * - an underfull page (not the newest) takes entries from its newer neighbour, or is
 *   merged with it when both fit in one page; a merged page keeps the newer page's id,
 *   so the only other page whose links change is the older neighbour.
 *
 * Callers pass, around every page that changed, its neighbours (so the pages whose links
 * change are all in the run, and an underfull page always has its newer neighbour).
 */
export function repairRun<E extends { readonly sk: string }>(input: RepairInput<E>): RepairResult<E> {
  const P = input.pageSize;
  const min = minFill(P);
  let nextId = input.nextId;
  if (input.run.length === 0) return { run: [], nextId };
  const first = input.run[0]!.lo;
  // 1. Empty pages go; the oldest remaining page takes over the run's lower bound.
  let pages: LoadedPage<E>[] = input.run.filter((p) => p.entries.length > 0);
  if (pages.length > 0 && pages[0]!.lo !== first) pages[0] = { ...pages[0]!, lo: first };

  // 2. Overfull pages are cut.
  const cut: LoadedPage<E>[] = [];
  pages.forEach((page, i) => {
    const n = page.entries.length;
    if (n <= P) {
      cut.push(page);
      return;
    }
    const newest = input.endsNewest && i === pages.length - 1;
    const sizes = newest ? fullThenRest(n, P) : evenParts(n, Math.ceil(n / P));
    let at = 0;
    sizes.forEach((size, k) => {
      const entries = page.entries.slice(at, at + size);
      cut.push({ lo: k === 0 ? page.lo : entries[0]!.sk, id: k === 0 ? page.id : nextId++, entries });
      at += size;
    });
  });
  pages = cut;

  // 3. Underfull pages (not the newest of the archive) borrow from or merge with the newer neighbour.
  for (let i = 0; i < pages.length - 1; i++) {
    const page = pages[i]!;
    if (page.entries.length >= min) continue;
    const newer = pages[i + 1]!;
    const all = [...page.entries, ...newer.entries];
    if (all.length <= P) {
      pages.splice(i, 2, { lo: page.lo, id: newer.id, entries: all });
      i--; // the merged page may itself need its newer neighbour, when it is still short
    } else {
      const [a] = evenParts(all.length, 2) as [number, number];
      pages.splice(i, 2, { lo: page.lo, id: page.id, entries: all.slice(0, a) }, { lo: all[a]!.sk, id: newer.id, entries: all.slice(a) });
    }
  }
  return { run: pages, nextId };
}

/** A fresh cut of entries (oldest first) into full pages, the rest in the newest one: sizes. */
export function fullThenRest(n: number, P: number): number[] {
  const sizes: number[] = [];
  for (let left = n; left > 0; left -= P) sizes.push(Math.min(P, left));
  return sizes;
}

/** `n` split into `k` parts as equal as possible, the larger ones last. */
export function evenParts(n: number, k: number): number[] {
  const base = Math.floor(n / k);
  const extra = n % k;
  return Array.from({ length: k }, (_, i) => base + (i >= k - extra ? 1 : 0));
}
