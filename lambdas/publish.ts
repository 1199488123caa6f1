import { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import type { Context, DynamoDBStreamEvent, ScheduledEvent } from "aws-lambda";
import { CloudFrontInvalidator } from "./adapters/cloudfront-invalidator.js";
import { DynamoDbContentStore } from "./adapters/dynamodb-content-store.js";
import { DynamoDbPublishLedger } from "./adapters/dynamodb-publish-ledger.js";
import { createTelemetry, recordPublish, type Telemetry } from "./adapters/powertools-telemetry.js";
import { S3Site } from "./adapters/s3-site.js";
import { WebSubNotifier } from "./adapters/websub-notifier.js";
import { publish, type PublishDeps, type PublishReport } from "./app/publish.js";
import { readConfig, readOptionalInteger } from "./contracts/env.js";

/**
 * Publish Lambda. Two triggers, one job: bring the site to what the table says.
 * - the table's stream (batched, filtered to dirty marks that ingest writes): a wake-up;
 *   what to render is read from the marks themselves, not from the records;
 * - a schedule (EventBridge, every few minutes): articles that came due since the last
 *   complete publish, and marks a failed run left.
 */

export interface PublishHandlerDeps extends PublishDeps {
  /** Where a run that changed something is logged. @default one JSON line on stdout */
  readonly log?: (fields: Record<string, unknown>) => void;
}

/**
 * An operator's request for a full rebuild (`aws lambda invoke --payload '{"rebuild":true}'`):
 * every feed and archive page rendered from the table. It continues across runs.
 */
export interface RebuildRequest {
  readonly rebuild: true;
}

export type PublishEvent = DynamoDBStreamEvent | ScheduledEvent | RebuildRequest;

const isRebuild = (event: PublishEvent): event is RebuildRequest => (event as Partial<RebuildRequest>).rebuild === true;

export async function handlePublishEvent(deps: PublishHandlerDeps, event: PublishEvent, now: Date, timeLeftMs?: () => number): Promise<PublishReport | undefined> {
  // A full rebuild stops between feeds before the Lambda times out; the schedule's next
  // run (or any stream batch) continues it after the last finished feed.
  const report = await publish(deps, now, { ...(isRebuild(event) ? { everything: true } : {}), ...(timeLeftMs ? { timeLeftMs } : {}) });
  if (report.feeds === 0 && report.written.length === 0 && !report.recovered) return undefined;
  (deps.log ?? ((fields) => console.log(JSON.stringify(fields))))({
    feeds: report.feeds, written: report.written, unchanged: report.unchanged, entriesRead: report.entriesRead,
    // Paths a failed earlier run wrote and this one invalidated and announced.
    ...(report.recovered ? { recovered: report.recovered } : {}),
    ...(report.leaseWaitMs ? { leaseWaitMs: report.leaseWaitMs } : {}),
    ...(report.invalidationMs !== undefined ? { invalidationMs: report.invalidationMs } : {}),
    // Hubs still failing after their retries (each is also logged by the notifier).
    ...(report.hubFailures > 0 ? { hubFailures: report.hubFailures } : {}),
    ...(report.incomplete ? { incomplete: true, continues: "with the next scheduled run" } : {}),
  });
  return report;
}

interface LambdaPublishDeps extends PublishDeps {
  readonly telemetry: Telemetry;
}

let deps: LambdaPublishDeps | undefined;

function depsFromEnv(): LambdaPublishDeps {
  const config = readConfig(process.env, ["tableName", "siteBucket", "distributionId"]);
  const maxExactPaths = readOptionalInteger(process.env, "maxExactPaths");
  const dynamo = new DynamoDBClient({});
  const telemetry = createTelemetry();
  const warn = (message: string) => telemetry.logger.warn(message);
  return {
    store: new DynamoDbContentStore(dynamo, config.tableName),
    ledger: new DynamoDbPublishLedger(dynamo, config.tableName),
    writer: new S3Site(new S3Client({}), config.siteBucket),
    invalidator: new CloudFrontInvalidator(new CloudFrontClient({}), config.distributionId, { ...(maxExactPaths !== undefined ? { maxExactPaths } : {}), log: warn }),
    hubs: new WebSubNotifier({ retryDelaysMs: [2000, 10_000, 30_000], log: warn }),
    telemetry,
    // Imported on first use: the module imports the font as a file of the bundle, which
    // only the bundle has (tests load this module unbundled).
    assets: { files: async () => new (await import("./adapters/bundled-site-assets.js")).BundledSiteAssets().files() },
  };
}

/** The stream batch as correlation keys: which records woke this run (or none: the schedule). */
function batchOf(event: PublishEvent): Record<string, unknown> {
  if (isRebuild(event)) return { trigger: "rebuild" };
  if (!("Records" in event) || !Array.isArray(event.Records)) return { trigger: "schedule", eventId: (event as ScheduledEvent).id };
  const records = event.Records;
  return {
    trigger: "stream",
    records: records.length,
    firstSequenceNumber: records[0]?.dynamodb?.SequenceNumber,
    lastSequenceNumber: records.at(-1)?.dynamodb?.SequenceNumber,
  };
}

export const handler = async (event: PublishEvent, context?: Context): Promise<void> => {
  const cold = deps === undefined;
  deps ??= depsFromEnv();
  const { logger, metrics } = deps.telemetry;
  if (context) logger.addContext(context);
  logger.appendKeys({ batch: batchOf(event) });
  if (cold) metrics.captureColdStartMetric();
  const started = Date.now();
  try {
    const timeLeft = context ? () => context.getRemainingTimeInMillis() : undefined;
    const report = await handlePublishEvent({ ...deps, log: (fields) => logger.info("published", fields) }, event, new Date(), timeLeft);
    if (report) recordPublish(deps.telemetry, report, Date.now() - started);
  } catch (err) {
    // Rethrown: the stream retries (bisecting) and the schedule's async invoke retries, then the failure queue.
    logger.error("publish failed", { error: err as Error });
    throw err;
  } finally {
    logger.removeKeys(["batch"]);
    // A run with nothing to count (a schedule with nothing due) logs no empty-metrics warning.
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
};
