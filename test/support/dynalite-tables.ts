import { CreateTableCommand, waitUntilTableExists } from "@aws-sdk/client-dynamodb";
import { createTableInput } from "../../lambdas/contracts/table.js";
import type { LocalDynamo } from "../../local/local-dynamo.js";

let tables = 0;

/** A new, empty table on a running dynalite (same server, new name): one per test keeps tests apart. */
export async function freshTable(dynamo: LocalDynamo, prefix = "table"): Promise<string> {
  const name = `${prefix}-${++tables}`;
  await dynamo.client.send(new CreateTableCommand(createTableInput(name)));
  await waitUntilTableExists({ client: dynamo.client, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.1 }, { TableName: name });
  return name;
}
