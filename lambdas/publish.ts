import { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import type { Context, DynamoDBStreamEvent, ScheduledEvent } from "aws-lambda";
import { CloudFrontInvalidator } from "./adapters/cloudfront-invalidator.js";
import { DynamoDbContentStore } from "./adapters/dynamodb-content-store.js";
import { DynamoDbPublishLedger } from "./adapters/dynamodb-publish-ledger.js";
import { createTelemetry, recordPublish, traceClient, traced, tracedInvocation, type Annotations, type Telemetry } from "./adapters/powertools-telemetry.js";
import { S3Site } from "./adapters/s3-site.js";
import { WebSubNotifier } from "./adapters/websub-notifier.js";
import { DEFAULT_BACKLOG, publish, type BacklogRule, type PublishDeps, type PublishReport } from "./app/publish.js";
import { readConfig, readOptionalInteger } from "./contracts/env.js";
import { PUBLISH_TRIGGER } from "./contracts/table.js";

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
  /** Coalescing while a large backlog drains (`BacklogRule`); `false` renders everything every run. @default DEFAULT_BACKLOG */
  readonly backlog?: BacklogRule | false;
  /** Waits between the runs of a backlog. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The clock that advances `now` across those runs (ms). @default Date.now */
  readonly clock?: () => number;
}

/**
 * Time a backlog's wait leaves to the run after it: the first run after ingest goes quiet
 * renders every archive page the backlog touched (at 10,000 articles, some 1,500 files).
 */
const BACKLOG_RESERVE_MS = 180_000;

/**
 * An operator's request for a full rebuild (`aws lambda invoke --payload '{"rebuild":true}'`):
 * every feed and archive page rendered from the table. It continues across runs.
 */
export interface RebuildRequest {
  readonly rebuild: true;
}

export type PublishEvent = DynamoDBStreamEvent | ScheduledEvent | RebuildRequest;

const isTrigger = (r: DynamoDBStreamEvent["Records"][number]) =>
  r.dynamodb?.Keys?.pk?.S === PUBLISH_TRIGGER.partitionKey && (PUBLISH_TRIGGER.eventNames as readonly string[]).includes(r.eventName ?? "");
const isRebuild = (event: PublishEvent): event is RebuildRequest => (event as Partial<RebuildRequest>).rebuild === true;

export async function handlePublishEvent(deps: PublishHandlerDeps, event: PublishEvent, now: Date, timeLeftMs?: () => number): Promise<PublishReport | undefined> {
  // A full rebuild stops between feeds before the Lambda times out; the schedule's next
  // run (or any stream batch) continues it after the last finished feed.
  const backlog = deps.backlog === false ? undefined : (deps.backlog ?? DEFAULT_BACKLOG);
  // The marks written, as the event source mapping's filter passes them (a test may hand in every write).
  const records = "Records" in event && Array.isArray(event.Records) ? event.Records.filter(isTrigger).length : 0;
  const options = { ...(isRebuild(event) ? { everything: true } : {}), ...(timeLeftMs ? { timeLeftMs } : {}), ...(backlog ? { backlog, streamRecords: records } : {}) };
  let report = logged(deps, await publish(deps, now, options));
  // A run that deferred archive pages (a large backlog still growing) waits, lease released,
  // and runs again until ingest has gone quiet and a run renders them: nothing else may
  // come (the last stream batch can be this one). Meanwhile the stream's next batches
  // queue (one publisher), and each run here renders the current feeds of everything
  // marked since. Out of time, the next stream batch or the schedule takes over.
  const clock = deps.clock ?? Date.now;
  const started = clock();
  while (backlog && report?.deferred && (!timeLeftMs || timeLeftMs() > backlog.pauseMs + BACKLOG_RESERVE_MS)) {
    await (deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))))(backlog.pauseMs);
    report = logged(deps, await publish(deps, new Date(now.getTime() + clock() - started), options));
  }
  return report;
}

/** Logs a run that did something; undefined for one that did nothing. */
function logged(deps: PublishHandlerDeps, report: PublishReport): PublishReport | undefined {
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
    ...(report.deferred ? { deferred: report.deferred, continues: "when ingest has gone quiet" } : {}),
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
  const telemetry = createTelemetry();
  // Every SDK call an X-Ray subsegment (Tracer from the Powertools layer); WebSub pings
  // (fetch) are traced by Tracer itself.
  const dynamo = traceClient(telemetry, new DynamoDBClient({}));
  const warn = (message: string) => telemetry.logger.warn(message);
  return {
    store: new DynamoDbContentStore(dynamo, config.tableName),
    ledger: new DynamoDbPublishLedger(dynamo, config.tableName),
    writer: new S3Site(traceClient(telemetry, new S3Client({})), config.siteBucket),
    invalidator: new CloudFrontInvalidator(traceClient(telemetry, new CloudFrontClient({})), config.distributionId, { ...(maxExactPaths !== undefined ? { maxExactPaths } : {}), log: warn }),
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

/** The batch's correlation keys as X-Ray annotations (scalars only). */
function annotationsOf(batch: Record<string, unknown>): Annotations {
  return Object.fromEntries(Object.entries(batch).filter((e): e is [string, string | number | boolean] => ["string", "number", "boolean"].includes(typeof e[1])));
}

export const handler = async (event: PublishEvent, context?: Context): Promise<void> => {
  const cold = deps === undefined;
  deps ??= depsFromEnv();
  const { logger, metrics } = deps.telemetry;
  if (context) logger.addContext(context);
  const batch = batchOf(event);
  logger.appendKeys({ batch });
  if (cold) metrics.captureColdStartMetric();
  const started = Date.now();
  try {
    const timeLeft = context ? () => context.getRemainingTimeInMillis() : undefined;
    const ready = deps;
    const report = await tracedInvocation(ready.telemetry, "publish", () =>
      traced(ready.telemetry, "### publish", annotationsOf(batch), async (annotate) => {
        const r = await handlePublishEvent({ ...ready, log: (fields) => logger.info("published", fields) }, event, new Date(), timeLeft);
        annotate({ feeds: r?.feeds ?? 0, written: r?.written.length ?? 0, incomplete: r?.incomplete === true });
        return r;
      }));
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
