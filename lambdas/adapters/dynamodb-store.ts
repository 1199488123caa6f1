import { ConditionalCheckFailedException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type BatchWriteCommandInput,
  type QueryCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { DuplicateSlugError, StaleEventError } from "../core/errors.js";
import { DELETED_ENTRY_DAYS, feedKey } from "../core/feeds.js";
import type { Article, Author, DeletedEntry, FeedEntry, FeedInfo, Site } from "../core/model.js";
import type { ContentStore, IndexCondition, IndexedEntry, IndexRef, LeaseState, PublishLedger, PutArticleOptions, SourceMeta, StoredArticle } from "../core/ports.js";
import { PK, TTL_ATTRIBUTE } from "./table-schema.js";

/**
 * `ContentStore` on DynamoDB through the document client. The same code runs against
 * AWS and against dynalite locally. Writes that must respect event order are
 * conditional; dynalite has no transactions, so each step is idempotent instead.
 */

const ARTICLE_SK = "ARTICLE";
const LEASE_SK = "LEASE";
const PENDING_SK = "PENDING";
/** Paths per DELETE of the pending set (requests stay well below DynamoDB's size limits). */
const CLEAR_CHUNK = 500;

/** TTL (epoch seconds) of a lease item: an hour after it ran out, so an abandoned one goes away. */
const leaseTtl = (untilMs: number) => Math.ceil(untilMs / 1000) + 3600;

const MAX_BATCH = 25;
const MAX_BATCH_ATTEMPTS = 8;

/** The article item as stored; `feeds` lets the stream tell which feeds it was in. */
export interface ArticleItem {
  pk: string;
  sk: string;
  slug: string;
  sourceKey: string;
  seq: string;
  hash: string;
  deleted: boolean;
  deletedAt?: string;
  feeds: string[];
  article?: Article;
  staleIndex?: IndexRef[];
  indexPending?: boolean;
}

export function articleFeeds(article: Pick<Article, "draft" | "categories" | "authors"> | undefined): string[] {
  if (!article || article.draft) return [];
  return [
    "site",
    ...article.categories.map((c) => feedKey({ kind: "category", slug: c.slug })),
    ...article.authors.map((a) => feedKey({ kind: "author", slug: a })),
  ];
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

export class DynamoDbStore implements ContentStore, PublishLedger {
  private readonly doc: DynamoDBDocumentClient;

  constructor(client: DynamoDBClient, private readonly tableName: string) {
    if (!tableName) throw new Error("DynamoDbStore: tableName is required");
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async getSite(): Promise<Site | undefined> {
    const r = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { pk: PK.site, sk: PK.site }, ConsistentRead: true }));
    return r.Item?.site as Site | undefined;
  }

  async putSite(site: Site, source: SourceMeta): Promise<void> {
    await this.conditionalPut(
      { pk: PK.site, sk: PK.site, site, sourceKey: source.key, seq: source.seq, hash: source.hash },
      source,
    );
  }

  async listAuthors(): Promise<Map<string, Author>> {
    const items = await this.queryAll({ TableName: this.tableName, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": PK.author } });
    return new Map(items.filter((i) => !i.deleted).map((i) => [i.sk as string, i.author as Author]));
  }

  async getAuthorSource(slug: string): Promise<{ source: SourceMeta; deleted: boolean } | undefined> {
    const r = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { pk: PK.author, sk: slug }, ConsistentRead: true }));
    if (!r.Item) return undefined;
    return { source: { key: r.Item.sourceKey as string, seq: r.Item.seq as string, hash: r.Item.hash as string }, deleted: r.Item.deleted === true };
  }

  async putAuthor(author: Author, source: SourceMeta): Promise<void> {
    await this.conditionalPut({ pk: PK.author, sk: author.slug, author, deleted: false, sourceKey: source.key, seq: source.seq, hash: source.hash }, source);
  }

  async deleteAuthor(slug: string, source: SourceMeta): Promise<void> {
    await this.conditionalPut({ pk: PK.author, sk: slug, deleted: true, sourceKey: source.key, seq: source.seq, hash: "" }, source);
  }

  /** Put that never lets an older event of the same key overwrite a newer one. */
  private async conditionalPut(item: Record<string, unknown>, source: SourceMeta): Promise<void> {
    try {
      await this.doc.send(new PutCommand({
        TableName: this.tableName,
        Item: item,
        ConditionExpression: "attribute_not_exists(pk) OR sourceKey <> :key OR seq <= :seq",
        ExpressionAttributeValues: { ":key": source.key, ":seq": source.seq },
      }));
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) throw new StaleEventError(source.key, { cause: err });
      throw err;
    }
  }

  async getArticle(slug: string): Promise<StoredArticle | undefined> {
    const item = await this.getArticleItem(slug);
    return item ? toStored(item) : undefined;
  }

  private async getArticleItem(slug: string): Promise<ArticleItem | undefined> {
    const r = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { pk: PK.article(slug), sk: ARTICLE_SK }, ConsistentRead: true }));
    return r.Item as ArticleItem | undefined;
  }

  async putArticle(article: Article, source: SourceMeta, options: PutArticleOptions = {}): Promise<StoredArticle | undefined> {
    const item: ArticleItem = {
      pk: PK.article(article.slug), sk: ARTICLE_SK, slug: article.slug,
      sourceKey: source.key, seq: source.seq, hash: source.hash, deleted: false, feeds: articleFeeds(article), article,
      staleIndex: [...(options.staleIndex ?? [])], indexPending: true,
    };
    const values: Record<string, unknown> = { ":key": source.key, ":seq": source.seq, ":true": true };
    let condition = "attribute_not_exists(pk) OR (sourceKey = :key AND seq <= :seq) OR (sourceKey <> :key AND deleted = :true)";
    if (options.takeOverFrom) {
      condition += " OR (sourceKey = :okey AND seq = :oseq)";
      values[":okey"] = options.takeOverFrom.key;
      values[":oseq"] = options.takeOverFrom.seq;
    }
    return this.putArticleItem(item, condition, values, source);
  }

  async deleteArticle(slug: string, source: SourceMeta, deletedAt: string, staleIndex: readonly IndexRef[]): Promise<StoredArticle | undefined> {
    const item: ArticleItem = {
      pk: PK.article(slug), sk: ARTICLE_SK, slug, sourceKey: source.key, seq: source.seq, hash: "", deleted: true, deletedAt, feeds: [],
      staleIndex: [...staleIndex], indexPending: true,
    };
    const condition = "attribute_not_exists(pk) OR (sourceKey = :key AND seq <= :seq)";
    return this.putArticleItem(item, condition, { ":key": source.key, ":seq": source.seq }, source);
  }

  private async putArticleItem(item: ArticleItem, condition: string, values: Record<string, unknown>, source: SourceMeta): Promise<StoredArticle | undefined> {
    try {
      const r = await this.doc.send(new PutCommand({
        TableName: this.tableName, Item: item, ConditionExpression: condition, ExpressionAttributeValues: values, ReturnValues: "ALL_OLD",
      }));
      return r.Attributes ? toStored(r.Attributes as ArticleItem) : undefined;
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const current = await this.getArticleItem(item.slug);
      if (current && current.sourceKey !== source.key) throw new DuplicateSlugError(source.key, item.slug, current.sourceKey, { cause: err });
      throw new StaleEventError(source.key, { cause: err });
    }
  }

  async markIndexed(slug: string, seq: string): Promise<void> {
    try {
      await this.doc.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: PK.article(slug), sk: ARTICLE_SK },
        UpdateExpression: "REMOVE staleIndex, indexPending",
        ConditionExpression: "seq = :seq",
        ExpressionAttributeValues: { ":seq": seq },
      }));
    } catch (err) {
      // A newer version was written meanwhile; its own ingest finishes its index.
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }

  async putFeedEntries(feedKeys: readonly string[], entry: FeedEntry): Promise<void> {
    await this.batchWrite(feedKeys.map((k) => ({ PutRequest: { Item: { pk: PK.feed(k), sk: `${entry.published}#${entry.slug}`, entry } } })));
  }

  async deleteFeedEntries(feedKeys: readonly string[], slug: string, published: string): Promise<void> {
    await this.batchWrite(feedKeys.map((k) => ({ DeleteRequest: { Key: { pk: PK.feed(k), sk: `${published}#${slug}` } } })));
  }

  async queryFeed(key: string, notAfter: string, limit: number): Promise<FeedEntry[]> {
    const out: FeedEntry[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const r = await this.doc.send(new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND sk <= :max",
        ExpressionAttributeValues: { ":pk": PK.feed(key), ":max": `${notAfter}#\uffff` },
        ScanIndexForward: false,
        ConsistentRead: true,
        Limit: limit - out.length,
        ExclusiveStartKey: start,
      }));
      for (const i of r.Items ?? []) out.push(i.entry as FeedEntry);
      start = r.LastEvaluatedKey;
    } while (start && out.length < limit);
    return out;
  }

  async queryFeedRange(key: string, from: string, to: string): Promise<FeedEntry[]> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
      ExpressionAttributeValues: { ":pk": PK.feed(key), ":from": `${from}#\uffff`, ":to": `${to}#\uffff` },
    });
    return items.map((i) => i.entry as FeedEntry);
  }

  async nextScheduled(key: string, after: string): Promise<string | undefined> {
    const r = await this.doc.send(new QueryCommand({
      TableName: this.tableName,
      KeyConditionExpression: "pk = :pk AND sk > :min",
      ExpressionAttributeValues: { ":pk": PK.feed(key), ":min": `${after}#\uffff` },
      ProjectionExpression: "sk",
      ConsistentRead: true,
      Limit: 1,
    }));
    const sk = r.Items?.[0]?.sk as string | undefined;
    return sk?.slice(0, sk.indexOf("#"));
  }

  async queryIndex(key: string, condition: IndexCondition, limit: number, newestFirst: boolean): Promise<IndexedEntry[]> {
    const expr = condition.op === "begins_with" ? "pk = :pk AND begins_with(sk, :v)" : `pk = :pk AND sk ${condition.op} :v`;
    const out: IndexedEntry[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const r = await this.doc.send(new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: expr,
        ExpressionAttributeValues: { ":pk": PK.feed(key), ":v": condition.value },
        ScanIndexForward: !newestFirst,
        ConsistentRead: true,
        Limit: limit - out.length,
        ExclusiveStartKey: start,
      }));
      for (const i of r.Items ?? []) out.push({ sk: i.sk as string, entry: i.entry as FeedEntry });
      start = r.LastEvaluatedKey;
    } while (start && out.length < limit);
    return out;
  }

  async putDeleted(feedKeys: readonly string[], entry: DeletedEntry): Promise<void> {
    const expiresAt = Math.floor(Date.parse(entry.when) / 1000) + DELETED_ENTRY_DAYS * 86_400;
    await this.batchWrite(feedKeys.map((k) => ({ PutRequest: { Item: { pk: PK.gone(k), sk: entry.slug, ...entry, [TTL_ATTRIBUTE]: expiresAt } } })));
  }

  async clearDeleted(feedKeys: readonly string[], slug: string): Promise<void> {
    await this.batchWrite(feedKeys.map((k) => ({ DeleteRequest: { Key: { pk: PK.gone(k), sk: slug } } })));
  }

  async queryDeleted(key: string, since: string): Promise<DeletedEntry[]> {
    // TTL deletion lags by up to days, so the window is also applied here.
    const items = await this.queryAll({
      TableName: this.tableName,
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
    await this.batchWrite(feeds.map((f) => ({ PutRequest: { Item: { pk: PK.feeds, sk: feedKey(f), kind: f.kind, slug: f.slug, title: f.title } } })));
  }

  async listFeeds(): Promise<FeedInfo[]> {
    const items = await this.queryAll({ TableName: this.tableName, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": PK.feeds } });
    return items.map((i) => ({ kind: i.kind, slug: i.slug, title: i.title }) as FeedInfo);
  }

  // Publisher coordination (PublishLedger). The lease item's `expiresAt` is also the
  // table's TTL attribute (seconds), so an abandoned lease item is eventually removed.

  async tryLease(owner: string, nowMs: number, leaseMs: number): Promise<LeaseState> {
    const untilMs = nowMs + leaseMs;
    try {
      await this.doc.send(new PutCommand({
        TableName: this.tableName,
        Item: { pk: PK.publish, sk: LEASE_SK, owner, untilMs, [TTL_ATTRIBUTE]: leaseTtl(untilMs) },
        ConditionExpression: "attribute_not_exists(pk) OR untilMs < :now OR #owner = :owner",
        ExpressionAttributeNames: { "#owner": "owner" },
        ExpressionAttributeValues: { ":now": nowMs, ":owner": owner },
      }));
      return { acquired: true, holder: owner, expiresAtMs: untilMs };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const r = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { pk: PK.publish, sk: LEASE_SK }, ConsistentRead: true }));
      return { acquired: false, holder: r.Item?.owner as string | undefined, expiresAtMs: r.Item?.untilMs as number | undefined };
    }
  }

  async renewLease(owner: string, nowMs: number, leaseMs: number): Promise<boolean> {
    const untilMs = nowMs + leaseMs;
    try {
      await this.doc.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: PK.publish, sk: LEASE_SK },
        UpdateExpression: "SET untilMs = :until, #ttl = :ttl",
        ConditionExpression: "#owner = :owner",
        ExpressionAttributeNames: { "#owner": "owner", "#ttl": TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ":until": untilMs, ":ttl": leaseTtl(untilMs), ":owner": owner },
      }));
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async releaseLease(owner: string): Promise<void> {
    try {
      await this.doc.send(new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: PK.publish, sk: LEASE_SK },
        ConditionExpression: "#owner = :owner",
        ExpressionAttributeNames: { "#owner": "owner" },
        ExpressionAttributeValues: { ":owner": owner },
      }));
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }

  async addPending(paths: readonly string[]): Promise<void> {
    if (paths.length === 0) return;
    await this.doc.send(new UpdateCommand({
      TableName: this.tableName,
      Key: { pk: PK.publish, sk: PENDING_SK },
      UpdateExpression: "ADD paths :paths",
      ExpressionAttributeValues: { ":paths": new Set(paths) },
    }));
  }

  async pendingPaths(): Promise<string[]> {
    const r = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { pk: PK.publish, sk: PENDING_SK }, ConsistentRead: true }));
    const paths = r.Item?.paths as Set<string> | undefined;
    return paths instanceof Set ? [...paths].sort() : [];
  }

  async clearPending(paths: readonly string[]): Promise<void> {
    // Only these: a set element another publisher added meanwhile stays pending.
    for (let i = 0; i < paths.length; i += CLEAR_CHUNK) {
      await this.doc.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: PK.publish, sk: PENDING_SK },
        UpdateExpression: "DELETE paths :paths",
        ExpressionAttributeValues: { ":paths": new Set(paths.slice(i, i + CLEAR_CHUNK)) },
      }));
    }
  }

  private async queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const r = await this.doc.send(new QueryCommand({ ConsistentRead: true, ...input, ExclusiveStartKey: start }));
      out.push(...(r.Items ?? []));
      start = r.LastEvaluatedKey;
    } while (start);
    return out;
  }

  /** BatchWriteItem in chunks of 25, retrying unprocessed items with backoff. */
  async batchWrite(requests: NonNullable<BatchWriteCommandInput["RequestItems"]>[string]): Promise<void> {
    // Same key twice in one batch is rejected by DynamoDB: keep the last request per key.
    const byKey = new Map<string, (typeof requests)[number]>();
    for (const r of requests) {
      const k = r.PutRequest?.Item ?? r.DeleteRequest?.Key ?? {};
      byKey.set(`${String(k.pk)}\u0000${String(k.sk)}`, r);
    }
    const unique = [...byKey.values()];
    for (let i = 0; i < unique.length; i += MAX_BATCH) {
      let pending = unique.slice(i, i + MAX_BATCH);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= MAX_BATCH_ATTEMPTS) throw new Error(`DynamoDB left ${pending.length} writes unprocessed after ${MAX_BATCH_ATTEMPTS} attempts`);
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(2000, 25 * 2 ** attempt)));
        const r = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }));
        pending = r.UnprocessedItems?.[this.tableName] ?? [];
      }
    }
  }
}
