/**
 * The custom metrics the handlers emit (CloudWatch embedded metric format, through
 * Powertools Metrics) and the construct's dashboard reads, defined once. Every metric
 * carries one dimension, `service`, whose value the construct sets per function
 * (`POWERTOOLS_SERVICE_NAME`), so two stages in one account keep their numbers apart.
 */
export const METRICS_NAMESPACE = "feedpub";

/** Powertools reads its settings from these variables; the construct sets them. */
export const POWERTOOLS_ENV = {
  serviceName: "POWERTOOLS_SERVICE_NAME",
  metricsNamespace: "POWERTOOLS_METRICS_NAMESPACE",
} as const;

/** The dimension Powertools Metrics adds to every metric (its default dimension). */
export const SERVICE_DIMENSION = "service";

export const METRIC = {
  /** Ingest: files taken in (published, updated, removed, or unchanged). Count. */
  filesAccepted: "FilesAccepted",
  /** Ingest: files refused with errors (the editor's report lists them). Count. */
  filesRejected: "FilesRejected",
  /** Ingest: files waiting for an author or site.yaml. Count. */
  filesHeld: "FilesHeld",
  /** Publish: feeds rendered. Count. */
  feedsRebuilt: "FeedsRebuilt",
  /** Publish: site files written or removed (their bytes changed). Count. */
  filesWritten: "FilesWritten",
  /** Publish: one run, lease to last write. Milliseconds. */
  publishDuration: "PublishDuration",
  /** Publish: waiting for the CloudFront invalidation to complete. Milliseconds. */
  invalidationWait: "InvalidationWait",
  /** Publish: waiting for another publisher's lease. Milliseconds. */
  leaseWait: "LeaseWait",
  /** Publish: WebSub hubs that still failed after the retries. Count. */
  hubFailures: "HubFailures",
} as const;
