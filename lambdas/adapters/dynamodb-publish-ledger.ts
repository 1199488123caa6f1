import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchGetCommand } from "@aws-sdk/lib-dynamodb";
import { PK, SK, TTL_ATTRIBUTE } from "../contracts/table.js";
import type { ArchivePage, FeedLayout } from "../core/archive.js";
import type { LeaseState, PagesAround, PublishLedger, RebuildCursor } from "../core/ports.js";
import { DynamoDbTable } from "./dynamodb-table.js";

/**
 * `PublishLedger` on items of the `PUBLISH` partition: the lease, the set of pending
 * paths, the time of the last complete publish and each feed's boundary. The lease item's `expiresAt` is also the table's TTL attribute
 * (seconds), so an abandoned lease item is eventually removed.
 */

/** Paths per DELETE of the pending set (requests stay well below DynamoDB's size limits). */
const CLEAR_CHUNK = 500;

/** TTL (epoch seconds) of a lease item: an hour after it ran out, so an abandoned one goes away. */
const leaseTtl = (untilMs: number) => Math.ceil(untilMs / 1000) + 3600;

const LEASE = { pk: PK.publish, sk: SK.lease };
const PENDING = { pk: PK.publish, sk: SK.pending };
const LAST = { pk: PK.publish, sk: SK.lastPublished };
const REBUILD = { pk: PK.publish, sk: SK.rebuild };
/** BatchGetItem's maximum keys per call. */
const BATCH_GET = 100;

export class DynamoDbPublishLedger implements PublishLedger {
  private readonly table: DynamoDbTable;

  constructor(client: DynamoDBClient, tableName: string) {
    this.table = new DynamoDbTable(client, tableName, "DynamoDbPublishLedger");
  }

  async tryLease(owner: string, nowMs: number, leaseMs: number): Promise<LeaseState> {
    const untilMs = nowMs + leaseMs;
    const r = await this.table.put({ ...LEASE, owner, untilMs, [TTL_ATTRIBUTE]: leaseTtl(untilMs) }, {
      expression: "attribute_not_exists(pk) OR untilMs < :now OR #owner = :owner",
      names: { "#owner": "owner" },
      values: { ":now": nowMs, ":owner": owner },
    });
    if (r.ok) return { acquired: true, holder: owner, expiresAtMs: untilMs };
    const item = await this.table.get(LEASE);
    return { acquired: false, holder: item?.owner as string | undefined, expiresAtMs: item?.untilMs as number | undefined };
  }

  async renewLease(owner: string, nowMs: number, leaseMs: number): Promise<boolean> {
    const untilMs = nowMs + leaseMs;
    const r = await this.table.update(LEASE, {
      expression: "SET untilMs = :until, #ttl = :ttl",
      condition: "#owner = :owner",
      names: { "#owner": "owner", "#ttl": TTL_ATTRIBUTE },
      values: { ":until": untilMs, ":ttl": leaseTtl(untilMs), ":owner": owner },
    });
    return r.ok;
  }

  async releaseLease(owner: string): Promise<void> {
    // A failed condition: another publisher holds it now, and keeps it.
    await this.table.delete(LEASE, { expression: "#owner = :owner", names: { "#owner": "owner" }, values: { ":owner": owner } });
  }

  async addPending(paths: readonly string[]): Promise<void> {
    if (paths.length === 0) return;
    await this.table.update(PENDING, { expression: "ADD paths :paths", values: { ":paths": new Set(paths) } });
  }

  async pendingPaths(): Promise<string[]> {
    const paths = (await this.table.get(PENDING))?.paths;
    return paths instanceof Set ? [...(paths as Set<string>)].sort() : [];
  }

  async clearPending(paths: readonly string[]): Promise<void> {
    // Only these: a set element another publisher added meanwhile stays pending.
    for (let i = 0; i < paths.length; i += CLEAR_CHUNK) {
      await this.table.update(PENDING, { expression: "DELETE paths :paths", values: { ":paths": new Set(paths.slice(i, i + CLEAR_CHUNK)) } });
    }
  }

