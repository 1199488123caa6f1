import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Tracer } from "@aws-lambda-powertools/tracer";
import type { IngestResult } from "../app/ingest.js";
import type { PublishReport } from "../app/publish.js";
import { isSilent } from "../app/reports.js";
import { METRIC, METRICS_NAMESPACE } from "../contracts/metrics.js";
import { formatProblem } from "../core/model.js";
import { loadTracer } from "./powertools-tracer.js";

/**
 * Logs, metrics and traces of the two Lambdas, through Powertools for AWS Lambda
 * (TypeScript): structured JSON logs (every field queryable in CloudWatch Logs
 * Insights), EMF metrics, which CloudWatch extracts from the log line itself (no
 * PutMetricData call, no extra permission), and X-Ray subsegments through Tracer (taken
 * from the Powertools layer: ./powertools-tracer.ts). Only the handlers use this; the
 * local host keeps its terminal output, so nothing here is needed to run `npm start`.
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
  /** Undefined where the Tracer package is not found (a bundle run without the layer): the handlers run untraced. */
  readonly tracer: Tracer | undefined;
}

/**
 * Service name and namespace come from `POWERTOOLS_SERVICE_NAME` / `POWERTOOLS_METRICS_NAMESPACE` (set by the construct).
 * Tracer traces only on Lambda (it reads `AWS_EXECUTION_ENV`); elsewhere its calls do nothing.
 */
export function createTelemetry(load: typeof loadTracer = loadTracer): Telemetry {
  const logger = new Logger();
  const loaded = load();
  if (loaded.tracer === undefined) logger.warn("tracing off", { reason: loaded.reason });
  return { logger, metrics: new Metrics({ namespace: METRICS_NAMESPACE }), tracer: loaded.tracer };
}

/**
 * An AWS SDK v3 client whose every call is an X-Ray subsegment (service, operation,
 * status, retries). Capture the base client before wrapping it: DynamoDBDocumentClient
 * shares its middleware stack.
 */
export function traceClient<T>(telemetry: Telemetry, client: T): T {
  return telemetry.tracer ? telemetry.tracer.captureAWSv3Client(client) : client;
}

/** X-Ray annotation values (indexed, searchable with filter expressions); `undefined` is left out. */
export type Annotations = Readonly<Record<string, string | number | boolean | undefined>>;

/** X-Ray keeps annotation values up to 1,000 characters; an S3 key can be longer. */
const MAX_ANNOTATION_CHARS = 500;

function annotate(tracer: Tracer, annotations: Annotations): void {
  for (const [key, value] of Object.entries(annotations)) {
    if (value !== undefined) tracer.putAnnotation(key, typeof value === "string" ? value.slice(0, MAX_ANNOTATION_CHARS) : value);
  }
}

/**
 * Runs `fn` in its own X-Ray subsegment `name`, annotated with `annotations` (and what
 * `fn` adds through its argument); an error is recorded on the subsegment and rethrown.
 * Untraced (no Tracer, or not on Lambda), it just runs `fn`.
 */
export async function traced<T>(telemetry: Telemetry, name: string, annotations: Annotations, fn: (annotateMore: (more: Annotations) => void) => Promise<T>): Promise<T> {
  const { tracer } = telemetry;
  const parent = tracer?.isTracingEnabled() ? tracer.getSegment() : undefined;
  if (!tracer || !parent) return fn(() => undefined);
  const subsegment = parent.addNewSubsegment(name);
  tracer.setSegment(subsegment);
  try {
    annotate(tracer, annotations);
    return await fn((more) => annotate(tracer, more));
  } catch (err) {
    tracer.addErrorAsMetadata(err as Error);
    throw err;
  } finally {
    subsegment.close();
    tracer.setSegment(parent);
  }
}

/**
 * A handler invocation as the subsegment `## <handler>` (Lambda's own segment can't be
 * annotated), with Powertools' `ColdStart` and `Service` annotations.
 */
export function tracedInvocation<T>(telemetry: Telemetry, handler: string, fn: () => Promise<T>): Promise<T> {
  return traced(telemetry, `## ${handler}`, {}, async () => {
    telemetry.tracer?.annotateColdStart();
    telemetry.tracer?.addServiceNameAnnotation();
    return fn();
  });
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

/** `traced` as a dependency of a handler's testable core: runs `fn` in a subsegment, or just runs it. */
export type Trace = <T>(name: string, annotations: Annotations, fn: (annotateMore: (more: Annotations) => void) => Promise<T>) => Promise<T>;

export const untraced: Trace = (_name, _annotations, fn) => fn(() => undefined);

export const traceWith = (telemetry: Telemetry): Trace => (name, annotations, fn) => traced(telemetry, name, annotations, fn);
