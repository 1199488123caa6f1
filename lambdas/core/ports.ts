import type { ArchivePage, FeedLayout } from "./archive.js";
import type { Article, Author, DeletedEntry, FeedEntry, FeedInfo, Site } from "./model.js";

/**
 * The ports: what the application needs from storage and the outside world. Types only;
 * adapters in `lambdas/adapters` implement them for DynamoDB, S3, CloudFront, a local
 * directory and HTTP.
 */

/** Where a stored record came from, used to order events and detect duplicates. */
export interface SourceMeta {
  /** Content key, e.g. `articles/2024/ev.md`. */
  readonly key: string;
  /** Orders events of one key: the S3 `sequencer`, or the file's mtime locally; zero-padded. */
  readonly seq: string;
  /** SHA-256 of the source bytes. */
  readonly hash: string;
}

export interface StoredArticle {
  readonly slug: string;
  readonly source: SourceMeta;
  /** Absent on a tombstone (the source file was deleted). */
  readonly article?: Article;
  /** When the tombstone was written (ISO); for retractions. */
  readonly deletedAt?: string;
  /**
   * Feed index entries still to remove, written with the article in one put so a crash
   * between the article write and the index writes is repaired by the retry.
   */
  readonly staleIndex?: readonly IndexRef[];
  /** True from the article write until its index writes are done. */
  readonly indexPending?: boolean;
  /**
   * The slug's version: 1 for the first write, +1 on every write whatever file it came
   * from. Every feed index write carries it, and an index item never goes back to an
   * older version, so a stalled ingest cannot bring back what a newer one removed.
   */
  readonly ver: number;
  readonly outcome?: RecordOutcome;
}

/** Entries of one article in some feeds' indexes. */
export interface IndexRef {
  readonly feeds: readonly string[];
  readonly slug: string;
  readonly published: string;
  /** The entry's id, for its retraction record (RFC 6721). */
  readonly id?: string;
}

/** What ingest told the editor when it wrote a record; a redelivered event reports it again. */
export type RecordOutcome = "published" | "updated" | "unchanged" | "removed";

export interface StoredAuthor {
  readonly author: Author;
  readonly source: SourceMeta;
}

/** The next version of an article record (a live article, or a tombstone without `article`). */
export interface ArticleRecord {
  readonly slug: string;
  readonly source: SourceMeta;
  readonly article?: Article;
  readonly deletedAt?: string;
  readonly staleIndex: readonly IndexRef[];
  readonly outcome: RecordOutcome;
}

/** One file's claim on a slug; the smallest live key owns it, whatever the arrival order. */
export interface SlugClaim {
  readonly key: string;
  readonly seq: string;
}

/** A file that waits for something it names (`author/<slug>` or `site`). */
export interface HeldFile {
  readonly key: string;
  readonly seq: string;
  readonly time: string;
}

/**
 * A feed whose published files may differ from what the table says: its current
 * documents, and the archive page holding index key `at` when given. `feed` is `*` for every feed.
 * `token` changes on every mark, so a publisher clears only what it has seen.
 */
export interface DirtyMark {
  readonly feed: string;
  readonly at?: string;
  readonly token: string;
  /**
   * When the mark was last written (ISO 8601, the store's clock): how fresh a backlog of
   * marks is (`publish` coalesces while a large one is still growing). Absent on marks
   * written before marks carried it, which count as old.
   */
  readonly time?: string;
}

export interface ContentStore {
  getSite(): Promise<Site | undefined>;
  putSite(site: Site, source: SourceMeta): Promise<void>;

  listAuthors(): Promise<Map<string, Author>>;
  /** Which file holds an author slug, and whether it was deleted. */
  getAuthorSource(slug: string): Promise<{ source: SourceMeta; deleted: boolean } | undefined>;
  putAuthor(author: Author, source: SourceMeta): Promise<void>;
  deleteAuthor(slug: string, source: SourceMeta): Promise<void>;

  getArticle(slug: string): Promise<StoredArticle | undefined>;
  /**
   * Writes version `expectedVer + 1` of the slug's record if the stored version is still
   * `expectedVer` (0: no record), with `indexPending` set. Throws `VersionConflictError`
   * when another write came first (read again and retry).
   */
  writeArticle(record: ArticleRecord, expectedVer: number): Promise<void>;
  /** Marks the index writes of version `ver` as done (nothing if a newer version exists). */
  markIndexed(slug: string, ver: number): Promise<void>;

  /**
   * Records that `key` (a file of `slug`) exists (`live`) or was deleted, as of event
   * `seq`. Throws `StaleEventError` when a newer event of the same key was recorded.
   */
  claimSlug(slug: string, key: string, seq: string, live: boolean): Promise<void>;
  /** The live claims of a slug, by key. */
  slugClaims(slug: string): Promise<SlugClaim[]>;

