import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { App, ArnFormat, CfnElement, Stack, Validations } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as s3 from "aws-cdk-lib/aws-s3";
import { AwsSolutionsChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import { beforeAll, describe, expect, it } from "vitest";
import { ENV } from "../../lambdas/contracts/env.js";
import { CONTENT_SECURITY_POLICY, CORS, publicResponseHeaders } from "../../lambdas/contracts/http-headers.js";
import { FeedPublisherStack, type FeedPublisherStackProps } from "../../lib/feed-publisher-stack.js";
import { powertoolsLayerParameter, powertoolsVersion } from "../../lib/lambda-bundling.js";

/** The feature flags `cdk synth` uses, so the template under test is the deployed one. */
const CDK_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(fileURLToPath(new URL("../../cdk.json", import.meta.url)), "utf8"),
).context;

/** CloudFront's managed origin request policy CORS-S3Origin: forwards Origin and Access-Control-Request-Headers/-Method to S3. */
const CORS_S3_ORIGIN_POLICY_ID = "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf";

const CUSTOM_DOMAIN = { domainName: "news.example.com", certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e" };

/** An App like bin/app.ts; `nag` registers cdk-nag AwsSolutions as a validation plugin (synth then throws on findings). */
function buildApp(props: FeedPublisherStackProps, options: { bundle: boolean; nag: boolean }) {
  const context = options.bundle ? CDK_CONTEXT : { ...CDK_CONTEXT, "aws:cdk:bundling-stacks": [] };
  const app = new App({ context });
  const stack = new FeedPublisherStack(app, "FeedPublisher", props);
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

type Json = Record<string, unknown>;
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

const idOf = (c: IConstruct): string => {
  const cfn = c instanceof CfnElement ? c : c.node.defaultChild;
  if (!(cfn instanceof CfnElement)) throw new Error(`${c.node.path} has no CloudFormation resource`);
  return Stack.of(cfn).resolve(cfn.logicalId) as string;
};
const ref = (c: IConstruct) => ({ Ref: idOf(c) });
const arnOf = (c: IConstruct) => ({ "Fn::GetAtt": [idOf(c), "Arn"] });
const objectsOf = (c: IConstruct, keys: string) => ({ "Fn::Join": ["", [arnOf(c), `/${keys}`]] });
const actionsOf = (s: Statement): string[] => [...(Array.isArray(s.Action) ? s.Action : [s.Action])].sort();

/** Every acknowledgement recorded with `Validations.of(x).acknowledge`, with where it was made. */
function acknowledgements(root: IConstruct): { path: string; id: string; reason: unknown }[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Json).map(([id, reason]) => ({ path: c.node.path, id, reason }))),
  );
}

function violationsOf(app: App) {
  return new AwsSolutionsChecks().validateScope(app).violations.map((v) => ({
    rule: v.ruleName,
    severity: v.severity,
    at: v.violatingResources.map((r) => r.constructPath),
  }));
}

let app: App;
let stack: FeedPublisherStack;
let template: Template;

const PROPS: FeedPublisherStackProps = { alarmEmail: "newsroom-ops@example.com" };

beforeAll(() => {
  // Real esbuild bundling of both handlers. cdk-nag is checked in its own tests below,
  // so a finding fails those tests, not every test of this file.
  ({ app, stack } = buildApp(PROPS, { bundle: true, nag: false }));
  template = Template.fromStack(stack);
}, 120_000);

/** `arn:<partition>:cloudfront::<account>:distribution/<id>` as the template renders it. */
const distributionArn = (): unknown => stack.resolve(stack.formatArn({
  service: "cloudfront",
  region: "",
  resource: "distribution",
  resourceName: stack.distribution.distributionId,
  arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
}));

function policyStatementsOf(role: IConstruct): Statement[] {
  const policy = role.node.findChild("DefaultPolicy");
  const resource = template.toJSON().Resources[idOf(policy)] as { Properties: { PolicyDocument: { Statement: Statement[] } } };
  return resource.Properties.PolicyDocument.Statement;
}

/** All IAM::Policy resources attached to a role (must be only its DefaultPolicy). */
function policiesAttachedTo(role: IConstruct): string[] {
  const policies = template.findResources("AWS::IAM::Policy", { Properties: { Roles: Match.arrayWith([ref(role)]) } });
  return Object.keys(policies);
}

