import { ConditionalCheckFailedException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { randomUUID } from "node:crypto";
import {
  BatchGetCommand,
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
import { byKey } from "../core/claims.js";
import { StaleEventError, VersionConflictError } from "../core/errors.js";
import { DELETED_ENTRY_DAYS, feedKey } from "../core/feeds.js";
import type { Article, Author, DeletedEntry, FeedEntry, FeedInfo, Site } from "../core/model.js";
import type {
  ArticleRecord, ContentStore, DirtyMark, HeldFile, IndexCondition, IndexedEntry, IndexRef, LeaseState, PublishLedger, RecordOutcome, SlugClaim, SourceMeta, StoredArticle,
} from "../core/ports.js";
import { PK, TTL_ATTRIBUTE } from "./table-schema.js";

/**
 * `ContentStore` on DynamoDB through the document client. The same code runs against
 * AWS and against dynalite locally. Writes that must respect event order are
 * conditional; dynalite has no transactions, so each step is idempotent instead.
 */

const ARTICLE_SK = "ARTICLE";
const LEASE_SK = "LEASE";
const PENDING_SK = "PENDING";
const LAST_SK = "LAST";
const boundarySk = (feed: string) => `BOUNDARY#${feed}`;
/** How long a removed index item is kept as the record of the version that removed it: far beyond a Lambda's 15 minutes. */
const REMOVED_ENTRY_TTL_S = 86_400;
/** Live index items only; a removed one is kept as a record of its version. */
const LIVE = "attribute_not_exists(dead)";
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
  article?: Article;
  staleIndex?: IndexRef[];
  indexPending?: boolean;
  ver?: number;
  outcome?: RecordOutcome;
}

function toStored(item: ArticleItem): StoredArticle {
  return {
    slug: item.slug,
    source: { key: item.sourceKey, seq: item.seq, hash: item.hash },
    ...(item.article && !item.deleted ? { article: item.article } : {}),
    ...(item.deletedAt ? { deletedAt: item.deletedAt } : {}),
    ...(item.staleIndex && item.staleIndex.length > 0 ? { staleIndex: item.staleIndex } : {}),
    ...(item.indexPending ? { indexPending: true } : {}),
    ...(item.outcome ? { outcome: item.outcome } : {}),
    ver: item.ver ?? 0,
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

  async writeArticle(record: ArticleRecord, expectedVer: number): Promise<void> {
    const item: ArticleItem = {
      pk: PK.article(record.slug), sk: ARTICLE_SK, slug: record.slug,
      sourceKey: record.source.key, seq: record.source.seq, hash: record.source.hash, deleted: !record.article,
      ...(record.article ? { article: record.article } : {}),
      ...(record.deletedAt ? { deletedAt: record.deletedAt } : {}),
      staleIndex: [...record.staleIndex], indexPending: true, ver: expectedVer + 1, outcome: record.outcome,
    };
    try {
      await this.doc.send(new PutCommand({
        TableName: this.tableName, Item: item,
        // Items written before versions existed count as version 0.
        ...(expectedVer === 0
          ? { ConditionExpression: "attribute_not_exists(pk) OR attribute_not_exists(ver)" }
          : { ConditionExpression: "ver = :ver", ExpressionAttributeValues: { ":ver": expectedVer } }),
      }));
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) throw new VersionConflictError(record.slug, expectedVer, { cause: err });
      throw err;
    }
  }

  async markIndexed(slug: string, ver: number): Promise<void> {
    await this.ignoreConditionFailure(this.doc.send(new UpdateCommand({
      TableName: this.tableName,
      Key: { pk: PK.article(slug), sk: ARTICLE_SK },
      UpdateExpression: "REMOVE staleIndex, indexPending",
      // A newer version was written meanwhile; its own ingest finishes its index.
      ConditionExpression: "ver = :ver",
      ExpressionAttributeValues: { ":ver": ver },
    })));
  }

  async claimSlug(slug: string, key: string, seq: string, live: boolean): Promise<void> {
    try {
      await this.doc.send(new PutCommand({
        TableName: this.tableName,
        Item: { pk: PK.claim(slug), sk: key, seq, live },
        ConditionExpression: "attribute_not_exists(pk) OR seq <= :seq",
        ExpressionAttributeValues: { ":seq": seq },
      }));
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) throw new StaleEventError(key, { cause: err });
      throw err;
    }
  }

  async slugClaims(slug: string): Promise<SlugClaim[]> {
    const items = await this.queryAll({ TableName: this.tableName, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": PK.claim(slug) } });
    return items.filter((i) => i.live === true).map((i) => ({ key: i.sk as string, seq: i.seq as string })).sort(byKey);
  }

  async hold(dependency: string, file: HeldFile): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { pk: PK.hold(dependency), sk: file.key, seq: file.seq, time: file.time } }));
  }

  async heldFor(dependency: string): Promise<HeldFile[]> {
    const items = await this.queryAll({ TableName: this.tableName, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": PK.hold(dependency) } });
    return items.map((i) => ({ key: i.sk as string, seq: i.seq as string, time: i.time as string }));
  }

  async release(dependency: string, key: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: PK.hold(dependency), sk: key } }));
  }

  async markDirty(marks: readonly { feed: string; day?: string }[]): Promise<void> {
    // A new token on every mark: a publisher clears a mark only if nothing marked it since it read it.
    await this.batchWrite(marks.map((m) => ({
      PutRequest: { Item: { pk: PK.dirty, sk: `${m.feed}|${m.day ?? ""}`, feed: m.feed, ...(m.day ? { day: m.day } : {}), token: randomUUID() } },
    })));
  }

  async dirtyMarks(): Promise<DirtyMark[]> {
    const items = await this.queryAll({ TableName: this.tableName, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": PK.dirty } });
    return items.map((i) => ({ feed: i.feed as string, ...(i.day ? { day: i.day as string } : {}), token: i.token as string }));
  }

  async clearDirty(marks: readonly DirtyMark[]): Promise<void> {
    for (const m of marks) {
      await this.ignoreConditionFailure(this.doc.send(new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: PK.dirty, sk: `${m.feed}|${m.day ?? ""}` },
        ConditionExpression: "#token = :token",
        ExpressionAttributeNames: { "#token": "token" },
        ExpressionAttributeValues: { ":token": m.token },
      })));
    }
  }

  /**
   * Each index item is written alone, conditional on its version: BatchWriteItem takes
   * no conditions, and a stalled ingest of an older version must not land.
   */
  async putFeedEntries(feedKeys: readonly string[], entry: FeedEntry, ver: number): Promise<void> {
    await Promise.all(feedKeys.map((k) => this.putIndexItem({ pk: PK.feed(k), sk: `${entry.published}#${entry.slug}`, entry, ver })));
  }

  async deleteFeedEntries(feedKeys: readonly string[], slug: string, published: string, ver: number): Promise<void> {
    const expiresAt = Math.floor(Date.now() / 1000) + REMOVED_ENTRY_TTL_S;
    await Promise.all(feedKeys.map((k) => this.putIndexItem({ pk: PK.feed(k), sk: `${published}#${slug}`, dead: true, ver, [TTL_ATTRIBUTE]: expiresAt })));
  }

  private async putIndexItem(item: Record<string, unknown>): Promise<void> {
    await this.ignoreConditionFailure(this.doc.send(new PutCommand({
      TableName: this.tableName,
      Item: item,
      ConditionExpression: "attribute_not_exists(pk) OR attribute_not_exists(ver) OR ver <= :ver",
      ExpressionAttributeValues: { ":ver": item.ver },
    })));
  }

  /** A conditional write that lost to a newer one is not an error. */
  private async ignoreConditionFailure(request: Promise<unknown>): Promise<void> {
    try {
      await request;
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }

  async queryFeed(key: string, notAfter: string, limit: number): Promise<FeedEntry[]> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: "pk = :pk AND sk <= :max",
      FilterExpression: LIVE,
      ExpressionAttributeValues: { ":pk": PK.feed(key), ":max": `${notAfter}#\uffff` },
      ScanIndexForward: false,
    }, limit);
    return items.map((i) => i.entry as FeedEntry);
  }

  async queryFeedRange(key: string, from: string, to: string): Promise<FeedEntry[]> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
      FilterExpression: LIVE,
      ExpressionAttributeValues: { ":pk": PK.feed(key), ":from": `${from}#\uffff`, ":to": `${to}#\uffff` },
    });
    return items.map((i) => i.entry as FeedEntry);
  }

  async nextScheduled(key: string, after: string): Promise<string | undefined> {
    const [item] = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: "pk = :pk AND sk > :min",
      FilterExpression: LIVE,
      ExpressionAttributeValues: { ":pk": PK.feed(key), ":min": `${after}#\uffff` },
      ProjectionExpression: "sk, dead",
    }, 1);
    const sk = item?.sk as string | undefined;
    return sk?.slice(0, sk.indexOf("#"));
  }

  async queryIndex(key: string, condition: IndexCondition, limit: number, newestFirst: boolean): Promise<IndexedEntry[]> {
    const expr = condition.op === "begins_with" ? "pk = :pk AND begins_with(sk, :v)" : `pk = :pk AND sk ${condition.op} :v`;
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: expr,
      FilterExpression: LIVE,
      ExpressionAttributeValues: { ":pk": PK.feed(key), ":v": condition.value },
      ScanIndexForward: !newestFirst,
    }, limit);
    return items.map((i) => ({ sk: i.sk as string, entry: i.entry as FeedEntry }));
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

  async lastPublished(): Promise<string | undefined> {
    const r = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { pk: PK.publish, sk: LAST_SK }, ConsistentRead: true }));
    return r.Item?.at as string | undefined;
  }

  async setLastPublished(iso: string): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { pk: PK.publish, sk: LAST_SK, at: iso } }));
  }

  async boundaries(feeds: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < feeds.length; i += 100) {
      let keys: Record<string, unknown>[] = feeds.slice(i, i + 100).map((f) => ({ pk: PK.publish, sk: boundarySk(f) }));
      while (keys.length > 0) {
        const r = await this.doc.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }));
        for (const item of r.Responses?.[this.tableName] ?? []) out.set(item.feed as string, item.boundary as string);
        keys = r.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return out;
  }

  async setBoundary(feed: string, sk: string | undefined): Promise<void> {
    if (sk === undefined) await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: PK.publish, sk: boundarySk(feed) } }));
    else await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { pk: PK.publish, sk: boundarySk(feed), feed, boundary: sk } }));
  }

  /**
   * The one paging loop: strongly consistent, up to `limit` items. A filter applies after
   * DynamoDB's own `Limit`, so a page may hold fewer items than asked: keep going.
   */
  private async queryAll(input: QueryCommandInput, limit = Infinity): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const r = await this.doc.send(new QueryCommand({
        ConsistentRead: true, ...input, ExclusiveStartKey: start,
        ...(Number.isFinite(limit) ? { Limit: Math.max(limit - out.length, 1) } : {}),
      }));
      out.push(...(r.Items ?? []));
      start = r.LastEvaluatedKey;
    } while (start && out.length < limit);
    return out.slice(0, limit);
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
