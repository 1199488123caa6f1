import { indexSk, indexSkAfter, parseIndexSk } from "../contracts/table.js";
import { byKey, compareUtf8 } from "../core/claims.js";
import { StaleEventError, VersionConflictError } from "../core/errors.js";
import { feedKey } from "../core/feeds.js";
import type { Article, Author, DeletedEntry, FeedEntry, FeedInfo, Site } from "../core/model.js";
import type {
  ArticleRecord as ArticleWrite, ContentStore, DirtyMark, HeldFile, IndexCondition, IndexedEntry, IndexRef, RecordOutcome, SlugClaim, SourceMeta, StoredArticle,
} from "../core/ports.js";

/**
 * `ContentStore` in memory, for fast tests of the use cases and for the bench: the same
 * conditional writes, errors, tombstones, index order and limits as the DynamoDB store
 * (the shared contract suite holds both to that). Values are copied in and out, as a
 * database would, so a caller mutating a result changes nothing stored.
 */

interface Sourced { readonly source: SourceMeta }
interface AuthorRecord extends Sourced { readonly author?: Author; readonly deleted: boolean }
interface ArticleRecord extends Sourced {
  readonly slug: string;
  readonly deleted: boolean;
  readonly deletedAt?: string;
  readonly article?: Article;
  readonly staleIndex?: readonly IndexRef[];
  readonly indexPending?: boolean;
  readonly ver: number;
  readonly outcome?: RecordOutcome;
}

/** A feed index item: live, or removed (kept as the record of the version that removed it). */
interface IndexItem { readonly entry?: FeedEntry; readonly ver: number }

export { compareUtf8 };

/**
 * Everything a `MemoryContentStore` holds, as plain data (arrays of entries, no classes):
 * what `snapshot()` gives and `restore()` takes, e.g. through `v8.serialize` to keep the
 * local store between runs. Bump `version` when the shape changes.
 */
export interface ContentStoreState {
  readonly version: typeof CONTENT_STORE_STATE_VERSION;
  readonly site?: { readonly site: Site; readonly source: SourceMeta };
  readonly authors: readonly (readonly [string, AuthorRecord])[];
  readonly articles: readonly (readonly [string, ArticleRecord])[];
  readonly index: readonly (readonly [string, readonly (readonly [string, IndexItem])[]])[];
  readonly claims: readonly (readonly [string, readonly (readonly [string, { readonly seq: string; readonly live: boolean }])[]])[];
  readonly holds: readonly (readonly [string, readonly (readonly [string, HeldFile])[]])[];
  readonly dirty: readonly (readonly [string, DirtyMark])[];
  readonly tokens: number;
  readonly gone: readonly (readonly [string, readonly (readonly [string, DeletedEntry])[]])[];
  readonly feeds: readonly (readonly [string, FeedInfo])[];
}

export const CONTENT_STORE_STATE_VERSION = 1;

const entriesOf = <V>(m: ReadonlyMap<string, V>): [string, V][] => [...m];
const nestedEntriesOf = <V>(m: ReadonlyMap<string, ReadonlyMap<string, V>>): [string, [string, V][]][] => [...m].map(([k, inner]) => [k, [...inner]]);
const nestedMapOf = <V>(entries: readonly (readonly [string, readonly (readonly [string, V])[]])[]): Map<string, Map<string, V>> =>
  new Map(entries.map(([k, inner]) => [k, new Map(inner)]));

const copy = <T>(value: T): T => structuredClone(value);

