import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { indexSk, indexSkAfter, parseIndexSk, PK, SK, TTL_ATTRIBUTE } from "../contracts/table.js";
import { DuplicateSlugError, StaleEventError } from "../core/errors.js";
import { DELETED_ENTRY_DAYS, feedKey } from "../core/feeds.js";
import type { Article, Author, DeletedEntry, FeedEntry, FeedInfo, Site } from "../core/model.js";
import type { ContentStore, IndexCondition, IndexedEntry, IndexRef, PutArticleOptions, SourceMeta, StoredArticle } from "../core/ports.js";
import { DynamoDbTable, type Condition, type Item, type WriteRequest } from "./dynamodb-table.js";

/**
 * `ContentStore` on DynamoDB through the document client. The same code runs against
 * AWS and against dynalite locally. Writes that must respect event order are
 * conditional; dynalite has no transactions, so each step is idempotent instead.
 */

/** The article item as stored. */
export interface ArticleItem {
  pk: string;
  sk: string;
  slug: string;
  sourceKey: string;
  seq: string;
  hash: string;
  deleted: boolean;
  deletedAt?: string;
  article?: Article;
  staleIndex?: IndexRef[];
  indexPending?: boolean;
}

/** The item `putArticle` writes; bulk imports (the bench) write it directly, already indexed. */
export function articleItem(article: Article, source: SourceMeta, staleIndex: readonly IndexRef[] = [], indexPending = true): ArticleItem {
  return {
    pk: PK.article(article.slug), sk: SK.article, slug: article.slug,
    sourceKey: source.key, seq: source.seq, hash: source.hash, deleted: false, article,
    staleIndex: [...staleIndex], ...(indexPending ? { indexPending } : {}),
  };
}

/** A feed index item, one per feed the entry is in. */
export function feedIndexItem(feed: string, entry: FeedEntry): Item {
  return { pk: PK.feed(feed), sk: indexSk(entry), entry };
}

function toStored(item: ArticleItem): StoredArticle {
  return {
    slug: item.slug,
    source: { key: item.sourceKey, seq: item.seq, hash: item.hash },
    ...(item.article && !item.deleted ? { article: item.article } : {}),
    ...(item.deletedAt ? { deletedAt: item.deletedAt } : {}),
    ...(item.staleIndex && item.staleIndex.length > 0 ? { staleIndex: item.staleIndex } : {}),
    ...(item.indexPending ? { indexPending: true } : {}),
  };
}

/** An older event of the same source key must not overwrite a newer one. */
const notOlder = (source: SourceMeta): Condition => ({
  expression: "attribute_not_exists(pk) OR sourceKey <> :key OR seq <= :seq",
  values: { ":key": source.key, ":seq": source.seq },
});

export class DynamoDbContentStore implements ContentStore {
  private readonly table: DynamoDbTable;

  constructor(client: DynamoDBClient, tableName: string) {
    this.table = new DynamoDbTable(client, tableName, "DynamoDbContentStore");
  }

  /** Bulk writes (25 a call, unprocessed items retried); the bench imports archives with it. */
  batchWrite(requests: readonly WriteRequest[]): Promise<void> {
    return this.table.batchWrite(requests);
  }

  async getSite(): Promise<Site | undefined> {
    return (await this.table.get({ pk: PK.site, sk: SK.site }))?.site as Site | undefined;
  }

  async putSite(site: Site, source: SourceMeta): Promise<void> {
    await this.putInOrder({ pk: PK.site, sk: SK.site, site, sourceKey: source.key, seq: source.seq, hash: source.hash }, source);
  }

