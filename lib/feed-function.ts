import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { CfnElement, Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import type * as cloudfront from "aws-cdk-lib/aws-cloudfront";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as s3 from "aws-cdk-lib/aws-s3";
import * as ssm from "aws-cdk-lib/aws-ssm";
import { Construct } from "constructs";
import { ENV } from "../lambdas/contracts/env.js";
import { METRICS_NAMESPACE, POWERTOOLS_ENV } from "../lambdas/contracts/metrics.js";
import { BUNDLE_BANNER, BUNDLE_EXTERNALS, BUNDLE_LOADERS, bundleAliases, powertoolsLayerParameter } from "./lambda-bundling.js";

/** Repository root and handler directory, from this file's location, never from the working directory. */
const PROJECT_ROOT = fileURLToPath(new URL("../", import.meta.url));
const LAMBDAS_DIR = path.join(PROJECT_ROOT, "lambdas");

/** `read` = GetItem/Query; `write` = PutItem/UpdateItem/BatchWriteItem (deletes go through BatchWriteItem). */
export type TableAccessMode = "read" | "write" | "readWrite";

/** `read` = GetObject on every key (+ ListBucket); `write` = PutObject (+ DeleteObject if asked) on `writeKeys`. */
export type BucketAccessMode = "read" | "write" | "readWrite";

/** The env var keys (from `lambdas/contracts/env.ts`) that name a bucket. */
export type BucketEnvKey = "contentBucket" | "siteBucket";

/**
 * DynamoDB actions per access mode. Only what the DynamoDB adapters call: no Scan, no
 * DeleteItem (deletes are BatchWriteItem delete requests), no DescribeTable.
 */
export const TABLE_ACTIONS = {
  read: ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"],
  // DeleteItem: ingest releases held files once their author or site.yaml arrived.
  write: ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"],
} as const;

export interface FeedFunctionProps {
  /** Handler module under `lambdas/`, without extension; it must export `handler`. Example: `"ingest"`. */
  readonly handlerModule: string;
  /** Shown in the console. */
  readonly description: string;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default - no X-Ray tracing (Active tracing needs `xray:Put*` on `*`, an IAM5 finding to acknowledge) */
  readonly tracing?: lambda.Tracing;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN (logs outlive a stack deletion until their retention expires them) */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** @default - unreserved */
  readonly reservedConcurrentExecutions?: number;
  /** Powertools' `service`: a field of every log line and the dimension of every custom metric. @default `feedpub-<handlerModule>` */
  readonly serviceName?: string;
}

/**
 * The official Powertools for AWS Lambda (TypeScript) layer of the pinned version, its
 * ARN read at deploy time from the public SSM parameter of the deploying region (a
 * CloudFormation parameter of type `AWS::SSM::Parameter::Value<String>`, one per stack).
 * The bundles leave Tracer and the X-Ray SDK to it (lib/lambda-bundling.ts).
 */
export function powertoolsLayer(scope: Construct): lambda.ILayerVersion {
  const stack = Stack.of(scope);
  const id = "FeedpubPowertoolsLayer";
  const existing = stack.node.tryFindChild(id) as lambda.ILayerVersion | undefined;
  return existing ?? lambda.LayerVersion.fromLayerVersionArn(stack, id, ssm.StringParameter.valueForStringParameter(stack, powertoolsLayerParameter()));
}

export interface BindBucketOptions {
  /** Key pattern the write actions are limited to, e.g. `"_reports/*"`. @default "*" (the whole bucket) */
  readonly writeKeys?: string;
  /** Also allow s3:DeleteObject on `writeKeys`. @default false */
  readonly allowDelete?: boolean;
}

/**
 * A Node.js Lambda with the house defaults (Node 22 on ARM64, ESM bundle with the
 * pinned SDK v3, own log group with retention, own role without managed policies) and
 * `bind*` methods that set an env var and grant the matching least-privilege access in
 * one call, so configuration and permissions can't drift apart.
 */
export class FeedFunction extends Construct implements iam.IGrantable {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly grantPrincipal: iam.IPrincipal;
  /** The `service` of its logs and metrics. */
  readonly serviceName: string;

  constructor(scope: Construct, id: string, props: FeedFunctionProps) {
    super(scope, id);
    this.serviceName = props.serviceName ?? `feedpub-${props.handlerModule}`;

    this.logGroup = new logs.LogGroup(this, "LogGroup", {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    // An own role instead of the default one with AWSLambdaBasicExecutionRole: that
    // managed policy may create log groups and write to any of them.
    this.role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `${props.description} (execution role)`,
    });
    this.grantPrincipal = this.role;
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, "Function", {
      entry: path.join(LAMBDAS_DIR, `${props.handlerModule}.ts`),
      handler: "handler",
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, "package-lock.json"),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(30),
      tracing: props.tracing,
      // Powertools Tracer and the X-Ray SDK, which the bundle leaves out (on NODE_PATH at /opt/nodejs/node_modules).
      layers: [powertoolsLayer(this)],
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      environment: {
        NODE_OPTIONS: "--enable-source-maps",
        [POWERTOOLS_ENV.serviceName]: this.serviceName,
        [POWERTOOLS_ENV.metricsNamespace]: METRICS_NAMESPACE,
      },
      bundling: {
        minify: true,
        sourceMap: true,
        format: OutputFormat.ESM,
        target: "node22",
        mainFields: ["module", "main"],
        // The options shared with the bench and the bundle test (lib/lambda-bundling.ts):
        // the createRequire banner, the AWS SDK left to the runtime (the code uses only
        // long-stable v3 APIs; the emulator tests run the pinned version), Tracer and the
        // X-Ray SDK left to the Powertools layer, and the aliases
        // that keep one copy of `entities` and leave out postcss.
        banner: BUNDLE_BANNER,
        externalModules: [...BUNDLE_EXTERNALS],
        esbuildArgs: Object.fromEntries(Object.entries(bundleAliases()).map(([from, to]) => [`--alias:${from}`, to])),
        // The font publish writes to the site is a file beside the bundle (BUNDLE_LOADERS).
        loader: { ...BUNDLE_LOADERS },
      },
    });
    Validations.of(this.function).acknowledge({
      id: "AwsSolutions-L1",
      reason: "nodejs22.x is the project's pinned runtime (handlers also run locally on Node 20); moving to nodejs24.x is a deliberate, separate upgrade.",
    });
    if (props.tracing === lambda.Tracing.ACTIVE) {
      Validations.of(this.role.node.findChild("DefaultPolicy")).acknowledge({
        id: "AwsSolutions-IAM5[Resource::*]",
        reason: "Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.",
      });
    }
  }

  /** Sets TABLE_NAME and grants exactly the DynamoDB actions of `mode` on this table (it has no indexes). */
  bindTable(table: dynamodb.ITable, mode: TableAccessMode): void {
    this.function.addEnvironment(ENV.tableName, table.tableName);
    const actions = [
      ...(mode === "write" ? [] : TABLE_ACTIONS.read),
      ...(mode === "read" ? [] : TABLE_ACTIONS.write),
    ];
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: [table.tableArn] }));
  }

  /**
   * Grants `actions` on the items of one partition of the table only (an IAM condition
   * on `dynamodb:LeadingKeys`): a function that otherwise only reads can keep its own
   * bookkeeping items without being able to touch any content.
   */
  bindTablePartition(table: dynamodb.ITable, partitionKey: string, actions: readonly string[]): void {
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: [...actions],
      resources: [table.tableArn],
      conditions: { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": [partitionKey] } },
    }));
  }

  /**
   * Sets the bucket's env var and grants `mode`: reads may get any key (and list, so a
   * missing key is a 404, not a 403); writes are limited to `options.writeKeys`.
   */
  bindBucket(bucket: s3.IBucket, envKey: BucketEnvKey, mode: BucketAccessMode, options: BindBucketOptions = {}): void {
    this.function.addEnvironment(ENV[envKey], bucket.bucketName);
    const keyPatterns = new Set<string>();
    if (mode !== "write") {
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ["s3:GetObject"], resources: [bucket.arnForObjects("*")] }));
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ["s3:ListBucket"], resources: [bucket.bucketArn] }));
      keyPatterns.add("*");
    }
    if (mode !== "read") {
      const writeKeys = options.writeKeys ?? "*";
      const actions = options.allowDelete ? ["s3:PutObject", "s3:DeleteObject"] : ["s3:PutObject"];
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: [bucket.arnForObjects(writeKeys)] }));
      keyPatterns.add(writeKeys);
    }
    for (const keys of keyPatterns) {
      this.acknowledgeObjectWildcard(bucket, keys, `Object actions on keys ${keys} of ${bucket.node.id} only; the keys are known at run time, not at deploy time.`);
    }
    // Buckets use S3-managed keys; a KMS-encrypted bucket would also need its key granted.
    if (bucket.encryptionKey) {
      if (mode !== "write") bucket.encryptionKey.grantDecrypt(this.role);
      if (mode !== "read") bucket.encryptionKey.grantEncrypt(this.role);
    }
  }

  /**
   * Acknowledges cdk-nag's IAM5 finding for `<bucket>/<keys>` on this function's own
   * policy only (the narrowest scope): a key pattern in one bucket is the least a
   * function that writes run-time key names can be given. The finding id is cdk-nag's
   * rendering of the resource (`<LogicalId.Arn>/keys`), hence the logical id lookup.
   */
  private acknowledgeObjectWildcard(bucket: s3.IBucket, keys: string, reason: string): void {
    const cfnBucket = bucket.node.defaultChild;
    const policy = this.role.node.tryFindChild("DefaultPolicy");
    if (!(cfnBucket instanceof CfnElement) || !policy) return; // imported bucket: its finding names a literal ARN
    const logicalId: unknown = Stack.of(cfnBucket).resolve(cfnBucket.logicalId);
    Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Resource::<${String(logicalId)}.Arn>/${keys}]`, reason });
  }

  /**
   * Sets DISTRIBUTION_ID and grants, on this distribution only, CreateInvalidation and
   * GetInvalidation (publish waits for the invalidation before pinging WebSub hubs).
   */
  bindDistribution(distribution: cloudfront.IDistribution): void {
    this.function.addEnvironment(ENV.distributionId, distribution.distributionId);
    distribution.grant(this.role, "cloudfront:CreateInvalidation", "cloudfront:GetInvalidation");
  }
}
