import { CfnOutput, Duration, RemovalPolicy, Stack, Token, Validations, type StackProps } from "aws-cdk-lib";
import * as acm from "aws-cdk-lib/aws-certificatemanager";
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
import * as s3 from "aws-cdk-lib/aws-s3";
import { LambdaDestination } from "aws-cdk-lib/aws-s3-notifications";
import * as sns from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import * as sqs from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { PK, PUBLISH_TRIGGER, TABLE_KEYS, TTL_ATTRIBUTE } from "../lambdas/contracts/table.js";
import { REPORT_PREFIX } from "../lambdas/contracts/env.js";
import { CONTENT_FILTERS as CONTENT_KEY_FILTERS } from "../lambdas/contracts/content-keys.js";
import { CONTENT_SECURITY_POLICY, CORS, SECURITY_HEADERS } from "../lambdas/contracts/http-headers.js";
import { ARCHIVE_PATH_PATTERNS, FEED_FILES, INDEX_PAGE, OPML } from "../lambdas/contracts/paths.js";
import { EditorAccess, type EditorAccessOptions } from "./editor-access.js";
import { FeedFunction } from "./feed-function.js";

/** Content-bucket keys that are content (defined with the key layout); everything else never triggers ingest. */
export const CONTENT_FILTERS: readonly s3.NotificationKeyFilter[] = CONTENT_KEY_FILTERS;

/** Files the publisher writes at the site root; each becomes a stack output. */
export const SITE_FILES = {
  RssFeedUrl: FEED_FILES.rss,
  AtomFeedUrl: FEED_FILES.atom,
  JsonFeedUrl: FEED_FILES.json,
  OpmlUrl: OPML,
  SiteUrl: INDEX_PAGE,
} as const;

export interface CustomDomain {
  /** Host name served by CloudFront, e.g. `news.example.com` (DNS is managed elsewhere). */
  readonly domainName: string;
  /** ACM certificate for `domainName`; CloudFront requires it in us-east-1. */
  readonly certificateArn: string;
}

export interface FeedPublisherStackProps extends StackProps {
  /** @default - the distribution's `*.cloudfront.net` name with CloudFront's default certificate */
  readonly customDomain?: CustomDomain;
  /** Email subscribed to the failure alarms. @default - alarms without notification */
  readonly alarmEmail?: string;
  /** Editor policies (always) and a GitHub Actions role (with `githubRepo`). @default - the policies, no role */
  readonly editorAccess?: EditorAccessOptions;
}

/**
 * Editors write Markdown/YAML to the content bucket; ingest validates it into one
 * DynamoDB table; the table's stream (and a 5-minute schedule for articles that
 * become due) drives publish, which renders the feeds into a private site bucket
 * served by CloudFront.
 */
export class FeedPublisherStack extends Stack {
  readonly table: dynamodb.Table;
  readonly contentBucket: s3.Bucket;
  readonly siteBucket: s3.Bucket;
  readonly logBucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly ingest: FeedFunction;
  readonly publish: FeedFunction;
  readonly ingestFailures: sqs.Queue;
  readonly publishFailures: sqs.Queue;
  readonly editorAccess: EditorAccess;

