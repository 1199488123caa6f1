import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { indexSk, indexSkAfter, parseIndexSk, PK, SK, TTL_ATTRIBUTE } from "../contracts/table.js";
import { randomUUID } from "node:crypto";
import { byKey } from "../core/claims.js";
import { StaleEventError, VersionConflictError } from "../core/errors.js";
import { DELETED_ENTRY_DAYS, feedKey } from "../core/feeds.js";
import type { Article, Author, DeletedEntry, FeedEntry, FeedInfo, Site } from "../core/model.js";
import type {
  ArticleRecord, ContentStore, DirtyMark, HeldFile, IndexCondition, IndexedEntry, IndexRef, RecordOutcome, SlugClaim, SourceMeta, StoredArticle,
} from "../core/ports.js";
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
  /** Absent on items written before versions existed: version 0. */
  ver?: number;
  outcome?: RecordOutcome;
}

/** The item `writeArticle` writes as version `ver`; bulk imports (the bench) write it directly, already indexed. */
export function articleItem(record: ArticleRecord, ver: number, indexPending = true): ArticleItem {
  return {
    pk: PK.article(record.slug), sk: SK.article, slug: record.slug,
    sourceKey: record.source.key, seq: record.source.seq, hash: record.source.hash, deleted: !record.article,
    ...(record.article ? { article: record.article } : {}),
    ...(record.deletedAt ? { deletedAt: record.deletedAt } : {}),
    staleIndex: [...record.staleIndex], ...(indexPending ? { indexPending } : {}), ver, outcome: record.outcome,
  };
}

/** A feed index item, one per feed the entry is in, at version `ver` of its article. */
export function feedIndexItem(feed: string, entry: FeedEntry, ver: number): Item {
  return { pk: PK.feed(feed), sk: indexSk(entry), entry, ver };
}

/** The slug's claim by one file; bulk imports write it directly. */
export function claimItem(slug: string, key: string, seq: string, live: boolean): Item {
  return { pk: PK.claim(slug), sk: key, seq, live };
}

/** How long a removed index item is kept as the record of the version that removed it: far beyond a Lambda's 15 minutes. */
const REMOVED_ENTRY_TTL_S = 86_400;
/** Live index items only. */
const LIVE = "attribute_not_exists(dead)";

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

