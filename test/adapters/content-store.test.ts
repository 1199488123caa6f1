import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDbContentStore } from "../../lambdas/adapters/dynamodb-content-store.js";
import { MemoryContentStore } from "../../lambdas/adapters/memory-content-store.js";
import { PK, TTL_ATTRIBUTE } from "../../lambdas/contracts/table.js";
import { DELETED_ENTRY_DAYS } from "../../lambdas/core/feeds.js";
import { startLocalDynamo, type LocalDynamo } from "../../local/local-dynamo.js";
import { freshTable } from "../support/dynalite-tables.js";
import { anArticle } from "../support/builders.js";
import { describeContentStore, src } from "./contract/content-store.contract.js";

/** The ContentStore contract against memory, and against dynalite (a real DynamoDB protocol implementation). */

describeContentStore("MemoryContentStore", async () => new MemoryContentStore());

let dynamo: LocalDynamo;
beforeAll(async () => { dynamo = await startLocalDynamo("content-store-test"); });
afterAll(async () => { await dynamo?.close(); });

describeContentStore("DynamoDbContentStore on dynalite", async () => new DynamoDbContentStore(dynamo.client, await freshTable(dynamo)));

describe("DynamoDbContentStore, items as stored", () => {
  it("a deleted entry carries the TTL attribute: its time plus DELETED_ENTRY_DAYS, in epoch seconds", async () => {
    const table = await freshTable(dynamo);
    await new DynamoDbContentStore(dynamo.client, table).putDeleted(["site"], { id: "tag:a", slug: "a", when: "2024-06-01T00:00:00.000Z" });
    const r = await dynamo.client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: PK.gone("site") }, sk: { S: "a" } } }));
    expect(r.Item?.[TTL_ATTRIBUTE]?.N).toBe(String(Date.UTC(2024, 5, 1) / 1000 + DELETED_ENTRY_DAYS * 86_400));
  });

  it("the article item holds no derived feed list (feed membership is core's `feedInfosOf`)", async () => {
    const table = await freshTable(dynamo);
    await new DynamoDbContentStore(dynamo.client, table).writeArticle({ slug: "s", source: src("articles/s.md", "1"), article: anArticle({ slug: "s" }), staleIndex: [], outcome: "published" }, 0);
    const r = await dynamo.client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: PK.article("s") }, sk: { S: "ARTICLE" } } }));
    expect(Object.keys(r.Item ?? {}).sort()).toEqual(["article", "deleted", "hash", "indexPending", "outcome", "pk", "seq", "sk", "slug", "sourceKey", "staleIndex", "ver"]);
  });

  it("a removed index item is kept a day (TTL) as the record of the version that removed it", async () => {
    const table = await freshTable(dynamo);
    const store = new DynamoDbContentStore(dynamo.client, table);
    await store.deleteFeedEntries(["site"], "a", "2024-06-01T00:00:00.000Z", 3);
    const r = await dynamo.client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: PK.feed("site") }, sk: { S: "2024-06-01T00:00:00.000Z#a" } } }));
    expect(r.Item?.dead?.BOOL).toBe(true);
    expect(r.Item?.ver?.N).toBe("3");
    expect(Number(r.Item?.[TTL_ATTRIBUTE]?.N)).toBeGreaterThan(Date.now() / 1000 + 86_000);
  });

  it("names itself when the table name is missing", () => {
    expect(() => new DynamoDbContentStore(dynamo.client, "")).toThrow("DynamoDbContentStore: tableName is required");
  });
});
