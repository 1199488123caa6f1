import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDbPublishLedger } from "../../lambdas/adapters/dynamodb-publish-ledger.js";
import { MemoryPublishLedger } from "../../lambdas/adapters/memory-publish-ledger.js";
import { startLocalDynamo, type LocalDynamo } from "../../local/local-dynamo.js";
import { freshTable } from "../support/dynalite-tables.js";
import { describePublishLedger } from "./contract/publish-ledger.contract.js";

/** The PublishLedger contract against memory and dynalite. */

describePublishLedger("MemoryPublishLedger", async () => new MemoryPublishLedger());

let dynamo: LocalDynamo;
beforeAll(async () => { dynamo = await startLocalDynamo("ledger-test"); });
afterAll(async () => { await dynamo?.close(); });

describePublishLedger("DynamoDbPublishLedger on dynalite", async () => new DynamoDbPublishLedger(dynamo.client, await freshTable(dynamo)));

describe("DynamoDbPublishLedger", () => {
  it("names itself when the table name is missing", () => {
    expect(() => new DynamoDbPublishLedger(dynamo.client, "")).toThrow("DynamoDbPublishLedger: tableName is required");
  });
});