describe("table", () => {
  it("is one pk/sk table, on demand, with PITR, a NEW_AND_OLD_IMAGES stream, encryption and deletion protection", () => {
    template.hasResource("AWS::DynamoDB::Table", {
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: {
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "sk", AttributeType: "S" },
        ]),
        BillingMode: "PAY_PER_REQUEST",
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        StreamSpecification: { StreamViewType: "NEW_AND_OLD_IMAGES" },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: true,
        TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
        GlobalSecondaryIndexes: Match.absent(),
      },
    });
  });
});

describe("buckets", () => {
  it("every bucket blocks public access and is encrypted", () => {
    template.allResourcesProperties("AWS::S3::Bucket", {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] },
    });
  });

  it("every bucket has a policy that denies requests without TLS", () => {
    const buckets = Object.keys(template.findResources("AWS::S3::Bucket"));
    expect(buckets.length).toBeGreaterThan(0);
    for (const bucket of buckets) {
      template.hasResourceProperties("AWS::S3::BucketPolicy", {
        Bucket: { Ref: bucket },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: "Deny",
              Action: "s3:*",
              Principal: { AWS: "*" },
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            }),
          ]),
        },
      });
    }
  });

  it("the content bucket is versioned, retained and logs to the log bucket", () => {
    expect(template.toJSON().Resources[idOf(stack.contentBucket)]).toMatchObject({
      DeletionPolicy: "Retain",
      Properties: { VersioningConfiguration: { Status: "Enabled" }, LoggingConfiguration: { DestinationBucketName: ref(stack.logBucket) } },
    });
  });

  it("the log bucket accepts CloudFront's ACL-based standard logs", () => {
    expect(template.toJSON().Resources[idOf(stack.logBucket)]).toMatchObject({
      Properties: { OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerPreferred" }] } },
    });
  });
});

describe("logical ids", () => {
  // The ids these resources had when they were defined in the stack itself (before the
  // FeedPublisher construct). A change replaces the table and buckets of an existing
  // deployment (a new, empty table; the retained old ones orphaned) and gives the site
  // a new CloudFront domain.
  it("of the table, the buckets and the distribution are those of every existing deployment", () => {
    expect({
      table: idOf(stack.table),
      contentBucket: idOf(stack.contentBucket),
      siteBucket: idOf(stack.siteBucket),
      logBucket: idOf(stack.logBucket),
      distribution: idOf(stack.distribution),
    }).toEqual({
      table: "TableCD117FA1",
      contentBucket: "ContentBucket52D4B12C",
      siteBucket: "SiteBucket397A1860",
      logBucket: "LogBucketCC3B17E8",
      distribution: "Distribution830FAC52",
    });
    for (const id of ["TableCD117FA1", "ContentBucket52D4B12C", "SiteBucket397A1860", "LogBucketCC3B17E8"]) {
      expect(template.toJSON().Resources[id], id).toMatchObject({ DeletionPolicy: "Retain", UpdateReplacePolicy: "Retain" });
    }
  });
});

