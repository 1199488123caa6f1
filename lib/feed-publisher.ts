import { Duration, RemovalPolicy, Stack, Token, Validations } from "aws-cdk-lib";
import type * as acm from "aws-cdk-lib/aws-certificatemanager";
import * as cloudfront from "aws-cdk-lib/aws-cloudfront";
import { S3BucketOrigin } from "aws-cdk-lib/aws-cloudfront-origins";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as kms from "aws-cdk-lib/aws-kms";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { SqsDestination } from "aws-cdk-lib/aws-lambda-destinations";
import { DynamoEventSource, SqsDlq } from "aws-cdk-lib/aws-lambda-event-sources";
import * as route53 from "aws-cdk-lib/aws-route53";
import { CloudFrontTarget } from "aws-cdk-lib/aws-route53-targets";
import * as s3 from "aws-cdk-lib/aws-s3";
import { LambdaDestination } from "aws-cdk-lib/aws-s3-notifications";
import * as sns from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { PK, PUBLISH_BATCH_SIZE, PUBLISH_TRIGGER, TABLE_KEYS, TTL_ATTRIBUTE } from "../lambdas/contracts/table.js";
import { ENV, REPORT_PREFIX } from "../lambdas/contracts/env.js";
import { CONTENT_FILTERS as CONTENT_KEY_FILTERS } from "../lambdas/contracts/content-keys.js";
import { CONTENT_SECURITY_POLICY, CORS, SECURITY_HEADERS } from "../lambdas/contracts/http-headers.js";
import { METRIC, METRICS_NAMESPACE, SERVICE_DIMENSION } from "../lambdas/contracts/metrics.js";
import { ARCHIVE_PATH_PATTERNS, INDEX_PAGE } from "../lambdas/contracts/paths.js";
import { FeedFunction } from "./feed-function.js";

/** Content-bucket keys that are content (defined with the key layout); everything else never triggers ingest. */
export const CONTENT_FILTERS: readonly s3.NotificationKeyFilter[] = CONTENT_KEY_FILTERS;

/** The thresholds of the alarms, in one place (README, "Operating it"). */
export const ALARM_THRESHOLDS = {
  /** Oldest unprocessed stream record: publish is stuck or failing, the site falls behind the table. */
  iteratorAge: Duration.minutes(15),
  /** CloudFront 5xx responses, percent of all requests, averaged over 5 minutes. */
  cloudFront5xxRatePercent: 5,
} as const;

export interface FeedPublisherProps {
  /**
   * Host name CloudFront serves, e.g. `news.example.com`. Needs `certificate`.
   * @default - the distribution's `*.cloudfront.net` name with CloudFront's default certificate
   */
  readonly domainName?: string;
  /**
   * ACM certificate for `domainName`; CloudFront requires it in us-east-1.
   * @default - none (required with `domainName`)
   */
  readonly certificate?: acm.ICertificate;
  /**
   * Route 53 zone of `domainName`: A and AAAA alias records to the distribution are
   * created in it.
   * @default - no DNS record (point `domainName` at the distribution yourself)
   */
  readonly hostedZone?: route53.IHostedZone;
  /**
   * Email subscribed to every alarm (confirm the subscription mail once).
   * @default - alarms without notification (they still show on the dashboard)
   */
  readonly alarmEmail?: string;
  /**
   * Memory of both functions, in MB (CPU grows with it).
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Above this many changed paths, publish invalidates `/*` instead of each path
   * (CloudFront bills each path after the first 1,000 a month; a wildcard counts as
   * one). Raise it for a site whose readers must see each change at once, lower it to
   * spend less. `0` always invalidates `/*`.
   * @default 5 (the invalidator's own default)
   */
  readonly maxExactPaths?: number;
  /**
   * How often publish runs by itself, to publish scheduled articles that came due
   * (edits are published within seconds by the table's stream, whatever this is).
   * @default Duration.minutes(5)
   */
  readonly schedule?: Duration;
  /**
   * What happens to the table, the buckets and the log groups when this construct
   * leaves the stack. `RETAIN` keeps the data (and the table's deletion protection);
   * `DESTROY` is for throwaway stages: no deletion protection, and the buckets are
   * emptied (`autoDeleteObjects`) so that the stack deletes cleanly.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy.RETAIN | RemovalPolicy.DESTROY;
  /**
   * Names the functions' logs and metrics (`<name>-ingest`, `<name>-publish` as the
   * `service` dimension) and the dashboard. Give each stage in one account its own.
   * @default "feedpub"
   */
  readonly serviceName?: string;
}

