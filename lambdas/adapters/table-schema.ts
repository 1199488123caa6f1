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
 * | feed registry   | `FEEDS`             | feed key               |
 * | deleted entry   | `GONE#<feed key>`   | article slug           |
 * | publish lease   | `PUBLISH`           | `LEASE`                |
 * | paths to announce | `PUBLISH`         | `PENDING`              |
 *
 * Deleted-entry items carry `expiresAt` (epoch seconds), the table's TTL attribute.
 */
export const TABLE_KEYS = { partitionKey: "pk", sortKey: "sk" } as const;

export const PK = {
  site: "SITE",
  author: "AUTHOR",
  article: (slug: string) => `ARTICLE#${slug}`,
  feed: (feedKey: string) => `FEED#${feedKey}`,
  feeds: "FEEDS",
  gone: (feedKey: string) => `GONE#${feedKey}`,
  /** Publisher coordination; the only partition the publish function writes. */
  publish: "PUBLISH",
} as const;

/** The TTL attribute: DynamoDB deletes an item some time after this epoch second. */
export const TTL_ATTRIBUTE = "expiresAt";

/**
 * Partition-key prefixes whose changes drive publishing (the stream's event filter):
 * feed index items (ingest writes them after the article), authors and site settings.
 */
export const PUBLISH_TRIGGER_PREFIXES = ["FEED#", "AUTHOR", "SITE"] as const;

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
