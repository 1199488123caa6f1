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
import { TABLE_KEYS } from "../contracts/table.js";

/**
 * The table operations the DynamoDB adapters share: consistent reads, the one paging
 * loop, batch writes that retry what DynamoDB left unprocessed, and conditional writes
 * whose failed condition comes back as a value. Only this file knows the SDK's
 * `ConditionalCheckFailedException`; each adapter turns a failed condition into its own
 * domain outcome (`StaleEventError`, `DuplicateSlugError`, a lease not taken).
 */

export type Item = Record<string, unknown>;
export type Key = { readonly pk: string; readonly sk: string };
export type WriteRequest = NonNullable<BatchWriteCommandInput["RequestItems"]>[string][number];

/** A condition expression with its names and values. */
export interface Condition {
  readonly expression: string;
  readonly names?: Record<string, string>;
  readonly values?: Record<string, unknown>;
}

/** An update expression, with the condition it is subject to, if any. */
export interface Update {
  readonly expression: string;
  readonly condition?: string;
  readonly names?: Record<string, string>;
  readonly values?: Record<string, unknown>;
}

/** A conditional write either happened (with the item it replaced, when asked) or its condition failed. */
export type Written =
  | { readonly ok: true; readonly old?: Item }
  | { readonly ok: false; readonly cause: ConditionalCheckFailedException };

/** The query as the adapters phrase it: the table name, paging and consistency are this helper's. */
export type Query = Omit<QueryCommandInput, "TableName" | "ExclusiveStartKey" | "Limit" | "ConsistentRead">;

/** BatchWriteItem's maximum requests per call. */
const MAX_BATCH = 25;
const MAX_BATCH_ATTEMPTS = 8;

export class DynamoDbTable {
  readonly doc: DynamoDBDocumentClient;

  /** `adapter` names the caller in configuration errors. */
  constructor(client: DynamoDBClient, readonly name: string, adapter: string) {
    if (!name) throw new Error(`${adapter}: tableName is required`);
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async get(key: Key): Promise<Item | undefined> {
    const r = await this.doc.send(new GetCommand({ TableName: this.name, Key: key, ConsistentRead: true }));
    return r.Item;
  }

  /**
   * Every item the query matches, or the first `limit`, following `LastEvaluatedKey`
   * across DynamoDB's 1 MB pages. Strongly consistent.
   */
  async query(query: Query, limit?: number): Promise<Item[]> {
    const out: Item[] = [];
    let start: Item | undefined;
    do {
      const r = await this.doc.send(new QueryCommand({
        ...query,
        TableName: this.name,
        ConsistentRead: true,
        ...(limit !== undefined ? { Limit: limit - out.length } : {}),
        ExclusiveStartKey: start,
      }));
      out.push(...(r.Items ?? []));
      start = r.LastEvaluatedKey;
    } while (start && (limit === undefined || out.length < limit));
    return out;
  }

  async put(item: Item, condition?: Condition, returnOld = false): Promise<Written> {
    return this.conditional(async () => {
      const r = await this.doc.send(new PutCommand({
        TableName: this.name,
        Item: item,
        ...expression(condition),
        ...(returnOld ? { ReturnValues: "ALL_OLD" as const } : {}),
      }));
      return returnOld ? r.Attributes : undefined;
    });
  }

  async update(key: Key, update: Update): Promise<Written> {
    return this.conditional(async () => {
      await this.doc.send(new UpdateCommand({
        TableName: this.name,
        Key: key,
        UpdateExpression: update.expression,
        ...(update.condition ? { ConditionExpression: update.condition } : {}),
        ...(update.names ? { ExpressionAttributeNames: update.names } : {}),
        ...(update.values ? { ExpressionAttributeValues: update.values } : {}),
      }));
      return undefined;
    });
  }

  async delete(key: Key, condition?: Condition): Promise<Written> {
    return this.conditional(async () => {
      await this.doc.send(new DeleteCommand({ TableName: this.name, Key: key, ...expression(condition) }));
      return undefined;
    });
  }

  /** BatchWriteItem in chunks of 25, retrying unprocessed items with backoff. */
  async batchWrite(requests: readonly WriteRequest[]): Promise<void> {
    // Same key twice in one batch is rejected by DynamoDB: keep the last request per key.
    const byKey = new Map<string, WriteRequest>();
    for (const r of requests) {
      const k = r.PutRequest?.Item ?? r.DeleteRequest?.Key ?? {};
      byKey.set(`${String(k[TABLE_KEYS.partitionKey])}\u0000${String(k[TABLE_KEYS.sortKey])}`, r);
    }
    const unique = [...byKey.values()];
    for (let i = 0; i < unique.length; i += MAX_BATCH) {
      let pending = unique.slice(i, i + MAX_BATCH);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= MAX_BATCH_ATTEMPTS) throw new Error(`DynamoDB left ${pending.length} writes unprocessed after ${MAX_BATCH_ATTEMPTS} attempts`);
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(2000, 25 * 2 ** attempt)));
        const r = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.name]: pending } }));
        pending = r.UnprocessedItems?.[this.name] ?? [];
      }
    }
  }

  private async conditional(write: () => Promise<Item | undefined>): Promise<Written> {
    try {
      const old = await write();
      return old ? { ok: true, old } : { ok: true };
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return { ok: false, cause: err };
      throw err;
    }
  }
}

function expression(condition: Condition | undefined) {
  if (!condition) return {};
  return {
    ConditionExpression: condition.expression,
    ...(condition.names ? { ExpressionAttributeNames: condition.names } : {}),
    ...(condition.values ? { ExpressionAttributeValues: condition.values } : {}),
  };
}