/**
 * The whole publisher: editors write Markdown/YAML to the content bucket; ingest
 * validates it into one DynamoDB table; the table's stream (and a schedule for articles
 * that become due) drives publish, which renders the feeds into a private site bucket
 * served by CloudFront. Alarms and a dashboard for the operator.
 *
 * Place it with the id `Default` (as `FeedPublisherStack` does) to keep the logical ids
 * of a stack that had these resources at its top level: `Default` is left out of
 * logical ids, so the table and buckets are neither replaced nor orphaned.
 */
export class FeedPublisher extends Construct {
  readonly table: dynamodb.Table;
  readonly contentBucket: s3.Bucket;
  readonly siteBucket: s3.Bucket;
  readonly logBucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly responseHeadersPolicy: cloudfront.ResponseHeadersPolicy;
  readonly ingest: FeedFunction;
  readonly publish: FeedFunction;
  readonly ingestFailures: sqs.Queue;
  readonly publishFailures: sqs.Queue;
  readonly publishSchedule: events.Rule;
  /** Every alarm; each notifies `alarmTopic` when there is one. */
  readonly alarms: cloudwatch.Alarm[] = [];
  /** @default - undefined without `alarmEmail` */
  readonly alarmTopic?: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  /** `https://<domain or distribution>`: where the feeds are. */
  readonly siteOrigin: string;