  async lastPublished(): Promise<string | undefined> {
    return (await this.table.get(LAST))?.at as string | undefined;
  }

  async setLastPublished(iso: string): Promise<void> {
    await this.table.put({ ...LAST, at: iso });
  }

  async layouts(requested: readonly string[]): Promise<Map<string, FeedLayout>> {
    const out = new Map<string, FeedLayout>();
    // BatchGetItem refuses a key listed twice.
    const feeds = [...new Set(requested)];
    for (let i = 0; i < feeds.length; i += BATCH_GET) {
      let keys: Record<string, unknown>[] = feeds.slice(i, i + BATCH_GET).map((f) => ({ pk: PK.publish, sk: SK.boundary(f) }));
      while (keys.length > 0) {
        const r = await this.table.doc.send(new BatchGetCommand({ RequestItems: { [this.table.name]: { Keys: keys, ConsistentRead: true } } }));
        for (const item of r.Responses?.[this.table.name] ?? []) {
          // An item without a page size is from the days of one archive page per day: recut.
          out.set(item.feed as string, { boundary: item.boundary as string, pageSize: (item.pageSize as number | undefined) ?? 0, nextId: (item.nextId as number | undefined) ?? 1 });
        }
        keys = r.UnprocessedKeys?.[this.table.name]?.Keys ?? [];
      }
    }
    return out;
  }

  async archivePages(feed: string, around?: PagesAround): Promise<ArchivePage[]> {
    const page = (i: Record<string, unknown>) => ({ lo: i.lo as string, id: i.id as number });
    if (!around) {
      const items = await this.table.query({
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues: { ":pk": PK.publish, ":prefix": SK.pagePrefix(feed) },
      });
      return items.map(page);
    }
    const at = SK.page(feed, around.sk);
    // The holding page and the older ones: newest first, down from `sk`.
    const older = await this.table.query({
      KeyConditionExpression: "pk = :pk AND sk BETWEEN :first AND :at",
      ExpressionAttributeValues: { ":pk": PK.publish, ":first": SK.pagePrefix(feed), ":at": at },
      ScanIndexForward: false,
    }, around.older + 1);
    // The newer ones, up to the end of this feed's pages (`$` sorts right after `#`).
    // BETWEEN includes `sk` itself: a page starting exactly there is already in `older`.
    const newer = around.newer === 0 ? [] : await this.table.query({
      KeyConditionExpression: "pk = :pk AND sk BETWEEN :at AND :end",
      ExpressionAttributeValues: { ":pk": PK.publish, ":at": at, ":end": SK.pageEnd(feed) },
    }, Number.isFinite(around.newer) ? around.newer + 1 : undefined);
    return [...older.reverse(), ...newer.filter((i) => i.sk !== at).slice(0, around.newer)].map(page);
  }

  async saveLayout(feed: string, layout: FeedLayout, put: readonly ArchivePage[], removed: readonly string[]): Promise<void> {
    const kept = new Set(put.map((p) => p.lo));
    await this.table.batchWrite([
      ...removed.filter((lo) => !kept.has(lo)).map((lo) => ({ DeleteRequest: { Key: { pk: PK.publish, sk: SK.page(feed, lo) } } })),
      ...put.map((p) => ({ PutRequest: { Item: { pk: PK.publish, sk: SK.page(feed, p.lo), feed, lo: p.lo, id: p.id } } })),
    ]);
    await this.table.put({ pk: PK.publish, sk: SK.boundary(feed), feed, ...layout });
  }

  async rebuildCursor(): Promise<RebuildCursor | undefined> {
    const item = await this.table.get(REBUILD);
    return item ? { token: item.token as string, after: item.after as string } : undefined;
  }

  async setRebuildCursor(cursor: RebuildCursor | undefined): Promise<void> {
    if (cursor) await this.table.put({ ...REBUILD, token: cursor.token, after: cursor.after });
    else await this.table.delete(REBUILD);
  }
}