/** The first position in `items` (sorted) whose key is not below `sk`. */
function lowerBound(items: readonly (readonly [string, unknown])[], sk: string): number {
  let [lo, hi] = [0, items.length];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareUtf8(items[mid]![0], sk) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first position in `items` (sorted) whose key is above `sk`. */
function upperBound(items: readonly (readonly [string, unknown])[], sk: string): number {
  let [lo, hi] = [0, items.length];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareUtf8(items[mid]![0], sk) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The shared ordering rule: an older event of the same source key is stale. */
const isOlder = (stored: Sourced | undefined, source: SourceMeta) =>
  stored !== undefined && stored.source.key === source.key && stored.source.seq > source.seq;

function toStored(r: ArticleRecord): StoredArticle {
  return copy({
    slug: r.slug,
    source: r.source,
    ...(r.article && !r.deleted ? { article: r.article } : {}),
    ...(r.deletedAt ? { deletedAt: r.deletedAt } : {}),
    ...(r.staleIndex && r.staleIndex.length > 0 ? { staleIndex: r.staleIndex } : {}),
    ...(r.indexPending ? { indexPending: true } : {}),
    ...(r.outcome ? { outcome: r.outcome } : {}),
    ver: r.ver,
  });
}

export class MemoryContentStore implements ContentStore {
  private site?: { site: Site; source: SourceMeta };
  private readonly authors = new Map<string, AuthorRecord>();
  private readonly articles = new Map<string, ArticleRecord>();
  /** feed key → index sort key → item */
  private readonly index = new Map<string, Map<string, IndexItem>>();
  /** slug → key → claim */
  private readonly claims = new Map<string, Map<string, { seq: string; live: boolean }>>();
  /** dependency → key → held file */
  private readonly holds = new Map<string, Map<string, HeldFile>>();
  /** `<feed>|<index sk>` → mark */
  private readonly dirty = new Map<string, DirtyMark>();
  private tokens = 0;
  /** The clock that stamps dirty marks (`DirtyMark.time`); tests pass a fake one. */
  private readonly clock: () => number;

  constructor(options: { clock?: () => number } = {}) {
    this.clock = options.clock ?? Date.now;
  }
  /** feed key → slug → deleted entry */
  private readonly gone = new Map<string, Map<string, DeletedEntry>>();
  private readonly feeds = new Map<string, FeedInfo>();

  /**
   * The whole store as plain data. Records are shared with the store, which never changes
   * a record in place (it replaces it): serialize the state, or `structuredClone` it,
   * before changing the store again if it must not follow.
   */
  snapshot(): ContentStoreState {
    return {
      version: CONTENT_STORE_STATE_VERSION,
      ...(this.site ? { site: this.site } : {}),
      authors: entriesOf(this.authors), articles: entriesOf(this.articles), index: nestedEntriesOf(this.index),
      claims: nestedEntriesOf(this.claims), holds: nestedEntriesOf(this.holds), dirty: entriesOf(this.dirty),
      tokens: this.tokens, gone: nestedEntriesOf(this.gone), feeds: entriesOf(this.feeds),
    };
  }

  /**
   * A store holding `state` (from `snapshot()`, possibly through `v8.serialize`/`deserialize`).
   * The state is copied, unless `adopt` says the caller hands it over (a state just
   * deserialized, referenced by nothing else).
   */
  static restore(state: ContentStoreState, opts: { adopt?: boolean } = {}): MemoryContentStore {
    if (state?.version !== CONTENT_STORE_STATE_VERSION) throw new Error(`MemoryContentStore.restore: state version ${String(state?.version)}, expected ${CONTENT_STORE_STATE_VERSION}`);
    const s = opts.adopt ? state : copy(state);
    const store = new MemoryContentStore();
    if (s.site) store.site = s.site;
    const fill = <V>(target: Map<string, V>, entries: readonly (readonly [string, V])[]) => { for (const [k, v] of entries) target.set(k, v); };
    fill(store.authors, s.authors);
    fill(store.articles, s.articles);
    fill(store.index, [...nestedMapOf(s.index)]);
    fill(store.claims, [...nestedMapOf(s.claims)]);
    fill(store.holds, [...nestedMapOf(s.holds)]);
    fill(store.dirty, s.dirty);
    store.tokens = s.tokens;
    fill(store.gone, [...nestedMapOf(s.gone)]);
    fill(store.feeds, s.feeds);
    return store;
  }

  async getSite(): Promise<Site | undefined> {
    return copy(this.site?.site);
  }

  async putSite(site: Site, source: SourceMeta): Promise<void> {
    if (isOlder(this.site, source)) throw new StaleEventError(source.key);
    this.site = copy({ site, source });
  }

  async listAuthors(): Promise<Map<string, Author>> {
    const live = [...this.authors].filter(([, r]) => !r.deleted && r.author).sort(([a], [b]) => compareUtf8(a, b));
    return new Map(live.map(([slug, r]) => [slug, copy(r.author!)]));
  }

  async getAuthorSource(slug: string): Promise<{ source: SourceMeta; deleted: boolean } | undefined> {
    const r = this.authors.get(slug);
    return r ? copy({ source: r.source, deleted: r.deleted }) : undefined;
  }

  async putAuthor(author: Author, source: SourceMeta): Promise<void> {
    if (isOlder(this.authors.get(author.slug), source)) throw new StaleEventError(source.key);
    this.authors.set(author.slug, copy({ author, source, deleted: false }));
  }

  async deleteAuthor(slug: string, source: SourceMeta): Promise<void> {
    if (isOlder(this.authors.get(slug), source)) throw new StaleEventError(source.key);
    this.authors.set(slug, copy({ source: { ...source, hash: "" }, deleted: true }));
  }

  async getArticle(slug: string): Promise<StoredArticle | undefined> {
    const r = this.articles.get(slug);
    return r ? toStored(r) : undefined;
  }

  async writeArticle(record: ArticleWrite, expectedVer: number): Promise<void> {
    if ((this.articles.get(record.slug)?.ver ?? 0) !== expectedVer) throw new VersionConflictError(record.slug, expectedVer);
    this.articles.set(record.slug, copy({
      slug: record.slug, source: record.source, deleted: !record.article,
      ...(record.article ? { article: record.article } : {}),
      ...(record.deletedAt ? { deletedAt: record.deletedAt } : {}),
      staleIndex: record.staleIndex, indexPending: true, ver: expectedVer + 1, outcome: record.outcome,
    }));
  }

  async markIndexed(slug: string, ver: number): Promise<void> {
    const r = this.articles.get(slug);
    // Another version was written meanwhile: its own ingest finishes its index.
    if (!r || r.ver !== ver) return;
    const { staleIndex: _s, indexPending: _p, ...rest } = r;
    this.articles.set(slug, rest);
  }

  async claimSlug(slug: string, key: string, seq: string, live: boolean): Promise<void> {
    const claims = this.claims.get(slug) ?? new Map<string, { seq: string; live: boolean }>();
    const current = claims.get(key);
    if (current && current.seq > seq) throw new StaleEventError(key);
    claims.set(key, { seq, live });
    this.claims.set(slug, claims);
  }

  async slugClaims(slug: string): Promise<SlugClaim[]> {
    return [...(this.claims.get(slug) ?? [])].filter(([, c]) => c.live).map(([key, c]) => ({ key, seq: c.seq })).sort(byKey);
  }

  async hold(dependency: string, file: HeldFile): Promise<void> {
    const held = this.holds.get(dependency) ?? new Map<string, HeldFile>();
    if ((held.get(file.key)?.seq ?? "") > file.seq) return;
    held.set(file.key, copy(file));
    this.holds.set(dependency, held);
  }

  async heldFor(dependency: string): Promise<HeldFile[]> {
    return [...(this.holds.get(dependency)?.values() ?? [])].map(copy).sort(byKey);
  }

  async release(dependency: string, key: string, seq: string): Promise<void> {
    const held = this.holds.get(dependency);
    if ((held?.get(key)?.seq ?? "") <= seq) held?.delete(key);
  }

  async markDirty(marks: readonly { feed: string; at?: string }[]): Promise<void> {
    const time = new Date(this.clock()).toISOString();
    for (const m of marks) this.dirty.set(`${m.feed}|${m.at ?? ""}`, { feed: m.feed, ...(m.at ? { at: m.at } : {}), token: String(++this.tokens), time });
  }

  async dirtyMarks(): Promise<DirtyMark[]> {
    return [...this.dirty].sort(([a], [b]) => compareUtf8(a, b)).map(([, m]) => copy(m));
  }

  async clearDirty(marks: readonly DirtyMark[]): Promise<void> {
    for (const m of marks) {
      const k = `${m.feed}|${m.at ?? ""}`;
      if (this.dirty.get(k)?.token === m.token) this.dirty.delete(k);
    }
  }

  async putFeedEntries(feedKeys: readonly string[], entry: FeedEntry, ver: number): Promise<void> {
    // One copy shared by the entry's feeds: items are never changed in place, and read out as copies.
    const item = { entry: copy(entry), ver };
    // The rendered body is the article record's too: hold it once (strings never change),
    // which nearly halves what a local store of a large archive keeps in memory.
    const body = this.articles.get(entry.slug)?.article?.contentHtml;
    if (body !== undefined && body === item.entry.contentHtml) item.entry = { ...item.entry, contentHtml: body };
    for (const k of feedKeys) this.putIndexItem(k, indexSk(entry), item);
  }

  async deleteFeedEntries(feedKeys: readonly string[], slug: string, published: string, ver: number): Promise<void> {
    for (const k of feedKeys) this.putIndexItem(k, indexSk({ published, slug }), { ver });
  }

  /** As DynamoDB's conditional put: an item already at a newer version stays. */
  private putIndexItem(feed: string, sk: string, item: IndexItem): void {
    const index = this.feedIndex(feed);
    const current = index.get(sk);
    if (current && current.ver > item.ver) return;
    index.set(sk, item);
    this.sortedCache.delete(feed);
  }

  async queryFeed(key: string, notAfter: string, limit: number): Promise<FeedEntry[]> {
    const items = this.sorted(key);
    const end = upperBound(items, indexSkAfter(notAfter));
    const out: FeedEntry[] = [];
    for (let i = end - 1; i >= 0 && out.length < limit; i--) out.push(copy(items[i]![1]));
    return out;
  }

  async queryFeedRange(key: string, from: string, to: string): Promise<FeedEntry[]> {
    const items = this.sorted(key);
    const [lo, hi] = [lowerBound(items, indexSkAfter(from)), upperBound(items, indexSkAfter(to))];
    return items.slice(lo, Math.max(lo, hi)).map(([, e]) => copy(e));
  }

  async nextScheduled(key: string, after: string): Promise<string | undefined> {
    const items = this.sorted(key);
    const next = items[upperBound(items, indexSkAfter(after))];
    return next ? parseIndexSk(next[0]).published : undefined;
  }

  async queryIndex(key: string, condition: IndexCondition, limit: number, newestFirst: boolean): Promise<IndexedEntry[]> {
    const items = this.sorted(key);
    // Keys with one prefix are contiguous in byte order, from the first key not below it.
    let [lo, hi] = [0, items.length];
    if (condition.op === "<") hi = lowerBound(items, condition.value);
    else lo = lowerBound(items, condition.value);
    if (condition.op === "range") hi = Math.max(lo, lowerBound(items, condition.before));
    if (condition.op === "begins_with") {
      hi = lo;
      while (hi < items.length && items[hi]![0].startsWith(condition.value)) hi++;
    }
    const out: IndexedEntry[] = [];
    for (let n = 0; n < hi - lo && out.length < limit; n++) {
      const [sk, entry] = items[newestFirst ? hi - 1 - n : lo + n]!;
      out.push({ sk, entry: copy(entry) });
    }
    return out;
  }

  /**
   * Kept until read past the window, as DynamoDB's TTL removes them some time after
   * `DELETED_ENTRY_DAYS`; `queryDeleted` applies the window either way.
   */
  async putDeleted(feedKeys: readonly string[], entry: DeletedEntry): Promise<void> {
    for (const k of feedKeys) {
      if (!this.gone.has(k)) this.gone.set(k, new Map());
      this.gone.get(k)!.set(entry.slug, copy({ id: entry.id, slug: entry.slug, when: entry.when }));
    }
  }

  async clearDeleted(feedKeys: readonly string[], slug: string): Promise<void> {
    for (const k of feedKeys) this.gone.get(k)?.delete(slug);
  }

  async queryDeleted(key: string, since: string): Promise<DeletedEntry[]> {
    return [...(this.gone.get(key)?.values() ?? [])]
      .filter((e) => e.when >= since)
      .map(copy)
      .sort((a, b) => b.when.localeCompare(a.when) || a.slug.localeCompare(b.slug));
  }

  async registerFeeds(feeds: readonly FeedInfo[]): Promise<void> {
    for (const f of feeds) this.feeds.set(feedKey(f), copy({ kind: f.kind, slug: f.slug, title: f.title }));
  }

  async listFeeds(): Promise<FeedInfo[]> {
    return [...this.feeds].sort(([a], [b]) => compareUtf8(a, b)).map(([, f]) => copy(f));
  }

  private feedIndex(key: string): Map<string, IndexItem> {
    const m = this.index.get(key) ?? new Map<string, IndexItem>();
    this.index.set(key, m);
    return m;
  }

  /** Per feed, its live index items in sort key order, kept until the feed's next write (publish reads a feed many times). */
  private readonly sortedCache = new Map<string, readonly (readonly [string, FeedEntry])[]>();

  /** Live index items, in sort key order (the cached array: not to be changed). */
  private sorted(key: string): readonly (readonly [string, FeedEntry])[] {
    const cached = this.sortedCache.get(key);
    if (cached) return cached;
    const items = [...(this.index.get(key) ?? [])].flatMap(([sk, i]) => (i.entry ? [[sk, i.entry] as const] : [])).sort(([a], [b]) => compareUtf8(a, b));
    this.sortedCache.set(key, items);
    return items;
  }
}