  /**
   * `file` waits for `dependency` (`author/<slug>` or `site`). One hold per key: a newer
   * event of the key replaces an older one, never the other way round (events arrive in
   * any order, and the released ingest must not be a stale one).
   */
  hold(dependency: string, file: HeldFile): Promise<void>;
  heldFor(dependency: string): Promise<HeldFile[]>;
  /** Removes the hold of `key` if it is for event `seq` or an older one (a newer event's hold stays). */
  release(dependency: string, key: string, seq: string): Promise<void>;

  /** Marks feeds (and the archive pages holding entries) dirty; publish clears them after writing. */
  markDirty(marks: readonly { feed: string; at?: string }[]): Promise<void>;
  dirtyMarks(): Promise<DirtyMark[]>;
  /** Clears each mark whose token is still the one given. */
  clearDirty(marks: readonly DirtyMark[]): Promise<void>;

  /**
   * Upserts the entry in each feed's index at version `ver` of its article: an index
   * item already at a newer version is left alone.
   */
  putFeedEntries(feedKeys: readonly string[], entry: FeedEntry, ver: number): Promise<void>;
  /** Removes the entry (published at `published`) from each feed's index, as version `ver`. */
  deleteFeedEntries(feedKeys: readonly string[], slug: string, published: string, ver: number): Promise<void>;
  /** Newest `limit` entries published at or before `notAfter`, newest first: one Query. */
  queryFeed(feedKey: string, notAfter: string, limit: number): Promise<FeedEntry[]>;
  /** Entries published in (from, to], oldest first (scheduled articles that became due). */
  queryFeedRange(feedKey: string, from: string, to: string): Promise<FeedEntry[]>;
  /** The earliest publication time after `after` in a feed (scheduled articles). */
  nextScheduled(feedKey: string, after: string): Promise<string | undefined>;

  /**
   * Raw index query on sort keys (`<published ISO>#<slug>`): one key condition, up to
   * `limit` items, newest or oldest first. Used to page archives.
   */
  queryIndex(feedKey: string, condition: IndexCondition, limit: number, newestFirst: boolean): Promise<IndexedEntry[]>;

  /** RFC 6721: remember that the entry left these feeds (kept for `DELETED_ENTRY_DAYS`). */
  putDeleted(feedKeys: readonly string[], entry: DeletedEntry): Promise<void>;
  /** The entry is back in these feeds. */
  clearDeleted(feedKeys: readonly string[], slug: string): Promise<void>;
  /** Entries that left the feed at or after `since`, newest first. */
  queryDeleted(feedKey: string, since: string): Promise<DeletedEntry[]>;

  registerFeeds(feeds: readonly FeedInfo[]): Promise<void>;
  listFeeds(): Promise<FeedInfo[]>;
}

export type IndexCondition =
  | { readonly op: "<" | ">="; readonly value: string }
  | { readonly op: "begins_with"; readonly value: string }
  /** `value <= sk < before` (an archive page's range). */
  | { readonly op: "range"; readonly value: string; readonly before: string };

export interface IndexedEntry {
  /** `<published ISO>#<slug>` */
  readonly sk: string;
  readonly entry: FeedEntry;
}

export interface SourceFile {
  readonly body: Uint8Array;
  readonly seq: string;
  /** Size of the whole object in bytes, when the source knows it; larger than `body` when the read stopped at `maxBytes`. */
  readonly size?: number;
}

/** Reads source files (the content bucket, or `content/` locally). */
export interface ContentSource {
  /**
   * The bytes and ordering stamp of a key, or undefined when it no longer exists. With
   * `maxBytes`, an object larger than that is not read whole: `body` holds at most
   * `maxBytes` bytes and `size` its full size, so the caller can reject it cheaply.
   */
  read(key: string, maxBytes?: number): Promise<SourceFile | undefined>;
  exists(key: string): Promise<boolean>;
  /** Every key under `prefix` (e.g. `articles/`), in no particular order. */
  list(prefix: string): AsyncIterable<string>;
}

/**
 * Where the editor's report on each content file goes (on AWS `_reports/<key>.txt` in
 * the content bucket, next to what the editor uploaded).
 */
export interface ReportSink {
  /** Replaces the report of content key `key`. */
  put(key: string, text: string): Promise<void>;
  /** Removes the report of `key` (its file was deleted). */
  remove(key: string): Promise<void>;
}

/** One public file. */
export interface SiteFile {
  readonly path: string;
  /** Text (UTF-8) for documents; bytes for static assets (the Urdu font). */
  readonly body: string | Uint8Array;
  readonly contentType: string;
  readonly cacheControl: string;
}

