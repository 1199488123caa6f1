import type { CreateTableCommandInput } from "@aws-sdk/client-dynamodb";

/**
 * The one definition of the table's keys, shared by the CDK stack (`lib/`) and the
 * local bootstrap, so local mode can't drift from production. No CDK import here: this
 * file is bundled into the Lambdas.
 *
 * Single-table layout (pk / sk):
 * | item            | pk                  | sk                     |
 * |-----------------|---------------------|------------------------|
 * | site settings   | `SITE`              | `SITE`                 |
 * | author          | `AUTHOR`            | author slug            |
 * | article         | `ARTICLE#<slug>`    | `ARTICLE`              |
 * | feed index item | `FEED#<feed key>`   | `<published ISO>#<slug>` |
 * | slug claim      | `CLAIM#<slug>`      | content key            |
 * | held file       | `HOLD#<dependency>` | content key            |
 * | dirty mark      | `DIRTY`             | `<feed key>|<day>`     |
 * | feed registry   | `FEEDS`             | feed key               |
 * | deleted entry   | `GONE#<feed key>`   | article slug           |
 * | publish lease   | `PUBLISH`           | `LEASE`                |
 * | paths to announce | `PUBLISH`         | `PENDING`              |
 * | last publish    | `PUBLISH`           | `LAST`                 |
 * | feed boundary   | `PUBLISH`           | `BOUNDARY#<feed key>`  |
 *
 * Deleted-entry items and removed index items (kept a day as a record of the version
 * that removed them) carry `expiresAt` (epoch seconds), the table's TTL attribute.
 */
export const TABLE_KEYS = { partitionKey: "pk", sortKey: "sk" } as const;

export const PK = {
  site: "SITE",
  author: "AUTHOR",
  article: (slug: string) => `ARTICLE#${slug}`,
  feed: (feedKey: string) => `FEED#${feedKey}`,
  feeds: "FEEDS",
  gone: (feedKey: string) => `GONE#${feedKey}`,
  claim: (slug: string) => `CLAIM#${slug}`,
  hold: (dependency: string) => `HOLD#${dependency}`,
  /** Feeds to publish again; ingest writes marks, publish deletes them. */
  dirty: "DIRTY",
  /** Publisher coordination; the only partition the publish function writes. */
  publish: "PUBLISH",
} as const;

/** The TTL attribute: DynamoDB deletes an item some time after this epoch second. */
export const TTL_ATTRIBUTE = "expiresAt";

/**
 * The stream records that wake the publisher (its event filter): dirty marks written
 * (not removed: publish removes them itself). Ingest writes a mark after every change
 * that affects a feed, so the marks alone say what to publish.
 */
export const PUBLISH_TRIGGER = { partitionKey: PK.dirty, eventNames: ["INSERT", "MODIFY"] } as const;

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