  constructor(scope: Construct, id: string, props: FeedPublisherProps = {}) {
    super(scope, id);
    checkProps(props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const throwaway = removalPolicy === RemovalPolicy.DESTROY;
    const serviceName = props.serviceName ?? "feedpub";
    const memorySize = props.memorySize ?? 256;

    this.table = new dynamodb.Table(this, "Table", {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: !throwaway,
      removalPolicy,
      // Deleted-entry announcements (RFC 6721) expire by themselves.
      timeToLiveAttribute: TTL_ATTRIBUTE,
    });

    // Server access logs of both buckets and CloudFront's standard logs. CloudFront
    // standard logging writes with ACLs, hence BUCKET_OWNER_PREFERRED.
    this.logBucket = new s3.Bucket(this, "LogBucket", {
      ...privateBucketProps(removalPolicy),
      versioned: false,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
    });

    this.contentBucket = new s3.Bucket(this, "ContentBucket", {
      ...privateBucketProps(removalPolicy),
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: "s3/content/",
    });

    this.siteBucket = new s3.Bucket(this, "SiteBucket", {
      ...privateBucketProps(removalPolicy),
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: "s3/site/",
      // S3 answers a CORS preflight only with a CORS configuration (403 without one);
      // CloudFront forwards the OPTIONS request, and the response headers policy then
      // overrides the CORS headers with the same values.
      cors: [{
        allowedOrigins: [CORS.allowOrigin],
        allowedMethods: CORS.allowMethods.map(s3HttpMethod),
        allowedHeaders: [...CORS.allowHeaders],
        exposedHeaders: [...CORS.exposeHeaders],
        maxAge: CORS.maxAgeSeconds,
      }],
    });

    // One origin (one OAC) for both behaviours. LIST as well as READ: a feed that no
    // longer exists answers 404, not 403.
    const siteOrigin = S3BucketOrigin.withOriginAccessControl(this.siteBucket, {
      originAccessLevels: [cloudfront.AccessLevel.READ, cloudfront.AccessLevel.LIST],
    });
    this.responseHeadersPolicy = this.createResponseHeadersPolicy();
    // GET and HEAD for readers, OPTIONS for the CORS preflight of a browser-based reader
    // (only GET and HEAD are cached). A preflight needs the Origin and
    // Access-Control-Request-* headers at S3: the managed CORS-S3Origin policy forwards
    // them without adding them to the cache key.
    const methods = {
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
      cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
      originRequestPolicy: cloudfront.OriginRequestPolicy.CORS_S3_ORIGIN,
    };
    const certificate = props.domainName ? props.certificate : undefined;
    this.distribution = new cloudfront.Distribution(this, "Distribution", {
      comment: "feedpub: RSS, Atom and JSON feeds",
      defaultRootObject: INDEX_PAGE,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      defaultBehavior: {
        origin: siteOrigin,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        ...methods,
        compress: true,
        cachePolicy: this.feedCachePolicy(),
        responseHeadersPolicy: this.responseHeadersPolicy,
      },
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: "cloudfront/",
      ...(props.domainName && certificate
        ? {
            domainNames: [props.domainName],
            certificate,
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
    });
    // The archive pages of every feed: the site's, each category's, each author's.
    const archiveCachePolicy = this.archiveCachePolicy();
    for (const pattern of ARCHIVE_PATH_PATTERNS) {
      this.distribution.addBehavior(pattern, siteOrigin, {
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        ...methods,
        compress: true,
        cachePolicy: archiveCachePolicy,
        responseHeadersPolicy: this.responseHeadersPolicy,
      });
    }
    Validations.of(this.distribution).acknowledge({
      id: "@aws-cdk/aws-cloudfront-origins:listBucketSecurityRisk",
      reason: "defaultRootObject is index.html, so the root path never turns into a bucket listing.",
    });
    Validations.of(this.distribution).acknowledge({
      id: "AwsSolutions-CFR1",
      reason: "Public news feeds are meant to be readable from every country; no geo restriction.",
    });
    Validations.of(this.distribution).acknowledge({
      id: "AwsSolutions-CFR2",
      reason: "Static, cached, GET-only feed files behind OAC; a WAF web ACL's fixed monthly cost buys little here.",
    });
    if (!props.domainName) {
      Validations.of(this.distribution).acknowledge({
        id: "AwsSolutions-CFR4",
        reason: "Without a custom domain CloudFront's default *.cloudfront.net certificate is used, whose TLS policy can't be set; pass domainName+certificateArn to get TLSv1.2_2021.",
      });
    }
    if (props.domainName && props.hostedZone) {
      const target = route53.RecordTarget.fromAlias(new CloudFrontTarget(this.distribution));
      new route53.ARecord(this, "AliasRecord", { zone: props.hostedZone, recordName: props.domainName, target });
      new route53.AaaaRecord(this, "AliasRecordIpv6", { zone: props.hostedZone, recordName: props.domainName, target });
    }
    this.siteOrigin = `https://${props.domainName ?? this.distribution.distributionDomainName}`;

    this.ingestFailures = this.failureQueue("IngestFailures");
    this.publishFailures = this.failureQueue("PublishFailures");

    const functionDefaults = {
      memorySize,
      // Active tracing: the Lambda service's own segments (init, invocation) and the
      // handlers' Powertools Tracer subsegments; Tracer and the X-Ray SDK come from the
      // Powertools layer, not the bundles (README, "Operating it").
      tracing: lambda.Tracing.ACTIVE,
      logRemovalPolicy: removalPolicy,
    };
    this.ingest = new FeedFunction(this, "Ingest", {
      ...functionDefaults,
      handlerModule: "ingest",
      description: "Validates content-bucket changes into the table and writes editor reports",
      timeout: Duration.seconds(60),
      serviceName: `${serviceName}-ingest`,
    });
    this.ingest.bindTable(this.table, "readWrite");
    // Reads any content key; writes and deletes only its own reports.
    this.ingest.bindBucket(this.contentBucket, "contentBucket", "readWrite", { writeKeys: `${REPORT_PREFIX}*`, allowDelete: true });
    this.ingest.function.configureAsyncInvoke({
      retryAttempts: 2,
      onFailure: new SqsDestination(this.ingestFailures),
    });
    for (const event of [s3.EventType.OBJECT_CREATED, s3.EventType.OBJECT_REMOVED]) {
      for (const filter of CONTENT_FILTERS) {
        this.contentBucket.addEventNotification(event, new LambdaDestination(this.ingest.function), filter);
      }
    }

    this.publish = new FeedFunction(this, "Publish", {
      ...functionDefaults,
      handlerModule: "publish",
      description: "Renders changed feeds into the site bucket and invalidates CloudFront",
      // Worst case: 90 s waiting for the lease, rendering, up to 240 s waiting for the
      // CloudFront invalidation (usually under a minute) before pinging hubs, ~42 s of hub
      // retries.
      timeout: Duration.minutes(10),
      // One publisher at a time (stream and schedule): publish also takes a lease in the
      // table, so this is a cost and throttling choice more than a correctness one.
      reservedConcurrentExecutions: 1,
      serviceName: `${serviceName}-publish`,
    });
    this.publish.bindTable(this.table, "read");
    // The publish lease and the paths still to invalidate (lambdas/app/lease.ts, publish.ts).
    this.publish.bindTablePartition(this.table, PK.publish, ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]);
    // It clears the dirty marks it has published (never writes one).
    this.publish.bindTablePartition(this.table, PK.dirty, ["dynamodb:DeleteItem"]);
    // Delete: an archive page left with no entries is removed.
    this.publish.bindBucket(this.siteBucket, "siteBucket", "readWrite", { allowDelete: true });
    this.publish.bindDistribution(this.distribution);
    if (props.maxExactPaths !== undefined) this.publish.function.addEnvironment(ENV.maxExactPaths, String(props.maxExactPaths));
    this.publish.function.addEventSource(new DynamoEventSource(this.table, {
      startingPosition: lambda.StartingPosition.LATEST,
      batchSize: PUBLISH_BATCH_SIZE,
      maxBatchingWindow: Duration.seconds(5),
      parallelizationFactor: 1,
      retryAttempts: 5,
      bisectBatchOnError: true,
      reportBatchItemFailures: false,
      onFailure: new SqsDlq(this.publishFailures),
      // Only dirty marks being written wake the publisher: ingest writes one after every
      // change that affects a feed, and the publisher reads what to do from the marks.
      filters: [
        lambda.FilterCriteria.filter({
          eventName: lambda.FilterRule.or(...PUBLISH_TRIGGER.eventNames),
          dynamodb: { Keys: { [TABLE_KEYS.partitionKey]: { S: lambda.FilterRule.isEqual(PUBLISH_TRIGGER.partitionKey) } } },
        }),
      ],
    }));
    Validations.of(this.publish.role.node.findChild("DefaultPolicy")).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason: "dynamodb:ListStreams, required by the stream event source, supports no resource-level permissions (the other stream actions are scoped to the stream ARN).",
    });
    // Scheduled run (no `Records` in the event): publishes articles whose date became due.
    this.publish.function.configureAsyncInvoke({
      retryAttempts: 2,
      onFailure: new SqsDestination(this.publishFailures),
    });
    const schedule = props.schedule ?? Duration.minutes(5);
    this.publishSchedule = new events.Rule(this, "PublishSchedule", {
      description: "Publishes scheduled articles that became due",
      schedule: events.Schedule.rate(schedule),
      targets: [new targets.LambdaFunction(this.publish.function)],
    });

    if (props.alarmEmail) {
      // CloudWatch can't publish to a topic encrypted with the aws/sns key: own key, rotated.
      const key = new kms.Key(this, "AlarmTopicKey", { enableKeyRotation: true, description: "feedpub alarm topic", removalPolicy });
      key.grant(new iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*");
      this.alarmTopic = new sns.Topic(this, "AlarmTopic", { masterKey: key, enforceSSL: true });
      this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));
    }
    this.createAlarms();
    this.dashboard = this.createDashboard(serviceName);
    if (throwaway) this.acknowledgeAutoDeleteProvider();
    this.acknowledgeCdkInternals();
  }

  /** The custom metric `name` of one function (Powertools EMF, `service` dimension). */
  metric(fn: "ingest" | "publish", name: (typeof METRIC)[keyof typeof METRIC], options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    const service = (fn === "ingest" ? this.ingest : this.publish).serviceName;
    return new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: name, dimensionsMap: { [SERVICE_DIMENSION]: service }, period: Duration.minutes(5), ...options });
  }

  /** CloudFront's metrics exist in us-east-1 only, whatever the stack's region. */
  private cloudFrontMetric(metricName: string, statistic: string, options: { inStackRegion?: boolean } = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: "AWS/CloudFront",
      metricName,
      dimensionsMap: { DistributionId: this.distribution.distributionId, Region: "Global" },
      ...(options.inStackRegion ? {} : { region: "us-east-1" }),
      statistic,
      period: Duration.minutes(5),
    });
  }

  private addAlarm(id: string, metric: cloudwatch.IMetric, options: Omit<cloudwatch.CreateAlarmOptions, "evaluationPeriods"> & { evaluationPeriods?: number }): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...options,
      metric,
    });
    if (this.alarmTopic) alarm.addAlarmAction(new SnsAction(this.alarmTopic));
    this.alarms.push(alarm);
    return alarm;
  }

  /**
   * Errors of either function, sustained throttling, a stream that falls behind, a
   * message in a failure queue, CloudFront answering 5xx.
   */
  private createAlarms(): void {
    // Any message in a failure queue is an event that was not ingested or published.
    for (const queue of [this.ingestFailures, this.publishFailures]) {
      this.addAlarm(`${queue.node.id}Alarm`, queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }), {
        alarmDescription: `Failed events are waiting in ${queue.node.id}: inspect, fix and redrive.`,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    }
    for (const [name, fn] of [["Ingest", this.ingest], ["Publish", this.publish]] as const) {
      this.addAlarm(`${name}ErrorsAlarm`, fn.function.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }), {
        alarmDescription: `${name} failed (it is retried; see its log group for "${name.toLowerCase()} failed"). A failure queue alarm follows if the retries fail too.`,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
      // Publish runs one at a time, so the schedule can meet a stream batch: a throttle
      // now and then is retried by Lambda. Two 5-minute periods out of three is not that.
      this.addAlarm(`${name}ThrottlesAlarm`, fn.function.metricThrottles({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }), {
        alarmDescription: `${name} is being throttled in most of the last 15 minutes (account concurrency, or publish's reserved concurrency of 1 meeting a backlog).`,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
      });
    }
    this.addAlarm("StreamIteratorAgeAlarm", this.publish.function.metric("IteratorAge", { period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }), {
      alarmDescription: `The oldest table-stream record publish has not processed is over ${ALARM_THRESHOLDS.iteratorAge.toMinutes()} minutes old: publish is failing or stuck and the site falls behind the table.`,
      threshold: ALARM_THRESHOLDS.iteratorAge.toMilliseconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    // CloudFront's metrics are in us-east-1 and an alarm can't watch another region's: a
    // stack known to be elsewhere gets none (the dashboard shows the rate whatever the
    // region); an environment-agnostic stack gets it, and it evaluates in us-east-1 only.
    const region = Stack.of(this).region;
    if (!Token.isUnresolved(region) && region !== "us-east-1") return;
    this.addAlarm("CloudFront5xxAlarm", this.cloudFrontMetric("5xxErrorRate", cloudwatch.Stats.AVERAGE, { inStackRegion: true }), {
      alarmDescription: `Over ${ALARM_THRESHOLDS.cloudFront5xxRatePercent}% of CloudFront responses are 5xx (the site bucket or the OAC is failing).`,
      threshold: ALARM_THRESHOLDS.cloudFront5xxRatePercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
    });
  }

  private createDashboard(serviceName: string): cloudwatch.Dashboard {
    const dashboard = new cloudwatch.Dashboard(this, "Dashboard", {
      dashboardName: serviceName,
      defaultInterval: Duration.hours(24),
    });
    const sum = { statistic: cloudwatch.Stats.SUM };
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []) =>
      new cloudwatch.GraphWidget({ title, left, right, width: 8, height: 6 });
    dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: "Alarms", alarms: this.alarms, width: 24, height: 3 }));
    dashboard.addWidgets(
      graph("Ingest: files", [
        this.metric("ingest", METRIC.filesAccepted, sum), this.metric("ingest", METRIC.filesRejected, sum), this.metric("ingest", METRIC.filesHeld, sum),
      ]),
      graph("Publish: feeds and files", [this.metric("publish", METRIC.feedsRebuilt, sum), this.metric("publish", METRIC.filesWritten, sum)],
        [this.metric("publish", METRIC.hubFailures, { ...sum, label: "WebSub hub failures" })]),
      graph("Publish: time (ms, max)", [
        this.metric("publish", METRIC.publishDuration, { statistic: cloudwatch.Stats.MAXIMUM }),
        this.metric("publish", METRIC.invalidationWait, { statistic: cloudwatch.Stats.MAXIMUM }),
        this.metric("publish", METRIC.leaseWait, { statistic: cloudwatch.Stats.MAXIMUM }),
      ]),
    );
    const fnMetrics = (fn: FeedFunction) => [
      fn.function.metricInvocations({ period: Duration.minutes(5) }),
      fn.function.metricErrors({ period: Duration.minutes(5) }),
      fn.function.metricThrottles({ period: Duration.minutes(5) }),
    ];
    dashboard.addWidgets(
      graph("Ingest: invocations, errors, throttles", fnMetrics(this.ingest), [this.ingest.function.metricDuration({ statistic: cloudwatch.Stats.p(99), period: Duration.minutes(5) })]),
      graph("Publish: invocations, errors, throttles", fnMetrics(this.publish), [this.publish.function.metricDuration({ statistic: cloudwatch.Stats.p(99), period: Duration.minutes(5) })]),
      graph("Stream iterator age (ms, max) and failure queues", [this.publish.function.metric("IteratorAge", { statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(5) })], [
        this.ingestFailures.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(5) }),
        this.publishFailures.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(5) }),
      ]),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: "CloudFront: requests and 5xx rate (%)",
        left: [this.cloudFrontMetric("Requests", cloudwatch.Stats.SUM)],
        right: [this.cloudFrontMetric("5xxErrorRate", cloudwatch.Stats.AVERAGE), this.cloudFrontMetric("4xxErrorRate", cloudwatch.Stats.AVERAGE)],
        width: 24,
        height: 6,
      }),
    );
    return dashboard;
  }

  /**
   * The headers of every response, on every behaviour: the security headers of
   * CloudFront's managed SecurityHeadersPolicy (which this replaces), a
   * Content-Security-Policy that allows index.html's inline style by its hash, and CORS
   * so that pages on any origin can read the feeds and their validators. The values
   * come from `contracts/http-headers.ts`, which the local server sends too.
   */
  private createResponseHeadersPolicy(): cloudfront.ResponseHeadersPolicy {
    return new cloudfront.ResponseHeadersPolicy(this, "ResponseHeadersPolicy", {
      comment: "feedpub: security headers, CSP for index.html, CORS (GET/HEAD from any origin)",
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: CONTENT_SECURITY_POLICY, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: frameOption(SECURITY_HEADERS.frameOptions), override: true },
        referrerPolicy: { referrerPolicy: referrerPolicy(SECURITY_HEADERS.referrerPolicy), override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.seconds(SECURITY_HEADERS.strictTransportSecurityMaxAgeSeconds), includeSubdomains: false, override: true },
        xssProtection: { protection: true, modeBlock: true, override: true },
      },
      corsBehavior: {
        accessControlAllowCredentials: false,
        accessControlAllowHeaders: [...CORS.allowHeaders],
        accessControlAllowMethods: [...CORS.allowMethods],
        accessControlAllowOrigins: [CORS.allowOrigin],
        accessControlExposeHeaders: [...CORS.exposeHeaders],
        accessControlMaxAge: Duration.seconds(CORS.maxAgeSeconds),
        originOverride: true,
      },
    });
  }

  /** Honours the publisher's Cache-Control (max-age=300 plus stale-while-revalidate/-if-error). */
  private feedCachePolicy(): cloudfront.CachePolicy {
    return this.cachePolicy("FeedCachePolicy", "Feeds: origin Cache-Control, 5 min by default", Duration.seconds(0), Duration.minutes(5));
  }

  /**
   * Archive pages change only when one of their own entries does (publish invalidates
   * them then), so they are kept at least a day, as their Cache-Control says.
   */
  private archiveCachePolicy(): cloudfront.CachePolicy {
    return this.cachePolicy("ArchiveCachePolicy", "Archive pages: origin Cache-Control (1 day, revalidated), invalidated when rewritten", Duration.days(1), Duration.days(365));
  }

  /** Compressed, no cookies, query strings or headers in the key: a feed is the same file for everyone. */
  private cachePolicy(id: string, comment: string, minTtl: Duration, defaultTtl: Duration): cloudfront.CachePolicy {
    return new cloudfront.CachePolicy(this, id, {
      comment,
      minTtl,
      defaultTtl,
      maxTtl: Duration.days(365),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.none(),
      headerBehavior: cloudfront.CacheHeaderBehavior.none(),
    });
  }

  /** Where failed events end up after Lambda's retries; kept 14 days for replay. */
  private failureQueue(id: string): sqs.Queue {
    const queue = new sqs.Queue(this, id, {
      // SQS-managed keys: Lambda destinations can't use the aws/sqs KMS key.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(queue).acknowledge({
      id: "AwsSolutions-SQS3",
      reason: "This queue is itself the terminal failure destination of a Lambda; a dead-letter queue for it adds nothing.",
    });
    return queue;
  }

  /**
   * CDK's own singleton function that configures S3 notifications: its role (with the
   * managed basic-execution policy) is fixed by aws-cdk-lib, not by this construct.
   */
  private acknowledgeCdkInternals(): void {
    const stack = Stack.of(this);
    const handler = stack.node.children.find((c) => c.node.id.startsWith("BucketNotificationsHandler"));
    if (!handler) return;
    Validations.of(handler).acknowledge({
      id: "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
      reason: "CDK-internal BucketNotificationsHandler role; its managed policy is set by aws-cdk-lib.",
    });
  }

  /** `autoDeleteObjects` (throwaway stages only) adds CDK's singleton provider that empties the buckets. */
  private acknowledgeAutoDeleteProvider(): void {
    const provider = Stack.of(this).node.tryFindChild("Custom::S3AutoDeleteObjectsCustomResourceProvider");
    if (!provider) return;
    Validations.of(provider).acknowledge({
      id: "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
      reason: "CDK-internal provider that empties the buckets of a throwaway stage (removalPolicy DESTROY); its role is set by aws-cdk-lib.",
    });
    Validations.of(provider).acknowledge({
      id: "AwsSolutions-L1",
      reason: "CDK-internal provider of autoDeleteObjects; its runtime is chosen by aws-cdk-lib.",
    });
  }
}

