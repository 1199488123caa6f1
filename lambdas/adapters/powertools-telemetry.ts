import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { IngestResult } from "../app/ingest.js";
import type { PublishReport } from "../app/publish.js";
import { isSilent } from "../app/reports.js";
import { METRIC, METRICS_NAMESPACE } from "../contracts/metrics.js";
import { formatProblem } from "../core/model.js";

/**
 * Logs and metrics of the two Lambdas, through Powertools for AWS Lambda (TypeScript):
 * structured JSON logs (every field queryable in CloudWatch Logs Insights) and EMF
 * metrics, which CloudWatch extracts from the log line itself (no PutMetricData call,
 * no extra permission). Only the handlers use this; the local host keeps its terminal
 * output, so nothing here is needed to run `npm start`.
 */

/** What the ingest handler tells about each file an S3 event led to. */
export interface IngestObserver {
  file(result: IngestResult, trigger: IngestTrigger): void;
}

/** The S3 record a file's outcome came from: its key and sequencer correlate the log lines of one event. */
export interface IngestTrigger {
  readonly key: string;
  readonly sequencer: string;
  readonly eventName: string;
}

/** Without Powertools (tests, the emulator harness): one JSON line per file an editor would care about. */
export const consoleIngestObserver: IngestObserver = {
  file(r) {
    if (!isSilent(r)) console.log(JSON.stringify({ key: r.key, outcome: r.outcome, problems: r.problems.map(formatProblem) }));
  },
};

/** Ingest outcomes counted as taken in; `rejected` and `held` have their own metric, the rest (`ignored`, `stale`, `gone`) none. */
const ACCEPTED: ReadonlySet<IngestResult["outcome"]> = new Set(["published", "updated", "removed", "unchanged"]);

export interface Telemetry {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Service name and namespace come from `POWERTOOLS_SERVICE_NAME` / `POWERTOOLS_METRICS_NAMESPACE` (set by the construct). */
export function createTelemetry(): Telemetry {
  return {
    logger: new Logger(),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE }),
  };
}

/** Logs each file with its trigger as correlation keys and counts accepted, rejected and held files. */
export class PowertoolsIngestObserver implements IngestObserver {
  constructor(private readonly telemetry: Telemetry) {}

  file(r: IngestResult, trigger: IngestTrigger): void {
    const { logger, metrics } = this.telemetry;
    if (ACCEPTED.has(r.outcome)) metrics.addMetric(METRIC.filesAccepted, MetricUnit.Count, 1);
    else if (r.outcome === "rejected") metrics.addMetric(METRIC.filesRejected, MetricUnit.Count, 1);
    else if (r.outcome === "held") metrics.addMetric(METRIC.filesHeld, MetricUnit.Count, 1);
    if (isSilent(r)) return;
    const fields = { key: r.key, outcome: r.outcome, problems: r.problems.map(formatProblem), s3: trigger };
    if (r.outcome === "rejected") logger.warn("file rejected", fields);
    else logger.info(`file ${r.outcome}`, fields);
  }
}

/**
 * Emits a publish run's numbers, all from its report (hub failures included: the WebSub
 * notifier never throws, so without the count a dead hub would only be a log line);
 * `durationMs` is measured by the handler.
 */
export function recordPublish(telemetry: Telemetry, report: PublishReport, durationMs: number): void {
  const { metrics } = telemetry;
  metrics.addMetric(METRIC.feedsRebuilt, MetricUnit.Count, report.feeds);
  metrics.addMetric(METRIC.filesWritten, MetricUnit.Count, report.written.length);
  metrics.addMetric(METRIC.publishDuration, MetricUnit.Milliseconds, durationMs);
  metrics.addMetric(METRIC.leaseWait, MetricUnit.Milliseconds, report.leaseWaitMs ?? 0);
  if (report.invalidationMs !== undefined) metrics.addMetric(METRIC.invalidationWait, MetricUnit.Milliseconds, report.invalidationMs);
  metrics.addMetric(METRIC.hubFailures, MetricUnit.Count, report.hubFailures);
}