  constructor(scope: Construct, id: string, props: FeedPublisherStackProps = {}) {
    super(scope, id, props);
    const domain = props.customDomain;
    if (domain) checkCertificateRegion(domain.certificateArn);

    this.table = new dynamodb.Table(this, "Table", {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      // Deleted-entry announcements (RFC 6721) expire by themselves.
      timeToLiveAttribute: TTL_ATTRIBUTE,
    });

    // Server access logs of both buckets and CloudFront's standard logs. CloudFront
    // standard logging writes with ACLs, hence BUCKET_OWNER_PREFERRED.
    this.logBucket = new s3.Bucket(this, "LogBucket", {
      ...privateBucketProps(),
      versioned: false,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
    });

    this.contentBucket = new s3.Bucket(this, "ContentBucket", {
      ...privateBucketProps(),
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: "s3/content/",
    });

    this.siteBucket = new s3.Bucket(this, "SiteBucket", {
      ...privateBucketProps(),
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: "s3/site/",
    });

    // One origin (one OAC) for both behaviours. LIST as well as READ: a feed that no
    // longer exists answers 404, not 403.
    const siteOrigin = S3BucketOrigin.withOriginAccessControl(this.siteBucket, {
      originAccessLevels: [cloudfront.AccessLevel.READ, cloudfront.AccessLevel.LIST],
    });
    const responseHeadersPolicy = this.responseHeadersPolicy();
    this.distribution = new cloudfront.Distribution(this, "Distribution", {
      comment: "feedpub: RSS, Atom and JSON feeds",
      defaultRootObject: INDEX_PAGE,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      defaultBehavior: {
        origin: siteOrigin,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        compress: true,
        cachePolicy: this.feedCachePolicy(),
        responseHeadersPolicy,
      },
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: "cloudfront/",
      ...(domain
        ? {
            domainNames: [domain.domainName],
            certificate: acm.Certificate.fromCertificateArn(this, "Certificate", domain.certificateArn),
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
    });
    // The archive pages of every feed: the site's, each category's, each author's.
    const archiveCachePolicy = this.archiveCachePolicy();
    for (const pattern of ARCHIVE_PATH_PATTERNS) {
      this.distribution.addBehavior(pattern, siteOrigin, {
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        compress: true,
        cachePolicy: archiveCachePolicy,
        responseHeadersPolicy,
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
    if (!domain) {
      Validations.of(this.distribution).acknowledge({
        id: "AwsSolutions-CFR4",
        reason: "Without a custom domain CloudFront's default *.cloudfront.net certificate is used, whose TLS policy can't be set; pass domainName+certificateArn to get TLSv1.2_2021.",
      });
    }

    this.ingestFailures = this.failureQueue("IngestFailures");
    this.publishFailures = this.failureQueue("PublishFailures");

    this.ingest = new FeedFunction(this, "Ingest", {
      handlerModule: "ingest",
      description: "Validates content-bucket changes into the table and writes editor reports",
      memorySize: 256,
      timeout: Duration.seconds(60),
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
      handlerModule: "publish",
      description: "Renders changed feeds into the site bucket and invalidates CloudFront",
      memorySize: 256,
      // Worst case: 90 s waiting for the lease, rendering, up to 240 s waiting for the
      // CloudFront invalidation (usually under a minute) before pinging hubs, ~42 s of hub
      // retries.
      timeout: Duration.minutes(10),
      // One publisher at a time (stream and schedule): publish also takes a lease in the
      // table, so this is a cost and throttling choice more than a correctness one.
      reservedConcurrentExecutions: 1,
    });
    this.publish.bindTable(this.table, "read");
    // The publish lease and the paths still to invalidate (lambdas/app/lease.ts, publish.ts).
    this.publish.bindTablePartition(this.table, PK.publish, ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]);
    // It clears the dirty marks it has published (never writes one).
    this.publish.bindTablePartition(this.table, PK.dirty, ["dynamodb:DeleteItem"]);
    // Delete: an archive page left with no entries is removed.
    this.publish.bindBucket(this.siteBucket, "siteBucket", "readWrite", { allowDelete: true });
    this.publish.bindDistribution(this.distribution);
    this.publish.function.addEventSource(new DynamoEventSource(this.table, {
      startingPosition: lambda.StartingPosition.LATEST,
      batchSize: 100,
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
    new events.Rule(this, "PublishSchedule", {
      description: "Publishes scheduled articles that became due",
      schedule: events.Schedule.rate(Duration.minutes(5)),
      targets: [new targets.LambdaFunction(this.publish.function)],
    });

    this.alarms(props.alarmEmail, [this.ingestFailures, this.publishFailures]);
    this.acknowledgeCdkInternals();

    const origin = `https://${domain?.domainName ?? this.distribution.distributionDomainName}`;
    for (const [outputId, file] of Object.entries(SITE_FILES)) {
      new CfnOutput(this, outputId, { value: `${origin}/${file}` });
    }
    new CfnOutput(this, "ContentBucketName", { value: this.contentBucket.bucketName });
    new CfnOutput(this, "DistributionId", { value: this.distribution.distributionId });
    new CfnOutput(this, "DistributionDomainName", { value: this.distribution.distributionDomainName });
    new CfnOutput(this, "IngestFailureQueueUrl", { value: this.ingestFailures.queueUrl });
    new CfnOutput(this, "PublishFailureQueueUrl", { value: this.publishFailures.queueUrl });

    // ---- Editor access (issue 14, editor loop) -------------------------------------
    // Managed policies for editors and admins, and the optional CI role, as outputs.
    // One block with its own construct (lib/editor-access.ts), so it moves as a whole.
    this.editorAccess = new EditorAccess(this, "EditorAccess", { contentBucket: this.contentBucket, ...props.editorAccess });
    new CfnOutput(this, "EditorPolicyArn", { value: this.editorAccess.editorPolicy.managedPolicyArn, description: "Attach to editors (users, groups, SSO permission sets)" });
    new CfnOutput(this, "AdminPolicyArn", { value: this.editorAccess.adminPolicy.managedPolicyArn, description: "Attach, with the editor policy, to whoever may change site.yaml" });
    if (this.editorAccess.githubRole) {
      new CfnOutput(this, "GitHubPublishRoleArn", { value: this.editorAccess.githubRole.roleArn, description: "role-to-assume of the content repository's publish workflow" });
    }
    // ---- end of editor access ----------------------------------------------------------
  }

  /**
   * The headers of every response, on every behaviour: the security headers of
   * CloudFront's managed SecurityHeadersPolicy (which this replaces), a
   * Content-Security-Policy that allows index.html's inline style by its hash, and CORS
   * so that pages on any origin can read the feeds and their validators. The values
   * come from `contracts/http-headers.ts`, which the local server sends too.
   */
  private responseHeadersPolicy(): cloudfront.ResponseHeadersPolicy {
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
    return new cloudfront.CachePolicy(this, "FeedCachePolicy", {
      comment: "Feeds: origin Cache-Control, 5 min by default",
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.minutes(5),
      maxTtl: Duration.days(365),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.none(),
      headerBehavior: cloudfront.CacheHeaderBehavior.none(),
    });
  }

  /** Archive pages are written once: cache for a year (publish invalidates if one is ever rewritten). */
  private archiveCachePolicy(): cloudfront.CachePolicy {
    return new cloudfront.CachePolicy(this, "ArchiveCachePolicy", {
      comment: "Archive pages: immutable, 1 year",
      minTtl: Duration.days(1),
      defaultTtl: Duration.days(365),
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

  /** Any message in a failure queue is an event that was not ingested or published. */
  private alarms(email: string | undefined, queues: readonly sqs.Queue[]): void {
    let topic: sns.Topic | undefined;
    if (email) {
      // CloudWatch can't publish to a topic encrypted with the aws/sns key: own key, rotated.
      const key = new kms.Key(this, "AlarmTopicKey", { enableKeyRotation: true, description: "feedpub alarm topic" });
      key.grant(new iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*");
      topic = new sns.Topic(this, "AlarmTopic", { masterKey: key, enforceSSL: true });
      topic.addSubscription(new EmailSubscription(email));
    }
    for (const queue of queues) {
      const alarm = queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM })
        .createAlarm(this, `${queue.node.id}Alarm`, {
          alarmDescription: `Failed events are waiting in ${queue.node.id}: inspect, fix and redrive.`,
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
      if (topic) alarm.addAlarmAction(new SnsAction(topic));
    }
  }

  /**
   * CDK's own singleton function that configures S3 notifications: its role (with the
   * managed basic-execution policy) is fixed by aws-cdk-lib, not by this stack.
   */
  private acknowledgeCdkInternals(): void {
    const handler = this.node.children.find((c) => c.node.id.startsWith("BucketNotificationsHandler"));
    if (!handler) return;
    Validations.of(handler).acknowledge({
      id: "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
      reason: "CDK-internal BucketNotificationsHandler role; its managed policy is set by aws-cdk-lib.",
    });
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

function privateBucketProps(): s3.BucketProps {
  return {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    versioned: true,
    removalPolicy: RemovalPolicy.RETAIN,
  };
}

function checkCertificateRegion(arn: string): void {
  if (Token.isUnresolved(arn)) return;
  const region = arn.split(":")[3];
  if (region !== "us-east-1") {
    throw new Error(`certificateArn ${arn}: CloudFront needs a certificate in us-east-1, this one is in ${region ?? "no region"}; request or import it in us-east-1.`);
  }
}
