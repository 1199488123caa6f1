import { indexSk, indexSkAfter, parseIndexSk } from "../contracts/table.js";
import { DuplicateSlugError, StaleEventError } from "../core/errors.js";
import { feedKey } from "../core/feeds.js";
import type { Article, Author, DeletedEntry, FeedEntry, FeedInfo, Site } from "../core/model.js";
import type { ContentStore, IndexCondition, IndexedEntry, IndexRef, PutArticleOptions, SourceMeta, StoredArticle } from "../core/ports.js";

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
}

/** DynamoDB orders string keys by their UTF-8 bytes, not by UTF-16 code units as `<` does. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

const copy = <T>(value: T): T => structuredClone(value);

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
  });
}

export class MemoryContentStore implements ContentStore {
  private site?: { site: Site; source: SourceMeta };
  private readonly authors = new Map<string, AuthorRecord>();
  private readonly articles = new Map<string, ArticleRecord>();
  /** feed key → index sort key → entry */
  private readonly index = new Map<string, Map<string, FeedEntry>>();
  /** feed key → slug → deleted entry */
  private readonly gone = new Map<string, Map<string, DeletedEntry>>();
  private readonly feeds = new Map<string, FeedInfo>();

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

  async putArticle(article: Article, source: SourceMeta, options: PutArticleOptions = {}): Promise<StoredArticle | undefined> {
    const current = this.articles.get(article.slug);
    const sameKey = current?.source.key === source.key;
    const takenOver = options.takeOverFrom !== undefined && current?.source.key === options.takeOverFrom.key && current.source.seq === options.takeOverFrom.seq;
    // As the DynamoDB condition: new, or not older for the same file, or another file's tombstone, or an agreed take-over.
    const allowed = !current || (sameKey && current.source.seq <= source.seq) || (!sameKey && current.deleted) || takenOver;
    if (!allowed) this.refuse(current, source, article.slug);
    this.articles.set(article.slug, copy({ slug: article.slug, source, deleted: false, article, staleIndex: options.staleIndex ?? [], indexPending: true }));
    return current ? toStored(current) : undefined;
  }

  async deleteArticle(slug: string, source: SourceMeta, deletedAt: string, staleIndex: readonly IndexRef[]): Promise<StoredArticle | undefined> {
    const current = this.articles.get(slug);
    if (current && !(current.source.key === source.key && current.source.seq <= source.seq)) this.refuse(current, source, slug);
    this.articles.set(slug, copy({ slug, source: { ...source, hash: "" }, deleted: true, deletedAt, staleIndex, indexPending: true }));
    return current ? toStored(current) : undefined;
  }

  private refuse(current: ArticleRecord, source: SourceMeta, slug: string): never {
    if (current.source.key !== source.key) throw new DuplicateSlugError(source.key, slug, current.source.key);
    throw new StaleEventError(source.key);
  }

  async markIndexed(slug: string, seq: string): Promise<void> {
    const r = this.articles.get(slug);
    // Another version was written meanwhile: its own ingest finishes its index.
    if (!r || r.source.seq !== seq) return;
    const { staleIndex: _s, indexPending: _p, ...rest } = r;
    this.articles.set(slug, rest);
  }

  async putFeedEntries(feedKeys: readonly string[], entry: FeedEntry): Promise<void> {
    for (const k of feedKeys) this.feedIndex(k).set(indexSk(entry), copy(entry));
  }

  async deleteFeedEntries(feedKeys: readonly string[], slug: string, published: string): Promise<void> {
    for (const k of feedKeys) this.index.get(k)?.delete(indexSk({ published, slug }));
  }

  async queryFeed(key: string, notAfter: string, limit: number): Promise<FeedEntry[]> {
    const max = indexSkAfter(notAfter);
    return this.sorted(key, true).filter(([sk]) => compareUtf8(sk, max) <= 0).slice(0, limit).map(([, e]) => copy(e));
  }

  async queryFeedRange(key: string, from: string, to: string): Promise<FeedEntry[]> {
    const [lo, hi] = [indexSkAfter(from), indexSkAfter(to)];
    return this.sorted(key, false).filter(([sk]) => compareUtf8(sk, lo) >= 0 && compareUtf8(sk, hi) <= 0).map(([, e]) => copy(e));
  }

  async nextScheduled(key: string, after: string): Promise<string | undefined> {
    const min = indexSkAfter(after);
    const next = this.sorted(key, false).find(([sk]) => compareUtf8(sk, min) > 0);
    return next ? parseIndexSk(next[0]).published : undefined;
  }

  async queryIndex(key: string, condition: IndexCondition, limit: number, newestFirst: boolean): Promise<IndexedEntry[]> {
    const matches = (sk: string) =>
      condition.op === "begins_with" ? sk.startsWith(condition.value)
        : condition.op === "<" ? compareUtf8(sk, condition.value) < 0
          : compareUtf8(sk, condition.value) >= 0;
    return this.sorted(key, newestFirst).filter(([sk]) => matches(sk)).slice(0, limit).map(([sk, entry]) => ({ sk, entry: copy(entry) }));
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

  private feedIndex(key: string): Map<string, FeedEntry> {
    let m = this.index.get(key);
    if (!m) this.index.set(key, (m = new Map()));
    return m;
  }

  private sorted(key: string, newestFirst: boolean): [string, FeedEntry][] {
    const items = [...(this.index.get(key) ?? [])].sort(([a], [b]) => compareUtf8(a, b));
    return newestFirst ? items.reverse() : items;
  }
}
