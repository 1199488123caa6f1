import { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import type { DynamoDBStreamEvent, ScheduledEvent } from "aws-lambda";
import { CloudFrontInvalidator } from "./adapters/cloudfront-invalidator.js";
import { DynamoDbStore } from "./adapters/dynamodb-store.js";
import { S3Site } from "./adapters/s3-site.js";
import { WebSubNotifier } from "./adapters/websub-notifier.js";
import { changeFromStreamKeys, isEmpty, type Change } from "./app/change.js";
import { dueChange, publish, type PublishDeps, type PublishReport } from "./app/publish.js";
import { TABLE_KEYS } from "./adapters/table-schema.js";
import { readConfig } from "./contracts/env.js";

/**
 * Publish Lambda. Two triggers:
 * - the table's stream (batched): the feeds whose index items, authors or site changed;
 * - a schedule (EventBridge, every few minutes): the feeds of scheduled articles that
 *   became due since the previous run.
 */

/** How far back a scheduled run looks; longer than the schedule's rate so none is missed. */
export const SCHEDULE_LOOKBACK_MS = 10 * 60_000;

export function changeFromStream(event: DynamoDBStreamEvent): Change {
  return changeFromStreamKeys(event.Records.map((r) => ({
    pk: r.dynamodb?.Keys?.[TABLE_KEYS.partitionKey]?.S ?? "",
    sk: r.dynamodb?.Keys?.[TABLE_KEYS.sortKey]?.S ?? "",
  })));
}

export async function handlePublishEvent(deps: PublishDeps, event: DynamoDBStreamEvent | ScheduledEvent, now: Date): Promise<PublishReport | undefined> {
  const change = "Records" in event
    ? changeFromStream(event)
    : await dueChange(deps.store, new Date(now.getTime() - SCHEDULE_LOOKBACK_MS), now);
  if (isEmpty(change)) return undefined;
  const report = await publish(deps, change, now);
  console.log(JSON.stringify({
    feeds: report.feeds, written: report.written, unchanged: report.unchanged, entriesRead: report.entriesRead,
    // Paths a failed earlier run wrote and this one invalidated and announced.
    ...(report.recovered ? { recovered: report.recovered } : {}),
  }));
  return report;
}

let deps: PublishDeps | undefined;

function depsFromEnv(): PublishDeps {
  const config = readConfig(process.env, ["tableName", "siteBucket", "distributionId"]);
  const store = new DynamoDbStore(new DynamoDBClient({}), config.tableName);
  return {
    store,
    ledger: store,
    writer: new S3Site(new S3Client({}), config.siteBucket),
    invalidator: new CloudFrontInvalidator(new CloudFrontClient({}), config.distributionId),
    hubs: new WebSubNotifier({ retryDelaysMs: [2000, 10_000, 30_000] }),
  };
}

export const handler = async (event: DynamoDBStreamEvent | ScheduledEvent): Promise<void> => {
  deps ??= depsFromEnv();
  await handlePublishEvent(deps, event, new Date());
};