  async listAuthors(): Promise<Map<string, Author>> {
    const items = await this.table.query({ KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": PK.author } });
    return new Map(items.filter((i) => !i.deleted).map((i) => [i.sk as string, i.author as Author]));
  }

  async getAuthorSource(slug: string): Promise<{ source: SourceMeta; deleted: boolean } | undefined> {
    const item = await this.table.get({ pk: PK.author, sk: slug });
    if (!item) return undefined;
    return { source: { key: item.sourceKey as string, seq: item.seq as string, hash: item.hash as string }, deleted: item.deleted === true };
  }

  async putAuthor(author: Author, source: SourceMeta): Promise<void> {
    await this.putInOrder({ pk: PK.author, sk: author.slug, author, deleted: false, sourceKey: source.key, seq: source.seq, hash: source.hash }, source);
  }

  async deleteAuthor(slug: string, source: SourceMeta): Promise<void> {
    await this.putInOrder({ pk: PK.author, sk: slug, deleted: true, sourceKey: source.key, seq: source.seq, hash: "" }, source);
  }

  private async putInOrder(item: Item, source: SourceMeta): Promise<void> {
    const r = await this.table.put(item, notOlder(source));
    if (!r.ok) throw new StaleEventError(source.key, { cause: r.cause });
  }

  async getArticle(slug: string): Promise<StoredArticle | undefined> {
    const item = await this.getArticleItem(slug);
    return item ? toStored(item) : undefined;
  }

  private async getArticleItem(slug: string): Promise<ArticleItem | undefined> {
    return (await this.table.get({ pk: PK.article(slug), sk: SK.article })) as ArticleItem | undefined;
  }

  async putArticle(article: Article, source: SourceMeta, options: PutArticleOptions = {}): Promise<StoredArticle | undefined> {
    const values: Record<string, unknown> = { ":key": source.key, ":seq": source.seq, ":true": true };
    // A tombstone of another file gives its slug up; a live one keeps it (unless taken over).
    let expression = "attribute_not_exists(pk) OR (sourceKey = :key AND seq <= :seq) OR (sourceKey <> :key AND deleted = :true)";
    if (options.takeOverFrom) {
      expression += " OR (sourceKey = :okey AND seq = :oseq)";
      values[":okey"] = options.takeOverFrom.key;
      values[":oseq"] = options.takeOverFrom.seq;
    }
    return this.putArticleItem(articleItem(article, source, options.staleIndex), { expression, values }, source);
  }

  async deleteArticle(slug: string, source: SourceMeta, deletedAt: string, staleIndex: readonly IndexRef[]): Promise<StoredArticle | undefined> {
    const item: ArticleItem = {
      pk: PK.article(slug), sk: SK.article, slug, sourceKey: source.key, seq: source.seq, hash: "", deleted: true, deletedAt,
      staleIndex: [...staleIndex], indexPending: true,
    };
    const condition = { expression: "attribute_not_exists(pk) OR (sourceKey = :key AND seq <= :seq)", values: { ":key": source.key, ":seq": source.seq } };
    return this.putArticleItem(item, condition, source);
  }

  private async putArticleItem(item: ArticleItem, condition: Condition, source: SourceMeta): Promise<StoredArticle | undefined> {
    const r = await this.table.put(item as unknown as Item, condition, true);
    if (r.ok) return r.old ? toStored(r.old as unknown as ArticleItem) : undefined;
    const current = await this.getArticleItem(item.slug);
    if (current && current.sourceKey !== source.key) throw new DuplicateSlugError(source.key, item.slug, current.sourceKey, { cause: r.cause });
    throw new StaleEventError(source.key, { cause: r.cause });
  }

  async markIndexed(slug: string, seq: string): Promise<void> {
    // A failed condition means a newer version was written meanwhile; its own ingest finishes its index.
    await this.table.update({ pk: PK.article(slug), sk: SK.article }, {
      expression: "REMOVE staleIndex, indexPending",
      condition: "seq = :seq",
      values: { ":seq": seq },
    });
  }

  async putFeedEntries(feedKeys: readonly string[], entry: FeedEntry): Promise<void> {
    await this.table.batchWrite(feedKeys.map((k) => ({ PutRequest: { Item: feedIndexItem(k, entry) } })));
  }

  async deleteFeedEntries(feedKeys: readonly string[], slug: string, published: string): Promise<void> {
    await this.table.batchWrite(feedKeys.map((k) => ({ DeleteRequest: { Key: { pk: PK.feed(k), sk: indexSk({ published, slug }) } } })));
  }

  async queryFeed(key: string, notAfter: string, limit: number): Promise<FeedEntry[]> {
    const items = await this.table.query({
      KeyConditionExpression: "pk = :pk AND sk <= :max",
      ExpressionAttributeValues: { ":pk": PK.feed(key), ":max": indexSkAfter(notAfter) },
      ScanIndexForward: false,
    }, limit);
    return items.map((i) => i.entry as FeedEntry);
  }

  async queryFeedRange(key: string, from: string, to: string): Promise<FeedEntry[]> {
    const items = await this.table.query({
      KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
      ExpressionAttributeValues: { ":pk": PK.feed(key), ":from": indexSkAfter(from), ":to": indexSkAfter(to) },
    });
    return items.map((i) => i.entry as FeedEntry);
  }

  async nextScheduled(key: string, after: string): Promise<string | undefined> {
    const [first] = await this.table.query({
      KeyConditionExpression: "pk = :pk AND sk > :min",
      ExpressionAttributeValues: { ":pk": PK.feed(key), ":min": indexSkAfter(after) },
      ProjectionExpression: "sk",
    }, 1);
    return first ? parseIndexSk(first.sk as string).published : undefined;
  }

  async queryIndex(key: string, condition: IndexCondition, limit: number, newestFirst: boolean): Promise<IndexedEntry[]> {
    const items = await this.table.query({
      KeyConditionExpression: condition.op === "begins_with" ? "pk = :pk AND begins_with(sk, :v)" : `pk = :pk AND sk ${condition.op} :v`,
      ExpressionAttributeValues: { ":pk": PK.feed(key), ":v": condition.value },
      ScanIndexForward: !newestFirst,
    }, limit);
    return items.map((i) => ({ sk: i.sk as string, entry: i.entry as FeedEntry }));
  }

  async putDeleted(feedKeys: readonly string[], entry: DeletedEntry): Promise<void> {
    const expiresAt = Math.floor(Date.parse(entry.when) / 1000) + DELETED_ENTRY_DAYS * 86_400;
    await this.table.batchWrite(feedKeys.map((k) => ({ PutRequest: { Item: { pk: PK.gone(k), sk: entry.slug, ...entry, [TTL_ATTRIBUTE]: expiresAt } } })));
  }

  async clearDeleted(feedKeys: readonly string[], slug: string): Promise<void> {
    await this.table.batchWrite(feedKeys.map((k) => ({ DeleteRequest: { Key: { pk: PK.gone(k), sk: slug } } })));
  }

  async queryDeleted(key: string, since: string): Promise<DeletedEntry[]> {
    // TTL deletion lags by up to days, so the window is also applied here.
    const items = await this.table.query({
      KeyConditionExpression: "pk = :pk",
      FilterExpression: "#when >= :since",
      ExpressionAttributeNames: { "#when": "when" },
      ExpressionAttributeValues: { ":pk": PK.gone(key), ":since": since },
    });
    return items
      .map((i) => ({ id: i.id as string, slug: i.slug as string, when: i.when as string }))
      .sort((a, b) => b.when.localeCompare(a.when) || a.slug.localeCompare(b.slug));
  }

  async registerFeeds(feeds: readonly FeedInfo[]): Promise<void> {
    await this.table.batchWrite(feeds.map((f) => ({ PutRequest: { Item: { pk: PK.feeds, sk: feedKey(f), kind: f.kind, slug: f.slug, title: f.title } } })));
  }

  async listFeeds(): Promise<FeedInfo[]> {
    const items = await this.table.query({ KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": PK.feeds } });
    return items.map((i) => ({ kind: i.kind, slug: i.slug, title: i.title }) as FeedInfo);
  }
}