describe("ingest trigger", () => {
  const notificationConfigs = () => {
    const [resource] = Object.values(template.findResources("Custom::S3BucketNotifications", { Properties: { BucketName: ref(stack.contentBucket) } }));
    const props = (resource as { Properties: { NotificationConfiguration: Json } }).Properties.NotificationConfiguration;
    return props.LambdaFunctionConfigurations as { Events: string[]; Filter: { Key: { FilterRules: { Name: string; Value: string }[] } }; LambdaFunctionArn: unknown }[];
  };

  it("invokes ingest for created and removed objects under articles/, authors/ and the key site.yaml, nothing else", () => {
    const configs = notificationConfigs();
    const summary = configs.map((c) => {
      const rule = (name: string) => c.Filter.Key.FilterRules.find((r) => r.Name === name)?.Value ?? "";
      return `${c.Events.join(",")} ${rule("prefix")}|${rule("suffix")}`;
    });
    expect(summary.sort()).toEqual([
      "s3:ObjectCreated:* articles/|",
      "s3:ObjectCreated:* authors/|",
      "s3:ObjectCreated:* site.yaml|site.yaml",
      "s3:ObjectRemoved:* articles/|",
      "s3:ObjectRemoved:* authors/|",
      "s3:ObjectRemoved:* site.yaml|site.yaml",
    ]);
    for (const c of configs) expect(c.LambdaFunctionArn).toEqual(arnOf(stack.ingest.function));
    expect(template.toJSON().Resources[idOf(stack.contentBucket)].Properties.NotificationConfiguration).toBeUndefined();
  });

  it("never fires for the editor reports under _reports/", () => {
    for (const c of notificationConfigs()) {
      const prefix = c.Filter.Key.FilterRules.find((r) => r.Name === "prefix")?.Value;
      expect(prefix, "an unfiltered notification would also fire for _reports/").toBeTruthy();
      expect("_reports/articles/a.md.txt".startsWith(prefix!)).toBe(false);
      expect("_reports/site.yaml.txt".startsWith(prefix!)).toBe(false);
    }
  });

  it("S3 may invoke ingest only for the content bucket in this account", () => {
    template.hasResourceProperties("AWS::Lambda::Permission", {
      FunctionName: arnOf(stack.ingest.function),
      Principal: "s3.amazonaws.com",
      SourceArn: arnOf(stack.contentBucket),
      SourceAccount: { Ref: "AWS::AccountId" },
    });
  });

  it("retries an async event twice, then sends it to an encrypted, TLS-only queue kept 14 days", () => {
    template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
      FunctionName: ref(stack.ingest.function),
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: arnOf(stack.ingestFailures) } },
    });
    expect(template.toJSON().Resources[idOf(stack.ingestFailures)].Properties).toEqual({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
  });
});

describe("publish trigger", () => {
  it("reads the table stream in batches of 100 / 5 s, bisects and retries 5 times, then dead-letters", () => {
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      FunctionName: ref(stack.publish.function),
      EventSourceArn: { "Fn::GetAtt": [idOf(stack.table), "StreamArn"] },
      StartingPosition: "LATEST",
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 5,
      ParallelizationFactor: 1,
      MaximumRetryAttempts: 5,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: Match.absent(),
      DestinationConfig: { OnFailure: { Destination: arnOf(stack.publishFailures) } },
    });
  });

  it("is filtered to dirty marks being written (not removed: the publisher removes them itself)", () => {
    const [mapping] = Object.values(template.findResources("AWS::Lambda::EventSourceMapping", { Properties: { FunctionName: ref(stack.publish.function) } }));
    const filters = (mapping as { Properties: { FilterCriteria: { Filters: { Pattern: string }[] } } }).Properties.FilterCriteria.Filters;
    expect(filters.map((f) => JSON.parse(f.Pattern))).toEqual([
      { eventName: ["INSERT", "MODIFY"], dynamodb: { Keys: { pk: { S: ["DIRTY"] } } } },
    ]);
  });

  it("runs every 5 minutes for scheduled articles", () => {
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(5 minutes)",
      State: "ENABLED",
      Targets: [Match.objectLike({ Arn: arnOf(stack.publish.function) })],
    });
    template.hasResourceProperties("AWS::Lambda::Permission", {
      FunctionName: arnOf(stack.publish.function),
      Principal: "events.amazonaws.com",
    });
  });

  it("has one instance at a time, and failed scheduled runs go to the publish failure queue", () => {
    expect(template.toJSON().Resources[idOf(stack.publish.function)].Properties.ReservedConcurrentExecutions).toBe(1);
    // Long enough for the worst case: 90 s lease wait + 240 s invalidation wait + hub retries.
    expect(template.toJSON().Resources[idOf(stack.publish.function)].Properties.Timeout).toBe(600);
    template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
      FunctionName: ref(stack.publish.function),
      DestinationConfig: { OnFailure: { Destination: arnOf(stack.publishFailures) } },
    });
    expect(template.toJSON().Resources[idOf(stack.publishFailures)].Properties).toEqual({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
  });

  it("alarms (to the email topic) as soon as either failure queue holds a message", () => {
    for (const queue of [stack.ingestFailures, stack.publishFailures]) {
      template.hasResourceProperties("AWS::CloudWatch::Alarm", {
        Namespace: "AWS/SQS",
        MetricName: "ApproximateNumberOfMessagesVisible",
        Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": [idOf(queue), "QueueName"] } }],
        ComparisonOperator: "GreaterThanThreshold",
        Threshold: 0,
        AlarmActions: [Match.objectLike({ Ref: Match.stringLikeRegexp("^AlarmTopic") })],
      });
      template.hasResourceProperties("AWS::SQS::QueuePolicy", {
        Queues: [ref(queue)],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } })]) },
      });
    }
    template.hasResourceProperties("AWS::SNS::Subscription", { Protocol: "email", Endpoint: "newsroom-ops@example.com" });
    template.hasResourceProperties("AWS::SNS::Topic", { KmsMasterKeyId: Match.anyValue() });
  });
});

