import type { CreateTableCommandInput } from "@aws-sdk/client-dynamodb";

/**
 * The one definition of the table's layout and key formats, shared by the CDK stack
 * (`lib/`), the DynamoDB adapters, the local bootstrap, the app's change records and the
 * bench, so none of them can drift. No CDK import here: this file is bundled into the
 * Lambdas, and it imports only types.
 *
 * Single-table layout (pk / sk):
 * | item              | pk                  | sk                       |
 * |-------------------|---------------------|--------------------------|
 * | site settings     | `SITE`              | `SITE`                   |
 * | author            | `AUTHOR`            | author slug              |
 * | article           | `ARTICLE#<slug>`    | `ARTICLE`                |
 * | feed index item   | `FEED#<feed key>`   | `<published ISO>#<slug>` |
 * | slug claim        | `CLAIM#<slug>`      | content key              |
 * | held file         | `HOLD#<dependency>` | content key              |
 * | dirty mark        | `DIRTY`             | `<feed key>|<index sk>`  |
 * | feed registry     | `FEEDS`             | feed key                 |
 * | deleted entry     | `GONE#<feed key>`   | article slug             |
 * | publish lease     | `PUBLISH`           | `LEASE`                  |
 * | paths to announce | `PUBLISH`           | `PENDING`                |
 * | last publish      | `PUBLISH`           | `LAST`                   |
 * | rebuild under way | `PUBLISH`           | `REBUILD`                |
 * | feed layout       | `PUBLISH`           | `BOUNDARY#<feed key>`    |
 * | archive page      | `PUBLISH`           | `PAGE#<feed key>#<lo>`   |
 *
 * Deleted-entry and lease items, and removed feed index items (kept a day as the record
 * of the version that removed them), carry `expiresAt` (epoch seconds), the table's TTL
 * attribute.
 */
export const TABLE_KEYS = { partitionKey: "pk", sortKey: "sk" } as const;

const FEED_PREFIX = "FEED#";

export const PK = {
  site: "SITE",
  author: "AUTHOR",
  article: (slug: string) => `ARTICLE#${slug}`,
  feed: (feedKey: string) => `${FEED_PREFIX}${feedKey}`,
  feeds: "FEEDS",
  gone: (feedKey: string) => `GONE#${feedKey}`,
  claim: (slug: string) => `CLAIM#${slug}`,
  hold: (dependency: string) => `HOLD#${dependency}`,
  /** Feeds to publish again: ingest writes marks, publish deletes them. */
  dirty: "DIRTY",
  /** Publisher coordination and state; with DIRTY, the only partitions the publish function writes. */
  publish: "PUBLISH",
} as const;

/** Sort keys of the single-item partitions. */
export const SK = {
  site: "SITE",
  article: "ARTICLE",
  lease: "LEASE",
  pending: "PENDING",
  lastPublished: "LAST",
  rebuild: "REBUILD",
  boundary: (feedKey: string) => `BOUNDARY#${feedKey}`,
  /** An archive page of a feed, by the smallest index key it covers ("" for the oldest). */
  page: (feedKey: string, lo: string) => `PAGE#${feedKey}#${lo}`,
  pagePrefix: (feedKey: string) => `PAGE#${feedKey}#`,
  /** Above every page key of the feed and below any other feed's (`$` follows `#`). */
  pageEnd: (feedKey: string) => `PAGE#${feedKey}$`,
  dirty: (mark: { feed: string; at?: string }) => `${mark.feed}|${mark.at ?? ""}`,
} as const;

/**
 * Sort key of a feed index item: ISO publication time, then the slug, so that string
 * order is publication order and two articles published at the same instant both fit.
 */
export function indexSk(entry: { readonly published: string; readonly slug: string }): string {
  return `${entry.published}#${entry.slug}`;
}

/** The inverse of `indexSk` (ISO times hold no `#`; a slug may). */
export function parseIndexSk(sk: string): { published: string; slug: string } {
  const at = sk.indexOf("#");
  if (at < 0) throw new Error(`not a feed index sort key: "${sk}"`);
  return { published: sk.slice(0, at), slug: sk.slice(at + 1) };
}

/**
 * A bound just above every index sort key published at `iso`, whatever the slug, and
 * below every key published later: `sk <= indexSkAfter(t)` means "published at or
 * before t". `$` is the character after `#`, so this holds in DynamoDB's UTF-8 byte
 * order for any slug (a `#\uffff` bound would not: a slug of letters outside the BMP,
 * `𠀀` for one, encodes above U+FFFF). ISO times from `toISOString` all have one length.
 */
export function indexSkAfter(iso: string): string {
  return `${iso}$`;
}

/** The TTL attribute: DynamoDB deletes an item some time after this epoch second. */
export const TTL_ATTRIBUTE = "expiresAt";

/**
 * The stream records that wake the publisher (its event filter): dirty marks written
 * (not removed: publish removes them itself). Ingest writes a mark after every change
 * that affects a feed, so the marks alone say what to publish.
 */
export const PUBLISH_TRIGGER = { partitionKey: PK.dirty, eventNames: ["INSERT", "MODIFY"] } as const;

/**
 * The most stream records one publish run is handed (the event source mapping's batch
 * size). A full batch means marks are being written faster than the batching window
 * drains them: publish treats it as a backlog (`BacklogRule`).
 */
export const PUBLISH_BATCH_SIZE = 100;

export function createTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [
      { AttributeName: TABLE_KEYS.partitionKey, AttributeType: "S" },
      { AttributeName: TABLE_KEYS.sortKey, AttributeType: "S" },
    ],
    KeySchema: [
      { AttributeName: TABLE_KEYS.partitionKey, KeyType: "HASH" },
      { AttributeName: TABLE_KEYS.sortKey, KeyType: "RANGE" },
    ],
  };
}
