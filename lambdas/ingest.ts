import { S3Client } from "@aws-sdk/client-s3";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Context, S3Event } from "aws-lambda";
import { DynamoDbContentStore } from "./adapters/dynamodb-content-store.js";
import {
  consoleIngestObserver, createTelemetry, PowertoolsIngestObserver, traceClient, traceWith, tracedInvocation, untraced,
  type IngestObserver, type Telemetry, type Trace,
} from "./adapters/powertools-telemetry.js";
import { S3Content } from "./adapters/s3-content.js";
import { S3Reports } from "./adapters/s3-reports.js";
import { ingest, reparseArticles, type IngestDeps, type IngestResult } from "./app/ingest.js";
import { fileReport } from "./app/reports.js";
import { readConfig } from "./contracts/env.js";
import type { ReportSink } from "./core/ports.js";

/**
 * Ingest Lambda: S3 ObjectCreated/ObjectRemoved events of the content bucket in, the
 * store updated. Every file gets a report object at `_reports/<key>.txt` that an editor
 * can open in the S3 console. Errors are rethrown so Lambda retries the event and then
 * sends it to the on-failure queue.
 */

/**
 * S3 event keys are URL-encoded with `+` for space. The result is the exact object key,
 * not Unicode-normalised: `café.md` saved in NFC and in NFD (as some Mac tools do) are
 * two different objects, and reading the NFC name of an NFD object finds nothing.
 */
export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, " "));
}

export interface IngestHandlerDeps extends IngestDeps {
  readonly reports: ReportSink;
  /** Told every file's outcome (logs, metrics). @default one JSON line on stdout per file an editor would care about */
  readonly observer?: IngestObserver;
  /** Each S3 record as an X-Ray subsegment `### ingest`, annotated with its key, sequencer and outcome. @default untraced */
  readonly trace?: Trace;
}

export async function handleS3Event(deps: IngestHandlerDeps, event: S3Event | { Event?: string }, now: Date): Promise<IngestResult[]> {
  const records = "Records" in event && Array.isArray(event.Records) ? event.Records : [];
  const results: IngestResult[] = [];
  for (const record of records) {
    const key = decodeS3Key(record.s3.object.key);
    const type = record.eventName.startsWith("ObjectRemoved") ? "delete" : "put";
    const trigger = { key, sequencer: record.s3.object.sequencer, eventName: record.eventName };
    // The same correlation keys as the log lines (`s3.key`, `s3.sequencer`), as X-Ray annotations.
    const annotations = { s3Key: key, s3Sequencer: trigger.sequencer, s3EventName: trigger.eventName };
    await (deps.trace ?? untraced)("### ingest", annotations, async (annotate) => {
      const result = await ingest(deps, { key, type, seq: record.s3.object.sequencer, time: record.eventTime }, now);
      results.push(result);
      // This event can also have ingested other files (held files released, the next
      // owner of a slug), and site.yaml can have changed the links of every stored
      // article (one Lambda run covers the archive here, about 20 ms an article; see
      // README, "When things go wrong"): each file gets its report.
      const others = [...(result.also ?? []), ...(result.reparseArticles ? await reparseArticles(deps, now) : [])];
      annotate({ outcome: result.outcome, otherFiles: others.length });
      for (const r of [result, ...others]) {
        (deps.observer ?? consoleIngestObserver).file(r, trigger);
        await fileReport(deps.reports, r);
      }
    });
  }
  return results;
}

let deps: (IngestHandlerDeps & { telemetry: Telemetry }) | undefined;

function depsFromEnv(): IngestHandlerDeps & { telemetry: Telemetry } {
  const config = readConfig(process.env, ["tableName", "contentBucket"]);
  const telemetry = createTelemetry();
  // Every SDK call an X-Ray subsegment (Tracer from the Powertools layer).
  const s3 = traceClient(telemetry, new S3Client({}));
  return {
    reports: new S3Reports(s3, config.contentBucket),
    store: new DynamoDbContentStore(traceClient(telemetry, new DynamoDBClient({})), config.tableName),
    source: new S3Content(s3, config.contentBucket),
    observer: new PowertoolsIngestObserver(telemetry),
    trace: traceWith(telemetry),
    telemetry,
  };
}

export const handler = async (event: S3Event, context?: Context): Promise<void> => {
  const cold = deps === undefined;
  deps ??= depsFromEnv();
  const { logger, metrics } = deps.telemetry;
  if (context) logger.addContext(context);
  if (cold) metrics.captureColdStartMetric();
  try {
    const ready = deps;
    await tracedInvocation(ready.telemetry, "ingest", () => handleS3Event(ready, event, new Date()));
  } catch (err) {
    // Rethrown: Lambda retries the event, then sends it to the failure queue.
    logger.error("ingest failed", { error: err as Error, records: event.Records?.map((r) => ({ key: r.s3.object.key, sequencer: r.s3.object.sequencer })) });
    throw err;
  } finally {
    // The counts of the files done before a failure are published too; an event with
    // nothing to count (s3:TestEvent) logs no empty-metrics warning.
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
};
