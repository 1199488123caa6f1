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
}

/** Entries of one article in some feeds' indexes. */
export interface IndexRef {
  readonly feeds: readonly string[];
  readonly slug: string;
  readonly published: string;
}

export interface StoredAuthor {
  readonly author: Author;
  readonly source: SourceMeta;
}

export interface PutArticleOptions {
  /** Replace the record of another source that no longer exists (a moved file). */
  readonly takeOverFrom?: SourceMeta;
  /** Index entries to remove after this write; see `StoredArticle.staleIndex`. */
  readonly staleIndex?: readonly IndexRef[];
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
   * Stores an article if this event is not older than the stored one for the same key;
   * returns the previous record. Throws `StaleEventError` or `DuplicateSlugError`.
   */
  putArticle(article: Article, source: SourceMeta, options?: PutArticleOptions): Promise<StoredArticle | undefined>;
  /** Leaves a tombstone; returns the previous record. Throws `StaleEventError`. */
  deleteArticle(slug: string, source: SourceMeta, deletedAt: string, staleIndex: readonly IndexRef[]): Promise<StoredArticle | undefined>;
  /** Marks the index writes of the article version `seq` as done. */
  markIndexed(slug: string, seq: string): Promise<void>;

  /** Upserts the entry in each feed's index. */
  putFeedEntries(feedKeys: readonly string[], entry: FeedEntry): Promise<void>;
  /** Removes the entry (published at `published`) from each feed's index. */
  deleteFeedEntries(feedKeys: readonly string[], slug: string, published: string): Promise<void>;
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
  | { readonly op: "begins_with"; readonly value: string };

export interface IndexedEntry {
  /** `<published ISO>#<slug>` */
  readonly sk: string;
  readonly entry: FeedEntry;
}

/** Reads source files (the content bucket, or `content/` locally). */
export interface ContentSource {
  /** The bytes and ordering stamp of a key, or undefined when it no longer exists. */
  read(key: string): Promise<{ body: Uint8Array; seq: string } | undefined>;
  exists(key: string): Promise<boolean>;
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
  readonly body: string;
  readonly contentType: string;
  readonly cacheControl: string;
}

/** Where public files go (the site bucket, or `dist/` locally). */
export interface SiteWriter {
  /** SHA-256 of what is stored at each path now; missing paths are absent from the map. */
  hashes(paths: readonly string[]): Promise<Map<string, string>>;
  write(file: SiteFile, hash: string): Promise<void>;
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

/** Tells WebSub hubs that feeds changed. */
export interface HubNotifier {
  notify(hubs: readonly string[], feedUrls: readonly string[]): Promise<void>;
}