describe("functions", () => {
  it("run Node 22 on ARM64 with JSON logs into their own log group kept one month", () => {
    for (const fn of [stack.ingest, stack.publish]) {
      expect(template.toJSON().Resources[idOf(fn.function)].Properties).toMatchObject({
        Runtime: "nodejs22.x",
        Architectures: ["arm64"],
        Handler: "index.handler",
        MemorySize: 256,
        LoggingConfig: { LogGroup: ref(fn.logGroup), LogFormat: "JSON" },
        Role: arnOf(fn.role),
      });
      expect(template.toJSON().Resources[idOf(fn.logGroup)]).toMatchObject({ Properties: { RetentionInDays: 30 }, DeletionPolicy: "Retain" });
    }
  });

  it("ingest gets the table and content bucket names, nothing of publish's", () => {
    const vars = template.toJSON().Resources[idOf(stack.ingest.function)].Properties.Environment.Variables as Json;
    expect(vars[ENV.tableName]).toEqual(ref(stack.table));
    expect(vars[ENV.contentBucket]).toEqual(ref(stack.contentBucket));
    expect(vars).not.toHaveProperty(ENV.siteBucket);
    expect(vars).not.toHaveProperty(ENV.distributionId);
    expect(ENV).toMatchObject({ tableName: "TABLE_NAME", contentBucket: "CONTENT_BUCKET" });
  });

  it("publish gets the table, site bucket and distribution, not the content bucket", () => {
    const vars = template.toJSON().Resources[idOf(stack.publish.function)].Properties.Environment.Variables as Json;
    expect(vars[ENV.tableName]).toEqual(ref(stack.table));
    expect(vars[ENV.siteBucket]).toEqual(ref(stack.siteBucket));
    expect(vars[ENV.distributionId]).toEqual(ref(stack.distribution));
    expect(vars).not.toHaveProperty(ENV.contentBucket);
    expect(ENV).toMatchObject({ siteBucket: "SITE_BUCKET", distributionId: "DISTRIBUTION_ID" });
  });

  it("both trace actively and have the Powertools layer of the pinned version, its ARN from the public SSM parameter at deploy time", () => {
    const json = template.toJSON() as { Parameters: Record<string, { Type: string; Default: string }>; Resources: Record<string, { Properties: Json }> };
    const parameters = Object.entries(json.Parameters).filter(([, p]) => p.Default === powertoolsLayerParameter());
    expect(parameters).toHaveLength(1);
    const [[parameterId, parameter]] = parameters as [[string, { Type: string; Default: string }]];
    expect(parameter).toEqual({ Type: "AWS::SSM::Parameter::Value<String>", Default: `/aws/service/powertools/typescript/generic/all/${powertoolsVersion()}` });
    expect(powertoolsVersion()).toBe("2.35.0");
    for (const fn of [stack.ingest, stack.publish]) {
      expect(json.Resources[idOf(fn.function)]!.Properties).toMatchObject({ Layers: [{ Ref: parameterId }], TracingConfig: { Mode: "Active" } });
    }
  });

  it("bundles leave Tracer and the X-Ray SDK to the layer (the deployed code, as synthesised)", () => {
    const outdir = app.synth().directory;
    for (const fn of [stack.ingest, stack.publish]) {
      // The code's S3 key is the asset's hash; cdk.out stages it as `asset.<hash>`.
      const key = (template.toJSON().Resources[idOf(fn.function)].Properties.Code as { S3Key: string }).S3Key;
      const dir = join(outdir, `asset.${key.replace(/\.zip$/, "")}`);
      expect(existsSync(join(dir, "index.mjs")), dir).toBe(true);
      expect(readdirSync(dir).filter((f) => f === "node_modules")).toEqual([]);
      const code = readFileSync(join(dir, "index.mjs"), "utf8");
      expect(["AWS_XRAY_DAEMON_ADDRESS", "AWS_XRAY_CONTEXT_MISSING", "cls-hooked", "aws-xray-sdk"].filter((mark) => code.includes(mark))).toEqual([]);
      expect(code.includes('"@aws-lambda-powertools/tracer"')).toBe(true);
    }
  });

  it("roles carry no managed policy and no policy besides their own", () => {
    for (const fn of [stack.ingest, stack.publish]) {
      expect(template.toJSON().Resources[idOf(fn.role)].Properties.ManagedPolicyArns).toBeUndefined();
      expect(policiesAttachedTo(fn.role)).toEqual([idOf(fn.role.node.findChild("DefaultPolicy"))]);
    }
  });
});

