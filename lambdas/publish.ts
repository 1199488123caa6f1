import { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import type { DynamoDBStreamEvent, ScheduledEvent } from "aws-lambda";
import { CloudFrontInvalidator } from "./adapters/cloudfront-invalidator.js";
import { DynamoDbContentStore } from "./adapters/dynamodb-content-store.js";
import { DynamoDbPublishLedger } from "./adapters/dynamodb-publish-ledger.js";
import { S3Site } from "./adapters/s3-site.js";
import { WebSubNotifier } from "./adapters/websub-notifier.js";
import { publish, type PublishDeps, type PublishReport } from "./app/publish.js";
import { readConfig } from "./contracts/env.js";

/**
 * Publish Lambda. Two triggers, one job: bring the site to what the table says.
 * - the table's stream (batched, filtered to dirty marks that ingest writes): a wake-up;
 *   what to render is read from the marks themselves, not from the records;
 * - a schedule (EventBridge, every few minutes): articles that came due since the last
 *   complete publish, and marks a failed run left.
 */

export async function handlePublishEvent(deps: PublishDeps, _event: DynamoDBStreamEvent | ScheduledEvent, now: Date): Promise<PublishReport | undefined> {
  const report = await publish(deps, now);
  if (report.feeds === 0 && report.written.length === 0 && !report.recovered) return undefined;
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
  const dynamo = new DynamoDBClient({});
  return {
    store: new DynamoDbContentStore(dynamo, config.tableName),
    ledger: new DynamoDbPublishLedger(dynamo, config.tableName),
    writer: new S3Site(new S3Client({}), config.siteBucket),
    invalidator: new CloudFrontInvalidator(new CloudFrontClient({}), config.distributionId),
    hubs: new WebSubNotifier({ retryDelaysMs: [2000, 10_000, 30_000] }),
    // Imported on first use: the module imports the font as a file of the bundle, which
    // only the bundle has (tests load this module unbundled).
    assets: { files: async () => new (await import("./adapters/bundled-site-assets.js")).BundledSiteAssets().files() },
  };
}

export const handler = async (event: DynamoDBStreamEvent | ScheduledEvent): Promise<void> => {
  deps ??= depsFromEnv();
  await handlePublishEvent(deps, event, new Date());
};