function checkProps(props: FeedPublisherProps): void {
  if (Boolean(props.domainName) !== Boolean(props.certificate)) {
    throw new Error("FeedPublisher: domainName and certificate go together (CloudFront needs a certificate for the domain): pass both or neither");
  }
  if (props.hostedZone && !props.domainName) {
    throw new Error("FeedPublisher: hostedZone needs domainName (the alias records are created for it)");
  }
  if (props.certificate) checkCertificateRegion(props.certificate.certificateArn);
  if (props.maxExactPaths !== undefined && (!Number.isInteger(props.maxExactPaths) || props.maxExactPaths < 0)) {
    throw new Error(`FeedPublisher: maxExactPaths ${props.maxExactPaths}: expected a non-negative integer`);
  }
  if (props.schedule && !props.schedule.isUnresolved() && props.schedule.toSeconds() < 60) {
    throw new Error("FeedPublisher: schedule must be at least one minute (EventBridge rates are in whole minutes)");
  }
  if (props.serviceName !== undefined && !/^[A-Za-z0-9_-]{1,60}$/.test(props.serviceName)) {
    throw new Error(`FeedPublisher: serviceName ${JSON.stringify(props.serviceName)}: letters, digits, - and _ only (it names the dashboard)`);
  }
}

/** The CDK enum member whose value is the header value of the contract. */
function frameOption(value: string): cloudfront.HeadersFrameOption {
  const member = Object.values(cloudfront.HeadersFrameOption).find((v) => v === value);
  if (!member) throw new Error(`X-Frame-Options ${value}: CloudFront accepts ${Object.values(cloudfront.HeadersFrameOption).join(", ")}`);
  return member;
}