describe("ingest permissions", () => {
  it("are exactly: own logs, table read/write, read the content bucket, write and delete only _reports/*, its failure queue", () => {
    const statements = policyStatementsOf(stack.ingest.role).map((s) => ({ actions: actionsOf(s), resource: s.Resource, effect: s.Effect }));
    expect(statements).toEqual([
      { effect: "Allow", actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resource: arnOf(stack.ingest.logGroup) },
      // Active tracing; X-Ray's Put actions support no resource-level permission.
      { effect: "Allow", actions: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], resource: "*" },
      {
        effect: "Allow",
        actions: ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"],
        resource: arnOf(stack.table),
      },
      { effect: "Allow", actions: ["s3:GetObject"], resource: objectsOf(stack.contentBucket, "*") },
      { effect: "Allow", actions: ["s3:ListBucket"], resource: arnOf(stack.contentBucket) },
      { effect: "Allow", actions: ["s3:DeleteObject", "s3:PutObject"], resource: objectsOf(stack.contentBucket, "_reports/*") },
      { effect: "Allow", actions: ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"], resource: arnOf(stack.ingestFailures) },
    ]);
  });
});

describe("publish permissions", () => {
  it("are exactly: own logs, table read, writes to its PUBLISH partition only, deletes in DIRTY only, the stream, site bucket get/put/delete/list, one invalidation target, its failure queue", () => {
    const statements = policyStatementsOf(stack.publish.role).map((s) => ({ actions: actionsOf(s), resource: s.Resource, effect: s.Effect, ...(s.Condition ? { condition: s.Condition } : {}) }));
    const expected = [
      { effect: "Allow", actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resource: arnOf(stack.publish.logGroup) },
      { effect: "Allow", actions: ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query"], resource: arnOf(stack.table) },
      {
        effect: "Allow",
        actions: ["dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        resource: arnOf(stack.table),
        condition: { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": ["PUBLISH"] } },
      },
      {
        effect: "Allow",
        actions: ["dynamodb:DeleteItem"],
        resource: arnOf(stack.table),
        condition: { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": ["DIRTY"] } },
      },
      { effect: "Allow", actions: ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"], resource: { "Fn::GetAtt": [idOf(stack.table), "StreamArn"] } },
      // Added by the stream event source and by active tracing (merged into one statement);
      // ListStreams and X-Ray's Put actions support no resource-level permission.
      { effect: "Allow", actions: ["dynamodb:ListStreams", "xray:PutTelemetryRecords", "xray:PutTraceSegments"], resource: "*" },
      { effect: "Allow", actions: ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"], resource: objectsOf(stack.siteBucket, "*") },
      { effect: "Allow", actions: ["s3:ListBucket"], resource: arnOf(stack.siteBucket) },
      {
        effect: "Allow",
        actions: ["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"],
        resource: distributionArn(),
      },
      { effect: "Allow", actions: ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"], resource: arnOf(stack.publishFailures) },
    ];
    expect(statements).toEqual(expect.arrayContaining(expected));
    expect(statements).toHaveLength(expected.length);
  });

  it("may invalidate only this distribution", () => {
    const cloudfront = policyStatementsOf(stack.publish.role).filter((s) => actionsOf(s).some((a) => a.startsWith("cloudfront:")));
    expect(cloudfront.map((s) => ({ actions: actionsOf(s), resource: s.Resource }))).toEqual([
      { actions: ["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"], resource: distributionArn() },
    ]);
    // arn:<partition>:cloudfront::<account>:distribution/<id>
    expect(JSON.stringify(distributionArn())).toMatch(/:cloudfront::".*"AWS::AccountId".*":distribution\/"/);
  });

  it("can't write content items of the table, read the content bucket or write outside the site bucket", () => {
    const statements = policyStatementsOf(stack.publish.role);
    const unconditioned = statements.filter((s) => !s.Condition).flatMap(actionsOf);
    for (const forbidden of ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:*", "s3:*"]) {
      expect(unconditioned).not.toContain(forbidden);
    }
    // Every table write is limited to the PUBLISH partition (its lease, pending paths and
    // state), and deleting the DIRTY marks it published.
    const writes = statements.filter((s) => actionsOf(s).some((a) => /^dynamodb:(Put|Update|Delete|BatchWrite)/.test(a)));
    expect(writes.map((s) => s.Condition)).toEqual([
      { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": ["PUBLISH"] } },
      { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": ["DIRTY"] } },
    ]);
    const deletes = statements.filter((s) => actionsOf(s).includes("s3:DeleteObject"));
    expect(deletes.map((s) => s.Resource)).toEqual([objectsOf(stack.siteBucket, "*")]);
    expect(statements.flatMap(actionsOf)).not.toContain("dynamodb:BatchWriteItem");
    expect(JSON.stringify(statements)).not.toContain(idOf(stack.contentBucket));
    const puts = statements.filter((s) => actionsOf(s).includes("s3:PutObject"));
    expect(puts.map((s) => s.Resource)).toEqual([objectsOf(stack.siteBucket, "*")]);
  });
});

describe("distribution", () => {
  it("reaches the private site bucket through an always-signing sigv4 OAC", () => {
    template.hasResourceProperties("AWS::CloudFront::OriginAccessControl", {
      OriginAccessControlConfig: { OriginAccessControlOriginType: "s3", SigningBehavior: "always", SigningProtocol: "sigv4" },
    });
    template.hasResourceProperties("AWS::CloudFront::Distribution", {
      DistributionConfig: Match.objectLike({
        Origins: [Match.objectLike({
          DomainName: { "Fn::GetAtt": [idOf(stack.siteBucket), "RegionalDomainName"] },
          OriginAccessControlId: { "Fn::GetAtt": [Match.stringLikeRegexp("OriginAccessControl"), "Id"] },
          S3OriginConfig: { OriginAccessIdentity: "" },
        })],
      }),
    });
    template.hasResourceProperties("AWS::S3::BucketPolicy", {
      Bucket: ref(stack.siteBucket),
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: "Allow",
          Principal: { Service: "cloudfront.amazonaws.com" },
          Action: Match.arrayWith(["s3:GetObject"]),
          Condition: { StringEquals: { "AWS:SourceArn": Match.anyValue() } },
        })]),
      },
    });
  });

  it("serves feeds over HTTPS only, compressed, with security headers and the feed cache policy", () => {
    const headersPolicy = { Ref: idOf(stack.publisher.responseHeadersPolicy) };
    const archive = (pattern: string) => Match.objectLike({
      PathPattern: pattern,
      ViewerProtocolPolicy: "redirect-to-https",
      Compress: true,
      // OPTIONS: a browser's CORS preflight reaches S3 (which answers it from the
      // bucket's CORS rule); only GET and HEAD are cached.
      AllowedMethods: ["GET", "HEAD", "OPTIONS"],
      CachedMethods: ["GET", "HEAD"],
      OriginRequestPolicyId: CORS_S3_ORIGIN_POLICY_ID,
      ResponseHeadersPolicyId: headersPolicy,
      CachePolicyId: { Ref: Match.stringLikeRegexp("^ArchiveCachePolicy") },
    });
    template.hasResourceProperties("AWS::CloudFront::Distribution", {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: "index.html",
        HttpVersion: "http2and3",
        DefaultCacheBehavior: Match.objectLike({
          ViewerProtocolPolicy: "redirect-to-https",
          Compress: true,
          AllowedMethods: ["GET", "HEAD", "OPTIONS"],
          CachedMethods: ["GET", "HEAD"],
          OriginRequestPolicyId: CORS_S3_ORIGIN_POLICY_ID,
          ResponseHeadersPolicyId: headersPolicy,
          CachePolicyId: { Ref: Match.stringLikeRegexp("^FeedCachePolicy") },
        }),
        // The archive pages of the site, of every category and of every author.
        CacheBehaviors: ["/archive/*", "/categories/*/archive/*", "/authors/*/archive/*"].map(archive),
        Logging: { Bucket: { "Fn::GetAtt": [idOf(stack.logBucket), "RegionalDomainName"] }, Prefix: Match.anyValue() },
      }),
    });
  });

  it("one response headers policy, on every behaviour: the managed set's security headers, the CSP for index.html, CORS for GET/HEAD from any origin; the local server sends the same values", () => {
    template.resourceCountIs("AWS::CloudFront::ResponseHeadersPolicy", 1);
    const local = publicResponseHeaders();
    template.hasResourceProperties("AWS::CloudFront::ResponseHeadersPolicy", {
      ResponseHeadersPolicyConfig: {
        Name: Match.anyValue(),
        Comment: Match.anyValue(),
        SecurityHeadersConfig: {
          ContentSecurityPolicy: { ContentSecurityPolicy: local["Content-Security-Policy"], Override: true },
          ContentTypeOptions: { Override: true },
          FrameOptions: { FrameOption: local["X-Frame-Options"], Override: true },
          ReferrerPolicy: { ReferrerPolicy: local["Referrer-Policy"], Override: true },
          StrictTransportSecurity: { AccessControlMaxAgeSec: Number(/max-age=(\d+)/.exec(local["Strict-Transport-Security"]!)![1]), IncludeSubdomains: false, Override: true },
          XSSProtection: { Protection: true, ModeBlock: true, Override: true },
        },
        CorsConfig: {
          AccessControlAllowCredentials: false,
          AccessControlAllowHeaders: { Items: ["*"] },
          AccessControlAllowMethods: { Items: ["GET", "HEAD"] },
          AccessControlAllowOrigins: { Items: ["*"] },
          AccessControlExposeHeaders: { Items: ["ETag", "Last-Modified"] },
          AccessControlMaxAgeSec: CORS.maxAgeSeconds,
          OriginOverride: true,
        },
      },
    });
    expect(CONTENT_SECURITY_POLICY).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]{43}='; /);
  });

  it("answers a CORS preflight: the site bucket has the CORS rule of the contract (S3 refuses OPTIONS without one)", () => {
    expect(template.toJSON().Resources[idOf(stack.siteBucket)].Properties.CorsConfiguration).toEqual({
      CorsRules: [{
        AllowedOrigins: [CORS.allowOrigin],
        AllowedMethods: [...CORS.allowMethods],
        AllowedHeaders: [...CORS.allowHeaders],
        ExposedHeaders: [...CORS.exposeHeaders],
        MaxAge: CORS.maxAgeSeconds,
      }],
    });
    expect(template.toJSON().Resources[idOf(stack.contentBucket)].Properties.CorsConfiguration).toBeUndefined();
  });

  it("caches feeds as the origin's Cache-Control says (5 min default), archive pages for a year", () => {
    const key = {
      EnableAcceptEncodingGzip: true,
      EnableAcceptEncodingBrotli: true,
      CookiesConfig: { CookieBehavior: "none" },
      QueryStringsConfig: { QueryStringBehavior: "none" },
      HeadersConfig: { HeaderBehavior: "none" },
    };
    template.hasResourceProperties("AWS::CloudFront::CachePolicy", {
      CachePolicyConfig: Match.objectLike({ MinTTL: 0, DefaultTTL: 300, MaxTTL: 365 * 86400, ParametersInCacheKeyAndForwardedToOrigin: key }),
    });
    template.hasResourceProperties("AWS::CloudFront::CachePolicy", {
      CachePolicyConfig: Match.objectLike({ MinTTL: 86400, DefaultTTL: 365 * 86400, MaxTTL: 365 * 86400, ParametersInCacheKeyAndForwardedToOrigin: key }),
    });
  });
});

describe("outputs", () => {
  it("name the feed URLs on the distribution's domain, the content bucket, the distribution and both failure queues", () => {
    const onDistribution = (file: string) => ({ "Fn::Join": ["", ["https://", { "Fn::GetAtt": [idOf(stack.distribution), "DomainName"] }, `/${file}`]] });
    template.hasOutput("RssFeedUrl", { Value: onDistribution("feed.xml") });
    template.hasOutput("AtomFeedUrl", { Value: onDistribution("atom.xml") });
    template.hasOutput("JsonFeedUrl", { Value: onDistribution("feed.json") });
    template.hasOutput("OpmlUrl", { Value: onDistribution("feeds.opml") });
    template.hasOutput("SiteUrl", { Value: onDistribution("index.html") });
    template.hasOutput("ContentBucketName", { Value: ref(stack.contentBucket) });
    template.hasOutput("DistributionId", { Value: ref(stack.distribution) });
    template.hasOutput("DistributionDomainName", { Value: { "Fn::GetAtt": [idOf(stack.distribution), "DomainName"] } });
    template.hasOutput("IngestFailureQueueUrl", { Value: ref(stack.ingestFailures) });
    template.hasOutput("PublishFailureQueueUrl", { Value: ref(stack.publishFailures) });
  });
});

describe("cdk-nag AwsSolutions", () => {
  it("has no unacknowledged finding", () => {
    const violations = violationsOf(app);
    expect(violations.filter((v) => v.severity === "error"), "unacknowledged cdk-nag errors").toEqual([]);
    // CDK fails synthesis on any cdk-nag violation, warnings included.
    expect(violations, "unacknowledged cdk-nag warnings").toEqual([]);
  });

  it("lets synthesis pass with the plugin registered, as `cdk synth` of bin/app.ts does", () => {
    const { app: nagApp } = buildApp(PROPS, { bundle: false, nag: true });
    expect(() => nagApp.synth()).not.toThrow();
  });

  it("every acknowledgement has a reason, and none is stack- or app-wide", () => {
    const acks = acknowledgements(app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(typeof ack.reason === "string" && ack.reason.trim().length >= 20, `${ack.id} at ${ack.path} needs a reason`).toBe(true);
      expect(ack.path.split("/").length, `${ack.id} is acknowledged on a whole stack`).toBeGreaterThan(1);
    }
    expect(acknowledgements(app).some((a) => a.id.includes("AwsSolutions-CFR4"))).toBe(true);
  });

  it("really fails synthesis on an unacknowledged error (control)", () => {
    const control = new App({ context: CDK_CONTEXT });
    new s3.Bucket(new Stack(control, "Control"), "Unlogged", { enforceSSL: true });
    Validations.of(control).addPlugins(new AwsSolutionsChecks(control));
    expect(violationsOf(control)).toContainEqual(expect.objectContaining({ rule: "AwsSolutions-S1", severity: "error" }));
    expect(() => control.synth()).toThrow(/AwsSolutions-S1/);
  });
});

describe("with a custom domain", () => {
  let domainApp: App;
  let domainTemplate: Template;

  beforeAll(() => {
    // No bundling: this variant only changes CloudFront, outputs and acknowledgements.
    ({ app: domainApp } = buildApp({ customDomain: CUSTOM_DOMAIN }, { bundle: false, nag: true }));
    domainTemplate = Template.fromStack(domainApp.node.findChild("FeedPublisher") as Stack);
  }, 60_000);

  it("serves the domain with its us-east-1 certificate and TLS 1.2 (2021) at least", () => {
    domainTemplate.hasResourceProperties("AWS::CloudFront::Distribution", {
      DistributionConfig: Match.objectLike({
        Aliases: [CUSTOM_DOMAIN.domainName],
        ViewerCertificate: { AcmCertificateArn: CUSTOM_DOMAIN.certificateArn, MinimumProtocolVersion: "TLSv1.2_2021", SslSupportMethod: "sni-only" },
      }),
    });
    domainTemplate.hasOutput("RssFeedUrl", { Value: "https://news.example.com/feed.xml" });
  });

  it("passes cdk-nag (synth included) without the default-certificate (CFR4) acknowledgement", () => {
    expect(violationsOf(domainApp)).toEqual([]);
    expect(acknowledgements(domainApp).some((a) => a.id.includes("AwsSolutions-CFR4"))).toBe(false);
  });

  it("rejects a certificate outside us-east-1", () => {
    const other = new App({ context: { ...CDK_CONTEXT, "aws:cdk:bundling-stacks": [] } });
    expect(() => new FeedPublisherStack(other, "Wrong", {
      customDomain: { domainName: "news.example.com", certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/x" },
    })).toThrow(/us-east-1/);
  });
});