/**
 * Public files that no content produces (the self-hosted font): publish writes them
 * with index.html, only when their bytes differ from the stored ones. Each host reads
 * them its own way (from node_modules locally, from the Lambda bundle on AWS).
 */
export interface SiteAssets {
  files(): Promise<readonly SiteFile[]>;
}

/** Where public files go (the site bucket, or `dist/` locally). */
export interface SiteWriter {
  /** SHA-256 of what is stored at each path now; missing paths are absent from the map. */
  hashes(paths: readonly string[]): Promise<Map<string, string>>;
  write(file: SiteFile, hash: string): Promise<void>;
  /** Removes a file (an archive page left empty); nothing if it is not there. */
  remove(path: string): Promise<void>;
}

/**
 * What publishers share: a lease (one publisher writes at a time, so an older render can
 * never overwrite a newer one) and the paths written but not yet invalidated and
 * announced (so a publish that dies after writing still gets them invalidated by the
 * next one). Times are epoch milliseconds.
 */
export interface PublishLedger {
  /** Takes the lease if it is free, expired or already `owner`'s. */
  tryLease(owner: string, nowMs: number, leaseMs: number): Promise<LeaseState>;
  /** Extends `owner`'s lease; false when it is no longer `owner`'s. */
  renewLease(owner: string, nowMs: number, leaseMs: number): Promise<boolean>;
  /** Lets go of `owner`'s lease (nothing if another holds it). */
  releaseLease(owner: string): Promise<void>;
  /** Records paths about to be written (`*`: too many to list, treat every path as written). */
  addPending(paths: readonly string[]): Promise<void>;
  /** Paths written but not yet invalidated and announced, by any publisher. */
  pendingPaths(): Promise<string[]>;
  /** These paths have been invalidated and announced. */
  clearPending(paths: readonly string[]): Promise<void>;
  /**
   * The `now` of the last publish that completed: articles that came due after it are
   * published by the next run, however late that run is.
   */
  lastPublished(): Promise<string | undefined>;
  setLastPublished(iso: string): Promise<void>;
  /**
   * Each feed's archive layout as last published: the current document's boundary, the
   * page size and the next page id (`core/archive.ts`). A feed never published is absent.
   */
  layouts(feeds: readonly string[]): Promise<Map<string, FeedLayout>>;
  /**
   * A feed's archive pages, oldest first: all of them, or (`around`) the page whose range
   * holds `sk` with up to `older` pages before it and `newer` after it (consecutive pages,
   * so publish reads a few small items per change, whatever the archive's size).
   */
  archivePages(feed: string, around?: PagesAround): Promise<ArchivePage[]>;
  /**
   * Records a feed's layout: pages `put` (new, or with a new `lo` or id), pages whose
   * `lo` is in `removed` dropped, and the layout item.
   */
  saveLayout(feed: string, layout: FeedLayout, put: readonly ArchivePage[], removed: readonly string[]): Promise<void>;
  /** The full rebuild under way, if a run stopped (out of time, or killed) before finishing it. */
  rebuildCursor(): Promise<RebuildCursor | undefined>;
  setRebuildCursor(cursor: RebuildCursor | undefined): Promise<void>;
}

/** Which pages `PublishLedger.archivePages` returns: the page holding `sk`, and its neighbours. */
export interface PagesAround {
  readonly sk: string;
  readonly older: number;
  /** `Infinity`: every page after it. */
  readonly newer: number;
}

/**
 * A full rebuild under way: the request it serves (`token`: the `*` mark's token, or
 * `full` for an operator's request) and the last feed, in key order, it finished.
 */
export interface RebuildCursor {
  readonly token: string;
  readonly after: string;
}

export interface LeaseState {
  readonly acquired: boolean;
  /** Current holder and its expiry, when known. */
  readonly holder?: string;
  readonly expiresAtMs?: number;
}

/** Tells caches that paths changed (CloudFront). */
export interface Invalidator {
  /** `reference` identifies this change (same change, same reference), so a retry is not a second invalidation. */
  invalidate(paths: readonly string[], reference: string): Promise<void>;
}

/** How one hub's ping ended. */
export interface HubResult {
  readonly hub: string;
  readonly ok: boolean;
  readonly attempts: number;
  /** Why the last attempt failed. */
  readonly error?: string;
}

/**
 * Tells WebSub hubs that feeds changed. Never rejects for a hub that fails: the feeds are
 * live anyway and readers still poll; each hub's outcome is returned instead, one per hub.
 */
export interface HubNotifier {
  notify(hubs: readonly string[], feedUrls: readonly string[]): Promise<readonly HubResult[]>;
}