function referrerPolicy(value: string): cloudfront.HeadersReferrerPolicy {
  const member = Object.values(cloudfront.HeadersReferrerPolicy).find((v) => v === value);
  if (!member) throw new Error(`Referrer-Policy ${value}: CloudFront accepts ${Object.values(cloudfront.HeadersReferrerPolicy).join(", ")}`);
  return member;
}

function s3HttpMethod(value: string): s3.HttpMethods {
  const member = Object.values(s3.HttpMethods).find((v) => v === value);
  if (!member) throw new Error(`CORS method ${value}: S3 accepts ${Object.values(s3.HttpMethods).join(", ")}`);
  return member;
}

/** Private, encrypted, TLS-only, versioned; emptied on deletion only in a throwaway stage. */
export function privateBucketProps(removalPolicy: RemovalPolicy = RemovalPolicy.RETAIN): s3.BucketProps {
  return {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    versioned: true,
    removalPolicy,
    ...(removalPolicy === RemovalPolicy.DESTROY ? { autoDeleteObjects: true } : {}),
  };
}

function checkCertificateRegion(arn: string): void {
  if (Token.isUnresolved(arn)) return;
  const region = arn.split(":")[3];
  if (region !== "us-east-1") {
    throw new Error(`certificateArn ${arn}: CloudFront needs a certificate in us-east-1, this one is in ${region ?? "no region"}; request or import it in us-east-1.`);
  }
}