/** An older event of the same source key must not overwrite a newer one (site, authors). */
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

  async writeArticle(record: ArticleRecord, expectedVer: number): Promise<void> {
    const r = await this.table.put(articleItem(record, expectedVer + 1) as unknown as Item, expectedVer === 0
      ? { expression: "attribute_not_exists(pk) OR attribute_not_exists(ver)" }
      : { expression: "ver = :ver", values: { ":ver": expectedVer } });
    if (!r.ok) throw new VersionConflictError(record.slug, expectedVer, { cause: r.cause });
  }

  async markIndexed(slug: string, ver: number): Promise<void> {
    // A failed condition means a newer version was written meanwhile; its own ingest finishes its index.
    await this.table.update({ pk: PK.article(slug), sk: SK.article }, {
      expression: "REMOVE staleIndex, indexPending",
      condition: "ver = :ver",
      values: { ":ver": ver },
    });
  }

  async claimSlug(slug: string, key: string, seq: string, live: boolean): Promise<void> {
    const r = await this.table.put(claimItem(slug, key, seq, live), { expression: "attribute_not_exists(pk) OR seq <= :seq", values: { ":seq": seq } });
    if (!r.ok) throw new StaleEventError(key, { cause: r.cause });
  }

  async slugClaims(slug: string): Promise<SlugClaim[]> {
    const items = await this.table.query({ KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": PK.claim(slug) } });
    return items.filter((i) => i.live === true).map((i) => ({ key: i.sk as string, seq: i.seq as string })).sort(byKey);
  }

  async hold(dependency: string, file: HeldFile): Promise<void> {
    // A failed condition: a newer event of the key is held already, and stays.
    await this.table.put({ pk: PK.hold(dependency), sk: file.key, seq: file.seq, time: file.time }, { expression: "attribute_not_exists(pk) OR seq <= :seq", values: { ":seq": file.seq } });
  }

  async heldFor(dependency: string): Promise<HeldFile[]> {
    const items = await this.table.query({ KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": PK.hold(dependency) } });
    return items.map((i) => ({ key: i.sk as string, seq: i.seq as string, time: i.time as string }));
  }

  async release(dependency: string, key: string, seq: string): Promise<void> {
    // A failed condition: a newer event of the key was held meanwhile; its hold stays.
    await this.table.delete({ pk: PK.hold(dependency), sk: key }, { expression: "seq <= :seq", values: { ":seq": seq } });
  }

  async markDirty(marks: readonly { feed: string; at?: string }[]): Promise<void> {
    // A new token on every mark: a publisher clears a mark only if nothing marked it since it read it.
    // The time says how fresh a backlog of marks is (publish coalesces while a large one grows).
    const time = new Date().toISOString();
    await this.table.batchWrite(marks.map((m) => ({
      PutRequest: { Item: { pk: PK.dirty, sk: SK.dirty(m), feed: m.feed, ...(m.at ? { at: m.at } : {}), token: randomUUID(), time } },
    })));
  }

  async dirtyMarks(): Promise<DirtyMark[]> {
    const items = await this.table.query({ KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": PK.dirty } });
    return items.map((i) => ({ feed: i.feed as string, ...(i.at ? { at: i.at as string } : {}), token: i.token as string, ...(i.time ? { time: i.time as string } : {}) }));
  }

  async clearDirty(marks: readonly DirtyMark[]): Promise<void> {
    // One conditional delete each: a mark made again since it was read stays.
    for (const m of marks) {
      await this.table.delete({ pk: PK.dirty, sk: SK.dirty(m) }, { expression: "#token = :token", names: { "#token": "token" }, values: { ":token": m.token } });
    }
  }

  /**
   * Each index item is written alone, conditional on its version: BatchWriteItem takes
   * no conditions, and a stalled ingest of an older version must not land. A removed
   * item stays a day as the record of the version that removed it.
   */
  async putFeedEntries(feedKeys: readonly string[], entry: FeedEntry, ver: number): Promise<void> {
    await Promise.all(feedKeys.map((k) => this.putIndexItem(feedIndexItem(k, entry, ver))));
  }

  async deleteFeedEntries(feedKeys: readonly string[], slug: string, published: string, ver: number): Promise<void> {
    const expiresAt = Math.floor(Date.now() / 1000) + REMOVED_ENTRY_TTL_S;
    await Promise.all(feedKeys.map((k) => this.putIndexItem({ pk: PK.feed(k), sk: indexSk({ published, slug }), dead: true, ver, [TTL_ATTRIBUTE]: expiresAt })));
  }

  private async putIndexItem(item: Item): Promise<void> {
    // A failed condition: a newer version holds the item, and keeps it.
    await this.table.put(item, { expression: "attribute_not_exists(pk) OR attribute_not_exists(ver) OR ver <= :ver", values: { ":ver": item.ver } });
  }

  async queryFeed(key: string, notAfter: string, limit: number): Promise<FeedEntry[]> {
    const items = await this.table.query({
      KeyConditionExpression: "pk = :pk AND sk <= :max",
      FilterExpression: LIVE,
      ExpressionAttributeValues: { ":pk": PK.feed(key), ":max": indexSkAfter(notAfter) },
      ScanIndexForward: false,
    }, limit);
    return items.map((i) => i.entry as FeedEntry);
  }

  async queryFeedRange(key: string, from: string, to: string): Promise<FeedEntry[]> {
    const items = await this.table.query({
      KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
      FilterExpression: LIVE,
      ExpressionAttributeValues: { ":pk": PK.feed(key), ":from": indexSkAfter(from), ":to": indexSkAfter(to) },
    });
    return items.map((i) => i.entry as FeedEntry);
  }

  async nextScheduled(key: string, after: string): Promise<string | undefined> {
    const [first] = await this.table.query({
      KeyConditionExpression: "pk = :pk AND sk > :min",
      FilterExpression: LIVE,
      ExpressionAttributeValues: { ":pk": PK.feed(key), ":min": indexSkAfter(after) },
      ProjectionExpression: "sk, dead",
    }, 1);
    return first ? parseIndexSk(first.sk as string).published : undefined;
  }

  async queryIndex(key: string, condition: IndexCondition, limit: number, newestFirst: boolean): Promise<IndexedEntry[]> {
    if (condition.op === "range") {
      // BETWEEN includes its upper end (a key condition cannot be filtered): an item at
      // `before` itself is read, one more than the limit, and dropped.
      // From "" (the oldest page): `sk < :to`, as DynamoDB refuses an empty key value.
      const from = condition.value === "";
      const items = await this.table.query({
        KeyConditionExpression: from ? "pk = :pk AND sk <= :to" : "pk = :pk AND sk BETWEEN :v AND :to",
        FilterExpression: LIVE,
        ExpressionAttributeValues: { ":pk": PK.feed(key), ...(from ? {} : { ":v": condition.value }), ":to": condition.before },
        ScanIndexForward: !newestFirst,
      }, Number.isFinite(limit) ? limit + 1 : undefined);
      return items.filter((i) => i.sk !== condition.before).slice(0, limit).map((i) => ({ sk: i.sk as string, entry: i.entry as FeedEntry }));
    }
    const items = await this.table.query({
      KeyConditionExpression: condition.op === "begins_with" ? "pk = :pk AND begins_with(sk, :v)" : `pk = :pk AND sk ${condition.op} :v`,
      FilterExpression: LIVE,
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
